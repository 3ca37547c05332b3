import { App, type Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { ClusterChart } from '../../charts/cluster-chart.js';
import { RedisDeploymentChart, type DeploymentSecrets } from '../../charts/deployment-chart.js';
import type { Inputs } from '../config/load.js';

/** Folder of a cluster's cluster-scoped objects; the leading `_` marks it as not a deployment. */
export const CLUSTER_FOLDER = '_cluster';

/** dist/-relative path → file content. */
export type RenderedFiles = Map<string, string>;

/**
 * Renders every cluster and deployment. Each gets an App of its own: cdk8s resolves and validates
 * the whole App on every chart synthesis, so one App holding many charts grows quadratically.
 */
export function renderAll(inputs: Inputs, generatorVersion: string, secrets: ReadonlyMap<string, DeploymentSecrets>): RenderedFiles {
  const files: RenderedFiles = new Map();
  for (const cluster of inputs.clusters) {
    const chart = new ClusterChart(new App(), cluster.name, { cluster, generatorVersion });
    addChart(files, `${cluster.name}/${CLUSTER_FOLDER}`, chart);
  }
  for (const deployment of inputs.deployments) {
    const deploymentSecrets = secrets.get(deployment.name);
    if (!deploymentSecrets) throw new Error(`no secrets resolved for deployment ${deployment.name}`);
    const folder = `${deployment.cluster.name}/${deployment.name}`;
    const chart = new RedisDeploymentChart(new App(), deployment.name, { deployment, generatorVersion, secrets: deploymentSecrets });
    addChart(files, folder, chart);
    // The CA for applications, as a plain file beside the manifests (and in the <name>-ca ConfigMap).
    files.set(`${folder}/ca.crt`, deploymentSecrets.caBundle);
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
