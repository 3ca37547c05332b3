import { execFile } from 'node:child_process';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ARGOCD_FOLDER, CLUSTER_FOLDER, INDEX_FOLDER } from '../../model/dist-layout.js';
import { UnreadableInput } from './documents.js';
import { changedSinceHead, headState } from './changed-record.js';

const run = promisify(execFile);

type Git = (...args: string[]) => Promise<string>;

/**
 * Untracked paths (not ignored), relative to the top of the work tree, those of the output among them;
 * a folder holding only untracked files may be listed as that folder (`dir/`). Where git keeps an untracked cache
 * (core.untrackedCache, or feature.manyFiles, which sets it), from `git status` without a pathspec,
 * the one form that reads the cache instead of every folder: in the default untracked mode, as the
 * user's own `git status` runs it (the cache keeps the mode it was made with, and another would make
 * it again each time), `--no-optional-locks` so that a reader does not rewrite the index (git's advice
 * to tools running beside the user's git). Elsewhere from `git ls-files --others`, which reads the
 * output's folders only and, unlike `git status`, does not stat the tracked files `git diff` stats.
 */
async function untrackedPaths(git: Git, cached: boolean): Promise<string[]> {
  if (!cached) return (await git('ls-files', '--others', '--exclude-standard', '--full-name', '-z', '--', '.')).split('\0');
  return (await status(git)).filter((e) => e.startsWith('?? ')).map((e) => e.slice(3));
}

/** `git status` as untrackedPaths runs it: its entries, `XY path` (porcelain v1; paths relative to the top). */
async function status(git: Git): Promise<string[]> {
  return (await git('--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=normal', '--no-renames', '--ignore-submodules=all')).split('\0').filter(Boolean);
}

/** Whether git keeps an untracked cache for the work tree of `dir` (see git-config(1): core.untrackedCache, feature.manyFiles). */
async function keepsUntrackedCache(dir: string): Promise<boolean> {
  const settings = new Map<string, string>();
  try {
    const { stdout } = await run('git', ['config', '--null', '--get-regexp', '^(core\\.untrackedcache|feature\\.manyfiles)$'], { cwd: dir });
    for (const entry of stdout.split('\0')) {
      const [name, value] = entry.split('\n');
      if (name) settings.set(name, value ?? 'true');
    }
  } catch {
    // Exit 1: neither is set.
  }
  // `keep` (the default) keeps what the index has: unknown here, so treated as no cache.
  const isTrue = (v: string | undefined) => v !== undefined && /^(true|yes|on|1)$/i.test(v);
  return settings.has('core.untrackedcache') ? isTrue(settings.get('core.untrackedcache')) : isTrue(settings.get('feature.manyfiles'));
}

/**
 * The `<cluster>/<deployment>` folders (or files at that depth) `relative` (a path under `out`, as
 * segments) is or lies in: an untracked folder above that depth stands for every folder it holds.
 */
function foldersBelow(out: string, relative: string[]): [string, string][] {
  if (relative.length >= 2) return [[relative[0]!, relative[1]!]];
  const full = path.join(out, ...relative);
  const names = statSync(full, { throwIfNoEntry: false })?.isDirectory() ? readdirSync(full) : [];
  return names.flatMap((name) => foldersBelow(out, [...relative, name]));
}

/**
 * The folders of a synth output `dist` to gate when only what changed since git revision `base`
 * matters (a commit, a pull request): each changed deployment's folder with its cluster's `_cluster`
 * folder (the policies judge a deployment with the cluster-scoped objects it uses), and a whole
 * cluster when its cluster-scoped or Argo CD objects changed. Uncommitted and untracked files count;
 * with `staged`, only what is staged counts (git's index against `base`), and the folders are those of
 * `staged.dist`, the same output as the index holds it (see staged.ts). With `cacheDir`, a run against
 * HEAD keeps there what it found, for the next to take from the file monitor (see changed-record.ts).
 */
export async function changedPaths(dist: string, base: string, staged?: { dist: string }, cacheDir?: string): Promise<string[]> {
  return (await changedFolders(dist, base, staged, cacheDir)).paths;
}

/** changedPaths, and whether git's status or the record of the previous run (changed-record.ts) told what changed. */
export async function changedFolders(dist: string, base: string, staged?: { dist: string }, cacheDir?: string): Promise<{ paths: string[]; via: 'record' | 'git' }> {
  const out = path.resolve(dist);
  const git: Git = async (...args) => {
    try {
      return (await run('git', args, { cwd: out, maxBuffer: 256 << 20 })).stdout;
    } catch (error) {
      throw new UnreadableInput(dist, `--changed needs a git work tree and revision ${base}: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`);
    }
  };
  // Against HEAD, what the previous run found and what changed since may tell without git's status.
  const head = !staged && base === 'HEAD' && cacheDir !== undefined ? await headState(git) : undefined;
  const top = head?.top ?? (await git('rev-parse', '--show-toplevel')).trim();
  // The tracked changes and the untracked files at once. Each looks at every file of the output
  // (hundreds of thousands in a large fleet) unless git keeps track of them: `git diff` asks the file
  // system monitor (core.fsmonitor), when there is one, which files to stat, and the untracked files
  // come from the untracked cache when git keeps one: with both, ~0.15 s at 10,000 deployments instead
  // of ~0.5 s. Paths from both are relative to the top.
  const fromGit = async () => {
    const cached = !staged && (await keepsUntrackedCache(out));
    return staged
      ? (await git('diff', '--cached', '--name-only', '-z', '--no-renames', base, '--', '.')).split('\0')
      : cached && base === 'HEAD'
        ? // Against HEAD, `git status` alone says it all: a file that differs from HEAD differs from the
          // index (Y) or the index from HEAD (X), and untracked ones are `??`. One read of git's index
          // (52 MB at 10,000 deployments) and one question to its monitor instead of two. It may name a
          // file whose change was staged and then undone: a folder gated for nothing, never one missed.
          (await status(git)).map((e) => e.slice(3))
        : await Promise.all([git('diff', '--name-only', '-z', '--no-renames', base, '--', '.'), untrackedPaths(git, cached)]).then(([tracked, untracked]) => [...tracked.split('\0'), ...untracked]);
  };
  // git names the top by its real path: so must the output be, to find its files among git's.
  const real = realpathSync(out);
  const { files: listed, via } = head ? await changedSinceHead(git, head, real, cacheDir!, fromGit) : { files: await fromGit(), via: 'git' as const };
  const folders = new Set<string>();
  for (const file of listed.filter(Boolean)) {
    const segments = path.relative(real, path.resolve(top, file)).split(path.sep).filter(Boolean);
    // Outside the output, or an untracked folder that holds all of it (nothing of it committed yet).
    if (segments[0] === '..' && !segments.every((s) => s === '..')) continue;
    for (const [first, second] of foldersBelow(real, segments[0] === '..' ? [] : segments)) {
      // synth's index: bookkeeping, in no Argo CD Application (a changed deployment's folder is listed too).
      if (first === INDEX_FOLDER) continue;
      const cluster = first === ARGOCD_FOLDER ? second : first;
      if (first === ARGOCD_FOLDER || second === CLUSTER_FOLDER) {
        folders.add(cluster);
        folders.add(path.join(ARGOCD_FOLDER, cluster));
      } else {
        folders.add(path.join(cluster, second));
        folders.add(path.join(cluster, CLUSTER_FOLDER));
      }
    }
  }
  const gated = staged?.dist ?? dist;
  const paths = [...folders].map((f) => path.join(gated, f)).filter((p) => existsSync(p));
  // A cluster gated whole already holds its deployments' folders.
  return { paths: paths.filter((p) => !paths.some((other) => other !== p && p.startsWith(`${other}${path.sep}`))).sort(), via };
}
