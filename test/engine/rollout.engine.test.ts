import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../../src/drill/cluster.js';
import { findDeployment, renderForLocalCluster } from '../../src/drill/drill.js';
import { type MemberRole, type RecordedRollout, readRecordedRollout } from '../../src/drill/recorded-rollout.js';
import { keysMissingOn } from '../../src/drill/redis-clients.js';
import { WriteLoad, type WriteLoadResult } from '../../src/drill/write-load.js';
import { redisGitops } from '../support/programs.js';
import { projectRoot } from '../support/repo.js';
import { ARGOCD_NAMESPACE, git } from './argocd.js';
import { type OperationState, auditedWrites, operationsOf, refusedWrites } from './audit.js';
import { type Engine, applyBootstrap, expectedApplications, startEngine, waitForApplications } from './engine.js';
import { until } from './kube.js';
import { MemberKubelet } from './kubelet.js';

/**
 * Day 2 as Argo CD performs it, on real members: the orders deployment's member pods and its rollout
 * Job run on real valkey-server, valkey-sentinel and python3 processes (MemberKubelet plays their
 * kubelet, starting the build each pod's image names; every other pod is kwok's), so the order in
 * which the rollout Job deletes pods, the hand-over, and what clients writing through the portals
 * see, are those of the real programs under the real control plane and Argo CD. Each change class is
 * one commit, made as a user makes it (an edit and synth, or the rotate command).
 *
 * Each class's order (pods deleted, members stopped, started and ready, by their role when the
 * rollout began) is compared with test/engine/recorded/<class>.json, which the drill replays on real
 * processes (`drill --rollout`): a change of behaviour fails here until the file is regenerated
 * (RECORD=1) and committed, and the drill then replays the new order.
 */
const DEPLOYMENT = 'orders';
const NAMESPACE = 'redis-orders';
const APPLICATION = `redis-example-${DEPLOYMENT}`;
const RECORDED = path.join(projectRoot, 'test', 'engine', 'recorded');
const RECORD = process.env.RECORD === '1';
/** The deployment runs Valkey 8.1 here (the default line), so that it can be upgraded to 9.1 at the end. */
const FROM_LINE = 'engine: valkey\n  version: "8.1"';

describe('day 2 on the real engine: every change rolls out one member at a time, the primary last', () => {
  let engine: Engine;
  let cluster: LocalCluster;
  let kubelet: MemberKubelet;
  const figures: Record<string, object> = {};

  beforeAll(async () => {
    engine = await startEngine({
      cluster: 'example',
      sealingKey: 'clusters/example.sealing-key.TEST-ONLY-DO-NOT-USE.pem',
      realDeployment: DEPLOYMENT,
      syncTimeoutSeconds: 600,
      prepare: (repo) => edit(repo, (t) => t.replace(/engine: redis\n {2}version: "8\.6"/, FROM_LINE)),
    });
    cluster = await LocalCluster.create(await renderForLocalCluster(engine.repo, await findDeployment(engine.repo, DEPLOYMENT)), '127.0.41');
    kubelet = new MemberKubelet(engine.cp, cluster, { deployment: DEPLOYMENT, namespace: NAMESPACE }).start();
    // The portals stay kwok's in the cluster; clients reach the members through local ones, as in the drill.
    for (const p of cluster.portals) cluster.startPortal(p);
    applyBootstrap(engine);
    await explained(waitForApplications(engine, expectedApplications(engine), head(), 300_000));
  });
  afterAll(async () => {
    if (engine) writeFileSync(path.join(engine.dir, 'rollout-figures.json'), JSON.stringify({ figures, events: kubelet?.events, rollouts: kubelet?.rollouts }, null, 1));
    if (Object.keys(figures).length) console.log(`figures:\n${JSON.stringify(figures, null, 1)}`);
    await kubelet?.stop();
    await cluster?.stop(!!process.env.ENGINE_KEEP);
    await engine?.stop();
  });

  it('day 1: the members start on real processes of the build their image names, and the rollout Job finds nothing to restart', async () => {
    await cluster.settled(60);
    const [run] = kubelet.rollouts;
    expect(run?.exitCode, run?.output).toBe(0);
    expect(run?.output).toContain('nothing to restart');
    expect(kubelet.problems).toEqual([]);
    expect(kubelet.events.filter((e) => e.what === 'started').map((e) => e.build)).toEqual(['valkey 8.1.1', 'valkey 8.1.1', 'valkey 8.1.1']);
  });

  /** A commit as a user makes it: an edit of the deployment file then synth, or a command of the CLI. */
  type Change = { edit: (text: string) => string } | { command: string[] };

  /**
   * Commits a change, waits for Argo CD to sync it and for the rollout Job it runs, under a write
   * load through the portals; checks that nothing was refused (Argo CD's sync result, the API
   * server's audit log) and compares the order with the recorded one; returns what happened.
   */
  async function rollOut(klass: string, description: string, change: Change) {
    if ('edit' in change) edit(engine.repo, change.edit);
    else {
      const command = await redisGitops(engine.repo, ...change.command);
      expect(command.code, command.stderr).toBe(0);
    }
    // rotate writes dist/ itself; synth then finds nothing more to do, as the README's steps say.
    const synth = await redisGitops(engine.repo, 'synth');
    expect(synth.code, synth.stderr).toBe(0);
    const primaryBefore = (await cluster.settled(30)).name;
    const roleOf = (member: string): MemberRole => (member === 'tiebreaker' ? 'tiebreaker' : member === primaryBefore ? 'primary' : 'replica');
    const buildBefore = `${cluster.programsOf(cluster.member(primaryBefore)).engine} ${cluster.programsOf(cluster.member(primaryBefore)).version}`;
    const since = new Date().toISOString();
    const runsBefore = kubelet.rollouts.length;
    const eventsBefore = kubelet.events.length;
    const load = new WriteLoad(cluster, `rollout:${klass}`).start();
    git(engine.repo, 'add', '-A');
    git(engine.repo, 'commit', '--quiet', '-m', `${klass}: ${description}`);
    const revision = head();
    await explained(waitForApplications(engine, [APPLICATION], revision, 600_000));
    await explained(until('the rollout Job to finish', 60_000, () => (kubelet.rollouts.length > runsBefore ? true : undefined)));
    const result: WriteLoadResult = await load.stop();
    const run = kubelet.rollouts.at(-1)!;
    const primaryAfter = (await cluster.settled(30)).name;

    // Nothing refused: Argo CD's result for each resource and hook of this revision's syncs, and every
    // write the API server turned down since the commit (dry runs included; a lost race, 409, and a
    // delete of what is gone, 404, are how controllers work, not refusals). The syncs are read from
    // the audit log: the Application keeps only its last, and a self-heal right after the sync (a
    // resource Argo CD's cache saw out of sync for a moment) applies only that resource, runs no hook,
    // and replaces the sync's results.
    const syncs = operationsOf(engine.cp.auditLog, ARGOCD_NAMESPACE, APPLICATION).filter((o) => o.syncResult?.revision === revision);
    const [sync, ...more] = syncs.filter((o) => !o.operation?.sync?.resources?.length);
    expect(more, 'one full sync of the revision').toEqual([]);
    expect(sync?.phase, sync?.message).toBe('Succeeded');
    type Result = NonNullable<NonNullable<OperationState['syncResult']>['resources']>[number];
    // A resource's status is Synced (applied) or SyncFailed; a hook (the rollout Job) has no status, its phase says how it ended.
    const hooks = (sync?.syncResult?.resources ?? []).filter((r) => r.hookType);
    expect(hooks.map((r) => `${r.kind}/${r.name} ${r.hookPhase}`)).toEqual(['Job/orders-rollout Succeeded']);
    const failed = syncs.flatMap((o) => o.syncResult?.resources ?? []).filter((r: Result) => (r.hookType ? r.hookPhase !== 'Succeeded' : r.status !== 'Synced') || ['Failed', 'Error'].includes(r.hookPhase ?? ''));
    expect(failed.map((r) => `${r.kind}/${r.name}: ${r.status} ${r.hookPhase ?? ''} ${r.message ?? ''}`)).toEqual([]);
    const selfHealed = syncs.flatMap((o) => (o.operation?.sync?.resources ?? []).map((r) => `${r.kind}/${r.name}`));
    const refused = refusedWrites(engine.cp.auditLog).filter((w) => w.at >= since && ['create', 'update', 'patch', 'delete'].includes(w.verb) && ![404, 409].includes(w.code));
    expect(refused.map((w) => `${w.verb} ${w.resource}/${w.name} by ${w.agent}: ${w.code}${w.dryRun ? ' (dry run)' : ''}`)).toEqual([]);
    expect(kubelet.problems).toEqual([]);

    // The rollout's own deletions, as the API server recorded them (its user agent names it).
    const deleted = auditedWrites(engine.cp.auditLog)
      .filter((w) => w.agent === 'redis-gitops-rollout' && w.verb === 'delete' && w.at >= since)
      .map((w) => w.name);
    const member = (pod: string) => pod.replace(new RegExp(`^${DEPLOYMENT}-(.*)-0$`), '$1');
    const recorded: RecordedRollout = {
      class: klass,
      change: description,
      from: buildBefore,
      deleted: deleted.map((pod) => roleOf(member(pod))),
      restarts: kubelet.events.slice(eventsBefore).map((e) => ({ member: roleOf(e.member), what: e.what, ...(e.build ? { build: e.build } : {}) })),
      primaryChanges: primaryAfter === primaryBefore ? 0 : 1,
    };
    const missing = (await Promise.all(cluster.dataMembers.map((m) => keysMissingOn(cluster, m, result.replicated)))).flat();
    figures[klass] = {
      deleted: recorded.deleted,
      primaryChanges: recorded.primaryChanges,
      writes: result.attempted,
      replicated: result.replicated.length,
      failed: result.failed,
      unavailableSeconds: result.unavailableSeconds,
      missingConfirmed: missing.length,
      ...(selfHealed.length ? { selfHealed } : {}),
    };
    console.log(`${klass}: ${JSON.stringify(figures[klass])}\n${run.output}`);
    expect(run.exitCode, run.output).toBe(0);
    expect(missing, 'writes confirmed with WAIT 1 and lost').toEqual([]);
    expect(result.failed, 'writes that failed after every retry').toBe(0);
    expect(recorded.primaryChanges).toBe(recorded.deleted.includes('primary') ? 1 : 0);
    compareWithRecorded(recorded);
    return { run, recorded, primaryBefore, primaryAfter };
  }

  /** The order of a full restart of the data members, and of all three: each member stopped, started, ready before the next. */
  const restarts = (roles: MemberRole[], build = 'valkey 8.1.1') => roles.flatMap((member) => [{ member, what: 'stopped' }, { member, what: 'started', build }, { member, what: 'ready' }]);
  const DATA: MemberRole[] = ['replica', 'primary'];
  const ALL: MemberRole[] = ['tiebreaker', 'replica', 'primary'];

  it('a redis setting (evictionPolicy): the replica, then the primary after handing its role over; the tie-breaker stays', async () => {
    const r = await rollOut('config-edit', 'redis.evictionPolicy noeviction → allkeys-lru', { edit: (t) => t.replace('evictionPolicy: noeviction', 'evictionPolicy: allkeys-lru') });
    expect(r.recorded.deleted).toEqual(DATA);
    expect(r.recorded.restarts).toEqual(restarts(DATA));
    for (const m of cluster.dataMembers) expect(await cluster.redis(m, 'CONFIG', 'GET', 'maxmemory-policy'), m.name).toBe('maxmemory-policy\nallkeys-lru');
  });

  it('a sentinel setting: the tie-breaker first, then the replica, then the primary', async () => {
    const r = await rollOut('sentinel-setting', 'sentinel.downAfterMilliseconds 5000 → 4000', { edit: (t) => t.replace('persistence:', 'sentinel:\n  downAfterMilliseconds: 4000\npersistence:') });
    expect(r.recorded.deleted).toEqual(ALL);
    for (const m of cluster.members) expect(await cluster.sentinel(m, 'SENTINEL', 'MASTER', DEPLOYMENT), m.name).toMatch(/down-after-milliseconds\n4000/);
  });

  it('a new service user (the ACL file): the data members only, the replica first', async () => {
    const r = await rollOut('service-user', 'access.service: a Reader orders-audit', { edit: (t) => t.replace('    - user: orders-reporting', '    - user: orders-audit\n      role: Reader\n    - user: orders-reporting') });
    expect(r.recorded.deleted).toEqual(DATA);
  });

  it('a platform grant: nothing restarts', async () => {
    const r = await rollOut('platform-grant', 'access.platform: a Viewer group orders-oncall', { edit: (t) => t.replace('    - group: platform-admins', '    - group: orders-oncall\n      role: Viewer\n    - group: platform-admins') });
    expect(r.run.output).toContain('nothing to restart');
    expect(r.recorded.deleted).toEqual([]);
    expect(r.recorded.restarts).toEqual([]);
  });

  it('memory: the data members, the replica first, and both take the new maxmemory', async () => {
    const before = await cluster.redis(cluster.dataMembers[0]!, 'CONFIG', 'GET', 'maxmemory');
    const r = await rollOut('memory', 'redis.memory 2Gi → 3Gi', { edit: (t) => t.replace('memory: 2Gi', 'memory: 3Gi') });
    expect(r.recorded.deleted).toEqual(DATA);
    const after = await Promise.all(cluster.dataMembers.map((m) => cluster.redis(m, 'CONFIG', 'GET', 'maxmemory')));
    expect(after[0]).not.toBe(before);
    expect(after[1]).toBe(after[0]);
  });

  // Each rotation step is its own commit and sync, through the CLI as the README tells a user. The
  // members here run on the local cluster's own certificates and passwords (as in the drill); what
  // each step makes the servers accept is proven by test/rotation.process.test.ts on real processes.
  for (const step of ['start', 'switch', 'finish'] as const) {
    it(`CA rotation, ${step}: every member (their TLS files), the tie-breaker first, the primary last`, async () => {
      const r = await rollOut(`ca-${step}`, `redis-gitops rotate ${DEPLOYMENT} --what ca --step ${step}`, { command: ['rotate', DEPLOYMENT, '--what', 'ca', '--step', step] });
      expect(r.recorded.deleted).toEqual(ALL);
    });
  }
  for (const step of ['start', 'switch', 'finish'] as const) {
    // The sentinels log in with the new password only from `switch` on: start and finish leave the tie-breaker.
    const roles = step === 'switch' ? ALL : DATA;
    it(`password rotation, ${step}: ${roles.join(', ')}`, async () => {
      const r = await rollOut(`passwords-${step}`, `redis-gitops rotate ${DEPLOYMENT} --what passwords --step ${step}`, { command: ['rotate', DEPLOYMENT, '--what', 'passwords', '--step', step] });
      expect(r.recorded.deleted).toEqual(roles);
    });
  }

  it('an upgrade, Valkey 8.1 to 9.1: every member restarts on the 9.1 build, the replica before the primary; the primary changes once', async () => {
    const r = await rollOut('upgrade', 'redis.version valkey "8.1" → "9.1"', { edit: (t) => t.replace('version: "8.1"', 'version: "9.1"') });
    expect(r.recorded.deleted).toEqual(ALL);
    expect(r.recorded.restarts).toEqual(restarts(ALL, 'valkey 9.1.2'));
    for (const m of cluster.dataMembers) expect(await cluster.redis(m, 'INFO', 'server'), m.name).toMatch(/valkey_version:9\.1\.2/);
    expect(r.primaryAfter).not.toBe(r.primaryBefore);
  });

  it('and back, 9.1 to 8.1: refused by synth, naming the field and why, nothing written', async () => {
    const file = path.join(engine.repo, 'deployments', `${DEPLOYMENT}.yaml`);
    const text = readFileSync(file, 'utf8');
    edit(engine.repo, (t) => t.replace('version: "9.1"', 'version: "8.1"'));
    const synth = await redisGitops(engine.repo, 'synth');
    writeFileSync(file, text);
    expect(synth.code).toBe(2);
    expect(synth.stderr).toMatch(/redis\.version: refused: downgrades orders-data-0 from valkey 9\.1\.2 to 8\.1\.10: .*RDB format 80/);
    expect(git(engine.repo, 'status', '--porcelain')).toBe('');
  });

  function head(): string {
    return git(engine.repo, 'rev-parse', 'HEAD').trim();
  }

  /** A wait whose failure also says what the stand-in kubelet did and what its rollout script printed so far. */
  function explained<T>(wait: Promise<T>): Promise<T> {
    return wait.catch((error: Error) => {
      throw new Error(`${error.message}\n${kubelet.describe()}`, { cause: error });
    });
  }
});

function edit(repo: string, change: (text: string) => string): void {
  const file = path.join(repo, 'deployments', `${DEPLOYMENT}.yaml`);
  const text = readFileSync(file, 'utf8');
  const next = change(text);
  if (next === text) throw new Error(`${file}: the edit changed nothing`);
  writeFileSync(file, next);
}

/** The live order against test/engine/recorded/<class>.json; RECORD=1 writes it instead. */
function compareWithRecorded(live: RecordedRollout): void {
  const file = path.join(RECORDED, `${live.class}.json`);
  if (RECORD) {
    mkdirSync(RECORDED, { recursive: true });
    writeFileSync(file, `${JSON.stringify(live, null, 2)}\n`);
    return;
  }
  expect(existsSync(file), `${file} is missing: run the tier with RECORD=1 and commit it`).toBe(true);
  expect(live, `the live order differs from ${path.relative(projectRoot, file)}: if the change is meant, run the tier with RECORD=1 and commit the file`).toEqual(readRecordedRollout(file));
}
