import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { findManifestFiles, groupByDeployment, readObjects, type PolicyInput } from '../src/gate/documents.js';
import { loadGatePolicy, policyData, RULE_CATALOGUE, type Policy, type Resource, type Waiver } from '../src/gate/policy.js';
import { schemaChecker, schemaRules } from '../src/gate/schema.js';
import { duplicateFindings } from '../src/gate/duplicates.js';
import { projectRoot, tempDir } from './support/repo.js';

// Per rule, policies/samples/<area>/<name>/ holds allowed.yaml, denied.yaml and expected.yaml, which
// lists the findings the gate must give on each sample, no more and no fewer (like gatekeeper-library's
// suite files): every finding of the sample's rule, and of any other rule an entry names (a waiver
// sample states the finding it waives), each with its rule, resource (Kind/name) and message (or
// messageContains, a stable part of it) and, when waived, its waiver. Findings of other rules are not
// the sample's business: a minimal Deployment breaks pod security, say. An allowed sample lists no
// finding of its rule, a denied one at least one. The compiled wasm is what the gate runs, so it is
// what is checked; where the pinned opa has been built (npm run policy:test builds it), opa eval of
// the Rego sources must give the very same findings, since the wasm target lacks some builtins and
// compiles some constructs differently. The schema.* rules, checked in TypeScript, have samples too:
// their expected.yaml lists every finding of the schema check (of any schema.* rule).
const SAMPLES = path.join(projectRoot, 'policies/samples');
const FIXTURES = ['insecure-redis', 'malformed', 'public-charts', 'unrelated-app'].map((folder) => path.join(projectRoot, 'test/fixtures', folder));
const TODAY = '2026-06-01';
const rules = Object.keys(JSON.parse(readFileSync(RULE_CATALOGUE, 'utf8')) as Record<string, unknown>);
// The schema.* rules are checked in TypeScript, not in the wasm: their samples go through the schema check.
const schemaRuleIds = Object.keys(schemaRules);
const verdicts = ['allowed', 'denied'] as const;

const expectedFinding = z
  .strictObject({
    rule: z.string(),
    /** `Kind/name`. */
    resource: z.string().regex(/^[A-Za-z]+\/[^/\s]+$/, 'Kind/name'),
    message: z.string().optional(),
    /** A stable part of the message, where the rest is not the sample's to state. */
    messageContains: z.string().min(1).optional(),
    waiver: z.strictObject({ reason: z.string(), expires: z.string() }).optional(),
  })
  .refine((f) => (f.message === undefined) !== (f.messageContains === undefined), 'give either message or messageContains');
type ExpectedFinding = z.infer<typeof expectedFinding>;
const expectedFindings = z.strictObject({ allowed: z.array(expectedFinding), denied: z.array(expectedFinding) });

interface Sample {
  rule: string;
  verdict: (typeof verdicts)[number];
  file: string;
  groups: PolicyInput[];
}

/** A finding as the comparison sees it, from the wasm, opa eval or the schema check. */
interface Finding {
  rule: string;
  resource: Resource;
  message: string;
  file: string;
  waiver?: Waiver;
}

const sampleFile = (rule: string, verdict: (typeof verdicts)[number]) => path.join(SAMPLES, ...rule.split('.'), `${verdict}.yaml`);
const expectedFile = (rule: string) => path.join(SAMPLES, ...rule.split('.'), 'expected.yaml');

/** A rule's expected.yaml, checked; throws naming the file and what is wrong. */
function readExpected(rule: string): z.infer<typeof expectedFindings> {
  const file = path.relative(projectRoot, expectedFile(rule));
  if (!existsSync(expectedFile(rule))) throw new Error(`${file} is missing: list the findings of allowed.yaml and denied.yaml`);
  const parsed = expectedFindings.safeParse(parse(readFileSync(expectedFile(rule), 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ')}`);
  const schema = rule.startsWith('schema.');
  const problems = [
    ...[...parsed.data.allowed, ...parsed.data.denied]
      .filter((f) => !(schema ? schemaRuleIds : rules).includes(f.rule))
      .map((f) => `${f.rule} is not ${schema ? 'a schema.* rule' : 'a rule of the policies'}`),
    ...(parsed.data.allowed.some((f) => f.rule === rule) ? [`allowed lists a finding of ${rule}`] : []),
    ...(parsed.data.denied.some((f) => f.rule === rule) ? [] : [`denied lists no finding of ${rule}`]),
  ];
  if (problems.length) throw new Error(`${file}: ${problems.join('; ')}`);
  return parsed.data;
}

/** The rules whose findings a sample's expected.yaml states: its own and those its entries name; all for schema.*. */
function scopeOf(rule: string): (id: string) => boolean {
  if (rule.startsWith('schema.')) return () => true;
  const expected = readExpected(rule);
  const named = new Set([rule, ...[...expected.allowed, ...expected.denied].map((f) => f.rule)]);
  return (id) => named.has(id);
}

/**
 * The findings and the expected ones as sorted lines, for toEqual to compare and show: an expected
 * finding given by messageContains stands for the found one it matches (or says what was missing).
 */
function compared(found: Finding[], expected: ExpectedFinding[]): { found: string[]; expected: string[] } {
  const line = (f: { rule: string; waiver?: Waiver }, resource: string, message: string) =>
    `${f.rule} ${resource}${f.waiver ? ` (waived: ${f.waiver.reason}; expires ${f.waiver.expires})` : ''}: ${message}`;
  const foundLines = found.map((f) => line(f, `${f.resource.kind}/${f.resource.name}`, f.message));
  const unmatched = [...foundLines];
  const take = (l: string) => {
    const i = unmatched.indexOf(l);
    if (i >= 0) unmatched.splice(i, 1);
  };
  const exact = expected.filter((e) => e.message !== undefined).map((e) => line(e, e.resource, e.message!));
  exact.forEach(take);
  const partial = expected
    .filter((e) => e.messageContains !== undefined)
    .map((e) => {
      const prefix = line(e, e.resource, '');
      const hit = unmatched.find((l) => l.startsWith(prefix) && l.slice(prefix.length).includes(e.messageContains!));
      if (hit === undefined) return `${prefix}(a message containing ${JSON.stringify(e.messageContains)})`;
      take(hit);
      return hit;
    });
  return { found: foundLines.sort(), expected: [...exact, ...partial].sort() };
}

/** Compares what was found on a sample with its expected.yaml, within the rules it states. */
function expectFindings(sample: { rule: string; verdict: (typeof verdicts)[number]; file: string }, found: Finding[], by: string): void {
  const inScope = found.filter((f) => scopeOf(sample.rule)(f.rule));
  const { found: lines, expected } = compared(inScope, readExpected(sample.rule)[sample.verdict]);
  expect(lines, `${path.relative(projectRoot, sample.file)}, ${by}`).toEqual(expected);
  for (const f of inScope) expect(f.file).toBe(sample.file);
}

async function loadSamples(): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const rule of rules) {
    for (const verdict of verdicts) {
      const file = sampleFile(rule, verdict);
      if (!existsSync(file)) continue;
      samples.push({ rule, verdict, file, groups: groupByDeployment(await readObjects(file), [file]) });
    }
  }
  return samples;
}

const opaBinary = (() => {
  const { opaVersion } = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { config: { opaVersion: string } }).config;
  const bin = path.join(projectRoot, '.tools/opa', opaVersion, 'opa');
  return existsSync(bin) ? bin : undefined;
})();

describe('policy samples', () => {
  let samples: Sample[];
  let policy: Policy;
  beforeAll(async () => {
    [samples, policy] = await Promise.all([loadSamples(), loadGatePolicy()]);
  });

  it('every rule has an allowed and a denied sample, and the list of the findings each must give', () => {
    const files = ['allowed.yaml', 'denied.yaml', 'expected.yaml'];
    const missing = [...rules, ...schemaRuleIds].flatMap((rule) =>
      files.filter((name) => !existsSync(path.join(SAMPLES, ...rule.split('.'), name))).map((name) => `${rule} ${name}`),
    );
    expect(missing).toEqual([]);
    // No stray sample folders either (a renamed rule would leave its samples unchecked).
    const folders = readdirSync(SAMPLES).flatMap((area) => readdirSync(path.join(SAMPLES, area)).map((name) => `${area}.${name}`));
    expect(folders.sort()).toEqual([...rules, ...schemaRuleIds].sort());
    // Each list is well formed: known rules, none of its own in allowed, some in denied.
    const problems = [...rules, ...schemaRuleIds].flatMap((rule) => {
      try {
        readExpected(rule);
        return [];
      } catch (error) {
        return [(error as Error).message];
      }
    });
    expect(problems).toEqual([]);
  });

  it('docs/POLICIES.md describes every rule', () => {
    const doc = readFileSync(path.join(projectRoot, 'docs/POLICIES.md'), 'utf8');
    expect([...rules, ...schemaRuleIds].filter((rule) => !doc.includes(`\`${rule}\``))).toEqual([]);
  });

  for (const rule of schemaRuleIds) {
    it(`${rule}: the schema check finds in each sample exactly what expected.yaml lists`, () => {
      const check = schemaChecker();
      for (const verdict of verdicts) {
        const file = sampleFile(rule, verdict);
        const objects = readObjects(file);
        expectFindings({ rule, verdict, file }, [...objects.flatMap((entry) => check(entry)), ...duplicateFindings(objects, [file])], 'the schema check');
      }
    });
  }

  it('the samples of the policy rules are objects the schemas and the API server accept (no schema.* finding)', () => {
    // So that a denied sample fails its rule, not a malformed object.
    const check = schemaChecker();
    const found = samples.flatMap((s) => {
      const objects = readObjects(s.file);
      return [...objects.flatMap((entry) => check(entry)), ...duplicateFindings(objects, [s.file])];
    });
    expect(found.map((v) => `${v.file}: ${v.rule}: ${v.message}`)).toEqual([]);
  });

  for (const rule of rules) {
    it(`${rule}: the gate finds in each sample exactly what expected.yaml lists, through the wasm`, () => {
      for (const s of samples.filter((sample) => sample.rule === rule)) {
        expectFindings(s, s.groups.flatMap((g) => policy.evaluate(g, TODAY)), 'the wasm');
      }
    });
  }

  it.skipIf(!opaBinary)(
    `opa eval of the sources gives the same findings as the wasm for every sample and fixture${opaBinary ? '' : ' [skipped: opa not built; npm run policy:test builds it]'}`,
    async () => {
      const dir = tempDir();
      // The hand-written fixtures too: insecure Redis, an application unrelated to Redis, and objects
      // with fields of the wrong type, for which only the verdicts are compared (Go's sprintf and the
      // SDK's JavaScript one print a number given to %s differently).
      const fixtures = await Promise.all(
        FIXTURES.map(async (folder) => {
          const files = await findManifestFiles([folder]);
          return { id: folder, groups: groupByDeployment((await Promise.all(files.map(readObjects))).flat(), [folder]) };
        }),
      );
      const cases = [...samples.map((s) => ({ id: `${s.rule} ${s.verdict}`, groups: s.groups })), ...fixtures].map((c) => ({
        id: c.id,
        groups: c.groups.map((g) => ({ ...g, today: TODAY })),
      }));
      writeFileSync(path.join(dir, 'input.json'), JSON.stringify({ cases }));
      // Named data.json so that opa loads it at the root of data, as setData does for the wasm.
      writeFileSync(path.join(dir, 'data.json'), JSON.stringify(policyData()));
      const query = '{c.id: [v | some g in c.groups; some v in data.gate.violations with input as g] | some c in input.cases}';
      const { stdout } = await promisify(execFile)(
        opaBinary!,
        ['eval', '--v1-compatible', '--format', 'json', '--ignore', 'build', '--ignore', 'capabilities.json', '--ignore', 'samples', '--ignore', '*_test.rego',
          '-d', 'policies', '-d', path.join(dir, 'data.json'), '-i', path.join(dir, 'input.json'), query],
        { cwd: projectRoot, maxBuffer: 64 << 20 },
      );
      const byOpa = (JSON.parse(stdout) as { result: { expressions: { value: Record<string, unknown[]> }[] }[] }).result[0]!.expressions[0]!.value;
      const key = (v: unknown) => JSON.stringify(v, Object.keys(v as object).sort());
      const wasmOf = (groups: PolicyInput[]) =>
        groups.flatMap((g) => policy.evaluate(g, TODAY)).map((v) => ({ rule: v.rule, msg: v.message, resource: v.resource, file: v.file, ...(v.waiver ? { waiver: v.waiver } : {}) }));
      for (const s of samples) {
        const opaFindings = (byOpa[`${s.rule} ${s.verdict}`] ?? []) as (Omit<Finding, 'message'> & { msg: string })[];
        expect(wasmOf(s.groups).map(key).sort(), `${s.rule} ${s.verdict}`).toEqual(opaFindings.map(key).sort());
        expectFindings(s, opaFindings.map(({ msg, ...rest }) => ({ ...rest, message: msg })), 'opa eval');
      }
      const verdict = (v: unknown) => key({ ...(v as object), msg: undefined });
      for (const f of fixtures) {
        const byWasm = wasmOf(f.groups);
        expect(byWasm.length, f.id).toBeGreaterThan(0);
        expect(byWasm.map(verdict).sort(), f.id).toEqual((byOpa[f.id] ?? []).map(verdict).sort());
      }
    },
  );
});
