import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { FleetRecord, fleetRecordFile, fleetRecordText, type RecordedDeployment } from '../src/synth/fleet-record.js';
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
      // The record's head, then a line per deployment (fleet-record.ts).
      const [head, ...lines] = readFileSync(record, 'utf8').trimEnd().split('\n');
      const deployments = lines.map((line) => JSON.parse(line) as RecordedDeployment);
      for (const d of deployments) if (d[0] === deployment) d[5] = [PLANTED];
      writeFileSync(record, [head, ...deployments.map((d) => JSON.stringify(d))].join('\n') + '\n');
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

describe('the fleet record\'s text (a head, then a line per deployment)', () => {
  const head = { fingerprint: 'f', mark: 'm', index: 'i', files: 7, clusters: [['c', 'k']] as [string, string][] };
  const fleet: RecordedDeployment[] = [
    ['a-b', 'deployments/a-b.yml', 'c', 'redis-a-b', 100, ['rotation under way', 'warning: "due"\nsoon']],
    ['a', 'deployments/a.yaml', 'c', 'redis-a', 300, []],
    ['b', 'deployments/b.yaml', 'c', 'redis-b', 200, []],
    ['c', 'deployments/c.yaml', 'c', 'redis-c', 400, ['[\"c\",']],
  ];
  function written(text: string): string {
    const file = path.join(tempDir(), 'cache.fleet.json');
    writeFileSync(file, text);
    return file;
  }

  it('finds a deployment by its name alone, its notes in order, and replaces lines as a whole record would be written', () => {
    const record = FleetRecord.read(written(fleetRecordText(head, fleet)), 'f')!;
    expect(record.head).toMatchObject({ ...head, count: 4, earliest: 100 });
    expect(record.deployment('a')?.deployment).toEqual(fleet[1]);
    expect(record.deployment('a-b')?.deployment).toEqual(fleet[0]);
    expect(record.deployment('c')?.deployment).toEqual(fleet[3]);
    expect(record.deployment('d')).toBeUndefined();
    expect(record.deployment('a')!.at).toBeLessThan(record.deployment('b')!.at);
    expect(record.notes()).toEqual([
      { deployment: 'a-b', note: 'rotation under way' },
      { deployment: 'a-b', note: 'warning: "due"\nsoon' },
      { deployment: 'c', note: '["c",' },
    ]);
    const changed: RecordedDeployment[] = [
      ['c', 'deployments/c.yaml', 'c', 'redis-c', 500, []],
      ['a', 'deployments/a.yaml', 'c', 'redis-a', 350, ['new']],
    ];
    const next = [fleet[0]!, changed[1]!, fleet[2]!, changed[0]!];
    expect(record.with({ mark: 'n', index: 'j', files: 8 }, changed)).toBe(fleetRecordText({ ...head, mark: 'n', index: 'j', files: 8 }, next));
    // The earliest sameUntil is a bound: lowered by a change, never raised by one.
    const lowered = FleetRecord.read(written(record.with({ mark: 'n', index: 'j', files: 8 }, [['b', 'deployments/b.yaml', 'c', 'redis-b', 50, []]])), 'f')!;
    expect(lowered.head.earliest).toBe(50);
    expect(FleetRecord.read(written(lowered.with({ mark: 'o', index: 'j', files: 8 }, [['b', 'deployments/b.yaml', 'c', 'redis-b', 900, []]])), 'f')!.head.earliest).toBe(50);
  });

  it('is no record when cut short, of another generator or format, or when a line holding notes is not one', () => {
    const text = fleetRecordText(head, fleet);
    expect(FleetRecord.read(written(text), 'f')).toBeDefined();
    expect(FleetRecord.read(written(text.slice(0, text.lastIndexOf('\n', text.length - 2) + 1)), 'f')).toBeUndefined();
    expect(FleetRecord.read(written(text.slice(0, -1)), 'f')).toBeUndefined();
    expect(FleetRecord.read(written(text), 'g')).toBeUndefined();
    expect(FleetRecord.read(written(text.replace('"format":3', '"format":2')), 'f')).toBeUndefined();
    expect(FleetRecord.read(written(text.replace('"rotation under way"', '7')), 'f')!.notes()).toBeUndefined();
  });
});
