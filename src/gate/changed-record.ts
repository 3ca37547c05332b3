import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FileMonitor } from '../config/file-monitor.js';

type Git = (...args: string[]) => Promise<string>;

/**
 * What the last `gate --changed` against HEAD found, for the next one to ask the file monitor what
 * changed since instead of git's status: git reads its whole index (412,507 files at 10,000
 * deployments) and runs its monitor hook each time, ~0.2 s of a 0.5 s gate after one change there,
 * against ~0.09 s at 100 deployments.
 *
 * The files of the output that differ from HEAD now are among those that differed when the record's
 * mark was taken (its `files`, taken after the mark) and those watchman says changed since: each of
 * them is compared with HEAD's blob for it (git hash-object, with the path's filters, and the
 * executable bit), and only those that differ are the answer. Trusted only for the same work tree,
 * output and HEAD commit, with git's ignore rules as they were (no `.gitignore` changed, the same
 * info/exclude and core.excludesFile: a file git ignored, and so never listed, would be listed once
 * they change), while no symbolic link changed in the output, and for a few thousand files at most;
 * anything else asks git, as without a record. Files git ignores count as changed when they are new
 * (git's status leaves them out): a folder gated for nothing, never one missed. The index is not
 * read: a change staged and then undone in the work tree alone (git's status says `MM`) is not
 * listed, as the work tree, which is what the gate judges, is HEAD's there.
 */
interface ChangedRecord {
  format: typeof FORMAT;
  /** The work tree's top and the output (real paths), HEAD's commit, and the digest of what git's ignore rules were read from besides `.gitignore` files. */
  top: string;
  out: string;
  head: string;
  ignores: string;
  /** The file monitor's mark, taken before the work tree was looked at. */
  mark: string;
  /** Paths under the output (relative to the top) that differed from HEAD, or may have. */
  files: string[];
}

const FORMAT = 1;

/** More files than this (a synth of a whole cluster) are for git's status: hashing them costs more than its index. */
const MAX_FILES = 2000;

/** Where a work tree's HEAD and ignore rules stand, for the record to be trusted (see ChangedRecord). */
export interface HeadState {
  top: string;
  head: string;
  ignores: string;
}

/** The work tree's top, HEAD's commit and the digest of info/exclude and core.excludesFile (their paths and contents); undefined when there is no commit. */
export async function headState(git: Git): Promise<HeadState | undefined> {
  try {
    const [rev, excludesFile] = await Promise.all([git('rev-parse', '--path-format=absolute', '--show-toplevel', '--git-path', 'info/exclude', 'HEAD'), git('config', '--path', '--get', 'core.excludesFile').catch(() => '')]);
    const [top, exclude, head] = rev.split('\n');
    if (!top || !exclude || !head) return undefined;
    // git's default when core.excludesFile is not set (see gitignore(5)).
    const global = excludesFile.trim() || path.join(process.env.XDG_CONFIG_HOME || path.join(process.env.HOME ?? '', '.config'), 'git', 'ignore');
    const digest = createHash('sha256');
    for (const file of [exclude, path.resolve(top, global)]) digest.update(`${file}\0${contentOf(file)}\0`);
    return { top, head, ignores: digest.digest('hex') };
  } catch {
    return undefined;
  }
}

function contentOf(file: string): string {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return '\0none';
  }
}

/** Where the record of output `out` (a real path) is kept in `cacheDir`. */
function recordFile(cacheDir: string, out: string): string {
  return path.join(cacheDir, `changed-${createHash('sha256').update(out).digest('hex').slice(0, 16)}.json`);
}

function readRecord(file: string): ChangedRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as ChangedRecord;
    const strings = [record.top, record.out, record.head, record.ignores, record.mark];
    return record.format === FORMAT && strings.every((s) => typeof s === 'string') && Array.isArray(record.files) && record.files.every((f) => typeof f === 'string') ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps `record` for the next run (written whole, then renamed into place); failing costs that run only its speed. */
function keepRecord(file: string, record: Omit<ChangedRecord, 'format'>): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ format: FORMAT, ...record }));
    renameSync(temporary, file);
  } catch {
    // Read-only cache: the next run asks git.
  }
}

/**
 * The files under `out` (a real path in work tree `state.top`) that differ from HEAD, paths relative
 * to the top, from the record the previous run kept in `cacheDir` and the file monitor; undefined
 * when they cannot tell (see ChangedRecord): then `fromGit` lists them, and what it lists is kept
 * for the next run with a mark taken before it ran.
 */
export async function changedSinceHead(git: Git, state: HeadState, out: string, cacheDir: string, fromGit: () => Promise<string[]>): Promise<{ files: string[]; via: 'record' | 'git' }> {
  const folder = path.relative(state.top, out);
  if (!folder || folder.startsWith('..') || path.isAbsolute(folder)) return { files: await fromGit(), via: 'git' };
  const file = recordFile(cacheDir, out);
  const record = readRecord(file);
  const trusted = record && record.top === state.top && record.out === out && record.head === state.head && record.ignores === state.ignores;
  const since = trusted ? FileMonitor.query(state.top, record.mark, { folders: [folder], names: ['.gitignore'] })?.changes() : undefined;
  if (record && since && ![...since.changed].some((p) => path.basename(p) === '.gitignore')) {
    const candidates = [...new Set([...record.files, ...since.changed])];
    const files = candidates.length <= MAX_FILES ? await differingFromHead(git, state.top, candidates) : undefined;
    if (files) {
      keepRecord(file, { ...state, out, mark: since.mark, files });
      return { files, via: 'record' };
    }
  }
  const mark = FileMonitor.mark(state.top);
  const listed = await fromGit();
  const files = mark && underFolder(state.top, folder, listed);
  if (files && files.length <= MAX_FILES) keepRecord(file, { ...state, out, mark, files });
  return { files: listed, via: 'git' };
}

/**
 * The entries of git's listing `listed` (relative to `top`) that lie in `folder`, an untracked
 * folder (`dir/`, listed alone when it holds only untracked files) as every file it holds.
 */
function underFolder(top: string, folder: string, listed: string[]): string[] {
  const files: string[] = [];
  for (const entry of listed) {
    const relative = path.relative(folder, entry);
    if (!entry || relative.startsWith('..')) continue;
    if (!entry.endsWith('/')) files.push(entry);
    else {
      const dir = path.join(top, entry);
      for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) if (!e.isDirectory()) files.push(path.relative(top, path.join(e.parentPath, e.name)));
    }
  }
  return files;
}

/**
 * Which of `candidates` (paths relative to `top`) differ from HEAD as git's status would say: a file
 * whose content (hashed by git, with its path's filters) or executable bit is not HEAD's blob's, a
 * file HEAD does not have, a file HEAD has that is gone. Folders are left out (their files are
 * candidates of their own). Undefined on a symbolic link or a submodule (not compared here).
 */
async function differingFromHead(git: Git, top: string, candidates: string[]): Promise<string[] | undefined> {
  const head = new Map<string, { mode: string; type: string; object: string }>();
  if (candidates.length) {
    for (const entry of (await git('--literal-pathspecs', 'ls-tree', '-z', '--full-tree', 'HEAD', '--', ...candidates)).split('\0')) {
      const match = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(entry);
      if (match) head.set(match[4]!, { mode: match[1]!, type: match[2]!, object: match[3]! });
    }
  }
  const differing: string[] = [];
  const toHash: string[] = [];
  for (const file of candidates) {
    const stats = lstatSync(path.join(top, file), { throwIfNoEntry: false });
    const before = head.get(file);
    if (stats?.isSymbolicLink() || before?.type === 'commit') return undefined;
    if (stats?.isDirectory()) continue;
    if (!stats) {
      if (before?.type === 'blob') differing.push(file);
    } else if (before?.type !== 'blob' || (before.mode === '100755') !== ((stats.mode & 0o100) !== 0)) differing.push(file);
    else toHash.push(file);
  }
  if (toHash.length) {
    // A path with a line break cannot be given on a line: git's status it is.
    if (toHash.some((f) => f.includes('\n'))) return undefined;
    const hashed = spawnSync('git', ['hash-object', '--stdin-paths'], { cwd: top, input: `${toHash.join('\n')}\n`, encoding: 'utf8' });
    const objects = hashed.status === 0 ? hashed.stdout.split('\n') : [];
    if (objects.length !== toHash.length + 1) return undefined;
    for (const [i, file] of toHash.entries()) if (objects[i] !== head.get(file)!.object) differing.push(file);
  }
  return differing.sort();
}
