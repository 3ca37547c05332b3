import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { APPLICATION_SECRET_WAVE, SYNC_WAVE_ANNOTATION, syncWave } from '../charts/sync-waves.js';
import { redisGitops } from './support/programs.js';
import { projectRoot, snapshotTree, tempRepo } from './support/repo.js';

// The rotation steps themselves (state/, dist/, refusals): test/secrets.test.ts; on real servers: test/rotation.process.test.ts.

/** A copy of the inputs, synthesized and committed in a git repository of its own. */
async function committedRepo(): Promise<{ repo: string; git: (...args: string[]) => string }> {
  const repo = tempRepo();
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd: repo, encoding: 'utf8' });
  git('init', '--quiet');
  const synth = await redisGitops(repo, 'synth');
  expect(synth.code, synth.stderr).toBe(0);
  git('add', '.');
  git('commit', '--quiet', '-m', 'day 1');
  return { repo, git };
}

describe('rotate through the CLI', () => {
  it('takes a step after the first only once the previous step is committed, and says what it checked and what it cannot', async () => {
    const { repo, git } = await committedRepo();
    const start = await redisGitops(repo, 'rotate', 'orders', '--what', 'passwords');
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toContain('orders: password rotation, step 1 of 3 (start)');

    const before = snapshotTree(repo);
    const early = await redisGitops(repo, 'rotate', 'orders', '--what', 'passwords', '--step', 'switch');
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(/^rotate: state\/example\/orders\.json has changes that are not committed: commit the previous step \(state\/ with dist\/\), push it and let Argo CD sync it before the next step/);
    expect(early.stdout).toBe('');
    expect(snapshotTree(repo), 'nothing written').toEqual(before);

    git('add', 'state', 'dist');
    git('commit', '--quiet', '-m', 'rotate passwords: start');
    const next = await redisGitops(repo, 'rotate', 'orders', '--what', 'passwords', '--step', 'switch');
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/^rotate: checked that the previous step is committed \(state\/ of orders as in git's HEAD\); not checked: that it was pushed, that Argo CD synced it/);
    expect(next.stdout).toContain('orders: password rotation, step 2 of 3 (switch)');
  });

  it('--dry-run shows what a step would change and restart, as diff does, and writes nothing', async () => {
    const { repo } = await committedRepo();
    const before = snapshotTree(repo);
    const ca = await redisGitops(repo, 'rotate', 'orders', '--what', 'ca', '--dry-run');
    expect(ca.code, ca.stderr).toBe(0);
    expect(ca.stdout).toContain('--- a/example/orders/ca.crt');
    expect(ca.stdout).toMatch(
      /^ {2}plan example\/orders: restarts members one at a time \(the rollout Job\): orders-tiebreaker, then orders-data-0 and orders-data-1 \(the replica first; the primary last, after handing its role over\); restarts orders-portal \(rolling\)/m,
    );
    expect(ca.stdout).toContain('  orders: CA rotation, step 1 of 3 (start)');
    expect(ca.stdout).not.toContain('sessions');
    expect(ca.stdout.trimEnd().split('\n').at(-1)).toBe('rotate --dry-run: 7 changed, 0 added, 0 removed; nothing written');
    // The password rotation's start step leaves the portals be: they keep logging in with the old passwords.
    const passwords = await redisGitops(repo, 'rotate', 'orders', '--what', 'passwords', '--dry-run');
    // Only the data members read the ACL file: the tie-breaker keeps running.
    expect(passwords.stdout).toMatch(/^ {2}plan example\/orders: restarts members one at a time \(the rollout Job\): orders-data-0 and orders-data-1 \(the replica first; the primary last, after handing its role over\); \d+ other/m);
    expect(snapshotTree(repo)).toEqual(before);
  });

  it("hands applications their users' Secrets after the members and portals have rolled out", () => {
    const secrets = ['admin', 'orders-api', 'orders-reporting'].map((user) => path.join(projectRoot, 'dist/example/orders', `sealedsecret-orders-user-${user}.yaml`));
    expect(APPLICATION_SECRET_WAVE).toBeGreaterThan(Math.max(syncWave('StatefulSet'), syncWave('Deployment')));
    for (const file of secrets) {
      expect(parse(readFileSync(file, 'utf8')).metadata.annotations[SYNC_WAVE_ANNOTATION], file).toBe(String(APPLICATION_SECRET_WAVE));
    }
    for (const name of ['tls', 'auth']) {
      expect(parse(readFileSync(path.join(projectRoot, `dist/example/orders/sealedsecret-orders-${name}.yaml`), 'utf8')).metadata.annotations[SYNC_WAVE_ANNOTATION], name).toBe(String(syncWave('SealedSecret')));
    }
  });
});
