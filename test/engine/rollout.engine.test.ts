import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../../src/drill/cluster.js';
import { findDeployment, renderForLocalCluster } from '../../src/drill/drill.js';
import { keysMissingOn } from '../../src/drill/redis-clients.js';
import { WriteLoad, type WriteLoadResult } from '../../src/drill/write-load.js';
import { redisGitops } from '../support/programs.js';
import { git } from './argocd.js';
import { auditedWrites } from './audit.js';
import { type Engine, applyBootstrap, expectedApplications, startEngine, waitForApplications } from './engine.js';
import { until } from './kube.js';
import { MemberKubelet } from './kubelet.js';

/**
 * Day 2 as Argo CD performs it, on real members: the orders deployment's member pods and its rollout
 * Job run on real redis-server, redis-sentinel and python3 processes (MemberKubelet plays their
 * kubelet; every other pod is kwok's), so the order in which the rollout Job deletes pods, the
 * hand-over, and what clients writing through the portals see, are those of the real programs under
 * the real control plane and Argo CD. Each change class is one commit, synthesized as a user does.
 */
const DEPLOYMENT = 'orders';
const NAMESPACE = 'redis-orders';

describe('day 2 on the real engine: every change rolls out one member at a time, the primary last', () => {
  let engine: Engine;
  let cluster: LocalCluster;
  let kubelet: MemberKubelet;
  const figures: Record<string, object> = {};

  beforeAll(async () => {
    engine = await startEngine({ cluster: 'example', sealingKey: 'clusters/example.sealing-key.TEST-ONLY-DO-NOT-USE.pem', realDeployment: DEPLOYMENT, syncTimeoutSeconds: 600 });
    cluster = await LocalCluster.create(await renderForLocalCluster(engine.repo, await findDeployment(engine.repo, DEPLOYMENT)), '127.0.41');
    kubelet = new MemberKubelet(engine.cp, cluster, { deployment: DEPLOYMENT, namespace: NAMESPACE }).start();
    // The portals stay kwok's in the cluster; clients reach the members through local ones, as in the drill.
    for (const p of cluster.portals) cluster.startPortal(p);
    applyBootstrap(engine);
    await waitForApplications(engine, expectedApplications(engine), head(), 300_000);
  });
  afterAll(async () => {
    if (engine) writeFileSync(path.join(engine.dir, 'rollout-figures.json'), JSON.stringify({ figures, events: kubelet?.events, rollouts: kubelet?.rollouts }, null, 1));
    await kubelet?.stop();
    await cluster?.stop(!!process.env.ENGINE_KEEP);
    await engine?.stop();
  });

  it('day 1: the members start on real processes, and the rollout Job finds nothing to restart', async () => {
    await cluster.settled(60);
    const [run] = kubelet.rollouts;
    expect(run?.exitCode, run?.output).toBe(0);
    expect(run?.output).toContain('nothing to restart');
  });

  /**
   * Commits an edit of the deployment file (synth, as a user does), waits for Argo CD to sync it and
   * for the rollout Job it runs, under a write load through the portals; returns what happened.
   */
  async function rollOut(label: string, edit: (text: string) => string) {
    const file = path.join(engine.repo, 'deployments', `${DEPLOYMENT}.yaml`);
    writeFileSync(file, edit(readFileSync(file, 'utf8')));
    const synth = await redisGitops(engine.repo, 'synth');
    expect(synth.code, synth.stderr).toBe(0);
    const primaryBefore = (await cluster.settled(30)).name;
    const since = new Date().toISOString();
    const runsBefore = kubelet.rollouts.length;
    const eventsBefore = kubelet.events.length;
    const load = new WriteLoad(cluster, `rollout:${label}`).start();
    git(engine.repo, 'add', '-A');
    git(engine.repo, 'commit', '--quiet', '-m', label);
    await waitForApplications(engine, [`redis-example-${DEPLOYMENT}`], head(), 600_000);
    await until('the rollout Job to finish', 60_000, () => (kubelet.rollouts.length > runsBefore ? true : undefined));
    const result: WriteLoadResult = await load.stop();
    const run = kubelet.rollouts.at(-1)!;
    const primaryAfter = (await cluster.settled(30)).name;
    // The rollout's own deletions, as the API server recorded them (its user agent names it).
    const deleted = auditedWrites(engine.cp.auditLog)
      .filter((w) => w.agent === 'redis-gitops-rollout' && w.verb === 'delete' && w.at >= since)
      .map((w) => w.name);
    const events = kubelet.events.slice(eventsBefore).map((e) => `${e.what} ${e.member}`);
    const missing = (await Promise.all(cluster.dataMembers.map((m) => keysMissingOn(cluster, m, result.replicated)))).flat();
    figures[label] = {
      deleted,
      primaryBefore,
      primaryAfter,
      writes: result.attempted,
      replicated: result.replicated.length,
      failed: result.failed,
      unavailableSeconds: result.unavailableSeconds,
      missingConfirmed: missing.length,
    };
    console.log(`${label}: ${JSON.stringify(figures[label])}\n${run.output}`);
    return { run, deleted, events, primaryBefore, primaryAfter, result, missing };
  }

  it('a redis setting (evictionPolicy): the replica, then the primary after handing its role over; the tie-breaker stays', async () => {
    const r = await rollOut('config edit', (t) => t.replace('evictionPolicy: noeviction', 'evictionPolicy: allkeys-lru'));
    expect(r.run.exitCode, r.run.output).toBe(0);
    const replica = r.primaryBefore === 'data-0' ? 'data-1' : 'data-0';
    expect(r.deleted).toEqual([`${DEPLOYMENT}-${replica}-0`, `${DEPLOYMENT}-${r.primaryBefore}-0`]);
    expect(r.events).toEqual([`stopped ${replica}`, `started ${replica}`, `ready ${replica}`, `stopped ${r.primaryBefore}`, `started ${r.primaryBefore}`, `ready ${r.primaryBefore}`]);
    // One hand-over: the old replica is the primary now.
    expect(r.primaryAfter).toBe(replica);
    for (const m of cluster.dataMembers) expect(await cluster.redis(m, 'CONFIG', 'GET', 'maxmemory-policy'), m.name).toBe('maxmemory-policy\nallkeys-lru');
    expect(r.missing, 'writes confirmed with WAIT 1 and lost').toEqual([]);
    expect(r.result.failed, 'writes that failed after every retry').toBe(0);
  });

  it('a sentinel setting: the tie-breaker first, then the replica, then the primary', async () => {
    const r = await rollOut('sentinel setting', (t) => t.replace('persistence:', 'sentinel:\n  downAfterMilliseconds: 4000\npersistence:'));
    expect(r.run.exitCode, r.run.output).toBe(0);
    const replica = r.primaryBefore === 'data-0' ? 'data-1' : 'data-0';
    expect(r.deleted).toEqual([`${DEPLOYMENT}-tiebreaker-0`, `${DEPLOYMENT}-${replica}-0`, `${DEPLOYMENT}-${r.primaryBefore}-0`]);
    expect(r.primaryAfter).toBe(replica);
    for (const m of cluster.members) expect(await cluster.sentinel(m, 'SENTINEL', 'MASTER', DEPLOYMENT), m.name).toMatch(/down-after-milliseconds\n4000/);
    expect(r.missing).toEqual([]);
    expect(r.result.failed).toBe(0);
  });

  it('a new service user (the ACL file): the data members only, the replica first', async () => {
    const r = await rollOut('service user', (t) => t.replace('    - user: orders-reporting', '    - user: orders-audit\n      role: Reader\n    - user: orders-reporting'));
    expect(r.run.exitCode, r.run.output).toBe(0);
    const replica = r.primaryBefore === 'data-0' ? 'data-1' : 'data-0';
    expect(r.deleted).toEqual([`${DEPLOYMENT}-${replica}-0`, `${DEPLOYMENT}-${r.primaryBefore}-0`]);
    expect(r.primaryAfter).toBe(replica);
    expect(r.missing).toEqual([]);
    expect(r.result.failed).toBe(0);
  });

  it('a platform grant: nothing restarts', async () => {
    const r = await rollOut('platform grant', (t) => t.replace('    - group: platform-admins', '    - group: orders-oncall\n      role: Viewer\n    - group: platform-admins'));
    expect(r.run.exitCode, r.run.output).toBe(0);
    expect(r.run.output).toContain('nothing to restart');
    expect(r.deleted).toEqual([]);
    expect(r.primaryAfter).toBe(r.primaryBefore);
  });

  function head(): string {
    return git(engine.repo, 'rev-parse', 'HEAD').trim();
  }
});
