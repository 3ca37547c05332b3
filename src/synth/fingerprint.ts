import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { projectRoot } from '../paths.js';
import { generator } from '../version.js';
import { sha256 } from './write-dist.js';

/** The code whose change changes what synth writes: the model, charts and the synth, input and secrets code. */
const renderingCode = ['model', 'charts', 'src/synth', 'src/config', 'src/secrets', 'src/version.ts', 'src/paths.ts', 'src/quick-yaml.ts'];
/** Libraries whose version changes what synth writes. */
const renderingLibraries = ['cdk8s', 'cdk8s-plus-28', 'constructs', 'yaml', 'selfsigned'];

let cached: Promise<string> | undefined;

/**
 * A hash of the generator as it runs: its version, the source of everything that renders, and the
 * versions of the libraries that do. Part of each deployment's input hash, so a changed generator
 * renders every deployment again even when its version was not bumped.
 */
export function generatorFingerprint(): Promise<string> {
  cached ??= compute();
  return cached;
}

async function compute(): Promise<string> {
  const files: string[] = [];
  for (const entry of renderingCode) {
    const full = path.join(projectRoot, entry);
    if (entry.endsWith('.ts')) files.push(full);
    else for (const f of await readdir(full, { recursive: true })) if (f.endsWith('.ts')) files.push(path.join(full, f));
  }
  files.sort();
  const sources = await Promise.all(files.map(async (f) => `${path.relative(projectRoot, f)}\n${await readFile(f, 'utf8')}`));
  const require = createRequire(path.join(projectRoot, 'package.json'));
  const libraries = renderingLibraries.map((name) => `${name}@${(require(`${name}/package.json`) as { version: string }).version}`);
  return sha256(JSON.stringify([generator, libraries, sources]));
}
