import { Testing } from 'cdk8s';
import { internalLoadBalancers } from '../../model/load-balancers.js';
import { storageProviders } from '../../model/storage-providers.js';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { RedisDeploymentChart } from '../../charts/deployment-chart.js';
import { APPLICATION_SECRET_WAVE, ROLLOUT_WAVE, SYNC_WAVE_ANNOTATION, syncWave } from '../../charts/sync-waves.js';
import { engineVersion, imagePatch } from '../../model/engines.js';
import { CONFIG_CHECKSUM_ANNOTATION, GENERATOR_VERSION_LABEL, SECRETS_CHECKSUM_ANNOTATION } from '../../model/labels.js';
import { serverCertificateNames } from '../../model/secrets.js';
import type { Deployment } from '../../src/config/load.js';
import { DeploymentSchema } from '../../src/config/schema.js';
import { fixedSecrets, objectNamed, ofKind, passwordLines, synthChart, testCluster } from '../support/constructs.js';

/**
 * The deployment chart composes the constructs (each tested in its own file here) from one
 * deployment's inputs: what is tested here is what it passes them and what it adds, built alone in a
 * Testing.app() from a deployment file's contents and fixed secrets.
 */
const cluster = testCluster();
const secrets = fixedSecrets('orders');

/** What a deployment file holds, before the schema's defaults. */
type DeploymentFile = z.input<typeof DeploymentSchema>;

function synth(file: DeploymentFile, on = cluster) {
  const deployment: Deployment = { name: 'orders', file: 'deployments/orders.yaml', namespace: 'redis-orders', spec: DeploymentSchema.parse(file), cluster: on };
  return synthChart(new RedisDeploymentChart(Testing.app(), 'orders', { deployment, generatorVersion: '0.0.0-test', secrets }));
}

const ordersFile = {
  cluster: 'test',
  redis: { engine: 'redis', version: '8.6', memory: '2Gi', evictionPolicy: 'noeviction' },
  persistence: { size: '20Gi', mode: 'aof+rdb' },
  portal: { serviceType: 'LoadBalancer', hostnames: ['orders-redis.example.com'] },
  access: { platform: [{ group: 'orders-sre', role: 'Operator' }, { group: 'platform-admins', role: 'Administrator' }] },
} satisfies DeploymentFile;

describe('the portal Service as a load balancer', () => {
  const service = (portal: DeploymentFile['portal'], provider = 'ibm-vpc-block') => {
    const s = objectNamed(synth({ ...ordersFile, portal }, testCluster({ provider })), 'Service', 'orders');
    // Every object has its sync wave: the load balancer's own annotations are the others.
    const { [SYNC_WAVE_ANNOTATION]: _wave, ...annotations } = s.metadata.annotations ?? {};
    return { annotations, ranges: s.spec.loadBalancerSourceRanges };
  };

  it("is internal by its cloud's annotation (the cluster's storage provider names the cloud), and admits the source ranges given", () => {
    const internal: DeploymentFile['portal'] = { serviceType: 'LoadBalancer', loadBalancer: { internal: true, sourceRanges: ['10.0.0.0/8', '2001:db8::/32'] } };
    for (const provider of storageProviders) {
      const s = service(internal, provider);
      expect(s.annotations, provider).toEqual(internalLoadBalancers[provider].annotations);
      expect(s.ranges, provider).toEqual(['10.0.0.0/8', '2001:db8::/32']);
    }
    expect(service(internal, 'aws-ebs').annotations['service.beta.kubernetes.io/aws-load-balancer-scheme']).toBe('internal');
  });

  it('is of the cloud default kind, open to any address, without options', () => {
    for (const portal of [{ serviceType: 'LoadBalancer' }, { serviceType: 'LoadBalancer', loadBalancer: {} }] satisfies DeploymentFile['portal'][]) {
      expect(service(portal)).toEqual({ annotations: {}, ranges: undefined });
    }
  });
});

describe('deployment chart', () => {
  const objects = synth(ordersFile);
  const memberStatefulSets = ['orders-data-0', 'orders-data-1', 'orders-tiebreaker'].map((name) => objectNamed(objects, 'StatefulSet', name));

  it('creates a Namespace that enforces the restricted pod security standard, and puts everything else in it', () => {
    const ns = objectNamed(objects, 'Namespace', 'redis-orders');
    expect(ns.metadata.namespace).toBeUndefined();
    expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    for (const o of objects.filter((m) => m !== ns)) expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe('redis-orders');
  });

  it('labels every object with the app.kubernetes.io set and the generator version, under the name it was given', () => {
    for (const o of objects) {
      expect(o.metadata.labels, `${o.kind} ${o.metadata.name}`).toMatchObject({
        'app.kubernetes.io/name': 'redis',
        'app.kubernetes.io/instance': 'orders',
        'app.kubernetes.io/component': expect.any(String),
        'app.kubernetes.io/part-of': 'managed-redis',
        'app.kubernetes.io/managed-by': 'redis-gitops',
        'app.kubernetes.io/version': imagePatch(engineVersion('redis', '8.6')!.image),
        [GENERATOR_VERSION_LABEL]: '0.0.0-test',
      });
      expect(o.metadata.name, o.kind).not.toMatch(/-c8[0-9a-f]{6}$/);
    }
  });

  it("gives every object the sync wave of its kind, but the rollout Job and the users' Secrets, which come after the workloads", () => {
    const forApplications = (o: { kind: string; metadata: { name: string } }) => o.kind === 'SealedSecret' && o.metadata.name.startsWith('orders-user-');
    expect(objects.filter(forApplications).map((o) => o.metadata.name).sort()).toEqual(['orders-user-admin']);
    const wave = (o: { kind: string; metadata: { name: string } }) => (forApplications(o) ? APPLICATION_SECRET_WAVE : o.kind === 'Job' ? ROLLOUT_WAVE : syncWave(o.kind));
    for (const o of objects) expect(o.metadata.annotations?.[SYNC_WAVE_ANNOTATION], `${o.kind} ${o.metadata.name}`).toBe(String(wave(o)));
  });

  it("places the members in the cluster's zones, on its storage class, with the deployment's memory and disk", () => {
    const zones = memberStatefulSets.map((s) => s.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values);
    expect(zones).toEqual(cluster.spec.zones.map((zone) => [zone]));
    for (const sts of memberStatefulSets) expect(sts.spec.volumeClaimTemplates[0].spec.storageClassName).toBe(cluster.spec.storage.storageClassName);
    const [data0] = memberStatefulSets;
    expect(data0!.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('20Gi');
    expect(data0!.spec.template.spec.containers[0]).toMatchObject({ name: 'redis', image: engineVersion('redis', '8.6')!.image, resources: { limits: { memory: '2Gi' } } });
  });

  it("renders the deployment's timing and opt-ins into the members' ConfigMap", () => {
    const data = objectNamed(synth({ ...ordersFile, sentinel: { downAfterMilliseconds: 2000, failoverTimeout: 20000 }, redis: { ...ordersFile.redis, minReplicasToWrite: 1 } }), 'ConfigMap', 'orders-members').data;
    expect(data['sentinel.conf']).toContain('sentinel down-after-milliseconds orders 2000\n');
    expect(data['sentinel.conf']).toContain('sentinel failover-timeout orders 20000\n');
    expect(data['redis.conf']).toContain('min-replicas-to-write 1\n');
  });

  it('rolls the pods when their rendered configuration changes, and only then', () => {
    const checksum = (o: typeof objects) => objectNamed(o, 'StatefulSet', 'orders-data-0').spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION];
    const before = checksum(objects);
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(synth(ordersFile))).toBe(before);
    expect(checksum(synth({ ...ordersFile, redis: { ...ordersFile.redis, evictionPolicy: 'allkeys-lru' } }))).not.toBe(before);
  });

  it('exposes TLS ports only, on the members and the one portal Service, of the type the deployment asks for', () => {
    // Each Service's ports are pinned in sentinel-cluster.test.ts and portals.test.ts: here, that there is no other.
    const services = ofKind(objects, 'Service');
    expect(services.map((s) => s.metadata.name).sort()).toEqual(['orders', 'orders-data-0', 'orders-data-1', 'orders-tiebreaker']);
    for (const s of services) {
      for (const p of s.spec.ports) expect(`${p.name}:${p.port}`, s.metadata.name).toMatch(/^(redis-tls:6379|sentinel-tls:26379)$/);
    }
    expect(objectNamed(objects, 'Service', 'orders').spec.type).toBe('LoadBalancer');
    expect(objectNamed(synth({ cluster: 'test', redis: { memory: '1Gi' }, persistence: { size: '10Gi' } }), 'Service', 'orders').spec.type).toBe('ClusterIP');
  });

  it('denies all traffic by default and allows members, portals, the rollout Job, the scraper and DNS', () => {
    expect(objectNamed(objects, 'NetworkPolicy', 'orders-default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const members = objectNamed(objects, 'NetworkPolicy', 'orders-members').spec;
    const sources = members.ingress.map((rule: { from: object[]; ports: { port: number }[] }) => ({ from: rule.from, ports: rule.ports.map((p) => p.port) }));
    expect(sources).toEqual([
      {
        from: [
          { podSelector: { matchLabels: { 'app.kubernetes.io/component': 'member', 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/name': 'redis' } } },
          { podSelector: { matchLabels: { 'app.kubernetes.io/component': 'portal', 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/name': 'redis' } } },
        ],
        ports: [6379, 26379],
      },
      { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/component': 'rollout', 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/name': 'redis' } } }], ports: [26379] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [9121, 9355] },
    ]);
    expect(members.egress.flatMap((rule: { ports: { port: number }[] }) => rule.ports.map((p) => p.port))).toEqual([6379, 26379, 53, 53]);
  });

  it("lets the cluster file's monitoring namespace, not a fixed one, reach the metrics ports", () => {
    const prometheus = { ...cluster, spec: { ...cluster.spec, monitoring: { namespace: 'prometheus' } } };
    const deployment: Deployment = { name: 'orders', file: 'deployments/orders.yaml', namespace: 'redis-orders', spec: DeploymentSchema.parse(ordersFile), cluster: prometheus };
    const chart = synthChart(new RedisDeploymentChart(Testing.app(), 'orders', { deployment, generatorVersion: '0.0.0-test', secrets }));
    const scraper = objectNamed(chart, 'NetworkPolicy', 'orders-members').spec.ingress.at(-1).from;
    expect(scraper).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'prometheus' } } }]);
  });

  it("binds the deployment's platform grants, groups or service accounts of its namespace, and nothing cluster-wide", () => {
    const bindings = (o: typeof objects) => Object.fromEntries(ofKind(o, 'RoleBinding').map((b) => [b.metadata.name, b.subjects]));
    const group = (name: string) => [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name }];
    // Besides the grants, only the rollout Job's own account (charts/rollout.ts).
    const rollout = [{ kind: 'ServiceAccount', name: 'orders-rollout', namespace: 'redis-orders' }];
    expect(bindings(objects)).toEqual({ 'orders-operator': group('orders-sre'), 'orders-administrator': group('platform-admins'), 'orders-rollout': rollout });
    expect(ofKind(objects, 'Role').map((r) => r.metadata.name).sort()).toEqual(['orders-administrator', 'orders-editor', 'orders-operator', 'orders-rollout', 'orders-viewer']);
    expect(objects.filter((o) => /^Cluster(Role|RoleBinding)$/.test(o.kind))).toEqual([]);
    const backup = synth({ ...ordersFile, access: { platform: [{ serviceAccount: 'backup', role: 'Viewer' }] } });
    expect(bindings(backup)).toEqual({ 'orders-viewer': [{ kind: 'ServiceAccount', name: 'backup', namespace: 'redis-orders' }], 'orders-rollout': rollout });
  });

  it('keeps every password out of ConfigMaps: the scripts read them from the mounted Secret', () => {
    expect(ofKind(objects, 'ConfigMap').map((m) => m.metadata.name).sort()).toEqual(['orders-ca', 'orders-members', 'orders-portal', 'orders-rollout']);
    for (const m of ofKind(objects, 'ConfigMap')) expect(passwordLines(m.metadata.name, m.data)).toEqual([]);
  });

  it('places the sealed secrets and the CA bundle, and changes the members\' templates when a secret changes', () => {
    expect(ofKind(objects, 'SealedSecret').map((s) => s.metadata.name).sort()).toEqual(Object.keys(secrets.sealedSecrets).sort());
    for (const [name, data] of Object.entries(secrets.sealedSecrets)) expect(objectNamed(objects, 'SealedSecret', name).spec.encryptedData).toEqual(data);
    expect(objectNamed(objects, 'ConfigMap', 'orders-ca').data).toEqual({ 'ca.crt': secrets.caBundle });
    const rotated = { ...secrets, sealedSecrets: { ...secrets.sealedSecrets, 'orders-tls': { ...secrets.sealedSecrets['orders-tls'], 'tls.crt': 'resealed' } } };
    const deployment: Deployment = { name: 'orders', file: 'deployments/orders.yaml', namespace: 'redis-orders', spec: DeploymentSchema.parse(ordersFile), cluster };
    const after = synthChart(new RedisDeploymentChart(Testing.app(), 'orders', { deployment, generatorVersion: '0.0.0-test', secrets: rotated }));
    for (const sts of memberStatefulSets) {
      const checksum = (o: typeof objects) => objectNamed(o, 'StatefulSet', sts.metadata.name).spec.template.metadata.annotations[SECRETS_CHECKSUM_ANNOTATION];
      expect(checksum(after), sts.metadata.name).not.toBe(checksum(objects));
    }
  });

  it('scrapes the ports the members and portals name, verifying the portals against the published CA by a name their certificate has', () => {
    const containerPorts = (spec: { containers: { ports?: { name: string }[] }[] }) => spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name));
    const memberPorts = containerPorts(memberStatefulSets[0]!.spec.template.spec);
    for (const { port } of objectNamed(objects, 'PodMonitor', 'orders-members').spec.podMetricsEndpoints) expect(memberPorts).toContain(port);
    const [endpoint] = objectNamed(objects, 'PodMonitor', 'orders-portals').spec.podMetricsEndpoints;
    expect(containerPorts(objectNamed(objects, 'Deployment', 'orders-portal').spec.template.spec)).toContain(endpoint.port);
    const { name, key } = endpoint.tlsConfig.ca.configMap;
    expect(objectNamed(objects, 'ConfigMap', name).data).toHaveProperty([key]);
    expect(serverCertificateNames({ deployment: 'orders', namespace: 'redis-orders' }, ordersFile.portal.hostnames)).toContain(endpoint.tlsConfig.serverName);
  });
});
