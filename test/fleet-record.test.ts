import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { fleetRecordFile, type FleetRecord } from '../src/synth/fleet-record.js';
import { synth, type SynthResult } from '../src/synth/synth.js';
import { settledRepo, snapshotTree, tempDir } from './support/repo.js';

const skip = spawnSync('watchman', ['--version']).status === 0 ? undefined : 'watchman is not installed (apt-get install watchman)';

/**
 * The fleet record (src/synth/fleet-record.ts) against plan reading the whole fleet: after each
 * change, a synth that may take the record gives the output, state and report that a synth of a copy
 * of the repository, which has no record (nor cache), gives from the same starting point. Whether the
 * record answered is seen through a note planted in it for a deployment the change leaves alone: a
 * synth that read that deployment reports its own notes instead.
 */
describe.skipIf(skip)(`the fleet record${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  // About what watchman says, not how soon (see file-monitor.test.ts).
  beforeAll(() => void (process.env.REDIS_GITOPS_WATCHMAN = '60000'));
  afterAll(() => void delete process.env.REDIS_GITOPS_WATCHMAN);

  const PLANTED = 'planted in the fleet record';

  function setUp() {
    const repo = settledRepo();
    const out = path.join(repo, 'dist');
    const cache = path.join(tempDir(), 'cache.json');
    const run = spawnSync('watchman', ['watch-project', repo], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    onTestFinished(() => void spawnSync('watchman', ['watch-del', repo]));
    const record = fleetRecordFile(cache);
    /** Plants a note on `deployment` in the record: reported only when the record answers for it. */
    const plant = (deployment: string) => {
      const stored = JSON.parse(readFileSync(record, 'utf8')) as FleetRecord;
      for (const d of stored.deployments) if (d[0] === deployment) d[5] = [PLANTED];
      writeFileSync(record, JSON.stringify(stored));
    };
    /**
     * A synth with the cache (and so the record), and one of a copy of the repository as it is now,
     * without either: the same output, state and report (the planted note aside), and whether the
     * record answered.
     */
    const both = async (): Promise<{ result: SynthResult; fromRecord: boolean }> => {
      const copy = tempDir();
      // With their times (cp -a): synth tells a hand edit in dist/ by a file newer than its folder's SHA256SUMS.
      for (const folder of ['clusters', 'deployments', 'state', 'dist']) expect(spawnSync('cp', ['-a', path.join(repo, folder), copy]).status).toBe(0);
      const whole = await synth(copy, path.join(copy, 'dist'));
      const result = await synth(repo, out, { cache });
      const fromRecord = result.notes.some((n) => n.note === PLANTED);
      expect({ ...result, notes: result.notes.filter((n) => n.note !== PLANTED) }).toEqual(whole);
      expect(snapshotTree(out)).toEqual(snapshotTree(path.join(copy, 'dist')));
      expect(snapshotTree(path.join(repo, 'state'))).toEqual(snapshotTree(path.join(copy, 'state')));
      return { result, fromRecord };
    };
    const edit = (file: string, from: RegExp, to: string) => {
      const full = path.join(repo, file);
      const text = readFileSync(full, 'utf8');
      expect(text).toMatch(from);
      writeFileSync(full, text.replace(from, to));
    };
    return { repo, out, cache, record, plant, both, edit };
  }

  it('answers for the deployments nothing changed for, with what reading them all gives', async () => {
    const { repo, out, cache, record, plant, both, edit } = setUp();
    await synth(repo, out, { cache });
    expect(existsSync(record)).toBe(true);

    // Nothing changed: nothing read, nothing rendered.
    plant('sessions');
    let run = await both();
    expect(run).toMatchObject({ fromRecord: true, result: { rendered: 0 } });

    // One deployment edited: it alone is read and rendered.
    edit('deployments/orders.yaml', /memory: 2Gi/, 'memory: 3Gi');
    run = await both();
    expect(run).toMatchObject({ fromRecord: true, result: { rendered: 1 } });

    // A state file rewritten as it was, and an editor's swap file beside a deployment file: read, nothing rendered.
    plant('orders');
    const state = path.join(repo, 'state/example/sessions.json');
    writeFileSync(state, readFileSync(state, 'utf8'));
    writeFileSync(path.join(repo, 'deployments/.sessions.yaml.swp'), 'vim');
    run = await both();
    expect(run).toMatchObject({ fromRecord: true, result: { rendered: 0 } });

    // Both deployments edited, then one of them again.
    edit('deployments/orders.yaml', /memory: 3Gi/, 'memory: 4Gi');
    edit('deployments/sessions.yaml', /memory: \S+/, 'memory: 5Gi');
    run = await both();
    expect(run).toMatchObject({ fromRecord: false, result: { rendered: 2 } }); // both read: nothing planted left to see
    plant('sessions');
    edit('deployments/orders.yaml', /memory: 4Gi/, 'memory: 6Gi');
    run = await both();
    expect(run).toMatchObject({ fromRecord: true, result: { rendered: 1 } });
  });

  it('leaves to the whole fleet what reaches beyond the changed deployments, and gives what it gives', async () => {
    const { repo, out, cache, plant, both, edit } = setUp();
    await synth(repo, out, { cache });
    const fleetWide = async (change: () => void, rendered: number) => {
      plant('sessions');
      change();
      const run = await both();
      expect(run).toMatchObject({ fromRecord: false, result: { rendered } });
    };
    // Another namespace (it could be another deployment's): read with every deployment. (Its secrets
    // are made anew, so no other synth can give the same bytes: the steps below compare again.)
    plant('sessions');
    edit('deployments/orders.yaml', /^cluster: example$/m, 'cluster: example\nnamespace: redis-shop');
    const moved = await synth(repo, out, { cache, acceptChanges: new Set(['orders']) });
    expect(moved.rendered).toBe(1);
    expect(moved.notes.map((n) => n.note)).not.toContain(PLANTED);
    // The cluster file (every deployment's inputs), even when what it says is the same.
    await fleetWide(() => edit('clusters/example.yaml', /$/, '\n# reviewed\n'), 0);
    // A file of the cluster's own output edited by hand: undone, as every synth does.
    await fleetWide(() => {
      const file = path.join(out, 'example/_cluster/storageclass-redis-encrypted.yaml');
      writeFileSync(file, `${readFileSync(file, 'utf8')}# by hand\n`);
    }, 0);
    // The index as another synth left it (a checkout of another commit).
    await fleetWide(() => {
      const file = path.join(out, '_index/index.json');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/"inputs":"[0-9a-f]+"/, '"inputs":"0"'));
    }, 1);
    // An input error: reported as reading every file reports it.
    plant('sessions');
    edit('deployments/orders.yaml', /memory: \S+/, 'memory: lots');
    await expect(synth(repo, out, { cache })).rejects.toThrow(/deployments\/orders\.yaml.*memory/s);
  });
});
