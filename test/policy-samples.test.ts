import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { findManifestFiles, groupByDeployment, readObjects, type PolicyInput } from '../src/gate/documents.js';
import { loadGatePolicy, policyData, RULE_CATALOGUE, type Policy, type Violation } from '../src/gate/policy.js';
import { schemaChecker, schemaRules } from '../src/gate/schema.js';
import { projectRoot, tempDir } from './support/repo.js';

// Per rule, policies/samples/<area>/<name>/allowed.yaml must pass that rule and denied.yaml must fail
// it (like gatekeeper-library's samples). The compiled wasm is what the gate runs, so it is what is
// checked; where the pinned opa has been built (npm run policy:test builds it), opa eval of the Rego
// sources must give the very same findings, since the wasm target lacks some builtins and compiles
// some constructs differently. The schema.* rules, checked in TypeScript, have samples too: through the
// schema check, an allowed one has no schema finding at all and a denied one exactly its rule's.
const SAMPLES = path.join(projectRoot, 'policies/samples');
const FIXTURES = ['insecure-redis', 'malformed', 'unrelated-app'].map((folder) => path.join(projectRoot, 'test/fixtures', folder));
const TODAY = '2026-06-01';
const rules = Object.keys(JSON.parse(readFileSync(RULE_CATALOGUE, 'utf8')) as Record<string, unknown>);
// The schema.* rules are checked in TypeScript, not in the wasm: their samples go through the schema check.
const schemaRuleIds = Object.keys(schemaRules);
const verdicts = ['allowed', 'denied'] as const;

interface Sample {
  rule: string;
  verdict: (typeof verdicts)[number];
  file: string;
  groups: PolicyInput[];
}

const sampleFile = (rule: string, verdict: (typeof verdicts)[number]) => path.join(SAMPLES, ...rule.split('.'), `${verdict}.yaml`);

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

const findingsOf = (violations: Violation[], rule: string) => violations.filter((v) => v.rule === rule && !v.waiver);

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

  it('every rule has an allowed and a denied sample', () => {
    const missing = [...rules, ...schemaRuleIds].flatMap((rule) => verdicts.filter((verdict) => !existsSync(sampleFile(rule, verdict))).map((verdict) => `${rule} ${verdict}`));
    expect(missing).toEqual([]);
    // No stray sample folders either (a renamed rule would leave its samples unchecked).
    const folders = readdirSync(SAMPLES).flatMap((area) => readdirSync(path.join(SAMPLES, area)).map((name) => `${area}.${name}`));
    expect(folders.sort()).toEqual([...rules, ...schemaRuleIds].sort());
  });

  it('docs/POLICIES.md describes every rule', () => {
    const doc = readFileSync(path.join(projectRoot, 'docs/POLICIES.md'), 'utf8');
    expect([...rules, ...schemaRuleIds].filter((rule) => !doc.includes(`\`${rule}\``))).toEqual([]);
  });

  for (const rule of schemaRuleIds) {
    it(`${rule}: the allowed sample has no schema finding, the denied one ${rule}'s and no other`, () => {
      const check = schemaChecker();
      const findings = (verdict: (typeof verdicts)[number]) => readObjects(sampleFile(rule, verdict)).flatMap((entry) => check(entry));
      expect(findings('allowed')).toEqual([]);
      const denied = findings('denied');
      expect([...new Set(denied.map((v) => v.rule))]).toEqual([rule]);
      for (const v of denied) expect(v.file).toBe(sampleFile(rule, 'denied'));
    });
  }

  it('the samples of the policy rules are objects the schemas and the API server accept (no schema.* finding)', () => {
    // So that a denied sample fails its rule, not a malformed object.
    const check = schemaChecker();
    expect(samples.flatMap((s) => readObjects(s.file).flatMap((entry) => check(entry))).map((v) => `${v.file}: ${v.rule}: ${v.message}`)).toEqual([]);
  });

  for (const rule of rules) {
    it(`${rule}: the allowed sample passes it and the denied one fails it, through the wasm`, () => {
      const evaluate = (s: Sample) => findingsOf(s.groups.flatMap((g) => policy.evaluate(g, TODAY)), rule);
      const allowed = samples.find((s) => s.rule === rule && s.verdict === 'allowed')!;
      const denied = samples.find((s) => s.rule === rule && s.verdict === 'denied')!;
      expect(evaluate(allowed)).toEqual([]);
      const found = evaluate(denied);
      expect(found.length).toBeGreaterThan(0);
      for (const v of found) expect(v.file).toBe(denied.file);
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
        expect(wasmOf(s.groups).map(key).sort(), `${s.rule} ${s.verdict}`).toEqual((byOpa[`${s.rule} ${s.verdict}`] ?? []).map(key).sort());
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
