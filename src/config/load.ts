import { isUtf8 } from 'node:buffer';
import { existsSync, readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { z } from 'zod';
import { ClusterSchema, DeploymentSchema, type ClusterSpec, type DeploymentSpec } from './schema.js';
import { InputErrors, type InputError } from './errors.js';
import { quickLoadAll } from '../quick-yaml.js';
import { clusterScopedApplicationName, deploymentApplicationName } from '../../model/argocd.js';
import { DNS_LABEL_MAX, DNS_SUBDOMAIN_MAX, isSystemNamespace, STATEFULSET_NAME_MAX } from '../../model/kubernetes-names.js';
import { secretNames } from '../../model/secrets.js';
import { members, objectNames, portalServiceName } from '../../model/topology.js';
import { parseSealingCertificate } from './sealing-certificate.js';
import { ParsedFileCache } from './parse-cache.js';

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

export interface LoadOptions {
  /** The time certificates must be valid at; default now. */
  now?: Date;
  /**
   * `<cluster>/<deployment>` of the deployments the previous output holds: where two deployments
   * claim one namespace, the one not there yet is the one that introduced the clash, and is blamed.
   */
  existing?: ReadonlySet<string>;
  /** Deployment files' parsed, validated values from earlier runs, by stat signature (see parse-cache.ts). */
  cache?: ParsedFileCache;
  /**
   * The deployment files to read (repository paths), instead of every file of deployments/: for a
   * synth that knows the others are as it found them before (see synth/fleet-record.ts). Checks
   * across deployments (a namespace claimed twice) are then among these alone.
   */
  only?: readonly string[];
}

const fileName = /^[a-z]([-a-z0-9]*[a-z0-9])?\.ya?ml$/;

/**
 * Reads and validates clusters/*.yaml and deployments/*.yaml under `root`. Every mistake of every file
 * is collected before failing, so a user fixes them in one round.
 */
export async function loadInputs(root: string, { now = new Date(), existing = new Set(), cache, only }: LoadOptions = {}): Promise<Inputs> {
  const errors: InputError[] = [];
  const clusters = new Map<string, Cluster>();
  // Clusters whose file has errors of its own: their deployments are not blamed for naming them.
  const unreadClusters = new Set<string>();
  const clusterFiles = readAll(root, await listYaml(root, 'clusters', errors), errors);
  for (const [file, text] of clusterFiles) {
    const parsed = parseFile(file, text, ClusterSchema, errors);
    if (!parsed) {
      unreadClusters.add(baseName(file));
      continue;
    }
    const cluster: Cluster = { name: baseName(file), file, spec: parsed.value };
    const certificate = path.join(root, cluster.spec.sealedSecrets.certificate);
    if (path.relative(root, certificate).split(path.sep)[0] === '..') {
      // A CI checkout or a colleague's clone has only the repository: synth must give the same output there.
      errors.push(parsed.at(['sealedSecrets', 'certificate'], `${cluster.spec.sealedSecrets.certificate} is outside the repository (expected a path relative to the repository root, inside it)`));
    } else if (!existsSync(certificate) || !statSync(certificate).isFile()) {
      errors.push(
        parsed.at(['sealedSecrets', 'certificate'], `file ${cluster.spec.sealedSecrets.certificate} does not exist ` +
          '(expected the PEM certificate printed by kubeseal --fetch-cert, path relative to the repository root)'),
      );
    } else {
      const checked = parseSealingCertificate(readFileSync(certificate, 'latin1'), now);
      if ('problem' in checked) errors.push(parsed.at(['sealedSecrets', 'certificate'], `${cluster.spec.sealedSecrets.certificate}: ${checked.problem}`));
    }
    clusters.set(cluster.name, cluster);
  }

  const deployments: Deployment[] = [];
  const namespaces = new Map<string, { file: string; key: string; at: Parsed<unknown>['at'] }>();
  for (const [file, parsed] of parseDeployments(root, only ? [...only] : await listYaml(root, 'deployments', errors), errors, cache)) {
    const name = baseName(file);
    const cluster = clusters.get(parsed.cluster);
    if (!cluster) {
      if (unreadClusters.has(parsed.cluster)) continue;
      const known = [...clusters.keys()].join(', ') || 'none';
      errors.push(parsed.at(['cluster'], `no cluster file clusters/${parsed.cluster}.yaml (known clusters: ${known})`));
      continue;
    }
    const namespace = parsed.namespace ?? `redis-${name}`;
    const refused = [...derivedNameProblems(cluster, name, parsed.namespace === undefined), ...clusterNamespaceProblems(cluster, namespace)];
    if (refused.length) {
      for (const [field, message] of refused) errors.push(field === undefined ? { file, field: '', message } : parsed.at(field, message));
      continue;
    }
    const key = `${cluster.name}/${namespace}`;
    const owner = namespaces.get(key);
    if (owner) {
      const used = (by: string) => `namespace ${namespace} on cluster ${cluster.name} is already used by ${by}`;
      const ownerIsNew = !existing.has(owner.key) && existing.has(`${cluster.name}/${name}`);
      errors.push(ownerIsNew ? owner.at(['namespace'], used(file)) : parsed.at(['namespace'], used(owner.file)));
      continue;
    }
    namespaces.set(key, { file, key: `${cluster.name}/${name}`, at: parsed.at });
    deployments.push(deploymentOf({ name, file, namespace, cluster }, parsed));
  }

  if (errors.length) throw new InputErrors(errors.sort(byPosition));
  return { clusters: [...clusters.values()], deployments };
}

type Problem = [field: PropertyKey[] | undefined, message: string];

/**
 * What Kubernetes or Argo CD would refuse among the names derived from a deployment's name (its file
 * name), found from the model's own name functions: too long for their kind, or taken by the cluster.
 */
function derivedNameProblems(cluster: Cluster, name: string, defaultNamespace: boolean): Problem[] {
  const problems: Problem[] = [];
  const names = objectNames(name);
  const secrets = secretNames(name);
  const limited: [kind: string, derived: string, max: number, why: string][] = [
    ...members.map((m): [string, string, number, string] => ['StatefulSet', names.member(m.name), STATEFULSET_NAME_MAX, "its pods are labelled controller-revision-hash: <name>-<hash>, a label value of at most 63 characters"]),
    ...[names.members, names.portal, names.ca, portalServiceName({ deployment: name, namespace: '' })].map((n): [string, string, number, string] => ['Service or ConfigMap', n, DNS_LABEL_MAX, 'a DNS label']),
    ...[secrets.tls, secrets.auth].map((n): [string, string, number, string] => ['Secret', n, DNS_SUBDOMAIN_MAX, 'a DNS subdomain']),
    ...(defaultNamespace ? [['Namespace (the default redis-<name>)', `redis-${name}`, DNS_LABEL_MAX, 'a DNS label'] as [string, string, number, string]] : []),
  ];
  const worst = limited.reduce((a, b) => (b[1].length - b[2] > a[1].length - a[2] ? b : a));
  const excess = worst[1].length - worst[2];
  if (excess > 0) {
    problems.push([
      undefined,
      `the file name is the deployment's name, and makes the ${worst[0]} name ${worst[1]} (${worst[1].length} characters): ` +
        `Kubernetes allows at most ${worst[2]} (${worst[3]}); use a file name of at most ${name.length - excess} characters`,
    ]);
  }
  const application = deploymentApplicationName(cluster.name, name);
  if (application === clusterScopedApplicationName(cluster.name)) {
    problems.push([undefined, `the deployment's Argo CD Application would be ${application}, the name of the Application of the cluster's own cluster-scoped objects: choose another file name`]);
  }
  return problems;
}

/** A deployment namespace that the cluster file gives to Argo CD, Sealed Secrets or Prometheus, or that is the cluster's own. */
function clusterNamespaceProblems(cluster: Cluster, namespace: string): Problem[] {
  const taken: [string, string][] = [
    [cluster.spec.argocd.namespace, 'argocd.namespace: Argo CD runs there'],
    [cluster.spec.sealedSecrets.controllerNamespace, 'sealedSecrets.controllerNamespace: the Sealed Secrets controller runs there'],
    [cluster.spec.monitoring.namespace, 'monitoring.namespace: Prometheus runs there'],
  ];
  const owner = taken.find(([ns]) => ns === namespace);
  const restricted = 'a deployment namespace gets a restricted pod-security label and a deny-all NetworkPolicy';
  if (owner) return [[['namespace'], `namespace ${namespace} is the cluster's own (${cluster.file} ${owner[1]}), and ${restricted}: choose the deployment's own`]];
  if (isSystemNamespace(namespace)) return [[['namespace'], `namespace ${namespace} is the cluster's own (default, kube-*), and ${restricted}: choose the deployment's own`]];
  return [];
}

function byPosition(a: InputError, b: InputError): number {
  return a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}

/**
 * The YAML files directly in `folder`, by their repository-relative path. Refused, each naming the
 * file: a name that is not a DNS label, two files of one name (x.yaml and x.yml), a symbolic link to
 * a folder or to nothing, and a subfolder holding YAML files (only files directly in the folder are
 * read: a file moved into a subfolder would be dropped silently, and its state deleted).
 */
async function listYaml(root: string, folder: string, errors: InputError[]): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(path.join(root, folder), { withFileTypes: true });
  } catch {
    return [];
  }
  const files: string[] = [];
  const byName = new Map<string, string[]>();
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const file = `${folder}/${entry.name}`;
    const full = path.join(root, file);
    let kind: 'file' | 'folder' | 'dangling' | 'other';
    // The listing knows the type of all but links (and of all on most file systems): a fleet's
    // thousands of files are not stat'ed twice (the synth cache stats each deployment file).
    if (entry.isFile()) kind = 'file';
    else if (entry.isDirectory()) kind = 'folder';
    else {
      try {
        const stat = statSync(full);
        kind = stat.isFile() ? 'file' : stat.isDirectory() ? 'folder' : 'other';
      } catch {
        kind = 'dangling';
      }
    }
    if (kind === 'folder') {
      if (entry.name.startsWith('.')) continue;
      const nested = yamlFilesUnder(full);
      const link = entry.isSymbolicLink() ? 'a symbolic link to a folder' : 'a folder';
      if (!nested.length && /\.ya?ml$/.test(entry.name)) {
        // Named like a file: where orders.yaml was one, synth would remove the deployment orders.
        errors.push({ file, field: '', message: `${link}, not a file: ${folder}/ holds one file per ${folder === 'clusters' ? 'cluster' : 'deployment'}` });
      } else if (nested.length) {
        errors.push({
          file: `${file}/`,
          field: '',
          message: `${link} holding ${nested.map((f) => `${file}/${f}`).join(', ')}: only files directly in ${folder}/ are read (the file name is the ${folder === 'clusters' ? 'cluster' : 'deployment'}'s name); move them to ${folder}/ or out of it`,
        });
      }
      continue;
    }
    if (!/\.ya?ml$/.test(entry.name)) continue;
    if (kind === 'dangling') {
      errors.push({ file, field: '', message: 'a symbolic link to nothing (its target does not exist)' });
      continue;
    }
    if (kind !== 'file') {
      errors.push({ file, field: '', message: 'not a regular file' });
      continue;
    }
    if (!fileName.test(entry.name)) {
      errors.push({
        file,
        field: '',
        message: 'the file name is the resource name: use a DNS label (lower-case letters, digits, -) with .yaml',
      });
      continue;
    }
    const name = baseName(file);
    byName.set(name, [...(byName.get(name) ?? []), file]);
  }
  for (const [name, named] of byName) {
    if (named.length === 1) {
      files.push(named[0]!);
      continue;
    }
    for (const file of named) {
      const others = named.filter((f) => f !== file).join(', ');
      errors.push({ file, field: '', message: `${name} is also declared by ${others}: the file name is the name, keep one file` });
    }
  }
  return files.sort();
}

/** The YAML files under `dir`, relative to it (a subfolder that would be dropped). */
function yamlFilesUnder(dir: string): string[] {
  try {
    return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch {
    return [];
  }
}

function baseName(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/, '');
}

interface Parsed<T> {
  value: T;
  /** An error at a field of this file, located at its line when the field is present. */
  at(fieldPath: PropertyKey[], message: string): InputError;
}

/**
 * A deployment file's validated value: what loading checks across deployments (its cluster and
 * namespace), and its spec, parsed from the cache's text only when first asked for.
 */
interface ParsedDeployment {
  cluster: string;
  namespace: string | undefined;
  spec: () => DeploymentSpec;
  /** JSON.stringify of the spec, when the cache gave it. */
  specJson?: string;
  /** The file's stat signature, when the cache gave the spec: the same signature, the same spec. */
  signature?: string;
  at: Parsed<unknown>['at'];
}

/**
 * What the synth cache keeps of a deployment file: `<cluster>\t<namespace or nothing>\t<JSON.stringify(spec)>`,
 * one text (a cluster's and a namespace's names hold no tab, JSON text no line break) that the cache
 * keeps as it is: reading 10,000 back splits them, where JSON.parse of the spec as a string took ~60 ms.
 */
function cachedDeployment(cluster: string, namespace: string | undefined, specJson: string): string {
  return `${cluster}\t${namespace ?? ''}\t${specJson}`;
}

/** The parts of a cachedDeployment text, or undefined when `value` is none. */
function fromCache(value: unknown): [cluster: string, namespace: string | undefined, specJson: string] | undefined {
  if (typeof value !== 'string') return undefined;
  const first = value.indexOf('\t');
  const second = value.indexOf('\t', first + 1);
  if (first < 1 || second < 0) return undefined;
  return [value.slice(0, first), value.slice(first + 1, second) || undefined, value.slice(second + 1)];
}

/** The spec texts the cache gave, by the deployment read with them (a copy of one is not among them). */
const specTexts = new WeakMap<Deployment, string>();

/** JSON.stringify(deployment.spec): as the cache kept it, when it did, without parsing the spec. */
export function specText(deployment: Deployment): string {
  return specTexts.get(deployment) ?? JSON.stringify(deployment.spec);
}

/** The stat signatures of the deployment files the cache gave the spec of, by the deployment read from them. */
const fileSignatures = new WeakMap<Deployment, string>();

/**
 * The stat signature of the file `deployment` was read from, when the synth cache gave its spec:
 * whatever was worked out from the spec then is the same while the file's signature is.
 */
export function cachedSignature(deployment: Deployment): string | undefined {
  return fileSignatures.get(deployment);
}

/**
 * A Deployment of `parsed`. One whose spec the cache gave as text parses it only when first read (a
 * synth after one change reads no other deployment's spec); the getter is its own, enumerable
 * property, so a copy or a render thread's clone gets the spec itself.
 */
function deploymentOf({ name, file, namespace, cluster }: Omit<Deployment, 'spec'>, parsed: ParsedDeployment): Deployment {
  if (parsed.specJson === undefined) return { name, file, namespace, spec: parsed.spec(), cluster };
  const deployment: Deployment = {
    name,
    file,
    namespace,
    get spec() {
      return parsed.spec();
    },
    cluster,
  };
  specTexts.set(deployment, parsed.specJson);
  if (parsed.signature) fileSignatures.set(deployment, parsed.signature);
  return deployment;
}

/**
 * Each deployment file of `files` that parses and validates, with its value, in order. A file whose
 * stat signature is the one `cache` recorded is not read: its value is the one recorded then (a file
 * of another signature, or not recorded, is read and checked, and recorded).
 */
function parseDeployments(root: string, files: string[], errors: InputError[], cache: ParsedFileCache | undefined): [string, ParsedDeployment][] {
  const parsed: [string, ParsedDeployment][] = [];
  for (const file of files) {
    const full = path.join(root, file);
    const signature = cache?.signature(file, full);
    const value = signature && cache!.get(file, signature.signature);
    const known = fromCache(value);
    if (signature && known) {
      let located: ReturnType<typeof locator> | undefined;
      let spec: DeploymentSpec | undefined;
      parsed.push([file, {
        cluster: known[0],
        namespace: known[1],
        spec: () => (spec ??= JSON.parse(known[2]) as DeploymentSpec),
        specJson: known[2],
        signature: signature.signature,
        at: (fieldPath, message) => (located ??= locator(file, readFileSync(full, 'utf8')))(fieldPath, message),
      }]);
      cache!.put(file, signature, value);
      continue;
    }
    for (const [, text] of readAll(root, [file], errors)) {
      const value = parseFile(file, text, DeploymentSchema, errors);
      if (!value) continue;
      const spec = value.value;
      parsed.push([file, { cluster: spec.cluster, namespace: spec.namespace, spec: () => spec, at: value.at }]);
      if (signature) cache!.put(file, signature, cachedDeployment(spec.cluster, spec.namespace, JSON.stringify(spec)));
    }
  }
  return parsed;
}

/**
 * The texts of `files` (relative to `root`), in order; a file that is not UTF-8 is an error at its
 * first invalid byte (decoding it would turn the byte into U+FFFD and carry on). Synchronously: a
 * fleet's files are many and small.
 */
function readAll(root: string, files: string[], errors: InputError[]): [string, string][] {
  const texts: [string, string][] = [];
  for (const file of files) {
    const bytes = readFileSync(path.join(root, file));
    if (isUtf8(bytes)) {
      texts.push([file, bytes.toString('utf8')]);
      continue;
    }
    const offset = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, offset);
    const line = before.filter((b) => b === 0x0a).length + 1;
    const column = offset - before.lastIndexOf(0x0a);
    errors.push({ file, field: '', line, column, message: `not valid UTF-8 (byte 0x${bytes[offset]!.toString(16).padStart(2, '0')} at offset ${offset}): save the file as UTF-8` });
  }
  return texts;
}

/** The offset of the first byte of `bytes` that does not belong to a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Buffer): number {
  let offset = 0;
  for (const char of bytes.toString('utf8')) {
    const size = Buffer.byteLength(char);
    // U+FFFD is either in the file (EF BF BD) or stands for the bytes that were not UTF-8.
    if (char === '\uFFFD' && !(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) return offset;
    offset += size;
  }
  return offset;
}

function parseFile<S extends z.ZodType>(file: string, text: string, schema: S, errors: InputError[]): Parsed<z.output<S>> | undefined {
  // Most files are valid: read them fast, and with positions only when a message needs one.
  const quick = quickLoadAll(text);
  if (quick?.length === 1) {
    const result = schema.safeParse(quick[0] ?? {});
    if (result.success) {
      let located: ReturnType<typeof locator> | undefined;
      const at = (fieldPath: PropertyKey[], message: string) => (located ??= locator(file, text))(fieldPath, message);
      return checkedValues({ value: result.data as z.output<S>, at }, errors);
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
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    // Too many aliases (a "billion laughs" file) and the like.
    errors.push({ file, field: '', message: `invalid YAML: ${(error as Error).message}` });
    return undefined;
  }
  const result = schema.safeParse(raw ?? {});
  if (!result.success) {
    // One bound per field, the field's own (declared after zod's): a number past 2^53 breaks both
    // zod's safe-integer bound and, say, `at most 1000`.
    const bounds = new Map<string, z.core.$ZodIssue>();
    const boundKey = (issue: z.core.$ZodIssue) => (issue.code === 'too_big' || issue.code === 'too_small' ? `${issue.code}:${JSON.stringify(issue.path)}` : undefined);
    for (const issue of result.error.issues) if (boundKey(issue)) bounds.set(boundKey(issue)!, issue);
    for (const issue of result.error.issues) {
      if (boundKey(issue) && bounds.get(boundKey(issue)!) !== issue) continue;
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) errors.push(at([...issue.path, key], 'unknown field (check the spelling; see schemas/)'));
      } else {
        errors.push(at(issue.path, describeIssue(issue, valueAt(raw, issue.path))));
      }
    }
    return undefined;
  }
  return checkedValues({ value: result.data as z.output<S>, at }, errors);
}

/**
 * Refuses, in every string of a valid file, what no field can mean: control characters (a line break
 * in a zone name reached the generated README.md) and the placeholders of the documentation
 * (`crn:v1:...`, `clusters/<cluster>.sealing-cert.pem`).
 */
function checkedValues<T>(parsed: Parsed<T>, errors: InputError[]): Parsed<T> | undefined {
  const found: InputError[] = [];
  const walk = (value: unknown, at: PropertyKey[]) => {
    if (typeof value === 'string') {
      const control = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.exec(value);
      if (control) {
        const code = control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
        found.push(parsed.at(at, `contains a control character (U+${code}${control[0] === '\n' ? ', a line break' : ''}); values are single lines of text`));
      } else if (/\.\.\.|\u2026|<[^<>]*>/.test(value)) {
        found.push(parsed.at(at, `${JSON.stringify(value)} looks like a placeholder of the documentation (... or <...>): put the real value`));
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, [...at, i]));
    } else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) walk(item, [...at, key]);
    }
  };
  walk(parsed.value, []);
  errors.push(...found);
  return found.length ? undefined : parsed;
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

/** The value at `fieldPath` of a parsed document. */
function valueAt(value: unknown, fieldPath: PropertyKey[]): unknown {
  return fieldPath.reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined), value);
}

/** zod's type names in YAML's words. */
function expectedType(expected: string): string {
  return ({ array: 'a list', object: 'a mapping', string: 'a string', number: 'a number', int: 'a whole number', boolean: 'true or false' } as Record<string, string>)[expected] ?? expected;
}

/** A value as YAML wrote it, in words: what a user sees in the file. */
function describeValue(value: unknown): string {
  if (value === null) return 'an empty value (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `the ${typeof value} ${String(value)}`;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  // `version: 7.2` unquoted is the number 7.2 to YAML (and 7.0 the number 7).
  if (issue.code === 'invalid_type' && issue.expected === 'string' && typeof input === 'number') return `expected a string, in quotes: unquoted, YAML reads ${input} as a number`;
  // zod leaves the input out of its issues: `input` is what the file holds there (undefined when absent).
  if (issue.code === 'invalid_type' && input === undefined) return `required field is missing (expected ${expectedType(issue.expected)})`;
  if (issue.code === 'invalid_type') return `expected ${expectedType(issue.expected)}, found ${describeValue(input)}`;
  if (issue.code === 'invalid_value') {
    const choices = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    // `version: 7.2` unquoted is the number 7.2 to YAML (and 7.0 the number 7).
    if (typeof input === 'number' && issue.values.every((v) => typeof v === 'string')) {
      return `${choices}, in quotes: unquoted, YAML reads ${input} as a number`;
    }
    return choices;
  }
  // zod's own wording of a bound ("Too small: expected string to have >=1 characters"); a bound with a message of its own keeps it.
  if ((issue.code === 'too_small' || issue.code === 'too_big') && /^Too (small|big)/.test(issue.message)) {
    const small = issue.code === 'too_small';
    const bound = Number(small ? issue.minimum : issue.maximum);
    if (issue.origin === 'string' && small && bound === 1) return 'must not be empty';
    const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' entries' : '';
    const exclusive = issue.inclusive === false;
    return `expected ${small ? (exclusive ? 'more than' : 'at least') : exclusive ? 'less than' : 'at most'} ${bound}${unit}`;
  }
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
