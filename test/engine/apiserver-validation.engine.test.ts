import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pMap from 'p-map';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServerFinding, apiServerFindings, isDNS1123Subdomain } from '../../src/gate/apiserver-validation.js';
import { missingBinaries } from './binaries.js';
import { type ControlPlane, startControlPlane } from './control-plane.js';
import { Kube, KubeError, until } from './kube.js';
import { stopPrograms } from './processes.js';

/**
 * The gate's port of the API server's validation (src/gate/apiserver-validation.ts), against the real
 * kube-apiserver v1.28.15: every object of a corpus, hand-written edge cases and objects a seeded
 * generator mutates, is created with ?dryRun=All (validated and admitted, never stored) and the
 * server's answer compared with apiServerFindings(object). For a StatefulSet, whose pod template the
 * API server does not validate, the Pods its controller would create are built as the controller
 * builds them and created the same way, and compared with the findings that carry `pod`.
 *
 * The comparison is restricted to the fields the port covers (names, labels and annotations, and the
 * names inside pod specs); a refusal of any other field means the corpus made an object that is wrong
 * in some other way, and fails the test as a bug of the corpus. Within those fields, the server's
 * causes (field and message) and the gate's findings must be the same multiset: accepted ⇔ no finding.
 *
 * Disagreements are all reported at once, each with its case id (hand/<group>#<n>, or gen/<kind>#<n>
 * for the seed printed), the server's causes and the gate's findings. APISERVER_DIFF_SEED=<n> runs the
 * generator with another seed, APISERVER_DIFF_COUNT=<x> scales how many objects it makes, and
 * APISERVER_DIFF_SHOW=<n> how many disagreements are printed (40).
 */

type Obj = Record<string, any>;

const NAMESPACE = 'corpus';
const SEED = Number(process.env.APISERVER_DIFF_SEED ?? 0x2815c0de) >>> 0;
const COUNT = Number(process.env.APISERVER_DIFF_COUNT ?? 1);
const CONCURRENCY = 8;
/** The controller-revision-hash the pods carry: the longest hash ControllerRevisionName appends (10 characters). */
const REVISION_HASH = '5678901234';
const OWNER_UID = '00000000-0000-4000-8000-000000002815';

// ---------------------------------------------------------------------------------------------
// Dry-run creation.

interface Cause {
  field: string;
  message: string;
}

/** What the API server answered a create: its status, and its body decoded (the object, or a Status). */
interface Answer {
  status: number;
  body: Obj;
}

const collections: Record<string, { base: string; plural: string; namespaced: boolean }> = {
  'v1/Namespace': { base: '/api/v1', plural: 'namespaces', namespaced: false },
  'v1/Pod': { base: '/api/v1', plural: 'pods', namespaced: true },
  'v1/Service': { base: '/api/v1', plural: 'services', namespaced: true },
  'v1/ConfigMap': { base: '/api/v1', plural: 'configmaps', namespaced: true },
  'v1/Secret': { base: '/api/v1', plural: 'secrets', namespaced: true },
  'v1/ServiceAccount': { base: '/api/v1', plural: 'serviceaccounts', namespaced: true },
  'v1/PersistentVolumeClaim': { base: '/api/v1', plural: 'persistentvolumeclaims', namespaced: true },
  'v1/PersistentVolume': { base: '/api/v1', plural: 'persistentvolumes', namespaced: false },
  'v1/Endpoints': { base: '/api/v1', plural: 'endpoints', namespaced: true },
  'v1/ReplicationController': { base: '/api/v1', plural: 'replicationcontrollers', namespaced: true },
  'v1/LimitRange': { base: '/api/v1', plural: 'limitranges', namespaced: true },
  'v1/ResourceQuota': { base: '/api/v1', plural: 'resourcequotas', namespaced: true },
  'apps/v1/StatefulSet': { base: '/apis/apps/v1', plural: 'statefulsets', namespaced: true },
  'apps/v1/Deployment': { base: '/apis/apps/v1', plural: 'deployments', namespaced: true },
  'apps/v1/ReplicaSet': { base: '/apis/apps/v1', plural: 'replicasets', namespaced: true },
  'apps/v1/DaemonSet': { base: '/apis/apps/v1', plural: 'daemonsets', namespaced: true },
  'apps/v1/ControllerRevision': { base: '/apis/apps/v1', plural: 'controllerrevisions', namespaced: true },
  'batch/v1/Job': { base: '/apis/batch/v1', plural: 'jobs', namespaced: true },
  'batch/v1/CronJob': { base: '/apis/batch/v1', plural: 'cronjobs', namespaced: true },
  'autoscaling/v2/HorizontalPodAutoscaler': { base: '/apis/autoscaling/v2', plural: 'horizontalpodautoscalers', namespaced: true },
  'networking.k8s.io/v1/NetworkPolicy': { base: '/apis/networking.k8s.io/v1', plural: 'networkpolicies', namespaced: true },
  'networking.k8s.io/v1/Ingress': { base: '/apis/networking.k8s.io/v1', plural: 'ingresses', namespaced: true },
  'storage.k8s.io/v1/StorageClass': { base: '/apis/storage.k8s.io/v1', plural: 'storageclasses', namespaced: false },
  'scheduling.k8s.io/v1/PriorityClass': { base: '/apis/scheduling.k8s.io/v1', plural: 'priorityclasses', namespaced: false },
  'coordination.k8s.io/v1/Lease': { base: '/apis/coordination.k8s.io/v1', plural: 'leases', namespaced: true },
  'policy/v1/PodDisruptionBudget': { base: '/apis/policy/v1', plural: 'poddisruptionbudgets', namespaced: true },
  'rbac.authorization.k8s.io/v1/Role': { base: '/apis/rbac.authorization.k8s.io/v1', plural: 'roles', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRole': { base: '/apis/rbac.authorization.k8s.io/v1', plural: 'clusterroles', namespaced: false },
  'rbac.authorization.k8s.io/v1/RoleBinding': { base: '/apis/rbac.authorization.k8s.io/v1', plural: 'rolebindings', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { base: '/apis/rbac.authorization.k8s.io/v1', plural: 'clusterrolebindings', namespaced: false },
};

/** Dry-run creates with their whole answer (a refusal's Status, whose details.causes name each field), CONCURRENCY at a time. */
class DryRun {
  private readonly kube: Kube;
  constructor(cp: ControlPlane) {
    this.kube = new Kube(cp.server, cp.token, readFileSync(cp.caFile, 'utf8'), { maxSockets: CONCURRENCY });
  }

  /** POST the object to its collection with ?dryRun=All; the status and the decoded body (a Status when refused). */
  async create(object: Obj): Promise<Answer> {
    const collection = collections[`${object.apiVersion}/${object.kind}`];
    if (!collection) throw new Error(`no collection known for ${object.apiVersion} ${object.kind}`);
    const url = `${collection.base}${collection.namespaced ? `/namespaces/${NAMESPACE}` : ''}/${collection.plural}?dryRun=All`;
    try {
      return { status: 201, body: (await this.kube.create(url, object)) as unknown as Obj };
    } catch (e) {
      if (!(e instanceof KubeError)) throw e;
      return { status: e.status, body: (e.body ?? { message: e.message }) as Obj };
    }
  }

  close(): void {
    this.kube.close();
  }
}

/** The causes of a refusal ([] when accepted); a string when the answer is neither (not a validation refusal). */
function causesOf(answer: Answer): Cause[] | string {
  if (answer.status >= 200 && answer.status < 300) return [];
  if (answer.status === 422 && answer.body.reason === 'Invalid') {
    const causes = (answer.body.details?.causes ?? []) as { field?: string; message?: string }[];
    if (causes.length > 0) return causes.map((c) => ({ field: c.field ?? '', message: c.message ?? '' }));
    // No causes: read them from "<Kind> "<name>" is invalid: <field>: <message>" (one error) or "[a, b]".
    const text = String(answer.body.message ?? '');
    const list = /is invalid: \[(.*)\]$/s.exec(text)?.[1] ?? /is invalid: (.*)$/s.exec(text)?.[1];
    if (list) {
      return list.split(/, (?=[a-zA-Z.[\]0-9]+: )/).map((e) => {
        const at = e.indexOf(': ');
        return { field: e.slice(0, at), message: e.slice(at + 2) };
      });
    }
  }
  return `HTTP ${answer.status} ${answer.body.reason ?? ''}: ${answer.body.message ?? JSON.stringify(answer.body)}`;
}

// ---------------------------------------------------------------------------------------------
// What the port covers: the fields its findings name. A cause at any other field is a bug of the corpus.

const coveredFields = [
  /^metadata\.(name|generateName|labels|annotations)$/,
  /^spec\.(jobTemplate\.spec\.)?template\.(labels|annotations)$/,
  /(^|\.)(containers|initContainers)\[\d+\]\.(name|ports\[\d+\]\.name|volumeMounts\[\d+\]\.name)$/,
  /(^|\.)volumes\[\d+\]\.name$/,
];
/** A StatefulSet's pods: their hostname and subdomain come from the StatefulSet's name and serviceName. */
const coveredPodFields = [...coveredFields, /^spec\.(hostname|subdomain)$/];
const covers = (patterns: RegExp[], field: string) => patterns.some((p) => p.test(field));

const line = (c: Cause) => `${c.field}: ${c.message}`;

/** Multiset difference: what is in `a` and not in `b`, with multiplicity. */
function minus(a: string[], b: string[]): string[] {
  const left = new Map<string, number>();
  for (const x of b) left.set(x, (left.get(x) ?? 0) + 1);
  const out: string[] = [];
  for (const x of a) {
    const n = left.get(x) ?? 0;
    if (n > 0) left.set(x, n - 1);
    else out.push(x);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The Pods a StatefulSet's controller creates (k8s.io/kubernetes v1.28.15 pkg/controller/statefulset
// stateful_set_utils.go newVersionedStatefulSetPod: GetPodFromTemplate, initIdentity, updateStorage,
// setPodRevision; PodIndexLabel is on by default in 1.28).

// On characters where Go cuts bytes: they differ only for a name that is not ASCII, which is refused,
// and then the pods' names are not compared.
const maskTrailingDash = (name: string) => (name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name);

function statefulSetPod(sts: Obj, name: string, ordinal: number): Obj {
  const spec = sts.spec ?? {};
  const template = spec.template ?? {};
  const templateMeta = template.metadata ?? {};
  const podName = `${name}-${ordinal}`;
  // controller_utils.go getPodsPrefix: "<name>-" where that is a valid generateName of a Pod.
  const prefix = isDNS1123Subdomain(maskTrailingDash(`${name}-`)).length === 0 ? `${name}-` : name;
  const claims = new Map<string, Obj>();
  for (const claim of (spec.volumeClaimTemplates ?? []) as Obj[]) {
    const claimName = String(claim.metadata?.name ?? '');
    claims.set(claimName, { name: claimName, persistentVolumeClaim: { claimName: `${claimName}-${name}-${ordinal}` } });
  }
  const volumes = [...claims.values(), ...((template.spec?.volumes ?? []) as Obj[]).filter((v) => !claims.has(String(v.name ?? '')))];
  const metadata: Obj = {
    name: podName,
    generateName: prefix,
    namespace: NAMESPACE,
    labels: { ...templateMeta.labels, 'statefulset.kubernetes.io/pod-name': podName, 'apps.kubernetes.io/pod-index': String(ordinal), 'controller-revision-hash': `${name}-${REVISION_HASH}` },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name, uid: OWNER_UID, controller: true, blockOwnerDeletion: true }],
  };
  if (templateMeta.annotations) metadata.annotations = templateMeta.annotations;
  const podSpec: Obj = { ...template.spec, hostname: podName, volumes };
  if (spec.serviceName) podSpec.subdomain = spec.serviceName;
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: podSpec };
}

// ---------------------------------------------------------------------------------------------
// The comparison.

interface Case {
  /** hand/<group>#<n> or gen/<kind>#<n>: with the seed, enough to make the object again. */
  id: string;
  object: Obj;
}

interface Tally {
  documents: number;
  accepted: number;
  refused: number;
  pods: number;
  disagreements: string[];
  corpusErrors: string[];
}

const newTally = (): Tally => ({ documents: 0, accepted: 0, refused: 0, pods: 0, disagreements: [], corpusErrors: [] });

const show = (o: Obj) => {
  const text = JSON.stringify(o, (_k, v) => (typeof v === 'string' && v.length > 300 ? `${v.slice(0, 60)}…(${v.length} characters)` : v));
  return text.length > 3000 ? `${text.slice(0, 3000)}…` : text;
};

/**
 * Compares the server's causes with the gate's findings (already chosen: the object's, or one pod's).
 * `exclude` removes causes the gate deliberately reports elsewhere (on the StatefulSet rather than its pods).
 */
function compare(
  tally: Tally,
  what: string,
  object: Obj,
  answer: Answer,
  findings: ApiServerFinding[],
  options: { patterns: RegExp[]; normalize?: (m: string) => string; exclude?: (c: Cause[]) => Cause[]; fieldsOnly?: boolean; of?: Obj },
): Cause[] | undefined {
  tally.documents += 1;
  const causes = causesOf(answer);
  if (typeof causes === 'string') {
    tally.corpusErrors.push(`${what}: the API server answered ${causes}\n    object: ${show(object)}`);
    return undefined;
  }
  if (causes.length === 0) tally.accepted += 1;
  else tally.refused += 1;
  const outside = causes.filter((c) => !covers(options.patterns, c.field));
  if (outside.length > 0) {
    tally.corpusErrors.push(`${what}: refused for what the port does not cover (a bug of the corpus): ${outside.map(line).join(' | ')}\n    object: ${show(object)}`);
  }
  const inside = (options.exclude ?? ((c) => c))(causes.filter((c) => covers(options.patterns, c.field)));
  const normalize = options.normalize ?? ((m: string) => m);
  const server = inside.map((c) => normalize(line(c)));
  const gate = findings.map((f) => f.message);
  const serverFields = [...new Set(inside.map((c) => c.field))].sort();
  const gateFields = [...new Set(findings.map((f) => f.field))].sort();
  const fieldsDiffer = serverFields.join('\n') !== gateFields.join('\n');
  const onlyServer = minus(server, gate);
  const onlyGate = minus(gate, server);
  if (fieldsDiffer || (!options.fieldsOnly && (onlyServer.length > 0 || onlyGate.length > 0))) {
    const mark = (list: string[], only: string[]) => {
      const left = [...only];
      return list.map((m) => {
        const i = left.indexOf(m);
        if (i >= 0) left.splice(i, 1);
        return `${i >= 0 && !options.fieldsOnly ? '  ✗ ' : '    '}${m.length > 400 ? `${m.slice(0, 400)}…` : m}`;
      });
    };
    tally.disagreements.push(
      [
        `${what}: ${fieldsDiffer ? 'the FIELDS differ' : 'the messages differ'} (the server ${causes.length === 0 ? 'accepts' : 'refuses'}; ✗ marks what the other side lacks)`,
        `    server causes (${server.length})${options.exclude ? ', less what the gate reports on the StatefulSet' : ''}:`,
        ...mark(server, onlyServer).map((m) => `    ${m}`),
        `    gate findings (${gate.length}):`,
        ...mark(gate, onlyGate).map((m) => `    ${m}`),
        ...(options.fieldsOnly ? [`    server fields: ${serverFields.join(', ') || '(none)'}`, `    gate fields:   ${gateFields.join(', ') || '(none)'}`] : []),
        `    object: ${show(object)}`,
        ...(options.of ? [`    of the StatefulSet: ${show(options.of)}`] : []),
      ].join('\n'),
    );
  }
  return causes;
}

async function check(dryRun: DryRun, tally: Tally, c: Case): Promise<void> {
  const { object } = c;
  const name = typeof object.metadata?.name === 'string' ? object.metadata.name : '';
  const what = `${c.id} ${object.kind} ${JSON.stringify(name.length > 80 ? `${name.slice(0, 40)}…(${name.length})` : name)}`;
  const findings = apiServerFindings(object);
  const answer = await dryRun.create(object);
  // A name generated from generateName ends in 5 random characters, which the gate prints as <random>.
  const generated = !name && typeof object.metadata?.generateName === 'string' && object.metadata.generateName !== '';
  const serverName = String((generated ? (answer.status < 300 ? answer.body.metadata?.name : answer.body.details?.name) : name) ?? '');
  const suffix = generated ? serverName.slice(-5) : '';
  const unrandom = (m: string) => (suffix ? m.replaceAll(`${suffix}"`, '<random>"').replace(new RegExp(`${suffix}(-\\d+)`, 'g'), '<random>$1') : m);
  const causes = compare(tally, what, object, answer, findings.filter((f) => f.pod === undefined), { patterns: coveredFields, normalize: unrandom });
  if (object.kind !== 'StatefulSet' || causes === undefined) return;

  // The StatefulSet's name: its own, or the one the server generated (in its answer, or its refusal's details).
  const stsName = serverName;
  if (!stsName) return;
  const shownName = generated ? `${stsName.slice(0, -5)}<random>` : stsName;
  const spec = object.spec ?? {};
  const start = Number.isInteger(spec.ordinals?.start) && spec.ordinals.start >= 0 ? spec.ordinals.start : 0;
  const replicas = Number.isInteger(spec.replicas) && spec.replicas >= 0 ? spec.replicas : 1;
  const last = start + Math.max(replicas, 1) - 1;
  const podFindings = findings.filter((f) => f.pod !== undefined);

  // What the gate reports on the StatefulSet rather than its pods: an invalid name (every pod name
  // derives from it) and the template's labels and annotations (which the pods copy).
  const nameRefused = causes.some((c) => c.field === 'metadata.name' || c.field === 'metadata.generateName');
  const onSts = (at: string) => causes.filter((c) => c.field === `spec.template.${at}`).map((c) => c.message);
  const exclude = (ordinal: number) => (podCauses: Cause[]) => {
    const labels = onSts('labels');
    const annotations = onSts('annotations');
    const drop = (list: string[], message: string) => {
      const i = list.indexOf(message);
      if (i >= 0) list.splice(i, 1);
      return i >= 0;
    };
    return podCauses.filter((c) => {
      if (c.field === 'metadata.labels' && drop(labels, c.message)) return false;
      if (c.field === 'metadata.annotations' && drop(annotations, c.message)) return false;
      if (nameRefused) {
        if (['metadata.name', 'metadata.generateName', 'spec.hostname'].includes(c.field)) return false;
        // The pod-name and controller-revision-hash labels, whose values end so.
        if (c.field === 'metadata.labels' && (c.message.includes(`-${ordinal}": `) || c.message.includes(`-${REVISION_HASH}": `))) return false;
      }
      return true;
    });
  };
  const normalize = (m: string) => unrandom(m).replace(`-${REVISION_HASH}"`, '-<hash>"');

  const first = statefulSetPod(object, stsName, start);
  tally.pods += 1;
  compare(tally, `${what} → pod ${stsName}-${start}`, first, await dryRun.create(first), podFindings.filter((f) => f.pod === `${shownName}-${start}`), {
    patterns: coveredPodFields,
    normalize,
    exclude: exclude(start),
    of: object,
  });
  if (last !== start) {
    // The last pod has the longest name: it is refused for all the gate says of any pod (fields only:
    // the gate names the first pod of each refused name length, with its name in the message).
    const lastPod = statefulSetPod(object, stsName, last);
    tally.pods += 1;
    compare(tally, `${what} → pod ${stsName}-${last}`, lastPod, await dryRun.create(lastPod), podFindings, {
      patterns: coveredPodFields,
      exclude: exclude(last),
      fieldsOnly: true,
      of: object,
    });
  }
}

async function run(dryRun: DryRun, cases: Case[]): Promise<Tally> {
  const tally = newTally();
  await pMap(cases, (c) => check(dryRun, tally, c), { concurrency: CONCURRENCY });
  return tally;
}

function verdict(label: string, tally: Tally, started: number): string {
  const limit = Number(process.env.APISERVER_DIFF_SHOW ?? 40);
  const shown = (list: string[]) => (list.length > limit ? [...list.slice(0, limit), `… and ${list.length - limit} more`] : list);
  const summary = `${label}: ${tally.documents} documents (${tally.pods} of them StatefulSet pods) in ${((Date.now() - started) / 1000).toFixed(1)} s; the API server accepted ${tally.accepted}, refused ${tally.refused}; ${tally.disagreements.length} disagreement(s), ${tally.corpusErrors.length} corpus error(s)`;
  console.log(summary);
  return [
    summary,
    ...(tally.corpusErrors.length ? ['corpus errors:', ...shown(tally.corpusErrors)] : []),
    ...(tally.disagreements.length ? ['disagreements:', ...shown(tally.disagreements)] : []),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The corpus: bodies that are valid but for what a case changes.

const IMAGE = 'redis:7.2';
const SELECTOR = { app: 'corpus' };
const container = (name = 'redis', more: Obj = {}): Obj => ({ name, image: IMAGE, ...more });
const podTemplate = (spec: Obj = { containers: [container()] }, metadata: Obj = {}): Obj => ({ metadata: { ...metadata, labels: { ...SELECTOR, ...metadata.labels } }, spec });

function object(apiVersion: string, kind: string, name: string | undefined, body: Obj = {}, metadata: Obj = {}): Obj {
  const namespaced = collections[`${apiVersion}/${kind}`]?.namespaced ?? true;
  return {
    apiVersion,
    kind,
    metadata: { ...(name === undefined ? {} : { name }), ...(namespaced ? { namespace: NAMESPACE } : {}), ...metadata },
    ...body,
  };
}

const bodies: [apiVersion: string, kind: string, body: Obj][] = [
  ['v1', 'Namespace', {}],
  ['v1', 'Service', { spec: { selector: SELECTOR, ports: [{ name: 'redis', port: 6379 }] } }],
  ['v1', 'Pod', { spec: { containers: [container()] } }],
  ['v1', 'ConfigMap', { data: { key: 'value' } }],
  ['v1', 'Secret', { stringData: { key: 'value' } }],
  ['v1', 'ServiceAccount', {}],
  ['v1', 'PersistentVolumeClaim', { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
  ['v1', 'PersistentVolume', { spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/corpus' } } }],
  ['v1', 'Endpoints', { subsets: [] }],
  ['v1', 'ReplicationController', { spec: { selector: SELECTOR, template: podTemplate() } }],
  ['v1', 'LimitRange', { spec: { limits: [{ type: 'Container', max: { cpu: '1' } }] } }],
  ['v1', 'ResourceQuota', { spec: { hard: { pods: '10' } } }],
  ['apps/v1', 'StatefulSet', { spec: { serviceName: 'orders', selector: { matchLabels: SELECTOR }, template: podTemplate() } }],
  ['apps/v1', 'Deployment', { spec: { selector: { matchLabels: SELECTOR }, template: podTemplate() } }],
  ['apps/v1', 'ReplicaSet', { spec: { selector: { matchLabels: SELECTOR }, template: podTemplate() } }],
  ['apps/v1', 'DaemonSet', { spec: { selector: { matchLabels: SELECTOR }, template: podTemplate() } }],
  ['apps/v1', 'ControllerRevision', { revision: 1, data: {} }],
  ['batch/v1', 'Job', { spec: { template: { spec: { containers: [container()], restartPolicy: 'Never' } } } }],
  ['batch/v1', 'CronJob', { spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: { spec: { containers: [container()], restartPolicy: 'Never' } } } } } }],
  ['autoscaling/v2', 'HorizontalPodAutoscaler', { spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders' }, maxReplicas: 3 } }],
  ['networking.k8s.io/v1', 'NetworkPolicy', { spec: { podSelector: {} } }],
  ['networking.k8s.io/v1', 'Ingress', { spec: { defaultBackend: { service: { name: 'orders', port: { number: 80 } } } } }],
  ['storage.k8s.io/v1', 'StorageClass', { provisioner: 'example.com/redis' }],
  ['scheduling.k8s.io/v1', 'PriorityClass', { value: 1000 }],
  ['coordination.k8s.io/v1', 'Lease', { spec: {} }],
  ['policy/v1', 'PodDisruptionBudget', { spec: { minAvailable: 1, selector: { matchLabels: SELECTOR } } }],
  ['rbac.authorization.k8s.io/v1', 'Role', { rules: [] }],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole', { rules: [] }],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding', { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'viewer' }, subjects: [] }],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'viewer' }, subjects: [] }],
];
const bodyOf = (kind: string): [string, Obj] => {
  const entry = bodies.find(([, k]) => k === kind);
  if (!entry) throw new Error(kind);
  return [entry[0], structuredClone(entry[2])];
};
const make = (kind: string, name: string | undefined, metadata: Obj = {}) => {
  const [apiVersion, body] = bodyOf(kind);
  return object(apiVersion, kind, name, body, metadata);
};

const a = (n: number, letter = 'a') => letter.repeat(n);
/** A DNS-1123 subdomain of exactly n characters: labels of 63 joined by dots. */
function subdomain(n: number): string {
  let s = '';
  while (s.length < n) s += s.length % 64 === 63 ? '.' : 'b';
  return s.endsWith('.') ? `${s.slice(0, -1)}c` : s;
}

const tricky = {
  names: [
    'orders',
    a(52),
    a(53),
    a(62),
    a(63),
    a(64),
    a(253),
    a(254),
    subdomain(253),
    subdomain(254),
    'Orders',
    'ORDERS',
    'orders.data',
    'orders_data',
    'orders data',
    '-orders',
    'orders-',
    '.orders',
    'orders.',
    '6379-orders',
    '6379',
    'orders--data',
    'orders..data',
    'orders.-data',
    'system:redis:viewer',
    'orders/viewer',
    '50%',
    '.',
    '..',
    `${a(62)}é`,
    'ordérs',
  ],
  labelKeys: [
    'app.kubernetes.io/name',
    'redis-gitops.dev/deployment',
    'Example.com/app',
    'example.com/App_Name.v2',
    '-app',
    'app-',
    '_app',
    'app_',
    '.app',
    'My.Name',
    'a/b/c',
    '/app',
    'example.com/',
    '/',
    a(63),
    a(64),
    `example.com/${a(63)}`,
    `example.com/${a(64)}`,
    `${subdomain(253)}/x`,
    `${subdomain(254)}/x`,
    'app name',
    'ex ample.com/app',
    'example..com/app',
    '-example.com/app',
    'EXAMPLE.COM/app',
    '1.2.3/4',
    '\u212aey',
    '\u0130tem',
    'é',
  ],
  labelValues: ['', 'x', a(63), a(64), `${a(62)}é`, 'Orders_v7.2', '-x', 'x-', '_x', 'x_', '.x', 'x.', 'a b', 'a/b', 'a:b', '0', '-', '_', '.', 'é'],
  annotationKeys: ['Example.com/Note', 'example.com/release note', 'NOTE', '\u212aey', '\u0130tem', '\u01c5x', 'a/b/c', `example.com/${a(64)}`, 'Ex_ample.com/note', 'note-', '-note', 'kubectl.kubernetes.io/last-applied-configuration'],
  portNames: [
    'redis',
    'sentinel-metric',
    'sentinel-metrics',
    a(15),
    a(16),
    '6379',
    '1a',
    'a1',
    '-tls',
    'tls-',
    'redis--tls',
    'r-e-d-i-s',
    'Metrics',
    'met_rics',
    'met.rics',
    'mét',
    'a',
    '0',
    '-',
    '--',
    'a-1-',
    `${a(14)}é`,
    ' a',
  ],
  dnsLabels: ['redis', 'Redis', 'redis.1', 'redis_1', a(63), a(64), `${a(62)}é`, '-redis', 'redis-', '1', '1redis', 'redis--1', 'a'],
};

function handWritten(): Case[] {
  const cases: Case[] = [];
  const add = (group: string, o: Obj) => cases.push({ id: `hand/${group}#${cases.length}`, object: o });

  // Names, for every kind the port has a rule for.
  for (const [, kind] of bodies) for (const name of tricky.names) add('names', make(kind, name));
  // A Job's name is its pods' job-name label; an Indexed Job's pods are named <job>-<index>.
  for (const name of [a(62), a(63), a(64), a(253)]) add('job-names', make('Job', name));
  for (const [name, completions] of [[a(61), 1], [a(61), 10], [a(61), 11], [a(59), 1000], [a(59), 1001]] as const) {
    const job = make('Job', name);
    job.spec.completionMode = 'Indexed';
    job.spec.completions = completions;
    job.spec.parallelism = 1;
    add('job-names', job);
  }
  // generateName: the registry appends 5 characters (after cutting the prefix to 58) before it validates.
  // A multi-byte character cut by the 58 bytes is left as bytes that are not UTF-8.
  const generateNames = ['orders-', 'Orders-', 'A-', 'X-', 'a.-', '1-', '-', 'a-', a(47), a(48), a(57, 'b'), `${a(56)}.-`, `${a(253)}-`, `${a(254)}-`, `${a(63)}-`, `${a(64)}-`, `${a(57)}é-`, `${a(56)}€x`, `${a(55)}😀`, 'ORDE\ud800S-'];
  for (const kind of ['ConfigMap', 'Pod', 'Service', 'StatefulSet', 'Namespace', 'Role', 'Job', 'CronJob']) {
    for (const generateName of generateNames) add('generate-name', make(kind, undefined, { generateName }));
  }
  for (const generateName of generateNames) {
    const job = make('Job', undefined, { generateName });
    Object.assign(job.spec, { completionMode: 'Indexed', completions: 10, parallelism: 1 });
    add('generate-name', job);
  }
  add('generate-name', make('ConfigMap', undefined, {}));
  // A Namespace is labelled kubernetes.io/metadata.name: <its name> (replacing any such label) when it has a name, not a generateName.
  for (const metadata of [{ name: 'orders' }, { generateName: 'orders-' }]) {
    add('namespace-label', object('v1', 'Namespace', undefined, {}, { ...metadata, labels: { 'kubernetes.io/metadata.name': 'Not a label value!' } }));
    add('namespace-label', object('v1', 'Namespace', undefined, {}, { ...metadata, labels: { 'kubernetes.io/metadata.name': 'elsewhere' } }));
  }
  // A Job or ReplicationController without labels is given its template's (the same map: a Job's
  // job-name labels too).
  for (const kind of ['Job', 'ReplicationController']) {
    for (const [name, own, template] of [
      ['orders', undefined, { tier: 'Not valid!' }],
      ['orders', { team: 'x' }, { tier: 'Not valid!' }],
      ['orders', {}, { 'bad key!': 'x' }],
      [a(64), undefined, {}],
      [a(64), { team: 'x' }, {}],
      [a(64), undefined, undefined],
    ] as [string, Obj | undefined, Obj | undefined][]) {
      const o = make(kind, name, own === undefined ? {} : { labels: own });
      const labels = kind === 'ReplicationController' ? { ...SELECTOR, ...template } : template;
      o.spec.template.metadata = labels === undefined ? {} : { labels };
      add('shared-labels', o);
    }
  }
  // A Job with a manual selector gets no job-name labels; one that sets them keeps its own.
  for (const name of [a(63), a(64)]) {
    const manual = make('Job', name);
    Object.assign(manual.spec, { manualSelector: true, selector: { matchLabels: SELECTOR } });
    manual.spec.template.metadata = { labels: SELECTOR };
    add('job-names', manual);
    const own = make('Job', name);
    own.spec.template.metadata = { labels: { 'job-name': name } };
    add('job-names', own);
  }

  // Labels and annotations, on an object and in a workload's pod template.
  for (const key of tricky.labelKeys) {
    add('labels', make('ConfigMap', 'orders', { labels: { [key]: 'x' } }));
    const d = make('Deployment', 'orders');
    d.spec.template.metadata.labels[key] = 'x';
    add('labels', d);
  }
  for (const value of tricky.labelValues) {
    add('labels', make('ConfigMap', 'orders', { labels: { tier: value } }));
    const s = make('StatefulSet', 'orders');
    s.spec.template.metadata.labels.tier = value;
    add('labels', s);
  }
  add('labels', make('ConfigMap', 'orders', { labels: Object.fromEntries(tricky.labelKeys.map((k, i) => [k, tricky.labelValues[i % tricky.labelValues.length]!])) }));
  for (const key of [...tricky.labelKeys, ...tricky.annotationKeys]) {
    add('annotations', make('ConfigMap', 'orders', { annotations: { [key]: 'some text' } }));
    const d = make('Deployment', 'orders');
    d.spec.template.metadata.annotations = { [key]: 'x' };
    add('annotations', d);
  }
  for (const [key, value] of [
    ['k', a(262143)],
    ['k', a(262144)],
    ['k', '€'.repeat(87381)],
    ['kk', '€'.repeat(87381)],
    ['k', '€'.repeat(87382)],
  ] as const) {
    add('annotation-size', make('ConfigMap', 'orders', { annotations: { [key]: value } }));
    const s = make('StatefulSet', 'orders');
    s.spec.template.metadata.annotations = { [key]: value };
    add('annotation-size', s);
  }
  add('annotation-size', make('ConfigMap', 'orders', { annotations: { a: a(131072), b: a(131070) } }));
  add('annotation-size', make('ConfigMap', 'orders', { annotations: { a: a(131072), b: a(131071) } }));

  // Pod specs: in a Pod, a Deployment, a Job, a CronJob and a StatefulSet (whose pods are checked).
  const inEveryPodKind = (group: string, spec: Obj) => {
    const pod = make('Pod', 'orders');
    pod.spec = structuredClone(spec);
    add(group, pod);
    for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicationController']) {
      const w = make(kind, 'orders');
      w.spec.template.spec = structuredClone(spec);
      add(group, w);
    }
    const job = make('Job', 'orders');
    job.spec.template.spec = { ...structuredClone(spec), restartPolicy: 'Never' };
    add(group, job);
    const cron = make('CronJob', 'orders');
    cron.spec.jobTemplate.spec.template.spec = { ...structuredClone(spec), restartPolicy: 'Never' };
    add(group, cron);
  };
  for (const name of tricky.portNames) inEveryPodKind('port-names', { containers: [container('redis', { ports: [{ name, containerPort: 6379 }] })] });
  inEveryPodKind('port-names', { containers: [container('redis', { ports: [{ name: 'redis', containerPort: 6379 }, { name: 'redis', containerPort: 6380 }, { containerPort: 6381 }, { containerPort: 6382 }] })] });
  inEveryPodKind('port-names', { containers: [container('redis', { ports: [{ name: 'Redis', containerPort: 6379 }, { name: 'Redis', containerPort: 6380 }] })] });
  inEveryPodKind('port-names', { containers: [container('redis', { ports: [{ name: 'redis', containerPort: 6379 }] }), container('sentinel', { ports: [{ name: 'redis', containerPort: 26379 }] })] });
  inEveryPodKind('port-names', { containers: [container('redis')], initContainers: [container('init', { ports: [{ name: 'sentinel-metrics', containerPort: 1 }] })] });
  for (const name of tricky.dnsLabels) {
    inEveryPodKind('container-names', { containers: [container(name)] });
    inEveryPodKind('container-names', { containers: [container('redis')], initContainers: [container(name)] });
  }
  for (const spec of [
    { containers: [container('redis'), container('redis')] },
    { containers: [container('redis'), container('redis'), container('redis')] },
    { containers: [container(''), container('')] },
    { containers: [container('redis')], initContainers: [container('redis')] },
    { containers: [container('redis')], initContainers: [container('init'), container('init')] },
    { containers: [container('')], initContainers: [container('')] },
    { containers: [container('Redis'), container('Redis')], initContainers: [container('Redis')] },
  ]) {
    inEveryPodKind('container-names', spec);
  }
  const mounts = (...names: string[]) => names.map((name, i) => ({ name, mountPath: `/mnt/${i}` }));
  for (const name of tricky.dnsLabels) {
    inEveryPodKind('volume-names', { containers: [container('redis', { volumeMounts: mounts(name) })], volumes: [{ name, emptyDir: {} }] });
  }
  for (const spec of [
    { containers: [container('redis', { volumeMounts: mounts('config', 'missing') })], volumes: [{ name: 'config', emptyDir: {} }] },
    { containers: [container('redis', { volumeMounts: mounts('') })], volumes: [{ name: 'config', emptyDir: {} }] },
    { containers: [container('redis')], volumes: [{ name: 'config', emptyDir: {} }, { name: 'config', configMap: { name: 'c' } }] },
    { containers: [container('redis', { volumeMounts: mounts('config') })], volumes: [{ name: 'config', emptyDir: {} }, { name: 'config', emptyDir: {} }] },
    { containers: [container('redis')], volumes: [{ name: '', emptyDir: {} }, { name: '', emptyDir: {} }] },
    { containers: [container('redis')], initContainers: [container('init', { volumeMounts: mounts('data') })], volumes: [{ name: 'config', emptyDir: {} }] },
    { containers: [container('redis', { volumeMounts: mounts('data') })], volumes: [] },
  ]) {
    inEveryPodKind('volume-mounts', spec);
  }

  // StatefulSets: names near the limits, ordinals, serviceName, claim templates.
  const sts = (name: string | undefined, spec: Obj = {}, metadata: Obj = {}) => {
    const s = make('StatefulSet', name, metadata);
    Object.assign(s.spec, spec);
    return s;
  };
  for (const n of [50, 51, 52, 53, 54, 60, 61, 62, 63]) {
    for (const more of [{}, { replicas: 10 }, { replicas: 11 }, { replicas: 0 }, { replicas: 200 }, { ordinals: { start: 9 }, replicas: 1 }, { ordinals: { start: 9 }, replicas: 2 }, { ordinals: { start: 100 } }]) {
      add('statefulset-names', sts(a(n), more));
    }
  }
  for (const serviceName of ['orders', 'orders.headless', 'Orders', a(63), a(64), 'orders_', '-orders', '']) add('statefulset-service', sts('orders', { serviceName }));
  const withMounts = (names: string[], volumes: Obj[] = []) => podTemplate({ containers: [container('redis', { volumeMounts: mounts(...names) })], volumes });
  const claim = (name: string) => ({ metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
  for (const [names, claims, volumes] of [
    [['data'], ['data'], []],
    [['data'], [], []],
    [['Data'], ['Data'], []],
    [['data'], ['data', 'data'], []],
    [['data', 'config'], ['data'], [{ name: 'config', emptyDir: {} }, { name: 'data', emptyDir: {} }]],
    [['data'], ['data', 'backup'], [{ name: 'Tmp', emptyDir: {} }]],
    [['data'], [''], []],
    [[], [a(64)], []],
    [['config'], ['data'], [{ name: 'config', emptyDir: {} }, { name: 'config', emptyDir: {} }]],
  ] as [string[], string[], Obj[]][]) {
    add('statefulset-claims', sts('orders', { template: withMounts(names, volumes), volumeClaimTemplates: claims.map(claim) }));
  }
  // What the API server refuses on the StatefulSet, and what only on its pods, together.
  const badPort = podTemplate({ containers: [container('redis', { ports: [{ name: 'sentinel-metrics', containerPort: 9355 }] })] });
  add('statefulset-both', sts('Orders', { template: badPort }));
  add('statefulset-both', sts(a(64), { template: badPort }));
  add('statefulset-both', sts('orders.data', { template: badPort }));
  add('statefulset-both', sts('orders', { template: { ...badPort, metadata: { labels: { ...SELECTOR, tier: a(64) } } } }));
  add('statefulset-both', sts('orders', { template: badPort }, { labels: { tier: a(64) } }));
  add('statefulset-both', sts(undefined, { template: badPort }, { generateName: 'orders-' }));
  add('statefulset-both', sts(undefined, { template: badPort }, { generateName: `${a(60)}-` }));
  return cases;
}

// ---------------------------------------------------------------------------------------------
// The generator: a seeded PRNG (mulberry32) mutating names, labels, ports and volumes of valid
// objects, drawing from an alphabet rich in what the rules turn on.

class Random {
  private state: number;
  /** How likely each name of the object being made is mutated (and a mount misses, a name repeats): set per object. */
  rate = 0.5;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const LOWER = [...'abcdefghijklmnopqrstuvwxyz'];
const DIGITS = [...'0123456789'];
/**
 * What sits at the edge of the rules: '-' and '.' (allowed inside some, at no edge), '_' and upper
 * case (in label keys and values, not in DNS names), characters no rule allows (space, ':', '/', '%'),
 * multi-byte ones (Go counts bytes), the Kelvin sign and 'İ' (Go's ToLower makes them ASCII), NUL and
 * a lone surrogate (which reaches Go as U+FFFD).
 */
const EDGE = ['-', '-', '-', '.', '.', '_', 'A', 'Z', ' ', ':', '/', '%', 'é', '€', '\u212a', '\u0130', '😀', '\u0000', '\ud800'];
const LENGTHS = [1, 2, 14, 15, 16, 17, 52, 53, 54, 62, 63, 64, 65];
const LONG_LENGTHS = [252, 253, 254];

function char(r: Random): string {
  const x = r.next();
  if (x < 0.6) return r.pick(LOWER);
  if (x < 0.75) return r.pick(DIGITS);
  return r.pick(EDGE);
}

/** Makes `s` exactly n characters, padding with letters (and a dot every 60 where `dots`), keeping its ends. */
function padTo(s: string, n: number, dots: boolean): string {
  if (s.length >= n) return s.slice(0, n);
  let out = s;
  while (out.length < n - 1) out += dots && out.length % 61 === 60 ? '.' : 'x';
  return out + (s.at(-1) ?? 'y');
}

function mutate(r: Random, base: string, long = false): string {
  if (!r.chance(r.rate)) return base;
  let s = base;
  const at = () => r.int(s.length + 1);
  for (let ops = 1 + r.int(2); ops > 0; ops--) {
    switch (r.int(13)) {
      case 0: {
        const i = r.int(Math.max(s.length, 1));
        s = s.slice(0, i) + s.slice(i, i + 1).toUpperCase() + s.slice(i + 1);
        break;
      }
      case 1:
      case 2: {
        const i = at();
        s = s.slice(0, i) + char(r) + s.slice(i);
        break;
      }
      case 3: {
        const i = r.int(Math.max(s.length, 1));
        s = s.slice(0, i) + char(r) + s.slice(i + 1);
        break;
      }
      case 4: {
        const edge = r.pick(['-', '.', '_', '0']);
        s = r.chance(0.5) ? edge + s : s + edge;
        break;
      }
      case 5: {
        const i = 1 + r.int(Math.max(s.length - 1, 1));
        s = s.slice(0, i) + r.pick(['--', '..', '.-', '-.', '__']) + s.slice(i);
        break;
      }
      case 6:
        s = s.replaceAll('-', r.pick(['.', '_', '--']));
        break;
      case 7:
        s = Array.from({ length: 1 + r.int(6) }, () => r.pick(DIGITS)).join('') + (r.chance(0.5) ? `-${s}` : '');
        break;
      case 8:
        s = padTo(s, r.pick(long && r.chance(0.3) ? LONG_LENGTHS : LENGTHS), long);
        break;
      case 9: {
        // A multi-byte character at the length limit: 63 characters, more bytes.
        const n = r.pick(long && r.chance(0.3) ? LONG_LENGTHS : LENGTHS);
        s = `${padTo(s, n - 1, long)}${r.pick(['é', '€', '😀'])}`;
        break;
      }
      case 10:
        s = Array.from({ length: r.pick([...LENGTHS.slice(0, 6), 3, 5, 8]) }, () => char(r)).join('');
        break;
      case 11:
        s = r.chance(0.5) ? `${r.pick(DIGITS)}${s}` : `${s}${r.pick(DIGITS)}`;
        break;
      case 12:
        s = r.chance(0.3) ? '' : s.toUpperCase();
        break;
    }
  }
  return s;
}

const PREFIXES = ['example.com', 'app.kubernetes.io', 'redis-gitops.dev', 'a', 'x.y-z'];

function labelKey(r: Random, base: string): string {
  const name = mutate(r, base);
  if (r.chance(0.5)) return name;
  const prefix = r.chance(0.6) ? r.pick(PREFIXES) : mutate(r, r.pick(PREFIXES), true);
  return r.chance(0.05) ? `${prefix}/${name}/x` : `${prefix}/${name}`;
}

function labels(r: Random, count: number): Obj {
  const out: Obj = {};
  for (let i = 0; i < count; i++) {
    const key = labelKey(r, r.pick(['tier', 'role', 'Version', 'team_name', 'zone.id']));
    if (key === 'app') continue;
    out[key] = mutate(r, r.pick(['orders', 'v7.2', 'Orders_Data', '', 'x']));
  }
  return out;
}

function annotations(r: Random, count: number): Obj {
  const out: Obj = {};
  for (let i = 0; i < count; i++) out[labelKey(r, r.pick(['note', 'Checksum', 'CONFIG_HASH', 'kelvin\u212a']))] = r.pick(['', 'x', 'some text, with spaces', '{"json": true}']);
  return out;
}

function meta(r: Random, nameBase: string): Obj {
  const m: Obj = {};
  if (r.chance(0.04)) m.generateName = mutate(r, `${nameBase}-`, true);
  else m.name = mutate(r, nameBase, true);
  if (r.chance(0.6)) m.labels = labels(r, 1 + r.int(3));
  if (r.chance(0.4)) m.annotations = annotations(r, 1 + r.int(2));
  return m;
}

function portName(r: Random, i: number): string | undefined {
  if (r.chance(0.15)) return undefined;
  const bases = ['redis', 'sentinel', 'metrics', 'sentinel-metric', 'tls', 'http', 'r2'];
  return mutate(r, r.chance(r.rate / 3) ? r.pick(bases) : `${r.pick(bases).slice(0, 12)}${i || ''}`);
}

/** A pod spec with mutated container, port, volume and mount names; `claims` are names a StatefulSet's pods will also have. */
function podSpec(r: Random, claims: string[] = []): Obj {
  const volumes: Obj[] = [];
  for (let i = r.int(4); i > 0; i--) {
    const name = r.chance(r.rate / 3) && volumes.length ? (volumes[r.int(volumes.length)]!.name as string) : mutate(r, `${r.pick(['config', 'data', 'tls', 'tmp'])}-${volumes.length}`);
    volumes.push(r.chance(0.7) ? { name, emptyDir: {} } : { name, configMap: { name: 'orders-config' } });
  }
  const known = [...volumes.map((v) => v.name as string), ...claims];
  let port = 1000;
  const makeContainer = (base: string): Obj => {
    const c: Obj = { name: mutate(r, base), image: IMAGE };
    const ports: Obj[] = [];
    for (let i = r.int(4); i > 0; i--) {
      const name = r.chance(r.rate / 4) && ports.length ? ports[r.int(ports.length)]!.name : portName(r, ports.length);
      ports.push(name === undefined ? { containerPort: port++ } : { name, containerPort: port++ });
    }
    if (ports.length) c.ports = ports;
    const mounts: Obj[] = [];
    for (let i = r.int(3); i > 0; i--) {
      const name = !r.chance(r.rate / 2) && known.length ? r.pick(known) : mutate(r, r.pick(['config', 'data', 'missing']));
      mounts.push({ name, mountPath: `/mnt/${mounts.length}` });
    }
    if (mounts.length) c.volumeMounts = mounts;
    return c;
  };
  // Container names repeat (across init containers too) as often as names are mutated.
  const containerName = (bases: string[], i: number) => (r.chance(r.rate / 3) ? r.pick(bases) : bases[i % bases.length]!);
  const spec: Obj = { containers: Array.from({ length: 1 + r.int(3) }, (_, i) => makeContainer(containerName(['redis', 'sentinel', 'exporter', 'haproxy'], i))) };
  if (r.chance(0.25)) spec.initContainers = Array.from({ length: 1 + r.int(2) }, (_, i) => makeContainer(containerName(['init', 'config', 'redis'], i)));
  if (volumes.length) spec.volumes = volumes;
  return spec;
}

function template(r: Random, spec: Obj): Obj {
  const metadata: Obj = { labels: { ...(r.chance(0.5) ? labels(r, 1 + r.int(2)) : {}), ...SELECTOR } };
  if (r.chance(0.3)) metadata.annotations = annotations(r, 1);
  return { metadata, spec };
}

const generators: Record<string, (r: Random) => Obj> = {
  Pod: (r) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { ...meta(r, 'orders-debug'), namespace: NAMESPACE }, spec: podSpec(r) }),
  Service: (r) => ({ apiVersion: 'v1', kind: 'Service', metadata: { ...meta(r, 'orders-portal'), namespace: NAMESPACE }, spec: { selector: SELECTOR, ports: [{ name: 'redis', port: 6379 }] } }),
  ConfigMap: (r) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...meta(r, r.pick(['orders-config', 'orders.config.v2'])), namespace: NAMESPACE }, data: { 'redis.conf': 'port 6379' } }),
  Deployment: (r) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { ...meta(r, 'orders-portal'), namespace: NAMESPACE },
    spec: { selector: { matchLabels: SELECTOR }, template: template(r, podSpec(r)) },
  }),
  StatefulSet: (r) => {
    const claims = Array.from({ length: r.int(3) }, () => mutate(r, r.pick(['data', 'backup'])));
    const spec: Obj = { selector: { matchLabels: SELECTOR }, template: template(r, podSpec(r, claims)) };
    if (r.chance(0.8)) spec.serviceName = mutate(r, r.pick(['orders-data', 'orders']));
    if (claims.length) spec.volumeClaimTemplates = claims.map((name) => ({ metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }));
    if (r.chance(0.5)) spec.replicas = r.pick([0, 1, 3, 10, 11, 100]);
    if (r.chance(0.2)) spec.ordinals = { start: r.pick([0, 1, 9, 10, 99]) };
    return { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { ...meta(r, r.pick(['orders-data-0', 'orders', 'sessions-tiebreaker'])), namespace: NAMESPACE }, spec };
  },
};

/** How many objects of each kind the generator makes (times APISERVER_DIFF_COUNT). */
const generatedCounts: Record<string, number> = { Pod: 1000, Service: 600, ConfigMap: 1000, Deployment: 1200, StatefulSet: 1600 };

function generated(seed: number): Case[] {
  const cases: Case[] = [];
  for (const [kind, count] of Object.entries(generatedCounts)) {
    // One stream per kind: changing one kind's count does not change another's objects.
    const r = new Random(seed ^ [...kind].reduce((h, ch) => Math.imul(h ^ ch.charCodeAt(0), 16777619), 2166136261));
    for (let i = 0; i < Math.round(count * COUNT); i++) {
      // Some objects with a name or two changed, some with most: both sides of every rule, and their mixtures.
      r.rate = r.pick([0.04, 0.1, 0.25, 0.6]);
      cases.push({ id: `gen/${kind}#${i}`, object: generators[kind]!(r) });
    }
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------

describe('the gate agrees with kube-apiserver v1.28.15 on what it refuses (dry-run creates)', () => {
  let dir: string;
  let cp: ControlPlane;
  let dryRun: DryRun;

  beforeAll(async () => {
    const missing = missingBinaries().filter((b) => ['etcd', 'kubeApiserver', 'kubeControllerManager', 'kubeScheduler'].includes(b));
    if (missing.length) throw new Error(`the engine tier's programs are not built (${missing.join(', ')}): run npm run engine:build`);
    dir = mkdtempSync(path.join(tmpdir(), 'redis-gitops-apiserver-validation-'));
    cp = await startControlPlane(dir);
    await cp.kube.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    // Pods are refused until the namespace's default service account exists (the controller-manager makes it).
    await until(`the ${NAMESPACE} namespace's default service account`, 60_000, () => cp.kube.find(`/api/v1/namespaces/${NAMESPACE}/serviceaccounts/default`));
    dryRun = new DryRun(cp);
  });

  afterAll(async () => {
    dryRun?.close();
    cp?.kube.close();
    if (cp) await stopPrograms(cp.programs);
    if (dir && !process.env.ENGINE_KEEP) rmSync(dir, { recursive: true, force: true });
  });

  it('hand-written edge cases: names per kind, generateName, labels, annotations, container, port and volume names, StatefulSet pods', async () => {
    const started = Date.now();
    const tally = await run(dryRun, handWritten());
    const report = verdict('hand-written', tally, started);
    expect(tally.corpusErrors.length + tally.disagreements.length, report).toBe(0);
    expect(tally.accepted).toBeGreaterThan(100);
    expect(tally.refused).toBeGreaterThan(100);
  });

  it(`generated cases (seed ${SEED}): mutated Pods, Services, ConfigMaps, Deployments and StatefulSets`, async () => {
    const started = Date.now();
    console.log(`seed ${SEED} (APISERVER_DIFF_SEED=${SEED} reproduces it)`);
    const tally = await run(dryRun, generated(SEED));
    const report = verdict(`generated (seed ${SEED})`, tally, started);
    expect(tally.corpusErrors.length + tally.disagreements.length, report).toBe(0);
    // The generator is worth its time only if it lands on both sides of the rules.
    expect(tally.accepted).toBeGreaterThan(tally.documents / 10);
    expect(tally.refused).toBeGreaterThan(tally.documents / 10);
  });
});
