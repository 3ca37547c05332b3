import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A temporary folder removed when the current test finishes. */
export function tempDir(prefix = 'redis-gitops-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A throw-away copy of the repository's inputs (clusters/, deployments/, state/), to synth or break. */
export function tempRepo(): string {
  const dir = tempDir();
  for (const folder of ['clusters', 'deployments', 'state']) {
    cpSync(path.join(projectRoot, folder), path.join(dir, folder), { recursive: true });
  }
  return dir;
}

export function writeInput(repo: string, file: string, content: string): void {
  writeFileSync(path.join(repo, file), content);
}

/** Every file under `dir` with its bytes, keyed by relative path: a folder's exact state. */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name);
    if (statSync(file).isFile()) out[name] = readFileSync(file, 'base64');
  }
  return out;
}
