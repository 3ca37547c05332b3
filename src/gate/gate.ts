import path from 'node:path';
import { findManifestFiles, groupByDeployment, UnreadableInput, type Group } from './documents.js';
import { loadRuleCatalogue, type PolicyData, type RuleInfo, type Violation } from './policy.js';
import { schemaRules } from './schema.js';
import { Shard, unwrap, type CheckTask, type ObjectRef, type Outcome, type ReadResult, type ReadTask } from './shard.js';
import { moduleOf } from '../paths.js';
import { chunked, Threads, workersFor } from '../workers/pool.js';

export { evaluateGroup } from './shard.js';

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
  /** Worker threads; 0 checks in this thread. By default one per core for large inputs, else 0. */
  threads?: number;
}

/** Checks every manifest under `paths` against the compiled policy. Throws UnreadableInput on bad input. */
export async function runGate(paths: string[], options: GateOptions = {}): Promise<GateReport> {
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const files = await findManifestFiles(paths);
  const threads = options.threads ?? workersFor(files.length, WORKER_THRESHOLD);
  const { violations, refs, groups } = await (threads > 0 ? inThreads(threads, files, paths, options, today) : inProcess(files, paths, options, today));
  // A PASS on nothing would read as a pass on what the user meant to check (a folder of .yml.txt, a typo).
  if (refs === 0) throw new UnreadableInput(paths.join(', '), 'no Kubernetes objects to check (the gate reads .yaml, .yml and .json files, as kubectl and Argo CD do)');
  violations.sort(byLocation);
  return {
    violations,
    rules: { ...schemaRules, ...loadRuleCatalogue() },
    summary: {
      errors: violations.filter((v) => !v.waiver && v.severity === 'error').length,
      warnings: violations.filter((v) => !v.waiver && v.severity === 'warning').length,
      waived: violations.filter((v) => v.waiver).length,
      files: files.length,
      resources: refs,
      namespaces: groups.filter((g) => g.namespace !== null).length,
    },
  };
}

/** Below this many files (about 130 deployments), starting worker threads costs more than it saves (measured). */
const WORKER_THRESHOLD = 4000;

interface Checked {
  violations: Violation[];
  refs: number;
  groups: Group<ObjectRef>[];
}

async function inProcess(files: string[], paths: string[], data: PolicyData, today: string): Promise<Checked> {
  const shard = new Shard();
  const read = shard.read(files);
  const groups = groupByDeployment(read.refs, paths);
  const found = await shard.check({ groups, data, today });
  return { violations: [...read.violations, ...found], refs: read.refs.length, groups };
}

/**
 * Each thread parses folders of files and keeps their objects (up to KEEP_BYTES of YAML); once all
 * are read (a namespace may span folders), each group goes to the thread that holds most of its
 * files.
 */
async function inThreads(count: number, files: string[], paths: string[], data: PolicyData, today: string): Promise<Checked> {
  const threads = new Threads(count, moduleOf('src/gate/shard.ts'));
  try {
    // More chunks than threads: a thread that finishes early takes the next one.
    const reads = await threads.spread<ReadTask, Outcome<ReadResult>>('readTask', byFolder(files, count * 8).map((chunk) => ({ files: chunk })));
    const holder = new Map<string, number>();
    const refs: ObjectRef[] = [];
    const violations: Violation[] = [];
    for (const { thread, output } of reads) {
      const read = unwrap(output);
      for (const file of read.kept) holder.set(file, thread);
      refs.push(...read.refs);
      violations.push(...read.violations);
    }
    const groups = groupByDeployment(refs, paths);
    const mine: Group<ObjectRef>[][] = Array.from({ length: count }, () => []);
    for (const group of groups) {
      // A group no thread holds (its files were past a thread's budget) goes to the least busy one.
      const thread = mostFilesHeldBy(group, holder) ?? mine.reduce((least, groupsOf, t) => (groupsOf.length < mine[least]!.length ? t : least), 0);
      mine[thread]!.push(group);
    }
    const checks = mine.flatMap((groupsOfThread, thread) =>
      chunked(groupsOfThread, 8).map((chunk) => threads.run<CheckTask, Outcome<Violation[]>>(thread, 'checkTask', { groups: chunk, data, today })),
    );
    for (const found of await Promise.all(checks)) violations.push(...unwrap(found));
    return { violations, refs: refs.length, groups };
  } finally {
    await threads.destroy();
  }
}

/** Sorted files in about `count` chunks, a folder never split (a folder is usually one namespace). */
function byFolder(files: string[], count: number): string[][] {
  const target = Math.ceil(files.length / count);
  const chunks: string[][] = [[]];
  for (const file of files) {
    const chunk = chunks.at(-1)!;
    if (chunk.length >= target && path.dirname(file) !== path.dirname(chunk.at(-1)!)) chunks.push([file]);
    else chunk.push(file);
  }
  return chunks.filter((chunk) => chunk.length > 0);
}

function mostFilesHeldBy(group: Group<ObjectRef>, holder: ReadonlyMap<string, number>): number | undefined {
  const held = new Map<number, number>();
  for (const ref of group.resources) {
    const thread = holder.get(ref.file);
    if (thread !== undefined) held.set(thread, (held.get(thread) ?? 0) + 1);
  }
  return [...held].reduce<[number | undefined, number]>((best, entry) => (entry[1] > best[1] ? entry : best), [undefined, 0])[0];
}

function byLocation(a: Violation, b: Violation): number {
  const key = (v: Violation) => [v.file, v.resource.kind, v.resource.name, v.rule, v.message].join('\0');
  const [ka, kb] = [key(a), key(b)];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
