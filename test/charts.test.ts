import { describe, expect, it } from 'vitest';
import { loadInputs } from '../src/config/load.js';
import { storageProviders } from '../model/storage-providers.js';
import { projectRoot } from './support/repo.js';
import { find, renderManifests } from './support/render.js';

describe('deployment chart', () => {
  it('pins resource names and selectors: they are immutable in a live cluster, a refactor must not move them', async () => {
    const manifests = await renderManifests();
    const selectors = Object.fromEntries(
      [...manifests.values()]
        .filter((m) => m.kind === 'StatefulSet' && m.metadata.namespace === 'redis-orders')
        .map((m) => [m.metadata.name, m.spec.selector.matchLabels]),
    );
    const member = (name: string) => ({
      'app.kubernetes.io/name': 'redis',
      'app.kubernetes.io/instance': 'orders',
      'app.kubernetes.io/component': 'member',
      'redis-gitops.dev/member': name,
    });
    expect(selectors).toEqual({
      'orders-data-0': member('data-0'),
      'orders-data-1': member('data-1'),
      'orders-tiebreaker': member('tiebreaker'),
    });
    for (const name of Object.keys(selectors)) {
      const sts = find(manifests, 'StatefulSet', name);
      expect(sts.spec.template.metadata.labels).toEqual(sts.spec.selector.matchLabels);
      expect(find(manifests, 'Service', name).spec.selector).toEqual(sts.spec.selector.matchLabels);
      expect(sts.spec.serviceName).toBe(name);
    }
    expect(find(manifests, 'PodDisruptionBudget', 'orders-members').spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'redis',
      'app.kubernetes.io/instance': 'orders',
      'app.kubernetes.io/component': 'member',
    });
  });

  it('labels every object with the app.kubernetes.io set and the generator version', async () => {
    for (const [file, m] of await renderManifests()) {
      expect(Object.keys(m.metadata.labels ?? {}), file).toEqual(
        expect.arrayContaining([
          'app.kubernetes.io/name',
          'app.kubernetes.io/instance',
          'app.kubernetes.io/component',
          'app.kubernetes.io/part-of',
          'app.kubernetes.io/managed-by',
          'app.kubernetes.io/version',
        ]),
      );
      expect(m.metadata.labels!['redis-gitops.dev/generator-version'], file).toBe('0.0.0-test');
      expect(m.metadata.name, file).not.toMatch(/-c8[0-9a-f]{6}$/);
    }
  });

  it('rolls the pods when their rendered configuration changes, and only then', async () => {
    const inputs = await loadInputs(projectRoot);
    const checksum = async () =>
      find(await renderManifests(inputs), 'StatefulSet', 'orders-data-0').spec.template.metadata.annotations['redis-gitops.dev/config-checksum'];
    const before = await checksum();
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(await checksum()).toBe(before);
    inputs.deployments[0]!.spec.redis.evictionPolicy = 'allkeys-lru';
    expect(await checksum()).not.toBe(before);
  });

  it('creates a Namespace that enforces the restricted pod security standard', async () => {
    const ns = find(await renderManifests(), 'Namespace', 'redis-orders');
    expect(ns.metadata.namespace).toBeUndefined();
    expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  });

  it('spreads the three members over the three zones of the cluster, data on the encrypted class', async () => {
    const manifests = await renderManifests();
    const zoneOf = (name: string) =>
      find(manifests, 'StatefulSet', name).spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
        .nodeSelectorTerms[0].matchExpressions[0].values;
    expect(['orders-data-0', 'orders-data-1', 'orders-tiebreaker'].map(zoneOf)).toEqual([['us-south-1'], ['us-south-2'], ['us-south-3']]);
    const [claim] = find(manifests, 'StatefulSet', 'orders-data-0').spec.volumeClaimTemplates;
    expect(claim).toMatchObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: { storageClassName: 'redis-encrypted' } });
    expect(claim.spec.resources.requests.storage).toBe('20Gi');
    // The tie-breaker keeps only sentinel state (current primary, epochs), on a small encrypted volume.
    const [state] = find(manifests, 'StatefulSet', 'orders-tiebreaker').spec.volumeClaimTemplates;
    expect(state).toMatchObject({ spec: { storageClassName: 'redis-encrypted', resources: { requests: { storage: '1Gi' } } } });
  });
});

describe('encrypted storage', () => {
  const expected = {
    'ibm-vpc-block': { provisioner: 'vpc.block.csi.ibm.io', plain: { encrypted: 'true' }, keyed: { encrypted: 'true', encryptionKey: 'KEY' } },
    'aws-ebs': { provisioner: 'ebs.csi.aws.com', plain: { encrypted: 'true' }, keyed: { encrypted: 'true', kmsKeyId: 'KEY' } },
    'gcp-pd': { provisioner: 'pd.csi.storage.gke.io', plain: {}, keyed: { 'disk-encryption-kms-key': 'KEY' } },
    'azure-disk': { provisioner: 'disk.csi.azure.com', plain: {}, keyed: { diskEncryptionSetID: 'KEY' } },
  } as const;

  for (const provider of storageProviders) {
    it(`states encryption explicitly for ${provider}, with and without a customer key`, async () => {
      for (const customerKey of [undefined, 'KEY']) {
        const inputs = await loadInputs(projectRoot);
        Object.assign(inputs.clusters[0]!.spec.storage, { provider, customerKey, profile: undefined });
        const sc = find(await renderManifests(inputs), 'StorageClass', 'redis-encrypted');
        const want = expected[provider];
        expect(sc.provisioner).toBe(want.provisioner);
        expect(sc).toMatchObject({ reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: true });
        const { [Object.keys(sc.parameters).find((k) => ['profile', 'type', 'skuName'].includes(k))!]: _profile, ...encryption } = sc.parameters;
        expect(encryption).toEqual(customerKey ? want.keyed : want.plain);
        expect(sc.metadata.annotations?.['redis-gitops.dev/encryption-at-rest']).toBe(customerKey ? 'customer-managed-key' : 'provider-managed-key');
      }
    });
  }
});
