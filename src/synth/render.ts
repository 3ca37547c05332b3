import { App, type Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { ArgoCdChart, type GroupKind } from '../../charts/argocd.js';
import { ClusterChart } from '../../charts/cluster-chart.js';
import { RedisDeploymentChart, type DeploymentSecrets } from '../../charts/deployment-chart.js';
import { renderDeploymentReadme } from '../../charts/deployment-readme.js';
import type { Inputs } from '../config/load.js';

/** Folder of a cluster's cluster-scoped objects; the leading `_` marks it as not a deployment. */
export const CLUSTER_FOLDER = '_cluster';
/** Folder of the Argo CD objects that bootstrap each cluster: dist/_argocd/<cluster>/. */
export const ARGOCD_FOLDER = '_argocd';
/** Where Argo CD finds the output in the repository: the committed dist/. */
const DIST_IN_REPOSITORY = 'dist';

/** dist/-relative path → file content. */
export type RenderedFiles = Map<string, string>;

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/**
 * Renders every cluster and deployment. Each gets an App of its own: cdk8s resolves and validates
 * the whole App on every chart synthesis, so one App holding many charts grows quadratically.
 */
export function renderAll(inputs: Inputs, generatorVersion: string, secrets: ReadonlyMap<string, DeploymentSecrets>): RenderedFiles {
  const files: RenderedFiles = new Map();
  for (const cluster of inputs.clusters) {
    const clusterObjects = addChart(files, `${cluster.name}/${CLUSTER_FOLDER}`, new ClusterChart(new App(), cluster.name, { cluster, generatorVersion }));
    const namespacedObjects: Manifest[] = [];
    const deployments = inputs.deployments.filter((d) => d.cluster === cluster);
    for (const deployment of deployments) {
      const deploymentSecrets = secrets.get(deployment.name);
      if (!deploymentSecrets) throw new Error(`no secrets resolved for deployment ${deployment.name}`);
      const folder = `${cluster.name}/${deployment.name}`;
      const chart = new RedisDeploymentChart(new App(), deployment.name, { deployment, generatorVersion, secrets: deploymentSecrets });
      namespacedObjects.push(...addChart(files, folder, chart));
      // The CA for applications, as a plain file beside the manifests (and in the <name>-ca ConfigMap).
      files.set(`${folder}/ca.crt`, deploymentSecrets.caBundle);
      files.set(`${folder}/README.md`, renderDeploymentReadme(deployment, { deployment: deployment.name, namespace: deployment.namespace }));
    }
    const argocd = new ArgoCdChart(new App(), `argocd-${cluster.name}`, {
      cluster,
      generatorVersion,
      deployments: deployments.map((d) => ({ name: d.name, namespace: d.namespace })),
      clusterPath: `${DIST_IN_REPOSITORY}/${cluster.name}`,
      clusterFolder: CLUSTER_FOLDER,
      // Derived from what was rendered, so the project can never lag behind the generator.
      clusterKinds: groupKinds([...clusterObjects, ...namespacedObjects.filter((m) => !m.metadata.namespace)]),
      namespacedKinds: groupKinds(namespacedObjects.filter((m) => m.metadata.namespace)),
    });
    addChart(files, `${ARGOCD_FOLDER}/${cluster.name}`, argocd);
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function groupKinds(manifests: Manifest[]): GroupKind[] {
  const keys = new Set(manifests.map((m) => `${m.apiVersion.includes('/') ? m.apiVersion.split('/')[0] : ''}/${m.kind}`));
  return [...keys].sort().map((key) => {
    const [group, kind] = key.split('/') as [string, string];
    return { group, kind };
  });
}

function addChart(files: RenderedFiles, folder: string, chart: Chart): Manifest[] {
  const manifests = chart.toJson() as Manifest[];
  for (const manifest of manifests) {
    const file = `${folder}/${manifest.kind.toLowerCase()}-${manifest.metadata.name}.yaml`;
    if (files.has(file)) throw new Error(`two ${manifest.kind} objects named ${manifest.metadata.name} in ${folder}`);
    files.set(file, stringify(manifest, { lineWidth: 0 }));
  }
  return manifests;
}
