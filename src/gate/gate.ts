import { findManifestFiles, groupByDeployment, readObjects, UnreadableInput, type PolicyInput, type SourcedObject } from './documents.js';
import { loadGatePolicy, type Policy, type PolicyData, type RuleInfo, type Violation } from './policy.js';
import { schemaChecker, schemaRules } from './schema.js';

const READ_BATCH = 64;

export interface GateReport {
  violations: Violation[];
  /** The catalogue of every rule evaluated (for SARIF and summaries; not part of the JSON output). */
  rules: Record<string, RuleInfo>;
  /** errors and warnings count findings that are not waived; waived counts those that are. */
  summary: { errors: number; warnings: number; waived: number; files: number; resources: number; namespaces: number };
}

export interface GateOptions extends PolicyData {
  /** The day waivers are judged on (YYYY-MM-DD, UTC); today by default. */
  today?: string;
}

/** Checks every manifest under `paths` against the compiled policy. Throws UnreadableInput on bad input. */
export async function runGate(paths: string[], options: GateOptions = {}): Promise<GateReport> {
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const files = await findManifestFiles(paths);
  const objects: SourcedObject[] = [];
  // A bounded number of files open at once: a fleet has tens of thousands (EMFILE otherwise).
  for (let i = 0; i < files.length; i += READ_BATCH) {
    for (const read of await Promise.all(files.slice(i, i + READ_BATCH).map(readObjects))) objects.push(...read);
  }
  const groups = groupByDeployment(objects, paths);
  const policy = await loadGatePolicy(options);
  const checkSchema = schemaChecker();
  const violations = [...objects.flatMap(checkSchema), ...groups.flatMap((group) => evaluateGroup(policy, group, today))].sort(byLocation);
  return {
    violations,
    rules: { ...schemaRules, ...policy.rules },
    summary: {
      errors: violations.filter((v) => !v.waiver && v.severity === 'error').length,
      warnings: violations.filter((v) => !v.waiver && v.severity === 'warning').length,
      waived: violations.filter((v) => v.waiver).length,
      files: files.length,
      resources: objects.length,
      namespaces: groups.filter((g) => g.namespace !== null).length,
    },
  };
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

function byLocation(a: Violation, b: Violation): number {
  const key = (v: Violation) => [v.file, v.resource.kind, v.resource.name, v.rule, v.message].join('\0');
  const [ka, kb] = [key(a), key(b)];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
