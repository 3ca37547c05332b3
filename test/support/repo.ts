import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { transactionFolder } from '../../src/synth/transaction.js';

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

/**
 * A tempRepo whose input and state files were last modified an hour ago, well before any synth
 * cache's start (a file modified since a run began is racily clean, and never kept).
 */
export function settledRepo(): string {
  const repo = tempRepo();
  const past = new Date(Date.now() - 3600_000);
  for (const folder of ['clusters', 'deployments', 'state/example']) {
    for (const name of readdirSync(path.join(repo, folder))) utimesSync(path.join(repo, folder, name), past, past);
  }
  return repo;
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

/**
 * What synth's transaction folder beside the output `out` holds: nothing between runs, whether or
 * not the folder is there (it stays, emptied: src/synth/transaction.ts).
 */
export function leftInTransaction(out: string): string[] {
  try {
    return readdirSync(transactionFolder(out));
  } catch {
    return [];
  }
}
