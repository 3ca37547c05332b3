import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { kubernetesDocuments, UnreadableError } from './kube-yaml.js';
import { CLUSTER_FOLDER, INDEX_FILE, LEGACY_INDEX_FILE } from '../../model/dist-layout.js';

/** A Kubernetes object and the file it came from (as the user named it). */
export interface SourcedObject {
  file: string;
  object: KubeObject;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/**
 * What one policy evaluation sees: one deployment (namespace) with the cluster-scoped objects beside
 * it. A namespace is shown its own Namespace object among its resources, and no other: a fleet has a
 * Namespace per deployment, and showing every one of them to every deployment would make each
 * evaluation grow with the fleet (the group of cluster-scoped objects sees them all).
 */
export interface Group<T> {
  namespace: string | null;
  resources: T[];
  cluster_resources: T[];
}

export type PolicyInput = Group<SourcedObject>;

/** What grouping reads of an object: its file, its apiVersion and kind, and the name and namespace in its metadata. */
export interface Placed {
  file: string;
  object: { apiVersion: string; kind: string; metadata?: { name?: string; namespace?: string } };
}

/** Input the gate cannot read: exit code 2, naming the file. */
export class UnreadableInput extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'UnreadableInput';
  }
}

/** The files kubectl reads from a folder (k8s.io/cli-runtime's FileExtensions), as Argo CD does too. */
const manifestFile = /\.(json|ya?ml)$/;

/**
 * Argo CD's repo-server also evaluates `.jsonnet` files of a directory application into objects
 * (reposerver/repository findManifests); kubectl ignores them. The gate cannot evaluate Jsonnet, and
 * the two disagree on what such a folder applies: it refuses the file rather than pass what Argo CD
 * would apply unseen.
 */
const jsonnetFile = /\.jsonnet$/;
const jsonnetRefusal = 'a Jsonnet file, which Argo CD evaluates into objects and applies (kubectl ignores it) and the gate cannot read: render it to YAML or JSON and gate that';

/**
 * Kinds that have no namespace. Anything else without metadata.namespace would be applied to the
 * namespace kubectl or Argo CD is pointed at; the gate files it under "default".
 */
const clusterScopedKinds = new Set([
  'APIService',
  'ClusterRole',
  'ClusterRoleBinding',
  'CSIDriver',
  'CustomResourceDefinition',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PriorityClass',
  'RuntimeClass',
  'StorageClass',
  'ValidatingWebhookConfiguration',
  'VolumeSnapshotClass',
]);

export function isClusterScoped(object: { kind: string }): boolean {
  return clusterScopedKinds.has(object.kind);
}

/**
 * Every manifest file under the given paths, in the order `kubectl apply -R -f PATH...` reads them
 * (k8s.io/cli-runtime walks each folder with filepath.Walk): each path in turn, a folder's entries by
 * name (bytes), depth first, hidden files and folders included, `.json`, `.yaml` and `.yml` files,
 * symbolic links to files followed. A link to a folder is not followed by kubectl, Argo CD or the
 * gate; one whose name looks like a manifest file is refused (kubectl fails on it). synth's index at
 * the top of a folder named (dist/index.json) is left out.
 */
export async function findManifestFiles(paths: string[]): Promise<string[]> {
  return listManifestFiles(paths).files;
}

/** What findManifestFiles found, and where it looked: what a later run must see unchanged to know it would find the same (run-cache.ts). */
export interface ManifestListing {
  files: string[];
  /** Each folder walked, in walk order, with the names of the manifest-like files it holds (synth's index included). */
  folders: [folder: string, names: string[]][];
}

export function listManifestFiles(paths: string[]): ManifestListing {
  const files: string[] = [];
  const folders: ManifestListing['folders'] = [];
  const walk = (dir: string) => {
    const names: string[] = [];
    folders.push([dir, names]);
    // The entries' types come with the listing: only links need a stat of their own (a fleet's
    // output is hundreds of thousands of files).
    for (const entry of byNameBytes(readdirSync(dir, { withFileTypes: true }))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (jsonnetFile.test(entry.name)) throw new UnreadableInput(file, jsonnetRefusal);
      else if (manifestFile.test(entry.name)) {
        if (!entry.isFile() && !statOrUnreadable(file).isFile()) {
          throw new UnreadableInput(file, entry.isSymbolicLink() ? 'a link to a folder named like a manifest file (kubectl would fail on it)' : 'not a regular file');
        }
        files.push(file);
        names.push(entry.name);
      }
    }
  };
  for (const p of paths) {
    if (!existsSync(p)) throw new UnreadableInput(p, 'no such file or folder');
    if (statSync(p).isDirectory()) {
      walk(p);
      // synth's index of dist/ is no manifest (Argo CD reads the folders below it, never it), where
      // synth keeps it and where an earlier synth did.
      for (const name of [INDEX_FILE, LEGACY_INDEX_FILE]) {
        const index = files.indexOf(path.join(p, name));
        if (index >= 0 && isSynthIndex(files[index]!)) files.splice(index, 1);
      }
    }
    else if (jsonnetFile.test(p)) throw new UnreadableInput(p, jsonnetRefusal);
    else if (manifestFile.test(p)) files.push(p);
    else throw new UnreadableInput(p, 'not a manifest file (expected .yaml, .yml or .json)');
  }
  return { files: [...new Set(files)], folders };
}

/**
 * Entries in the order of their names' UTF-8 bytes (Go's filepath.Walk order). JavaScript compares
 * UTF-16 code units, which is the same order unless a name holds a character from U+D800 up.
 */
function byNameBytes<T extends { name: string }>(entries: T[]): T[] {
  if (entries.every((e) => !/[\uD800-\uFFFF]/.test(e.name))) return entries.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return entries.sort((x, y) => Buffer.compare(Buffer.from(x.name), Buffer.from(y.name)));
}

/** How synth's index starts (src/synth/write-dist.ts indexText): known by its first bytes, without parsing it. */
const SYNTH_INDEX_START = /^\{\n {2}"layout": \d+,\n {2}"generator": \{/;

function isSynthIndex(file: string): boolean {
  try {
    // Synth writes its index so; an index of an earlier synth (or one reformatted) is parsed whole.
    const fd = openSync(file, 'r');
    const head = Buffer.alloc(64);
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    if (SYNTH_INDEX_START.test(head.toString('utf8'))) return true;
    const index = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return typeof index.generator === 'object' && index.kind === undefined && index.items === undefined;
  } catch {
    return false;
  }
}

function statOrUnreadable(file: string) {
  try {
    return statSync(file);
  } catch (error) {
    throw new UnreadableInput(file, `a link to nothing (${(error as NodeJS.ErrnoException).code}): kubectl would fail on it`);
  }
}

/**
 * The largest manifest file the gate reads. The API server refuses objects over ~1.5 MiB, so a file
 * this large is a mistake (a log, a dump, a binary renamed .yaml); reading it would take minutes and
 * gigabytes before anything useful is said.
 */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Parses every document of a file; `kind: List` is expanded into its items. Reads synchronously: the
 * gate reads in worker threads, and a fleet's files are small (asynchronous reads of 30,000 files
 * took longer than parsing them).
 */
export function readObjects(file: string): SourcedObject[] {
  return readManifest(file).objects;
}

/** readObjects, and the size of the file's text. */
export function readManifest(file: string): { objects: SourcedObject[]; bytes: number } {
  const text = readManifestText(file);
  return { objects: parseManifest(file, text), bytes: text.length };
}

/** The text of a manifest file, refused when it is too large, not UTF-8 or binary. */
export function readManifestText(file: string): string {
  return readManifestFile(file).text;
}

/** A manifest's text (see readManifestText) and what stat said of the file just before it was read. */
export function readManifestFile(file: string): { text: string; stats: Stats } {
  let text: string;
  let stats: Stats;
  try {
    stats = statSync(file);
    const { size } = stats;
    if (size > MAX_FILE_BYTES) {
      throw new UnreadableInput(file, `${(size / 1024 / 1024).toFixed(1)} MiB, over the ${MAX_FILE_BYTES / 1024 / 1024} MiB the gate reads per file (the API server refuses objects over 1.5 MiB): split it, or leave it out`);
    }
    const bytes = readFileSync(file);
    const bom = unicodeBom(bytes);
    // kubectl and Argo CD decode a UTF-16 file by its byte order mark (a UTF-32 one they refuse: "control
    // characters are not allowed"); the gate judges UTF-8 only, and says how to get there.
    if (bom) {
      const readers = bom.encoding === 'UTF-16' ? ',' : ', which kubectl cannot read either,';
      throw new UnreadableInput(file, `${bom.encoding} text (${bom.order}, by its byte order mark)${readers} and the gate reads UTF-8: convert it (iconv -f ${bom.encoding} -t UTF-8 ${file} > converted.yaml) and commit that`);
    }
    text = utf8.decode(bytes);
  } catch (error) {
    if (error instanceof UnreadableInput) throw error;
    throw new UnreadableInput(file, error instanceof TypeError ? 'not UTF-8 text' : (error as Error).message);
  }
  if (text.includes('\0')) throw new UnreadableInput(file, 'binary content, not YAML');
  return { text, stats };
}

/** The encoding and byte order of a UTF-16 or UTF-32 byte order mark that `bytes` start with, if they do. */
function unicodeBom(bytes: Uint8Array): { encoding: 'UTF-16' | 'UTF-32'; order: string } | undefined {
  // UTF-32's little-endian mark starts with UTF-16's: looked for first.
  if (bytes[0] === 0xff && bytes[1] === 0xfe && bytes[2] === 0 && bytes[3] === 0) return { encoding: 'UTF-32', order: 'little-endian' };
  if (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xfe && bytes[3] === 0xff) return { encoding: 'UTF-32', order: 'big-endian' };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'UTF-16', order: 'little-endian' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'UTF-16', order: 'big-endian' };
  return undefined;
}

/** The objects of a manifest's text (see readObjects). */
export function parseManifest(file: string, text: string): SourcedObject[] {
  const objects: SourcedObject[] = [];
  try {
    for (const { value, index, line } of kubernetesDocuments(text)) {
      const read = objectsOf(value);
      const where = `document ${index} (line ${line})`;
      if ('problem' in read) throw new UnreadableInput(file, `${read.item ? `item ${read.item} of the list in ${where}` : where} ${read.problem}`);
      for (const object of read.objects) objects.push({ file, object });
    }
  } catch (error) {
    if (error instanceof UnreadableError) throw new UnreadableInput(file, error.message);
    throw error;
  }
  return objects;
}

// Invalid UTF-8 is refused: Node would replace it silently, go-yaml refuses it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The objects kubectl applies from one document (k8s.io/apimachinery's unstructured decoder and
 * cli-runtime's list flattening): none for an empty one; for a list (any object with an `items`
 * field, whatever its kind) its items, those without kind and apiVersion taking the list's kind
 * without its `List` suffix and the list's apiVersion; else the document itself. A list inside a
 * list is refused: the gate does not model how kubectl flattens it.
 */
function objectsOf(value: unknown): { objects: KubeObject[] } | { problem: string; item?: number } {
  if (value === null || value === undefined) return { objects: [] };
  if (!isObject(value) || !('items' in value)) {
    const problem = notAnObject(value);
    return problem ? { problem } : { objects: [value as KubeObject] };
  }
  if (typeof value.kind !== 'string' || value.kind === '') return { problem: 'has items but no kind (a string every Kubernetes object has): the gate cannot check what it cannot identify' };
  if (value.items !== null && !Array.isArray(value.items)) return { problem: 'has items that are not a list: kubectl reads any object with items as a list' };
  // kubectl reads `items: null` as an empty list; Argo CD's repo-server (isNullList) does too unless
  // the object has a spec or status, and then applies the object itself: the two disagree.
  if (value.items === null && ('spec' in value || 'status' in value)) {
    return { problem: 'has `items: null` beside a spec or status: kubectl applies nothing from it, Argo CD applies the object itself; remove items or make it a list' };
  }
  const items = (value.items ?? []) as unknown[];
  const objects: KubeObject[] = [];
  for (const [i, item] of items.entries()) {
    if (isObject(item) && item.kind === undefined && item.apiVersion === undefined) {
      objects.push({ ...item, kind: value.kind.replace(/List$/, ''), apiVersion: value.apiVersion } as KubeObject);
    } else {
      const problem = notAnObject(item) ?? (isObject(item) && 'items' in item ? 'is a list inside a list, which the gate does not read' : undefined);
      if (problem) return { problem, item: i + 1 };
      objects.push(item as KubeObject);
    }
  }
  for (const [i, object] of objects.entries()) {
    const problem = notAnObject(object);
    if (problem) return { problem, item: i + 1 };
  }
  return { objects };
}

/** Why a parsed document is not a Kubernetes object, naming the field; undefined when it is one. */
function notAnObject(value: unknown): string | undefined {
  if (!isObject(value)) return `is ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}, not a Kubernetes object (a mapping with apiVersion and kind)`;
  const missing = ['apiVersion', 'kind'].filter((field) => typeof value[field] !== 'string' || value[field] === '');
  if (missing.length) return `has no ${missing.join(' and no ')} (a string every Kubernetes object has): the gate cannot check what it cannot identify`;
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Groups objects into one policy input per deployment. A folder with a `_cluster` subfolder (as
 * synth writes per cluster) is one input set: its cluster-scoped objects are shown only to the
 * deployments under it. Without one, the whole input is one set. A Namespace object joins the group
 * of the namespace it creates; the cluster-scoped objects form a group of their own (namespace null),
 * so that each object is checked exactly once.
 */
export function groupByDeployment<T extends Placed>(objects: T[], inputPaths: string[] = []): Group<T>[] {
  return groupApplied(appliedObjects(objects, inputPaths).applied, inputPaths);
}

/** groupByDeployment of the objects appliedObjects found applied (for a caller that needs what it found superseded too). */
export function groupApplied<T extends Placed>(applied: T[], inputPaths: string[] = []): Group<T>[] {
  const setOf = inputSets(inputPaths);
  const sets = new Map<string, { cluster: T[]; namespaces: Map<string, T[]> }>();
  for (const sourced of applied) {
    const key = setOf(sourced.file);
    let set = sets.get(key);
    if (!set) sets.set(key, (set = { cluster: [], namespaces: new Map() }));
    const { object } = sourced;
    if (object.kind === 'Namespace' && object.metadata?.name) {
      push(set.namespaces, object.metadata.name, sourced);
    }
    if (isClusterScoped(object)) set.cluster.push(sourced);
    else push(set.namespaces, object.metadata?.namespace ?? 'default', sourced);
  }
  const inputs: Group<T>[] = [];
  for (const key of [...sets.keys()].sort()) {
    const set = sets.get(key)!;
    const nonNamespace = set.cluster.filter((s) => s.object.kind !== 'Namespace');
    if (nonNamespace.length) inputs.push({ namespace: null, resources: nonNamespace, cluster_resources: set.cluster });
    for (const namespace of [...set.namespaces.keys()].sort()) {
      inputs.push({ namespace, resources: set.namespaces.get(namespace)!, cluster_resources: nonNamespace });
    }
  }
  return inputs;
}

/** The input set of a file (see groupByDeployment): the folder that holds its `_cluster` subfolder, or '' for the whole input. */
function inputSets(inputPaths: string[]): (file: string) => string {
  const stops = new Set(inputPaths.map((p) => path.resolve(existsSync(p) && statSync(p).isFile() ? path.dirname(p) : p)));
  const setOf = memoize((dir: string) => clusterRoot(dir, stops));
  // Objects come file by file: the last file's answer saves resolving its path again for each of its objects.
  let lastFile: string | undefined;
  let lastSet = '';
  return (file) => {
    if (file !== lastFile) [lastFile, lastSet] = [file, setOf(path.dirname(path.resolve(file)))];
    return lastSet;
  };
}

/** An object that another one later in the input replaces: kubectl and Argo CD apply `by`, not it. */
export interface Superseded<T> {
  object: T;
  by: T;
}

/**
 * The objects kubectl and Argo CD apply, in input order, and those a later object of the same
 * identity replaces. Identity is Argo CD's (gitops-engine's kube.ResourceKey, as
 * DeduplicateTargetObjects keys an application's objects): API group (not version), kind, namespace
 * (none for cluster-scoped kinds; the default one when unstated) and name, within one input set (a
 * cluster). Argo CD keeps the last object of each identity and warns (RepeatedResourceWarning);
 * `kubectl apply` applies each in turn, so the last is what stays. Objects without a name are never
 * the same object (kubectl refuses them; the schema check reports them).
 */
export function appliedObjects<T extends Placed>(objects: T[], inputPaths: string[] = []): { applied: T[]; superseded: Superseded<T>[] } {
  const setOf = inputSets(inputPaths);
  const last = new Map<string, T>();
  const keys = objects.map((sourced) => {
    const { object } = sourced;
    const name = object.metadata?.name;
    if (typeof name !== 'string' || name === '') return undefined;
    const group = typeof object.apiVersion === 'string' && object.apiVersion.includes('/') ? object.apiVersion.slice(0, object.apiVersion.indexOf('/')) : '';
    const namespace = isClusterScoped(object) ? '' : (object.metadata?.namespace || 'default');
    const key = JSON.stringify([setOf(sourced.file), group, object.kind, namespace, name]);
    last.set(key, sourced);
    return key;
  });
  const applied: T[] = [];
  const superseded: Superseded<T>[] = [];
  for (const [i, sourced] of objects.entries()) {
    const by = keys[i] === undefined ? sourced : last.get(keys[i]!)!;
    if (by === sourced) applied.push(sourced);
    else superseded.push({ object: sourced, by });
  }
  return { applied, superseded };
}

/** The nearest folder with a `_cluster` subfolder, looking no higher than the paths the user named. */
function clusterRoot(dir: string, stops: ReadonlySet<string>): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, CLUSTER_FOLDER))) return d;
    if (stops.has(d) || path.dirname(d) === d) return '';
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function memoize<T>(fn: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    if (!cache.has(key)) cache.set(key, fn(key));
    return cache.get(key)!;
  };
}
