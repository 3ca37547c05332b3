import path from 'node:path';
import { RunCache, type FileSignature } from './run-cache.js';
import { appliedObjects, groupApplied, listManifestFiles, UnreadableInput, type Group } from './documents.js';
import { loadRuleCatalogue, type PolicyData, type RuleInfo, type Violation } from './policy.js';
import { schemaRules } from './schema.js';
import { supersededFindings } from './duplicates.js';
import { cacheScope, gateFingerprint, groupKey, judgedOnTheDay, VerdictCache, verdictSources, type VerdictSources } from './cache.js';
import { Interner, refsOf, Shard, unwrap, type CheckTask, type ObjectRef, type Outcome, type PolicyFiles, type ReadResult, type ReadTask } from './shard.js';
import { moduleOf } from '../paths.js';
import { chunked, Threads, workersFor } from '../workers/pool.js';
import { noProgress, type Progress } from '../progress.js';

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
  /** A folder to keep verdicts in between runs, keyed by content (see cache.ts); none by default. */
  cache?: string;
  /** The files verdicts come from besides the code (the built policy and schemas by default). */
  sources?: VerdictSources;
  /** Where to show how far the run is (files read, namespaces checked); nowhere by default. */
  progress?: Progress;
}

/** Checks every manifest under `paths` against the compiled policy. Throws UnreadableInput on bad input. */
export async function runGate(paths: string[], options: GateOptions = {}): Promise<GateReport> {
  const began = Date.now();
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const sources = options.sources ?? verdictSources;
  const data: PolicyData = { allowedStorageClasses: options.allowedStorageClasses, waiverMaxDays: options.waiverMaxDays };
  const rules = () => ({ ...schemaRules, ...loadRuleCatalogue(sources.catalogue) });
  // What a run's answer depends on besides its files' contents (see run-cache.ts), and the day when
  // it judged waivers (StoredAnswer.day).
  const question = [process.cwd(), paths.map((p) => path.resolve(p)), data];
  // Both caches are named by the same fingerprint of everything a verdict depends on besides the
  // input, and by the paths gated: a gate of one fleet does not load (or age out) another's verdicts.
  const kept = options.cache === undefined ? undefined : { dir: options.cache, fingerprint: `${await gateFingerprint(sources)}-${cacheScope(question.slice(0, 2))}` };
  const runCache = kept && RunCache.open(kept.dir, kept.fingerprint);
  const answer = await runCache?.answer(question, options.threads);
  if (answer && (answer.day === undefined || answer.day === today)) return { ...answer.report, rules: rules() };
  const listing = listManifestFiles(paths);
  const { files } = listing;
  const threads = options.threads ?? workersFor(files.length, WORKER_THRESHOLD);
  const cache = kept && VerdictCache.open(kept.dir, kept.fingerprint);
  const run: Run = { files, paths, data, today, policy: { wasm: sources.wasm, catalogue: sources.catalogue }, cache, progress: options.progress ?? noProgress };
  const { violations, refs, groups, hashes, signatures } = await (threads > 0 ? inThreads(threads, run) : inProcess(run));
  cache?.save();
  // A PASS on nothing would read as a pass on what the user meant to check (a folder of .yml.txt, a typo).
  if (refs === 0) throw new UnreadableInput(paths.join(', '), 'no Kubernetes objects to check (the gate reads .yaml, .yml and .json files, as kubectl and Argo CD do)');
  violations.sort(byLocation);
  const report: Omit<GateReport, 'rules'> = {
    violations,
    summary: {
      errors: violations.filter((v) => !v.waiver && v.severity === 'error').length,
      warnings: violations.filter((v) => !v.waiver && v.severity === 'warning').length,
      waived: violations.filter((v) => v.waiver).length,
      files: files.length,
      resources: refs,
      namespaces: groups.filter((g) => g.namespace !== null).length,
    },
  };
  if (runCache && hashes.every((h) => h !== '')) {
    runCache.save(question, { files, hashes, signatures, folders: listing.folders }, began, { report, ...(groups.some(judgedOnTheDay) ? { day: today } : {}) });
  }
  return { ...report, rules: rules() };
}

/**
 * The old generation each gate thread may grow to. A thread's live objects are bounded (KEEP_BYTES of
 * YAML parsed, one file of at most MAX_FILE_BYTES being read, one chunk of groups checked), but V8
 * lets its heap grow with the garbage of every file parsed before collecting: at 10,000 deployments
 * the gate reached 3.1 GB without a limit, 1.8 GB with this one, in the same time (measured).
 */
const THREAD_HEAP_MB = 1024;

/** Below this many files (about 130 deployments), starting worker threads costs more than it saves (measured). */
const WORKER_THRESHOLD = 4000;

interface Run {
  files: string[];
  paths: string[];
  data: PolicyData;
  today: string;
  policy: PolicyFiles;
  cache: VerdictCache | undefined;
  progress: Progress;
}

interface Checked {
  violations: Violation[];
  refs: number;
  groups: Group<ObjectRef>[];
  /** Per file of the run, its content hash ('' without a cache) and its signature when it was read. */
  hashes: string[];
  signatures: FileSignature[];
}

/**
 * The refs and schema findings of every file, in file order (the reads are of consecutive runs of
 * the files): from the reads, and from the cache for the files a read skipped (their text has the
 * hash the cache holds a verdict for). Files parsed now are added to the cache. Returns the skipped
 * files the cache no longer has, to be parsed after all.
 */
function merge(run: Run, reads: (ReadResult & { files: string[] })[]): { refs: ObjectRef[]; violations: Violation[]; missing: string[]; hashes: string[]; signatures: FileSignature[] } {
  const refs: ObjectRef[] = [];
  const violations: Violation[] = [];
  const missing: string[] = [];
  const hashes: string[] = [];
  const signatures: FileSignature[] = [];
  const strings = new Interner();
  for (const read of reads) {
    const refsByFile = refsOf(read, read.files, strings);
    const found = new Map<string, Violation[]>();
    for (const v of read.violations) {
      const list = found.get(v.file);
      if (list) list.push(v);
      else found.set(v.file, [v]);
    }
    const skipped = new Set(read.skipped);
    for (const [i, file] of read.files.entries()) {
      const hash = read.hashes[i]!;
      hashes.push(hash);
      signatures.push(read.signatures[i]!);
      if (!skipped.has(file)) {
        const fileRefs = refsByFile[i]!;
        const fileViolations = found.get(file) ?? [];
        for (const ref of fileRefs) refs.push(ref);
        violations.push(...fileViolations);
        run.cache?.putFile(file, hash, { objects: fileRefs.map((r) => r.object), violations: fileViolations });
        continue;
      }
      const verdict = run.cache?.fileVerdict(hash);
      if (!verdict) {
        missing.push(file);
        continue;
      }
      run.cache!.seen(file, hash);
      // The refs share their objects (and those their strings) with the cache's verdict.
      for (const [index, object] of verdict.objects.entries()) refs.push({ file, hash, index, object: strings.share(object) });
      // The same text under another path: the findings name this one.
      violations.push(...verdict.violations.map((v) => ({ ...v, file })));
    }
  }
  return { refs, violations, missing, hashes, signatures };
}

/** The groups to check (see groupByDeployment); findings on objects defined twice go to `violations`. */
function grouped(refs: ObjectRef[], paths: string[], violations: Violation[]): Group<ObjectRef>[] {
  // Which objects are applied is worked out once for both (it keys every object by its identity).
  const { applied, superseded } = appliedObjects(refs, paths);
  violations.push(...supersededFindings(refs, superseded));
  return groupApplied(applied, paths);
}

/** The groups whose verdict the cache holds, their findings, and the others to check (with their keys). */
function fromCache(run: Run, groups: Group<ObjectRef>[]): { found: Violation[]; toCheck: Group<ObjectRef>[]; keys: string[] } {
  const found: Violation[] = [];
  const toCheck: Group<ObjectRef>[] = [];
  const keys: string[] = [];
  for (const group of groups) {
    const key = run.cache ? groupKey(group, run.data, run.today) : '';
    const cached = run.cache?.groupVerdict(key);
    if (cached) found.push(...cached);
    else toCheck.push(group), keys.push(key);
  }
  return { found, toCheck, keys };
}

function readTaskOf(run: Run, files: string[]): ReadTask {
  return { files, hash: run.cache !== undefined, cached: run.cache ? files.map((f) => run.cache!.hint(f)) : undefined };
}

async function inProcess(run: Run): Promise<Checked> {
  const shard = new Shard();
  // One task in this thread: nothing to count as it goes.
  run.progress.phase(`reading ${run.files.length} files`, 0);
  const first = { ...shard.read(readTaskOf(run, run.files)), files: run.files };
  const { refs, violations, missing, hashes, signatures } = merge(run, [first]);
  // Skipped for a verdict the cache no longer has (cannot happen unless it was tampered with): read again, uncached.
  if (missing.length) return inProcess({ ...run, cache: undefined });
  const groups = grouped(refs, run.paths, violations);
  const { found, toCheck, keys } = fromCache(run, groups);
  run.progress.phase(`checking ${toCheck.length} namespaces`, 0);
  const checked = await shard.check({ groups: toCheck, data: run.data, today: run.today, policy: run.policy });
  for (const [i, v] of checked.entries()) run.cache?.putGroup(keys[i]!, v);
  return { violations: [...violations, ...found, ...checked.flat()], refs: refs.length, groups, hashes, signatures };
}

/**
 * Each thread parses folders of files and keeps their objects (up to KEEP_BYTES of YAML); once all
 * are read (a namespace may span folders), each group goes to the thread that holds most of its
 * files.
 */
async function inThreads(count: number, run: Run): Promise<Checked> {
  const threads = new Threads(count, moduleOf('src/gate/shard.ts'), THREAD_HEAP_MB);
  try {
    // More chunks than threads: a thread that finishes early takes the next one.
    const chunks = byFolder(run.files, count * 8);
    run.progress.phase('reading', run.files.length, 'files');
    const reads = await threads.spread<ReadTask, Outcome<ReadResult>>('readTask', chunks.map((chunk) => readTaskOf(run, chunk)), (i) => run.progress.advance(chunks[i]!.length));
    const holder = new Map<string, number>();
    const results: (ReadResult & { files: string[] })[] = [];
    for (const [i, { thread, output }] of reads.entries()) {
      const read = unwrap(output);
      for (const at of read.kept) holder.set(chunks[i]![at]!, thread);
      results.push({ ...read, files: chunks[i]! });
    }
    const { refs, violations, missing, hashes, signatures } = merge(run, results);
    // What the threads sent is copied into the refs: let it go before checking, which takes longest.
    reads.length = results.length = 0;
    // Skipped for a verdict the cache no longer has (cannot happen unless it was tampered with): read again, uncached.
    if (missing.length) return inThreads(count, { ...run, cache: undefined });
    const groups = grouped(refs, run.paths, violations);
    const { found, toCheck, keys } = fromCache(run, groups);
    violations.push(...found);
    const mine: { group: Group<ObjectRef>; key: string }[][] = Array.from({ length: count }, () => []);
    for (const [i, group] of toCheck.entries()) {
      // A group no thread holds (its files were past a thread's budget, or not parsed) goes to the least busy one.
      const thread = mostFilesHeldBy(group, holder) ?? mine.reduce((least, groupsOf, t) => (groupsOf.length < mine[least]!.length ? t : least), 0);
      mine[thread]!.push({ group, key: keys[i]! });
    }
    run.progress.phase('checking', toCheck.length, 'namespaces');
    const checks = mine.flatMap((groupsOfThread, thread) =>
      chunked(groupsOfThread, 8).map(async (chunk) => {
        const found = unwrap(await threads.run<CheckTask, Outcome<Violation[][]>>(thread, 'checkTask', { groups: chunk.map((c) => c.group), data: run.data, today: run.today, policy: run.policy }));
        run.progress.advance(chunk.length);
        for (const [i, v] of found.entries()) run.cache?.putGroup(chunk[i]!.key, v);
        return found.flat();
      }),
    );
    for (const found of await Promise.all(checks)) violations.push(...found);
    return { violations, refs: refs.length, groups, hashes, signatures };
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

/** By file, resource, rule and message; then by everything else, so that the order never depends on which thread or cache found what. */
function byLocation(a: Violation, b: Violation): number {
  const key = (v: Violation) => [v.file, v.resource.kind, v.resource.name, v.rule, v.message, JSON.stringify(v)].join('\0');
  const [ka, kb] = [key(a), key(b)];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
