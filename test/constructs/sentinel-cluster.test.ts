import { describe, expect, it } from 'vitest';
import { SentinelCluster, type SentinelClusterProps } from '../../charts/sentinel-cluster.js';
import { engineVersion, imagePatch } from '../../model/engines.js';
import { CONFIG_CHECKSUM_ANNOTATION, SECRETS_CHECKSUM_ANNOTATION } from '../../model/labels.js';
import { secretNames } from '../../model/secrets.js';
import { parseQuantity } from '../../src/config/quantity.js';
import { objectNamed, ofKind, ordersId, passwordLines, synthConstruct } from '../support/constructs.js';

const props: SentinelClusterProps = {
  id: ordersId,
  zones: ['zone-a', 'zone-b', 'zone-c'],
  engine: 'redis',
  image: engineVersion('redis', '8.6')!.image,
  redisMemory: '2Gi',
  redisMemoryBytes: parseQuantity('2Gi'),
  evictionPolicy: 'noeviction',
  persistence: 'aof+rdb',
  minReplicasToWrite: 0,
  downAfterMilliseconds: 5000,
  failoverTimeout: 60000,
  storageClassName: 'redis-encrypted',
  diskSize: '20Gi',
  tlsSecretName: secretNames('orders').tls,
  authSecretName: secretNames('orders').auth,
  sealedSecrets: {
    [secretNames('orders').tls]: { 'tls.crt': 'AgCrt', 'tls.key': 'AgKey', 'ca.crt': 'AgCa' },
    [secretNames('orders').auth]: { 'users.acl': 'AgAcl', 'sentinel-auth': 'AgSentinel', 'acl-member': 'AgMember' },
  },
};
/** The sealed secrets with one value replaced. */
const resealed = (secret: string, key: string, value: string) => ({ ...props.sealedSecrets, [secret]: { ...props.sealedSecrets[secret], [key]: value } });

const synth = (more: Partial<SentinelClusterProps> = {}) => synthConstruct((scope) => new SentinelCluster(scope, 'Members', { ...props, ...more }));
const statefulSet = (objects: ReturnType<typeof synth>, name: string) => objectNamed(objects, 'StatefulSet', name);
const memberNames = ['orders-data-0', 'orders-data-1', 'orders-tiebreaker'];

describe('SentinelCluster', () => {
  const objects = synth();
  const configMap = objectNamed(objects, 'ConfigMap', 'orders-members');

  it('pins resource names and selectors: they are immutable in a live cluster, a refactor must not move them', () => {
    const selectors = Object.fromEntries(ofKind(objects, 'StatefulSet').map((m) => [m.metadata.name, m.spec.selector.matchLabels]));
    const member = (name: string) => ({
      'app.kubernetes.io/name': 'redis',
      'app.kubernetes.io/instance': 'orders',
      'app.kubernetes.io/component': 'member',
      'redis-gitops.dev/member': name,
    });
    expect(selectors).toEqual({
      'orders-data-0': member('data-0'),
      'orders-data-1': member('data-1'),
      'orders-tiebreaker': member('tiebreaker'),
    });
    for (const name of Object.keys(selectors)) {
      const sts = statefulSet(objects, name);
      expect(sts.spec.template.metadata.labels).toEqual(sts.spec.selector.matchLabels);
      expect(objectNamed(objects, 'Service', name).spec.selector).toEqual(sts.spec.selector.matchLabels);
      expect(sts.spec.serviceName).toBe(name);
    }
    expect(objectNamed(objects, 'PodDisruptionBudget', 'orders-members').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/component': 'member' } },
    });
  });

  it('changes a member\'s pod template only when what that member reads changes', () => {
    const annotations = (o: ReturnType<typeof synth>) =>
      Object.fromEntries(memberNames.map((name) => [name, statefulSet(o, name).spec.template.metadata.annotations as Record<string, string>]));
    const changed = (o: ReturnType<typeof synth>) => memberNames.filter((name) => JSON.stringify(annotations(o)[name]) !== JSON.stringify(annotations(objects)[name]));
    for (const a of Object.values(annotations(objects))) {
      expect(a[CONFIG_CHECKSUM_ANNOTATION]).toMatch(/^[0-9a-f]{64}$/);
      expect(a[SECRETS_CHECKSUM_ANNOTATION]).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(changed(synth())).toEqual([]);
    // redis.conf and the ACL file are the data members' alone: the tie-breaker keeps running.
    expect(changed(synth({ evictionPolicy: 'allkeys-lru' }))).toEqual(['orders-data-0', 'orders-data-1']);
    expect(changed(synth({ sealedSecrets: resealed(secretNames('orders').auth, 'users.acl', 'AgAcl2') }))).toEqual(['orders-data-0', 'orders-data-1']);
    // What sentinel reads restarts every member.
    expect(changed(synth({ downAfterMilliseconds: 2000 }))).toEqual(memberNames);
    expect(changed(synth({ sealedSecrets: resealed(secretNames('orders').auth, 'sentinel-auth', 'AgSentinel2') }))).toEqual(memberNames);
    expect(changed(synth({ sealedSecrets: resealed(secretNames('orders').tls, 'tls.crt', 'AgCrt2') }))).toEqual(memberNames);
  });

  it('leaves restarts to the rollout Job: a new template restarts no pod by itself', () => {
    for (const name of memberNames) expect(statefulSet(objects, name).spec.updateStrategy, name).toEqual({ type: 'OnDelete' });
  });

  it('spreads the three members over the three zones, each volume on the storage class', () => {
    const zoneOf = (name: string) =>
      statefulSet(objects, name).spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions;
    expect(memberNames.map(zoneOf)).toEqual(props.zones.map((zone) => [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [zone] }]));
    const otherMembers = { matchLabels: { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/component': 'member' } };
    expect(statefulSet(objects, 'orders-data-0').spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([
      { topologyKey: 'kubernetes.io/hostname', labelSelector: otherMembers },
      { topologyKey: 'topology.kubernetes.io/zone', labelSelector: otherMembers },
    ]);
    const [claim] = statefulSet(objects, 'orders-data-0').spec.volumeClaimTemplates;
    expect(claim).toMatchObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'redis-encrypted' } });
    expect(claim.spec.resources.requests.storage).toBe('20Gi');
    // The tie-breaker keeps only sentinel state (current primary, epochs), on a small encrypted volume.
    const [state] = statefulSet(objects, 'orders-tiebreaker').spec.volumeClaimTemplates;
    expect(state).toMatchObject({ spec: { storageClassName: 'redis-encrypted', resources: { requests: { storage: '1Gi' } } } });
    expect(() => synth({ zones: ['zone-a', 'zone-b'] })).toThrow(/tiebreaker has no zone/);
  });

  it('declares each member\'s claim as the StatefulSet controller names it, from the same template, so a bigger size can grow it', () => {
    for (const name of memberNames) {
      const [template] = statefulSet(objects, name).spec.volumeClaimTemplates;
      const claim = objectNamed(objects, 'PersistentVolumeClaim', `data-${name}-0`);
      expect(claim.spec, name).toEqual(template.spec);
      expect(claim.metadata.annotations, name).toMatchObject(template.metadata.annotations);
      expect(claim.metadata.labels, name).toMatchObject(template.metadata.labels);
    }
    const grown = synth({ diskSize: '40Gi' });
    expect(objectNamed(grown, 'PersistentVolumeClaim', 'data-orders-data-1-0').spec.resources.requests.storage).toBe('40Gi');
    expect(objectNamed(grown, 'PersistentVolumeClaim', 'data-orders-tiebreaker-0').spec.resources.requests.storage).toBe('1Gi');
  });

  it('never prunes or deletes a data volume', () => {
    for (const name of memberNames) {
      const sts = statefulSet(objects, name);
      expect(sts.spec.persistentVolumeClaimRetentionPolicy, name).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
      expect(sts.spec.volumeClaimTemplates[0].metadata.annotations, name).toEqual({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' });
      expect(objectNamed(objects, 'PersistentVolumeClaim', `data-${name}-0`).metadata.annotations, name).toMatchObject({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' });
    }
  });

  it('renders the timing and opt-ins into the ConfigMap', () => {
    const data = objectNamed(synth({ downAfterMilliseconds: 2000, failoverTimeout: 20000, minReplicasToWrite: 1 }), 'ConfigMap', 'orders-members').data;
    expect(data['sentinel.conf']).toContain('sentinel down-after-milliseconds orders 2000\n');
    expect(data['sentinel.conf']).toContain('sentinel failover-timeout orders 20000\n');
    expect(data['redis.conf']).toContain('min-replicas-to-write 1\n');
    expect(configMap.data['redis.conf']).toContain('maxmemory-policy noeviction\n');
  });

  it('keeps every password out of the ConfigMap: the scripts read them from the mounted Secret', () => {
    expect(passwordLines('orders-members', configMap.data)).toEqual([]);
    expect(passwordLines('a literal', { 'redis.conf': 'masterauth hunter2\n' })).toHaveLength(1);
  });

  it('puts quorum 2 of 3 sentinels on the first data member, TLS ports only on the Services', () => {
    expect(configMap.data['sentinel.conf']).toMatch(/^sentinel monitor orders orders-data-0-0\.orders-data-0\.redis-orders\.svc\.cluster\.local 6379 2$/m);
    const ports = ofKind(objects, 'Service').flatMap((s) => s.spec.ports.map((p: { name: string; port: number }) => `${s.metadata.name}:${p.name}:${p.port}`));
    expect(ports.sort()).toEqual([
      'orders-data-0:redis-tls:6379',
      'orders-data-0:sentinel-tls:26379',
      'orders-data-1:redis-tls:6379',
      'orders-data-1:sentinel-tls:26379',
      'orders-tiebreaker:sentinel-tls:26379',
    ]);
    for (const s of ofKind(objects, 'Service')) expect(s.spec, s.metadata.name).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
  });

  it('runs restricted: non-root, read-only root, no privilege escalation, no capabilities, explicit resources', () => {
    const pod = statefulSet(objects, 'orders-data-0').spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.containers.map((c: { name: string }) => c.name)).toEqual(['redis', 'sentinel', 'exporter', 'sentinel-exporter']);
    expect(statefulSet(objects, 'orders-tiebreaker').spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['sentinel', 'sentinel-exporter']);
    for (const c of pod.containers) {
      expect(c.securityContext, c.name).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(Object.keys(c.resources.requests).sort(), c.name).toEqual(['cpu', 'memory']);
      expect(Object.keys(c.resources.limits).sort(), c.name).toEqual(['cpu', 'memory']);
      if (!c.name.endsWith('exporter')) {
        expect(c.livenessProbe?.exec, c.name).toBeDefined();
        expect(c.readinessProbe?.exec, c.name).toBeDefined();
      }
    }
    const redis = pod.containers.find((c: { name: string }) => c.name === 'redis');
    expect(redis.resources.limits.memory).toBe('2Gi');
    expect(redis.resources.requests.memory).toBe('2Gi');
    expect(redis.lifecycle.preStop.exec.command).toEqual(['sh', '/etc/redis/stop-redis.sh']);
    expect(pod.containers.map((c: { image: string }) => c.image).slice(0, 2)).toEqual([props.image, props.image]);
  });
});
