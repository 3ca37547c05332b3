import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisGitops } from '../support/programs.js';
import { applications, git } from './argocd.js';
import { auditedWrites, refusedWrites } from './audit.js';
import { type Engine, applyBootstrap, expectedApplications, startEngine, waitForApplications } from './engine.js';
import { type KubeObject, until } from './kube.js';

/**
 * Day 2, a bigger `persistence.size`, on a real control plane and real Argo CD: the declared claims
 * grow (the cloud stand-in expands their volumes, as a CSI driver's resizer does) while the
 * StatefulSets, whose claim templates Kubernetes refuses to change, are left exactly as they are, and
 * every Application stays Synced and Healthy with no update refused.
 *
 * `orders` declares its claims from day 1; `sessions` starts as a generator before declared claims
 * left it (its claims made by the StatefulSet controller from the templates), so its growth is also
 * Argo CD taking over claims it did not create.
 */
describe('volumes grow online on the real engine (example cluster)', () => {
  let engine: Engine;
  let day1: string;
  const claims = {
    orders: ['data-orders-data-0-0', 'data-orders-data-1-0'],
    sessions: ['data-sessions-data-0-0', 'data-sessions-data-1-0'],
  };
  const statefulSets = ['orders-data-0', 'orders-data-1', 'orders-tiebreaker', 'sessions-data-0', 'sessions-data-1', 'sessions-tiebreaker'];
  const namespaceOf = (name: string) => `redis-${name.replace(/^data-/, '').split('-')[0]}`;
  const claim = (name: string) => engine.cp.kube.get(`/api/v1/namespaces/${namespaceOf(name)}/persistentvolumeclaims/${name}`);
  const statefulSet = (name: string) => engine.cp.kube.get(`/apis/apps/v1/namespaces/${namespaceOf(name)}/statefulsets/${name}`);

  beforeAll(async () => {
    engine = await startEngine({ cluster: 'example', sealingKey: 'clusters/example.sealing-key.TEST-ONLY-DO-NOT-USE.pem' });
    // What a generator before declared claims wrote for sessions: no claims beside the StatefulSets.
    const sessions = path.join(engine.repo, 'dist/example/sessions');
    const declared = readdirSync(sessions).filter((f) => f.startsWith('persistentvolumeclaim-'));
    expect(declared).toHaveLength(3);
    for (const f of declared) rmSync(path.join(sessions, f));
    git(engine.repo, 'commit', '--quiet', '-am', 'sessions as an earlier generator wrote it: claims left to the StatefulSets');
    day1 = git(engine.repo, 'rev-parse', 'HEAD').trim();
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it('day 1: every Application Synced and Healthy, every member claim bound at its declared size', async () => {
    applyBootstrap(engine);
    await waitForApplications(engine, expectedApplications(engine), day1);
    for (const name of [...claims.orders, ...claims.sessions]) {
      const c = await claim(name);
      expect(c.status.phase, name).toBe('Bound');
      expect(c.status.capacity.storage, name).toBe(name.includes('orders') ? '20Gi' : '5Gi');
    }
    // sessions' claims were made by the StatefulSet controller, orders' by Argo CD (a server-side apply: a patch).
    const first = new Map<string, string>();
    for (const w of auditedWrites(engine.cp.auditLog)) {
      if (w.resource === 'persistentvolumeclaims' && !w.subresource && !first.has(w.name)) first.set(w.name, `${w.name} ${w.agent} ${w.verb}`);
    }
    const creators = [...first.values()].sort();
    expect(creators).toEqual([
      'data-orders-data-0-0 argocd-application-controller patch',
      'data-orders-data-1-0 argocd-application-controller patch',
      'data-orders-tiebreaker-0 argocd-application-controller patch',
      'data-sessions-data-0-0 kube-controller-manager/statefulset-controller create',
      'data-sessions-data-1-0 kube-controller-manager/statefulset-controller create',
      'data-sessions-tiebreaker-0 kube-controller-manager/statefulset-controller create',
    ]);
  });

  it('a bigger persistence.size, committed, expands every data member\'s claim online; the StatefulSets are untouched; no update is refused', async () => {
    const before = new Map<string, KubeObject>();
    for (const name of statefulSets) before.set(name, await statefulSet(name));
    // A user's day 2: edit the deployment files, synth (the plan says what happens), commit.
    for (const [file, from, to] of [
      ['deployments/orders.yaml', 'size: 20Gi', 'size: 40Gi'],
      ['deployments/sessions.yaml', 'size: 5Gi', 'size: 8Gi'],
    ] as const) {
      const text = readFileSync(path.join(engine.repo, file), 'utf8');
      expect(text).toContain(from);
      writeFileSync(path.join(engine.repo, file), text.replace(from, to));
    }
    const synth = await redisGitops(engine.repo, 'synth');
    expect(synth.code, synth.stderr).toBe(0);
    expect(synth.stdout).toContain('plan example/orders: nothing restarts; volumes expand online: data-orders-data-0-0 20Gi → 40Gi, data-orders-data-1-0 20Gi → 40Gi\n');
    expect(synth.stdout).toContain('plan example/sessions: nothing restarts; volumes expand online: data-sessions-data-0-0 5Gi → 8Gi, data-sessions-data-1-0 5Gi → 8Gi; 1 other object(s) change without a restart\n');
    git(engine.repo, 'add', '-A');
    git(engine.repo, 'commit', '--quiet', '-m', 'bigger volumes');
    const grown = git(engine.repo, 'rev-parse', 'HEAD').trim();
    const committedAt = Date.now();

    await waitForApplications(engine, expectedApplications(engine), grown);
    const sizes = { orders: '40Gi', sessions: '8Gi' };
    for (const [deployment, names] of Object.entries(claims) as [keyof typeof claims, string[]][]) {
      for (const name of names) {
        const c = await until(`${name}'s spec and status at ${sizes[deployment]}`, 60_000, async () => {
          const c = await claim(name);
          return c.spec.resources.requests.storage === sizes[deployment] && c.status.capacity?.storage === sizes[deployment] ? c : undefined;
        });
        const pv = await engine.cp.kube.get(`/api/v1/persistentvolumes/${c.spec.volumeName}`);
        expect(pv.spec.capacity.storage, `${name}'s volume`).toBe(sizes[deployment]);
      }
    }
    expect(engine.cloud.resized.sort()).toEqual([
      'redis-orders/data-orders-data-0-0 20Gi → 40Gi',
      'redis-orders/data-orders-data-1-0 20Gi → 40Gi',
      'redis-sessions/data-sessions-data-0-0 5Gi → 8Gi',
      'redis-sessions/data-sessions-data-1-0 5Gi → 8Gi',
    ]);
    // The tie-breakers keep their 1Gi of sentinel state.
    for (const name of ['data-orders-tiebreaker-0', 'data-sessions-tiebreaker-0']) expect((await claim(name)).spec.resources.requests.storage).toBe('1Gi');

    // The StatefulSets: same generation (no spec change reached them), claim templates as on day 1.
    for (const name of statefulSets) {
      const [was, is] = [before.get(name)!, await statefulSet(name)];
      expect(is.metadata.generation, `${name}'s generation`).toBe(was.metadata.generation);
      expect(is.spec.volumeClaimTemplates, `${name}'s claim templates`).toEqual(was.spec.volumeClaimTemplates);
    }
    const since = (w: { at: string }) => Date.parse(w.at) >= committedAt;
    const argo = (w: { agent: string }) => w.agent === 'argocd-application-controller';
    // Online: no member pod was deleted or created since the commit.
    const memberPods = statefulSets.map((name) => `${name}-0`);
    const podChanges = auditedWrites(engine.cp.auditLog).filter((w) => since(w) && w.resource === 'pods' && memberPods.includes(w.name) && ['create', 'delete'].includes(w.verb));
    expect(podChanges.map((w) => `${w.verb} ${w.namespace}/${w.name} by ${w.agent}`)).toEqual([]);
    // Argo CD's own writes since the commit: the claims' patches, accepted; nothing refused, dry runs included.
    expect(refusedWrites(engine.cp.auditLog).filter(argo)).toEqual([]);
    const patchedClaims = auditedWrites(engine.cp.auditLog).filter((w) => since(w) && argo(w) && w.resource === 'persistentvolumeclaims').map((w) => w.name);
    expect([...new Set(patchedClaims)].sort()).toEqual(expect.arrayContaining([...claims.orders, ...claims.sessions].sort()));
  });

  it('the Applications stay Synced and Healthy once the volumes have grown (Argo CD compares again after the resize)', async () => {
    const resizedAt = Date.now();
    const names = expectedApplications(engine);
    const apps = await until('every Application compared again after the resize', 60_000, async () => {
      const apps = (await applications(engine.cp)).filter((a) => names.includes(a.metadata.name));
      return apps.length === names.length && apps.every((a) => Date.parse(a.status?.reconciledAt ?? '') > resizedAt) ? apps : undefined;
    });
    expect(apps.map((a) => `${a.metadata.name} ${a.status.sync.status} ${a.status.health.status}`).sort()).toEqual(names.map((n) => `${n} Synced Healthy`));
  });
});
