import path from 'node:path';
import type { Redis, RedisOptions } from 'ioredis';
import { LocalBackups } from './backup-run.js';
import { LocalS3 } from './s3-server.js';
import type { LocalCluster, LocalMember } from './cluster.js';
import type { ConfirmedWrites } from './confirmed-writes.js';
import { cutSentinels, isolate, underPartition, type Observer, type PartitionFigures } from './partition-run.js';
import { connectToMember, keysMissingOn } from './redis-clients.js';
import type { ScenarioId } from './scenarios/index.js';
import type { Scenario } from './scenarios/scenario.js';
import type { RolloutReplayFigures, RolloutReplayId } from './rollout-replay.js';
import { sleep } from './waits.js';
import { WriteLoad, type WriteLoadResult } from './write-load.js';

/** Port of the backup scenario's S3 server, on its own loopback address. */
const S3_PORT = 9000;

/** One scenario's line of the report (`--format json` prints these as they are). */
export interface ScenarioResult {
  id: ScenarioId | RolloutReplayId;
  /** The scenario's one-line description. */
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
  /** Why the scenario did not run (it needs what this machine cannot give); it then counts as passed. */
  skipped?: string;
  /** A partition scenario's figures: portal and direct clients, stale-routed writes, time with two primaries. */
  partition?: PartitionFigures;
  /** A recorded rollout's replay (drill --rollout): the order, primary changes, hand-over, direct writes. */
  rollout?: RolloutReplayFigures;
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

/** What the scenarios of one drill share: the cluster, the settings and the ledger of confirmed writes. */
export interface DrillContext {
  cluster: LocalCluster;
  settings: DrillSettings;
  confirmedWrites: ConfirmedWrites;
  progress: (message: string) => void;
  /** Why the cluster runs without network namespaces (the partition scenarios are then skipped). */
  namespacesUnavailable?: string;
}

/** The run of one scenario, filled in as it goes: what a scenario's `run` is handed. */
export class ScenarioRun {
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  /** What the write load saw (empty until `underWriteLoad` returns). */
  load: WriteLoadResult = { attempted: 0, replicated: [], written: [], failed: 0, unavailableSeconds: 0 };
  lostConfirmed = 0;
  lostUnconfirmed = 0;
  partitionFigures: PartitionFigures | undefined;
  /** The observer's timeline of the last partition (sentinel majority, roles), for a scenario's own checks. */
  lastObserver: Observer | undefined;
  private running: WriteLoad | undefined;

  constructor(
    private readonly drill: DrillContext,
    /** Seconds this scenario may leave writes failing; 0: no write may fail beyond a client's retries. */
    readonly boundSeconds: number,
  ) {}

  get cluster(): LocalCluster {
    return this.drill.cluster;
  }

  get settings(): DrillSettings {
    return this.drill.settings;
  }

  get confirmedWrites(): ConfirmedWrites {
    return this.drill.confirmedWrites;
  }

  progress(message: string): void {
    this.drill.progress(message);
  }

  /** Writes of the running load that failed so far. */
  get failedSoFar(): number {
    return this.running?.failed ?? this.load.failed;
  }

  check(ok: boolean, problem: string): void {
    if (!ok) this.problems.push(problem);
  }

  note(...lines: string[]): void {
    this.notes.push(...lines);
  }

  /**
   * Runs `body` under a write load through the portals, records the writes it confirmed, then checks
   * that the primary holds every confirmed write of the drill so far.
   */
  async underWriteLoad(prefix: string, body: () => Promise<void>): Promise<void> {
    const load = new WriteLoad(this.cluster, prefix).start();
    this.running = load;
    try {
      await sleep(1000);
      await body();
      await sleep(1000);
    } finally {
      this.load = await load.stop();
      this.running = undefined;
    }
    this.confirmedWrites.record(this.load.replicated);
    const primary = await this.cluster.namedPrimary(this.boundSeconds + 30);
    const lost = await this.confirmedWrites.missingOn(primary);
    this.lostConfirmed = lost.length;
    this.check(lost.length === 0, `${lost.length} confirmed write(s) missing on the primary ${primary.name}, first ${lost[0]}`);
    this.lostUnconfirmed = (await keysMissingOn(this.cluster, primary, this.load.written)).length;
  }

  /**
   * Runs `inject` (which cuts links with `cut`) under writes through the portals and writes straight to
   * the primary from inside its partition, heals every cut, waits for one primary that both portals
   * route to, and checks: no confirmed write lost, nothing stale-routed later than 1 s after the
   * sentinel majority moved, exactly one primary. Needs the cluster's network namespaces.
   */
  async underPartition(prefix: string, inject: (primary: LocalMember, cut: PartitionCuts) => Promise<void>): Promise<void> {
    const { network } = this.cluster;
    if (!network) throw new Error('a partition needs network namespaces');
    const primary = await this.cluster.settled(30);
    const cuts: PartitionCuts = {
      isolate: (node) => isolate(this.cluster, network, node),
      cutSentinels: (member) => cutSentinels(this.cluster, network, member),
      heal: () => network.heal(),
    };
    const context = { cluster: this.cluster, network, primary, progress: (m: string) => this.progress(m), failoverSeconds: this.boundSeconds || 65 };
    const outcome = await underPartition(context, prefix, () => inject(primary, cuts));
    this.load = outcome.portalLoad;
    this.confirmedWrites.record(outcome.portalLoad.replicated);
    this.partitionFigures = outcome.figures;
    this.lastObserver = outcome.observer;
    this.lostConfirmed = outcome.figures.portal.lostConfirmed + outcome.figures.direct.lostConfirmed;
    this.lostUnconfirmed = outcome.figures.portal.lost - outcome.figures.portal.lostConfirmed;
    this.problems.push(...outcome.problems);
    this.notes.push(...outcome.notes);
    const lost = await this.confirmedWrites.missingOn(outcome.finalPrimary);
    this.check(lost.length === 0, `${lost.length} confirmed write(s) of the drill missing on the primary ${outcome.finalPrimary.name}, first ${lost[0]}`);
  }

  /**
   * The backup CronJob's pod and the restore init container on this machine, against an S3 server
   * started on the cluster's S3 address (its bucket created): for the backup scenario. The caller
   * stops the server and cleans up.
   */
  async startBackups(): Promise<{ backups: LocalBackups; s3: LocalS3 }> {
    const rendered = this.cluster.rendered.backup;
    if (!rendered) throw new Error(`deployment ${this.cluster.rendered.id.deployment} declares no backup: (nothing to drill)`);
    const s3 = new LocalS3(this.cluster.s3.ip, S3_PORT, path.join(this.cluster.dir, 's3'), this.cluster.s3, LocalBackups.regionOf(rendered));
    await s3.start();
    const backups = new LocalBackups(this.cluster, rendered, s3, path.join(this.cluster.dir, 'backup-pod'));
    s3.createBucket(backups.bucketPath.bucket);
    return { backups, s3 };
  }

  /** A ready admin connection straight to a member's redis, bypassing the portals. */
  connectToMember(member: LocalMember, options: RedisOptions = {}): Promise<Redis> {
    return connectToMember(this.cluster, member, options);
  }

  /** Keys of `keys` that `member` does not hold. */
  keysMissingOn(member: LocalMember, keys: readonly string[]): Promise<string[]> {
    return keysMissingOn(this.cluster, member, keys);
  }
}

/** The cuts a partition scenario makes (each heals with `heal`, and all heal at the end of the partition). */
export interface PartitionCuts {
  /** Cuts every link of a member or portal (by name) to every other member and portal. */
  isolate(node: string): void;
  /** Cuts a member's links to the other sentinels, leaving redis to redis and the portals. */
  cutSentinels(member: LocalMember): void;
  heal(): void;
}

/** Runs one scenario and sums it up; an exception (a timeout, a process that would not start) fails it. */
export async function runScenario(drill: DrillContext, scenario: Scenario<ScenarioId | RolloutReplayId> & { figures?: RolloutReplayFigures }): Promise<ScenarioResult> {
  const run = new ScenarioRun(drill, scenario.bound(drill.settings));
  const skipped =
    (scenario.needsNamespaces && drill.namespacesUnavailable) ||
    (scenario.needsBackup && !drill.cluster.rendered.backup ? `deployment ${drill.cluster.rendered.id.deployment} has no backup: in its file` : undefined);
  if (skipped) {
    return {
      id: scenario.id, title: scenario.description, unavailableSeconds: 0, boundSeconds: run.boundSeconds, attempted: 0, confirmed: 0, unconfirmed: 0,
      failed: 0, lostConfirmed: 0, lostUnconfirmed: 0, passed: true, skipped, problems: [], notes: [],
    };
  }
  try {
    await scenario.perform(run);
  } catch (error) {
    run.problems.push((error as Error).message);
  }
  const { load } = run;
  run.check(!load.endedUnavailable, `writes were still failing when the scenario ended (for ${load.unavailableSeconds.toFixed(1)} s)`);
  if (run.boundSeconds === 0) {
    run.check(load.failed === 0, `${load.failed} write(s) failed after a client's retries`);
  } else {
    run.check(load.unavailableSeconds <= run.boundSeconds, `writes failed for ${load.unavailableSeconds.toFixed(1)} s, more than the ${run.boundSeconds} s bound`);
  }
  return {
    id: scenario.id,
    title: scenario.description,
    unavailableSeconds: Math.round(load.unavailableSeconds * 10) / 10,
    boundSeconds: run.boundSeconds,
    attempted: load.attempted,
    confirmed: load.replicated.length,
    unconfirmed: load.written.length,
    failed: load.failed,
    lostConfirmed: run.lostConfirmed,
    lostUnconfirmed: run.lostUnconfirmed,
    passed: run.problems.length === 0,
    ...(run.partitionFigures ? { partition: run.partitionFigures } : {}),
    ...(scenario.figures ? { rollout: scenario.figures } : {}),
    problems: run.problems,
    notes: run.notes,
  };
}
