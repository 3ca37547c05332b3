import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { apiServerFindings, apiServerRules, goQuote, type ApiServerFinding } from '../src/gate/apiserver-validation.js';
import { findManifestFiles, readObjects } from '../src/gate/documents.js';
import { runGate } from '../src/gate/gate.js';
import { schemaChecker, schemaRules } from '../src/gate/schema.js';
import { projectRoot, tempDir } from './support/repo.js';

// The API server's messages are copied from Kubernetes v1.28.15 (k8s.io/apimachinery pkg/util/validation);
// the two spaces before "or" are Go's RegexError, as a real API server prints them.
const DNS1123_LABEL = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_LABEL = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QUALIFIED_NAME_PART = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

type Obj = Record<string, unknown>;
const object = (apiVersion: string, kind: string, name: string | undefined, rest: Obj = {}): Obj => ({
  apiVersion,
  kind,
  metadata: { ...(name === undefined ? {} : { name }), namespace: 'redis-orders', ...((rest.metadata as Obj | undefined) ?? {}) },
  ...Object.fromEntries(Object.entries(rest).filter(([k]) => k !== 'metadata')),
});
const messages = (o: unknown) => apiServerFindings(o).map((f) => f.message);
const rulesOf = (o: unknown) => [...new Set(apiServerFindings(o).map((f) => f.rule))];

interface Container {
  name?: unknown;
  ports?: Obj[];
  volumeMounts?: Obj[];
}
const podSpec = (containers: Container[], more: Obj = {}): Obj => ({ containers: containers.map((c) => ({ image: 'redis:7.2', ...c })), ...more });
const deployment = (spec: Obj, name = 'orders-portal', templateMeta: Obj = {}) =>
  object('apps/v1', 'Deployment', name, { spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' }, ...templateMeta }, spec } } });
const statefulSet = (spec: Obj, name = 'orders-data-0', more: Obj = {}) =>
  object('apps/v1', 'StatefulSet', name, { spec: { serviceName: 'orders-data-0', selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec }, ...more } });
const letters = (n: number, letter = 'a') => letter.repeat(n);

describe('metadata.name, by kind', () => {
  it('Namespaces and StatefulSets take a DNS-1123 label, Services a DNS-1035 label, most kinds a DNS-1123 subdomain', () => {
    expect(messages(object('v1', 'Namespace', 'Redis_Orders'))).toEqual([`metadata.name: Invalid value: "Redis_Orders": ${DNS1123_LABEL}`]);
    expect(messages(object('v1', 'Namespace', 'redis.orders'))).toEqual(['metadata.name: Invalid value: "redis.orders": must not contain dots']);
    expect(messages(object('v1', 'Namespace', 'redis-orders'))).toEqual([]);
    expect(messages(object('v1', 'Service', '6379-orders'))).toEqual([`metadata.name: Invalid value: "6379-orders": ${DNS1035_LABEL}`]);
    expect(messages(object('v1', 'Service', 'orders-6379'))).toEqual([]);
    // What a Service refuses, a ConfigMap accepts, dots included; but not a colon.
    expect(messages(object('v1', 'ConfigMap', '6379-orders.v2'))).toEqual([]);
    expect(messages(object('v1', 'ConfigMap', 'orders:v2'))).toEqual([`metadata.name: Invalid value: "orders:v2": ${DNS1123_SUBDOMAIN}`]);
    const long = letters(64);
    expect(messages(object('apps/v1', 'StatefulSet', long))).toContain(`metadata.name: Invalid value: "${long}": must be no more than 63 characters`);
    expect(messages(object('apps/v1', 'Deployment', long))).toEqual([]);
    expect(messages(object('apps/v1', 'Deployment', letters(254)))).toEqual([`metadata.name: Invalid value: "${letters(254)}": must be no more than 253 characters`]);
  });

  it('RBAC kinds and PodDisruptionBudgets only may not hold "/" or "%" (or be "." or "..")', () => {
    expect(messages(object('rbac.authorization.k8s.io/v1', 'Role', 'system:redis:Viewer'))).toEqual([]);
    expect(messages(object('rbac.authorization.k8s.io/v1', 'RoleBinding', 'orders/viewer'))).toEqual(['metadata.name: Invalid value: "orders/viewer": may not contain \'/\'']);
    expect(messages(object('rbac.authorization.k8s.io/v1', 'ClusterRole', '..'))).toEqual(['metadata.name: Invalid value: "..": may not be \'..\'']);
    expect(messages(object('policy/v1', 'PodDisruptionBudget', 'Orders_Members'))).toEqual([]);
    expect(messages(object('policy/v1', 'PodDisruptionBudget', '50%'))).toEqual(['metadata.name: Invalid value: "50%": may not contain \'%\'']);
  });

  it('a custom resource takes a DNS-1123 subdomain; a built-in kind without a known rule is left alone', () => {
    expect(messages(object('bitnami.com/v1alpha1', 'SealedSecret', 'Orders.Auth'))).toEqual([`metadata.name: Invalid value: "Orders.Auth": ${DNS1123_SUBDOMAIN}`]);
    expect(messages(object('bitnami.com/v1alpha1', 'SealedSecret', 'orders.auth'))).toEqual([]);
    expect(messages(object('certificates.k8s.io/v1', 'CertificateSigningRequest', 'Orders_CSR'))).toEqual([]);
  });

  it('a CronJob name has at most 52 characters (its Jobs append 11)', () => {
    const cronJob = (name: string) => object('batch/v1', 'CronJob', name, { spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: { spec: podSpec([{ name: 'backup' }]) } } } } });
    expect(messages(cronJob(letters(52)))).toEqual([]);
    expect(messages(cronJob(letters(53)))).toEqual([`metadata.name: Invalid value: "${letters(53)}": must be no more than 52 characters`]);
    expect(messages(object('batch/v1', 'Job', letters(53)))).toEqual([]);
  });

  it("a CronJob's jobTemplate labels and annotations, which the API server checks only in the Jobs its controller makes of them", () => {
    const cronJob = (metadata: Record<string, unknown>) =>
      object('batch/v1', 'CronJob', 'orders-backup', { spec: { schedule: '0 * * * *', jobTemplate: { metadata, spec: { template: { spec: podSpec([{ name: 'backup' }]) } } } } });
    expect(messages(cronJob({ labels: { 'app.kubernetes.io/component': 'backup' }, annotations: { 'redis-gitops.dev/x': 'y' } }))).toEqual([]);
    const refused = apiServerFindings(cronJob({ labels: { component: 'nightly backup' }, annotations: { 'Not/A/Key': '' } }));
    expect(refused.map((f) => [f.job, f.message])).toEqual([
      ['orders-backup-<minutes>', expect.stringMatching(/^metadata.labels: Invalid value: "nightly backup": a valid label must be /)],
      ['orders-backup-<minutes>', expect.stringMatching(/^metadata.annotations: Invalid value: "Not\/A\/Key": /)],
    ]);
  });

  it('a name or a generateName is required; a generateName may end in "-"', () => {
    expect(messages(object('v1', 'ConfigMap', undefined))).toEqual(['metadata.name: Required value: name or generateName is required']);
    expect(messages(object('v1', 'ConfigMap', undefined, { metadata: { generateName: 'orders-' } }))).toEqual([]);
    // Both the generateName and the name generated from it (the 5 random characters printed <random>).
    expect(messages(object('v1', 'ConfigMap', undefined, { metadata: { generateName: 'Orders-' } }))).toEqual([
      `metadata.generateName: Invalid value: "Orders-": ${DNS1123_SUBDOMAIN}`,
      `metadata.name: Invalid value: "Orders-<random>": ${DNS1123_SUBDOMAIN}`,
    ]);
  });

  it('lengths are counted in bytes, as Go does', () => {
    const name = `${letters(62)}é`;
    expect(name.length).toBe(63);
    expect(messages(object('v1', 'ConfigMap', name))).toEqual([`metadata.name: Invalid value: "${name}": ${DNS1123_SUBDOMAIN}`]);
    expect(messages(object('apps/v1', 'StatefulSet', name))).toEqual([`metadata.name: Invalid value: "${name}": must be no more than 63 characters`, `metadata.name: Invalid value: "${name}": ${DNS1123_LABEL}`]);
  });
});

describe('labels and annotations', () => {
  it('label keys are qualified names and values at most 63 characters', () => {
    const labeled = (labels: Obj) => object('v1', 'ConfigMap', 'orders', { metadata: { labels } });
    expect(messages(labeled({ 'app.kubernetes.io/Name': 'Orders_v7.2', 'redis-gitops.dev/deployment': '' }))).toEqual([]);
    expect(messages(labeled({ '-app': 'x' }))).toEqual([`metadata.labels: Invalid value: "-app": ${QUALIFIED_NAME_PART}`]);
    expect(messages(labeled({ 'Example.com/app': 'x' }))).toEqual([`metadata.labels: Invalid value: "Example.com/app": prefix part ${DNS1123_SUBDOMAIN}`]);
    expect(messages(labeled({ 'a/b/c': 'x' }))).toEqual([
      "metadata.labels: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ]);
    expect(messages(labeled({ app: letters(63) }))).toEqual([]);
    expect(messages(labeled({ app: letters(64) }))).toEqual([`metadata.labels: Invalid value: "${letters(64)}": must be no more than 63 characters`]);
    expect(messages(labeled({ app: 'orders redis' }))).toEqual([`metadata.labels: Invalid value: "orders redis": ${LABEL_VALUE}`]);
    expect(rulesOf(labeled({ app: letters(64) }))).toEqual(['schema.labels_annotations']);
  });

  it('annotation keys are qualified names in any case, and all annotations hold at most 256 KiB', () => {
    const annotated = (annotations: Obj) => object('v1', 'ConfigMap', 'orders', { metadata: { annotations } });
    expect(messages(annotated({ 'Example.com/Note': 'x' }))).toEqual([]);
    expect(messages(annotated({ 'example.com/release note': 'x' }))).toEqual([`metadata.annotations: Invalid value: "example.com/release note": ${QUALIFIED_NAME_PART}`]);
    // Key and value bytes count: 'k' plus 262143 bytes is the limit; one more is over.
    expect(messages(annotated({ k: letters(262143) }))).toEqual([]);
    expect(messages(annotated({ k: letters(262144) }))).toEqual(['metadata.annotations: Too long: must have at most 262144 bytes']);
    // Bytes, not characters: 87382 three-byte characters are over.
    expect(messages(annotated({ k: '€'.repeat(87382) }))).toEqual(['metadata.annotations: Too long: must have at most 262144 bytes']);
  });

  it("a workload's pod template labels are named <template>.labels, as the API server names them", () => {
    expect(messages(deployment(podSpec([{ name: 'haproxy' }]), 'orders-portal', { labels: { app: 'x', tier: letters(64) } }))).toEqual([
      `spec.template.labels: Invalid value: "${letters(64)}": must be no more than 63 characters`,
    ]);
    const sts = statefulSet(podSpec([{ name: 'redis' }]));
    ((sts.spec as Obj).template as Obj).metadata = { labels: { app: 'x' }, annotations: { 'bad key': '' } };
    expect(messages(sts)).toEqual([`spec.template.annotations: Invalid value: "bad key": ${QUALIFIED_NAME_PART}`]);
    expect(apiServerFindings(sts)[0]!.pod).toBeUndefined();
  });
});

describe('pod specs', () => {
  it('container and init container names are DNS-1123 labels, unique across both lists', () => {
    expect(messages(deployment(podSpec([{ name: 'haproxy' }, { name: 'exporter' }], { initContainers: [{ name: 'init-config', image: 'busybox:1' }] })))).toEqual([]);
    expect(messages(deployment(podSpec([{ name: 'HAProxy' }])))).toEqual([`spec.template.spec.containers[0].name: Invalid value: "HAProxy": ${DNS1123_LABEL}`]);
    expect(messages(deployment(podSpec([{ name: 'haproxy' }, { name: 'haproxy' }])))).toEqual(['spec.template.spec.containers[1].name: Duplicate value: "haproxy"']);
    expect(messages(deployment(podSpec([{ name: 'haproxy' }], { initContainers: [{ name: 'haproxy', image: 'busybox:1' }] })))).toEqual([
      'spec.template.spec.initContainers[0].name: Duplicate value: "haproxy"',
    ]);
    expect(messages(deployment(podSpec([{ name: '' }])))).toEqual(['spec.template.spec.containers[0].name: Required value']);
    expect(rulesOf(deployment(podSpec([{ name: 'HAProxy' }])))).toEqual(['schema.container_names']);
  });

  it('port names: at most 15 characters, [-a-z0-9], a letter, no hyphen at either end or doubled; unique in a container', () => {
    const ports = (...names: string[]) => deployment(podSpec([{ name: 'exporter', ports: names.map((name, i) => ({ name, containerPort: 9000 + i })) }]));
    const at = 'spec.template.spec.containers[0].ports[0].name';
    expect(messages(ports('sentinel-metric', 'm2', 'redis-tls'))).toEqual([]);
    expect(messages(ports('sentinel-metrics'))).toEqual([`${at}: Invalid value: "sentinel-metrics": must be no more than 15 characters`]);
    expect(messages(ports('Metrics'))).toEqual([`${at}: Invalid value: "Metrics": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`]);
    expect(messages(ports('6379'))).toEqual([`${at}: Invalid value: "6379": must contain at least one letter (a-z)`]);
    expect(messages(ports('redis--tls'))).toEqual([`${at}: Invalid value: "redis--tls": must not contain consecutive hyphens`]);
    expect(messages(ports('-tls'))).toEqual([`${at}: Invalid value: "-tls": must not begin or end with a hyphen`]);
    expect(messages(ports('metrics', 'metrics'))).toEqual(['spec.template.spec.containers[0].ports[1].name: Duplicate value: "metrics"']);
    // The same name in two containers is allowed; an unnamed port is too.
    expect(messages(deployment(podSpec([{ name: 'a', ports: [{ name: 'metrics' }, { containerPort: 1 }] }, { name: 'b', ports: [{ name: 'metrics' }] }])))).toEqual([]);
    expect(rulesOf(ports('sentinel-metrics'))).toEqual(['schema.port_names']);
  });

  it('volume names are DNS-1123 labels, unique, and every mount names a volume', () => {
    const withVolumes = (volumes: Obj[], mounts: string[]) => deployment(podSpec([{ name: 'haproxy', volumeMounts: mounts.map((name) => ({ name, mountPath: `/${name}` })) }], { volumes }));
    expect(messages(withVolumes([{ name: 'config', configMap: { name: 'c' } }, { name: 'tls', secret: { secretName: 's' } }], ['config', 'tls']))).toEqual([]);
    expect(messages(withVolumes([{ name: 'Config', configMap: { name: 'c' } }], []))).toEqual([`spec.template.spec.volumes[0].name: Invalid value: "Config": ${DNS1123_LABEL}`]);
    expect(messages(withVolumes([{ name: 'config', emptyDir: {} }, { name: 'config', emptyDir: {} }], []))).toEqual(['spec.template.spec.volumes[1].name: Duplicate value: "config"']);
    expect(messages(withVolumes([{ name: 'config', emptyDir: {} }], ['config', 'tls']))).toEqual(['spec.template.spec.containers[0].volumeMounts[1].name: Not found: "tls"']);
    // A volume the API server refuses is not there for a mount either.
    expect(messages(withVolumes([{ name: 'Config', emptyDir: {} }], ['Config']))).toEqual([
      `spec.template.spec.volumes[0].name: Invalid value: "Config": ${DNS1123_LABEL}`,
      'spec.template.spec.containers[0].volumeMounts[0].name: Not found: "Config"',
    ]);
    expect(rulesOf(withVolumes([{ name: 'config', emptyDir: {} }], ['tls']))).toEqual(['schema.volume_names']);
  });

  it('every kind that carries a pod spec, at the path its own validation prints', () => {
    const bad = podSpec([{ name: 'redis', ports: [{ name: 'sentinel-metrics', containerPort: 9355 }] }]);
    const at = (prefix: string) => `${prefix}.containers[0].ports[0].name: Invalid value: "sentinel-metrics": must be no more than 15 characters`;
    expect(messages(object('v1', 'Pod', 'orders-debug', { spec: bad }))).toEqual([at('spec')]);
    for (const kind of ['Deployment', 'ReplicaSet', 'DaemonSet']) expect(messages(object('apps/v1', kind, 'orders', { spec: { template: { spec: bad } } }))).toEqual([at('spec.template.spec')]);
    expect(messages(object('v1', 'ReplicationController', 'orders', { spec: { template: { spec: bad } } }))).toEqual([at('spec.template.spec')]);
    expect(messages(object('batch/v1', 'Job', 'orders-backup', { spec: { template: { spec: bad } } }))).toEqual([at('spec.template.spec')]);
    expect(messages(object('batch/v1', 'CronJob', 'orders-backup', { spec: { jobTemplate: { spec: { template: { spec: bad } } } } }))).toEqual([at('spec.jobTemplate.spec.template.spec')]);
  });
});

describe("a StatefulSet's pods", () => {
  it('are refused, not the StatefulSet, for what is wrong in the template spec: the exact message of the measured incident', () => {
    const findings = apiServerFindings(statefulSet(podSpec([{ name: 'redis' }, { name: 'sentinel' }, { name: 'redis-exporter' }, { name: 'sentinel-exporter', ports: [{ name: 'sentinel-metrics', containerPort: 9355 }] }]), 'orders-data-0'));
    expect(findings).toEqual<ApiServerFinding[]>([
      {
        rule: 'schema.port_names',
        field: 'spec.containers[3].ports[0].name',
        message: 'spec.containers[3].ports[0].name: Invalid value: "sentinel-metrics": must be no more than 15 characters',
        pod: 'orders-data-0-0',
      },
    ]);
  });

  it('see the volumeClaimTemplates as volumes, first', () => {
    const spec = podSpec([{ name: 'redis', volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'config', mountPath: '/config' }] }], { volumes: [{ name: 'config', configMap: { name: 'c' } }, { name: 'Tmp', emptyDir: {} }] });
    const claims = { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] };
    expect(messages(statefulSet(spec, 'orders-data-0', claims))).toEqual([`spec.volumes[2].name: Invalid value: "Tmp": ${DNS1123_LABEL}`]);
    // Without the claim, "data" names no volume.
    expect(messages(statefulSet(spec))).toEqual([`spec.volumes[1].name: Invalid value: "Tmp": ${DNS1123_LABEL}`, 'spec.containers[0].volumeMounts[0].name: Not found: "data"']);
    expect(messages(deployment(spec))).toContain('spec.template.spec.containers[0].volumeMounts[0].name: Not found: "data"');
  });

  it('carry controller-revision-hash: <name>-<hash of up to 10 characters>, so the name has at most 52 characters', () => {
    const sts = (name: string) => statefulSet(podSpec([{ name: 'redis' }]), name);
    expect(messages(sts(letters(52)))).toEqual([]);
    const name = letters(53);
    expect(apiServerFindings(sts(name))).toEqual([
      {
        rule: 'schema.controller_pods',
        field: 'metadata.labels',
        message: `metadata.labels: Invalid value: "${name}-<hash>": must be no more than 63 characters`,
        pod: `${name}-0`,
        note: expect.stringContaining('this name leaves room for 9, and a StatefulSet name can have at most 52 characters'),
      },
    ]);
  });

  it('are named <name>-<ordinal>, their hostname and a label value: the first pod whose name is too long is named', () => {
    const name = letters(61);
    const at = (pod: string) => apiServerFindings(statefulSet(podSpec([{ name: 'redis' }]), name, { replicas: 200 })).filter((f) => f.pod === pod).map((f) => f.message);
    // <61>-0 .. <61>-9 fit in 63; <61>-10 does not.
    expect(at(`${name}-10`)).toEqual([
      `metadata.labels: Invalid value: "${name}-10": must be no more than 63 characters`,
      `spec.hostname: Invalid value: "${name}-10": must be no more than 63 characters`,
    ]);
    expect(at(`${name}-0`)).toHaveLength(1); // the revision hash label only
    // A name the API server refuses is reported once, not again for each pod.
    expect(rulesOf(statefulSet(podSpec([{ name: 'redis' }]), 'Orders-Data'))).toEqual(['schema.object_name']);
    // With the start ordinal at 100, the very first pod is too long.
    expect(apiServerFindings(statefulSet(podSpec([{ name: 'redis' }]), letters(60), { ordinals: { start: 100 } })).map((f) => f.pod)).toContain(`${letters(60)}-100`);
  });

  it('take spec.serviceName as their subdomain, a DNS-1123 label', () => {
    const sts = statefulSet(podSpec([{ name: 'redis' }]));
    (sts.spec as Obj).serviceName = 'orders.headless';
    expect(apiServerFindings(sts)).toEqual([expect.objectContaining({ rule: 'schema.controller_pods', message: 'spec.subdomain: Invalid value: "orders.headless": must not contain dots', pod: 'orders-data-0-0' })]);
  });
});

describe('the generator and the gate', () => {
  it('every object the generator made (dist/) passes', async () => {
    const files = await findManifestFiles([path.join(projectRoot, 'dist')]);
    const objects = files.flatMap((file) => readObjects(file));
    expect(objects.length).toBeGreaterThan(60);
    expect(objects.flatMap((o) => apiServerFindings(o.object).map((f) => `${o.file}: ${f.message}`))).toEqual([]);
  });

  it("fails the StatefulSet the generator made before the fix (the sentinel exporter's port was sentinel-metrics)", async () => {
    const file = path.join(projectRoot, 'dist/example/orders/statefulset-orders-data-0.yaml');
    const sts = parse(readFileSync(file, 'utf8'));
    const exporter = sts.spec.template.spec.containers.findIndex((c: { ports?: { name: string }[] }) => c.ports?.some((p) => p.name === 'sentinel-metric'));
    expect(exporter).toBeGreaterThanOrEqual(0);
    sts.spec.template.spec.containers[exporter].ports.find((p: { name: string }) => p.name === 'sentinel-metric').name = 'sentinel-metrics';
    const message = `Pod "orders-data-0-0" is invalid: spec.containers[${exporter}].ports[0].name: Invalid value: "sentinel-metrics": must be no more than 15 characters`;
    // What the StatefulSet controller's event said, word for word.
    expect(message).toBe('Pod "orders-data-0-0" is invalid: spec.containers[3].ports[0].name: Invalid value: "sentinel-metrics": must be no more than 15 characters');

    // Through the gate: the schema check reports it, saying it is the controller's pods that are refused.
    const dir = tempDir();
    writeFileSync(path.join(dir, 'statefulset.yaml'), stringify(sts));
    const report = await runGate([dir]);
    expect(report.violations.filter((v) => v.rule.startsWith('schema.'))).toEqual([
      expect.objectContaining({
        rule: 'schema.port_names',
        severity: 'error',
        message: `the API server will refuse the pods the StatefulSet controller creates: ${message}`,
        resource: expect.objectContaining({ kind: 'StatefulSet', name: 'orders-data-0' }),
      }),
    ]);
    expect(report.rules['schema.port_names']).toEqual(apiServerRules['schema.port_names']);
  });

  it('registers every rule with the schema rules, and checks kinds the gate has no schema for', () => {
    for (const rule of Object.keys(apiServerRules)) expect(schemaRules[rule], rule).toEqual(expect.objectContaining({ severity: 'error' }));
    const check = schemaChecker();
    expect(check({ file: 'x.yaml', object: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'Widget_1' } } })).toEqual([
      expect.objectContaining({ rule: 'schema.object_name', message: `metadata.name: Invalid value: "Widget_1": ${DNS1123_SUBDOMAIN}` }),
    ]);
  });

  it('objects of the wrong shape are left to schema.invalid, without a crash', () => {
    for (const o of [null, 'x', [], { kind: 'Pod' }, object('v1', 'Pod', 'p', { metadata: { labels: ['a'], annotations: 'x' }, spec: { containers: 'redis', volumes: [1, null, { name: 7 }] } })]) {
      expect(apiServerFindings(o)).toEqual([]);
    }
    expect(messages(deployment({ containers: [{ name: 7, ports: [{ name: 8 }], volumeMounts: 'x' }, null] }))).toEqual([]);
  });
});

// What test/engine/apiserver-validation.engine.test.ts found, comparing the gate with a real
// kube-apiserver v1.28.15 on dry-run creates; each case is what that API server answered.
describe('the differences a real API server showed', () => {
  const generated = (kind: string, generateName: string, apiVersion = 'v1') => object(apiVersion, kind, undefined, { metadata: { generateName }, ...(kind === 'CronJob' ? { spec: {} } : {}) });

  it('the name generated from a generateName is validated too: generateName cut to 58 bytes, then 5 random characters', () => {
    // Go masks a trailing '-' as 'a' after cutting two bytes, so "X-" passes as a generateName; "X<random>" does not as a name.
    expect(apiServerFindings(generated('ConfigMap', 'X-'))).toEqual([
      expect.objectContaining({ rule: 'schema.object_name', field: 'metadata.name', message: `metadata.name: Invalid value: "X-<random>": ${DNS1123_SUBDOMAIN}`, note: expect.stringContaining('5 random characters') }),
    ]);
    expect(messages(generated('ConfigMap', 'a.-'))).toEqual([`metadata.name: Invalid value: "a.-<random>": ${DNS1123_SUBDOMAIN}`]);
    expect(messages(generated('Service', '1-'))).toEqual([`metadata.name: Invalid value: "1-<random>": ${DNS1035_LABEL}`]);
    expect(messages(generated('ConfigMap', letters(100)))).toEqual([]);
    // A generated CronJob name has up to 63 characters: a generateName of 48 makes 53.
    expect(messages(generated('CronJob', letters(47), 'batch/v1'))).toEqual([]);
    expect(messages(generated('CronJob', letters(48), 'batch/v1'))).toEqual([`metadata.name: Invalid value: "${letters(48)}<random>": must be no more than 52 characters`]);
    // Cutting bytes can split a character: what is left of it is not UTF-8, and Go quotes it byte by byte.
    expect(messages(generated('ConfigMap', `${letters(57)}é-`))).toEqual([
      `metadata.generateName: Invalid value: "${letters(57)}é-": ${DNS1123_SUBDOMAIN}`,
      `metadata.name: Invalid value: "${letters(57)}\\xc3<random>": ${DNS1123_SUBDOMAIN}`,
    ]);
  });

  it("a Namespace's name is also its kubernetes.io/metadata.name label, replacing any (not so for a generated name)", () => {
    const name = `${letters(62)}é`;
    expect(messages(object('v1', 'Namespace', name))).toEqual([
      `metadata.name: Invalid value: "${name}": must be no more than 63 characters`,
      `metadata.name: Invalid value: "${name}": ${DNS1123_LABEL}`,
      `metadata.labels: Invalid value: "${name}": must be no more than 63 characters`,
      `metadata.labels: Invalid value: "${name}": ${LABEL_VALUE}`,
    ]);
    expect(rulesOf(object('v1', 'Namespace', '-orders'))).toEqual(['schema.object_name']);
    const labelled = (metadata: Obj) => object('v1', 'Namespace', undefined, { metadata: { ...metadata, namespace: undefined, labels: { 'kubernetes.io/metadata.name': 'Not valid!' } } });
    expect(messages(labelled({ name: 'orders' }))).toEqual([]);
    expect(messages(labelled({ generateName: 'orders-' }))).toEqual([`metadata.labels: Invalid value: "Not valid!": ${LABEL_VALUE}`]);
  });

  it("a Job's name labels its pod template (job-name, batch.kubernetes.io/job-name), so it has at most 63 characters", () => {
    const job = (name: string, spec: Obj = {}, metadata: Obj = {}) =>
      object('batch/v1', 'Job', name, { metadata, spec: { template: { spec: podSpec([{ name: 'backup' }], { restartPolicy: 'Never' }) }, ...spec } });
    expect(messages(job(letters(63)))).toEqual([]);
    const long = letters(64);
    expect(apiServerFindings(job(long))).toEqual([
      expect.objectContaining({ rule: 'schema.object_name', message: `spec.template.labels: Invalid value: "${long}": must be no more than 63 characters`, note: expect.stringContaining('job-name') }),
      expect.objectContaining({ rule: 'schema.object_name', message: `spec.template.labels: Invalid value: "${long}": must be no more than 63 characters`, note: expect.stringContaining('batch.kubernetes.io/job-name') }),
    ]);
    // Not with a manual selector.
    expect(messages(job(long, { manualSelector: true, selector: { matchLabels: { app: 'x' } } }))).toEqual([]);
    // An Indexed Job's last pod is named <name>-<completions - 1>, a DNS label.
    const indexed = (name: string, completions: number) => messages(job(name, { completionMode: 'Indexed', completions }));
    expect(indexed(letters(61), 10)).toEqual([]);
    expect(indexed(letters(61), 11)).toEqual([`metadata.name: Invalid value: "${letters(61)}": will not able to create pod with invalid DNS label: ${letters(61)}-10`]);
  });

  it("a Job or ReplicationController without labels is given its template's, the same map: refused twice", () => {
    const template = (labels: Obj) => ({ metadata: { labels }, spec: podSpec([{ name: 'redis' }]) });
    const rc = (labels: Obj | undefined) => object('v1', 'ReplicationController', 'orders', { metadata: labels ? { labels } : {}, spec: { template: template({ app: 'x', tier: 'Not valid!' }) } });
    const bad = `Invalid value: "Not valid!": ${LABEL_VALUE}`;
    expect(messages(rc(undefined))).toEqual([`spec.template.labels: ${bad}`, `metadata.labels: ${bad}`]);
    expect(messages(rc({}))).toEqual([`spec.template.labels: ${bad}`, `metadata.labels: ${bad}`]);
    expect(messages(rc({ team: 'x' }))).toEqual([`spec.template.labels: ${bad}`]);
    // A Job's job-name labels are added to that map, so they are the Job's too.
    const long = letters(64);
    const job = object('batch/v1', 'Job', long, { spec: { template: template({}) } });
    expect(apiServerFindings(job).map((f) => f.field)).toEqual(['spec.template.labels', 'metadata.labels', 'spec.template.labels', 'metadata.labels']);
    // Without template labels there is no map to share.
    expect(apiServerFindings(object('batch/v1', 'Job', long, { spec: { template: { spec: podSpec([{ name: 'redis' }]) } } })).map((f) => f.field)).toEqual(['spec.template.labels', 'spec.template.labels']);
  });

  it("a StatefulSet with a generateName: its pods are checked too, named <generateName><random>-<ordinal>; not when the generateName is refused", () => {
    const sts = (generateName: string) => {
      const s = statefulSet(podSpec([{ name: 'redis', ports: [{ name: 'sentinel-metrics', containerPort: 9355 }] }]));
      delete (s.metadata as Obj).name;
      (s.metadata as Obj).generateName = generateName;
      return s;
    };
    expect(apiServerFindings(sts('orders-'))).toEqual([
      expect.objectContaining({ rule: 'schema.port_names', message: 'spec.containers[0].ports[0].name: Invalid value: "sentinel-metrics": must be no more than 15 characters', pod: 'orders-<random>-0' }),
    ]);
    // 58 + 5 characters: the revision label and the pod name would be too long, but the generateName
    // itself (65 characters, 64 once its '-' is masked) is refused, so no pod is ever made.
    expect(rulesOf(sts(`${letters(64)}-`))).toEqual(['schema.object_name', 'schema.port_names']);
    expect(apiServerFindings(sts(`${letters(63)}-`)).map((f) => f.field)).toEqual(['metadata.labels', 'metadata.labels', 'spec.hostname', 'spec.containers[0].ports[0].name']);
  });
});

describe("Go's %q", () => {
  it('quotes as strconv.Quote does', () => {
    expect(goQuote('sentinel-metrics')).toBe('"sentinel-metrics"');
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote('tab\there\n')).toBe('"tab\\there\\n"');
    expect(goQuote('\x00\x7f')).toBe('"\\x00\\x7f"');
    expect(goQuote('café ☕')).toBe('"café ☕"');
    expect(goQuote('no\u00a0break\u200b')).toBe('"no\\u00a0break\\u200b"');
  });
});
