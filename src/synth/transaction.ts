import { accessSync, closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { constants } from 'node:fs';
import path from 'node:path';
import { INDEX_FILE, LEGACY_INDEX_FILE, SUMS_FILE } from '../../model/dist-layout.js';
import { isSystemRefusal, makeFolder, SystemRefusal } from '../io.js';

/**
 * A synth's changes to dist/ and state/ as one transaction: after a crash at any point (SIGKILL, a
 * full disk, a power cut of the journal) the next run finds dist/ and state/ both as they were or
 * both as the synth meant them, never one without the other.
 *
 * How: every new byte is first written to a folder beside the output, `<out>.transaction/` (so that
 * its files can be renamed into place: same file system). Then its journal, the list of what moves
 * where and what goes, is written to a temporary file, flushed to disk and renamed to `journal.json`:
 * that rename is the commit. Applying the journal is renames and deletions only (no byte to write, so
 * a full disk cannot stop it half-way), each of them idempotent, index.json last. A run that finds a
 * journal applies it again before anything else (roll forward); a transaction folder without one is
 * a run that died before its commit, and is deleted (roll back). The caller holds the repository's
 * lock (lock.ts), so no two runs share the folder.
 *
 * The folder itself stays, empty, between runs (emptied, never removed): watchman (4.9) crawls a
 * removed folder's parent again, whole, before it answers any question; for a folder at the
 * repository's root that is the whole repository (412,000 files at 10,000 deployments: 2.4 s that
 * git's file system monitor hook, or synth's own question, waited; see README "Large fleets").
 *
 * Every file system call is synchronous: a synth writes, moves and makes tens of thousands of files
 * and folders, and awaiting each from libuv's threads left this thread idle (at the end of a cold
 * synth of 1000 deployments, ~0.8 s of 1.3). commit() and recover() stay async for their callers.
 *
 * Not a full guarantee against a power cut: only the journal is flushed, not the staged files
 * (flushing thousands of files would cost more than the synth), so after a power cut a committed
 * journal could move a file the disk had not written yet. A process killed at any point is covered.
 */

export interface Transaction {
  /** The output folder (dist/). */
  out: string;
  /** out-relative path → content: files that are new or change. */
  writes: ReadonlyMap<string, string>;
  /** out-relative paths of the files to delete. */
  removes: readonly string[];
  /** The text of index.json, written last; undefined when it does not change. */
  index: string | undefined;
  /** State files (absolute paths) → text, and state files to delete. */
  stateWrites: ReadonlyMap<string, string>;
  stateRemoves: readonly string[];
  /** Files of `writes` already written into the transaction folder (see Staging). */
  staged?: Staging;
}

/**
 * Files written into a transaction's folder ahead of its commit, while the synth still renders, so
 * that writing them overlaps the rendering (a cold synth of 1000 deployments wrote its 41,000 files
 * on one core after the last render). Used under the repository's lock, after recover(); commit()
 * writes only the files it does not hold (with the same content), and moves all of them. A run that
 * fails before its commit discards it; one killed leaves a folder without a journal, which the next
 * run deletes (recover).
 */
export class Staging {
  private readonly folders = new Set<string>();
  private readonly files = new Map<string, string>();
  /** Whether the transaction folder was made (by the first file staged: a synth that writes nothing makes none). */
  private started = false;
  private discarded = false;

  constructor(private readonly out: string) {}

  /** Writes `content` as the out-relative `file` of the transaction. */
  stage(file: string, content: string): void {
    if (this.discarded) throw new Error(`${file}: staged after the transaction was discarded`);
    const txn = transactionFolder(this.out);
    const staged = path.join(txn, 'dist', file);
    const folder = path.dirname(staged);
    try {
      if (!this.started) {
        freshTransactionFolder(txn);
        this.started = true;
      }
      if (!this.folders.has(folder)) {
        makeFolder(folder);
        this.folders.add(folder);
      }
      writeNamed(staged, content);
    } catch (error) {
      throw isSystemRefusal(error) ? refusal(error, false, this.out) : error;
    }
    this.files.set(file, content);
  }

  /** Whether the transaction folder holds what was staged (commit() then neither empties nor makes it). */
  get holdsFiles(): boolean {
    return this.started;
  }

  /** Whether `file` is staged with exactly `content`. */
  holds(file: string, content: string): boolean {
    return this.files.get(file) === content;
  }

  /** Deletes what was staged, unless a commit's journal is there (the next run completes that one). */
  discard(): void {
    this.discarded = true;
    const txn = transactionFolder(this.out);
    if (this.started && !existsSync(path.join(txn, JOURNAL))) emptyFolder(txn);
  }
}

/** What a journal says, every path relative to the transaction folder's parent or to the output. */
interface Journal {
  version: 1;
  /** out-relative files staged under dist/, and out-relative files to delete. */
  write: string[];
  remove: string[];
  /** index.json staged beside the journal. */
  index: boolean;
  /**
   * Where the index is staged (under the transaction folder) and goes (under the output): INDEX_FILE;
   * a journal without it is an earlier synth's, whose index goes to LEGACY_INDEX_FILE.
   */
  indexFile?: string;
  /** [target relative to the transaction folder, staged file relative to it]. */
  stateWrite: [string, string][];
  /** Targets relative to the transaction folder. */
  stateRemove: string[];
  /**
   * Out-relative folders staged whole that did not exist in the output: each moved by one rename
   * (over the empty folder the commit made) before the files of `write`, which lists their files too
   * (a run that finds them already moved skips them, and a journal read without this field moves
   * them one by one).
   */
  folders?: string[];
}

const JOURNAL = 'journal.json';

function isSums(file: string): boolean {
  return path.posix.basename(file) === SUMS_FILE;
}

/** The folder in which a synth of `out` prepares its changes. */
export function transactionFolder(out: string): string {
  return `${path.resolve(out)}.transaction`;
}

/** Writes `tx` whole: on a failure before its commit nothing changed; after it, the next run completes it. */
export async function commit(tx: Transaction): Promise<void> {
  const txn = transactionFolder(tx.out);
  const out = path.resolve(tx.out);
  const created: string[] = [];
  let committed = false;
  try {
    if (!tx.staged?.holdsFiles) {
      freshTransactionFolder(txn);
    }
    const writes = [...tx.writes.keys()];
    const unstaged = writes.filter((file) => !tx.staged?.holds(file, tx.writes.get(file)!));
    makeFolders(path.join(txn, 'dist'), unstaged);
    // Each folder's SHA256SUMS after every other file: a file last modified before its folder's list
    // has the hash listed there (see readPrevious), which holds only if the list is written after it
    // (staged files are written before the commit, and a SUMS_FILE never is: see synth's plan).
    const stage = (files: string[]) => {
      for (const file of files) writeNamed(path.join(txn, 'dist', file), tx.writes.get(file)!);
    };
    stage(unstaged.filter((file) => !isSums(file)));
    stage(unstaged.filter(isSums));
    const stateWrite: [string, string][] = [];
    if (tx.stateWrites.size) mkdirSync(path.join(txn, 'state'));
    for (const [i, [file, text]] of [...tx.stateWrites].entries()) {
      const staged = `state/${i}.json`;
      writeNamed(path.join(txn, staged), text);
      stateWrite.push([path.relative(txn, file), staged]);
    }
    if (tx.index !== undefined) {
      makeFolder(path.dirname(path.join(txn, INDEX_FILE)));
      writeNamed(path.join(txn, INDEX_FILE), tx.index);
    }
    const folders = newFolders(out, path.join(txn, 'dist'), writes);
    // The folders the files go to, made now (a full disk cannot stop the renames later) and checked
    // writable (a read-only dist/ fails here, before anything changed, rather than half-way).
    for (const folder of makeFolders(out, tx.index === undefined ? writes : [...writes, INDEX_FILE])) created.push(folder);
    for (const file of tx.stateWrites.keys()) {
      const made = makeFolder(path.dirname(file));
      if (made) created.push(made);
    }
    const targets = new Set([out, ...[...writes, ...tx.removes, ...(tx.index === undefined ? [] : [INDEX_FILE])].map((f) => path.dirname(path.join(out, f))), ...[...tx.stateWrites.keys(), ...tx.stateRemoves].map((f) => path.dirname(f))]);
    for (const folder of targets) if (existsSync(folder)) accessSync(folder, constants.W_OK);
    const journal: Journal = { version: 1, write: writes, remove: [...tx.removes], index: tx.index !== undefined, indexFile: INDEX_FILE, stateWrite, stateRemove: tx.stateRemoves.map((f) => path.relative(txn, f)), folders };
    writeNamed(path.join(txn, `${JOURNAL}.tmp`), `${JSON.stringify(journal)}\n`);
    syncFile(path.join(txn, `${JOURNAL}.tmp`));
    renameSync(path.join(txn, `${JOURNAL}.tmp`), path.join(txn, JOURNAL));
    syncFile(txn);
    committed = true;
    apply(txn, journal);
  } catch (error) {
    if (!committed) {
      try {
        emptyFolder(txn);
      } catch {
        // The error that stopped the run is the one to report.
      }
      for (const folder of created.sort((a, b) => b.length - a.length)) removeIfEmpty(folder);
    }
    throw isSystemRefusal(error) ? refusal(error, committed, tx.out) : error;
  }
}

/**
 * Completes or discards what a killed run left beside `out`: 'completed' when it had committed (its
 * journal is applied), 'discarded' when it had not (its staged files are deleted), undefined when
 * there was nothing. Run under the repository's lock before reading dist/ or state/.
 */
export async function recover(out: string): Promise<'completed' | 'discarded' | undefined> {
  const txn = transactionFolder(out);
  let outcome: 'completed' | 'discarded' | undefined;
  if (existsSync(path.join(txn, JOURNAL))) {
    try {
      apply(txn, JSON.parse(readFileSync(path.join(txn, JOURNAL), 'utf8')) as Journal);
    } catch (error) {
      throw isSystemRefusal(error) ? refusal(error, true, out) : error;
    }
    outcome = 'completed';
  } else if (emptyFolder(txn)) {
    outcome = 'discarded';
  }
  // Staging folders of the synth before transactions (`<out>.staging-<pid>`), left by killed runs.
  const parent = path.dirname(path.resolve(out));
  const stale = new RegExp(`^${path.basename(path.resolve(out)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.staging-\\d+$`);
  for (const name of existsSync(parent) ? readdirSync(parent) : []) {
    if (stale.test(name)) {
      rmSync(path.join(parent, name), { recursive: true, force: true });
      outcome ??= 'discarded';
    }
  }
  return outcome;
}

function refusal(error: NodeJS.ErrnoException, committed: boolean, out: string): SystemRefusal {
  const relative = path.relative(process.cwd(), path.resolve(out)) || '.';
  // Outside the working folder, the absolute path reads better than a climb of ../
  const shown = relative.startsWith('..') ? path.resolve(out) : relative;
  return new SystemRefusal(
    error,
    committed
      ? `the synth was committed (${shown}.transaction/${JOURNAL}) but not completed: once this is fixed, the next synth completes it before anything else`
      : `${shown}/ and state/ were left unchanged`,
  );
}

/** Applies a committed journal. Each step may already have been done by a run that was killed. */
function apply(txn: string, journal: Journal): void {
  const out = txn.slice(0, -'.transaction'.length);
  makeFolders(out, journal.write);
  const moved = new Set<string>();
  for (const folder of journal.folders ?? []) if (moveStagedFolder(path.join(txn, 'dist', folder), path.join(out, folder))) moved.add(folder);
  for (const file of journal.write) if (!moved.has(path.posix.dirname(file))) moveStaged(path.join(txn, 'dist', file), path.join(out, file));
  for (const file of journal.remove) rmSync(path.join(out, file), { force: true });
  removeEmptyFolders(out, journal.remove);
  for (const [target, staged] of journal.stateWrite) {
    const file = path.resolve(txn, target);
    makeFolder(path.dirname(file));
    moveStaged(path.join(txn, staged), file);
  }
  for (const target of journal.stateRemove) {
    const file = path.resolve(txn, target);
    rmSync(file, { force: true });
    removeIfEmpty(path.dirname(file));
  }
  if (journal.index) {
    const index = journal.indexFile ?? LEGACY_INDEX_FILE;
    makeFolder(path.dirname(path.join(out, index)));
    moveStaged(path.join(txn, index), path.join(out, index));
  }
  emptyFolder(txn);
}

/**
 * The transaction folder, emptied, with its `dist/` made. One that another user's synth left (the
 * folder stays between runs) and this user may not write in is made again as this user's, as every
 * run made it before the folder was kept; when it cannot be, the first refusal is the one reported.
 */
function freshTransactionFolder(txn: string): void {
  emptyFolder(txn);
  try {
    makeFolder(path.join(txn, 'dist'));
  } catch (error) {
    if (!['EACCES', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    try {
      rmdirSync(txn);
    } catch {
      throw error;
    }
    makeFolder(path.join(txn, 'dist'));
  }
}

/**
 * Deletes what `folder` holds, but not the folder (see the head of this file: watchman); whether it
 * held anything. A folder that is not there holds nothing.
 */
function emptyFolder(folder: string): boolean {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code !== 'ENOTDIR') throw error;
    // A file where the folder should be: in the way of the next transaction.
    rmSync(folder, { force: true });
    return true;
  }
  for (const name of names) rmSync(path.join(folder, name), { recursive: true, force: true });
  return names.length > 0;
}

/**
 * writeFileSync, whose error names the file (a failed write(2), such as ENOSPC, does not). Files are
 * written and moved one at a time, synchronously: a synth writes tens of thousands of small files,
 * and each one through the promise API (open, write, close and rename, each a round trip to libuv's
 * threads) cost 4x the CPU and 4x the time on a local disk (41,000 files: 1.7 s against 0.4 s).
 */
function writeNamed(file: string, content: string): void {
  try {
    writeFileSync(file, content);
  } catch (error) {
    (error as NodeJS.ErrnoException).path ??= file;
    throw error;
  }
}

/** Renames a staged file into place; a staged file that is gone was moved by an earlier attempt. */
function moveStaged(staged: string, target: string): void {
  try {
    renameSync(staged, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !existsSync(staged)) return;
    if (code !== 'EXDEV') throw error;
    // state/ on another file system than dist/: copy beside the target, then rename there.
    const tmp = `${target}.transaction-tmp`;
    copyFileSync(staged, tmp);
    renameSync(tmp, target);
    unlinkSync(staged);
  }
}

/**
 * Renames a staged folder over its target, an empty folder; true when it is moved (now or by an
 * earlier attempt: the staged folder is gone). False when the target holds something (written there
 * after the commit): then its files are moved one by one.
 */
function moveStagedFolder(staged: string, target: string): boolean {
  try {
    renameSync(staged, target);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !existsSync(staged)) return true;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * The folders of `writes` (out-relative files) that do not exist in `out` and whose staged copy under
 * `staged` holds nothing but files of `writes`: a new deployment's folder (all of a cold synth's) is
 * moved by one rename instead of one per file (41,000 renames at 1000 deployments).
 */
function newFolders(out: string, staged: string, writes: readonly string[]): string[] {
  const byFolder = new Map<string, Set<string>>();
  for (const file of writes) {
    const folder = path.posix.dirname(file);
    let names = byFolder.get(folder);
    if (!names) byFolder.set(folder, (names = new Set()));
    names.add(path.posix.basename(file));
  }
  return [...byFolder]
    .filter(([folder, names]) => folder !== '.' && !existsSync(path.join(out, folder)) && readdirSync(path.join(staged, folder)).every((name) => names.has(name)))
    .map(([folder]) => folder);
}

function syncFile(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Creates the folders `files` (relative to `root`) need, parents first; returns the topmost folders it created. */
function makeFolders(root: string, files: readonly string[]): string[] {
  const folders = new Set([root, ...files.map((file) => path.dirname(path.join(root, file)))]);
  const created: string[] = [];
  // Sorted paths put a folder before its subfolders.
  for (const folder of [...folders].sort()) {
    const made = makeFolder(folder);
    if (made) created.push(made);
  }
  return created;
}

/** Removes the folders that held `removed` files once they are empty (a deleted deployment), deepest first. */
function removeEmptyFolders(root: string, removed: readonly string[]): void {
  const folders = new Set<string>();
  for (const file of removed) {
    for (let dir = path.dirname(file); dir !== '.'; dir = path.dirname(dir)) folders.add(dir);
  }
  for (const folder of [...folders].sort((a, b) => b.length - a.length)) removeIfEmpty(path.join(root, folder));
}

function removeIfEmpty(folder: string): void {
  try {
    if (readdirSync(folder).length === 0) rmdirSync(folder);
  } catch (error) {
    if (!['ENOENT', 'ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
}
