import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_WAVE_ANNOTATION } from '../../charts/sync-waves.js';
import { projectRoot, snapshotTree } from '../support/repo.js';
import { git } from './argocd.js';
import { auditedWrites, podSecurityViolations, resourceOf } from './audit.js';
import { type Engine, applyBootstrap, distObjects, expectedApplications, refusedPods, startEngine, waitForApplications } from './engine.js';
import { FatalWait, type KubeObject, until } from './kube.js';
import { ZONE_LABEL } from './nodes.js';

/**
 * Day 1 on a real control plane: the committed example, applied as a user applies it (the Argo CD
 * bootstrap with kubectl, then nothing but Argo CD), ends with every Application Synced and Healthy,
 * every member and portal pod created, scheduled in its zone and Ready, every claim bound to a volume
 * of its zone, and every SealedSecret opened into its Secret by the controller.
 */
describe('day 1 on the real engine (example cluster)', () => {
  let engine: Engine;
  let zones: string[];
  let revision: string;

  beforeAll(async () => {
    engine = await startEngine({ cluster: 'example', sealingKey: 'clusters/example.sealing-key.TEST-ONLY-DO-NOT-USE.pem' });
    zones = (/zones:\s*\[([^\]]*)\]/.exec(readFileSync(path.join(engine.repo, 'clusters/example.yaml'), 'utf8'))?.[1] ?? '').split(',').map((z) => z.trim());
    revision = git(engine.repo, 'rev-parse', 'HEAD').trim();
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it('tests the committed output: the scratch repository differs from dist/ only in the Argo CD bootstrap\'s repoURL', () => {
    const ours = snapshotTree(path.join(engine.repo, 'dist', 'example'));
    expect(ours).toEqual(snapshotTree(path.join(projectRoot, 'dist', 'example')));
  });

  it('syncs every Application to Synced and Healthy from the bootstrap alone', async () => {
    applyBootstrap(engine);
    const names = expectedApplications(engine);
    expect(names).toEqual(['redis-example-cluster-scoped', 'redis-example-orders', 'redis-example-sessions']);
    const statuses = await waitForApplications(engine, names, revision);
    expect(statuses.map((s) => `${s.name} ${s.sync} ${s.health}`)).toEqual(names.map((n) => `${n} Synced Healthy`));
  });

  for (const deployment of ['orders', 'sessions']) {
    it(`${deployment}: each member's pod is Ready in its own zone, on a volume of that zone`, async () => {
      const { kube } = engine.cp;
      const ns = `redis-${deployment}`;
      const members = ['data-0', 'data-1', 'tiebreaker'];
      for (const [i, member] of members.entries()) {
        const pod = await kube.get(`/api/v1/namespaces/${ns}/pods/${deployment}-${member}-0`);
        expect(ready(pod), `${pod.metadata.name} Ready`).toBe(true);
        const node = await kube.get(`/api/v1/nodes/${pod.spec.nodeName}`);
        expect(node.metadata.labels?.[ZONE_LABEL], `${pod.metadata.name}'s zone`).toBe(zones[i]);
        for (const claim of (pod.spec.volumes as { persistentVolumeClaim?: { claimName: string } }[]).flatMap((v) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : []))) {
          const pvc = await kube.get(`/api/v1/namespaces/${ns}/persistentvolumeclaims/${claim}`);
          expect(pvc.status.phase, `${claim} bound`).toBe('Bound');
          const pv = await kube.get(`/api/v1/persistentvolumes/${pvc.spec.volumeName}`);
          expect(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values, `${claim}'s volume zone`).toEqual([zones[i]]);
          expect(pv.spec.storageClassName).toBe('redis-encrypted');
        }
      }
    });

    it(`${deployment}: both portal pods are Ready, in two different zones`, async () => {
      const { kube } = engine.cp;
      const ns = `redis-${deployment}`;
      const pods = (await kube.list(`/api/v1/namespaces/${ns}/pods`)).filter((p) => p.metadata.name.startsWith(`${deployment}-portal-`));
      expect(pods).toHaveLength(2);
      expect(pods.every(ready)).toBe(true);
      const podZones = await Promise.all(pods.map(async (p) => (await kube.get(`/api/v1/nodes/${p.spec.nodeName}`)).metadata.labels?.[ZONE_LABEL]));
      expect(new Set(podZones).size).toBe(2);
    });

    it(`${deployment}: every SealedSecret has become its Secret, with the keys it seals`, async () => {
      const { kube } = engine.cp;
      const ns = `redis-${deployment}`;
      const sealed = distObjects(engine, deployment).filter((o) => o.kind === 'SealedSecret');
      expect(sealed.length).toBeGreaterThan(0);
      for (const s of sealed) {
        const secret = await kube.get(`/api/v1/namespaces/${ns}/secrets/${s.metadata.name}`);
        expect(Object.keys(secret.data ?? {}).sort(), s.metadata.name).toEqual(Object.keys(s.spec.encryptedData).sort());
      }
    });
  }

  // The API server checks a CronJob's pod template at create, but the Job and its pod only when the
  // controller makes them (its schedule here is hours away): this test makes the Job from the
  // jobTemplate as the CronJob controller does (getJobFromTemplate2: its labels, annotations and spec),
  // and the Job controller creates its pod, which Pod Security's restricted level admits.
  it('orders: the backup CronJob, its NetworkPolicies, ServiceAccount and credentials are applied, and a Job made of it gets its pod', async () => {
    const { kube } = engine.cp;
    const ns = 'redis-orders';
    const backup = distObjects(engine, 'orders').filter((o) => o.metadata.name.startsWith('orders-backup'));
    expect(backup.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/orders-backup',
      'CronJob/orders-backup',
      'NetworkPolicy/orders-backup',
      'NetworkPolicy/orders-backup-to-members',
      'SealedSecret/orders-backup-credentials',
      'ServiceAccount/orders-backup',
    ]);
    const applied = await kube.get(`/apis/batch/v1/namespaces/${ns}/cronjobs/orders-backup`);
    const cronJob = backup.find((o) => o.kind === 'CronJob')!;
    expect(applied.spec.schedule).toBe(cronJob.spec.schedule);
    for (const name of ['orders-backup', 'orders-backup-to-members']) await kube.get(`/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies/${name}`);
    await kube.get(`/api/v1/namespaces/${ns}/serviceaccounts/orders-backup`);
    const credentials = await kube.get(`/api/v1/namespaces/${ns}/secrets/orders-backup-credentials`);
    expect(Object.keys(credentials.data ?? {}).sort()).toEqual(['access-key-id', 'encryption-key', 'secret-access-key']);

    const template = applied.spec.jobTemplate;
    const job = 'orders-backup-by-test';
    await kube.create(`/apis/batch/v1/namespaces/${ns}/jobs`, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: job, labels: template.metadata?.labels, annotations: template.metadata?.annotations },
      spec: template.spec,
    });
    try {
      const pod = await until(`the Job controller to create ${job}'s pod`, 60_000, async () => {
        const refused = (await kube.list(`/api/v1/namespaces/${ns}/events`)).find((e) => e.reason === 'FailedCreate' && (e.involvedObject as { name: string }).name === job);
        if (refused) throw new FatalWait(`the pod of ${job} was refused: ${refused.message}`);
        return (await kube.list(`/api/v1/namespaces/${ns}/pods?labelSelector=job-name%3D${job}`))[0];
      });
      expect(pod.spec.serviceAccountName).toBe('orders-backup');
      expect(pod.spec.automountServiceAccountToken).toBe(false);
    } finally {
      await kube.delete(`/apis/batch/v1/namespaces/${ns}/jobs/${job}?propagationPolicy=Background`);
    }
  });

  it('no object breaks the namespaces\' restricted pod security level (Pod Security admission\'s audit annotations)', () => {
    expect(podSecurityViolations(engine.cp.auditLog)).toEqual([]);
  });

  it('...and would see one: a Deployment without a restricted security context, dry-run into redis-orders, is annotated', async () => {
    await engine.cp.kube.create('/apis/apps/v1/namespaces/redis-orders/deployments?dryRun=All', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'unrestricted-probe' },
      spec: {
        selector: { matchLabels: { app: 'probe' } },
        template: { metadata: { labels: { app: 'probe' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    });
    await until('the audit log to record the dry run', 10_000, () => podSecurityViolations(engine.cp.auditLog).find((v) => v.startsWith('create deployments/redis-orders/') && v.includes('allowPrivilegeEscalation != false')));
  });

  it('Argo CD applied each deployment in sync-wave order (recorded from the API server audit log)', () => {
    const writes = auditedWrites(engine.cp.auditLog).filter((w) => w.agent === 'argocd-application-controller' && !w.subresource && ['create', 'patch', 'update'].includes(w.verb));
    const record: Record<string, string[]> = {};
    for (const deployment of ['_cluster', 'orders', 'sessions']) {
      const objects = distObjects(engine, deployment);
      const wave = new Map(objects.map((o) => [key(resourceOf(o.kind), o.metadata.namespace ?? '', o.metadata.name), Number(o.metadata.annotations?.[SYNC_WAVE_ANNOTATION] ?? 0)]));
      const firstWrites: string[] = [];
      const seen = new Set<string>();
      for (const w of writes) {
        const k = key(w.resource, w.namespace, w.name);
        if (!wave.has(k) || seen.has(k)) continue;
        seen.add(k);
        firstWrites.push(k);
      }
      // Every object in dist/ was applied by Argo CD itself, in non-decreasing waves: the rollout Job (a
      // Sync hook) in its own, after the workloads and before the applications' Secrets.
      expect(firstWrites.length, `${deployment}: objects Argo CD applied`).toBe(wave.size);
      const waves = firstWrites.map((k) => wave.get(k)!);
      expect(waves, `${deployment}: waves in the order applied`).toEqual([...waves].sort((a, b) => a - b));
      record[deployment] = firstWrites.map((k) => `${wave.get(k)} ${k}`);
    }
    // Kept beside the run's logs, and printed: the order later day-2 work compares against.
    writeFileSync(path.join(engine.dir, 'sync-order.json'), JSON.stringify(record, null, 1));
    console.log(`sync order (wave, resource/namespace/name):\n${Object.entries(record).map(([d, w]) => `${d}:\n  ${w.join('\n  ')}`).join('\n')}`);
  });

  // These two last: the first breaks the sessions deployment, the second repairs it with a commit. A
  // member's new template waits for the rollout Job (OnDelete), whose container kwok does not run here:
  // the test deletes the pod as the Job would (rollout.engine.test.ts runs the real Job).
  it('fails, with the API server\'s message, on an output whose pods Kubernetes refuses (a 16-character port name)', async () => {
    const file = path.join(engine.repo, 'dist/example/sessions/statefulset-sessions-data-1.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('name: sentinel-metric\n');
    writeFileSync(file, text.replace('name: sentinel-metric\n', 'name: sentinel-metrics\n'));
    git(engine.repo, 'commit', '--quiet', '-am', 'a port name one character too long');
    const broken = git(engine.repo, 'rev-parse', 'HEAD').trim();
    // The StatefulSet itself is accepted: only its pods are refused.
    await waitForApplications(engine, ['redis-example-sessions'], broken, 240_000);
    await engine.cp.kube.delete('/api/v1/namespaces/redis-sessions/pods/sessions-data-1-0');
    const refused = await until('the StatefulSet controller to report the refused pod', 60_000, async () => (await refusedPods(engine)).find((m) => m.includes('sessions-data-1-0')));
    expect(refused).toMatch(/Pod "sessions-data-1-0" is invalid: spec\.containers\[\d\]\.ports\[0\]\.name: Invalid value: "sentinel-metrics": must be no more than 15 characters/);
  });

  it('recovers by itself from the fixing commit: the member\'s pod is created from the fixed template', async () => {
    const file = path.join(engine.repo, 'dist/example/sessions/statefulset-sessions-data-1.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('name: sentinel-metrics\n', 'name: sentinel-metric\n'));
    git(engine.repo, 'commit', '--quiet', '-am', 'the port name fixed');
    const fixed = git(engine.repo, 'rev-parse', 'HEAD').trim();
    // No manual step: only Argo CD. The refused-pod events of the broken revision stay in the namespace
    // for an hour, so this wait cannot fail fast on them: it waits for the outcome.
    const [status] = await waitForApplications(engine, ['redis-example-sessions'], fixed, 240_000, { failOnRefusedPods: false });
    expect(status).toMatchObject({ sync: 'Synced', health: 'Healthy', phase: 'Succeeded' });
    const pod = await until('sessions-data-1-0 Ready', 60_000, async () => {
      const p = await engine.cp.kube.find('/api/v1/namespaces/redis-sessions/pods/sessions-data-1-0');
      return p && ready(p) ? p : undefined;
    });
    expect(ready(pod)).toBe(true);
  });
});

function key(resource: string, namespace: string, name: string): string {
  return `${resource}/${namespace}/${name}`;
}

function ready(pod: KubeObject): boolean {
  return pod.status?.phase === 'Running' && (pod.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
}
