import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubernetesObject, updateRefusals } from '../../model/kubernetes-updates.js';
import { objectsOf } from '../../src/synth/change-plan.js';
import { synth } from '../../src/synth/synth.js';
import { projectRoot } from '../support/repo.js';
import { missingBinaries } from './binaries.js';
import { type ControlPlane, startControlPlane } from './control-plane.js';
import { KubeError, type KubeObject, until } from './kube.js';
import { stopPrograms } from './processes.js';

/**
 * The change plan's "Kubernetes refuses this update" (model/kubernetes-updates.ts, a port of the API
 * server's update validation) against the real API server: for each day-2 edit of the example, every
 * object of the output before the edit is created, the object after it is sent as a dry-run update,
 * and the server's verdict must be the port's, message included.
 */
const edits: { name: string; file: string; from: string; to: string }[] = [
  { name: 'a configuration edit', file: 'deployments/orders.yaml', from: 'evictionPolicy: noeviction', to: 'evictionPolicy: allkeys-lru' },
  { name: 'a bigger volume', file: 'deployments/orders.yaml', from: 'size: 20Gi', to: 'size: 40Gi' },
  { name: 'a smaller volume', file: 'deployments/orders.yaml', from: 'size: 20Gi', to: 'size: 10Gi' },
  { name: 'another zone order', file: 'clusters/example.yaml', from: 'zones: [us-south-1, us-south-2, us-south-3]', to: 'zones: [us-south-2, us-south-1, us-south-3]' },
  { name: 'another storage profile', file: 'clusters/example.yaml', from: 'profile: 10iops-tier', to: 'profile: 5iops-tier' },
  { name: 'a customer key', file: 'clusters/example.yaml', from: 'profile: 10iops-tier', to: 'profile: 10iops-tier\n  customerKey: crn:v1:bluemix:public:kms:us-south:a/0123456789abcdef0123456789abcdef:00000000-0000-4000-8000-000000000000:key:00000000-0000-4000-8000-000000000001' },
  { name: 'a Redis downgrade', file: 'deployments/orders.yaml', from: 'version: "8.6"', to: 'version: "8.2"' },
];

const collections: Record<string, string> = {
  StatefulSet: '/apis/apps/v1/namespaces/redis-orders/statefulsets',
  Deployment: '/apis/apps/v1/namespaces/redis-orders/deployments',
  StorageClass: '/apis/storage.k8s.io/v1/storageclasses',
  PersistentVolumeClaim: '/api/v1/namespaces/redis-orders/persistentvolumeclaims',
};

describe('the change plan\'s update refusals, against kube-apiserver', () => {
  let cp: ControlPlane;
  let dir: string;
  beforeAll(async () => {
    const missing = missingBinaries();
    if (missing.length) throw new Error(`the engine tier's programs are not built (${missing.join(', ')}): run npm run engine:build`);
    dir = mkdtempSync(path.join(tmpdir(), 'redis-gitops-plan-'));
    cp = await startControlPlane(dir);
    await cp.kube.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'redis-orders' } });
  });
  afterAll(async () => {
    if (cp) await stopPrograms(cp.programs);
    cp?.kube.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const edit of edits) {
    it(`${edit.name}: the API server refuses exactly what the port says`, async () => {
      const repo = mkdtempSync(path.join(tmpdir(), 'redis-gitops-plan-repo-'));
      try {
        for (const folder of ['clusters', 'deployments', 'state', 'dist']) cpSync(path.join(projectRoot, folder), path.join(repo, folder), { recursive: true });
        const before = objectsOf(filesOf(repo, 'example'));
        const file = path.join(repo, edit.file);
        const text = readFileSync(file, 'utf8');
        expect(text).toContain(edit.from);
        writeFileSync(file, text.replace(edit.from, edit.to));
        await synth(repo, path.join(repo, 'dist'), { acceptChanges: new Set(['orders', 'sessions', 'example']), writeState: false });
        const after = objectsOf(filesOf(repo, 'example'));
        const checked: string[] = [];
        // A namespace per edit, so no object of one edit meets another's.
        const ns = `plan-${edits.indexOf(edit)}`;
        await cp.kube.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
        const place = (o: KubernetesObject): KubernetesObject => (o.metadata.namespace ? { ...o, metadata: { ...o.metadata, namespace: ns } } : o);
        for (const [id, next] of after) {
          const previous = before.get(id);
          const collection = collections[next.kind]?.replace('redis-orders', ns);
          if (!previous || !collection || JSON.stringify(previous) === JSON.stringify(next)) continue;
          if (next.kind === 'StorageClass') await cp.kube.delete(`${collection}/${next.metadata.name}`).catch(() => undefined);
          const created = await cp.kube.create(collection, place(previous));
          // A claim as a running member's is: bound to its volume, of a class that allows expansion
          // (what the API server's resize admission asks of a growth). The port judges the output's claim
          // spec with the live claim's phase.
          const live = next.kind === 'PersistentVolumeClaim' ? { ...previous, status: (await bound(cp, created, before)).status } : previous;
          // Applied as Argo CD applies it (server-side apply), as a dry run.
          const answer = await cp.kube
            .request('PATCH', `${collection}/${next.metadata.name}?dryRun=All&fieldManager=engine-tier&force=true`, place(next), 'application/apply-patch+yaml')
            .then(
              () => [] as string[],
              (e: unknown) => {
                if (!(e instanceof KubeError) || e.status !== 422) throw e;
                return ((e.body?.details as { causes?: { field: string; message: string }[] })?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
              },
            );
          // The API server's message for a changed claim spec goes on with a diff of the specs: its first line.
          expect(answer.map((a) => a.split('\n')[0]), `${edit.name}: ${id}`).toEqual(updateRefusals(live, next));
          checked.push(`${id}: ${answer.length ? 'refused' : 'accepted'}`);
        }
        expect(checked.length, `${edit.name} changes an object the port judges`).toBeGreaterThan(0);
      } finally {
        rmSync(repo, { recursive: true, force: true });
      }
    });
  }
});

/** The claim `created`, bound to a volume made for it (as the cloud's provisioner would), with its class present. */
async function bound(cp: ControlPlane, created: KubeObject, before: Map<string, KubernetesObject>): Promise<KubernetesObject> {
  const className = created.spec.storageClassName as string;
  if (!(await cp.kube.find(`/apis/storage.k8s.io/v1/storageclasses/${className}`))) {
    const sc = [...before.values()].find((o) => o.kind === 'StorageClass' && o.metadata.name === className);
    if (!sc) throw new Error(`no StorageClass ${className} in the output`);
    await cp.kube.create('/apis/storage.k8s.io/v1/storageclasses', sc);
  }
  const { namespace, name, uid } = created.metadata;
  await cp.kube.create('/api/v1/persistentvolumes', {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `pv-${uid}` },
    spec: {
      capacity: { storage: created.spec.resources.requests.storage },
      accessModes: created.spec.accessModes,
      storageClassName: className,
      persistentVolumeReclaimPolicy: 'Retain',
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name, uid },
      csi: { driver: 'engine-tier.invalid', volumeHandle: `pv-${uid}` },
    },
  });
  return until(`${namespace}/${name} bound`, 30_000, async () => {
    const claim = await cp.kube.get(`/api/v1/namespaces/${namespace}/persistentvolumeclaims/${name}`);
    return claim.status?.phase === 'Bound' ? (claim as KubernetesObject) : undefined;
  });
}

function filesOf(repo: string, cluster: string): [string, string][] {
  const root = path.join(repo, 'dist', cluster);
  return (readdirSync(root, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.yaml'))
    .map((f): [string, string] => [f, readFileSync(path.join(root, f), 'utf8')]);
}
