import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { RenderedFiles } from './render.js';
import { INDEX_FILE } from '../../model/dist-layout.js';
import { commit } from './transaction.js';

export interface DistIndex {
  generator: { name: string; version: string };
  /** Per `<cluster>/<deployment>`: what it was rendered from, so an unchanged one is not rendered again. */
  deployments?: Record<string, DeploymentRecord>;
  /** Per cluster: a hash of what its `_cluster/` and `_argocd/` files are rendered from, so unchanged ones are not rendered again. */
  clusters?: Record<string, { inputs: string }>;
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
  clusters: Record<string, { inputs: string }> = {},
): DistIndex {
  const hashes = new Map(kept);
  for (const [file, content] of files) hashes.set(file, sha256(content));
  const sorted = (entries: Iterable<[string, string]>) => Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const byName = Object.fromEntries(Object.entries(deployments).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const clustersByName = Object.fromEntries(Object.entries(clusters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    generator,
    ...(Object.keys(byName).length ? { deployments: byName } : {}),
    ...(Object.keys(clustersByName).length ? { clusters: clustersByName } : {}),
    files: sorted(hashes),
  };
}

/** What is in an output folder now: each file's hash (see readPrevious) and the index. */
export interface PreviousOutput {
  hashes: Map<string, string>;
  index: DistIndex | undefined;
  /** index.json as it is on disk, so an unchanged one is not written again. */
  indexText: string | undefined;
}

/** State files to write (absolute path → text) and to delete, in the same transaction as dist/. */
export interface StateChanges {
  writes: ReadonlyMap<string, string>;
  removes: readonly string[];
}

/**
 * Makes `outDir` hold exactly the previous files that `index` still lists, `files` and index.json,
 * and applies `states`, as one transaction (transaction.ts): a failure or a crash at any point leaves
 * both as they were or, once committed, is completed by the next run. Only what changes is touched:
 * a file whose content is the same keeps its timestamps, so git (which re-reads files whose ctime
 * moved) and the next synth see nothing to do.
 */
export async function writeDist(
  outDir: string,
  files: RenderedFiles,
  index: DistIndex,
  previous: PreviousOutput,
  states: StateChanges = { writes: new Map(), removes: [] },
): Promise<DistChanges> {
  const changes = compare(previous.hashes, index.files);
  const writes = [...changes.added, ...changes.changed];
  const indexText = `${JSON.stringify(index, null, 2)}\n`;
  const stateChanges = states.writes.size + states.removes.length;
  if (writes.length === 0 && changes.removed.length === 0 && indexText === previous.indexText && stateChanges === 0) return changes;
  const contents = new Map<string, string>();
  for (const file of writes) {
    const content = files.get(file);
    if (content === undefined) throw new Error(`${file}: listed in the index as new or changed but not rendered`);
    contents.set(file, content);
  }
  await commit({ out: outDir, writes: contents, removes: changes.removed, index: indexText, stateWrites: states.writes, stateRemoves: states.removes });
  return changes;
}

/**
 * The files now in `outDir` and its index. Refuses a folder that holds files but no index.json:
 * replacing it would delete something synth did not write (a mistyped --out).
 *
 * `verify` (synth --full, diff, gate --check-synced): every file is listed, and those modified since
 * index.json was written are hashed again, so a hand edit anywhere is found. Without it the index is
 * taken at its word: listing and stating a fleet's tens of thousands of files cost more than
 * rendering one deployment, and grew with the fleet. The folders a synth then renders or removes
 * are read as they are on disk with `refreshFolders`, so what it writes is always compared with what
 * is there.
 */
export async function readPrevious(outDir: string, { verify = true }: { verify?: boolean } = {}): Promise<PreviousOutput> {
  const out = path.resolve(outDir);
  if (!verify) {
    try {
      const indexText = readFileSync(path.join(out, INDEX_FILE), 'utf8');
      const index = JSON.parse(indexText) as DistIndex;
      if (index && typeof index.files === 'object' && index.files !== null) return { hashes: new Map(Object.entries(index.files)), index, indexText };
    } catch {
      // No index (a first synth) or an unreadable one: every file is listed and read, below.
    }
  }
  const files = listFiles(out);
  if (files.length && !files.includes(INDEX_FILE)) {
    throw new Error(`${out} holds files but no ${INDEX_FILE}: it is not a synth output, refusing to replace it`);
  }
  let index: DistIndex | undefined;
  let indexText: string | undefined;
  let indexWritten = -Infinity;
  try {
    indexText = readFileSync(path.join(out, INDEX_FILE), 'utf8');
    index = JSON.parse(indexText) as DistIndex;
    indexWritten = statSync(path.join(out, INDEX_FILE)).mtimeMs;
  } catch {
    // No index (a first synth) or an unreadable one: every file is read.
  }
  // As git does with its index: a file last modified before index.json was written (synth replaces it
  // last) still has the hash recorded there; other files (a hand edit, a checkout) are read. Strictly
  // before: timestamps advance in clock ticks of a few ms, and an edit may share index.json's tick.
  // Synchronous listing and stats: tens of thousands of them through the thread pool cost several times more.
  const entries = files
    .filter((file) => file !== INDEX_FILE)
    .map((file) => {
      const recorded = index?.files?.[file];
      const full = path.join(out, file);
      return [file, recorded && statSync(full).mtimeMs < indexWritten ? recorded : sha256(readFileSync(full))] as const;
    });
  return { hashes: new Map(entries), index, indexText };
}

/**
 * Replaces what `previous` says of the files under each of `folders` (dist/-relative, `<cluster>/<name>`)
 * with what is on disk now: each file listed and hashed (a hand edit, a file added or deleted by hand).
 */
export function refreshFolders(outDir: string, previous: PreviousOutput, folders: Iterable<string>): void {
  const out = path.resolve(outDir);
  const wanted = new Set(folders);
  if (wanted.size === 0) return;
  for (const file of [...previous.hashes.keys()]) {
    if (wanted.has(folderOf(file))) previous.hashes.delete(file);
  }
  for (const folder of wanted) {
    for (const file of listFiles(path.join(out, folder))) {
      const relative = `${folder}/${file}`;
      previous.hashes.set(relative, sha256(readFileSync(path.join(out, relative))));
    }
  }
}

/**
 * The `<cluster>/<deployment>` (or `<cluster>/_cluster`, `_argocd/<cluster>`) folder of a dist/-relative
 * path: its first two segments. Slicing, not splitting: it runs for every file of a fleet's index.
 */
export function folderOf(file: string): string {
  const second = file.indexOf('/', file.indexOf('/') + 1);
  return second < 0 ? file : file.slice(0, second);
}

/** Every file under `dir` by its `/`-separated relative path, sorted; empty when `dir` does not exist. */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  // Entries' parentPath start with `dir` as given: slicing is ten times faster than path.relative.
  const prefix = dir.length + 1;
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => `${e.parentPath.slice(prefix)}${e.parentPath.length > dir.length ? '/' : ''}${e.name}`.split(path.sep).join('/'))
    .sort();
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
