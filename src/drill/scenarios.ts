import { connect as connectTcp } from 'node:net';
import { scriptNames } from '../../charts/config/member-scripts.js';
import { PORTAL_PORT } from '../../charts/portals.js';
import { REDIS_PORT, SENTINEL_PORT } from '../../charts/sentinel-cluster.js';
import { sleep, waitFor, type LocalCluster, type LocalMember } from './cluster.js';
import { connectTo, missingKeys, WriteLoad, type LoadResult } from './load.js';
import { scenarioIds, type ScenarioId } from './scenario-ids.js';
import { tlsHandshake, type TlsVersion } from './tls.js';

export interface ScenarioResult {
  id: ScenarioId;
  title: string;
  /** Longest time writes through the portals failed, in seconds (0 when they never did). */
  unavailableSeconds: number;
  /** The most this scenario allows, in seconds. */
  boundSeconds: number;
  attempted: number;
  /** Writes confirmed by the client with WAIT 1 (a replica has them). */
  confirmed: number;
  /** Writes answered OK without a replica's confirmation. */
  unconfirmed: number;
  failed: number;
  /** Confirmed writes missing afterwards: must be 0. */
  lostConfirmed: number;
  /** Unconfirmed writes missing afterwards: reported, allowed. */
  lostUnconfirmed: number;
  passed: boolean;
  /** Why the scenario failed, one line each. */
  problems: string[];
  /** What was observed, for the report. */
  notes: string[];
}

export interface DrillSettings {
  downAfterMilliseconds: number;
  failoverTimeout: number;
  minReplicasToWrite: number;
  /** Service users and their roles, for the ACL checks. */
  serviceGrants: readonly { user: string; role: 'Reader' | 'Writer' | 'Manager' }[];
}

/** What the scenarios share: the cluster, the settings and every confirmed write so far. */
export interface DrillContext {
  cluster: LocalCluster;
  settings: DrillSettings;
  /** Writes confirmed with WAIT 1 in any scenario so far: none may ever go missing. */
  confirmed: string[];
  progress: (message: string) => void;
}

/** The run of one scenario, filled in as it goes. */
class Step {
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  load: LoadResult = { attempted: 0, replicated: [], written: [], failed: 0, unavailableSeconds: 0 };
  lostConfirmed = 0;
  lostUnconfirmed = 0;
  private running: WriteLoad | undefined;

  constructor(
    readonly ctx: DrillContext,
    readonly boundSeconds: number,
  ) {}

  /** Writes of the running load that failed so far. */
  get failedSoFar(): number {
    return this.running?.failed ?? this.load.failed;
  }

  check(ok: boolean, problem: string): void {
    if (!ok) this.problems.push(problem);
  }

  /** Runs `body` under a write load through the portals, then checks no confirmed write is missing. */
  async underLoad(prefix: string, body: () => Promise<void>): Promise<void> {
    const load = new WriteLoad(this.ctx.cluster, prefix).start();
    this.running = load;
    try {
      await sleep(1000);
      await body();
      await sleep(1000);
    } finally {
      this.load = await load.stop();
      this.running = undefined;
    }
    this.ctx.confirmed.push(...this.load.replicated);
    const primary = await this.ctx.cluster.namedPrimary(this.boundSeconds + 30);
    const lost = await missingKeys(this.ctx.cluster, primary, this.ctx.confirmed);
    this.lostConfirmed = lost.length;
    this.check(lost.length === 0, `${lost.length} confirmed write(s) missing on the primary ${primary.name}, first ${lost[0]}`);
    this.lostUnconfirmed = (await missingKeys(this.ctx.cluster, primary, this.load.written)).length;
  }
}

type ScenarioRun = (step: Step) => Promise<void>;

interface Scenario {
  title: string;
  /** Seconds the scenario may leave writes failing; 0: no write may fail beyond a client's retries. */
  bound: (settings: DrillSettings) => number;
  /** A scenario that must run just before this one (it leaves the state this one starts from). */
  after?: ScenarioId;
  run: ScenarioRun;
}

/** Detection within down-after, then a failover sentinel gives failover-timeout to complete. */
const failoverBound = (s: DrillSettings) => (s.downAfterMilliseconds + s.failoverTimeout) / 1000;

const TLS_VERSIONS: { version: TlsVersion; accepted: boolean }[] = [
  { version: 'tls1', accepted: false },
  { version: 'tls1_1', accepted: false },
  { version: 'tls1_2', accepted: true },
  { version: 'tls1_3', accepted: true },
];

export { scenarioIds, type ScenarioId } from './scenario-ids.js';

const scenarios: Record<ScenarioId, Scenario> = {
  baseline: {
    title: 'Baseline: TLS on every listener, plaintext refused, ACL roles',
    bound: () => 0,
    run: async (step) => {
      const { cluster, settings } = step.ctx;
      const listeners = [
        ...cluster.dataMembers.map((m) => ({ name: `${m.name} redis`, ip: m.ip, port: REDIS_PORT })),
        ...cluster.members.map((m) => ({ name: `${m.name} sentinel`, ip: m.ip, port: SENTINEL_PORT })),
        ...cluster.portals.map((p) => ({ name: p.name, ip: p.ip, port: PORTAL_PORT })),
      ];
      for (const l of listeners) {
        for (const { version, accepted } of TLS_VERSIONS) {
          const result = await tlsHandshake(l.ip, l.port, version, cluster.caFile);
          step.check(result.connected === accepted, `${l.name} (${l.ip}:${l.port}) ${accepted ? 'refused' : 'accepted'} ${version}`);
          if (accepted) step.check(result.verified, `${l.name}: the certificate does not verify against the CA handed to applications`);
        }
        step.check(!(await answersPlaintext(l.ip, l.port)), `${l.name} (${l.ip}:${l.port}) answered a plaintext PING`);
      }
      step.notes.push(`${listeners.length} listeners: TLSv1 and TLSv1.1 refused, TLSv1.2 and TLSv1.3 verified, plaintext refused`);

      const portal = cluster.portals[0]!;
      const anonymous = await cluster.viaPortal(portal, undefined, 'GET', 'drill:acl');
      step.check(/NOAUTH|WRONGPASS|NOPERM|ERROR/.test(anonymous), `the default user could run GET: ${anonymous}`);
      const allowed = (reply: string) => !/NOPERM|NOAUTH|WRONGPASS|^ERROR/.test(reply);
      const expectations: Record<string, [command: string[], allowed: boolean][]> = {
        Reader: [[['GET', 'drill:acl'], true], [['SET', 'drill:acl', 'x'], false], [['CONFIG', 'GET', 'maxmemory'], false]],
        Writer: [[['SET', 'drill:acl', 'x'], true], [['GET', 'drill:acl'], true], [['FLUSHALL'], false], [['CONFIG', 'GET', 'maxmemory'], false]],
        Manager: [[['CONFIG', 'GET', 'maxmemory'], true]],
      };
      for (const grant of settings.serviceGrants) {
        for (const [command, expected] of expectations[grant.role]!) {
          const reply = await cluster.viaPortal(portal, grant.user, ...command);
          step.check(allowed(reply) === expected, `${grant.role} ${grant.user}: ${command.join(' ')} was ${expected ? 'refused' : 'allowed'} (${reply})`);
        }
      }
      step.notes.push(`default user refused; ${settings.serviceGrants.map((g) => `${g.user} (${g.role})`).join(', ') || 'no service users'} as their roles allow`);
    },
  },

  'kill-primary': {
    title: 'Kill the primary (SIGKILL)',
    bound: failoverBound,
    run: async (step) => {
      const { cluster } = step.ctx;
      const primary = await cluster.settled(30);
      await step.underLoad('drill:kill-primary', async () => {
        step.ctx.progress(`killing the primary ${primary.name}`);
        await cluster.kill(primary, 'redis');
        const promoted = await awaitPromotion(step, primary);
        step.notes.push(`sentinels promoted ${promoted.name}`);
        await sleep(1000);
      });
      step.notes.push(`writes failed for ${step.load.unavailableSeconds.toFixed(1)} s`);
    },
  },

  'restart-old-primary': {
    title: 'Restart the old primary: back as a replica',
    after: 'kill-primary',
    bound: () => 0,
    run: async (step) => {
      const { cluster } = step.ctx;
      const down = cluster.dataMembers.find((m) => !cluster.isRunning(m.redis));
      if (!down) throw new Error('no stopped data member to restart');
      await step.underLoad('drill:restart-old-primary', async () => {
        step.ctx.progress(`restarting ${down.name} through its entrypoint`);
        cluster.start(down, 'redis');
        // The entrypoint may wait up to 30 s for the sentinels before redis answers.
        const firstRole = await waitFor(`${down.name} to answer`, 45, async () => {
          const role = await cluster.redis(down, 'ROLE');
          return role.startsWith('ERROR') || role.startsWith('LOADING') ? undefined : role;
        });
        step.check(
          firstRole.startsWith('slave'),
          `${down.name} came back as a primary (its first ROLE: ${firstRole.split('\n')[0]}): two primaries at once, and writes routed to it are lost ` +
            'when the sentinels demote it; the entrypoint must ask the sentinels who the primary is before it starts',
        );
        await waitFor(`${down.name} to resync`, 60, async () => (await cluster.redis(down, 'INFO', 'replication')).includes('master_link_status:up'));
        step.notes.push(`${down.name} came back as a replica and resynced`);
      });
      const lost = await missingKeys(cluster, down, step.ctx.confirmed);
      step.check(lost.length === 0, `${lost.length} confirmed write(s) missing on the rejoined ${down.name}`);
    },
  },

  portals: {
    title: 'Kill one portal, then the other',
    bound: () => 0,
    run: async (step) => {
      const { cluster } = step.ctx;
      await step.underLoad('drill:portals', async () => {
        for (const portal of cluster.portals) {
          step.ctx.progress(`killing ${portal.name}`);
          await cluster.killPortal(portal);
          await sleep(3000);
          cluster.startPortal(portal);
          await waitFor(`${portal.name} to route to the primary`, 30, async () => (await cluster.viaPortal(portal, 'admin', 'SET', 'drill:portal', portal.name)) === 'OK');
        }
      });
      step.notes.push('clients moved to the other portal and back');
    },
  },

  'sentinel-quorum': {
    title: 'Kill the sentinel-only member, then the primary: two sentinels fail over',
    bound: failoverBound,
    run: async (step) => {
      const { cluster } = step.ctx;
      const tiebreaker = cluster.members.find((m) => !m.holdsData)!;
      const primary = await cluster.settled(30);
      await step.underLoad('drill:sentinel-quorum', async () => {
        step.ctx.progress(`killing ${tiebreaker.name}'s sentinel`);
        await cluster.kill(tiebreaker, 'sentinel');
        await sleep(step.ctx.settings.downAfterMilliseconds + 1000);
        step.check((await cluster.primaryBySentinels()) === primary.ip, `the primary changed when only ${tiebreaker.name} was lost`);
        step.check(step.failedSoFar === 0, `${step.failedSoFar} write(s) failed while only ${tiebreaker.name} was lost`);
        step.ctx.progress(`killing the primary ${primary.name} with two sentinels left`);
        await cluster.kill(primary, 'redis');
        const promoted = await awaitPromotion(step, primary);
        step.notes.push(`two sentinels promoted ${promoted.name}`);
        await sleep(1000);
      });
      step.notes.push(`writes failed for ${step.load.unavailableSeconds.toFixed(1)} s`);
    },
  },

  partition: {
    title: 'Partition the primary (SIGSTOP beyond down-after), then let it return',
    bound: failoverBound,
    run: async (step) => {
      const { cluster } = step.ctx;
      const primary = await cluster.settled(30);
      // An application on the primary's side of the partition, connected to it directly: its writes
      // wait in the socket while the primary is cut off and run when it returns, before it is demoted.
      const direct = await connectTo(cluster, primary, { commandTimeout: undefined, enableOfflineQueue: true });
      const isolatedKeys = Array.from({ length: 20 }, (_, i) => `drill:partition:isolated:${i}`);
      let accepted: string[] = [];
      await step.underLoad('drill:partition', async () => {
        step.ctx.progress(`freezing the primary ${primary.name} (SIGSTOP)`);
        await cluster.freeze(primary, 'redis');
        const replies = isolatedKeys.map((key) => direct.set(key, key).then(() => key));
        try {
          const promoted = await awaitPromotion(step, primary);
          step.notes.push(`sentinels promoted ${promoted.name}`);
          await sleep(1000);
        } finally {
          step.ctx.progress(`thawing ${primary.name} (SIGCONT)`);
          await cluster.thaw(primary, 'redis');
        }
        accepted = (await Promise.allSettled(replies)).flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        await waitFor(`${primary.name} to rejoin as a replica`, 60, async () => {
          const info = await cluster.redis(primary, 'INFO', 'replication');
          return info.includes('role:slave') && info.includes('master_link_status:up');
        });
      });
      direct.disconnect();
      const lostIsolated = await missingKeys(cluster, await cluster.namedPrimary(10), accepted);
      step.notes.push(
        `the isolated primary accepted ${accepted.length} of ${isolatedKeys.length} direct write(s) sent to it while cut off; ` +
          `${lostIsolated.length} of them were lost when it rejoined as a replica (min-replicas-to-write ${step.ctx.settings.minReplicasToWrite})`,
        `through the portals: writes failed for ${step.load.unavailableSeconds.toFixed(1)} s; ${step.lostUnconfirmed} unconfirmed write(s) lost`,
      );
    },
  },

  'power-cycle': {
    title: 'Power cycle: every process killed, all started at once',
    bound: () => 0,
    run: async (step) => {
      const { cluster, settings } = step.ctx;
      step.ctx.progress('killing every process');
      await Promise.all(cluster.processes.map((child) => cluster.signal(child, 'SIGKILL')));
      const order = shuffle([
        ...cluster.members.map((m) => () => cluster.start(m, 'sentinel')),
        ...cluster.dataMembers.map((m) => () => cluster.start(m, 'redis')),
        ...cluster.portals.map((p) => () => cluster.startPortal(p)),
      ]);
      step.ctx.progress('starting every process at once, in random order');
      for (const start of order) start();
      // The entrypoints wait up to 30 s for a sentinel to name the primary.
      await cluster.settled(90);
      // Watch long enough for sentinels to notice and act on a second primary.
      const watchUntil = Date.now() + 2 * settings.downAfterMilliseconds;
      let most = 0;
      while (Date.now() < watchUntil) {
        const primaries = await cluster.primaries();
        most = Math.max(most, primaries.length);
        step.check(primaries.length <= 1, `two primaries at once after the power cycle: ${primaries.map((m) => m.name).join(', ')}`);
        await sleep(200);
      }
      const after = await cluster.primaries();
      step.check(after.length === 1, `${after.length} primaries after the power cycle, expected exactly one`);
      step.notes.push(`exactly one primary (${after.map((m) => m.name).join(', ')}) throughout ${(2 * settings.downAfterMilliseconds) / 1000} s of watching`);
      await step.underLoad('drill:power-cycle', async () => undefined);
    },
  },

  'rolling-restart': {
    title: 'Rolling restart of every member and portal, one at a time',
    bound: () => 0,
    run: async (step) => {
      const { cluster } = step.ctx;
      await step.underLoad('drill:rolling-restart', async () => {
        const primary = await cluster.settled(30);
        // The primary last, as its hand-over is the one clients can notice.
        const ordered = [...cluster.members.filter((m) => m !== primary), primary];
        for (const member of ordered) await restartMember(step, member);
        for (const portal of cluster.portals) {
          step.ctx.progress(`restarting ${portal.name}`);
          await cluster.killPortal(portal, 'SIGTERM');
          cluster.startPortal(portal);
          await waitFor(`${portal.name} to route to the primary`, 30, async () => (await cluster.viaPortal(portal, 'admin', 'PING')) === 'PONG');
        }
      });
      step.notes.push('every member and portal restarted as its pod would be');
    },
  },
};

/** As the kubelet does on a rolling update: pre-stop hook, SIGTERM, a new container, until ready. */
async function restartMember(step: Step, member: LocalMember): Promise<void> {
  const { cluster } = step.ctx;
  step.ctx.progress(`restarting ${member.name}`);
  if (member.holdsData) {
    const hook = await cluster.runScript(member, scriptNames.stopRedis);
    if (hook.output.trim()) step.notes.push(`${member.name} pre-stop: ${hook.output.trim().split('\n').pop()!.replace(/^\S+ /, '')}`);
    await cluster.kill(member, 'redis', 'SIGTERM');
  }
  await cluster.kill(member, 'sentinel', 'SIGTERM');
  cluster.start(member, 'sentinel');
  if (member.holdsData) cluster.start(member, 'redis');
  await waitFor(`${member.name} to be ready`, 90, async () => {
    if ((await cluster.runScript(member, scriptNames.probeSentinel)).code !== 0) return false;
    return !member.holdsData || (await cluster.runScript(member, scriptNames.probeRedis, 'ready')).code === 0;
  });
  await cluster.settled(60);
}

/** Waits for the sentinels to name a primary other than `old`, within the scenario's bound. */
async function awaitPromotion(step: Step, old: LocalMember): Promise<LocalMember> {
  const { cluster } = step.ctx;
  const ip = await waitFor(`the sentinels to promote a replica of ${old.name}`, step.boundSeconds, async () => {
    const named = await cluster.primaryBySentinels();
    return named && named !== old.ip ? named : undefined;
  });
  return cluster.member(ip);
}

/** True when the listener answers a plaintext PING (it must not: TLS only). */
function answersPlaintext(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host, port });
    let received = '';
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(2000, () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (received.includes('+PONG') || received.includes('-NOAUTH')) done(true);
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(/\+PONG|-NOAUTH/.test(received)));
  });
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Runs one scenario and sums it up; an exception (a timeout, a process that would not start) fails it. */
export async function runScenario(ctx: DrillContext, id: ScenarioId): Promise<ScenarioResult> {
  const scenario = scenarios[id];
  const step = new Step(ctx, scenario.bound(ctx.settings));
  try {
    await scenario.run(step);
  } catch (error) {
    step.problems.push((error as Error).message);
  }
  const { load } = step;
  if (step.boundSeconds === 0) {
    step.check(load.failed === 0, `${load.failed} write(s) failed after a client's retries`);
  } else {
    step.check(load.unavailableSeconds <= step.boundSeconds, `writes failed for ${load.unavailableSeconds.toFixed(1)} s, more than the ${step.boundSeconds} s bound`);
  }
  return {
    id,
    title: scenario.title,
    unavailableSeconds: Math.round(load.unavailableSeconds * 10) / 10,
    boundSeconds: step.boundSeconds,
    attempted: load.attempted,
    confirmed: load.replicated.length,
    unconfirmed: load.written.length,
    failed: load.failed,
    lostConfirmed: step.lostConfirmed,
    lostUnconfirmed: step.lostUnconfirmed,
    passed: step.problems.length === 0,
    problems: step.problems,
    notes: step.notes,
  };
}

/** Whether scenario `id` starts from the state `previous` left (rather than from a whole cluster). */
export function continues(id: ScenarioId, previous: ScenarioId): boolean {
  return scenarios[id].after === previous;
}

/** The scenarios to run for a selection, in order, with the ones they start from. */
export function plan(selected: readonly ScenarioId[]): ScenarioId[] {
  const wanted = new Set(selected);
  for (const id of selected) {
    const after = scenarios[id].after;
    if (after) wanted.add(after);
  }
  return scenarioIds.filter((id) => wanted.has(id));
}
