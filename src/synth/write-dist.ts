import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { RenderedFiles } from './render.js';
import { INDEX_FILE, LEGACY_INDEX_FILE, SUMS_FILE } from '../../model/dist-layout.js';
import { commit, type Staging } from './transaction.js';

/**
 * What dist/index.json says. It lists no file: each folder of dist/ (see folderOf) lists its own in
 * its SUMS_FILE, and the index holds the sha256 of that list. A synth that renders one deployment
 * reads and writes the index (a line per deployment and per folder) and that one folder's list,
 * however large the fleet: an index of every file's hash was read, compared and written whole by
 * every synth (57 MB at 10,000 deployments, seconds of CPU).
 */
export interface DistIndex {
  generator: { name: string; version: string };
  /** Per `<cluster>/<deployment>`: what it was rendered from, so an unchanged one is not rendered again. */
  deployments?: Record<string, DeploymentRecord>;
  /** Per cluster: a hash of what its `_cluster/` and `_argocd/` files are rendered from, so unchanged ones are not rendered again. */
  clusters?: Record<string, { inputs: string }>;
  /** Per folder of dist/, sorted by folder. */
  folders: Record<string, FolderRecord>;
}

export interface DeploymentRecord {
  /** sha256 of everything the deployment's files depend on (see synth.ts inputsHash). */
  inputs: string;
  /** `group/kind` of its namespaced and cluster-scoped objects, which the Argo CD project lists. */
  namespacedKinds: string[];
  clusterKinds: string[];
}

export interface FolderRecord {
  /** How many files the folder holds, its SUMS_FILE aside. */
  files: number;
  /** sha256 of the text of its SUMS_FILE, which holds the sha256 of each of those files. */
  sums: string;
}

/** The layout of index.json this code reads and writes; an index of another layout is read as none (every file read, every deployment rendered). */
const INDEX_LAYOUT = 2;

export interface DistChanges {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
}

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Files rendered now, with the SUMS_FILE of each of their folders (see withSums). */
export interface RenderedOutput {
  /** dist/-relative path → content, sorted by path; the SUMS_FILEs included. */
  files: RenderedFiles;
  /** dist/-relative path → sha256 of its content, for every file of `files`. */
  hashes: Map<string, string>;
  /** The record of each folder of `files`. */
  folders: Map<string, FolderRecord>;
}

/** Whether a dist/-relative path is a folder's SUMS_FILE (bookkeeping, like index.json: never reported as a change). */
export function isSumsFile(file: string): boolean {
  return file.endsWith(`/${SUMS_FILE}`) && file.split('/').length === 3;
}

/**
 * `files` (rendered now, whole folders) with the SUMS_FILE of each of their folders. Every file must be
 * in a folder (`<a>/<b>/<name>`): synth writes nothing else. `known`: sha256 of files already hashed.
 */
export function withSums(files: RenderedFiles, known: ReadonlyMap<string, string> = new Map()): RenderedOutput {
  const hashes = new Map<string, string>();
  const byFolder = new Map<string, [string, string][]>();
  for (const [file, content] of files) {
    const folder = folderOf(file);
    if (folder === file || folder.length + 1 >= file.length) throw new Error(`${file}: not in a folder of dist/ (<cluster>/<deployment>/...)`);
    const hash = known.get(file) ?? sha256(content);
    hashes.set(file, hash);
    const list = byFolder.get(folder);
    const entry: [string, string] = [file.slice(folder.length + 1), hash];
    if (list) list.push(entry);
    else byFolder.set(folder, [entry]);
  }
  const all = new Map(files);
  const folders = new Map<string, FolderRecord>();
  for (const [folder, entries] of byFolder) {
    const text = sumsText(entries);
    const sums = sha256(text);
    all.set(`${folder}/${SUMS_FILE}`, text);
    hashes.set(`${folder}/${SUMS_FILE}`, sums);
    folders.set(folder, { files: entries.length, sums });
  }
  return { files: sortByPath(all), hashes, folders };
}

/** A SUMS_FILE's text: `<sha256>  <name>` per file, sorted by name, as `sha256sum` writes it. */
export function sumsText(entries: [string, string][]): string {
  return entries
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, hash]) => `${hash}  ${name}\n`)
    .join('');
}

/** A SUMS_FILE's name → sha256; undefined when it is not one (a line that is no `<sha256>  <name>`). */
export function parseSums(text: string): Map<string, string> | undefined {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (!match) return undefined;
    sums.set(match[2]!, match[1]!);
  }
  return sums;
}

/** The index of folders `folders` (those rendered now and those kept), with the deployments' and clusters' records. */
export function buildIndex(
  generator: DistIndex['generator'],
  folders: ReadonlyMap<string, FolderRecord>,
  deployments: Record<string, DeploymentRecord> = {},
  clusters: Record<string, { inputs: string }> = {},
): DistIndex {
  const byKey = <T>(entries: Iterable<[string, T]>) => Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const byName = byKey(Object.entries(deployments));
  const clustersByName = byKey(Object.entries(clusters));
  return {
    generator,
    ...(Object.keys(byName).length ? { deployments: byName } : {}),
    ...(Object.keys(clustersByName).length ? { clusters: clustersByName } : {}),
    folders: byKey(folders),
  };
}

/**
 * index.json's text: one line per deployment, cluster and folder (a change to one deployment changes
 * a line or two), and each distinct set of kinds once, named by its hash (the deployments of a fleet
 * share a few; listed in each record, they were most of the index).
 */
export function indexText(index: DistIndex): string {
  const kindSets = new Map<string, { namespaced: string[]; cluster: string[] }>();
  // Deployments share their kinds' arrays (read from one set of the index) or not (rendered now): by their text.
  const names = new Map<string, string>();
  // ...and the arrays read from one set are serialized once, not once per deployment.
  const byArrays = new Map<readonly string[], Map<readonly string[], string>>();
  const nameOf = (namespaced: string[], cluster: string[]) => {
    const known = byArrays.get(namespaced)?.get(cluster);
    if (known !== undefined) return known;
    const set = { namespaced, cluster };
    const text = JSON.stringify(set);
    let name = names.get(text);
    if (name === undefined) {
      name = sha256(text).slice(0, 16);
      names.set(text, name);
      kindSets.set(name, set);
    }
    if (!byArrays.has(namespaced)) byArrays.set(namespaced, new Map());
    byArrays.get(namespaced)!.set(cluster, name);
    return name;
  };
  const deployments = Object.entries(index.deployments ?? {}).map(([key, record]): [string, StoredDeployment] => [key, { inputs: record.inputs, kinds: nameOf(record.namespacedKinds, record.clusterKinds) }]);
  const section = (name: IndexSection, entries: [string, unknown][]) => (entries.length ? [`${sectionStart(name)}${entries.map(([key, value]) => entryLine(key, value)).join(',\n')}\n  }`] : []);
  const lines = [
    `  "layout": ${INDEX_LAYOUT}`,
    `  "generator": ${JSON.stringify(index.generator)}`,
    ...section('kinds', [...kindSets].sort(([a], [b]) => (a < b ? -1 : 1))),
    ...section('deployments', deployments),
    ...section('clusters', Object.entries(index.clusters ?? {})),
    ...section('folders', Object.entries(index.folders)),
  ];
  return `{\n${lines.join(',\n')}\n}\n`;
}

/** The sections of index.json holding one entry per line (see indexText). */
type IndexSection = 'kinds' | 'deployments' | 'clusters' | 'folders';

/** A set of kinds as index.json names it once for the deployments that share it. */
export interface StoredKinds {
  namespaced: string[];
  cluster: string[];
}

/** A deployment's entry in index.json: its inputs, and its kinds by the name of their set. */
export interface StoredDeployment {
  inputs: string;
  kinds: string;
}

/** How a section of index.json begins: what follows is its entries, one per line, then `\n  }`. */
function sectionStart(name: IndexSection): string {
  return `  ${JSON.stringify(name)}: {\n`;
}

/** An entry's line in a section of index.json (no raw line break: JSON escapes those inside strings). */
function entryLine(key: string, value: unknown): string {
  return `    ${JSON.stringify(key)}: ${JSON.stringify(value)}`;
}

/**
 * An index's text read and changed entry by entry, as indexText lays it out (each entry on its own
 * line in its section): a synth after one change reads and replaces a few entries of an index of
 * 10,000 deployments (2.4 MB) without parsing, rebuilding or serializing the rest. Only for a text
 * this code wrote (the fleet record holds its sha256): any other is read whole by parseIndex.
 */
export class IndexLines {
  private readonly ranges = new Map<IndexSection, [number, number] | undefined>();

  constructor(readonly text: string) {}

  /** Where the entries of `section` lie in the text ([start, end)), undefined when it has none. */
  private range(section: IndexSection): [number, number] | undefined {
    if (this.ranges.has(section)) return this.ranges.get(section);
    const head = `\n${sectionStart(section)}`;
    const at = this.text.indexOf(head);
    const start = at + head.length - 1;
    const range: [number, number] | undefined = at < 0 ? undefined : [start, this.text.indexOf('\n  }', start)];
    this.ranges.set(section, range);
    return range;
  }

  /** Where `key`'s value lies in `section` ([start, end)), undefined when there is no such entry. */
  private find(section: IndexSection, key: string): [number, number] | undefined {
    const range = this.range(section);
    if (!range) return undefined;
    const prefix = `\n${entryLine(key, '').slice(0, -2)}`;
    const at = this.text.indexOf(prefix, range[0] - 1);
    if (at < 0 || at >= range[1]) return undefined;
    const start = at + prefix.length;
    const end = this.text.indexOf('\n', start);
    return [start, this.text[end - 1] === ',' ? end - 1 : end];
  }

  /** The value of `key` in `section`, undefined when there is no such entry. */
  get<T>(section: IndexSection, key: string): T | undefined {
    const found = this.find(section, key);
    return found && (JSON.parse(this.text.slice(...found)) as T);
  }

  /** How many entries `section` holds. */
  count(section: IndexSection): number {
    const range = this.range(section);
    if (!range) return 0;
    let count = 0;
    for (let at = range[0]; at >= 0 && at < range[1]; at = this.text.indexOf('\n', at + 1)) count++;
    return count;
  }

  /** The text with these entries' values replaced (the text indexText would write), undefined when one of them is not there. */
  with(changes: Iterable<[section: IndexSection, key: string, value: unknown]>): string | undefined {
    const spans: [number, number, string][] = [];
    for (const [section, key, value] of changes) {
      const found = this.find(section, key);
      if (!found) return undefined;
      spans.push([...found, JSON.stringify(value)]);
    }
    spans.sort(([a], [b]) => a - b);
    let text = '';
    let from = 0;
    for (const [start, end, value] of spans) {
      text += this.text.slice(from, start) + value;
      from = end;
    }
    return text + this.text.slice(from);
  }
}

/** The index in `text`, or why it is not one this code can use. */
export function parseIndex(text: string): { index: DistIndex } | { problem: string } {
  let stored: {
    layout?: unknown;
    generator?: unknown;
    kinds?: Record<string, StoredKinds>;
    deployments?: Record<string, StoredDeployment>;
    clusters?: Record<string, { inputs: string }>;
    folders?: unknown;
  };
  try {
    stored = JSON.parse(text);
  } catch (error) {
    return { problem: `not JSON (${(error as Error).message})` };
  }
  if (!stored || typeof stored !== 'object') return { problem: 'not an object' };
  if (stored.layout !== INDEX_LAYOUT) return { problem: `written by another version of synth (layout ${JSON.stringify(stored.layout ?? 1)}, this one reads ${INDEX_LAYOUT})` };
  if (!stored.generator || typeof stored.generator !== 'object' || !stored.folders || typeof stored.folders !== 'object') return { problem: 'no generator or folders' };
  const folders = stored.folders as Record<string, FolderRecord>;
  for (const [folder, record] of Object.entries(folders)) {
    if (typeof record?.files !== 'number' || typeof record.sums !== 'string') return { problem: `folder ${folder}: no file count or sums` };
  }
  const deployments: Record<string, DeploymentRecord> = {};
  for (const [key, record] of Object.entries(stored.deployments ?? {})) {
    const kinds = stored.kinds?.[record?.kinds];
    if (typeof record?.inputs !== 'string' || !Array.isArray(kinds?.namespaced) || !Array.isArray(kinds.cluster)) return { problem: `deployment ${key}: no inputs or kinds` };
    deployments[key] = { inputs: record.inputs, namespacedKinds: kinds.namespaced, clusterKinds: kinds.cluster };
  }
  return {
    index: {
      generator: stored.generator as DistIndex['generator'],
      ...(stored.deployments ? { deployments } : {}),
      ...(stored.clusters ? { clusters: stored.clusters } : {}),
      folders,
    },
  };
}

/** What is in an output folder now: the index, and the files read from disk (see readPrevious). */
export interface PreviousOutput {
  index: DistIndex | undefined;
  /** index.json as it is on disk, so an unchanged one is not written again. */
  indexText: string | undefined;
  /** The index was read from where synth kept it before (LEGACY_INDEX_FILE): the next write moves it. */
  legacyIndex?: boolean;
  /**
   * dist/-relative path → sha256 of the files read from disk (SHA256SUMS included): with verify every
   * file, otherwise those of the folders refreshFolders read.
   */
  hashes: Map<string, string>;
  /** The folders whose files `hashes` holds (with verify, every folder). */
  read: Set<string>;
  /**
   * Folders of the index found on disk not as it records them: a file edited, added or deleted by hand,
   * or a SHA256SUMS that is not the one the index records. Only folders that were read can be found so.
   */
  broken: Set<string>;
  /** Why index.json could not be used (every file was read instead), for the synth's report. */
  problem?: string;
}

/** Whether the folder's files are, as far as this run read them, those the previous index records. */
export function isIntact(previous: PreviousOutput, folder: string): boolean {
  return !!previous.index?.folders[folder] && !previous.broken.has(folder);
}

/** State files to write (absolute path → text) and to delete, in the same transaction as dist/. */
export interface StateChanges {
  writes: ReadonlyMap<string, string>;
  removes: readonly string[];
}

/**
 * Makes `outDir` hold the folders `index` keeps from the previous output, the files `output` renders
 * (whole folders, with their SUMS_FILEs) and index.json, and applies `states`, as one transaction
 * (transaction.ts): a failure or a crash at any point leaves both as they were or, once committed,
 * is completed by the next run. Only what changes is touched: a file whose content is the same keeps
 * its timestamps, so git (which re-reads files whose ctime moved) and the next synth see nothing to do.
 * The changes returned leave the SUMS_FILEs out (bookkeeping, as index.json). `text`: the index's
 * text; `staged`: files the synth already wrote into the transaction folder while it rendered.
 */
export async function writeDist(
  outDir: string,
  output: RenderedOutput,
  { text, kept }: { text: string; kept: KeptFolders },
  previous: PreviousOutput,
  states: StateChanges = { writes: new Map(), removes: [] },
  staged?: Staging,
): Promise<DistChanges> {
  const changes = compare(previous.hashes, output.hashes, kept);
  const writes = [...changes.added, ...changes.changed];
  const stateChanges = states.writes.size + states.removes.length;
  if (writes.length === 0 && changes.removed.length === 0 && text === previous.indexText && !previous.legacyIndex && stateChanges === 0) return withoutSums(changes);
  const contents = new Map<string, string>();
  for (const file of writes) {
    const content = output.files.get(file);
    if (content === undefined) throw new Error(`${file}: listed as new or changed but not rendered`);
    contents.set(file, content);
  }
  // The index where an earlier synth kept it goes as the new one is written (bookkeeping: not a change to report).
  const removes = previous.legacyIndex ? [...changes.removed, LEGACY_INDEX_FILE] : changes.removed;
  await commit({ out: outDir, writes: contents, removes, index: text, stateWrites: states.writes, stateRemoves: states.removes, staged });
  return withoutSums(changes);
}

/**
 * The folders an output keeps as they were: those among them whose files were read (the previous
 * output's hashes may hold their files: none is removed), and how many files all of them hold.
 */
export interface KeptFolders {
  folders: ReadonlyMap<string, FolderRecord>;
  files: number;
}

/** `folders` kept, every one of them listed. */
export function keptOf(folders: ReadonlyMap<string, FolderRecord>): KeptFolders {
  let files = 0;
  for (const record of folders.values()) files += record.files;
  return { folders, files };
}

/** The folders of `index` not rendered in `output`: kept as they were. */
export function keptFolders(index: DistIndex, output: RenderedOutput): KeptFolders {
  return keptOf(new Map(Object.entries(index.folders).filter(([folder]) => !output.folders.has(folder))));
}

/**
 * The files now in `outDir` and its index. Refuses a folder that holds files but no index.json:
 * replacing it would delete something synth did not write (a mistyped --out).
 *
 * `verify` (synth --full, diff, gate --check-synced): every file is listed, and each folder's files
 * are checked against its SUMS_FILE (itself checked against the index): as git does with its index, a
 * file last modified before its folder's SUMS_FILE was written (synth writes it after the folder's
 * files) still has the hash listed there; other files (a hand edit, a checkout) are read. Strictly
 * before: timestamps advance in clock ticks of a few ms, and an edit may share the list's tick.
 * Without it the index is taken at its word: listing and stating a fleet's hundreds of thousands of
 * files cost more than rendering one deployment, and grew with the fleet. The folders a synth then
 * renders or removes are read as they are on disk with `refreshFolders`, so what it writes is always
 * compared with what is there.
 *
 * An index.json that cannot be used (not JSON, another layout) is no reason to stop: every file is
 * read and every deployment rendered again (`problem` says why, for the report).
 */
export async function readPrevious(outDir: string, { verify = true }: { verify?: boolean } = {}): Promise<PreviousOutput> {
  const out = path.resolve(outDir);
  let index: DistIndex | undefined;
  let indexText: string | undefined;
  let problem: string | undefined;
  // An output an earlier synth wrote has its index where synth kept it then, until a synth moves it.
  const legacyIndex = !existsSync(path.join(out, INDEX_FILE)) && existsSync(path.join(out, LEGACY_INDEX_FILE));
  const indexFile = legacyIndex ? LEGACY_INDEX_FILE : INDEX_FILE;
  if (existsSync(path.join(out, indexFile))) {
    try {
      indexText = readFileSync(path.join(out, indexFile), 'utf8');
      const parsed = parseIndex(indexText);
      if ('index' in parsed) index = parsed.index;
      else problem = `${indexFile} ${parsed.problem}`;
    } catch (error) {
      problem = `${indexFile} unreadable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    }
  }
  const previous: PreviousOutput = { index, indexText, hashes: new Map(), read: new Set(), broken: new Set(), ...(legacyIndex ? { legacyIndex } : {}), ...(problem ? { problem } : {}) };
  if (!verify && index) return previous;
  const files = listFiles(out);
  if (files.length && !files.includes(indexFile)) {
    throw new Error(`${out} holds files but no ${INDEX_FILE}: it is not a synth output, refusing to replace it`);
  }
  const byFolder = new Map<string, string[]>();
  for (const file of files) {
    if (file === indexFile) continue;
    const folder = folderOf(file);
    // A file outside any folder (put there by hand): only its hash (synth writes none, so it goes).
    if (folder === file) previous.hashes.set(file, sha256(readFileSync(path.join(out, file))));
    else {
      const list = byFolder.get(folder);
      if (list) list.push(file.slice(folder.length + 1));
      else byFolder.set(folder, [file.slice(folder.length + 1)]);
    }
  }
  for (const folder of Object.keys(index?.folders ?? {})) if (!byFolder.has(folder)) byFolder.set(folder, []);
  for (const [folder, names] of byFolder) readFolder(out, previous, folder, names);
  return previous;
}

/**
 * Reads what `previous` needs of the files under each of `folders` (dist/-relative, `<cluster>/<name>`)
 * as they are on disk now (a hand edit, a file added or deleted by hand), unless read already.
 */
export function refreshFolders(outDir: string, previous: PreviousOutput, folders: Iterable<string>): void {
  const out = path.resolve(outDir);
  for (const folder of new Set(folders)) {
    if (!previous.read.has(folder)) readFolder(out, previous, folder, listFiles(path.join(out, folder)));
  }
}

/**
 * Puts the hash of each file `names` of `folder` (in `out`) in `previous.hashes`, and the folder among
 * the broken ones unless its files are those its SHA256SUMS lists and that list is the one the index
 * records. As git does with its index: a file last modified before its folder's SHA256SUMS was written
 * (synth writes it after the folder's files) still has the hash listed there; other files are read.
 * Strictly before: timestamps advance in clock ticks of a few ms, and an edit may share the list's tick.
 */
function readFolder(out: string, previous: PreviousOutput, folder: string, names: readonly string[]): void {
  const record = previous.index?.folders[folder];
  let sums: Map<string, string> | undefined;
  let listed = -Infinity;
  if (names.includes(SUMS_FILE)) {
    const text = readFileSync(path.join(out, folder, SUMS_FILE));
    const hash = sha256(text);
    previous.hashes.set(`${folder}/${SUMS_FILE}`, hash);
    if (hash === record?.sums) {
      sums = parseSums(text.toString('utf8'));
      listed = statSync(path.join(out, folder, SUMS_FILE)).mtimeMs;
    }
  }
  // Synchronous reads and stats: tens of thousands of them through the thread pool cost several times more.
  let intact = !!sums && sums.size === record!.files && names.length === record!.files + 1;
  for (const name of names) {
    if (name === SUMS_FILE) continue;
    const full = path.join(out, folder, name);
    const recorded = sums?.get(name);
    const hash = recorded && statSync(full).mtimeMs < listed ? recorded : sha256(readFileSync(full));
    previous.hashes.set(`${folder}/${name}`, hash);
    if (hash !== recorded) intact = false;
  }
  previous.read.add(folder);
  if (record && !intact) previous.broken.add(folder);
}

/**
 * The `<cluster>/<deployment>` (or `<cluster>/_cluster`, `_argocd/<cluster>`) folder of a dist/-relative
 * path: its first two segments. Slicing, not splitting: it runs for every file of a fleet.
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

function sortByPath<T>(map: ReadonlyMap<string, T>): Map<string, T> {
  return new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * `next` (the files rendered now, path → hash) against `previous` (the files read from disk): the files
 * to add, change and remove. The folders `kept` from the previous output are unchanged (their files
 * count as such), and none of their files is removed. SUMS_FILEs are listed like any file (they are
 * written and removed with their folders) but not counted as unchanged.
 */
export function compare(previous: ReadonlyMap<string, string>, next: ReadonlyMap<string, string>, kept: KeptFolders = keptOf(new Map())): DistChanges {
  const changes: DistChanges = { added: [], changed: [], removed: [], unchanged: 0 };
  for (const [file, hash] of next) {
    const before = previous.get(file);
    if (before === undefined) changes.added.push(file);
    else if (before !== hash) changes.changed.push(file);
    else if (!isSumsFile(file)) changes.unchanged++;
  }
  changes.unchanged += kept.files;
  for (const file of previous.keys()) {
    if (!next.has(file) && !kept.folders.has(folderOf(file))) changes.removed.push(file);
  }
  for (const list of [changes.added, changes.changed, changes.removed]) list.sort();
  return changes;
}

/** `changes` without the SUMS_FILEs: what a user is told changed. */
export function withoutSums(changes: DistChanges): DistChanges {
  const keep = (list: string[]) => list.filter((file) => !isSumsFile(file));
  return { added: keep(changes.added), changed: keep(changes.changed), removed: keep(changes.removed), unchanged: changes.unchanged };
}

/** How many files `index` records (the SUMS_FILEs and index.json aside). */
export function fileCount(index: DistIndex): number {
  let count = 0;
  for (const record of Object.values(index.folders)) count += record.files;
  return count;
}
