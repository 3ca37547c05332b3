import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { judgedOnTheDay } from '../src/gate/cache.js';
import type { PolicyInput } from '../src/gate/documents.js';
import { loadGatePolicy, type Policy } from '../src/gate/policy.js';
import { knownPolicyInputs } from './support/policy-inputs.js';
import { projectRoot } from './support/repo.js';

// The gate keeps a group's verdict from one day to the next unless the group carries waivers
// (src/gate/cache.ts judgedOnTheDay): the policy must read the day through waivers alone. Held to
// that on every sample, fixture and the generator's own output, each evaluated on days far apart.
const DAYS = ['1970-01-01', '2026-06-01', '9999-12-31'];

describe('the day a gate runs', () => {
  let policy: Policy;
  let groups: PolicyInput[];
  beforeAll(async () => {
    policy = await loadGatePolicy({}, undefined, undefined, { memo: false });
    groups = await knownPolicyInputs();
  });

  const verdicts = (group: PolicyInput) => DAYS.map((day) => JSON.stringify(policy.evaluate(group, day)));

  it('decides nothing in a group without waivers', () => {
    const undated = groups.filter((g) => !judgedOnTheDay(g));
    expect(undated.length).toBeGreaterThan(100); // not vacuous: every sample and the generator's namespaces
    expect(undated.filter((g) => policy.evaluate(g, DAYS[1]!).length > 0).length).toBeGreaterThan(40); // and many with findings
    for (const group of undated) {
      const [first, ...others] = verdicts(group);
      for (const other of others) expect(other, group.resources[0]?.file).toBe(first);
    }
  });

  // The check above could pass if comparing days found nothing at all: on the waiver samples it does.
  it('decides whether a waiver is in force, in the groups that carry one', () => {
    const dated = groups.filter(judgedOnTheDay);
    expect(dated.map((g) => path.relative(projectRoot, g.resources[0]!.file))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^policies\/samples\/waiver\/expired\//), expect.stringMatching(/^policies\/samples\/waiver\/invalid\//)]),
    );
    expect(dated.filter((g) => new Set(verdicts(g)).size > 1).length).toBeGreaterThan(0);
  });
});
