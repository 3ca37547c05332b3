import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { z } from 'zod';
import { ClusterSchema, DeploymentSchema, type ClusterSpec, type DeploymentSpec } from './schema.js';
import { InputErrors, type InputError } from './errors.js';
import { quickLoadAll } from '../quick-yaml.js';

export { formatInputError, InputErrors, type InputError } from './errors.js';

export interface Cluster {
  name: string;
  /** Path relative to the repository root, as users write it. */
  file: string;
  spec: ClusterSpec;
}

export interface Deployment {
  name: string;
  file: string;
  namespace: string;
  spec: DeploymentSpec;
  cluster: Cluster;
}

export interface Inputs {
  clusters: Cluster[];
  deployments: Deployment[];
}

const fileName = /^[a-z]([-a-z0-9]*[a-z0-9])?\.ya?ml$/;

/**
 * Reads and validates clusters/*.yaml and deployments/*.yaml under `root`. Every mistake of every file
 * is collected before failing, so a user fixes them in one round.
 */
export async function loadInputs(root: string): Promise<Inputs> {
  const errors: InputError[] = [];
  const clusters = new Map<string, Cluster>();
  const clusterFiles = readAll(root, await listYaml(root, 'clusters', errors));
  for (const [file, text] of clusterFiles) {
    const parsed = parseFile(file, text, ClusterSchema, errors);
    if (!parsed) continue;
    const cluster: Cluster = { name: baseName(file), file, spec: parsed.value };
    if (!existsSync(path.join(root, cluster.spec.sealedSecrets.certificate))) {
      errors.push(
        parsed.at(['sealedSecrets', 'certificate'], `file ${cluster.spec.sealedSecrets.certificate} does not exist ` +
          '(expected the PEM certificate printed by kubeseal --fetch-cert, path relative to the repository root)'),
      );
    }
    clusters.set(cluster.name, cluster);
  }

  const deployments: Deployment[] = [];
  const namespaces = new Map<string, string>();
  for (const [file, text] of readAll(root, await listYaml(root, 'deployments', errors))) {
    const parsed = parseFile(file, text, DeploymentSchema, errors);
    if (!parsed) continue;
    const name = baseName(file);
    const spec = parsed.value;
    const cluster = clusters.get(spec.cluster);
    if (!cluster) {
      const known = [...clusters.keys()].join(', ') || 'none';
      errors.push(parsed.at(['cluster'], `no cluster file clusters/${spec.cluster}.yaml (known clusters: ${known})`));
      continue;
    }
    const namespace = spec.namespace ?? `redis-${name}`;
    const key = `${cluster.name}/${namespace}`;
    const owner = namespaces.get(key);
    if (owner) {
      errors.push(parsed.at(['namespace'], `namespace ${namespace} on cluster ${cluster.name} is already used by ${owner}`));
      continue;
    }
    namespaces.set(key, file);
    deployments.push({ name, file, namespace, spec, cluster });
  }

  if (errors.length) throw new InputErrors(errors.sort(byPosition));
  return { clusters: [...clusters.values()], deployments };
}

function byPosition(a: InputError, b: InputError): number {
  return a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}

async function listYaml(root: string, folder: string, errors: InputError[]): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(path.join(root, folder));
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const name of names.sort()) {
    if (!/\.ya?ml$/.test(name)) continue;
    if (!fileName.test(name)) {
      errors.push({
        file: `${folder}/${name}`,
        field: '',
        message: 'the file name is the resource name: use a DNS label (lower-case letters, digits, -) with .yaml',
      });
      continue;
    }
    files.push(`${folder}/${name}`);
  }
  return files;
}

function baseName(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/, '');
}

interface Parsed<T> {
  value: T;
  /** An error at a field of this file, located at its line when the field is present. */
  at(fieldPath: PropertyKey[], message: string): InputError;
}

/** The texts of `files` (relative to `root`), in order. Synchronously: a fleet's are many and small. */
function readAll(root: string, files: string[]): [string, string][] {
  return files.map((file) => [file, readFileSync(path.join(root, file), 'utf8')]);
}

function parseFile<S extends z.ZodType>(file: string, text: string, schema: S, errors: InputError[]): Parsed<z.output<S>> | undefined {
  // Most files are valid: read them fast, and with positions only when a message needs one.
  const quick = quickLoadAll(text);
  if (quick?.length === 1) {
    const result = schema.safeParse(quick[0] ?? {});
    if (result.success) {
      let located: ReturnType<typeof locator> | undefined;
      return { value: result.data as z.output<S>, at: (fieldPath, message) => (located ??= locator(file, text))(fieldPath, message) };
    }
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(docs) || docs.length !== 1) {
    errors.push({ file, field: '', message: 'expected exactly one YAML document' });
    return undefined;
  }
  const doc = docs[0]!;
  if (doc.errors.length) {
    for (const e of doc.errors) {
      const pos = lineCounter.linePos(e.pos[0]);
      errors.push({ file, field: '', line: pos.line, column: pos.col, message: `invalid YAML: ${e.message.split('\n')[0]}` });
    }
    return undefined;
  }
  const at = locator(file, text, doc, lineCounter);
  const result = schema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) errors.push(at([...issue.path, key], 'unknown field (check the spelling; see schemas/)'));
      } else {
        errors.push(at(issue.path, describeIssue(issue)));
      }
    }
    return undefined;
  }
  return { value: result.data as z.output<S>, at };
}

/** An error maker that names the line and column of a field of `file` (parsing `text` unless given the document). */
function locator(file: string, text: string, doc?: Document, lineCounter = new LineCounter()) {
  const parsed = doc ?? parseAllDocuments(text, { lineCounter, prettyErrors: false })[0];
  return (fieldPath: PropertyKey[], message: string): InputError => ({
    file,
    field: formatPath(fieldPath),
    ...(parsed ? locate(parsed, lineCounter, fieldPath) : {}),
    message,
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return `required field is missing (expected ${issue.expected})`;
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message;
}

function formatPath(fieldPath: PropertyKey[]): string {
  return fieldPath
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

/** Line and column of the deepest node of `fieldPath` present in the document. */
function locate(doc: Document, lineCounter: LineCounter, fieldPath: PropertyKey[]): { line?: number; column?: number } {
  for (let depth = fieldPath.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(fieldPath.slice(0, depth) as unknown[], true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) {
      // For a missing or unknown key, point at the key itself where the document has it.
      const { line, col } = lineCounter.linePos(keyOffset(doc, fieldPath.slice(0, depth)) ?? range[0]);
      return { line, column: col };
    }
  }
  return {};
}

function keyOffset(doc: Document, fieldPath: PropertyKey[]): number | undefined {
  if (fieldPath.length === 0) return undefined;
  const parent = fieldPath.length === 1 ? doc.contents : doc.getIn(fieldPath.slice(0, -1) as unknown[], true);
  const items = (parent as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | null)?.items;
  const last = fieldPath[fieldPath.length - 1];
  return items?.find((pair) => pair.key?.value === last)?.key?.range?.[0];
}
