import { readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParsedFileCache } from '../src/config/parse-cache.js';
import { CACHE_STALE_MS } from '../src/paths.js';
import { synth } from '../src/synth/synth.js';
import { settledRepo, snapshotTree, tempDir } from './support/repo.js';

/** dist/ and state/ of `repo` after a synth without any cache, into a folder of its own. */
async function withoutCache(repo: string): Promise<Record<string, string>> {
  const out = path.join(tempDir(), 'dist');
  await synth(repo, out, { full: true });
  return snapshotTree(out);
}

/** A file in a folder of its own, last modified an hour ago. */
function settledFile(): { dir: string; file: string } {
  const dir = tempDir();
  const file = path.join(dir, 'input.yaml');
  writeFileSync(file, 'a');
  const past = new Date(Date.now() - 3600_000);
  utimesSync(file, past, past);
  return { dir, file };
}

function recorded(cache: string): string[] {
  return ParsedFileCache.filesIn(cache).sort();
}

describe('synth cache (parsed deployment files by stat signature)', () => {
  it('records each settled deployment file, and a synth with it writes what a synth without it writes', async () => {
    const repo = settledRepo();
    const out = path.join(repo, 'dist');
    const cache = path.join(tempDir(), 'cache.json');
    await synth(repo, out, { cache });
    expect(recorded(cache)).toEqual(['deployments/orders.yaml', 'deployments/sessions.yaml', 'state/example/orders.json', 'state/example/sessions.json']);
    const second = await synth(repo, out, { cache });
    expect(second.rendered).toBe(0);
    expect(snapshotTree(out)).toEqual(await withoutCache(repo));
  });

  it('renders a deployment whose spec the cache gave as text as it renders one read from its file (a cluster change renders both)', async () => {
    const repo = settledRepo();
    const out = path.join(repo, 'dist');
    const cache = path.join(tempDir(), 'cache.json');
    await synth(repo, out, { cache });
    const clusterFile = path.join(repo, 'clusters/example.yaml');
    writeFileSync(clusterFile, readFileSync(clusterFile, 'utf8').replace('targetRevision: main', 'targetRevision: release'));
    const result = await synth(repo, out, { cache });
    expect(result.rendered).toBe(2);
    expect(snapshotTree(out)).toEqual(await withoutCache(repo));
  });

  it("keeps each deployment's inputs hash beside its state, and works it out again when its cluster or its file changed", async () => {
    const repo = settledRepo();
    const out = path.join(repo, 'dist');
    const cache = path.join(tempDir(), 'cache.json');
    // The first synth records the files; the second, finding them as recorded, keeps each hash.
    await synth(repo, out, { cache });
    expect((await synth(repo, out, { cache })).rendered).toBe(0);
    expect(readFileSync(cache, 'utf8')).toMatch(/"inputs":\["[0-9a-f]{64}","[^"]+","[0-9a-f]{64}"\]/);
    // A change to the cluster changes every hash of its deployments: the kept ones no longer hold.
    const clusterFile = path.join(repo, 'clusters/example.yaml');
    writeFileSync(clusterFile, readFileSync(clusterFile, 'utf8').replace('targetRevision: main', 'targetRevision: release'));
    expect((await synth(repo, out, { cache })).rendered).toBe(2);
    expect(snapshotTree(out)).toEqual(await withoutCache(repo));
    expect((await synth(repo, out, { cache })).rendered).toBe(0);
    // And so does an edit of a deployment's file, one only its ctime tells.
    const file = path.join(repo, 'deployments/orders.yaml');
    const before = statSync(file);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('memory: 2Gi');
    writeFileSync(file, text.replace('memory: 2Gi', 'memory: 3Gi'));
    utimesSync(file, before.atime, before.mtime);
    expect((await synth(repo, out, { cache })).rendered).toBe(1);
    expect(snapshotTree(out)).toEqual(await withoutCache(repo));
  });

  it('reads again a file edited to the same size with its mtime put back (only its ctime tells)', async () => {
    const repo = settledRepo();
    const out = path.join(repo, 'dist');
    const cache = path.join(tempDir(), 'cache.json');
    await synth(repo, out, { cache });
    const file = path.join(repo, 'deployments/orders.yaml');
    const before = statSync(file);
    const text = readFileSync(file, 'utf8');
    const edited = text.replace('memory: 2Gi', 'memory: 4Gi');
    expect(edited).not.toBe(text);
    expect(edited.length).toBe(text.length);
    writeFileSync(file, edited);
    utimesSync(file, before.atime, before.mtime);
    const result = await synth(repo, out, { cache });
    expect(result.rendered).toBe(1);
    expect(snapshotTree(out)).toEqual(await withoutCache(repo));
  });

  it('does without a deleted, corrupt or foreign cache, and writes the same files', async () => {
    const repo = settledRepo();
    const out = path.join(repo, 'dist');
    const cache = path.join(tempDir(), 'cache.json');
    await synth(repo, out, { cache });
    const expected = await withoutCache(repo);
    rmSync(cache);
    await synth(repo, out, { cache });
    expect(snapshotTree(out)).toEqual(expected);
    writeFileSync(cache, '{"version":1,"key":');
    await synth(repo, out, { cache });
    expect(snapshotTree(out)).toEqual(expected);
    expect(recorded(cache)).toEqual(['deployments/orders.yaml', 'deployments/sessions.yaml', 'state/example/orders.json', 'state/example/sessions.json']);
    // Entries made by other code (another fingerprint) are never read, even with matching signatures.
    const [header, ...lines] = readFileSync(cache, 'utf8').split('\n');
    expect(JSON.parse(header!)).toMatchObject({ version: 5, key: expect.any(String) });
    // A deployment's spec is kept as its JSON text, as it is, after its cluster and namespace.
    const foreign = lines.map((line) => (line.startsWith('"deployments/') ? line.replace(/"memory":"[^"]*"/, '"memory":"64Gi"') : line));
    expect(foreign.filter((line) => line.includes('"memory":"64Gi"'))).toHaveLength(2);
    writeFileSync(cache, [JSON.stringify({ version: 5, key: 'another generator' }), ...foreign].join('\n'));
    await synth(repo, out, { cache });
    expect(snapshotTree(out)).toEqual(expected);
  });

  it('keeps no racily clean file: one modified since the run began is read again next time', () => {
    const { dir, file } = settledFile();
    const cachePath = path.join(dir, 'cache.json');
    const cache = ParsedFileCache.open(cachePath, 'k');
    // Settled before the run: kept.
    cache.put('settled.yaml', ParsedFileCache.signature(file), 'settled');
    // Written during the run (its mtime is not older than the run's start): not kept, as its
    // content could still change within the same timestamp tick without its signature changing.
    writeFileSync(file, 'b');
    cache.put('orders.yaml', ParsedFileCache.signature(file), 'racy');
    cache.save();
    expect(recorded(cachePath)).toEqual(['settled.yaml']);
  });

  it('gives back each value as it was put: objects, texts of one line (kept as they are), texts of several, texts starting with =, under keys of any text', () => {
    const { dir, file } = settledFile();
    const values: Record<string, unknown> = {
      object: { a: [1, 'two', null], 'b\tc': 'd\ne' },
      line: 'example\t\t{"memory":"2Gi","note":"a \\"quoted\\" word"}',
      lines: 'first\nsecond\r\n',
      equals: '=starts with =',
      empty: '',
      // Keys are kept as JSON texts; one with no backslash is read back without parsing it.
      'a "quoted"\tkey\\': 'its value',
      'ü ключ': 'non-ASCII, kept as it is',
    };
    const cachePath = path.join(dir, 'cache.json');
    const writing = ParsedFileCache.open(cachePath, 'k');
    for (const [name, value] of Object.entries(values)) writing.put(name, ParsedFileCache.signature(file), value);
    writing.save();
    const reading = ParsedFileCache.open(cachePath, 'k');
    for (const [name, value] of Object.entries(values)) expect(reading.get(name, ParsedFileCache.signature(file).signature), name).toEqual(value);
  });

  it('appends what a run changed (a synth after one change writes a few lines, not the cache), and reads it back', async () => {
    const repo = settledRepo();
    const out = path.join(repo, 'dist');
    const cache = path.join(tempDir(), 'cache.json');
    await synth(repo, out, { cache });
    await synth(repo, out, { cache });
    const whole = readFileSync(cache, 'utf8');
    const orders = path.join(repo, 'deployments/orders.yaml');
    writeFileSync(orders, readFileSync(orders, 'utf8').replace('memory: 2Gi', 'memory: 4Gi'));
    utimesSync(orders, new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    expect((await synth(repo, out, { cache })).rendered).toBe(1);
    const after = readFileSync(cache, 'utf8');
    // The file as it was, then one batch: its line, and the entries of the file and of its state (the inputs hash it keeps).
    expect(after.startsWith(whole)).toBe(true);
    const appended = after.slice(whole.length).trimEnd().split('\n');
    expect(JSON.parse(appended[0]!)).toEqual({ lines: 2, chars: appended.slice(1).join('\n').length + 1 });
    expect(appended.slice(1).map((line) => JSON.parse(line.slice(0, line.indexOf('\t'))))).toEqual(['deployments/orders.yaml', 'state/example/orders.json']);
    // Read back: nothing to render (the next run adds the memo of the file's inputs hash to its
    // state's entry, as before), then nothing to write; and what a synth without the cache writes.
    expect((await synth(repo, out, { cache })).rendered).toBe(0);
    const settled = readFileSync(cache, 'utf8');
    expect(settled.startsWith(after)).toBe(true);
    expect((await synth(repo, out, { cache })).rendered).toBe(0);
    expect(readFileSync(cache, 'utf8')).toBe(settled);
    expect(snapshotTree(out)).toEqual(await withoutCache(repo));
    expect(recorded(cache)).toEqual(['deployments/orders.yaml', 'deployments/sessions.yaml', 'state/example/orders.json', 'state/example/sessions.json']);
    // A deployment removed drops its entries: the cache is written whole again.
    rmSync(path.join(repo, 'deployments/sessions.yaml'));
    await synth(repo, out, { cache });
    expect(readFileSync(cache, 'utf8').split('\n').filter((line) => line.startsWith('{'))).toHaveLength(1);
    expect(recorded(cache)).toEqual(['deployments/orders.yaml', 'state/example/orders.json']);
  });

  it('ignores an appended batch that is not whole (a write cut short) and what follows it, and writes the file whole next', () => {
    const { dir, file } = settledFile();
    const signature = ParsedFileCache.signature(file);
    const cachePath = path.join(dir, 'cache.json');
    const first = ParsedFileCache.open(cachePath, 'k');
    for (const name of ['a', 'b']) first.put(name, signature, `${name}1`);
    first.save();
    const whole = readFileSync(cachePath, 'utf8');
    const second = ParsedFileCache.open(cachePath, 'k');
    for (const name of ['a', 'b']) second.get(name, signature.signature);
    second.put('a', signature, 'a1');
    second.put('b', signature, 'b2');
    second.save();
    const appended = readFileSync(cachePath, 'utf8');
    expect(appended.length).toBeGreaterThan(whole.length);
    expect(ParsedFileCache.open(cachePath, 'k').get('b', signature.signature)).toBe('b2');
    // Cut anywhere inside the batch (its line included): b is what the whole file says, never a part of b2's line.
    for (let cut = whole.length + 1; cut < appended.length; cut++) {
      writeFileSync(cachePath, appended.slice(0, cut));
      const read = ParsedFileCache.open(cachePath, 'k');
      expect(read.get('b', signature.signature), `cut at ${cut}`).toBe('b1');
      expect(read.get('a', signature.signature)).toBe('a1');
    }
    // Zeros where the batch's lines were (a crash after the file grew, before its blocks were written).
    writeFileSync(cachePath, appended.slice(0, appended.length - 6) + '\0'.repeat(6));
    expect(ParsedFileCache.open(cachePath, 'k').get('b', signature.signature)).toBe('b1');
    // A batch after one that is not whole is not read either; the next save writes the file whole.
    writeFileSync(cachePath, `${appended.slice(0, appended.length - 2)}${appended.slice(whole.length)}`);
    const damaged = ParsedFileCache.open(cachePath, 'k');
    expect(damaged.get('b', signature.signature)).toBe('b1');
    damaged.put('a', signature, 'a1');
    damaged.put('b', signature, 'b3');
    damaged.save();
    expect(readFileSync(cachePath, 'utf8').split('\n').filter((line) => line.startsWith('{'))).toHaveLength(1);
    expect(ParsedFileCache.open(cachePath, 'k').get('b', signature.signature)).toBe('b3');
  });

  it("removes other repositories' caches a week after their last use, and only those", async () => {
    const repo = settledRepo();
    const dir = tempDir();
    const cache = path.join(dir, 'cache.json');
    const weekOld = new Date(Date.now() - CACHE_STALE_MS - 3600_000);
    for (const name of ['old.json', 'old.json.stamp', 'recent.json']) writeFileSync(path.join(dir, name), '{}');
    for (const name of ['old.json', 'old.json.stamp']) utimesSync(path.join(dir, name), weekOld, weekOld);
    await synth(repo, path.join(repo, 'dist'), { cache });
    expect(readdirSync(dir).sort()).toEqual(['cache.json', 'cache.json.stamp', 'recent.json']);
  });
});

