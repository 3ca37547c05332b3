import { execFile, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { driftFrom } from '../src/synth/compare.js';
import { LOCK_FILE, RepositoryBusy, withRepositoryLock } from '../src/synth/lock.js';
import { synth } from '../src/synth/synth.js';
import { recover, transactionFolder } from '../src/synth/transaction.js';
import { cliPath, redisGitops } from './support/programs.js';
import { leftInTransaction, snapshotTree, tempDir, tempRepo, writeInput } from './support/repo.js';
import { INDEX_FILE } from '../model/dist-layout.js';

// A synth changes dist/ and state/ as one transaction (src/synth/transaction.ts). Here synth is
// killed with SIGKILL at points of its run, and what it leaves must be, once the next run has
// recovered it, either the old dist/ and state/ byte for byte or the new ones in step (what synth
// makes of the inputs and the state), never a mix.

const strace = (() => {
  try {
    execFileSync('strace', ['-V'], { stdio: 'pipe' });
    return 'strace';
  } catch {
    return undefined;
  }
})();

/**
 * A synthesized repository, then a change that touches both dist/ and state/ in every way: one
 * deployment removed (its files and its state go), one added (files and a new state), and the
 * passwords of a third rotated (its state and sealed secrets change).
 */
async function changedRepo(): Promise<{ repo: string; old: Record<string, string> }> {
  const repo = tempRepo();
  await synth(repo, path.join(repo, 'dist'));
  const old = repositoryState(repo);
  rmSync(path.join(repo, 'deployments/sessions.yaml'));
  writeInput(repo, 'deployments/carts.yaml', 'cluster: example\nredis: {memory: 1Gi}\npersistence: {size: 10Gi}\n');
  return { repo, old };
}

const ROTATE = ['rotate', 'orders', '--what', 'passwords'];

/** dist/ and state/ of a repository, byte for byte. */
function repositoryState(repo: string): Record<string, string> {
  const prefix = (name: string, tree: Record<string, string>) => Object.fromEntries(Object.entries(tree).map(([f, c]) => [`${name}/${f}`, c]));
  return { ...prefix('dist', snapshotTree(path.join(repo, 'dist'))), ...prefix('state', snapshotTree(path.join(repo, 'state'))) };
}

/** Recovers what a killed run left, then says whether dist/ and state/ are the old ones or the new ones in step. */
async function outcome(repo: string, old: Record<string, string>, oldOrders: string): Promise<'old' | 'new' | string> {
  const out = path.join(repo, 'dist');
  await recover(out);
  if (leftInTransaction(out).length) return `the transaction folder still holds ${leftInTransaction(out).join(', ')}`;
  const now = repositoryState(repo);
  if (JSON.stringify(now) === JSON.stringify(old)) return 'old';
  const states = Object.keys(now).filter((f) => f.startsWith('state/')).sort();
  if (JSON.stringify(states) !== JSON.stringify(['state/example/carts.json', 'state/example/orders.json'])) return `a mix: state files ${states.join(', ')}`;
  if (readFileSync(path.join(repo, 'state/example/orders.json'), 'utf8') === oldOrders) return 'a mix: the rotation is missing from state/';
  // dist/ is exactly what synth makes of the inputs and this state.
  const { changes } = await driftFrom(repo, out);
  const drift = [...changes.added, ...changes.changed, ...changes.removed];
  return drift.length ? `a mix: dist/ is not in step with state/ (${drift.length} file(s), e.g. ${drift[0]})` : 'new';
}

function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (error, _stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, signal: (error as { signal?: NodeJS.Signals } | null)?.signal ?? null, stderr });
    });
  });
}

describe('synth as one transaction over dist/ and state/', () => {
  it.skipIf(!strace)(
    'killed with SIGKILL at its renames (strace injects the signal), it leaves the old or the new dist/ and state/, never a mix' + (strace ? '' : ' (skipped: strace is not installed)'),
    async () => {
      const template = await changedRepo();
      const oldOrders = readFileSync(path.join(template.repo, 'state/example/orders.json'), 'utf8');
      // How many renames a whole run makes: file system calls run on libuv's thread pool, one thread
      // here so that "the n-th rename" is one point of the run.
      const env = { UV_THREADPOOL_SIZE: '1' };
      // The CLI compiled first: the first run after a change to the sources compiles it, with a rename
      // of its own that the runs killed later would not make (the n-th rename would be another point).
      expect((await run(process.execPath, [cliPath, '--version'], template.repo)).code).toBe(0);
      const count = tempDir();
      cpSync(template.repo, count, { recursive: true });
      const traceFile = path.join(tempDir(), 'trace');
      const full = await run(strace!, ['-f', '-qq', '-o', traceFile, '-e', 'trace=rename,renameat,renameat2', process.execPath, cliPath, ...ROTATE], count, env);
      expect(full.code, full.stderr).toBe(0);
      expect(await outcome(count, template.old, oldOrders)).toBe('new');
      const renames = readFileSync(traceFile, 'utf8').split('\n').filter((line) => /rename/.test(line) && !/resumed/.test(line)).length;
      // The journal's (the commit), the new deployment's folder (moved whole), each changed file, the
      // state files, index.json: every one of them a point to be killed at.
      expect(renames).toBeGreaterThan(10);
      const points = new Set(Array.from({ length: renames }, (_, i) => i + 1));
      const seen = new Map<string, number[]>();
      for (const point of [...points].sort((a, b) => a - b)) {
        const repo = tempDir();
        cpSync(template.repo, repo, { recursive: true });
        const killed = await run(strace!, ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=rename,renameat,renameat2', '-e', `inject=rename,renameat,renameat2:signal=KILL:when=${point}`, process.execPath, cliPath, ...ROTATE], repo, env);
        expect(killed.code, `rename ${point}: ${killed.stderr}`).not.toBe(0);
        const result = await outcome(repo, template.old, oldOrders);
        seen.set(result, [...(seen.get(result) ?? []), point]);
      }
      expect([...seen.keys()].filter((r) => r !== 'old' && r !== 'new'), `outcome by rename: ${JSON.stringify([...seen])}`).toEqual([]);
      // Killed at its commit or later, a run is completed by the next one.
      expect(seen.get('new')).toContain(renames);
    },
    600_000,
  );

  it('killed at random moments (staging, commit, renames), it leaves the old or the new dist/ and state/, never a mix', async () => {
    const template = await changedRepo();
    const oldOrders = readFileSync(path.join(template.repo, 'state/example/orders.json'), 'utf8');
    const timing = tempDir();
    cpSync(template.repo, timing, { recursive: true });
    const started = Date.now();
    expect((await redisGitops(timing, ...ROTATE)).code).toBe(0);
    const duration = Date.now() - started;
    const results: string[] = [];
    for (let i = 0; i < 3; i++) {
      const repo = tempDir();
      cpSync(template.repo, repo, { recursive: true });
      const delay = Math.floor(duration * (0.5 + Math.random() * 0.5));
      const child = spawn(process.execPath, [cliPath, ...ROTATE], { cwd: repo, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      await new Promise((resolve) => child.on('exit', resolve));
      clearTimeout(timer);
      results.push(`${delay} ms: ${await outcome(repo, template.old, oldOrders)}`);
    }
    expect(results.filter((r) => !/: (old|new)$/.test(r)), results.join('\n')).toEqual([]);
  }, 600_000);

  it('the check can fail: dist/ of the new run with state/ of the old one is reported as a mix', async () => {
    const { repo, old } = await changedRepo();
    const oldOrders = readFileSync(path.join(repo, 'state/example/orders.json'), 'utf8');
    const stateBefore = snapshotTree(path.join(repo, 'state'));
    expect((await redisGitops(repo, ...ROTATE)).code).toBe(0);
    expect(await outcome(repo, old, oldOrders)).toBe('new');
    // Put the old state back beside the new dist/: what a synth that wrote dist/ and then died left.
    rmSync(path.join(repo, 'state'), { recursive: true });
    for (const [file, content] of Object.entries(stateBefore)) {
      mkdirSync(path.dirname(path.join(repo, 'state', file)), { recursive: true });
      writeFileSync(path.join(repo, 'state', file), Buffer.from(content, 'base64'));
    }
    expect(await outcome(repo, old, oldOrders)).toMatch(/^a mix: /);
  });

  it('a run that died before its commit is discarded, one that died after it is completed, and a killed holder does not keep the lock', async () => {
    const { repo } = await changedRepo();
    const out = path.join(repo, 'dist');
    const before = repositoryState(repo);
    // Staged files but no journal: discarded, nothing else changes.
    cpSync(path.join(out, 'example'), path.join(transactionFolder(out), 'dist/example'), { recursive: true });
    writeFileSync(path.join(repo, LOCK_FILE), `${JSON.stringify({ pid: deadPid(), host: hostname() })}\n`);
    const result = await synth(repo, out, { writeState: false });
    expect(result.recovered).toBe('discarded');
    expect(leftInTransaction(out)).toEqual([]);
    expect(existsSync(path.join(repo, LOCK_FILE))).toBe(false);
    expect(snapshotTree(path.join(repo, 'state'))).toEqual(Object.fromEntries(Object.entries(before).filter(([f]) => f.startsWith('state/')).map(([f, c]) => [f.slice(6), c])));
  });

  // A committed journal whose new folder is moved by one rename (see newFolders in transaction.ts), as
  // a killed run leaves it: completed whether the folder was moved already, is still staged, has had
  // a file put in its target since (then moved file by file), or the journal predates folder moves.
  it.each([
    ['still staged', {}],
    ['already moved', { moved: true }],
    ['its target no longer empty', { stray: true }],
    ['a journal without folders', { oldJournal: true }],
  ])('a committed new folder is completed: %s', async (_, { moved = false, stray = false, oldJournal = false }: { moved?: boolean; stray?: boolean; oldJournal?: boolean }) => {
    const out = path.join(tempDir(), 'dist');
    const txn = transactionFolder(out);
    const files = { 'a/b/x.yaml': 'x: 1\n', 'a/b/y.yaml': 'y: 2\n', 'a/c.yaml': 'c: 3\n' };
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(moved && file.startsWith('a/b/') ? out : path.join(txn, 'dist'), file)), { recursive: true });
      writeFileSync(path.join(moved && file.startsWith('a/b/') ? out : path.join(txn, 'dist'), file), content);
    }
    mkdirSync(path.join(out, 'a/b'), { recursive: true });
    if (stray) writeFileSync(path.join(out, 'a/b/stray.txt'), 'mine\n');
    const journal = { version: 1, write: Object.keys(files), remove: [], index: false, stateWrite: [], stateRemove: [], ...(oldJournal ? {} : { folders: ['a/b'] }) };
    writeFileSync(path.join(txn, 'journal.json'), JSON.stringify(journal));
    expect(await recover(out)).toBe('completed');
    const expected = { ...files, ...(stray ? { 'a/b/stray.txt': 'mine\n' } : {}) };
    expect(snapshotTree(out)).toEqual(Object.fromEntries(Object.entries(expected).map(([f, c]) => [f, Buffer.from(c).toString('base64')])));
    expect(leftInTransaction(out)).toEqual([]);
  });

  it('two synths of one repository do not run at once: the second waits for the first, or gives up with a clear message', async () => {
    const repo = tempRepo();
    const out = path.join(repo, 'dist');
    await withRepositoryLock(repo, async () => {
      await expect(synth(repo, out, { lock: { wait: 0 } })).rejects.toThrow(RepositoryBusy);
      await expect(synth(repo, out, { lock: { wait: 0 } })).rejects.toThrow(`another synth (process ${process.pid} on `);
      expect(existsSync(out)).toBe(false);
      // The CLI waits, saying for whom, and runs once the lock is released.
      const child = spawn(process.execPath, [cliPath, 'synth'], { cwd: repo });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      for (let i = 0; i < 600 && !stderr.includes('waiting'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(stderr).toBe(`synth: waiting for another synth (process ${process.pid} on ${hostname()}) to finish\n`);
      expect(existsSync(out)).toBe(false);
      return { exited };
    }).then(async ({ exited }) => {
      expect(await exited).toBe(0);
      expect(existsSync(path.join(out, INDEX_FILE))).toBe(true);
    });
  }, 120_000);
});

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }));
}
