import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { GateReport } from './gate.js';
import { moduleOf } from '../paths.js';
import { chunked, Threads } from '../workers/pool.js';

/**
 * A whole gate's answer, kept for a run over exactly the same files with the same contents: a gate
 * over an unchanged fleet lists and stats its files, reads none, and answers in the time that takes
 * (the verdict cache, cache.ts, reads and hashes every file and loads every file's verdict: seconds
 * at 10,000 deployments).
 *
 * The answer is keyed by content, as every verdict is: by the content hash of every file (with the
 * paths and the policy data; an answer that judged waivers holds for its day alone, see
 * StoredAnswer). What stat says of a file only tells which content hash it has without reading it,
 * as git's index does: a file's signature (size, modification and change times, inode) is recorded
 * just before it is read and hashed, and a later run takes the recorded hash only when the signature
 * is the same and both times are older than the run that hashed it (by a margin
 * covering the file system's clock granularity), so that a change made while or after a file was
 * hashed, even within one clock tick and at the same size, is never taken for the recorded content
 * ("racily clean" entries, in git's words, are read again).
 *
 * Signatures are kept per folder, as one digest of its files' names and signatures; a folder whose
 * digest differs (a file edited or touched) sends the run down the ordinary path. A later run does
 * not list the folders again: a folder's own signature changes whenever an entry is added to it,
 * removed or renamed (POSIX updates a directory's modification time then; git's untracked cache
 * relies on the same), so a folder with the signature it had when it was listed, older than the
 * run that listed it, holds the files it held then, and only those are stat'ed.
 */

/** [size, mtimeMs, ctimeMs, ino]: what stat says of a file, as compared between runs. */
export type FileSignature = [number, number, number, number];

export function signatureOf(stats: Stats): FileSignature {
  return [stats.size, stats.mtimeMs, stats.ctimeMs, stats.ino];
}

/** How much older than the run that hashed them files must be for their signatures to be trusted. */
const RACY_MARGIN_MS = 2000;
const FORMAT = 3;

export interface StoredAnswer {
  report: Omit<GateReport, 'rules'>;
  /** The day the report holds for, when it judged waivers (they expire); none: it holds for any day. */
  day?: string;
}

/**
 * A folder as recorded: its path; its own signature ('' for the folder of files named on the command
 * line, which was not listed); which list of names it holds; the digest of those files' names and
 * signatures, and of their names and content hashes.
 */
type StoredFolder = [folder: string, signature: string, names: number, signatures: string, contents: string];

interface Stored {
  format: number;
  /** The distinct lists of file names (each deployment's folder holds the same names): folders name theirs by index. */
  names: string[][];
  /** In the run's order. */
  folders: StoredFolder[];
  /** The answer, by runKey. */
  key: string;
  answer: StoredAnswer;
}

/** Folders to check, with the lists of names they refer to. */
interface FoldersTask {
  names: string[][];
  folders: StoredFolder[];
}

/**
 * Whether every folder has the signature it had (the same entries) and its files the signatures
 * they had. The stat calls are most of the time of a gate over an unchanged fleet (the kernel's, ~2
 * µs each): beyond STAT_THREAD_THRESHOLD files they are shared with other threads.
 */
async function unchanged(stored: Stored, threads?: number): Promise<boolean> {
  const files = stored.folders.reduce((sum, folder) => sum + stored.names[folder[2]]!.length, 0);
  const workers = threads ?? (files < STAT_THREAD_THRESHOLD ? 0 : availableParallelism() - 1);
  if (workers === 0) return foldersUnchanged(stored);
  const [mine, ...theirs] = chunked(stored.folders, workers + 1);
  const pool = new Threads(theirs.length, moduleOf('src/gate/run-cache.ts'));
  try {
    const others = theirs.map((folders, thread) => pool.run<FoldersTask, boolean>(thread, 'foldersUnchanged', { names: stored.names, folders }));
    // This thread checks its share while the others start.
    const here = foldersUnchanged({ names: stored.names, folders: mine ?? [] });
    return (await Promise.all(others)).every(Boolean) && here;
  } finally {
    await pool.destroy();
  }
}

/**
 * Files from which checking a record is shared between threads (about 2000 deployments). Measured:
 * at 1000 deployments (42,000 files) 0.30 s in one thread, 0.33 s in two; at 10,000, 1.31 s and 0.98 s.
 */
const STAT_THREAD_THRESHOLD = 80_000;

export function foldersUnchanged({ names, folders }: FoldersTask): boolean {
  for (const [folder, signature, list, signatures] of folders) {
    if (signature !== '') {
      const stats = statSync(folder, { throwIfNoEntry: false });
      if (!stats || signatureText(signatureOf(stats)) !== signature) return false;
    }
    let lines = '';
    for (const name of names[list]!) {
      const stats = statSync(path.join(folder, name), { throwIfNoEntry: false });
      if (!stats) return false;
      lines += `${name}\0${signatureText(signatureOf(stats))}\n`;
    }
    if (digest(lines) !== signatures) return false;
  }
  return true;
}

/** What a run gated: its files, with what it read of each, and the folders it listed to find them. */
export interface RunFiles {
  files: readonly string[];
  /** Per file: its content hash, and its signature just before it was read. */
  hashes: readonly string[];
  signatures: readonly FileSignature[];
  /** Each folder listed, with the manifest-like names it held (documents.ts listManifestFiles). */
  folders: readonly (readonly [string, readonly string[]])[];
}

const signatureText = (s: FileSignature) => `${s[0]} ${s[1]} ${s[2]} ${s[3]}`;

function digest(lines: string): string {
  return createHash('sha256').update(lines).digest('hex');
}

/** The key of a run's answer: what it was asked (paths, data) and the content of every folder. */
export function runKey(question: unknown, folders: readonly [string, string][]): string {
  return createHash('sha256').update(JSON.stringify([question, folders])).digest('hex');
}

export class RunCache {
  private constructor(
    private readonly file: string,
    private readonly stored: Stored | undefined,
  ) {}

  static open(dir: string, fingerprint: string): RunCache {
    const file = path.join(dir, `${fingerprint}.run.v8`);
    let stored: Stored | undefined;
    try {
      const read = deserialize(readFileSync(file)) as Stored;
      if (read.format === FORMAT) stored = read;
    } catch {
      // None yet, or unreadable: no answer kept.
    }
    return new RunCache(file, stored);
  }

  /**
   * The kept answer to `question`, when every folder listed then has the signature it had (the same
   * entries) and every file in it the signature it had when it was hashed. Nothing is listed or read.
   * `threads`: worker threads to share the stat calls with (by default, one per core but this one
   * for a large record, else none).
   */
  async answer(question: unknown, threads?: number): Promise<StoredAnswer | undefined> {
    const { stored } = this;
    if (!stored) return undefined;
    if (!(await unchanged(stored, threads))) return undefined;
    return runKey(question, stored.folders.map(([folder, , , , contents]) => [folder, contents])) === stored.key ? stored.answer : undefined;
  }

  /**
   * Keeps `answer` for the run that asked `question` of `run`'s files, which began at `began` (ms
   * since the epoch). Replaces what was kept: the answer of the last run is the one an unchanged
   * fleet asks for again. Nothing is kept when a file or folder was modified within the margin
   * before the run began, or since (it could have changed again unseen); failing to write costs only
   * speed.
   */
  save(question: unknown, run: RunFiles, began: number, answer: StoredAnswer): void {
    const trustedBefore = began - RACY_MARGIN_MS;
    const trusted = (s: FileSignature | undefined): s is FileSignature => s !== undefined && s[1] < trustedBefore && s[2] < trustedBefore;
    const statNow = (file: string) => {
      const stats = statSync(file, { throwIfNoEntry: false });
      return stats && signatureOf(stats);
    };
    const read = new Map<string, [hash: string, signature: FileSignature]>();
    for (const [i, file] of run.files.entries()) read.set(path.resolve(file), [run.hashes[i]!, run.signatures[i]!]);
    const listed = new Set<string>();
    const names: string[][] = [];
    const namesIndex = new Map<string, number>();
    const folders: StoredFolder[] = [];
    const add = (folder: string, signature: string, files: readonly string[]): boolean => {
      let signatures = '';
      let contents = '';
      for (const name of files) {
        const file = path.join(folder, name);
        listed.add(file);
        // A name listed but not gated (synth's index) counts by its signature alone: it decided what was gated.
        const [hash, signature] = read.get(file) ?? ['', statNow(file)];
        if (!trusted(signature)) return false;
        signatures += `${name}\0${signatureText(signature)}\n`;
        contents += `${name}\0${hash}\n`;
      }
      const key = files.join('\0');
      let index = namesIndex.get(key);
      if (index === undefined) namesIndex.set(key, (index = names.push([...files]) - 1));
      folders.push([folder, signature, index, digest(signatures), digest(contents)]);
      return true;
    };
    for (const [dir, files] of run.folders) {
      const folder = path.resolve(dir);
      const signature = statNow(folder);
      if (!trusted(signature) || !add(folder, signatureText(signature), files)) return;
    }
    // Files named on the command line, outside every folder listed: stat'ed, their folders not listed.
    const named = new Map<string, string[]>();
    for (const file of read.keys()) {
      if (listed.has(file)) continue;
      const folder = path.dirname(file);
      named.set(folder, [...(named.get(folder) ?? []), path.basename(file)]);
    }
    for (const [folder, files] of named) if (!add(folder, '', files)) return;
    const stored: Stored = {
      format: FORMAT,
      names,
      folders,
      key: runKey(question, folders.map(([folder, , , , contents]) => [folder, contents])),
      answer,
    };
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      const temp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temp, serialize(stored));
      renameSync(temp, this.file);
    } catch {
      // Read-only: the next run takes the ordinary path.
    }
  }
}
