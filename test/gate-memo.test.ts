import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { groupByDeployment, readObjects, type PolicyInput } from '../src/gate/documents.js';
import { loadGatePolicy, policyData, POLICY_WASM, TextMemo, type Policy } from '../src/gate/policy.js';
import { knownPolicyInputs } from './support/policy-inputs.js';
import { projectRoot } from './support/repo.js';

// The gate hands the policy what the rules read of each ConfigMap text it has seen before
// (data.text_facts, computed by lib/memo.rego: src/gate/policy.ts). The facts are the very
// functions the rules call without them, so the verdicts must not change: checked on every sample,
// fixture and the generator's own output, each input evaluated a second time once all its texts
// are in the memo.

describe('the memo of ConfigMap texts', () => {
  let plain: Policy;
  let memo: Policy;
  let groups: PolicyInput[];
  beforeAll(async () => {
    plain = await loadGatePolicy({}, undefined, undefined, { memo: false });
    memo = await loadGatePolicy();
    groups = await knownPolicyInputs();
  });

  it('gives every input the verdicts the policy gives without it', () => {
    const texts = (g: PolicyInput) => g.resources.filter((r) => r.object.kind === 'ConfigMap').length;
    expect(groups.filter(texts).length).toBeGreaterThan(20); // not vacuous: dozens of inputs with ConfigMaps
    for (const group of groups) {
      const expected = plain.evaluate(group, '2026-06-01');
      memo.evaluate(group, '2026-06-01'); // seen once: its texts are memoized from the next input on
      expect(memo.evaluate(group, '2026-06-01'), group.resources[0]?.file).toEqual(expected);
    }
  });

  // Each publish hands the policy the whole memo: it stops growing at 1 MiB of texts (later ones are
  // read each time), so many texts each shared by a few namespaces cannot make a run quadratic.
  it('computes a text seen a second time once, and stops growing at its bound', () => {
    const computed: string[] = [];
    let publishes = 0;
    const memo = new TextMemo((texts) => (computed.push(...texts), Object.fromEntries(texts.map((t) => [t, {}]))), () => publishes++);
    const input = (texts: string[]) => ({ namespace: 'n', resources: [{ file: 'c.yaml', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: Object.fromEntries(texts.map((t, i) => [`k${i}`, t])) } }], cluster_resources: [] }) as unknown as PolicyInput;
    const text = (i: number) => `${i}`.padEnd(100_000, '#');
    memo.see(input([text(0), 'short']));
    expect(computed).toEqual([]);
    memo.see(input([text(0), 'short']));
    memo.see(input([text(0)]));
    expect(computed).toEqual([text(0)]); // once, and never the text under 256 characters
    for (let i = 1; i < 30; i++) for (let seen = 0; seen < 2; seen++) memo.see(input([text(i)]));
    expect(computed.length).toBe(11); // 11 x 100,000 characters reach the 1 MiB bound
    expect(publishes).toBe(11);
  });

  // The check above would pass if the policy never read the memo: altered facts must change a verdict.
  it('is what the policy reads', async () => {
    const file = path.join(projectRoot, 'policies/samples/tls/redis_runtime_settings/denied.yaml');
    const [group] = groupByDeployment(await readObjects(file), [file]);
    const policy = await loadPolicy(readFileSync(POLICY_WASM));
    policy.setData(policyData());
    const script = group!.resources.map((r) => (r.object as { data?: Record<string, string> }).data?.['start-redis.sh']).find(Boolean)!;
    const facts = (policy.evaluate({ texts: [script] }, 'memo/facts') as { result: Record<string, { written_settings: unknown[] }> }[])[0]!.result;
    expect(facts[script]!.written_settings.length).toBeGreaterThan(0);
    const findings = () => (policy.evaluate({ ...group, today: '2026-06-01' }, 'gate/violations') as { result: { rule: string }[] }[])[0]!.result.filter((v) => v.rule === 'tls.redis_runtime_settings').length;
    const read = findings();
    policy.setData({ ...policyData(), text_facts: { [script]: { ...facts[script], written_settings: [] } } });
    expect(findings()).toBeLessThan(read);
  });
});
