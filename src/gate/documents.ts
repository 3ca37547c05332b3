import { existsSync, readFileSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { quickLoadAll } from '../quick-yaml.js';
import { CLUSTER_FOLDER } from '../../model/dist-layout.js';

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

/** What grouping reads of an object: its file, its kind, and the name and namespace in its metadata. */
export interface Placed {
  file: string;
  object: { kind: string; metadata?: { name?: string; namespace?: string } };
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

const yamlFile = /\.ya?ml$/;

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

/** Every YAML file under the given paths (files or folders), sorted. Hidden folders are skipped. */
export async function findManifestFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UnreadableInput(p, 'no such file or folder');
    if (statSync(p).isDirectory()) {
      const entries = await readdir(p, { recursive: true, withFileTypes: true });
      for (const e of entries) {
        const file = path.join(e.parentPath, e.name);
        if (e.isFile() && yamlFile.test(e.name) && !path.relative(p, file).split(path.sep).some((s) => s.startsWith('.'))) {
          files.push(file);
        }
      }
    } else if (yamlFile.test(p)) {
      files.push(p);
    } else {
      throw new UnreadableInput(p, 'not a YAML file (expected .yaml or .yml)');
    }
  }
  return [...new Set(files)].sort();
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
  let text: string;
  try {
    const { size } = statSync(file);
    if (size > MAX_FILE_BYTES) {
      throw new UnreadableInput(file, `${(size / 1024 / 1024).toFixed(1)} MiB, over the ${MAX_FILE_BYTES / 1024 / 1024} MiB the gate reads per file (the API server refuses objects over 1.5 MiB): split it, or leave it out`);
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof UnreadableInput) throw error;
    throw new UnreadableInput(file, (error as Error).message);
  }
  if (text.includes('\0')) throw new UnreadableInput(file, 'binary content, not YAML');
  return { objects: quickRead(file, text) ?? preciseRead(file, text), bytes: text.length };
}

/** The objects of a plain file, read fast; undefined when preciseRead must read it (and explain). */
function quickRead(file: string, text: string): SourcedObject[] | undefined {
  const docs = quickLoadAll(text);
  if (!docs) return undefined;
  const objects: SourcedObject[] = [];
  for (const doc of docs) {
    const read = objectsOf(doc);
    if ('problem' in read) return undefined;
    for (const object of read.objects) objects.push({ file, object });
  }
  return objects;
}

function preciseRead(file: string, text: string): SourcedObject[] {
  const lineCounter = new LineCounter();
  const objects: SourcedObject[] = [];
  for (const [index, doc] of parseAllDocuments(text, { lineCounter }).entries()) {
    const [error] = doc.errors;
    if (error) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      throw new UnreadableInput(file, `invalid YAML at line ${line}, column ${col}: ${error.message.split('\n')[0]}`);
    }
    const where = `document ${index + 1} (line ${lineCounter.linePos((doc.contents?.range ?? doc.range)[0]).line})`;
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (error) {
      // The yaml library refuses to expand aliases past a limit (the "billion laughs" attack).
      throw new UnreadableInput(file, `${where}: ${(error as Error).message}`);
    }
    const read = objectsOf(value);
    if ('problem' in read) throw new UnreadableInput(file, `${read.item ? `item ${read.item} of the List in ${where}` : where} ${read.problem}`);
    for (const object of read.objects) objects.push({ file, object });
  }
  return objects;
}

/** The objects of one document: none for an empty one, a List's items, or the document itself. */
function objectsOf(value: unknown): { objects: KubeObject[] } | { problem: string; item?: number } {
  if (value === null || value === undefined) return { objects: [] };
  const list = isObject(value) && value.kind === 'List' && Array.isArray(value.items) ? (value.items as unknown[]) : undefined;
  const items: unknown[] = list ?? [value];
  for (const [i, item] of items.entries()) {
    const problem = notAnObject(item);
    if (problem) return list ? { problem, item: i + 1 } : { problem };
  }
  return { objects: items as KubeObject[] };
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
  const stops = new Set(inputPaths.map((p) => path.resolve(existsSync(p) && statSync(p).isFile() ? path.dirname(p) : p)));
  const setOf = memoize((dir: string) => clusterRoot(dir, stops));
  const sets = new Map<string, { cluster: T[]; namespaces: Map<string, T[]> }>();
  for (const sourced of objects) {
    const key = setOf(path.dirname(path.resolve(sourced.file)));
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
