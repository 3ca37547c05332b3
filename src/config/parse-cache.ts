import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CACHE_STALE_MS } from '../paths.js';
import { FileMonitor } from './file-monitor.js';

/**
 * What loading derived from each input file (its parsed, validated value), keyed by the file's stat
 * signature, as git's index keys a file's hash: a file whose size, mtime, ctime, inode or device
 * differs is read again. Kept outside the repository (node_modules/.cache/redis-gitops/synth/, safe to
 * delete): a missing, unreadable or foreign cache is an empty one, so the cache can only spare work,
 * never change what is loaded.
 *
 * "Racily clean" files (git's term) are never kept: a file whose mtime is not strictly older than the
 * moment this run began could be changed again within the same timestamp tick without its signature
 * changing. That moment is taken from the file system's own clock (the mtime of a stamp file written
 * when the cache is opened), which is the clock file timestamps come from.
 */
export class ParsedFileCache {
  /** Entries to keep: the line to write (undefined: the line read, carried over as it was). */
  private readonly next = new Map<string, string | undefined>();
  /** Values parsed from the lines read, by file: get returns the same value for a file each time. */
  private readonly parsed = new Map<string, unknown>();
  /** The files this run stat'ed (see FileMonitor.markToKeep). */
  private readonly statted = new Set<string>();

  private constructor(
    private readonly file: string,
    private readonly key: string,
    /** What the cache file held, and what of it save may append to (see readCache). */
    private readonly read: CacheContents,
    private readonly startedNs: bigint,
    /** What changed since the cache's mark, when a file monitor watches the repository. */
    private readonly monitor: FileMonitor | undefined,
  ) {}

  /** file → [signature, the value's JSON text, the whole line]: a value is parsed only when asked for. */
  private get entries(): ReadonlyMap<string, Entry> {
    return this.read.entries;
  }

  /** The file monitor's mark the cache was written with (see FileMonitor). */
  private get previousMark(): string | undefined {
    return this.read.mark;
  }

  /**
   * The cache in `file`, valid for loading code identified by `key` (a fingerprint of that code). One
   * line per entry (`<file as JSON>\t<signature>\t<value as JSON>`, or `...\t=<text>` for a value
   * that is a text of one line: kept as it is, so reading it back parses nothing), so a run that
   * changes one entry appends its line (see save), and one that writes the cache whole writes the
   * others' lines as they were read, without parsing or serializing them again (a fleet's cache holds
   * tens of thousands). With `root` (the repository the files are in),
   * a file monitor watching it (see FileMonitor) may spare the stat of each file.
   */
  static open(file: string, key: string, root?: string): ParsedFileCache {
    let read = emptyContents();
    try {
      const bytes = readFileSync(file);
      const contents = readCache(bytes.toString('utf8'), bytes.length);
      if (contents.version === VERSION && contents.key === key) read = contents;
    } catch {
      // No cache yet, or not one: start empty.
    }
    let startedNs = -1n;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      const stamp = `${file}.stamp`;
      writeFileSync(stamp, '');
      startedNs = statSync(stamp, { bigint: true }).mtimeNs;
    } catch {
      // No place to keep it: every file is read, and nothing kept.
    }
    const monitor = root === undefined || startedNs < 0n ? undefined : FileMonitor.query(root, read.mark);
    return new ParsedFileCache(file, key, read, startedNs, monitor);
  }

  /** The stat signature of `full` (size, mtime and ctime in ns, inode, device), and its mtime. */
  static signature(full: string): { signature: string; mtimeNs: bigint } {
    const s = statSync(full, { bigint: true });
    return { signature: `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}:${s.dev}`, mtimeNs: s.mtimeNs };
  }

  /**
   * The stat signature of `full`, kept in this cache as `file` (its repository path): the one recorded
   * when the file monitor says the file did not change since (no stat), else a stat's. Throws as
   * statSync does (a missing file).
   */
  signature(file: string, full: string): { signature: string; mtimeNs: bigint } {
    const recorded = this.monitor?.unchanged(file) ? this.entries.get(file)?.[0] : undefined;
    // A recorded entry was never racily clean (its mtime was older than the run that stat'ed it): any
    // mtime before this run's start says so to put, without parsing it out of the signature.
    if (recorded !== undefined) return { signature: recorded, mtimeNs: -1n };
    const signature = ParsedFileCache.signature(full);
    this.statted.add(file);
    return signature;
  }

  /** What was derived from `file` when it had `signature`; undefined when unknown. */
  get(file: string, signature: string): unknown {
    const entry = this.entries.get(file);
    if (!entry || entry[0] !== signature) return undefined;
    if (!this.parsed.has(file)) {
      try {
        this.parsed.set(file, entry[1].startsWith('=') ? entry[1].slice(1) : JSON.parse(entry[1]));
      } catch {
        this.parsed.set(file, undefined);
      }
    }
    return this.parsed.get(file);
  }

  /** Records what was derived from `file` as read with `signature` (kept only when not racily clean). */
  put(file: string, signature: { signature: string; mtimeNs: bigint }, value: unknown): void {
    if (signature.mtimeNs >= this.startedNs) return;
    // An entry carried over as it was (a hit) keeps the line it was read from.
    const known = this.entries.get(file);
    if (known && known[0] === signature.signature && this.parsed.has(file) && this.parsed.get(file) === value) this.next.set(file, undefined);
    else this.next.set(file, `${JSON.stringify(file)}\t${signature.signature}\t${typeof value === 'string' && !value.includes('\n') ? `=${value}` : JSON.stringify(value)}`);
  }

  /**
   * Writes the entries put during this run (and only them: files no longer read are forgotten). Call it
   * before anything can change the values put (new ones are serialized when put). Returns the file
   * monitor's mark the cache now holds (what changed since it is what a later run reads), if any.
   */
  save(): string | undefined {
    if (this.startedNs < 0n) return undefined;
    // Without a monitor this run (watchman busy, stopped or turned off), the previous mark stays: what
    // changed since it is what changed since this run and more, so it stays right.
    const mark = this.monitor ? this.monitor.markToKeep(this.statted) : this.previousMark;
    // Every entry carried over unchanged, and none dropped: the cache on disk is already this one. Its
    // mark may be older than this run's, and stays right as above (the file is written when a mark is
    // to be kept or dropped).
    const put = [...this.next].filter((e): e is [string, string] => e[1] !== undefined);
    if ((mark === undefined) === (this.previousMark === undefined) && this.next.size === this.entries.size && put.length === 0) return this.previousMark;
    try {
      if (this.appendable(put.length)) {
        // The entries put now, after a line saying how many and how long (a write cut short is then
        // seen as such, and ignored), with the mark: a synth after one change writes two or three
        // lines instead of the whole cache (10 MB at 10,000 deployments).
        const body = put.map(([, line]) => `${line}\n`).join('');
        appendFileSync(this.file, `${JSON.stringify({ lines: put.length, chars: body.length, ...(mark === undefined ? {} : { monitor: mark }) })}\n${body}`);
      } else {
        const temporary = `${this.file}.${process.pid}.tmp`;
        const lines = [...this.next].map(([file, line]) => line ?? this.entries.get(file)![2]);
        writeFileSync(temporary, `${[header(this.key, mark), ...lines].join('\n')}\n`);
        renameSync(temporary, this.file);
      }
      removeStale(path.dirname(this.file), this.file);
      return mark;
    } catch {
      // A cache that cannot be written is a cache the next run does without.
      return undefined;
    }
  }

  /**
   * Whether the entries put this run (`count`) may be appended to the file rather than the file
   * written anew: no entry is dropped (an appended line can only add or replace one), the file is the
   * one read, all of it understood, something is put, and what was appended since it was written whole stays small
   * (each run reads it: past an eighth of the entries, the file is written whole again).
   */
  private appendable(count: number): boolean {
    const { entries, appended, bytes, intact } = this.read;
    if (!intact || bytes === 0 || count === 0 || appended + count > Math.max(MIN_APPENDED, entries.size / 8)) return false;
    for (const file of entries.keys()) if (!this.next.has(file)) return false;
    return statSync(this.file, { throwIfNoEntry: false })?.size === bytes;
  }

  /** The files a cache file holds entries for (for tests and the curious). */
  static filesIn(file: string): string[] {
    return [...ParsedFileCache.contentsOf(file).entries.keys()];
  }

  /** The file monitor's mark a cache file was last written with (for tests and the curious). */
  static markIn(file: string): string | undefined {
    return ParsedFileCache.contentsOf(file).mark;
  }

  private static contentsOf(file: string): CacheContents {
    const bytes = readFileSync(file);
    return readCache(bytes.toString('utf8'), bytes.length);
  }
}

/** file → [signature, the value's JSON text, the whole line]. */
type Entry = [string, string, string];

/** What a cache file holds (see readCache). */
interface CacheContents {
  version?: unknown;
  key?: unknown;
  entries: Map<string, Entry>;
  /** The file monitor's mark: the last one written (the first line's, or the last appended batch's). */
  mark: string | undefined;
  /** Entries appended since the file was written whole. */
  appended: number;
  /** The file's size in bytes, as read. */
  bytes: number;
  /** Whether every line was understood (a batch cut short, or anything else, was not). */
  intact: boolean;
}

function emptyContents(): CacheContents {
  return { entries: new Map(), mark: undefined, appended: 0, bytes: 0, intact: false };
}

/**
 * A cache file's text: its first line (format, key, mark), the entries written whole, then the batches
 * of entries later runs appended, each a line `{"lines":N,"chars":C,"monitor":mark}` and the N entry
 * lines (C characters with their line breaks) that replace or add to those before. A batch that is
 * not whole (a write cut short) ends the reading: it and anything after it are ignored.
 */
function readCache(text: string, bytes: number): CacheContents {
  const firstBreak = text.indexOf('\n');
  const head = JSON.parse(text.slice(0, firstBreak < 0 ? text.length : firstBreak)) as { version?: unknown; key?: unknown; monitor?: unknown };
  const contents: CacheContents = { version: head.version, key: head.key, entries: new Map(), mark: typeof head.monitor === 'string' ? head.monitor : undefined, appended: 0, bytes, intact: firstBreak >= 0 };
  let at = firstBreak + 1;
  // The entries written whole: every line up to the first batch (a line that cannot be one is skipped).
  while (firstBreak >= 0 && at < text.length && text[at] !== '{') {
    const end = text.indexOf('\n', at);
    const line = text.slice(at, end < 0 ? text.length : end);
    const entry = entryOf(line);
    if (entry) contents.entries.set(entry[0], entry[1]);
    if (end < 0) return { ...contents, intact: false };
    at = end + 1;
  }
  while (contents.intact && at < text.length) {
    const end = text.indexOf('\n', at);
    const batch = end < 0 ? undefined : batchOf(text.slice(at, end));
    const to = end + 1 + (batch?.chars ?? 0);
    const lines = batch && to <= text.length && text[to - 1] === '\n' ? text.slice(end + 1, to - 1).split('\n') : [];
    const entries = lines.map(entryOf);
    if (!batch || lines.length !== batch.lines || !entries.every((e) => e !== undefined)) return { ...contents, intact: false };
    for (const [file, entry] of entries as [string, Entry][]) contents.entries.set(file, entry);
    contents.mark = batch.monitor;
    contents.appended += batch.lines;
    at = to;
  }
  return contents;
}

/** An entry line's file and entry; undefined when the line is none. */
function entryOf(line: string): [string, Entry] | undefined {
  const tab = line.indexOf('\t');
  const second = line.indexOf('\t', tab + 1);
  if (tab < 0 || second < 0) return undefined;
  // A path without a backslash is its JSON text without the quotes (a fleet's are DNS labels).
  const key = line.slice(0, tab);
  const plain = key.length > 1 && key.startsWith('"') && key.endsWith('"') && !key.includes('\\');
  try {
    return [plain ? key.slice(1, -1) : (JSON.parse(key) as string), [line.slice(tab + 1, second), line.slice(second + 1), line]];
  } catch {
    return undefined;
  }
}

/** An appended batch's first line: how many entry lines follow, their length with line breaks, the mark. */
function batchOf(line: string): { lines: number; chars: number; monitor: string | undefined } | undefined {
  try {
    const batch = JSON.parse(line) as { lines?: unknown; chars?: unknown; monitor?: unknown };
    if (!Number.isSafeInteger(batch.lines) || !Number.isSafeInteger(batch.chars) || (batch.lines as number) < 1 || (batch.chars as number) < 1) return undefined;
    return { lines: batch.lines as number, chars: batch.chars as number, monitor: typeof batch.monitor === 'string' ? batch.monitor : undefined };
  } catch {
    return undefined;
  }
}

/** Entries a cache may have appended before it is written whole again, however few its entries. */
const MIN_APPENDED = 64;

/** The cache file's format: 4 added the file monitor's mark to the first line, 5 the appended batches. */
const VERSION = 5;

/** A cache file's first line: its format, the fingerprint of the code whose values it holds, and the file monitor's mark it was written with. */
function header(key: string, mark: string | undefined): string {
  return JSON.stringify({ version: VERSION, key, ...(mark === undefined ? {} : { monitor: mark }) });
}

/** Removes the files of `dir` but `keep` (and its stamp) no run used for CACHE_STALE_MS: other repositories' caches (a temporary repository's is never used again). */
function removeStale(dir: string, keep: string): void {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (file === keep || file === `${keep}.stamp`) continue;
    const stats = statSync(file, { throwIfNoEntry: false });
    if (stats && Date.now() - stats.mtimeMs > CACHE_STALE_MS) rmSync(file, { force: true });
  }
}

