import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { ClusterChart } from '../../charts/cluster-chart.js';
import { SYNC_WAVE_ANNOTATION, syncWave } from '../../charts/sync-waves.js';
import type { Cluster } from '../../src/config/load.js';
import { GENERATOR_VERSION_LABEL } from '../../model/labels.js';
import { ENCRYPTION_ANNOTATION } from '../../model/storage-providers.js';
import { synthChart, testCluster as cluster } from '../support/constructs.js';

const synth = (c: Cluster) => synthChart(new ClusterChart(Testing.app(), c.name, { cluster: c, generatorVersion: '0.0.0-test' }));

describe('cluster chart', () => {
  it("renders the cluster file's storage as its one StorageClass: provider, customer key, profile, and the default name", () => {
    const [sc, ...rest] = synth(cluster({ provider: 'aws-ebs', customerKey: 'arn:aws:kms:us-east-1:123456789012:key/01234567-89ab-cdef-0123-456789abcdef', profile: 'io2' }));
    expect(rest).toEqual([]);
    expect(sc).toMatchObject({
      kind: 'StorageClass',
      metadata: { name: 'redis-encrypted', annotations: { [ENCRYPTION_ANNOTATION]: 'customer-managed-key' } },
      provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'io2', encrypted: 'true', kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/01234567-89ab-cdef-0123-456789abcdef' },
    });
    const [named] = synth(cluster({ provider: 'gcp-pd', storageClassName: 'redis-cmek' }));
    expect(named!.metadata.name).toBe('redis-cmek');
    expect(named!.metadata.annotations).toHaveProperty([ENCRYPTION_ANNOTATION], 'provider-managed-key');
  });

  it('labels the class with the cluster and the generator version, and applies it first', () => {
    const [sc] = synth(cluster({ provider: 'ibm-vpc-block' }));
    expect(sc!.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'redis',
      'app.kubernetes.io/instance': 'test',
      'app.kubernetes.io/component': 'storage',
      'app.kubernetes.io/version': '0.0.0-test',
      'app.kubernetes.io/part-of': 'managed-redis',
      'app.kubernetes.io/managed-by': 'redis-gitops',
      [GENERATOR_VERSION_LABEL]: '0.0.0-test',
    });
    expect(sc!.metadata.namespace).toBeUndefined();
    expect(sc!.metadata.annotations).toHaveProperty([SYNC_WAVE_ANNOTATION], String(syncWave('StorageClass')));
    expect(syncWave('StorageClass')).toBeLessThan(syncWave('Namespace'));
  });
});
