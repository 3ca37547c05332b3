import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { renderAlertRules, type AlertRule } from '../charts/config/alert-rules.js';
import { PORTAL_STATS_PORT, REDIS_METRICS_PORT, SENTINEL_METRICS_PORT } from '../model/topology.js';
import { EXPORTER_USER } from '../model/users.js';
import { diagnoseOnFailure, launchOrders, ordersCannotRun, type LocalCluster, waitFor } from './support/local-cluster.js';
import { goTool, missingPrograms } from './support/programs.js';
import { tempDir } from './support/repo.js';
import { find, type Manifest } from './support/render.js';

const run = promisify(execFile);
const input = { deployment: 'orders', namespace: 'redis-orders', membersJob: 'redis-orders/orders-members', portalsJob: 'redis-orders/orders-portals', sentinels: 3 };
const groups = renderAlertRules(input);
const rules = groups.flatMap((g) => g.rules);

describe('alert rules', () => {
  // That they are the deployment's PrometheusRule, each with severity and runbook: test/constructs/monitoring.test.ts.
  const promtool = goTool('promtool');
  const why = promtool ? '' : ' [skipped: promtool not built; .ci/run builds it]';

  it.skipIf(!promtool)(`pass promtool check rules${why}`, async () => {
    const file = path.join(tempDir(), 'rules.yaml');
    writeFileSync(file, stringify({ groups }));
    const { stdout } = await run(promtool!, ['check', 'rules', file]);
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  // Each alert: series that must fire it, and healthy series that must not (promtool test rules).
  const series = (metric: string, values: string) => ({ series: metric, values });
  const pod = (name: string) => `namespace="redis-orders",pod="${name}"`;
  // `labels`: what the firing alert carries besides alertname, severity and namespace.
  const cases: Record<string, { labels: Record<string, string>; firing: ReturnType<typeof series>[]; healthy: ReturnType<typeof series>[]; at: string }> = {
    RedisMemberDown: {
      labels: { pod: 'orders-data-1-0' }, firing: [series(`redis_up{${pod('orders-data-1-0')}}`, '0x10')], healthy: [series(`redis_up{${pod('orders-data-1-0')}}`, '1x10')], at: '5m' },
    RedisAllMembersGone: {
      // Only the portals are scraped: every member's target is gone (absent). Healthy: one member up.
      labels: { job: 'redis-orders/orders-members' },
      firing: [series(`up{${pod('orders-portal-a')},job="redis-orders/orders-portals"}`, '1x10')],
      healthy: [series(`up{${pod('orders-data-0-0')},job="redis-orders/orders-members"}`, '1x10'), series(`up{${pod('orders-data-1-0')},job="redis-orders/orders-members"}`, '0x10')],
      at: '5m',
    },
    RedisNoPrimary: {
      labels: {},
      firing: [series(`redis_up{${pod('orders-data-0-0')}}`, '1x10'), series(`redis_instance_info{${pod('orders-data-0-0')},role="slave"}`, '1x10')],
      healthy: [series(`redis_up{${pod('orders-data-0-0')}}`, '1x10'), series(`redis_instance_info{${pod('orders-data-0-0')},role="master"}`, '1x10')],
      at: '5m',
    },
    RedisMultiplePrimaries: {
      labels: {},
      firing: [series(`redis_instance_info{${pod('orders-data-0-0')},role="master"}`, '1x10'), series(`redis_instance_info{${pod('orders-data-1-0')},role="master"}`, '1x10')],
      healthy: [series(`redis_instance_info{${pod('orders-data-0-0')},role="master"}`, '1x10'), series(`redis_instance_info{${pod('orders-data-1-0')},role="slave"}`, '1x10')],
      at: '5m',
    },
    RedisReplicationLinkDown: {
      labels: { pod: 'orders-data-1-0' }, firing: [series(`redis_master_link_up{${pod('orders-data-1-0')}}`, '0x10')], healthy: [series(`redis_master_link_up{${pod('orders-data-1-0')}}`, '1x10')], at: '5m' },
    RedisReplicationLag: {
      labels: { pod: 'orders-data-0-0', slave_ip: 'x' },
      firing: [series(`redis_connected_slave_lag_seconds{${pod('orders-data-0-0')},slave_ip="x"}`, '30x10')],
      healthy: [series(`redis_connected_slave_lag_seconds{${pod('orders-data-0-0')},slave_ip="x"}`, '0x10')],
      at: '5m',
    },
    RedisSentinelQuorumAtRisk: {
      labels: { pod: 'orders-tiebreaker-0', master_name: 'orders' },
      firing: [series(`redis_sentinel_master_sentinels{${pod('orders-tiebreaker-0')},master_name="orders"}`, '2x10')],
      healthy: [series(`redis_sentinel_master_sentinels{${pod('orders-tiebreaker-0')},master_name="orders"}`, '3x10')],
      at: '5m',
    },
    RedisFailover: {
      labels: { master_name: 'orders' },
      firing: [
        series(`redis_sentinel_master_status{${pod('orders-tiebreaker-0')},master_name="orders",master_address="a:6379",master_status="ok"}`, '1 1 1 _ _ _'),
        series(`redis_sentinel_master_status{${pod('orders-tiebreaker-0')},master_name="orders",master_address="b:6379",master_status="ok"}`, '_ _ _ 1 1 1'),
      ],
      healthy: [series(`redis_sentinel_master_status{${pod('orders-tiebreaker-0')},master_name="orders",master_address="a:6379",master_status="ok"}`, '1x5')],
      at: '5m',
    },
    RedisMemoryNearLimit: {
      labels: { pod: 'orders-data-0-0' },
      firing: [series(`redis_memory_used_bytes{${pod('orders-data-0-0')}}`, '95x10'), series(`redis_memory_max_bytes{${pod('orders-data-0-0')}}`, '100x10')],
      healthy: [series(`redis_memory_used_bytes{${pod('orders-data-0-0')}}`, '50x10'), series(`redis_memory_max_bytes{${pod('orders-data-0-0')}}`, '100x10')],
      at: '9m',
    },
    RedisEvictions: {
      labels: { pod: 'orders-data-0-0' }, firing: [series(`redis_evicted_keys_total{${pod('orders-data-0-0')}}`, '0+10x20')], healthy: [series(`redis_evicted_keys_total{${pod('orders-data-0-0')}}`, '5x20')], at: '18m' },
    RedisPersistenceFailing: {
      labels: { pod: 'orders-data-0-0' },
      firing: [series(`redis_rdb_last_bgsave_status{${pod('orders-data-0-0')}}`, '0x10')],
      healthy: [series(`redis_rdb_last_bgsave_status{${pod('orders-data-0-0')}}`, '1x10'), series(`redis_aof_last_write_status{${pod('orders-data-0-0')}}`, '1x10')],
      at: '5m',
    },
    RedisPortalDown: {
      labels: { pod: 'orders-portal-a', job: 'redis-orders/orders-portals' },
      firing: [series(`up{${pod('orders-portal-a')},job="redis-orders/orders-portals"}`, '0x10')],
      healthy: [series(`up{${pod('orders-portal-a')},job="redis-orders/orders-portals"}`, '1x10')],
      at: '5m',
    },
    RedisPortalNoPrimary: {
      labels: { pod: 'orders-portal-a', proxy: 'primary' },
      firing: [series(`haproxy_backend_active_servers{${pod('orders-portal-a')},proxy="primary"}`, '0x10')],
      healthy: [series(`haproxy_backend_active_servers{${pod('orders-portal-a')},proxy="primary"}`, '1x10')],
      at: '5m',
    },
    RedisVolumeNearlyFull: {
      labels: { persistentvolumeclaim: 'data-orders-data-0-0' },
      firing: [
        series('kubelet_volume_stats_available_bytes{namespace="redis-orders",persistentvolumeclaim="data-orders-data-0-0"}', '10x20'),
        series('kubelet_volume_stats_capacity_bytes{namespace="redis-orders",persistentvolumeclaim="data-orders-data-0-0"}', '100x20'),
      ],
      healthy: [
        series('kubelet_volume_stats_available_bytes{namespace="redis-orders",persistentvolumeclaim="data-orders-data-0-0"}', '50x20'),
        series('kubelet_volume_stats_capacity_bytes{namespace="redis-orders",persistentvolumeclaim="data-orders-data-0-0"}', '100x20'),
      ],
      at: '15m',
    },
  };

  it('have a firing and a healthy unit test case for every alert', () => {
    expect(Object.keys(cases).sort()).toEqual(rules.map((r) => r.alert).sort());
  });

  it.skipIf(!promtool)(`fire on failing series and stay quiet on healthy ones (promtool test rules)${why}`, async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'rules.yaml'), stringify({ groups }));
    const tests = Object.entries(cases).flatMap(([alert, c]) => {
      const rule = rules.find((r) => r.alert === alert) as AlertRule;
      const labels = { severity: rule.labels.severity, namespace: 'redis-orders', ...c.labels };
      const firing = {
        interval: '1m',
        input_series: c.firing,
        alert_rule_test: [
          { eval_time: c.at, alertname: alert, exp_alerts: [{ exp_labels: labels, exp_annotations: expand(rule.annotations, labels) }] },
        ],
      };
      const healthy = { interval: '1m', input_series: c.healthy, alert_rule_test: [{ eval_time: c.at, alertname: alert, exp_alerts: [] }] };
      return [firing, healthy];
    });
    writeFileSync(path.join(dir, 'tests.yaml'), stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }));
    const result = await run(promtool!, ['test', 'rules', path.join(dir, 'tests.yaml')]).catch((e: { stdout: string; stderr: string }) => e);
    expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS');
  });
});

describe('backup alert rules', () => {
  // With backup: declared, a group of its own; kube-state-metrics' CronJob and Job metrics.
  const backupGroups = renderAlertRules({ ...input, backup: { cronJob: 'orders-backup', maxAgeSeconds: 3600 } });
  const backupRules = backupGroups.flatMap((g) => g.rules).filter((r) => !rules.some((other) => other.alert === r.alert));
  const promtool = goTool('promtool');
  const why = promtool ? '' : ' [skipped: promtool not built; .ci/run builds it]';
  const cronJob = 'namespace="redis-orders",cronjob="orders-backup"';
  const job = 'namespace="redis-orders",job_name="orders-backup-29412345"';
  // eval_time is also time(): a success at 0 s is 80 min old at 80m.
  const cases: { alert: string; labels: Record<string, string>; firing: object[]; healthy: object[]; at: string }[] = [
    { alert: 'RedisBackupTooOld', labels: { cronjob: 'orders-backup' }, firing: [{ series: `kube_cronjob_status_last_successful_time{${cronJob}}`, values: '0x100' }], healthy: [{ series: `kube_cronjob_status_last_successful_time{${cronJob}}`, values: '0+60x100' }], at: '80m' },
    { alert: 'RedisBackupTooOld', labels: { cronjob: 'orders-backup' }, firing: [{ series: `kube_cronjob_created{${cronJob}}`, values: '0x100' }], healthy: [{ series: `kube_cronjob_created{${cronJob}}`, values: '0x100' }, { series: `kube_cronjob_status_last_successful_time{${cronJob}}`, values: '0+60x100' }], at: '80m' },
    {
      alert: 'RedisBackupFailed',
      labels: { job_name: 'orders-backup-29412345', condition: 'true' },
      firing: [{ series: `kube_job_failed{${job},condition="true"}`, values: '1x20' }, { series: `kube_job_status_start_time{${job}}`, values: '0x20' }],
      healthy: [{ series: `kube_job_failed{${job},condition="true"}`, values: '0x20' }, { series: `kube_job_status_start_time{${job}}`, values: '0x20' }],
      at: '10m',
    },
  ];

  it('are a case each, in a group of their own', () => {
    expect(backupRules.map((r) => r.alert).sort()).toEqual(['RedisBackupFailed', 'RedisBackupTooOld']);
    expect([...new Set(cases.map((c) => c.alert))].sort()).toEqual(['RedisBackupFailed', 'RedisBackupTooOld']);
    expect(backupGroups.map((g) => g.name)).toEqual(['redis-orders', 'redis-orders-backup']);
  });

  it.skipIf(!promtool)(`fire on a stale or failed backup and stay quiet on a fresh one (promtool test rules)${why}`, async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'rules.yaml'), stringify({ groups: backupGroups }));
    const tests = cases.flatMap((c) => {
      const rule = backupRules.find((r) => r.alert === c.alert)!;
      const labels = { severity: rule.labels.severity, namespace: 'redis-orders', ...c.labels };
      return [
        { interval: '1m', input_series: c.firing, alert_rule_test: [{ eval_time: c.at, alertname: c.alert, exp_alerts: [{ exp_labels: labels, exp_annotations: expand(rule.annotations, labels) }] }] },
        { interval: '1m', input_series: c.healthy, alert_rule_test: [{ eval_time: c.at, alertname: c.alert, exp_alerts: [] }] },
      ];
    });
    writeFileSync(path.join(dir, 'tests.yaml'), stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }));
    const result = await run(promtool!, ['test', 'rules', path.join(dir, 'tests.yaml')]).catch((e: { stdout: string; stderr: string }) => e);
    expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS');
  });
});

/** Annotations as Prometheus renders them for an alert with these labels. */
function expand(annotations: Record<string, string>, labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, v.replace(/\{\{ \$labels\.([a-z_]+) \}\}/g, (_, l: string) => labels[l] ?? '')]));
}

/** Metric names the alert rules read from the exporters and HAProxy (the kubelet's and `up` come from Prometheus itself). */
function metricsUsedByRules(): Set<string> {
  return new Set(rules.flatMap((r) => [...r.expr.matchAll(/\b((?:redis|haproxy)_[a-z0-9_]+)\b/g)].map((m) => m[1]!)));
}

const skip = (await ordersCannotRun('haproxy', 'openssl', 'curl')) ?? (goTool('redis_exporter') ? undefined : 'redis_exporter not built (.ci/run builds it)');
describe.skipIf(skip)(`metrics from real redis, sentinel, exporters and haproxy${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let cluster: LocalCluster;
  diagnoseOnFailure(() => cluster);
  let manifests: Map<string, Manifest>;
  const exporters: ChildProcess[] = [];
  const exporterLog: string[] = [];
  const scraped = new Map<string, string>();

  beforeAll(async () => {
    ({ cluster, manifests } = await launchOrders('127.0.5'));
    cluster.startPortal(cluster.portals[0]!);
    // The exporter containers of the generated StatefulSets, on the member's address instead of localhost.
    for (const member of cluster.members) {
      const sts = find(manifests, 'StatefulSet', `orders-${member.name}`);
      for (const c of sts.spec.template.spec.containers.filter((c: { name: string }) => c.name.endsWith('exporter'))) {
        const args = (c.args as string[]).map((a) =>
          a.replace('localhost', member.ip).replace(/=\/tls\//, `=${path.join(member.dir, 'tls')}/`).replace(/^--web.listen-address=:/, `--web.listen-address=${member.ip}:`),
        );
        const password = c.name === 'exporter' ? cluster.passwords[EXPORTER_USER] : cluster.passwords['sentinel-auth'];
        const exporter = spawn(goTool('redis_exporter')!, args, { env: { ...process.env, REDIS_PASSWORD: password }, stdio: ['ignore', 'pipe', 'pipe'] });
        for (const stream of [exporter.stdout, exporter.stderr]) stream.on('data', (chunk: Buffer) => exporterLog.push(...chunk.toString().split('\n')));
        exporters.push(exporter);
      }
    }
    const scrape = async (url: string, extra: string[] = []) => (await run('curl', ['-sS', '--max-time', '5', ...extra, url])).stdout;
    const targets = [
      ...cluster.members.filter((m) => m.holdsData).map((m) => `http://${m.ip}:${REDIS_METRICS_PORT}/metrics`),
      ...cluster.members.map((m) => `http://${m.ip}:${SENTINEL_METRICS_PORT}/metrics`),
    ];
    for (const url of targets) {
      scraped.set(url, await waitFor(`metrics at ${url}`, 30, async () => {
        const text = await scrape(url).catch(() => '');
        return /^redis_up 1$/m.test(text) && text;
      }));
    }
    const portal = `https://${cluster.portals[0]!.ip}:${PORTAL_STATS_PORT}/metrics`;
    // Until its first health checks complete HAProxy counts every server up; wait for the verdict.
    scraped.set(portal, await waitFor('the portal to route to the one primary', 30, async () => {
      const text = await scrape(portal, ['--cacert', cluster.caFile]).catch(() => '');
      return /^haproxy_backend_active_servers\{[^}]*proxy="primary"[^}]*\} 1$/m.test(text) && text;
    }));
  });
  afterAll(async () => {
    for (const e of exporters) e.kill('SIGKILL');
    await cluster?.stop();
  });

  it('exposes every metric the alert rules use, with the labels they select on', () => {
    const all = [...scraped.values()].join('\n');
    const names = new Set([...all.matchAll(/^([a-z_:][a-z0-9_:]*)[{ ]/gm)].map((m) => m[1]!));
    const missing = [...metricsUsedByRules()].filter((metric) => !names.has(metric));
    expect(missing, 'metrics the rules use but nothing exports').toEqual([]);
    expect(all).toMatch(/^redis_instance_info\{[^}]*role="master"/m);
    expect(all).toMatch(/^redis_instance_info\{[^}]*role="slave"/m);
    expect(all).toMatch(/^redis_sentinel_master_status\{[^}]*master_address="[^"]+"[^}]*master_name="orders"/m);
    expect(all).toMatch(/^redis_sentinel_master_sentinels\{[^}]*master_name="orders"[^}]*\} 3$/m);
    expect(all).toMatch(/^haproxy_backend_active_servers\{[^}]*proxy="primary"[^}]*\} 1$/m);
  });

  it('reads a healthy cluster as healthy: one primary, replica link up, persistence fine', () => {
    const all = [...scraped.values()].join('\n');
    expect(all.match(/^redis_instance_info\{[^}]*role="master"[^}]*\} 1$/gm)).toHaveLength(1);
    expect(all).toMatch(/^redis_master_link_up(\{[^}]*\})? 1$/m);
    expect(all).not.toMatch(/^redis_rdb_last_bgsave_status(\{[^}]*\})? 0$/m);
    expect(all).toMatch(/^redis_rdb_last_bgsave_status(\{[^}]*\})? 1$/m);
    expect(all).toMatch(/^redis_memory_max_bytes(\{[^}]*\})? [1-9]/m);
    // The exporter's least-privilege ACL user is enough for everything it asks (it only logs refusals).
    expect(exporterLog.filter((line) => /NOPERM|WRONGPASS|NOAUTH/.test(line))).toEqual([]);
  });
});
