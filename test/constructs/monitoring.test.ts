import { describe, expect, it } from 'vitest';
import { renderAlertRules } from '../../charts/config/alert-rules.js';
import { Monitoring } from '../../charts/monitoring.js';
import { CA_BUNDLE_KEY } from '../../model/secrets.js';
import { METRICS_PORT_NAMES, members, PORT_NAMES } from '../../model/topology.js';
import { objectNamed, ordersId, synthConstruct } from '../support/constructs.js';

const caConfigMap = { name: 'orders-ca', key: CA_BUNDLE_KEY };

describe('Monitoring', () => {
  const objects = synthConstruct(
    (scope) =>
      new Monitoring(scope, 'Monitoring', {
        id: ordersId,
        memberMetricPorts: [METRICS_PORT_NAMES.redis, METRICS_PORT_NAMES.sentinel],
        portalStatsPort: PORT_NAMES.portalStats,
        caConfigMap,
        portalServerName: 'orders.redis-orders.svc',
        sentinels: members.length,
      }),
  );
  const selector = (component: string) => ({ matchLabels: { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/component': component } });

  it('scrapes every metrics port of the members every 15 s', () => {
    const monitor = objectNamed(objects, 'PodMonitor', 'orders-members');
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.spec).toEqual({
      selector: selector('member'),
      podMetricsEndpoints: [
        { port: METRICS_PORT_NAMES.redis, interval: '15s' },
        { port: METRICS_PORT_NAMES.sentinel, interval: '15s' },
      ],
    });
  });

  it("scrapes the portals' stats over TLS, verified against the published CA by the Service's name", () => {
    expect(objectNamed(objects, 'PodMonitor', 'orders-portals').spec).toEqual({
      selector: selector('portal'),
      podMetricsEndpoints: [
        { port: PORT_NAMES.portalStats, path: '/metrics', scheme: 'https', interval: '15s', tlsConfig: { ca: { configMap: caConfigMap }, serverName: 'orders.redis-orders.svc' } },
      ],
    });
  });

  it('are the PrometheusRule of the deployment, each with severity and runbook', () => {
    const rule = objectNamed(objects, 'PrometheusRule', 'orders-alerts');
    // A PodMonitor's targets get job="<namespace>/<name>": the rules select the monitors above.
    const groups = renderAlertRules({ deployment: 'orders', namespace: 'redis-orders', membersJob: 'redis-orders/orders-members', portalsJob: 'redis-orders/orders-portals', sentinels: 3 });
    expect(rule.spec.groups).toEqual(groups);
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual([
      'RedisMemberDown',
      'RedisAllMembersGone',
      'RedisNoPrimary',
      'RedisMultiplePrimaries',
      'RedisReplicationLinkDown',
      'RedisReplicationLag',
      'RedisSentinelQuorumAtRisk',
      'RedisFailover',
      'RedisMemoryNearLimit',
      'RedisEvictions',
      'RedisPersistenceFailing',
      'RedisPortalDown',
      'RedisPortalNoPrimary',
      'RedisVolumeNearlyFull',
    ]);
    for (const r of rules) {
      expect(r.labels.severity, r.alert).toMatch(/^(critical|warning|info)$/);
      expect(r.expr, r.alert).toContain('namespace="redis-orders"');
      expect(r.annotations.runbook.length, r.alert).toBeGreaterThan(20);
    }
  });

  it('labels its objects as the monitoring component', () => {
    expect(objects.map((o) => o.metadata.labels)).toEqual(Array(3).fill({ 'app.kubernetes.io/component': 'monitoring' }));
  });
});
