import { App, type Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { ClusterChart } from '../../charts/cluster-chart.js';
import { RedisDeploymentChart } from '../../charts/deployment-chart.js';
import type { Inputs } from '../config/load.js';

/** Folder of a cluster's cluster-scoped objects; the leading `_` marks it as not a deployment. */
export const CLUSTER_FOLDER = '_cluster';

/** dist/-relative path → file content. */
export type RenderedFiles = Map<string, string>;

/**
 * Renders every cluster and deployment. Each gets an App of its own: cdk8s resolves and validates
 * the whole App on every chart synthesis, so one App holding many charts grows quadratically.
 */
export function renderAll(inputs: Inputs, generatorVersion: string): RenderedFiles {
  const files: RenderedFiles = new Map();
  for (const cluster of inputs.clusters) {
    const chart = new ClusterChart(new App(), cluster.name, { cluster, generatorVersion });
    addChart(files, `${cluster.name}/${CLUSTER_FOLDER}`, chart);
  }
  for (const deployment of inputs.deployments) {
    const chart = new RedisDeploymentChart(new App(), deployment.name, { deployment, generatorVersion });
    addChart(files, `${deployment.cluster.name}/${deployment.name}`, chart);
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

interface Manifest {
  kind: string;
  metadata: { name: string };
}

function addChart(files: RenderedFiles, folder: string, chart: Chart): void {
  for (const manifest of chart.toJson() as Manifest[]) {
    const file = `${folder}/${manifest.kind.toLowerCase()}-${manifest.metadata.name}.yaml`;
    if (files.has(file)) throw new Error(`two ${manifest.kind} objects named ${manifest.metadata.name} in ${folder}`);
    files.set(file, stringify(manifest, { lineWidth: 0 }));
  }
}
