/**
 * Prometheus alert rules of one deployment, scoped to its namespace. A pure function so promtool can
 * check and unit-test exactly what the PrometheusRule carries. Metric names are those of
 * redis_exporter (redis and sentinel), HAProxy's built-in exporter and the kubelet.
 */
export interface AlertRulesInput {
  deployment: string;
  namespace: string;
  /** Prometheus `job` label of the members' and the portals' scrape targets (PodMonitor: namespace/name). */
  membersJob: string;
  portalsJob: string;
  /** Sentinels a healthy cluster has. */
  sentinels: number;
  /**
   * The backup CronJob, when the deployment declares `backup:`: its name, and the longest a last
   * successful backup may be old (the interval plus the time a run may take). Its alerts read
   * kube-state-metrics' CronJob and Job metrics.
   * @default no backup alerts
   */
  backup?: { cronJob: string; maxAgeSeconds: number };
}

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'critical' | 'warning' | 'info' };
  annotations: { summary: string; description: string; runbook: string };
}

type RuleMaker = (alert: string, expr: string, forDuration: string, severity: AlertRule['labels']['severity'], summary: string, description: string, runbook: string) => AlertRule;

export function renderAlertRules(input: AlertRulesInput): { name: string; rules: AlertRule[] }[] {
  const ns = `namespace="${input.namespace}"`;
  const d = input.deployment;
  const rule: RuleMaker = (alert, expr, forDuration, severity, summary, description, runbook) => ({
    alert,
    expr,
    for: forDuration,
    labels: { severity },
    annotations: { summary: `${d}: ${summary}`, description, runbook },
  });
  return [
    {
      name: `redis-${d}`,
      rules: [
        rule(
          'RedisMemberDown',
          `redis_up{${ns}} == 0 or up{${ns},job="${input.membersJob}"} == 0`,
          '1m',
          'critical',
          'a cluster member is down',
          'The exporter of {{ $labels.pod }} cannot reach its redis or sentinel, or the pod is not scraped. The cluster survives one member down; a second loss stops failover.',
          'kubectl -n {{ $labels.namespace }} describe pod {{ $labels.pod }}; check its events, the volume and the node of its zone. The member rejoins as a replica when it restarts.',
        ),
        rule(
          'RedisAllMembersGone',
          // absent(): when the members' targets are gone altogether (StatefulSets or pods deleted, the
          // PodMonitor not picked up), no series is left for RedisMemberDown to fire on.
          `sum by (namespace, job) (up{${ns},job="${input.membersJob}"}) == 0 or absent(up{${ns},job="${input.membersJob}"})`,
          '2m',
          'critical',
          'no cluster member is up or scraped',
          'No member of the deployment is scraped successfully, or none is there to be scraped: the service is down, or unwatched.',
          'kubectl -n {{ $labels.namespace }} get statefulsets,pods,podmonitors; if the members run, check that Prometheus selects their PodMonitor (monitoring namespace, labels).',
        ),
        rule(
          'RedisNoPrimary',
          `count by (namespace) (redis_up{${ns}} == 1) unless on (namespace) count by (namespace) (redis_instance_info{${ns},role="master"})`,
          '1m',
          'critical',
          'no member is the primary',
          'Redis members answer but none is the primary: writes fail. Sentinel should have promoted a replica.',
          'Ask the sentinels: redis-cli --tls -p 26379 SENTINEL get-master-addr-by-name <deployment>; check SENTINEL ckquorum. If quorum is lost, bring a member back before anything else.',
        ),
        rule(
          'RedisMultiplePrimaries',
          `count by (namespace) (redis_instance_info{${ns},role="master"}) > 1`,
          '30s',
          'critical',
          'more than one member claims to be the primary',
          'Two members report role:master. The portals send traffic only to the member a sentinel quorum names, but writes taken by the other are lost when it is demoted.',
          'Check which member the sentinels name; the other one should be converted to a replica within seconds. If it persists, restart that pod: its entrypoint asks the sentinels first.',
        ),
        rule(
          'RedisReplicationLinkDown',
          `redis_master_link_up{${ns}} == 0`,
          '1m',
          'critical',
          'a replica lost its link to the primary',
          'The replica {{ $labels.pod }} does not receive the primary\'s writes: a failover now would lose data.',
          'Look at the replica\'s log (TLS, authentication of the replication user, network policy); the readiness probe keeps it out of service meanwhile.',
        ),
        rule(
          'RedisReplicationLag',
          `redis_connected_slave_lag_seconds{${ns}} > 10`,
          '2m',
          'warning',
          'a replica lags behind the primary',
          'The replica acknowledged its last offset more than 10 s ago: a failover would lose recent writes.',
          'Check the replica\'s CPU and disk (AOF fsync), and the network between the zones.',
        ),
        rule(
          'RedisSentinelQuorumAtRisk',
          `redis_sentinel_master_sentinels{${ns}} < ${input.sentinels}`,
          '1m',
          'warning',
          `fewer than ${input.sentinels} sentinels see each other`,
          'A sentinel is down or unreachable: one more loss leaves fewer than the quorum of 2, and no failover can happen.',
          'Find the missing sentinel (SENTINEL sentinels <deployment>) and restore its member.',
        ),
        rule(
          'RedisFailover',
          `count by (namespace, master_name) (count by (namespace, master_name, master_address) (last_over_time(redis_sentinel_master_status{${ns}}[15m]))) > 1`,
          '0s',
          'info',
          'the primary changed (failover)',
          'The sentinels promoted another member within the last 15 minutes.',
          'Find out why the old primary failed (its pod events and log); it rejoins as a replica by itself.',
        ),
        rule(
          'RedisMemoryNearLimit',
          `redis_memory_used_bytes{${ns}} / redis_memory_max_bytes{${ns}} > 0.9 and redis_memory_max_bytes{${ns}} > 0`,
          '5m',
          'warning',
          'memory used is near maxmemory',
          'Redis uses over 90% of maxmemory: with noeviction, writes will fail with OOM; with an eviction policy, keys will be evicted.',
          'Raise redis.memory in the deployment file (maxmemory follows), or reduce the data set.',
        ),
        rule(
          'RedisEvictions',
          `rate(redis_evicted_keys_total{${ns}}[5m]) > 0`,
          '10m',
          'warning',
          'keys are being evicted',
          'Redis has been evicting keys for 10 minutes: the data set does not fit in maxmemory.',
          'Raise redis.memory, or accept evictions if this deployment is a cache.',
        ),
        rule(
          'RedisPersistenceFailing',
          `redis_rdb_last_bgsave_status{${ns}} == 0 or redis_aof_last_bgrewrite_status{${ns}} == 0 or redis_aof_last_write_status{${ns}} == 0`,
          '1m',
          'critical',
          'persistence is failing',
          'The last RDB save, AOF rewrite or AOF write of {{ $labels.pod }} failed: a restart would lose data.',
          'Check the data volume (full? read-only?) and the log of the redis container.',
        ),
        rule(
          'RedisPortalDown',
          `up{${ns},job="${input.portalsJob}"} == 0`,
          '1m',
          'warning',
          'a portal is down',
          'One HAProxy portal is not scraped; the other still serves the Service, but there is no redundancy left.',
          'kubectl -n {{ $labels.namespace }} describe pod {{ $labels.pod }}; check the portal\'s log.',
        ),
        rule(
          'RedisPortalNoPrimary',
          `haproxy_backend_active_servers{${ns},proxy="primary"} == 0`,
          '30s',
          'critical',
          'a portal has no primary to route to',
          'The portal finds no member that a sentinel quorum names and that reports role:master: clients are refused.',
          'Check RedisNoPrimary and the portal\'s health-check log (TLS verification, the portal ACL user).',
        ),
        rule(
          'RedisVolumeNearlyFull',
          `kubelet_volume_stats_available_bytes{${ns},persistentvolumeclaim=~"data-${d}-.*"} / kubelet_volume_stats_capacity_bytes{${ns},persistentvolumeclaim=~"data-${d}-.*"} < 0.15`,
          '10m',
          'warning',
          'a data volume is nearly full',
          'Less than 15% of {{ $labels.persistentvolumeclaim }} is free: AOF rewrites and RDB saves will start failing.',
          'Raise persistence.size in the deployment file, run synth (its plan says the volumes expand online), commit: Argo CD grows the members\' claims and the storage driver expands the volumes while the members run, with no restart. Volumes cannot shrink.',
        ),
      ],
    },
    ...(input.backup ? [backupAlerts(input.backup, ns, rule)] : []),
  ];
}

/** A backup that is too old (none succeeded within its interval and deadline), and a backup Job that failed. */
function backupAlerts(backup: { cronJob: string; maxAgeSeconds: number }, ns: string, rule: RuleMaker) {
  const cronJob = `${ns},cronjob="${backup.cronJob}"`;
  const jobs = `${ns},job_name=~"${backup.cronJob}-[0-9]+"`;
  const hours = Math.round(backup.maxAgeSeconds / 360) / 10;
  return {
    name: `redis-${backup.cronJob}`,
    rules: [
      rule(
        'RedisBackupTooOld',
        // Either the last success is too old, or there was none since the CronJob was created that long ago.
        `time() - kube_cronjob_status_last_successful_time{${cronJob}} > ${backup.maxAgeSeconds} ` +
          `or (time() - kube_cronjob_created{${cronJob}} > ${backup.maxAgeSeconds} unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{${cronJob}})`,
        '10m',
        'critical',
        `no successful backup for over ${hours} h`,
        `The CronJob {{ $labels.cronjob }} has not completed a backup within its interval and deadline (${hours} h): a restore now would lose more than the schedule promises.`,
        'kubectl -n {{ $labels.namespace }} get jobs; read the logs of the last backup pod (containers snapshot and upload): no replica with its link up, the target unreachable (NetworkPolicy, endpoint, credentials) or the deadline hit.',
      ),
      rule(
        'RedisBackupFailed',
        `kube_job_failed{${jobs},condition="true"} == 1 and on (namespace, job_name) (time() - kube_job_status_start_time{${jobs}} < ${backup.maxAgeSeconds})`,
        '0s',
        'warning',
        'a backup failed',
        'The backup Job {{ $labels.job_name }} failed (both attempts). The next scheduled run may succeed; RedisBackupTooOld fires if none does.',
        'kubectl -n {{ $labels.namespace }} logs job/{{ $labels.job_name }} -c snapshot, then -c upload: the scripts say which step failed and why.',
      ),
    ],
  };
}
