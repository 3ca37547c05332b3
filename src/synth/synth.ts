import { loadInputs } from '../config/load.js';
import { generator } from '../version.js';
import { renderAll } from './render.js';
import { buildIndex, writeDist, type DistChanges } from './write-dist.js';

export interface SynthResult {
  clusters: number;
  deployments: number;
  files: number;
  changes: DistChanges;
}

/** Inputs under `root` → manifests in `outDir`. Throws InputErrors on bad input, leaving outDir as it was. */
export async function synth(root: string, outDir: string): Promise<SynthResult> {
  const inputs = await loadInputs(root);
  const files = renderAll(inputs, generator.version);
  const changes = await writeDist(outDir, files, buildIndex(files, generator));
  return { clusters: inputs.clusters.length, deployments: inputs.deployments.length, files: files.size, changes };
}
