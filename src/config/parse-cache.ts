import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
    /** file → [signature, the value's JSON text, the whole line]: a value is parsed only when asked for. */
    private readonly entries: ReadonlyMap<string, [string, string, string]>,
    private readonly startedNs: bigint,
    /** The file monitor's mark the cache was written with (see FileMonitor). */
    private readonly previousMark: string | undefined,
    /** What changed since then, when a file monitor watches the repository. */
    private readonly monitor: FileMonitor | undefined,
  ) {}

  /**
   * The cache in `file`, valid for loading code identified by `key` (a fingerprint of that code). One
   * line per entry (`<file as JSON>\t<signature>\t<value as JSON>`, or `...\t=<text>` for a value
   * that is a text of one line: kept as it is, so reading it back parses nothing), so a run that
   * changes one entry writes the others' lines as they were read, without parsing or serializing them
   * again (a fleet's cache holds tens of thousands). With `root` (the repository the files are in),
   * a file monitor watching it (see FileMonitor) may spare the stat of each file.
   */
  static open(file: string, key: string, root?: string): ParsedFileCache {
    const entries = new Map<string, [string, string, string]>();
    let previousMark: string | undefined;
    try {
      const text = readFileSync(file, 'utf8');
      const lines = text.split('\n');
      const head = JSON.parse(lines[0]!) as { version?: unknown; key?: unknown; monitor?: unknown };
      if (head.version === VERSION && head.key === key) {
        if (typeof head.monitor === 'string') previousMark = head.monitor;
        for (const line of lines.slice(1)) {
          const tab = line.indexOf('\t');
          const second = line.indexOf('\t', tab + 1);
          if (tab < 0 || second < 0) continue;
          // A path without a backslash is its JSON text without the quotes (a fleet's are DNS labels).
          const key = line.slice(0, tab);
          const plain = key.length > 1 && key.startsWith('"') && key.endsWith('"') && !key.includes('\\');
          entries.set(plain ? key.slice(1, -1) : (JSON.parse(key) as string), [line.slice(tab + 1, second), line.slice(second + 1), line]);
        }
      }
    } catch {
      // No cache yet, or not one: start empty.
      entries.clear();
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
    const monitor = root === undefined || startedNs < 0n ? undefined : FileMonitor.query(root, previousMark);
    return new ParsedFileCache(file, key, entries, startedNs, previousMark, monitor);
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
   * before anything can change the values put (new ones are serialized when put).
   */
  save(): void {
    if (this.startedNs < 0n) return;
    // Without a monitor this run (watchman busy, stopped or turned off), the previous mark stays: what
    // changed since it is what changed since this run and more, so it stays right.
    const mark = this.monitor ? this.monitor.markToKeep(this.statted) : this.previousMark;
    // Every entry carried over unchanged, and none dropped: the cache on disk is already this one. Its
    // mark may be older than this run's, and stays right as above (the file is written when a mark is
    // to be kept or dropped).
    if ((mark === undefined) === (this.previousMark === undefined) && this.next.size === this.entries.size && [...this.next.values()].every((e) => e === undefined)) return;
    try {
      const temporary = `${this.file}.${process.pid}.tmp`;
      const lines = [...this.next].map(([file, line]) => line ?? this.entries.get(file)![2]);
      writeFileSync(temporary, `${[header(this.key, mark), ...lines].join('\n')}\n`);
      renameSync(temporary, this.file);
      removeStale(path.dirname(this.file), this.file);
    } catch {
      // A cache that cannot be written is a cache the next run does without.
    }
  }

  /** The files a cache file holds entries for (for tests and the curious). */
  static filesIn(file: string): string[] {
    return readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .filter((line) => line.includes('\t'))
      .map((line) => JSON.parse(line.slice(0, line.indexOf('\t'))) as string);
  }
}

/** The cache file's format: 4 added the file monitor's mark to the first line. */
const VERSION = 4;

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

