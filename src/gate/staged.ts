import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { UnreadableInput } from './documents.js';
import { SystemRefusal } from '../io.js';

const run = promisify(execFile);

/**
 * What `git commit` would commit: the files of git's index (the staged tree) written out to a
 * temporary folder, so that the gate and --check-synced judge them rather than the working tree (a
 * commit of an input without its dist/ changes, or of a broken file whose working copy was fixed
 * since it was staged, is judged as committed).
 */
export interface StagedTree {
  /** The top of the work tree `from` belongs to. */
  top: string;
  /** The folder holding the staged files, laid out as the work tree. */
  dir: string;
  /** Where a path of the work tree is in the staged tree (refused when outside the work tree). */
  at(file: string): string;
  remove(): Promise<void>;
}

export async function stagedTree(from: string): Promise<StagedTree> {
  const git = async (cwd: string, ...args: string[]) => {
    try {
      return (await run('git', args, { cwd, maxBuffer: 256 << 20 })).stdout;
    } catch (error) {
      throw new UnreadableInput(from, `--staged needs a git work tree: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`);
    }
  };
  const top = (await git(path.resolve(from), 'rev-parse', '--show-toplevel')).trim();
  let dir: string;
  try {
    dir = await mkdtemp(path.join(tmpdir(), 'redis-gitops-staged-'));
  } catch (error) {
    // A TMPDIR that does not exist, or a full or read-only /tmp: the environment's, not a bug.
    throw new SystemRefusal(error as NodeJS.ErrnoException, 'the staged files are written to a temporary folder (TMPDIR) to be judged; nothing was judged');
  }
  try {
    // --prefix needs its trailing separator: it is prepended to each path as it is.
    await git(top, 'checkout-index', '--all', `--prefix=${dir}${path.sep}`);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    top,
    dir,
    at(file: string) {
      const relative = path.relative(top, path.resolve(file));
      if (relative.startsWith('..') || path.isAbsolute(relative)) throw new UnreadableInput(file, `--staged judges the files of the git work tree ${top}; this path is outside it`);
      return path.join(dir, relative);
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Whether what `git commit` would commit is the work tree as it is: nothing unstaged and nothing
 * untracked (but ignored files) in the repository `from` belongs to. Then judging the work tree is
 * judging the staged tree, without writing the whole repository out (hundreds of thousands of files
 * in a large fleet) and with the work tree's caches; the usual commit (synth, then `git add`) is one.
 */
export async function stagedIsWorkTree(from: string): Promise<boolean> {
  let status: string;
  try {
    // Porcelain v1: "XY path", X the index against HEAD, Y the work tree against the index ("??" untracked).
    status = (await run('git', ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames'], { cwd: path.resolve(from), maxBuffer: 256 << 20 })).stdout;
  } catch (error) {
    throw new UnreadableInput(from, `--staged needs a git work tree: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`);
  }
  return status.split('\0').every((entry) => entry === '' || entry[1] === ' ');
}

