import { findManifestFiles, groupByDeployment, readObjects, UnreadableInput, type PolicyInput, type SourcedObject } from './documents.js';
import pMap from 'p-map';
import { IO_CONCURRENCY } from '../io.js';
import { chunked, inWorkers, workersFor } from '../workers/pool.js';
import { checkGroups, type CheckChunk, type CheckResult } from './check-worker.js';

export { evaluateGroup } from './check-worker.js';
import { loadRuleCatalogue, type PolicyData, type RuleInfo, type Violation } from './policy.js';
import { schemaRules } from './schema.js';


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
  // A bounded number of files open at once: a fleet has tens of thousands (EMFILE otherwise).
  const objects: SourcedObject[] = (await pMap(files, readObjects, { concurrency: IO_CONCURRENCY })).flat();
  const groups = groupByDeployment(objects, paths);
  const violations = (await check(groups, options, today)).sort(byLocation);
  return {
    violations,
    rules: { ...schemaRules, ...loadRuleCatalogue() },
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

/** Below this many groups (deployments), starting worker threads costs more than it saves. */
const WORKER_THRESHOLD = 64;

/** Every group's findings, in worker threads (one per core) when there are many groups. */
async function check(groups: PolicyInput[], data: PolicyData, today: string): Promise<Violation[]> {
  const workers = workersFor(groups.length, WORKER_THRESHOLD);
  if (workers === 0) return checkGroups({ groups, data, today });
  // More chunks than threads: a thread that finishes early takes the next one.
  const chunks = chunked(groups, workers * 4).map((chunk) => ({ groups: chunk, data, today }));
  const results = await inWorkers<CheckChunk, CheckResult>(new URL('./check-worker.ts', import.meta.url), 'checkChunk', chunks);
  return results.flatMap((result) => {
    if ('unreadable' in result) throw new UnreadableInput(result.unreadable.file, result.unreadable.message);
    return result.violations;
  });
}

function byLocation(a: Violation, b: Violation): number {
  const key = (v: Violation) => [v.file, v.resource.kind, v.resource.name, v.rule, v.message].join('\0');
  const [ka, kb] = [key(a), key(b)];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
