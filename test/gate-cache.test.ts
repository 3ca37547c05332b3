import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { gateFingerprint, VerdictCache, verdictSources } from '../src/gate/cache.js';
import { runGate, type GateOptions, type GateReport } from '../src/gate/gate.js';
import { projectRoot, tempDir } from './support/repo.js';

/**
 * The gate's verdict cache (src/gate/cache.ts) against the gate without it: the same report, byte
 * for byte, whatever the cache holds; and each thing a verdict depends on besides the files (the day,
 * the policy's catalogue, the compiled policy, the schemas) invalidates what a stale cache would
 * otherwise have answered.
 */

const portalFile = 'example/orders/deployment-orders-portal.yaml';
const membersFile = 'example/orders/configmap-orders-members.yaml';

/** A copy of the committed dist/ with some manifests replaced. */
function distWith(files: Record<string, unknown> = {}): string {
  const dir = path.join(tempDir(), 'dist');
  cpSync(path.join(projectRoot, 'dist'), dir, { recursive: true });
  rewrite(dir, files);
  return dir;
}

function rewrite(dir: string, files: Record<string, unknown>): void {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), typeof content === 'string' ? content : stringify(content));
  }
}

const committed = (file: string) => parse(readFileSync(path.join(projectRoot, 'dist', file), 'utf8'));

/** The portal with an unpinned image (security.image_pinned) and, optionally, a waiver of it. */
function unpinnedPortal(waivers?: string) {
  const portal = committed(portalFile);
  portal.spec.template.spec.containers[0].image = 'docker.io/library/haproxy';
  if (waivers) portal.metadata.annotations['redis-gitops.dev/waivers'] = waivers;
  return portal;
}

/** The members' ConfigMap with a plaintext port (tls.redis_tls_only) and a misspelled field (schema.unknown_field). */
function brokenMembers() {
  const members = committed(membersFile);
  members.data['redis.conf'] = members.data['redis.conf'].replace('port 0', 'port 6379');
  members.dta = { misspelled: 'yes' };
  return members;
}

/** What a user sees of a report: the JSON the CLI prints, and the summary. */
const seen = (report: GateReport) => JSON.stringify({ violations: report.violations, summary: report.summary });

/** Files the run record trusts are older than the run that hashed them, by a margin of 2 s (RACY_MARGIN_MS). */
const olderThanTheMargin = () => new Promise((resolve) => setTimeout(resolve, 2100));

const waiver = '[{"rules": ["security.image_pinned"], "reason": "vendor hotfix build, OPS-42", "expires": "2026-12-31"}]';

describe('gate verdict cache', () => {
  it('gives the report the uncached gate gives, cold and warm, in a thread or in several, before and after a change', async () => {
    const dir = distWith({ [portalFile]: unpinnedPortal(), [membersFile]: brokenMembers() });
    const cache = path.join(tempDir(), 'cache');
    const options = (more: GateOptions = {}): GateOptions => ({ today: '2026-06-01', ...more });
    const uncached = await runGate([dir], options({ threads: 0 }));
    expect(uncached.violations.map((v) => v.rule)).toEqual(expect.arrayContaining(['security.image_pinned', 'tls.redis_tls_only', 'schema.unknown_field']));
    expect(seen(await runGate([dir], options({ threads: 2 })))).toBe(seen(uncached));
    for (const threads of [0, 2, 0]) {
      // The first run fills the cache; the next ones answer from it.
      expect(seen(await runGate([dir], options({ threads, cache })))).toBe(seen(uncached));
    }

    // One file fixed: the cache answers for the rest and judges the new text.
    rewrite(dir, { [portalFile]: committed(portalFile) });
    const fixed = await runGate([dir], options({ threads: 0 }));
    expect(fixed.violations.map((v) => v.rule)).not.toContain('security.image_pinned');
    for (const threads of [2, 0]) expect(seen(await runGate([dir], options({ threads, cache })))).toBe(seen(fixed));

    // And broken again: the verdict of the earlier text is found again, and is still right.
    rewrite(dir, { [portalFile]: unpinnedPortal() });
    expect(seen(await runGate([dir], options({ cache })))).toBe(seen(uncached));
  });

  it('keys by content, not by timestamps: a file changed with its modification time put back is judged anew', async () => {
    const dir = distWith();
    const cache = path.join(tempDir(), 'cache');
    const passed = await runGate([dir], { cache });
    expect(passed.summary.errors).toBe(0);
    const file = path.join(dir, portalFile);
    const { atime, mtime } = statSync(file);
    rewrite(dir, { [portalFile]: unpinnedPortal() });
    utimesSync(file, atime, mtime);
    const cached = await runGate([dir], { cache });
    expect(cached.violations.map((v) => v.rule)).toContain('security.image_pinned');
    expect(seen(cached)).toBe(seen(await runGate([dir])));
  });

  it('keeps the verdicts of each set of paths apart: gating one fleet neither loads nor rewrites another\'s', async () => {
    const [big, small] = [distWith(), distWith({ [portalFile]: unpinnedPortal() })];
    const cache = path.join(tempDir(), 'cache');
    // Each run keeps a record of its answer only over files older than the margin.
    await olderThanTheMargin();
    await runGate([big], { cache });
    const files = () => readdirSync(cache).sort();
    const [bigVerdicts] = files().filter((f) => !f.endsWith('.run.v8'));
    const before = statSync(path.join(cache, bigVerdicts!)).mtimeMs;
    const report = await runGate([small], { cache });
    expect(report.violations.map((v) => v.rule)).toContain('security.image_pinned');
    expect(files().filter((f) => f.endsWith('.run.v8'))).toHaveLength(2);
    expect(files().filter((f) => !f.endsWith('.run.v8'))).toHaveLength(2);
    expect(statSync(path.join(cache, bigVerdicts!)).mtimeMs).toBe(before);
  });

  it('names the file a finding is in when the same text is cached under another path', async () => {
    const dir = distWith({ [membersFile]: brokenMembers() });
    const cache = path.join(tempDir(), 'cache');
    await runGate([dir], { cache });
    const copy = 'example/orders/configmap-orders-members-copy.yaml';
    rewrite(dir, { [copy]: readFileSync(path.join(dir, membersFile), 'utf8') });
    const report = await runGate([dir], { cache });
    const schemaFiles = report.violations.filter((v) => v.rule === 'schema.unknown_field').map((v) => path.relative(dir, v.file));
    expect(schemaFiles.sort()).toEqual([membersFile, copy].sort());
    expect(seen(report)).toBe(seen(await runGate([dir])));
  });

  it('judges waivers on the day of the run: a waiver that expired since the cached run no longer waives', async () => {
    const dir = distWith({ [portalFile]: unpinnedPortal(waiver) });
    const cache = path.join(tempDir(), 'cache');
    // Files older than the margin: the run record could answer, were it not for the day.
    await olderThanTheMargin();
    const inForce = await runGate([dir], { cache, today: '2026-12-31' });
    expect(inForce.summary).toMatchObject({ errors: 0, waived: 1 });
    // A verdict keyed by the files alone would say "waived" again.
    const dayAfter = await runGate([dir], { cache, today: '2027-01-01' });
    expect(dayAfter.summary).toMatchObject({ errors: 2, waived: 0 });
    expect(seen(dayAfter)).toBe(seen(await runGate([dir], { today: '2027-01-01' })));
  });

  it('keeps the verdicts of namespaces without waivers from one day to the next', async () => {
    const dir = distWith({ [portalFile]: unpinnedPortal(), [membersFile]: brokenMembers() });
    const cache = path.join(tempDir(), 'cache');
    const first = await runGate([dir], { cache, today: '2026-06-01', threads: 0 });
    // Every kept group verdict gains a made-up finding: seen in a report only when a verdict is reused.
    const file = readdirSync(cache).map((f) => path.join(cache, f)).find((f) => !f.endsWith('.run.v8'))!;
    const stored = deserialize(readFileSync(file)) as { groups: Map<string, { violations: GateReport['violations'] }> };
    expect(stored.groups.size).toBeGreaterThan(1);
    for (const entry of stored.groups.values()) entry.violations.push({ ...first.violations[0]!, message: 'from the verdict cache' });
    writeFileSync(file, serialize(stored));
    const nextDay = await runGate([dir], { cache, today: '2026-06-02', threads: 0 });
    expect(nextDay.violations.filter((v) => v.message === 'from the verdict cache')).toHaveLength(stored.groups.size);
    // Otherwise the findings of the day before, which a gate without a cache gives that day too.
    const real = JSON.stringify(nextDay.violations.filter((v) => v.message !== 'from the verdict cache'));
    expect(real).toBe(JSON.stringify(first.violations));
    expect(real).toBe(JSON.stringify((await runGate([dir], { today: '2026-06-02' })).violations));
  });

  it('judges by the policy it runs: a catalogue that makes a rule a warning is not answered with the cached error', async () => {
    const dir = distWith({ [portalFile]: unpinnedPortal() });
    const cache = path.join(tempDir(), 'cache');
    const before = await runGate([dir], { cache });
    expect(before.violations).toContainEqual(expect.objectContaining({ rule: 'security.image_pinned', severity: 'error' }));
    const catalogue = path.join(tempDir(), 'rules.json');
    const rules = JSON.parse(readFileSync(verdictSources.catalogue, 'utf8'));
    rules['security.image_pinned'].severity = 'warning';
    writeFileSync(catalogue, JSON.stringify(rules));
    const sources = { ...verdictSources, catalogue };
    const after = await runGate([dir], { cache, sources });
    expect(after.violations).toContainEqual(expect.objectContaining({ rule: 'security.image_pinned', severity: 'warning' }));
    expect(seen(after)).toBe(seen(await runGate([dir], { sources })));
  });

  it('takes the compiled policy and every vendored schema into its fingerprint', async () => {
    const base = await gateFingerprint();
    expect(await gateFingerprint()).toBe(base);
    const wasm = path.join(tempDir(), 'policy.wasm');
    writeFileSync(wasm, Buffer.concat([readFileSync(verdictSources.wasm), Buffer.from([0])]));
    expect(await gateFingerprint({ ...verdictSources, wasm })).not.toBe(base);
    const schemas = path.join(tempDir(), 'schemas');
    cpSync(verdictSources.schemas, schemas, { recursive: true });
    expect(await gateFingerprint({ ...verdictSources, schemas })).toBe(base);
    const [first] = readdirSync(schemas).sort();
    writeFileSync(path.join(schemas, first!), `${readFileSync(path.join(schemas, first!), 'utf8')} `);
    expect(await gateFingerprint({ ...verdictSources, schemas })).not.toBe(base);
  });

  describe("a run's record (src/gate/run-cache.ts): the answer to a gate over files unchanged since the last run", () => {
    /** The run record under `cache`, with a made-up finding added to its answer: seen in a report only when the record answered. */
    const poison = (cache: string) => {
      const file = readdirSync(cache).map((f) => path.join(cache, f)).find((f) => f.endsWith('.run.v8'))!;
      const stored = deserialize(readFileSync(file)) as { answer: { report: GateReport } };
      stored.answer.report.violations.push({ ...stored.answer.report.violations[0]!, message: 'from the run record' });
      writeFileSync(file, serialize(stored));
    };
    const fromRecord = (report: GateReport) => report.violations.some((v) => v.message === 'from the run record');

    it('answers when nothing changed, and never once a file changed, even at the same size with its modification time put back', async () => {
      const dir = distWith({ [portalFile]: unpinnedPortal() });
      const cache = path.join(tempDir(), 'cache');
      await olderThanTheMargin();
      const first = await runGate([dir], { cache, today: '2026-06-01' });
      poison(cache);
      expect(fromRecord(await runGate([dir], { cache, today: '2026-06-01' }))).toBe(true);
      // The next day, the same answer: nothing in these files judges waivers (see the waiver test below).
      expect(fromRecord(await runGate([dir], { cache, today: '2026-06-02' }))).toBe(true);

      await runGate([dir], { cache, today: '2026-06-01' });
      poison(cache);
      const file = path.join(dir, portalFile);
      const { atime, mtime, size } = statSync(file);
      const pinned = readFileSync(file, 'utf8').replace('docker.io/library/haproxy', 'docker.io/library/haprox2');
      writeFileSync(file, pinned);
      utimesSync(file, atime, mtime);
      expect(statSync(file).size).toBe(size);
      const changed = await runGate([dir], { cache, today: '2026-06-01' });
      expect(fromRecord(changed)).toBe(false);
      expect(seen(changed)).toBe(seen(await runGate([dir], { today: '2026-06-01' })));
      expect(seen(changed)).not.toBe(seen(first));

      // A file added, or one taken away: not answered from the record either.
      await runGate([dir], { cache, today: '2026-06-01' });
      poison(cache);
      rewrite(dir, { 'example/orders/extra.yaml': unpinnedPortal() });
      expect(fromRecord(await runGate([dir], { cache, today: '2026-06-01' }))).toBe(false);
      poison(cache);
      rmSync(path.join(dir, 'example/orders/extra.yaml'));
      expect(fromRecord(await runGate([dir], { cache, today: '2026-06-01' }))).toBe(false);
      // The run record lists no folder: a new folder with a manifest in it, beside the others, is found
      // by its parent's signature (an entry added to a folder changes its modification time).
      await olderThanTheMargin();
      await runGate([dir], { cache, today: '2026-06-01' });
      poison(cache);
      rewrite(dir, { 'example/orders/more/extra.yaml': unpinnedPortal() });
      expect(fromRecord(await runGate([dir], { cache, today: '2026-06-01' }))).toBe(false);
      // A file replaced by renaming another over it (how editors save), its times put back.
      await olderThanTheMargin();
      await runGate([dir], { cache, today: '2026-06-01' });
      poison(cache);
      writeFileSync(`${file}.new`, readFileSync(file, 'utf8').replace('haprox2', 'haprox3'));
      utimesSync(`${file}.new`, atime, mtime);
      renameSync(`${file}.new`, file);
      expect(fromRecord(await runGate([dir], { cache, today: '2026-06-01' }))).toBe(false);
    });

    it('answers the same when the stat calls are shared with worker threads, and sees a change in any thread\'s share', async () => {
      const dir = distWith();
      const cache = path.join(tempDir(), 'cache');
      await olderThanTheMargin();
      const options = { cache, today: '2026-06-01', threads: 1 };
      await runGate([dir], options);
      poison(cache);
      expect(fromRecord(await runGate([dir], options))).toBe(true);
      // The folders are shared in walk order: this thread takes the first ones, the worker the last.
      const folders = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.yaml')).map((e) => path.join(e.parentPath, e.name)).sort();
      for (const file of [folders[0]!, folders.at(-1)!]) {
        const { atime, mtime } = statSync(file);
        writeFileSync(file, readFileSync(file, 'utf8').replace(/name: /, 'name:  '));
        utimesSync(file, atime, mtime);
        expect(fromRecord(await runGate([dir], options))).toBe(false);
        await olderThanTheMargin();
        await runGate([dir], options);
        poison(cache);
        expect(fromRecord(await runGate([dir], options))).toBe(true);
      }
    });

    it('keeps no answer over files modified within the margin before the run that hashed them', async () => {
      const dir = distWith({ [portalFile]: unpinnedPortal() });
      const cache = path.join(tempDir(), 'cache');
      await runGate([dir], { cache, today: '2026-06-01' });
      expect(readdirSync(cache).filter((f) => f.endsWith('.run.v8'))).toEqual([]);
      // Nor over a folder that gained a file within the margin: its listing could change again unseen.
      await olderThanTheMargin();
      rewrite(dir, { 'example/orders/extra.yaml': unpinnedPortal() });
      await runGate([dir], { cache, today: '2026-06-01' });
      expect(readdirSync(cache).filter((f) => f.endsWith('.run.v8'))).toEqual([]);
    });
  });
});

describe('the verdict cache file (VerdictCache)', () => {
  const verdict = (i: number) => ({ objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}`, namespace: 'ns' } }] as never[], violations: [] });

  it('reads back every verdict it wrote', () => {
    const dir = tempDir();
    const first = VerdictCache.open(dir, 'fingerprint');
    for (let i = 0; i < 45_000; i++) first.putFile(`f${i}.yaml`, `hash${i}`, verdict(i));
    first.putGroup('group', [{ rule: 'r', message: 'm', file: 'f0.yaml' }] as never[]);
    first.save();
    const again = VerdictCache.open(dir, 'fingerprint');
    for (const i of [0, 19_999, 20_000, 44_999]) {
      expect(again.hint(`f${i}.yaml`)).toBe(`hash${i}`);
      expect(again.fileVerdict(`hash${i}`)).toEqual(verdict(i));
    }
    expect(again.groupVerdict('group')).toEqual([{ rule: 'r', message: 'm', file: 'f0.yaml' }]);
    expect(again.fileVerdict('hash45000')).toBeUndefined();
  });

  it('starts empty from a file cut short or of another layout, and writes a whole one again', () => {
    // Another layout: what a cache of an older format (0) would hold.
    const dir = tempDir();
    const cache = VerdictCache.open(dir, 'fingerprint');
    cache.putFile('a.yaml', 'hash-a', verdict(1));
    cache.save();
    const [file] = readdirSync(dir);
    const whole = readFileSync(path.join(dir, file!));
    for (const broken of [whole.subarray(0, whole.length - 3), serialize({ format: 0, run: 3, files: new Map([['hash-a', { verdict: verdict(1), run: 3 }]]), groups: new Map(), hints: new Map() })]) {
      writeFileSync(path.join(dir, file!), broken);
      const reopened = VerdictCache.open(dir, 'fingerprint');
      expect(reopened.fileVerdict('hash-a')).toBeUndefined();
      reopened.putFile('a.yaml', 'hash-a', verdict(1));
      reopened.save();
      expect(VerdictCache.open(dir, 'fingerprint').fileVerdict('hash-a')).toEqual(verdict(1));
    }
  });
});
