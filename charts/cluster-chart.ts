import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { Cluster } from '../src/config/load.js';
import { EncryptedStorage } from './encrypted-storage.js';
import { applySyncWaves } from './sync-waves.js';
import { clusterLabels, componentLabels } from '../model/labels.js';

export interface ClusterChartProps {
  /** The cluster as loaded and validated from its file. */
  cluster: Cluster;
  /** Version of this generator: the version label of every object. */
  generatorVersion: string;
}

/** Cluster-scoped objects shared by every deployment of one cluster (dist/<cluster>/_cluster/). */
export class ClusterChart extends Chart {
  constructor(scope: Construct, name: string, props: ClusterChartProps) {
    super(scope, name, { labels: clusterLabels(props.cluster.name, props.generatorVersion), disableResourceNameHashes: true });
    const { storage } = props.cluster.spec;
    new EncryptedStorage(this, 'Storage', {
      provider: storage.provider,
      name: storage.storageClassName,
      customerKey: storage.customerKey,
      profile: storage.profile,
      labels: componentLabels('storage'),
    });
    applySyncWaves(this);
  }
}
