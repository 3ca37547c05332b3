import { parse } from 'yaml';
import { loadInputs, type Inputs } from '../../src/config/load.js';
import { renderAll } from '../../src/synth/render.js';
import { resolveAllSecrets } from '../../src/synth/synth.js';
import { projectRoot } from './repo.js';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
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
  return new Map([...files].filter(([file]) => file.endsWith('.yaml')).map(([file, content]) => [file, parse(content) as Manifest]));
}

export function find(manifests: Map<string, Manifest>, kind: string, name: string): Manifest {
  const found = [...manifests.values()].find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${[...manifests.keys()].join(', ')}`);
  return found;
}
