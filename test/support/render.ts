import { parseAllDocuments } from 'yaml';
import type { KubernetesObject } from '../../model/kubernetes-updates.js';
import type { DeploymentSecrets } from '../../model/secrets.js';
import { loadInputs, type Inputs } from '../../src/config/load.js';
import { renderClusters, renderDeployment, sortFiles, type DeploymentOutput, type RenderedFiles } from '../../src/synth/render.js';
import { resolveAllSecrets } from '../../src/synth/synth.js';
import { projectRoot } from './repo.js';

/** A rendered object; tests read any field of it. */
export interface Manifest extends KubernetesObject {
  // biome-ignore lint: tests read any field
  [key: string]: any;
}

/**
 * Renders inputs (default: the bundled examples) into dist-relative path → parsed object, with the
 * secrets of the committed state (nothing is written).
 */
export async function renderManifests(inputs?: Inputs): Promise<Map<string, Manifest>> {
  const resolvedInputs = inputs ?? (await loadInputs(projectRoot));
  const { secrets } = await resolveAllSecrets(projectRoot, resolvedInputs);
  const files = renderAll(resolvedInputs, '0.0.0-test', secrets);
  // A file of several documents (the Argo CD bootstrap) gives one entry per document: `file#index`.
  return new Map(
    [...files]
      .filter(([file]) => file.endsWith('.yaml'))
      .flatMap(([file, content]) => {
        const docs = parseAllDocuments(content).map((d) => d.toJS() as Manifest);
        return docs.length === 1 ? [[file, docs[0]!] as const] : docs.map((m, i) => [`${file}#${i}`, m] as const);
      }),
  );
}

/**
 * Renders every cluster and deployment in this thread, with none of synth's reuse or worker threads:
 * dist/-relative path → content, sorted by path (what synth --full writes, but for dist/index.json).
 */
export function renderAll(inputs: Inputs, generatorVersion: string, secrets: ReadonlyMap<string, DeploymentSecrets>): RenderedFiles {
  const files: RenderedFiles = new Map();
  const outputs = new Map<string, DeploymentOutput>();
  for (const deployment of inputs.deployments) {
    const output = renderDeployment(deployment, generatorVersion, secrets.get(deployment.name)!);
    outputs.set(deployment.name, output);
    for (const [file, content] of output.files) files.set(file, content);
  }
  for (const [file, content] of renderClusters(inputs, generatorVersion, outputs)) files.set(file, content);
  return sortFiles(files);
}

export function find(manifests: Map<string, Manifest>, kind: string, name: string): Manifest {
  const found = [...manifests.values()].find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${[...manifests.keys()].join(', ')}`);
  return found;
}
