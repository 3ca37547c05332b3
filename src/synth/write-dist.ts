import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RenderedFiles } from './render.js';

export const INDEX_FILE = 'index.json';

export interface DistIndex {
  generator: { name: string; version: string };
  /** dist/-relative path → sha256 of its content, sorted by path. */
  files: Record<string, string>;
}

export interface DistChanges {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
}

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export function buildIndex(files: RenderedFiles, generator: DistIndex['generator']): DistIndex {
  return { generator, files: Object.fromEntries([...files].map(([file, content]) => [file, sha256(content)])) };
}

/**
 * Replaces `outDir` with exactly `files` plus index.json, all or nothing: everything is written to a
 * sibling staging folder first and swapped in with renames, so a crash or error at any point leaves
 * the previous output whole.
 */
export async function writeDist(outDir: string, files: RenderedFiles, index: DistIndex): Promise<DistChanges> {
  const out = path.resolve(outDir);
  const previous = await readPrevious(out);
  const stage = `${out}.staging-${process.pid}`;
  await rm(stage, { recursive: true, force: true });
  try {
    for (const [file, content] of files) {
      const target = path.join(stage, file);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    await mkdir(stage, { recursive: true });
    await writeFile(path.join(stage, INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`);
    await swapIn(stage, out);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  return compare(previous, index.files);
}

async function swapIn(stage: string, out: string): Promise<void> {
  if (!existsSync(out)) {
    await rename(stage, out);
    return;
  }
  const old = `${out}.previous-${process.pid}`;
  await rename(out, old);
  try {
    await rename(stage, out);
  } catch (error) {
    await rename(old, out);
    throw error;
  }
  await rm(old, { recursive: true, force: true });
}

/**
 * Hashes of the files now in `out`. Refuses a folder that holds files but no index.json: replacing
 * it would delete something synth did not write (a mistyped --out).
 */
async function readPrevious(out: string): Promise<Map<string, string>> {
  const hashes = await hashTree(out);
  if (hashes.size && !hashes.has(INDEX_FILE)) {
    throw new Error(`${out} holds files but no ${INDEX_FILE}: it is not a synth output, refusing to replace it`);
  }
  hashes.delete(INDEX_FILE);
  return hashes;
}

/** sha256 of every file under `dir` by its `/`-separated relative path; empty when `dir` does not exist. */
export async function hashTree(dir: string): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  if (!existsSync(dir)) return hashes;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const file = path.join(e.parentPath, e.name);
    hashes.set(path.relative(dir, file).split(path.sep).join('/'), sha256(await readFile(file)));
  }
  return hashes;
}

export function compare(previous: ReadonlyMap<string, string>, next: Record<string, string>): DistChanges {
  const changes: DistChanges = { added: [], changed: [], removed: [], unchanged: 0 };
  for (const [file, hash] of Object.entries(next)) {
    const before = previous.get(file);
    if (before === undefined) changes.added.push(file);
    else if (before !== hash) changes.changed.push(file);
    else changes.unchanged++;
  }
  changes.removed = [...previous.keys()].filter((file) => !(file in next));
  for (const list of [changes.added, changes.changed, changes.removed]) list.sort();
  return changes;
}
