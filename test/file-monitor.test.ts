import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { FileMonitor } from '../src/config/file-monitor.js';
import { ParsedFileCache } from '../src/config/parse-cache.js';
import { synth } from '../src/synth/synth.js';
import { transactionFolder } from '../src/synth/transaction.js';
import { settledRepo, snapshotTree, tempDir } from './support/repo.js';

const skip = spawnSync('watchman', ['--version']).status === 0 ? undefined : 'watchman is not installed (apt-get install watchman)';

/** Has watchman (its server started if need be) watch `dir` until the test ends, as `watchman watch-project .` does for a user. */
function watch(dir: string): void {
  const run = spawnSync('watchman', ['watch-project', dir], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  onTestFinished(() => void spawnSync('watchman', ['watch-del', dir]));
}

/** Watchman's answer to a command (`watchman -j`: the command as JSON on its input). */
function watchman(command: unknown[]): Record<string, unknown> {
  const run = spawnSync('watchman', ['-j'], { input: JSON.stringify(command), encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}


/** Runs `body` with REDIS_GITOPS_WATCHMAN set to `value`, then puts back the value before. */
async function withSetting<T>(value: string, body: () => T | Promise<T>): Promise<T> {
  const before = process.env.REDIS_GITOPS_WATCHMAN;
  process.env.REDIS_GITOPS_WATCHMAN = value;
  try {
    return await body();
  } finally {
    process.env.REDIS_GITOPS_WATCHMAN = before;
  }
}

describe.skipIf(skip)(`watchman as the synth cache's file monitor${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  // These tests are about what watchman says, not how soon: a busy CI machine may take it past the
  // half second synth waits by default (then synth stats every file, and keeps no new clock).
  beforeAll(() => void (process.env.REDIS_GITOPS_WATCHMAN = '60000'));
  afterAll(() => void delete process.env.REDIS_GITOPS_WATCHMAN);

  it('says which files changed since a mark, and keeps a mark only once it listed every file stat\'ed', () => {
    const dir = tempDir();
    for (const folder of ['deployments', 'state/example', 'elsewhere']) mkdirSync(path.join(dir, folder), { recursive: true });
    writeFileSync(path.join(dir, 'deployments/a.yaml'), 'a');
    writeFileSync(path.join(dir, 'deployments/b.yaml'), 'b');
    writeFileSync(path.join(dir, 'state/example/a.json'), '{}');
    expect(FileMonitor.query(dir, undefined)).toBeUndefined(); // not watched: every file is stat'ed
    watch(dir);
    const first = FileMonitor.query(dir, undefined)!;
    // No mark yet: every file may have changed; the files it listed are those of the three folders.
    expect(first.unchanged('deployments/a.yaml')).toBe(false);
    expect(first.markToKeep(['deployments/a.yaml', 'deployments/b.yaml', 'state/example/a.json'])).toBeDefined();
    expect(first.markToKeep(['deployments/a.yaml', 'deployments/c.yaml'])).toBeUndefined();
    expect(first.markToKeep(['elsewhere/x.yaml'])).toBeUndefined();
    const mark = first.markToKeep([])!;

    writeFileSync(path.join(dir, 'deployments/a.yaml'), 'a2');
    writeFileSync(path.join(dir, 'elsewhere/x.yaml'), 'x');
    const second = FileMonitor.query(dir, mark)!;
    expect(second.unchanged('deployments/a.yaml')).toBe(false);
    expect(second.unchanged('deployments/b.yaml')).toBe(true);
    expect(second.unchanged('state/example/a.json')).toBe(true);
    // Only a mark of the same watch and path counts.
    expect(FileMonitor.query(dir, JSON.stringify(['/elsewhere', '', JSON.parse(mark)[2]]))!.unchanged('deployments/b.yaml')).toBe(false);

    // A link: what it points to can change without it; every file is stat'ed and no mark kept.
    symlinkSync(path.join(dir, 'elsewhere/x.yaml'), path.join(dir, 'deployments/c.yaml'));
    const linked = FileMonitor.query(dir, second.markToKeep([]))!;
    expect(linked.unchanged('deployments/b.yaml')).toBe(false);
    expect(linked.markToKeep(['deployments/b.yaml'])).toBeUndefined();
    expect(FileMonitor.query(dir, undefined)!.markToKeep(['deployments/b.yaml'])).toBeUndefined();
  });

  it('waits for watchman no longer than REDIS_GITOPS_WATCHMAN says (a watchman that takes 3 s to answer is not waited for)', async () => {
    const dir = tempDir();
    const bin = tempDir();
    // A stand-in for a busy watchman: it names `dir` as watched at once, and answers a query 3 s later.
    const answer = JSON.stringify({ clock: 'c:1:1:1:1', is_fresh_instance: true, files: [] });
    writeFileSync(path.join(bin, 'watchman'), `#!/bin/sh\ncase "$(cat)" in\n*watch-list*) echo '${JSON.stringify({ roots: [dir] })}' ;;\n*) sleep 3; echo '${answer}' ;;\nesac\n`);
    chmodSync(path.join(bin, 'watchman'), 0o755);
    const { PATH } = process.env;
    process.env.PATH = `${bin}:${PATH}`;
    try {
      expect(await withSetting('60000', () => FileMonitor.query(dir, undefined))).toBeDefined();
      expect(await withSetting('300', () => FileMonitor.query(dir, undefined))).toBeUndefined();
    } finally {
      process.env.PATH = PATH;
    }
  });

  it('lists a fleet whose listing is megabytes of JSON', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'deployments'));
    // 6000 names of 200 characters: ~1.4 MB of listing, past the 1 MB a child's output is cut at by default.
    const files = Array.from({ length: 6000 }, (_, i) => `deployments/${String(i).padStart(195, 'x')}.yaml`);
    for (const file of files) writeFileSync(path.join(dir, file), '');
    watch(dir);
    expect(FileMonitor.query(dir, undefined)?.markToKeep(files)).toBeDefined();
  });

  // What a synth does to the file system is what a file system monitor tells git and synth itself.
  // Watchman (4.9) crawls a removed folder's parent again, whole, before it answers anything: a synth
  // that removed its transaction folder at the repository's root made the next question wait for a
  // crawl of the whole repository (2.4 s at 10,000 deployments). And a file renamed into a folder
  // makes watchman name the folder, which git (2.39, core.fsmonitor) takes for "every file under it
  // may have changed": the index renamed into dist/ made git stat all of dist/ (0.25 s a command).
  it('after a synth of one change, watchman names that deployment\'s folder and files, the index\'s, and no folder above them', async () => {
    const repo = settledRepo();
    const out = path.join(repo, 'dist');
    watch(repo);
    await synth(repo, out);
    const clock = watchman(['clock', repo, { sync_timeout: 60_000 }]).clock as string;
    const orders = path.join(repo, 'deployments/orders.yaml');
    writeFileSync(orders, readFileSync(orders, 'utf8').replace('memory: 2Gi', 'memory: 3Gi'));
    expect((await synth(repo, out)).rendered).toBe(1);
    expect(readdirSync(transactionFolder(out)), 'the transaction folder, emptied but not removed').toEqual([]);
    // Files and folders that are there now (what is gone, such as the lock, names nothing under it).
    const since = watchman(['query', repo, { since: clock, fields: ['name'], expression: ['exists'], sync_timeout: 60_000 }]);
    expect(since.is_fresh_instance).toBe(false);
    const expected = /^(deployments\/orders\.yaml|dist\/example\/orders(\/.*)?|dist\/_index(\/index\.json)?|dist\.transaction)$/;
    expect((since.files as string[]).filter((name) => !expected.test(name)).sort(), 'named besides the edit, what synth rewrote for it, and its (emptied) transaction folder').toEqual([]);
  });

  it('a synth with watchman writes what a synth without it writes, after edits, a new file, a removed state and a link', async () => {
    const repo = settledRepo();
    const out = path.join(repo, 'dist');
    const cache = path.join(tempDir(), 'cache.json');
    const withoutMonitor = async () => {
      const copy = tempDir();
      for (const folder of ['clusters', 'deployments', 'state']) spawnSync('cp', ['-a', path.join(repo, folder), copy]);
      await synth(copy, path.join(copy, 'dist'), { full: true });
      return snapshotTree(path.join(copy, 'dist'));
    };
    watch(repo);
    await synth(repo, out, { cache });
    expect(ParsedFileCache.markIn(cache)).toBeDefined();
    expect((await synth(repo, out, { cache })).rendered).toBe(0);

    // An edit of a deployment file: that deployment is rendered again, and only it.
    const orders = path.join(repo, 'deployments/orders.yaml');
    writeFileSync(orders, readFileSync(orders, 'utf8').replace('memory: 2Gi', 'memory: 3Gi'));
    expect((await synth(repo, out, { cache })).rendered).toBe(1);
    expect(snapshotTree(out)).toEqual(await withoutMonitor());
    expect(ParsedFileCache.markIn(cache)).toBeDefined();

    // A synth without the monitor (watchman busy, stopped or turned off) keeps the mark it found: what
    // changed since it includes what changes after, so the next synth with watchman sees both edits.
    const kept = ParsedFileCache.markIn(cache);
    await withSetting('off', async () => {
      writeFileSync(orders, readFileSync(orders, 'utf8').replace('memory: 3Gi', 'memory: 4Gi'));
      expect((await synth(repo, out, { cache })).rendered).toBe(1);
      expect(ParsedFileCache.markIn(cache)).toBe(kept);
    });
    writeFileSync(orders, readFileSync(orders, 'utf8').replace('memory: 4Gi', 'memory: 6Gi'));
    expect((await synth(repo, out, { cache })).rendered).toBe(1);
    expect(snapshotTree(out)).toEqual(await withoutMonitor());

    // A new deployment, then its state removed: made again.
    const carts = path.join(repo, 'deployments/carts.yaml');
    writeFileSync(carts, readFileSync(orders, 'utf8'));
    expect((await synth(repo, out, { cache })).rendered).toBe(1);
    const state = path.join(repo, 'state/example/carts.json');
    const before = readFileSync(state, 'utf8');
    unlinkSync(state);
    expect((await synth(repo, out, { cache })).statesWritten).toEqual(['state/example/carts.json']);
    expect(readFileSync(state, 'utf8')).not.toBe(before);

    // A deployment file made a link to a file outside the folders watched: an edit there is seen.
    const outside = path.join(tempDir(), 'sessions.yaml');
    renameSync(path.join(repo, 'deployments/sessions.yaml'), outside);
    symlinkSync(outside, path.join(repo, 'deployments/sessions.yaml'));
    expect((await synth(repo, out, { cache })).rendered).toBe(0);
    expect(ParsedFileCache.markIn(cache)).toBeUndefined();
    writeFileSync(outside, readFileSync(outside, 'utf8').replace(/memory: \S+/, 'memory: 5Gi'));
    expect((await synth(repo, out, { cache })).rendered).toBe(1);
    expect(snapshotTree(out)).toEqual(await withoutMonitor());
  });
});
