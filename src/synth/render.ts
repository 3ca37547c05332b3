import { App, type Chart } from 'cdk8s';
import { ArgoCdChart, type GroupKind } from '../../charts/argocd.js';
import { ClusterChart } from '../../charts/cluster-chart.js';
import { RedisDeploymentChart } from '../../charts/deployment-chart.js';
import { CA_BUNDLE_KEY, type DeploymentSecrets } from '../../model/secrets.js';
import { renderDeploymentReadme } from '../../charts/deployment-readme.js';
import type { Deployment, Inputs } from '../config/load.js';
import { ARGOCD_FOLDER, BOOTSTRAP_FILE, CLUSTER_FOLDER } from '../../model/dist-layout.js';
import { manifestYaml } from './manifest-yaml.js';

export { ARGOCD_FOLDER, CLUSTER_FOLDER } from '../../model/dist-layout.js';

/** Where Argo CD finds the output in the repository: the committed dist/. */
const DIST_IN_REPOSITORY = 'dist';

/** dist/-relative path → file content. */
export type RenderedFiles = Map<string, string>;

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** One deployment's files and the kinds of its objects (the Argo CD project of its cluster lists them). */
export interface DeploymentOutput {
  files: RenderedFiles;
  /** `group/kind`, sorted. */
  namespacedKinds: string[];
  clusterKinds: string[];
}

/**
 * Renders one deployment into `<cluster>/<deployment>/`. Each deployment (and each cluster) gets an
 * App of its own: cdk8s resolves and validates the whole App on every chart synthesis, so one App
 * holding many charts grows quadratically.
 */
export function renderDeployment(deployment: Deployment, generatorVersion: string, secrets: DeploymentSecrets): DeploymentOutput {
  const files: RenderedFiles = new Map();
  const folder = `${deployment.cluster.name}/${deployment.name}`;
  const manifests = addChart(files, folder, new RedisDeploymentChart(new App(), deployment.name, { deployment, generatorVersion, secrets }));
  // The CA for applications, as a plain file beside the manifests (and in the <name>-ca ConfigMap).
  files.set(`${folder}/${CA_BUNDLE_KEY}`, secrets.caBundle);
  files.set(`${folder}/README.md`, renderDeploymentReadme(deployment, { deployment: deployment.name, namespace: deployment.namespace }));
  return {
    files,
    namespacedKinds: groupKinds(manifests.filter((m) => m.metadata.namespace)),
    clusterKinds: groupKinds(manifests.filter((m) => !m.metadata.namespace)),
  };
}

/** The cluster-scoped objects and the Argo CD objects of every cluster, given what its deployments hold. */
export function renderClusters(inputs: Inputs, generatorVersion: string, outputs: ReadonlyMap<string, Omit<DeploymentOutput, 'files'>>): RenderedFiles {
  const files: RenderedFiles = new Map();
  for (const cluster of inputs.clusters) {
    const clusterObjects = addChart(files, `${cluster.name}/${CLUSTER_FOLDER}`, new ClusterChart(new App(), cluster.name, { cluster, generatorVersion }));
    const deployments = inputs.deployments.filter((d) => d.cluster === cluster);
    const kinds = (pick: (o: Omit<DeploymentOutput, 'files'>) => string[]) =>
      deployments.flatMap((d) => {
        const output = outputs.get(d.name);
        if (!output) throw new Error(`deployment ${d.name} was not rendered`);
        return pick(output);
      });
    const argocd = new ArgoCdChart(new App(), `argocd-${cluster.name}`, {
      cluster,
      generatorVersion,
      deployments: deployments.map((d) => ({ name: d.name, namespace: d.namespace })),
      clusterPath: `${DIST_IN_REPOSITORY}/${cluster.name}`,
      clusterFolder: CLUSTER_FOLDER,
      // Derived from what was rendered, so the project can never lag behind the generator.
      clusterKinds: toGroupKinds([...groupKinds(clusterObjects), ...kinds((o) => o.clusterKinds)]),
      namespacedKinds: toGroupKinds(kinds((o) => o.namespacedKinds)),
    });
    // One file, its documents in the order they depend on each other (AppProject, then the
    // Applications and the ApplicationSet that name it): `kubectl apply -f` of a folder goes by file
    // name, and created the ApplicationSet before its project; Argo CD then refused it and looked
    // again only after its 3-minute requeue (measured by the engine tier).
    files.set(`${ARGOCD_FOLDER}/${cluster.name}/${BOOTSTRAP_FILE}`, (argocd.toJson() as Manifest[]).map(manifestYaml).join('---\n'));
  }
  return files;
}

export function sortFiles(files: RenderedFiles): RenderedFiles {
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `group/kind` of each kind among `manifests`, sorted and unique. */
function groupKinds(manifests: Manifest[]): string[] {
  return [...new Set(manifests.map((m) => `${m.apiVersion.includes('/') ? m.apiVersion.split('/')[0] : ''}/${m.kind}`))].sort();
}

function toGroupKinds(keys: string[]): GroupKind[] {
  return [...new Set(keys)].sort().map((key) => {
    const [group, kind] = key.split('/') as [string, string];
    return { group, kind };
  });
}

function addChart(files: RenderedFiles, folder: string, chart: Chart): Manifest[] {
  const manifests = chart.toJson() as Manifest[];
  for (const manifest of manifests) {
    const file = `${folder}/${manifest.kind.toLowerCase()}-${manifest.metadata.name}.yaml`;
    if (files.has(file)) throw new Error(`two ${manifest.kind} objects named ${manifest.metadata.name} in ${folder}`);
    files.set(file, manifestYaml(manifest));
  }
  return manifests;
}
