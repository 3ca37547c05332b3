import { readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { driftFrom } from '../src/synth/compare.js';
import { synth } from '../src/synth/synth.js';
import { settledRepo, snapshotTree, tempDir, writeInput } from './support/repo.js';
import { INDEX_FILE, INDEX_FOLDER, LEGACY_INDEX_FILE } from '../model/dist-layout.js';
import { buildIndex, IndexLines, indexText, type DeploymentRecord, type DistIndex, type FolderRecord, type StoredDeployment, type StoredKinds } from '../src/synth/write-dist.js';
import { random } from './engine/manifest-corpus.js';

// What dist/index.json and each folder's SHA256SUMS let a synth skip (issue #24: the work of one
// change follows the change, not the fleet), and what they must still find.

/** dist/ of `repo` after a synth --full without any cache, into a folder of its own. */
async function fullSynth(repo: string, options: { now?: Date } = {}): Promise<Record<string, string>> {
  const out = path.join(tempDir(), 'dist');
  await synth(repo, out, { full: true, writeState: false, ...options });
  return snapshotTree(out);
}

const DAY_MS = 24 * 3600 * 1000;

function serverNotAfter(repo: string, deployment: string): number {
  return Date.parse(JSON.parse(readFileSync(path.join(repo, 'state/example', `${deployment}.json`), 'utf8')).tls.server.notAfter);
}

describe('synth: the index and what it spares', () => {
  it('warns of an unchanged deployment whose server certificate comes due, though its secrets were taken as they were', async () => {
    const repo = settledRepo();
    const out = path.join(repo, 'dist');
    const cache = path.join(tempDir(), 'cache.json');
    await synth(repo, out, { cache });
    // Nothing changed: the secrets are taken from the cache's record of each state file, no warning.
    const calm = await synth(repo, out, { cache, now: new Date(serverNotAfter(repo, 'orders') - 31 * DAY_MS) });
    expect(calm.rendered).toBe(0);
    expect(calm.notes.filter((n) => n.note.startsWith('warning'))).toEqual([]);
    // 29 days before it expires: still nothing to render, but the warning is due.
    const due = await synth(repo, out, { cache, now: new Date(serverNotAfter(repo, 'orders') - 29 * DAY_MS) });
    expect(due.rendered).toBe(0);
    expect(due.notes).toContainEqual({ deployment: 'orders', note: expect.stringMatching(/^warning: the server certificate expires on .*: rotate the CA \(redis-gitops rotate orders --what ca\)$/) });
  });

  it('reads again a state file put back by hand (git checkout), and renders its deployment from it', async () => {
    const repo = settledRepo();
    const out = path.join(repo, 'dist');
    const cache = path.join(tempDir(), 'cache.json');
    await synth(repo, out, { cache });
    const day1 = snapshotTree(out);
    const stateFile = path.join(repo, 'state/example/orders.json');
    const before = readFileSync(stateFile, 'utf8');
    const started = await synth(repo, out, { cache, rotate: new Map([['orders', { passwords: 'start' }]]) });
    expect(started.statesWritten).toEqual(['state/example/orders.json']);
    const under = await synth(repo, out, { cache });
    expect(under.notes).toContainEqual({ deployment: 'orders', note: expect.stringContaining('a password rotation is under way') });
    // The rotation under way is still told once its state file is taken from the cache.
    expect((await synth(repo, out, { cache })).notes).toContainEqual({ deployment: 'orders', note: expect.stringContaining('a password rotation is under way') });
    writeFileSync(stateFile, before);
    const back = await synth(repo, out, { cache });
    expect(back.rendered).toBe(1);
    expect(back.notes).toEqual([]);
    expect(snapshotTree(out)).toEqual(day1);
  });

  it('finds a hand edit with verify (diff, gate --check-synced) and undoes it with --full, though later synths rewrote index.json', async () => {
    const repo = settledRepo();
    const out = path.join(repo, 'dist');
    await synth(repo, out);
    const file = path.join(out, 'example/sessions/configmap-sessions-members.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('maxmemory', 'maxmemory-by-hand'));
    // A synth of another change rewrites index.json after the edit (but not sessions' SHA256SUMS).
    writeInput(repo, 'deployments/orders.yaml', readFileSync(path.join(repo, 'deployments/orders.yaml'), 'utf8').replace('memory: 2Gi', 'memory: 4Gi'));
    expect((await synth(repo, out)).rendered).toBe(1);
    expect(readFileSync(file, 'utf8')).toContain('maxmemory-by-hand');
    const drift = await driftFrom(repo, out);
    expect(drift.changes).toMatchObject({ changed: ['example/sessions/configmap-sessions-members.yaml'], added: [], removed: [] });
    const full = await synth(repo, out, { full: true });
    expect(full.changes.changed).toEqual(['example/sessions/configmap-sessions-members.yaml']);
    expect(snapshotTree(out)).toEqual(await fullSynth(repo));
  });

  it('renders again a folder whose SHA256SUMS was edited by hand, with verify', async () => {
    const repo = settledRepo();
    const out = path.join(repo, 'dist');
    await synth(repo, out);
    const expected = snapshotTree(out);
    const sums = path.join(out, 'example/orders/SHA256SUMS');
    // A listed hash made to match a hand edit of its file: the list is no longer the one the index records.
    const file = path.join(out, 'example/orders/configmap-orders-members.yaml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('maxmemory', 'maxmemory-by-hand'));
    const { sha256 } = await import('../src/synth/write-dist.js');
    writeFileSync(sums, readFileSync(sums, 'utf8').replace(sha256(text), sha256(readFileSync(file))));
    const drift = await driftFrom(repo, out);
    expect(drift.changes.changed).toEqual(['example/orders/configmap-orders-members.yaml']);
    const full = await synth(repo, out, { full: true });
    expect(full.changes.changed).toEqual(['example/orders/configmap-orders-members.yaml']);
    expect(snapshotTree(out)).toEqual(expected);
  });

  it('takes the index from where an earlier synth kept it (dist/index.json) and moves it, rendering nothing and reporting no change', async () => {
    const repo = settledRepo();
    const out = path.join(repo, 'dist');
    await synth(repo, out);
    const expected = snapshotTree(out);
    renameSync(path.join(out, INDEX_FILE), path.join(out, LEGACY_INDEX_FILE));
    rmdirSync(path.join(out, INDEX_FOLDER));
    const result = await synth(repo, out);
    expect(result).toMatchObject({ rendered: 0, changes: { added: [], changed: [], removed: [] } });
    expect(result.indexProblem).toBeUndefined();
    expect(snapshotTree(out)).toEqual(expected);
  });

  it('rebuilds an index.json that is not one, and says so', async () => {
    const repo = settledRepo();
    const out = path.join(repo, 'dist');
    await synth(repo, out);
    const expected = snapshotTree(out);
    const index = path.join(out, INDEX_FILE);
    writeFileSync(index, readFileSync(index, 'utf8').slice(0, 200));
    const result = await synth(repo, out);
    expect(result.indexProblem).toMatch(/^_index\/index\.json not JSON \(/);
    expect(result.rendered).toBe(2);
    expect(result.changes).toMatchObject({ added: [], changed: [], removed: [] });
    expect(snapshotTree(out)).toEqual(expected);
    expect((await synth(repo, out)).indexProblem).toBeUndefined();
  });
});

describe('IndexLines: index.json read and changed entry by entry', () => {
  /** A random index: deployments whose keys are prefixes of each other's and the same as folders', kinds shared or not. */
  function randomIndex(next: () => number): DistIndex {
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
    const hex = () => Array.from({ length: 64 }, () => pick([...'0123456789abcdef'])).join('');
    const kinds = [['/ConfigMap'], ['/ConfigMap', 'apps/StatefulSet'], ['batch/CronJob']];
    const deployments: Record<string, DeploymentRecord> = {};
    const folders: Record<string, FolderRecord> = {};
    for (const cluster of ['a', 'ab'].slice(0, 1 + Math.floor(next() * 2))) {
      for (const name of ['x', 'x-1', 'x-10', 'y', '_cluster'].filter(() => next() < 0.7)) {
        folders[`${cluster}/${name}`] = { files: Math.floor(next() * 50), sums: hex() };
        if (name !== '_cluster') deployments[`${cluster}/${name}`] = { inputs: hex(), namespacedKinds: pick(kinds), clusterKinds: pick([[], ['/Namespace']]) };
      }
      folders[`_argocd/${cluster}`] = { files: 1, sums: hex() };
    }
    return buildIndex({ name: 'redis-gitops', version: '0' }, new Map(Object.entries(folders)), deployments, { a: { inputs: hex() } });
  }

  it('finds, counts and replaces entries as indexText would write them, and nothing else', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const next = random(seed);
      const index = randomIndex(next);
      const text = indexText(index);
      const lines = new IndexLines(text);
      const stored = JSON.parse(text) as { deployments?: Record<string, StoredDeployment>; kinds: Record<string, StoredKinds> };
      expect(lines.count('deployments'), `seed ${seed}`).toBe(Object.keys(index.deployments ?? {}).length);
      expect(lines.count('folders')).toBe(Object.keys(index.folders).length);
      for (const [key, record] of Object.entries(index.deployments ?? {})) {
        const entry = lines.get<StoredDeployment>('deployments', key)!;
        expect(entry).toEqual(stored.deployments![key]);
        expect(lines.get<StoredKinds>('kinds', entry.kinds)).toEqual({ namespaced: record.namespacedKinds, cluster: record.clusterKinds });
      }
      for (const [folder, record] of Object.entries(index.folders)) expect(lines.get('folders', folder)).toEqual(record);
      // Keys of one section are not found in another, nor are prefixes of keys.
      expect(lines.get('deployments', 'a/_cluster')).toBeUndefined();
      expect(lines.get('folders', 'a/x-')).toBeUndefined();
      // Some entries changed: the text is the one indexText writes for the index so changed.
      const changed = structuredClone(index);
      const changes: ['deployments' | 'folders', string, unknown][] = [];
      for (const [key, record] of Object.entries(changed.deployments ?? {})) {
        if (next() < 0.5) continue;
        record.inputs = `${seed}`.padStart(64, '0');
        changes.push(['deployments', key, { inputs: record.inputs, kinds: lines.get<StoredDeployment>('deployments', key)!.kinds }]);
      }
      for (const [folder, record] of Object.entries(changed.folders)) {
        if (next() < 0.5) continue;
        record.files += 1;
        changes.push(['folders', folder, record]);
      }
      expect(lines.with(changes.reverse()), `seed ${seed}`).toBe(indexText(changed));
      expect(lines.with([...changes, ['folders', 'a/none', { files: 0, sums: '' }]])).toBeUndefined();
    }
  });

  it('finds no entry in a section the index leaves out (no deployments)', () => {
    const lines = new IndexLines(indexText(buildIndex({ name: 'redis-gitops', version: '0' }, new Map())));
    expect(lines.count('deployments')).toBe(0);
    expect(lines.get('deployments', 'a/x')).toBeUndefined();
  });
});
