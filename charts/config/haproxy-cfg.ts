import { TLS12_CIPHERS, TLS13_CIPHERSUITES } from './redis-conf.js';

/**
 * haproxy.cfg of the portals. A pure function so a test runs the same text on the real haproxy.
 *
 * Routing to the one current primary. A redis member's own `role:master` is not enough: a restarted
 * former primary reports it for seconds before sentinel demotes it. So each member has a check
 * backend whose servers are the three sentinels, each asked `SENTINEL get-master-addr-by-name`; the
 * member receives traffic only while at least 2 sentinels (the quorum) name it AND its own check says
 * `role:master`. When no member has both, new connections are refused rather than sent anywhere: a
 * client retries, while a write accepted by a stale primary is lost. This is the redis-ha chart's
 * scheme, with every leg in TLS verified against the deployment CA (portal → redis, portal →
 * sentinel), authenticated checks, and `on-marked-down shutdown-sessions` so clients still attached to
 * a demoted primary are cut and reconnect to the new one.
 */
export interface HaproxyConfigInput {
  deployment: string;
  /** Name the sentinels know the primary by. */
  primaryName: string;
  /** Data members: name and host (redis on redisPort, sentinel on sentinelPort). */
  dataMembers: readonly { name: string; host: string }[];
  /** Every member running a sentinel. */
  sentinels: readonly { name: string; host: string }[];
  redisPort: number;
  sentinelPort: number;
  /** Port applications connect to (TLS). */
  clientPort: number;
  /** Port of the stats page and the Prometheus endpoint (TLS, not on the Service). */
  statsPort: number;
  quorum: number;
  paths: {
    /** Server certificate followed by its key, one PEM file. */
    certBundle: string;
    caFile: string;
  };
  /** Environment variables holding the check passwords (set from the Secret, never in the file). */
  env: { checkUserPassword: string; sentinelPassword: string };
  /** ACL user of the redis health checks. */
  checkUser: string;
}

export function renderHaproxyConfig(input: HaproxyConfigInput): string {
  const verify = (host: string) => `ssl verify required ca-file ${input.paths.caFile} verifyhost ${host} sni str(${host})`;
  const resolve = 'resolvers cluster init-addr last,libc,none';
  const lines: string[] = [
    `# haproxy.cfg of deployment ${input.deployment}, rendered by redis-gitops: edit the deployment file instead.`,
    'global',
    '  log stdout format raw local0 notice',
    '  maxconn 4096',
    // TLS 1.2 minimum, forward-secret AEAD ciphers, no session tickets: for every bind and every server.
    `  ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets`,
    `  ssl-default-bind-ciphers ${TLS12_CIPHERS}`,
    `  ssl-default-bind-ciphersuites ${TLS13_CIPHERSUITES}`,
    `  ssl-default-server-options ssl-min-ver TLSv1.2 no-tls-tickets`,
    `  ssl-default-server-ciphers ${TLS12_CIPHERS}`,
    `  ssl-default-server-ciphersuites ${TLS13_CIPHERSUITES}`,
    '',
    'resolvers cluster',
    '  parse-resolv-conf',
    '  hold valid 5s',
    '  hold obsolete 5s',
    '',
    'defaults',
    '  mode tcp',
    '  log global',
    '  option tcplog',
    '  timeout connect 4s',
    // Redis clients keep idle connections open; their own keep-alive PINGs stay well inside this.
    '  timeout client 330s',
    '  timeout server 330s',
    '  timeout check 3s',
    '',
    'frontend stats',
    '  mode http',
    `  bind :${input.statsPort} ssl crt ${input.paths.certBundle} ssl-min-ver TLSv1.2`,
    '  http-request use-service prometheus-exporter if { path /metrics }',
    '  stats enable',
    '  stats uri /stats',
    '  stats refresh 10s',
    '',
    'frontend redis',
    `  bind :${input.clientPort} ssl crt ${input.paths.certBundle} ssl-min-ver TLSv1.2`,
    '  tcp-request inspect-delay 1s',
    // Refuse rather than guess when no member is both named by a sentinel quorum and up.
    `  tcp-request content reject unless ${input.dataMembers.map((m) => `{ nbsrv(sentinels-name-${m.name}) ge ${input.quorum} } { srv_is_up(primary/${m.name}) }`).join(' or ')}`,
    '  default_backend primary',
    '',
    'backend primary',
    ...input.dataMembers.map(
      (m) => `  use-server ${m.name} if { srv_is_up(${m.name}) } { nbsrv(sentinels-name-${m.name}) ge ${input.quorum} }`,
    ),
    '  option tcp-check',
    '  tcp-check connect default',
    `  tcp-check send "AUTH ${input.checkUser} \${${input.env.checkUserPassword}}\\r\\n"`,
    '  tcp-check expect string +OK',
    // QUIT in the same send: the server closes after its answer, so a check whose expected string is
    // not in that answer fails at once instead of waiting out `timeout check` (measured by the
    // drill: 3 s more unavailability on every primary change).
    '  tcp-check send "INFO replication\\r\\nQUIT\\r\\n"',
    '  tcp-check expect string role:master',
    ...input.dataMembers.map(
      (m) =>
        `  server ${m.name} ${m.host}:${input.redisPort} ${verify(m.host)} ${resolve} ` +
        'check inter 1s fall 1 rise 1 on-marked-down shutdown-sessions',
    ),
    ...input.dataMembers.flatMap((m) => [
      '',
      `backend sentinels-name-${m.name}`,
      '  option tcp-check',
      '  tcp-check connect default',
      `  tcp-check send "AUTH \${${input.env.sentinelPassword}}\\r\\n"`,
      '  tcp-check expect string +OK',
      `  tcp-check send "SENTINEL get-master-addr-by-name ${input.primaryName}\\r\\nQUIT\\r\\n"`,
      `  tcp-check expect string ${m.host}`,
      ...input.sentinels.map(
        (s) => `  server ${s.name} ${s.host}:${input.sentinelPort} ${verify(s.host)} ${resolve} check inter 1s fall 1 rise 1`,
      ),
    ]),
  ];
  return `${lines.join('\n')}\n`;
}
