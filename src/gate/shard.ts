import { carriesWaivers, contentHash } from './cache.js';
import { signatureOf, type FileSignature } from './run-cache.js';
import { isClusterScoped, parseManifest, readManifestFile, readManifestText, UnreadableInput, type Group, type KubeObject, type PolicyInput, type SourcedObject } from './documents.js';
import { loadGatePolicy, POLICY_WASM, RULE_CATALOGUE, WAIVERS_ANNOTATION, type Policy, type PolicyData, type Violation } from './policy.js';
import { schemaChecker } from './schema.js';
import { isSystemRefusal } from '../io.js';

/**
 * An object as the thread that parsed it describes it to the others: where it is (file and position)
 * and what grouping needs. Cluster-scoped objects come whole, as every group of their input set is
 * shown them; of the others, only kind, name and namespace travel.
 */
export interface ObjectRef {
  file: string;
  /** The sha256 of the file's text as read (empty when the gate keeps no cache). */
  hash: string;
  index: number;
  object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>;
}

export interface ReadTask {
  files: string[];
  /** Hash each file's text (for the verdict cache). */
  hash?: boolean;
  /**
   * Per file, the content hash whose verdict the cache holds: a file whose text still has it is
   * hashed but not parsed (its refs and schema findings come from the cache).
   */
  cached?: (string | undefined)[];
}

/** The objects of the files read, and their schema findings (each object is validated once, where it is read). */
export interface ReadResult {
  /**
   * The objects, in file order, as grouping needs them; `counts` says how many each file of the task
   * has (none for a file skipped). Paths and hashes are not repeated per object: a fleet has some
   * forty objects per deployment, and the main thread gives the objects of a file its one copy of
   * each (refsOf).
   */
  objects: ObjectRef['object'][];
  counts: number[];
  violations: Violation[];
  /** The positions in the task's files of those whose objects were kept for checking (the others are read again then). */
  kept: number[];
  /** Per file of the task, its content hash ('' when not asked to hash). */
  hashes: string[];
  /** Per file of the task, what stat said of it just before it was read (see run-cache.ts). */
  signatures: FileSignature[];
  /** The files not parsed: their content hash is the one the cache holds a verdict for. */
  skipped: string[];
}

export interface CheckTask {
  groups: Group<ObjectRef>[];
  data: PolicyData;
  today: string;
  /** The compiled policy and its catalogue; the built ones by default. */
  policy?: PolicyFiles;
}

export interface PolicyFiles {
  wasm: string;
  catalogue: string;
}

/**
 * A task's result, or the unreadable input or system refusal that stopped it (an Error's class and
 * its `code` do not cross threads).
 */
export type Outcome<T> = { ok: T } | { unreadable: { file: string; message: string } } | { refused: Pick<NodeJS.ErrnoException, 'message' | 'code' | 'syscall' | 'path'> };

/**
 * YAML text whose parsed objects one thread keeps between reading and checking: a fleet of 1000
 * deployments is about 100 MB of it (kept whole by two threads). Beyond this, files are parsed,
 * validated and summarised, then dropped and parsed again when their group is checked: more CPU,
 * but memory that does not grow with the fleet.
 */
export const KEEP_BYTES = 64 * 1024 * 1024;

/**
 * What the main thread keeps of a namespaced object (a cluster-scoped one is kept whole): what
 * grouping needs (its identity) and, when it has them, its waivers, which make its group's verdict
 * depend on the day (cache.ts judgedOnTheDay); not the rest of its metadata.
 */
function describe(object: KubeObject): ObjectRef['object'] {
  const metadata = { name: object.metadata?.name, namespace: object.metadata?.namespace };
  if (!carriesWaivers({ object })) return { apiVersion: object.apiVersion, kind: object.kind, metadata };
  const waivers = (object.metadata!.annotations as Record<string, unknown>)[WAIVERS_ANNOTATION];
  return { apiVersion: object.apiVersion, kind: object.kind, metadata: { ...metadata, annotations: { [WAIVERS_ANNOTATION]: waivers } } };
}

/**
 * The manifests one thread has parsed, kept until the groups they belong to are checked there: the
 * objects never travel between threads, only their refs do. A file is dropped once each of its
 * objects has been checked (each object belongs to exactly one group). A group whose files this
 * thread does not hold (parsed by another thread, or past the budget) has them parsed again here.
 */
export class Shard {
  private readonly held = new Map<string, { objects: SourcedObject[]; unchecked: number }>();
  private policy: Promise<Policy> | undefined;
  private checkSchema: ReturnType<typeof schemaChecker> | undefined;
  /** YAML bytes this shard may still keep. */
  private room: number;

  constructor(keepBytes = KEEP_BYTES) {
    this.room = keepBytes;
  }

  read({ files, hash = false, cached = [] }: ReadTask): ReadResult {
    this.checkSchema ??= schemaChecker();
    const described: ObjectRef['object'][] = [];
    const counts: number[] = [];
    const violations: Violation[] = [];
    const kept: number[] = [];
    const hashes: string[] = [];
    const signatures: FileSignature[] = [];
    const skipped: string[] = [];
    for (const [i, file] of files.entries()) {
      const { text, stats } = readManifestFile(file);
      const textHash = hash ? contentHash(text) : '';
      hashes.push(textHash);
      signatures.push(signatureOf(stats));
      if (cached[i] !== undefined && cached[i] === textHash) {
        skipped.push(file);
        counts.push(0);
        continue;
      }
      const objects = parseManifest(file, text);
      counts.push(objects.length);
      const bytes = text.length;
      if (bytes <= this.room) {
        this.room -= bytes;
        this.held.set(file, { objects, unchecked: objects.length });
        kept.push(i);
      }
      for (const [index, sourced] of objects.entries()) {
        const { object } = sourced;
        described.push(isClusterScoped(object) ? object : describe(object));
        violations.push(...this.checkSchema(sourced));
      }
    }
    return { objects: described, counts, violations, kept, hashes, signatures, skipped };
  }

  /** Policy findings of each group; its cluster_resources are taken as sent (they came whole). */
  async check({ groups, data, today, policy: files = { wasm: POLICY_WASM, catalogue: RULE_CATALOGUE } }: CheckTask): Promise<Violation[][]> {
    this.policy ??= loadGatePolicy(data, files.wasm, files.catalogue);
    const policy = await this.policy;
    return groups.map((group) =>
      evaluateGroup(policy, { namespace: group.namespace, resources: group.resources.map((ref) => this.take(ref)), cluster_resources: group.cluster_resources as SourcedObject[] }, today),
    );
  }

  private take({ file, hash, index }: ObjectRef): SourcedObject {
    let entry = this.held.get(file);
    if (!entry) {
      const text = readManifestText(file);
      // A verdict is cached under the hash the file had when it was read first: judging other text under it would poison the cache.
      if (hash && contentHash(text) !== hash) throw new UnreadableInput(file, 'changed while the gate was reading it: run the gate again');
      const objects = parseManifest(file, text);
      this.held.set(file, (entry = { objects, unchecked: objects.length }));
    }
    if (--entry.unchecked === 0) this.held.delete(file);
    return entry.objects[index]!;
  }
}

/**
 * The refs of what a thread read from `files` (the task's files, whose hashes it gives), each file's
 * path and hash shared by its objects. Kinds, API versions and namespaces repeat across a fleet:
 * `strings` keeps one copy of each.
 */
export function refsOf({ objects, counts, hashes }: Pick<ReadResult, 'objects' | 'counts' | 'hashes'>, files: readonly string[], strings = new Interner()): ObjectRef[][] {
  let next = 0;
  return files.map((file, at) => Array.from({ length: counts[at]! }, (_, index) => ({ file, hash: hashes[at]!, index, object: strings.share(objects[next++]!) })));
}

/** One copy of each string it is given (strings that cross threads or come from a cache file arrive as copies, one per use). */
export class Interner {
  private readonly seen = new Map<string, string>();

  /** `object` with its repeated strings replaced by the shared copies (in place: no garbage but the copies). Cluster-scoped objects come whole and are left as they are. */
  share(object: ObjectRef['object']): ObjectRef['object'] {
    if (isClusterScoped(object)) return object;
    object.apiVersion = this.get(object.apiVersion);
    object.kind = this.get(object.kind);
    const { metadata } = object;
    if (metadata?.namespace !== undefined) metadata.namespace = this.get(metadata.namespace);
    return object;
  }

  get<T>(value: T): T {
    if (typeof value !== 'string') return value;
    const known = this.seen.get(value);
    if (known !== undefined) return known as T;
    this.seen.set(value, value);
    return value;
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
    const detail = error instanceof Error && error.message ? error.message : String(error);
    throw new UnreadableInput(
      `${files[0]}${files.length > 1 ? ` and ${files.length - 1} more file(s)` : ''}`,
      `the policy could not evaluate ${where} (${group.resources.length} objects): ${OUT_OF_MEMORY.test(detail) ? outOfMemory(detail) : detail}`,
    );
  }
}

/** How the wasm engine says its memory ran out: OPA's allocator aborts, or the memory cannot grow. */
const OUT_OF_MEMORY = /^opa_malloc: failed$|Maximum memory size exceeded|Out of memory/;

/**
 * What an evaluation that ran out of the policy's memory means: one namespace is evaluated whole (the
 * rules relate its objects), and OPA's wasm heap ends at 4 GiB (its top is a 32-bit byte count).
 */
function outOfMemory(detail: string): string {
  return `its objects are more than the policy's WebAssembly memory holds in one evaluation (${detail}; 4 GiB at most, about 0.25 MiB an object of the generator's kind): spread them over more namespaces`;
}

/** Runs a task, turning UnreadableInput and a system refusal into values that can cross threads. */
async function outcome<T>(task: () => T | Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: await task() };
  } catch (error) {
    if (error instanceof UnreadableInput) return { unreadable: { file: error.file, message: error.message.slice(error.file.length + 2) } };
    if (isSystemRefusal(error)) return { refused: { message: error.message, code: error.code, syscall: error.syscall, path: error.path } };
    throw error;
  }
}

export function unwrap<T>(result: Outcome<T>): T {
  if ('unreadable' in result) throw new UnreadableInput(result.unreadable.file, result.unreadable.message);
  if ('refused' in result) throw Object.assign(new Error(result.refused.message), result.refused);
  return result.ok;
}

// The gate's worker threads: one shard each.
const shard = new Shard();

export const readTask = (task: ReadTask) => outcome(() => shard.read(task));

export const checkTask = (task: CheckTask) => outcome(() => shard.check(task));
