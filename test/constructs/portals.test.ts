import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Portals, type PortalsProps } from '../../charts/portals.js';
import { CONFIG_CHECKSUM_ANNOTATION, SECRETS_CHECKSUM_ANNOTATION } from '../../model/labels.js';
import { authSecretKeys, secretNames, tlsSecretKeys } from '../../model/secrets.js';
import { memberHosts, QUORUM, REDIS_PORT, SENTINEL_PORT } from '../../model/topology.js';
import { fixedSecrets, objectNamed, ordersId, synthConstruct } from '../support/constructs.js';

const hosts = memberHosts(ordersId);
const names = secretNames('orders');
const sealed = fixedSecrets('orders').sealedSecrets;
const props: PortalsProps = {
  id: ordersId,
  serviceType: 'LoadBalancer',
  primaryName: ordersId.deployment,
  dataMembers: hosts.filter((m) => m.holdsData),
  sentinels: hosts,
  redisPort: REDIS_PORT,
  sentinelPort: SENTINEL_PORT,
  quorum: QUORUM,
  tlsSecretName: names.tls,
  authSecretName: names.auth,
  sealedSecrets: sealed,
};
/** The sealed secrets with one value changed. */
const resealed = (secret: string, key: string) => ({ ...sealed, [secret]: { ...sealed[secret], [key]: 'resealed' } });

function synth(more: Partial<PortalsProps> = {}) {
  let portals: Portals | undefined;
  const objects = synthConstruct((scope) => (portals = new Portals(scope, 'Portals', { ...props, ...more })));
  return { objects, haproxyConfig: portals!.haproxyConfig, haproxyLua: portals!.haproxyLua };
}

describe('Portals', () => {
  const { objects, haproxyConfig, haproxyLua } = synth();
  const deployment = objectNamed(objects, 'Deployment', 'orders-portal');
  const selector = { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/component': 'portal' };
  const pod = deployment.spec.template.spec;
  const [haproxy] = pod.containers;

  it('runs two portals in different zones and on different nodes, replaced one at a time', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.selector.matchLabels).toEqual(selector);
    expect(deployment.spec.template.metadata.labels).toEqual(selector);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(pod.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: selector } },
    ]);
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toEqual([{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } }]);
    expect(objectNamed(objects, 'PodDisruptionBudget', 'orders-portal').spec).toEqual({ minAvailable: 1, selector: { matchLabels: selector } });
  });

  it('exposes only the TLS port on the Service, of the type asked for', () => {
    const service = objectNamed(objects, 'Service', 'orders');
    expect(service.spec).toEqual({ type: 'LoadBalancer', selector, ports: [{ name: 'redis-tls', port: 6379, targetPort: 6379 }] });
    expect(objectNamed(synth({ serviceType: 'ClusterIP' }).objects, 'Service', 'orders').spec.type).toBe('ClusterIP');
  });

  it('mounts the rendered haproxy.cfg and the Lua it loads, and rolls the pods when they or the secrets change', () => {
    expect(objectNamed(objects, 'ConfigMap', 'orders-portal').data).toEqual({ 'haproxy.cfg': haproxyConfig, 'portal.lua': haproxyLua });
    expect(haproxyConfig).toContain('lua-load /etc/haproxy/portal.lua');
    const annotations = deployment.spec.template.metadata.annotations;
    expect(annotations[CONFIG_CHECKSUM_ANNOTATION]).toBe(createHash('sha256').update(haproxyConfig + haproxyLua).digest('hex'));
    expect(synth({ quorum: QUORUM + 1 }).haproxyConfig).not.toBe(haproxyConfig);
    expect(synth({ quorum: QUORUM + 1 }).haproxyLua).not.toBe(haproxyLua);
    const secretsChecksum = (sealedSecrets: PortalsProps['sealedSecrets']) =>
      objectNamed(synth({ sealedSecrets }).objects, 'Deployment', 'orders-portal').spec.template.metadata.annotations[SECRETS_CHECKSUM_ANNOTATION];
    expect(annotations[SECRETS_CHECKSUM_ANNOTATION]).toMatch(/^[0-9a-f]{64}$/);
    expect(secretsChecksum(sealed)).toBe(annotations[SECRETS_CHECKSUM_ANNOTATION]);
    for (const [secret, key] of [[names.tls, tlsSecretKeys.bundle], [names.tls, tlsSecretKeys.ca], [names.auth, authSecretKeys.sentinelAuth], [names.auth, 'acl-portal']]) {
      expect(secretsChecksum(resealed(secret!, key!)), `${secret} ${key}`).not.toBe(annotations[SECRETS_CHECKSUM_ANNOTATION]);
    }
    // The ACL file changes with every application user; the portals do not read it.
    expect(secretsChecksum(resealed(names.auth, authSecretKeys.aclFile))).toBe(annotations[SECRETS_CHECKSUM_ANNOTATION]);
    expect(pod.volumes).toEqual([
      { name: 'config', configMap: { name: 'orders-portal' } },
      { name: 'tls', secret: { secretName: 'orders-tls' } },
    ]);
  });

  it('runs restricted, with the check passwords from the auth Secret, never literally', () => {
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(haproxy.securityContext).toEqual({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(haproxy.env.map((e: { valueFrom: { secretKeyRef: { name: string; key: string } } }) => e.valueFrom.secretKeyRef)).toEqual([
      { name: 'orders-auth', key: 'acl-portal' },
      { name: 'orders-auth', key: 'sentinel-auth' },
    ]);
    for (const variable of haproxy.env.map((e: { name: string }) => e.name)) expect(haproxyConfig).toContain(`\${${variable}}`);
    expect(haproxy.readinessProbe.httpGet).toEqual({ scheme: 'HTTPS', path: '/metrics', port: 8404 });
  });
});
