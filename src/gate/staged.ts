import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { UnreadableInput } from './documents.js';

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
  const dir = await mkdtemp(path.join(tmpdir(), 'redis-gitops-staged-'));
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
