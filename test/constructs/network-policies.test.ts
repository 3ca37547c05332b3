import { describe, expect, it } from 'vitest';
import { NetworkPolicies } from '../../charts/network-policies.js';
import { PORTAL_PORT, PORTAL_STATS_PORT, REDIS_METRICS_PORT, REDIS_PORT, SENTINEL_METRICS_PORT, SENTINEL_PORT } from '../../model/topology.js';
import { objectNamed, ordersId, synthConstruct } from '../support/constructs.js';

const tcp = (port: number) => ({ protocol: 'TCP', port });
const dns = { to: [{ namespaceSelector: {} }], ports: [{ protocol: 'UDP', port: 53 }, tcp(53)] };
// Pinned: a policy that selects by other labels than the workloads carry lets nothing through.
const selector = (component: string) => ({ matchLabels: { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/component': component } });
const scraper = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'prometheus-ns' } } };

describe('NetworkPolicies', () => {
  const objects = synthConstruct(
    (scope) =>
      new NetworkPolicies(scope, 'NetworkPolicies', {
        id: ordersId,
        redisPort: REDIS_PORT,
        sentinelPort: SENTINEL_PORT,
        portalPort: PORTAL_PORT,
        portalStatsPort: PORTAL_STATS_PORT,
        metricsPorts: [REDIS_METRICS_PORT, SENTINEL_METRICS_PORT],
        monitoringNamespace: 'prometheus-ns',
      }),
  );
  const redisPorts = [tcp(REDIS_PORT), tcp(SENTINEL_PORT)];

  it('denies all traffic, in and out, of every pod by default', () => {
    expect(objects.map((o) => o.metadata.name)).toEqual(['orders-default-deny', 'orders-members', 'orders-portals', 'orders-rollout']);
    expect(objectNamed(objects, 'NetworkPolicy', 'orders-default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  it('lets members reach members, portals reach members, and the scraper reach only the metrics ports', () => {
    const { spec } = objectNamed(objects, 'NetworkPolicy', 'orders-members');
    expect(spec.podSelector).toEqual(selector('member'));
    expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(spec.ingress).toEqual([
      { from: [{ podSelector: selector('member') }, { podSelector: selector('portal') }], ports: redisPorts },
      { from: [{ podSelector: selector('rollout') }], ports: [tcp(SENTINEL_PORT)] },
      { from: [scraper], ports: [tcp(REDIS_METRICS_PORT), tcp(SENTINEL_METRICS_PORT)] },
    ]);
    expect(spec.egress).toEqual([{ to: [{ podSelector: selector('member') }], ports: redisPorts }, dns]);
  });

  it('lets anyone reach the portals on the TLS port only, and the scraper their stats port', () => {
    const { spec } = objectNamed(objects, 'NetworkPolicy', 'orders-portals');
    expect(spec.podSelector).toEqual(selector('portal'));
    expect(spec.ingress).toEqual([{ ports: [tcp(PORTAL_PORT)] }, { from: [scraper], ports: [tcp(PORTAL_STATS_PORT)] }]);
    expect(spec.egress).toEqual([{ to: [{ podSelector: selector('member') }], ports: redisPorts }, dns]);
  });

  it('lets the rollout Job reach only the sentinels, the API server and DNS, and nothing reach it', () => {
    const { spec } = objectNamed(objects, 'NetworkPolicy', 'orders-rollout');
    expect(spec.podSelector).toEqual(selector('rollout'));
    expect(spec.ingress).toBeUndefined();
    expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(spec.egress).toEqual([{ to: [{ podSelector: selector('member') }], ports: [tcp(SENTINEL_PORT)] }, { ports: [tcp(443), tcp(6443)] }, dns]);
  });
});
