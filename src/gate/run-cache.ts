import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { GateReport } from './gate.js';

/**
 * A whole gate's answer, kept for a run over exactly the same files with the same contents: a gate
 * over an unchanged fleet lists and stats its files, reads none, and answers in the time that takes
 * (the verdict cache, cache.ts, reads and hashes every file and loads every file's verdict: seconds
 * at 10,000 deployments).
 *
 * The answer is keyed by content, as every verdict is: by the content hash of every file (with the
 * paths, the policy data and the day). What stat says of a file only tells which content hash it has
 * without reading it, as git's index does: a file's signature (size, modification and change times,
 * inode) is recorded just before it is read and hashed, and a later run takes the recorded hash only
 * when the signature is the same and both times are older than the run that hashed it (by a margin
 * covering the file system's clock granularity), so that a change made while or after a file was
 * hashed, even within one clock tick and at the same size, is never taken for the recorded content
 * ("racily clean" entries, in git's words, are read again).
 *
 * Signatures are kept per folder, as one digest of its files' names and signatures; a folder whose
 * digest differs (a file added, removed, edited or touched) sends the run down the ordinary path.
 */

/** [size, mtimeMs, ctimeMs, ino]: what stat says of a file, as compared between runs. */
export type FileSignature = [number, number, number, number];

export function signatureOf(stats: Stats): FileSignature {
  return [stats.size, stats.mtimeMs, stats.ctimeMs, stats.ino];
}

/** How much older than the run that hashed them files must be for their signatures to be trusted. */
const RACY_MARGIN_MS = 2000;
const FORMAT = 1;

export interface StoredAnswer {
  report: Omit<GateReport, 'rules'>;
}

interface Stored {
  format: number;
  /** Files modified (or changed) from this time on were modified while or after they were hashed. */
  trustedBefore: number;
  /** Per folder (in the run's order): the digest of its files' names and signatures, and of their names and content hashes. */
  folders: [folder: string, signatures: string, contents: string][];
  /** The answer, by runKey. */
  key: string;
  answer: StoredAnswer;
}

/** The files of a run by folder, in their order (files are listed folder by folder). */
function byFolder(files: readonly string[]): [string, number[]][] {
  const folders: [string, number[]][] = [];
  let last: [string, number[]] | undefined;
  let lastDir: string | undefined;
  for (const [i, file] of files.entries()) {
    const dir = path.dirname(file);
    if (last && dir === lastDir) last[1].push(i);
    else folders.push((last = [path.resolve(dir), [i]])), (lastDir = dir);
  }
  return folders;
}

function digest(files: readonly string[], indices: number[], value: (i: number) => string): string {
  let text = '';
  for (const i of indices) text += `${path.basename(files[i]!)}\0${value(i)}\n`;
  return createHash('sha256').update(text).digest('hex');
}

const signatureText = (s: FileSignature) => `${s[0]} ${s[1]} ${s[2]} ${s[3]}`;

/** The key of a run's answer: what it was asked (paths, data, day) and the content of every folder. */
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
   * The kept answer to `question` over `files`, when every folder holds the same files with the
   * signatures they had when they were hashed, none of them modified since that run began.
   */
  answer(question: unknown, files: readonly string[], signatures: readonly FileSignature[]): StoredAnswer | undefined {
    const { stored } = this;
    if (!stored) return undefined;
    const folders = byFolder(files);
    if (folders.length !== stored.folders.length) return undefined;
    for (const s of signatures) if (s[1] >= stored.trustedBefore || s[2] >= stored.trustedBefore) return undefined;
    const contents: [string, string][] = [];
    for (const [k, [folder, indices]] of folders.entries()) {
      const [storedFolder, storedSignatures, storedContents] = stored.folders[k]!;
      if (folder !== storedFolder || digest(files, indices, (i) => signatureText(signatures[i]!)) !== storedSignatures) return undefined;
      contents.push([folder, storedContents]);
    }
    return runKey(question, contents) === stored.key ? stored.answer : undefined;
  }

  /**
   * Keeps `answer` for the run that asked `question` of `files`, read with `hashes` and
   * `signatures`, which began at `began` (ms since the epoch). Replaces what was kept: the answer
   * of the last run is the one an unchanged fleet asks for again. Failing to write costs only speed.
   */
  save(question: unknown, files: readonly string[], hashes: readonly string[], signatures: readonly FileSignature[], began: number, answer: StoredAnswer): void {
    const folders: Stored['folders'] = byFolder(files).map(([folder, indices]) => [
      folder,
      digest(files, indices, (i) => signatureText(signatures[i]!)),
      digest(files, indices, (i) => hashes[i]!),
    ]);
    const stored: Stored = {
      format: FORMAT,
      trustedBefore: began - RACY_MARGIN_MS,
      folders,
      key: runKey(question, folders.map(([folder, , contents]) => [folder, contents])),
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

/** Each file's signature, as stat gives it now (a file that cannot be stat'ed: undefined, and no answer is kept for it). */
export function signaturesNow(files: readonly string[]): FileSignature[] | undefined {
  const signatures: FileSignature[] = [];
  for (const file of files) {
    const stats = statSync(file, { throwIfNoEntry: false });
    if (!stats) return undefined;
    signatures.push(signatureOf(stats));
  }
  return signatures;
}
