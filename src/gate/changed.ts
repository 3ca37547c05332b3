import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ARGOCD_FOLDER, CLUSTER_FOLDER, INDEX_FILE } from '../../model/dist-layout.js';
import { UnreadableInput } from './documents.js';

const run = promisify(execFile);

/**
 * The folders of a synth output `dist` to gate when only what changed since git revision `base`
 * matters (a commit, a pull request): each changed deployment's folder with its cluster's `_cluster`
 * folder (the policies judge a deployment with the cluster-scoped objects it uses), and a whole
 * cluster when its cluster-scoped or Argo CD objects changed. Uncommitted and untracked files count;
 * with `staged`, only what is staged counts (git's index against `base`), and the folders are those of
 * `staged.dist`, the same output as the index holds it (see staged.ts).
 */
export async function changedPaths(dist: string, base: string, staged?: { dist: string }): Promise<string[]> {
  const out = path.resolve(dist);
  const git = async (...args: string[]) => {
    try {
      return (await run('git', args, { cwd: out, maxBuffer: 256 << 20 })).stdout;
    } catch (error) {
      throw new UnreadableInput(dist, `--changed needs a git work tree and revision ${base}: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`);
    }
  };
  const top = (await git('rev-parse', '--show-toplevel')).trim();
  // The tracked changes and the untracked files at once: each walks the whole output (stat of every
  // tracked file, a listing of every folder), hundreds of thousands of files in a large fleet.
  const listed = staged
    ? (await git('diff', '--cached', '--name-only', '--no-renames', base, '--', '.')).split('\n')
    : await Promise.all([git('diff', '--name-only', '--no-renames', base, '--', '.'), git('ls-files', '--others', '--exclude-standard', '--', '.')]).then(([tracked, untracked]) => [
        ...tracked.split('\n'),
        ...untracked.split('\n').map((f) => f && path.relative(top, path.join(out, f))),
      ]);
  const folders = new Set<string>();
  for (const file of listed.filter(Boolean)) {
    const [first, second] = path.relative(out, path.join(top, file)).split(path.sep);
    if (!first || first.startsWith('..') || first === INDEX_FILE || !second) continue;
    const cluster = first === ARGOCD_FOLDER ? second : first;
    if (first === ARGOCD_FOLDER || second === CLUSTER_FOLDER) {
      folders.add(cluster);
      folders.add(path.join(ARGOCD_FOLDER, cluster));
    } else {
      folders.add(path.join(cluster, second));
      folders.add(path.join(cluster, CLUSTER_FOLDER));
    }
  }
  const gated = staged?.dist ?? dist;
  const paths = [...folders].map((f) => path.join(gated, f)).filter((p) => existsSync(p));
  // A cluster gated whole already holds its deployments' folders.
  return paths.filter((p) => !paths.some((other) => other !== p && p.startsWith(`${other}${path.sep}`))).sort();
}
