import type { Redis } from 'ioredis';
import { authSecretKeys } from '../../model/secrets.js';
import { REDIS_PORT, SENTINEL_PORT } from '../../model/topology.js';
import { ADMIN_USER } from '../../model/users.js';
import type { LocalCluster, LocalMember } from './cluster.js';
import type { DrillNetwork } from './network.js';
import { connectClient, keysMissingOn } from './redis-clients.js';
import { sleep, waitFor } from './waits.js';
import { WriteLoad, type AcknowledgedWrite, type WriteLoadResult } from './write-load.js';

/** What a partition scenario measured, for portal clients and for clients inside the primary's partition. */
export interface PartitionFigures {
  portal: ClientFigures;
  direct: ClientFigures;
  /**
   * Writes acknowledged through a portal by a redis that the sentinel majority no longer named when the
   * write was sent, and how long after the majority moved the last of them was sent (seconds).
   */
  staleRouted: number;
  staleRoutedLatestSeconds: number;
  /** Time during which two data members answered ROLE with master, in seconds (to the observer's 100 ms). */
  twoPrimariesSeconds: number;
  /** The part of it after the partition healed (a deposed primary not yet demoted). */
  twoPrimariesAfterHealSeconds: number;
}

export interface ClientFigures {
  acknowledged: number;
  confirmed: number;
  lostConfirmed: number;
  lost: number;
}

/** What a scenario hands the partition: the cluster, its network, the primary at the start. */
export interface PartitionContext {
  cluster: LocalCluster;
  network: DrillNetwork;
  primary: LocalMember;
  progress: (message: string) => void;
  /** Seconds a failover may take (down-after + failover-timeout). */
  failoverSeconds: number;
}

/** A sample of what the observer saw: the address a majority of sentinels named (if any), and the data members answering master. */
interface Sample {
  at: number;
  majority: string | undefined;
  masters: string[];
}

/**
 * The observer: polls every sentinel and every data member's ROLE every 100 ms from the drill's own
 * address (never cut off), over persistent connections, and keeps the timeline.
 */
export class Observer {
  private readonly sentinels: Redis[];
  private readonly members: { ip: string; client: Redis }[];
  readonly samples: Sample[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly cluster: LocalCluster) {
    const fast = { commandTimeout: 300, connectTimeout: 300 };
    this.sentinels = cluster.members.map((m) =>
      connectClient(cluster, m.ip, SENTINEL_PORT, ADMIN_USER, { ...fast, username: undefined, password: cluster.passwords[authSecretKeys.sentinelAuth] }),
    );
    this.members = cluster.dataMembers.map((m) => ({ ip: m.ip, client: connectClient(cluster, m.ip, REDIS_PORT, ADMIN_USER, fast) }));
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const at = Date.now();
      const [answers, roles] = await Promise.all([
        Promise.all(this.sentinels.map((s) => s.call('SENTINEL', 'get-master-addr-by-name', this.cluster.rendered.id.deployment).then((r) => (r as string[])[0], () => undefined))),
        Promise.all(this.members.map((m) => m.client.call('ROLE').then((r) => ((r as unknown[])[0] === 'master' ? m.ip : undefined), () => undefined))),
      ]);
      const counts = new Map<string, number>();
      for (const a of answers) if (a) counts.set(a, (counts.get(a) ?? 0) + 1);
      const majority = [...counts].find(([, n]) => n * 2 > this.cluster.members.length)?.[0];
      this.samples.push({ at, majority, masters: roles.filter((r): r is string => !!r) });
      await sleep(Math.max(0, 100 - (Date.now() - at)));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    for (const c of [...this.sentinels, ...this.members.map((m) => m.client)]) c.disconnect();
  }

  /** Seconds during which two data members answered master. */
  twoPrimariesSeconds(since = 0): number {
    let total = 0;
    this.samples.forEach((s, i) => {
      const next = this.samples[i + 1];
      if (s.at >= since && s.masters.length > 1 && next) total += next.at - s.at;
    });
    return total / 1000;
  }

  /** Whether `ip` answered master at some sample at or after `since`. */
  wasMaster(ip: string, since: number): boolean {
    return this.samples.some((s) => s.at >= since && s.masters.includes(ip));
  }

  /**
   * Writes sent after the majority had stopped naming the redis that took them: how many, and the
   * latest one's delay since the majority moved away from that redis.
   */
  staleRouted(writes: readonly AcknowledgedWrite[]): { count: number; latestSeconds: number } {
    let count = 0;
    let latest = 0;
    for (const w of writes) {
      // The last sample before the write was sent, and since when the majority had not named w.by.
      let i = -1;
      while (i + 1 < this.samples.length && this.samples[i + 1]!.at <= w.sentAt) i++;
      if (i < 0 || this.samples[i]!.majority === undefined || this.samples[i]!.majority === w.by) continue;
      while (i > 0 && this.samples[i - 1]!.majority !== w.by) i--;
      // A write taken by a redis the majority never named in the timeline (before it began) is not counted as moved.
      if (i === 0) continue;
      count++;
      latest = Math.max(latest, (w.sentAt - this.samples[i]!.at) / 1000);
    }
    return { count, latestSeconds: latest };
  }
}

/**
 * Runs a partition: the observer, writes through the portals and writes straight to the primary (a
 * client inside its partition: the observer's address is never cut), `inject` (which cuts and heals),
 * then waits for one primary with its replica, and checks that both portals route to it.
 */
export async function underPartition(
  context: PartitionContext,
  prefix: string,
  inject: () => Promise<void>,
): Promise<{ portalLoad: WriteLoadResult; figures: PartitionFigures; problems: string[]; notes: string[]; finalPrimary: LocalMember; observer: Observer }> {
  const { cluster, network, primary } = context;
  const problems: string[] = [];
  const notes: string[] = [];
  const observer = new Observer(cluster);
  const portalLoad = new WriteLoad(cluster, `${prefix}:portal`, { identify: true }).start();
  const directLoad = new WriteLoad(cluster, `${prefix}:direct`, { targets: [{ host: primary.ip, port: REDIS_PORT }], identify: true }).start();
  let portal: WriteLoadResult;
  let direct: WriteLoadResult;
  let healedAt = Date.now();
  try {
    await sleep(1000);
    try {
      await inject();
    } finally {
      network.heal();
      healedAt = Date.now();
    }
    const settled = await cluster.settled(context.failoverSeconds + 30);
    // The deposed primary must be demoted (the sentinels reconfigure it once they reach it again).
    await waitFor('exactly one primary', context.failoverSeconds, async () => (await cluster.primaries()).length === 1);
    // Each portal must route to the primary the majority names at that moment (not to one named earlier).
    for (const p of cluster.portals) {
      let last = '';
      let named: string | undefined;
      await waitFor(`${p.name} to route to the named primary`, 30, async () => {
        named = await cluster.primaryBySentinels();
        last = await cluster.viaPortal(p, ADMIN_USER, 'CLIENT', 'INFO');
        return named !== undefined && last.includes(`laddr=${named}:`);
      }).catch(() => problems.push(`${p.name} does not route to the primary the sentinels name (${named ?? 'none'}) after the partition healed (last answer: ${last || 'none'})`));
    }
    const named = await cluster.namedPrimary(10);
    if (named !== settled) problems.push(`the sentinels failed over again after the partition healed: ${settled.name}, then ${named.name}`);
    await sleep(1000);
  } finally {
    [portal, direct] = await Promise.all([portalLoad.stop(), directLoad.stop()]);
    await observer.stop();
  }
  const finalPrimary = await cluster.namedPrimary(10);
  const primaries = await cluster.primaries();
  if (primaries.length !== 1) problems.push(`${primaries.length} primaries after the partition healed: ${primaries.map((m) => m.name).join(', ')}`);
  const figuresOf = async (load: WriteLoadResult): Promise<ClientFigures> => {
    const acked = load.acknowledged ?? [];
    const missing = new Set(await keysMissingOn(cluster, finalPrimary, acked.map((w) => w.key)));
    return {
      acknowledged: acked.length,
      confirmed: acked.filter((w) => w.confirmed).length,
      lostConfirmed: acked.filter((w) => w.confirmed && missing.has(w.key)).length,
      lost: missing.size,
    };
  };
  const stale = observer.staleRouted(portal.acknowledged ?? []);
  const figures: PartitionFigures = {
    portal: await figuresOf(portal),
    direct: await figuresOf(direct),
    staleRouted: stale.count,
    staleRoutedLatestSeconds: Math.round(stale.latestSeconds * 10) / 10,
    twoPrimariesSeconds: Math.round(observer.twoPrimariesSeconds() * 10) / 10,
    twoPrimariesAfterHealSeconds: Math.round(observer.twoPrimariesSeconds(healedAt) * 10) / 10,
  };
  for (const [who, f] of [['portal', figures.portal], ['direct', figures.direct]] as const) {
    if (f.lostConfirmed) problems.push(`${f.lostConfirmed} write(s) confirmed with WAIT 1 by ${who} clients were lost`);
  }
  if (stale.latestSeconds > 1) {
    problems.push(
      `a write was routed through a portal to a redis the sentinel majority had stopped naming ${stale.latestSeconds.toFixed(1)} s before (more than 1 s; ${stale.count} such write(s))`,
    );
  }
  notes.push(
    `portal clients: ${figures.portal.acknowledged} acknowledged, ${figures.portal.confirmed} confirmed, ${figures.portal.lost} lost (${figures.portal.lostConfirmed} confirmed); ` +
      `stale-routed ${figures.staleRouted} (latest ${figures.staleRoutedLatestSeconds} s after the majority moved)`,
    `direct clients of ${primary.name}: ${figures.direct.acknowledged} acknowledged, ${figures.direct.confirmed} confirmed, ${figures.direct.lost} lost (${figures.direct.lostConfirmed} confirmed)`,
    `two primaries for ${figures.twoPrimariesSeconds} s, ${figures.twoPrimariesAfterHealSeconds} s of it after the partition healed; ${finalPrimary.name} is the primary afterwards`,
  );
  return { portalLoad: portal, figures, problems, notes, finalPrimary, observer };
}

/** Cuts every link between `node`'s addresses and the other nodes' (the observer keeps its own). */
export function isolate(cluster: LocalCluster, network: DrillNetwork, node: string): void {
  const nodes = [
    ...cluster.members.map((m) => ({ name: m.name, addresses: [m.ip, ...(m.sentinelSource ? [m.sentinelSource] : [])] })),
    ...cluster.portals.map((p) => ({ name: p.name, addresses: [p.ip] })),
  ];
  const cut = nodes.find((n) => n.name === node)!;
  for (const other of nodes.filter((n) => n !== cut)) {
    for (const a of other.addresses) network.drop(a, { node: cut.name });
    for (const a of cut.addresses) network.drop(a, { node: other.name });
  }
}

/**
 * Cuts `member` off from the other members' sentinels, both ways, and leaves redis to redis and the
 * portals alone: its sentinel reaches no other sentinel or redis, the other sentinels reach neither its
 * sentinel nor its redis, and its redis keeps the replica's link and the portals.
 */
export function cutSentinels(cluster: LocalCluster, network: DrillNetwork, member: LocalMember): void {
  for (const other of cluster.members.filter((m) => m !== member)) {
    network.drop(other.sentinelSource!, { node: member.name });
    network.drop(member.sentinelSource!, { node: other.name });
    // Nothing else of either side reaches the other's sentinel either (the member scripts ask them).
    network.drop(other.ip, { node: member.name, port: SENTINEL_PORT });
    network.drop(member.ip, { node: other.name, port: SENTINEL_PORT });
  }
}

