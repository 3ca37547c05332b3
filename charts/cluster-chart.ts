import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { Cluster } from '../src/config/load.js';
import { EncryptedStorage } from './encrypted-storage.js';
import { applySyncWaves } from './sync-waves.js';
import { GENERATOR_VERSION_LABEL } from '../model/labels.js';

export interface ClusterChartProps {
  cluster: Cluster;
  generatorVersion: string;
}

/** Cluster-scoped objects shared by every deployment of one cluster (dist/<cluster>/_cluster/). */
export class ClusterChart extends Chart {
  constructor(scope: Construct, name: string, props: ClusterChartProps) {
    super(scope, name, {
      labels: {
        'app.kubernetes.io/name': 'redis',
        'app.kubernetes.io/instance': props.cluster.name,
        'app.kubernetes.io/version': props.generatorVersion,
        'app.kubernetes.io/part-of': 'managed-redis',
        'app.kubernetes.io/managed-by': 'redis-gitops',
        [GENERATOR_VERSION_LABEL]: props.generatorVersion,
      },
      disableResourceNameHashes: true,
    });
    const { storage } = props.cluster.spec;
    new EncryptedStorage(this, 'Storage', {
      provider: storage.provider,
      name: storage.storageClassName,
      customerKey: storage.customerKey,
      profile: storage.profile,
      labels: { 'app.kubernetes.io/component': 'storage' },
    });
    applySyncWaves(this);
  }
}
