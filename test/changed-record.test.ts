import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { changedFolders } from '../src/gate/changed.js';
import { random } from './engine/manifest-corpus.js';
import { tempDir } from './support/repo.js';

const skip = spawnSync('watchman', ['--version']).status === 0 ? undefined : 'watchman is not installed (apt-get install watchman)';

/**
 * gate --changed against HEAD from the record of the previous run and watchman (src/gate/changed-record.ts)
 * against git's status: after every step of a random walk through what users do to a work tree (edit,
 * revert, add, delete, stage, commit, chmod, a folder added or removed, ignore rules, a link), the
 * folders the record gives are the folders git's status gives, except that a new file git ignores
 * counts as changed (a folder gated for nothing, never one missed).
 */
describe.skipIf(skip)(`gate --changed from the record of the previous run${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  // About what watchman says, not how soon (see file-monitor.test.ts).
  beforeAll(() => void (process.env.REDIS_GITOPS_WATCHMAN = '60000'));
  afterAll(() => void delete process.env.REDIS_GITOPS_WATCHMAN);

  function setUp() {
    const repo = tempDir();
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', ...args], { cwd: repo, stdio: 'pipe' }).toString();
    const dist = path.join(repo, 'dist');
    for (const cluster of ['c1', 'c2']) {
      for (const folder of ['d1', 'd2', 'd3', '_cluster']) {
        mkdirSync(path.join(dist, cluster, folder), { recursive: true });
        for (const file of ['a.yaml', 'b.yaml']) writeFileSync(path.join(dist, cluster, folder, file), `kind: ConfigMap # ${cluster}/${folder}/${file}\n`);
      }
      mkdirSync(path.join(dist, '_argocd', cluster), { recursive: true });
      writeFileSync(path.join(dist, '_argocd', cluster, 'applications.yaml'), 'kind: ApplicationSet\n');
    }
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'first');
    const run = spawnSync('watchman', ['watch-project', repo], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    onTestFinished(() => void spawnSync('watchman', ['watch-del', repo]));
    return { repo, git, dist, cache: tempDir() };
  }

  /** Every file under `dir` (relative to it), links included. */
  function filesUnder(dir: string): string[] {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => !e.isDirectory())
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
      .sort();
  }

  it('gives the folders git gives, over a random walk of edits, reverts, stages, commits, ignore rules and links', async () => {
    const { repo, git, dist, cache } = setUp();
    const tally = { record: 0, git: 0, steps: 0 };
    let ignoredFiles = false;
    for (const seed of [1, 2, 3]) {
      const next = random(seed);
      const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
      const someFile = () => pick(filesUnder(dist).filter((f) => !f.startsWith('_index')));
      const someFolder = () => pick(['c1', 'c2']) + '/' + pick(['d1', 'd2', 'd3', 'd4', '_cluster']);
      const steps: [string, () => void][] = [
        ['edit', () => writeFileSync(path.join(dist, someFile()), `kind: ConfigMap # edited ${next()}\n`, { flag: 'a' })],
        ['edit', () => writeFileSync(path.join(dist, someFile()), `kind: ConfigMap # edited ${next()}\n`, { flag: 'a' })],
        ['revert', () => void spawnSync('git', ['checkout', 'HEAD', '--', path.join(dist, someFile())], { cwd: repo })],
        ['revert all', () => void (git('checkout', 'HEAD', '--', 'dist'), git('clean', '-qfd', 'dist'))],
        ['add a file', () => {
          const folder = path.join(dist, someFolder());
          mkdirSync(folder, { recursive: true });
          writeFileSync(path.join(folder, `n${Math.floor(next() * 5)}.yaml`), 'kind: Service\n');
        }],
        ['delete a file', () => rmSync(path.join(dist, someFile()), { force: true })],
        ['remove a folder', () => rmSync(path.join(dist, someFolder()), { recursive: true, force: true })],
        ['chmod', () => {
          const file = path.join(dist, someFile());
          if (!statSync(file, { throwIfNoEntry: false })?.isFile()) return;
          chmodSync(file, statSync(file).mode & 0o100 ? 0o644 : 0o755);
        }],
        ['touch', () => {
          const file = path.join(dist, someFile());
          if (existsSync(file)) utimesSync(file, new Date(), new Date(Date.now() + 5000));
        }],
        ['stage', () => void git('add', '-A', 'dist')],
        ['commit', () => void (git('add', '-A', '.'), spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', 'commit', '-qm', 'step'], { cwd: repo }))],
        ['ignore rules', () => {
          writeFileSync(path.join(dist, '.gitignore'), next() < 0.5 ? '*.tmp\n' : '');
          ignoredFiles = true;
        }],
        ['an ignored file', () => {
          const folder = path.join(dist, someFolder());
          mkdirSync(folder, { recursive: true });
          writeFileSync(path.join(folder, 'x.tmp'), 'kind: Secret\n');
          ignoredFiles = true;
        }],
        ['a link', () => {
          const folder = path.join(dist, someFolder());
          mkdirSync(folder, { recursive: true });
          rmSync(path.join(folder, 'l.yaml'), { force: true });
          symlinkSync('../d1/a.yaml', path.join(folder, 'l.yaml'));
        }],
        ['nothing', () => {}],
      ];
      for (let step = 0; step < 40; step++) {
        const [what, act] = pick(steps);
        act();
        const fromGit = await changedFolders(dist, 'HEAD');
        const fromRecord = await changedFolders(dist, 'HEAD', undefined, cache);
        tally[fromRecord.via]++;
        tally.steps++;
        const context = `seed ${seed}, step ${step} (${what}): ${git('status', '--porcelain', '--ignored')}`;
        // A new file git ignores is a change to the record: what git gives is always there.
        expect(fromRecord.paths.filter((p) => fromGit.paths.includes(p)), context).toEqual(fromGit.paths);
        if (!ignoredFiles) expect(fromRecord.paths, context).toEqual(fromGit.paths);
      }
    }
    // Most steps were answered from the record; commits, ignore rules and links sent some to git.
    expect(tally.record, JSON.stringify(tally)).toBeGreaterThan(tally.steps / 2);
    expect(tally.git, JSON.stringify(tally)).toBeGreaterThan(0);
  });

  it('asks git when the ignore rules change: a file git ignored, never listed, is listed once they stop ignoring it', async () => {
    const { dist, cache } = setUp();
    for (const [file, rules] of [
      ['.gitignore', '*.tmp\n'],
      ['.git/info/exclude', 'dist/**/*.tmp\n'],
    ] as const) {
      const rulesFile = path.join(path.dirname(dist), file);
      writeFileSync(rulesFile, rules);
      writeFileSync(path.join(dist, 'c1/d2/x.tmp'), 'kind: Secret\n');
      expect(await changedFolders(dist, 'HEAD', undefined, cache)).toEqual({ paths: [], via: 'git' });
      expect(await changedFolders(dist, 'HEAD', undefined, cache)).toEqual({ paths: [], via: 'record' });
      writeFileSync(rulesFile, '');
      expect(await changedFolders(dist, 'HEAD', undefined, cache)).toEqual({ paths: [path.join(dist, 'c1/_cluster'), path.join(dist, 'c1/d2')], via: 'git' });
      rmSync(path.join(dist, 'c1/d2/x.tmp'));
    }
  });

  it('asks git after a commit, and without a file monitor', async () => {
    const { git, dist, cache } = setUp();
    expect((await changedFolders(dist, 'HEAD', undefined, cache)).via).toBe('git');
    writeFileSync(path.join(dist, 'c1/d1/a.yaml'), 'kind: Secret\n');
    expect(await changedFolders(dist, 'HEAD', undefined, cache)).toEqual({ paths: [path.join(dist, 'c1/_cluster'), path.join(dist, 'c1/d1')], via: 'record' });
    git('commit', '-qam', 'second');
    expect(await changedFolders(dist, 'HEAD', undefined, cache)).toEqual({ paths: [], via: 'git' });
    expect((await changedFolders(dist, 'HEAD', undefined, cache)).via).toBe('record');
    process.env.REDIS_GITOPS_WATCHMAN = 'off';
    try {
      writeFileSync(path.join(dist, 'c2/d2/b.yaml'), 'kind: Secret\n');
      expect(await changedFolders(dist, 'HEAD', undefined, cache)).toEqual({ paths: [path.join(dist, 'c2/_cluster'), path.join(dist, 'c2/d2')], via: 'git' });
    } finally {
      process.env.REDIS_GITOPS_WATCHMAN = '60000';
    }
  });
});
