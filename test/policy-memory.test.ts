import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { groupByDeployment, readObjects, UnreadableInput, type PolicyInput } from '../src/gate/documents.js';
import { evaluateGroup } from '../src/gate/gate.js';
import { instantiatePolicy, policyData, POLICY_WASM } from '../src/gate/policy.js';
import { projectRoot } from './support/repo.js';

// OPA's allocator grows the policy's wasm memory a page or two at a time, and V8 runs a full garbage
// collection at most grows: a namespace of 3,000 objects took 18.5 s to gate from opa-wasm's 5 pages,
// 2.9 s with the memory there from the start (src/gate/policy.ts, POLICY_MEMORY_PAGES). What the
// gate relies on: a large namespace is evaluated without growing the memory at all.

/** The generator's `orders` deployment copied `copies` times under other names into its one namespace. */
function crowdedNamespace(copies: number): PolicyInput {
  const folder = path.join(projectRoot, 'dist/example');
  const objects = ['orders', '_cluster'].flatMap((sub) =>
    readdirSync(path.join(folder, sub))
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => readObjects(path.join(folder, sub, f))),
  );
  const [orders] = groupByDeployment(objects).filter((g) => g.namespace === 'redis-orders');
  const resources = Array.from({ length: copies }, (_, i) =>
    orders!.resources.map((r) => JSON.parse(JSON.stringify(r).replaceAll('orders', `o${i}rders`).replaceAll(`redis-o${i}rders`, 'redis-orders'))),
  ).flat();
  return { ...orders!, resources };
}

describe("the policy's wasm memory", () => {
  it('holds the evaluation of a namespace of hundreds of objects without growing', async () => {
    const policy = await instantiatePolicy(readFileSync(POLICY_WASM));
    policy.setData(policyData());
    const { mem, wasmInstance } = policy as unknown as { mem: WebAssembly.Memory; wasmInstance: WebAssembly.Instance };
    const before = mem.buffer.byteLength;
    const input = crowdedNamespace(10);
    expect(input.resources.length).toBeGreaterThan(400);
    const [evaluated] = policy.evaluate({ ...input, today: '2026-06-01' }, 'gate/violations') as { result: unknown[] }[];
    expect(Array.isArray(evaluated?.result)).toBe(true);
    // Not vacuous: the evaluation used over 50 MiB of the policy's heap, ~800 grows from 5 pages.
    const used = (wasmInstance.exports.opa_heap_ptr_get as () => number)();
    expect(used).toBeGreaterThan(50 * 2 ** 20);
    expect(mem.buffer.byteLength).toBe(before);
  });

  it('says a namespace is more than the memory holds when it runs out, not what the engine aborted with', async () => {
    // The real policy, its memory capped at 60 pages (3.75 MiB): OPA's allocator aborts as it does at 4 GiB.
    const small = await loadPolicy(readFileSync(POLICY_WASM), { initial: 60, maximum: 60 });
    small.setData(policyData());
    const policy = { rules: {}, evaluate: (input: PolicyInput, today: string) => small.evaluate({ ...input, today }, 'gate/violations') as never };
    const input = crowdedNamespace(2);
    expect(() => evaluateGroup(policy, input, '2026-06-01')).toThrow(UnreadableInput);
    expect(() => evaluateGroup(policy, input, '2026-06-01')).toThrow(
      `the policy could not evaluate namespace redis-orders (${input.resources.length} objects): its objects are more than the policy's WebAssembly memory holds in one evaluation (opa_malloc: failed; 4 GiB at most`,
    );
  });
});
