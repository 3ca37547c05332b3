import type { PolicyInput } from './documents.js';
import { UnreadableInput } from './documents.js';
import { loadGatePolicy, type Policy, type PolicyData, type Violation } from './policy.js';
import { schemaChecker } from './schema.js';

export interface CheckChunk {
  groups: PolicyInput[];
  data: PolicyData;
  today: string;
}

/** A chunk's findings, or the unreadable input that stopped it (an Error's class does not cross threads). */
export type CheckResult = { violations: Violation[] } | { unreadable: { file: string; message: string } };

let policy: Promise<Policy> | undefined;
let checkSchema: ReturnType<typeof schemaChecker> | undefined;

/**
 * Schema and policy findings of each group's own objects (each object belongs to exactly one group,
 * so each is checked once). The policy and the schema validators are loaded once per thread.
 */
export async function checkGroups({ groups, data, today }: CheckChunk): Promise<Violation[]> {
  policy ??= loadGatePolicy(data);
  checkSchema ??= schemaChecker();
  const loaded = await policy;
  return groups.flatMap((group) => [...group.resources.flatMap(checkSchema!), ...evaluateGroup(loaded, group, today)]);
}

/** checkGroups for a worker thread. */
export async function checkChunk(chunk: CheckChunk): Promise<CheckResult> {
  try {
    return { violations: await checkGroups(chunk) };
  } catch (error) {
    if (error instanceof UnreadableInput) return { unreadable: { file: error.file, message: error.message.slice(error.file.length + 2) } };
    throw error;
  }
}

/**
 * The wasm engine fails on inputs it cannot hold (its memory is capped) and the SDK's JavaScript
 * builtins throw on values of the wrong type: say which objects, rather than a stack trace.
 */
export function evaluateGroup(policy: Policy, group: PolicyInput, today: string): Violation[] {
  try {
    return policy.evaluate(group, today);
  } catch (error) {
    const files = [...new Set(group.resources.map((r) => r.file))];
    const where = group.namespace === null ? 'the cluster-scoped objects' : `namespace ${group.namespace}`;
    throw new UnreadableInput(
      `${files[0]}${files.length > 1 ? ` and ${files.length - 1} more file(s)` : ''}`,
      `the policy could not evaluate ${where} (${group.resources.length} objects): ${error instanceof Error && error.message ? error.message : String(error)}`,
    );
  }
}
