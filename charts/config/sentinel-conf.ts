import { tlsDirectives, type TlsPaths } from './redis-conf.js';

export interface SentinelConfigInput {
  deployment: string;
  /** Name sentinels know the primary by (SENTINEL get-master-addr-by-name <masterName>). */
  masterName: string;
  /** DNS name and port of the member that is primary when the cluster is first created. */
  initialPrimary: { host: string; port: number };
  port: number;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  paths: TlsPaths;
}

/**
 * sentinel.conf: TLS for the sentinel port and for sentinel's own connections to redis
 * (tls-replication makes sentinel use TLS towards the monitored instances), and host names rather
 * than pod IPs, which change on every restart.
 */
export function renderSentinelConfig(input: SentinelConfigInput): string {
  const m = input.masterName;
  const lines = [
    `# sentinel.conf of deployment ${input.deployment}, rendered by redis-gitops: edit the deployment file instead.`,
    ...tlsDirectives(input.port, input.paths),
    'tls-replication yes',
    'sentinel resolve-hostnames yes',
    'sentinel announce-hostnames yes',
    `sentinel monitor ${m} ${input.initialPrimary.host} ${input.initialPrimary.port} ${input.quorum}`,
    `sentinel down-after-milliseconds ${m} ${input.downAfterMs}`,
    `sentinel failover-timeout ${m} ${input.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${m} 1`,
  ];
  return `${lines.join('\n')}\n`;
}
