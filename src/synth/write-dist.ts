import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pMap from 'p-map';
import type { RenderedFiles } from './render.js';

/** Files read or written at once: enough to keep libuv's threads busy, far below the open-file limit. */
const IO_CONCURRENCY = 64;

export const INDEX_FILE = 'index.json';

export interface DistIndex {
  generator: { name: string; version: string };
  /** Per `<cluster>/<deployment>`: what it was rendered from, so an unchanged one is not rendered again. */
  deployments?: Record<string, DeploymentRecord>;
  /** dist/-relative path → sha256 of its content, sorted by path. */
  files: Record<string, string>;
}

export interface DeploymentRecord {
  /** sha256 of everything the deployment's files depend on (see synth.ts inputsHash). */
  inputs: string;
  /** `group/kind` of its namespaced and cluster-scoped objects, which the Argo CD project lists. */
  namespacedKinds: string[];
  clusterKinds: string[];
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

/** The index of `files` (rendered now) and `kept` (path → hash, carried over from the previous output). */
export function buildIndex(
  files: RenderedFiles,
  generator: DistIndex['generator'],
  deployments: Record<string, DeploymentRecord> = {},
  kept: ReadonlyMap<string, string> = new Map(),
): DistIndex {
  const hashes = new Map(kept);
  for (const [file, content] of files) hashes.set(file, sha256(content));
  const sorted = (entries: Iterable<[string, string]>) => Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const byName = Object.fromEntries(Object.entries(deployments).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { generator, ...(Object.keys(byName).length ? { deployments: byName } : {}), files: sorted(hashes) };
}

/** What is in an output folder now: each file's hash (read, not trusted from the index) and the index. */
export interface PreviousOutput {
  hashes: Map<string, string>;
  index: DistIndex | undefined;
}

/**
 * Replaces `outDir` with exactly `files`, the `kept` files of the previous output, and index.json,
 * all or nothing: everything goes to a sibling staging folder first (kept files as hard links, so
 * nothing is copied) and is swapped in with renames, so a crash or error at any point leaves the
 * previous output whole.
 */
export async function writeDist(
  outDir: string,
  files: RenderedFiles,
  index: DistIndex,
  previous: PreviousOutput,
  kept: Iterable<string> = [],
): Promise<DistChanges> {
  const out = path.resolve(outDir);
  const stage = `${out}.staging-${process.pid}`;
  await rm(stage, { recursive: true, force: true });
  try {
    const keptFiles = [...kept];
    const folders = new Set([stage, ...[...files.keys(), ...keptFiles].map((file) => path.dirname(path.join(stage, file)))]);
    // Parents first: sorted paths put a folder before its subfolders.
    for (const folder of [...folders].sort()) await mkdir(folder, { recursive: true });
    await pMap(files, ([file, content]) => writeFile(path.join(stage, file), content), { concurrency: IO_CONCURRENCY });
    await pMap(keptFiles, (file) => link(path.join(out, file), path.join(stage, file)), { concurrency: IO_CONCURRENCY });
    await writeFile(path.join(stage, INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`);
    await swapIn(stage, out);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  return compare(previous.hashes, index.files);
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
 * The files now in `outDir` and its index. Refuses a folder that holds files but no index.json:
 * replacing it would delete something synth did not write (a mistyped --out).
 */
export async function readPrevious(outDir: string): Promise<PreviousOutput> {
  const out = path.resolve(outDir);
  const files = await listFiles(out);
  if (files.length && !files.includes(INDEX_FILE)) {
    throw new Error(`${out} holds files but no ${INDEX_FILE}: it is not a synth output, refusing to replace it`);
  }
  let index: DistIndex | undefined;
  let indexWritten = -Infinity;
  try {
    index = JSON.parse(await readFile(path.join(out, INDEX_FILE), 'utf8')) as DistIndex;
    indexWritten = (await stat(path.join(out, INDEX_FILE))).mtimeMs;
  } catch {
    // No index (a first synth) or an unreadable one: every file is read.
  }
  // As git does with its index: a file last modified before index.json was written (synth writes it
  // last) still has the hash recorded there; other files (a hand edit, a checkout) are read. Strictly
  // before: timestamps advance in clock ticks of a few ms, and an edit may share index.json's tick.
  const entries = await pMap(
    files.filter((file) => file !== INDEX_FILE),
    async (file) => {
      const recorded = index?.files[file];
      const full = path.join(out, file);
      const hash = recorded && (await stat(full)).mtimeMs < indexWritten ? recorded : sha256(await readFile(full));
      return [file, hash] as const;
    },
    { concurrency: IO_CONCURRENCY },
  );
  return { hashes: new Map(entries), index };
}

/** Every file under `dir` by its `/`-separated relative path, sorted; empty when `dir` does not exist. */
async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** sha256 of every file under `dir` by its `/`-separated relative path; empty when `dir` does not exist. */
export async function hashTree(dir: string): Promise<Map<string, string>> {
  const files = await listFiles(dir);
  return new Map(await pMap(files, async (file) => [file, sha256(await readFile(path.join(dir, file)))] as const, { concurrency: IO_CONCURRENCY }));
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
