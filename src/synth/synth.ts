import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { serverCertificateNames, type DeploymentSecrets } from '../../charts/deployment-chart.js';
import { InputErrors, loadInputs, type Cluster, type Inputs } from '../config/load.js';
import { resolveSecrets, type Rotation } from '../secrets/resolve.js';
import { loadSealingKey, type SealingKey } from '../secrets/seal.js';
import { readState, stateFile, writeState, type SecretsState } from '../secrets/state.js';
import { generator } from '../version.js';
import { renderAll } from './render.js';
import { buildIndex, writeDist, type DistChanges } from './write-dist.js';

export interface SynthOptions {
  /** Rotations to apply, by deployment name. */
  rotate?: ReadonlyMap<string, ReadonlySet<Rotation>>;
  /** The time certificates are issued at; default now. Only used when something is generated. */
  now?: Date;
  /** false: leave state/ untouched (a synth to compare with, not to keep). Default true. */
  writeState?: boolean;
}

export interface SynthResult {
  clusters: number;
  deployments: number;
  files: number;
  changes: DistChanges;
  /** Per deployment: secrets generated, rotated or about to expire. */
  notes: { deployment: string; note: string }[];
  /** State files written (secrets generated or re-sealed). */
  statesWritten: string[];
}

export interface ResolvedAll {
  secrets: Map<string, DeploymentSecrets>;
  states: { file: string; state: SecretsState; changed: boolean }[];
  notes: SynthResult['notes'];
}

/** Every deployment's secrets, from its state file under `root` where that still fits. */
export async function resolveAllSecrets(root: string, inputs: Inputs, options: SynthOptions = {}): Promise<ResolvedAll> {
  const sealingKeys = new Map<string, SealingKey>();
  const sealingKeyOf = async (cluster: Cluster) => {
    let key = sealingKeys.get(cluster.name);
    if (!key) {
      const file = cluster.spec.sealedSecrets.certificate;
      try {
        key = loadSealingKey(await readFile(path.join(root, file), 'utf8'), file);
      } catch (error) {
        throw new InputErrors([{ file: cluster.file, field: 'sealedSecrets.certificate', message: (error as Error).message }]);
      }
      sealingKeys.set(cluster.name, key);
    }
    return key;
  };
  const now = options.now ?? new Date();
  const result: ResolvedAll = { secrets: new Map(), states: [], notes: [] };
  for (const deployment of inputs.deployments) {
    const file = stateFile(root, deployment.cluster.name, deployment.name);
    const previous = await readState(file);
    const resolved = await resolveSecrets({
      deployment,
      subjectNames: serverCertificateNames(deployment, { deployment: deployment.name, namespace: deployment.namespace }),
      sealingKey: await sealingKeyOf(deployment.cluster),
      previous,
      now,
      rotate: options.rotate?.get(deployment.name) ?? new Set(),
    });
    result.secrets.set(deployment.name, resolved.secrets);
    result.states.push({ file, state: resolved.state, changed: JSON.stringify(previous) !== JSON.stringify(resolved.state) });
    for (const note of resolved.notes) result.notes.push({ deployment: deployment.name, note });
  }
  return result;
}

/**
 * Inputs under `root` → manifests in `outDir`, plus the secrets state under state/. Throws InputErrors
 * on bad input, leaving outDir and the state as they were; the state is written only after outDir.
 */
export async function synth(root: string, outDir: string, options: SynthOptions = {}): Promise<SynthResult> {
  const inputs = await loadInputs(root);
  for (const name of options.rotate?.keys() ?? []) {
    if (!inputs.deployments.some((d) => d.name === name)) {
      throw new InputErrors([{ file: `deployments/${name}.yaml`, field: '', message: 'no such deployment to rotate' }]);
    }
  }
  const { secrets, states, notes } = await resolveAllSecrets(root, inputs, options);
  const files = renderAll(inputs, generator.version, secrets);
  const changes = await writeDist(outDir, files, buildIndex(files, generator));
  const statesWritten: string[] = [];
  for (const s of states.filter((s) => s.changed && options.writeState !== false)) {
    await writeState(s.file, s.state);
    statesWritten.push(path.relative(root, s.file));
  }
  return { clusters: inputs.clusters.length, deployments: inputs.deployments.length, files: files.size, changes, notes, statesWritten };
}
