import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from './paths.js';

/**
 * A hash of code as it runs: `head` (a version, a format), the TypeScript sources under `entries`
 * (files or folders, relative to the project root) and the versions of `libraries`. What synth
 * renders and what the gate concludes are functions of such code, so a changed source invalidates
 * what was derived from it even when no version was bumped.
 */
export async function codeFingerprint(head: unknown, entries: readonly string[], libraries: readonly string[]): Promise<string> {
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(projectRoot, entry);
    if (entry.endsWith('.ts')) files.push(full);
    else for (const f of await readdir(full, { recursive: true })) if (f.endsWith('.ts')) files.push(path.join(full, f));
  }
  files.sort();
  const sources = await Promise.all(files.map(async (f) => `${path.relative(projectRoot, f)}\n${await readFile(f, 'utf8')}`));
  // Read, not required: some packages do not export their package.json.
  const versions = await Promise.all(
    libraries.map(async (name) => `${name}@${(JSON.parse(await readFile(path.join(projectRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version}`),
  );
  return createHash('sha256').update(JSON.stringify([head, versions, sources])).digest('hex');
}
