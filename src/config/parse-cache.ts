import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CACHE_STALE_MS } from '../paths.js';

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
  /** Entries to keep, as JSON text serialized when put (undefined: the entry read, unchanged). */
  private readonly next = new Map<string, string | undefined>();

  private constructor(
    private readonly file: string,
    private readonly key: string,
    private readonly entries: ReadonlyMap<string, [string, unknown]>,
    private readonly startedNs: bigint,
  ) {}

  /** The cache in `file`, valid for loading code identified by `key` (a fingerprint of that code). */
  static open(file: string, key: string): ParsedFileCache {
    let entries = new Map<string, [string, unknown]>();
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown; key?: unknown; entries?: unknown };
      if (stored.version === 1 && stored.key === key && stored.entries && typeof stored.entries === 'object') {
        entries = new Map(Object.entries(stored.entries as Record<string, [string, unknown]>).filter(([, e]) => Array.isArray(e) && typeof e[0] === 'string'));
      }
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
    return new ParsedFileCache(file, key, entries, startedNs);
  }

  /** The stat signature of `full` (size, mtime and ctime in ns, inode, device), and its mtime. */
  static signature(full: string): { signature: string; mtimeNs: bigint } {
    const s = statSync(full, { bigint: true });
    return { signature: `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}:${s.dev}`, mtimeNs: s.mtimeNs };
  }

  /** What was derived from `file` when it had `signature`; undefined when unknown. */
  get(file: string, signature: string): unknown {
    const entry = this.entries.get(file);
    return entry && entry[0] === signature ? entry[1] : undefined;
  }

  /** Records what was derived from `file` as read with `signature` (kept only when not racily clean). */
  put(file: string, signature: { signature: string; mtimeNs: bigint }, value: unknown): void {
    if (signature.mtimeNs >= this.startedNs) return;
    // An entry carried over as it was (a hit) is serialized again only if the cache must be written.
    const known = this.entries.get(file);
    if (known && known[0] === signature.signature && known[1] === value) this.next.set(file, undefined);
    else this.next.set(file, JSON.stringify([signature.signature, value]));
  }

  /**
   * Writes the entries put during this run (and only them: files no longer read are forgotten). Call it
   * before anything can change the values put (they are serialized now, those carried over included).
   */
  save(): void {
    if (this.startedNs < 0n) return;
    // Every entry carried over unchanged, and none dropped: the cache on disk is already this one.
    if (this.next.size === this.entries.size && [...this.next.values()].every((e) => e === undefined)) return;
    try {
      const temporary = `${this.file}.${process.pid}.tmp`;
      const entries = [...this.next].map(([file, entry]) => `${JSON.stringify(file)}:${entry ?? JSON.stringify(this.entries.get(file))}`).join(',');
      writeFileSync(temporary, `{"version":1,"key":${JSON.stringify(this.key)},"entries":{${entries}}}`);
      renameSync(temporary, this.file);
      removeStale(path.dirname(this.file), this.file);
    } catch {
      // A cache that cannot be written is a cache the next run does without.
    }
  }
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

