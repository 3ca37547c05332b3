import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { codeFingerprint } from '../code-fingerprint.js';
import { CACHE_STALE_MS, fromRoot } from '../paths.js';
import type { Group, KubeObject } from './documents.js';
import { POLICY_WASM, RULE_CATALOGUE, WAIVERS_ANNOTATION, type PolicyData, type Violation } from './policy.js';
import { SCHEMAS } from './schema.js';
import type { ObjectRef } from './shard.js';

/**
 * The gate's verdicts, kept between runs and keyed by content, so that a gate over a fleet where
 * little changed reads every file but parses, validates and evaluates only what changed:
 * - per file, by the sha256 of its text: its objects (as grouping needs them) and their schema
 *   findings;
 * - per group (a namespace, or a folder's cluster-scoped objects), by a hash of the paths and
 *   content hashes of its objects' files, the policy data and, for a group with waivers, the day
 *   (waivers expire; see judgedOnTheDay): the policy's findings.
 * Everything else a verdict depends on (the gate's code and libraries, the compiled policy and its
 * catalogue, the vendored schemas, Node) is the cache's fingerprint: a cache made under another
 * fingerprint is never read. Each set of paths gated has a cache of its own (cacheScope). Timestamps play no part: every file is read and hashed on every run
 * (run-cache.ts answers, before this cache is opened, a run over files untouched since the last one).
 */
export const GATE_CACHE = fromRoot('node_modules/.cache/redis-gitops/gate');

/** The cache's own layout; bump when what is stored changes shape (2: an object keeps its waivers annotation, see Shard.read). */
const FORMAT = 2;
/** The code the gate's verdicts come from (sources under the project root; the model and the input code included, to be safe). */
const GATE_CODE = ['src/gate', 'model', 'src/config', 'src/quick-yaml.ts', 'src/paths.ts', 'src/code-fingerprint.ts'];
const GATE_LIBRARIES = ['yaml', 'js-yaml', 'ajv', '@open-policy-agent/opa-wasm'];
/** Entries no run used for this many runs are dropped (a deployment deleted, a file changed). */
const KEEP_RUNS = 4;

/** What the gate concludes from one file's text alone: its objects' refs (without file and hash) and their schema findings. */
export interface FileVerdict {
  objects: ObjectRef['object'][];
  violations: Violation[];
}

export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The files besides the code that decide verdicts; parameters so that a test can swap them. */
export interface VerdictSources {
  wasm: string;
  catalogue: string;
  schemas: string;
}

export const verdictSources: VerdictSources = { wasm: POLICY_WASM, catalogue: RULE_CATALOGUE, schemas: SCHEMAS };

/** A hash of everything a verdict depends on besides its input files, policy data and day. */
export async function gateFingerprint(sources: VerdictSources = verdictSources): Promise<string> {
  const code = await codeFingerprint({ format: FORMAT, node: process.version }, GATE_CODE, GATE_LIBRARIES);
  const hash = createHash('sha256').update(code);
  const schemas = readdirSync(sources.schemas)
    .sort()
    .map((f) => path.join(sources.schemas, f));
  for (const file of [sources.wasm, sources.catalogue, ...schemas]) hash.update(`\0${path.basename(file)}\0`).update(readFileSync(file));
  return hash.digest('hex');
}

/** A short name for the set of paths a gate is given (with its working folder): part of the caches' file names. */
export function cacheScope(paths: unknown): string {
  return contentHash(JSON.stringify(paths)).slice(0, 16);
}

/**
 * The key of a group's policy verdict: where its objects are, what their files hold, the policy data,
 * and the day when the verdict depends on it (see judgedOnTheDay): a fleet without waivers keeps its
 * verdicts from one day to the next, where a gate keyed by the day judged every namespace anew each
 * morning (115 s at 10,000 deployments).
 */
export function groupKey(group: Group<ObjectRef>, data: PolicyData, today: string): string {
  const where = (refs: ObjectRef[]) => refs.map((r) => [r.file, r.hash, r.index]);
  const day = judgedOnTheDay(group) ? today : null;
  return contentHash(JSON.stringify([day, data.allowedStorageClasses ?? [], data.waiverMaxDays ?? null, group.namespace, where(group.resources), where(group.cluster_resources)]));
}

/**
 * Whether a group's verdict depends on the day the gate runs: when one of its objects (or of the
 * cluster-scoped objects shown with it) carries waivers, which expire. The policy reads the day
 * nowhere else (lib/waivers.rego; test/gate-day.test.ts holds every sample and the generator's output
 * to it), and reads waivers from that annotation alone, looked up by its exact key as here.
 */
export function judgedOnTheDay(group: Group<{ object: Pick<KubeObject, 'metadata'> }>): boolean {
  return group.resources.some(carriesWaivers) || group.cluster_resources.some(carriesWaivers);
}

/** Whether an object carries waivers (the annotation, whatever its value: the policy reports a malformed one). */
export function carriesWaivers({ object }: { object: Pick<KubeObject, 'metadata'> }): boolean {
  const annotations = object.metadata?.['annotations'];
  return typeof annotations === 'object' && annotations !== null && Object.hasOwn(annotations, WAIVERS_ANNOTATION);
}

interface Stored {
  format: number;
  run: number;
  files: Map<string, { verdict: FileVerdict; run: number }>;
  groups: Map<string, { violations: Violation[]; run: number }>;
  /** Path → the content hash it had last time: a hint that lets a thread skip parsing a file whose hash still matches. */
  hints: Map<string, string>;
}

export class VerdictCache {
  private constructor(
    private readonly file: string,
    private readonly stored: Stored,
  ) {}

  /** Whether this run added anything; a run that only reused verdicts leaves the file as it is (writing it took as long as the rest of such a run). */
  private dirty = false;

  /** The cache of `fingerprint` under `dir`, empty when there is none or it cannot be read. */
  static open(dir: string, fingerprint: string): VerdictCache {
    const file = path.join(dir, `${fingerprint}.v8`);
    let stored: Stored | undefined;
    try {
      const read = deserialize(readFileSync(file)) as Stored;
      if (read.format === FORMAT) stored = read;
    } catch {
      // None yet, or unreadable (a crash while an older Node wrote it): start empty.
    }
    stored ??= { format: FORMAT, run: 0, files: new Map(), groups: new Map(), hints: new Map() };
    stored.run++;
    return new VerdictCache(file, stored);
  }

  /** The content hash `file` had when last gated, if its verdict is still here. Only a hint: the caller hashes the file again. */
  hint(file: string): string | undefined {
    return this.stored.hints.get(file);
  }

  fileVerdict(hash: string): FileVerdict | undefined {
    const entry = this.stored.files.get(hash);
    if (entry) entry.run = this.stored.run;
    return entry?.verdict;
  }

  putFile(file: string, hash: string, verdict: FileVerdict): void {
    this.stored.files.set(hash, { verdict, run: this.stored.run });
    this.stored.hints.set(file, hash);
    this.dirty = true;
  }

  /** Records that `file` had content `hash` in this run (its verdict came from the cache). */
  seen(file: string, hash: string): void {
    if (this.stored.hints.get(file) === hash) return;
    this.stored.hints.set(file, hash);
    this.dirty = true;
  }

  groupVerdict(key: string): Violation[] | undefined {
    const entry = this.stored.groups.get(key);
    if (entry) entry.run = this.stored.run;
    return entry?.violations;
  }

  putGroup(key: string, violations: Violation[]): void {
    this.stored.groups.set(key, { violations, run: this.stored.run });
    this.dirty = true;
  }

  /**
   * Writes the cache (whole, then renamed into place: a reader never sees half of it) and removes
   * caches of other fingerprints, which no run of this code can use. Failing to write (a read-only
   * installation) only costs the next run its speed. Entries age only in runs that write (a run
   * that reuses everything changes nothing worth writing).
   */
  save(): void {
    if (!this.dirty) return;
    const { stored } = this;
    const fresh = (entry: { run: number }) => stored.run - entry.run < KEEP_RUNS;
    for (const [key, entry] of stored.files) if (!fresh(entry)) stored.files.delete(key);
    for (const [key, entry] of stored.groups) if (!fresh(entry)) stored.groups.delete(key);
    for (const [file, hash] of stored.hints) if (!stored.files.has(hash)) stored.hints.delete(file);
    const dir = path.dirname(this.file);
    try {
      mkdirSync(dir, { recursive: true });
      const temp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temp, serialize(stored));
      renameSync(temp, this.file);
      // Caches of other code (another checkout sharing node_modules, an older version) are left a
      // week, then removed.
      for (const other of readdirSync(dir)) {
        const full = path.join(dir, other);
        if (other !== path.basename(this.file) && Date.now() - statSync(full).mtimeMs > CACHE_STALE_MS) rmSync(full, { force: true });
      }
    } catch {
      // Read-only: the next run starts cold.
    }
  }
}
