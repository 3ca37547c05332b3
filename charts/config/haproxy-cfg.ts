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
 *
 * A primary cut off from the sentinels is not demoted (nobody reaches it) and keeps answering
 * `role:master` to the portals: measured by the drill's asymmetric partition, a client's existing
 * connection kept writing to it for ~24 s after the sentinel majority had moved. So the portals also
 * cut the sessions of a member as soon as fewer than a quorum of sentinels name it (renderPortalLua,
 * a task of HAProxy's own Lua), not only when its role check fails.
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
  /** Path of the Lua file (renderPortalLua) the portal loads. */
  luaFile: string;
}

export function renderHaproxyConfig(input: HaproxyConfigInput): string {
  const verify = (host: string) => `ssl verify required ca-file ${input.paths.caFile} verifyhost ${host} sni str(${host})`;
  const resolve = 'resolvers cluster init-addr last,libc,none';
  const lines: string[] = [
    `# haproxy.cfg of deployment ${input.deployment}, rendered by redis-gitops: edit the deployment file instead.`,
    'global',
    '  log stdout format raw local0 notice',
    '  maxconn 4096',
    `  lua-load ${input.luaFile}`,
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
    // A sentinel or redis that does not answer within 2 s counts as down: inter 1s + 2 s bounds how
    // long a silent (cut-off) sentinel still counts as naming a member.
    '  timeout check 2s',
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
    // A PING after INFO, no QUIT (deprecated since Redis 7.2): once +PONG is in, the whole INFO is,
    // and `min-recv 1` makes a reply without role:master fail at once instead of at `timeout check`
    // (measured by the drill: 3 s more unavailability on every primary change when it waited).
    '  tcp-check send "INFO replication\\r\\nPING\\r\\n"',
    '  tcp-check expect string +PONG',
    '  tcp-check expect min-recv 1 string role:master',
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
      // No QUIT: Redis 7.0's sentinel answers it with -ERR unknown command and keeps the connection
      // open, so an answer without the member's host waited out `timeout check` (3 s then). A PING
      // after the question instead: once +PONG is in, the whole answer is, and `min-recv 1` makes a
      // mismatch final at once (without it HAProxy waits for more data until the timeout).
      `  tcp-check send "SENTINEL get-master-addr-by-name ${input.primaryName}\\r\\nPING\\r\\n"`,
      '  tcp-check expect string +PONG',
      `  tcp-check expect min-recv 1 string ${m.host}`,
      ...input.sentinels.map(
        (s) => `  server ${s.name} ${s.host}:${input.sentinelPort} ${verify(s.host)} ${resolve} check inter 1s fall 1 rise 1`,
      ),
    ]),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The portals' Lua task: every 100 ms, the client sessions on a data member that fewer than `quorum`
 * sentinels name (the count the routing rules use, nbsrv of sentinels-name-<member>) are shut, so an
 * application attached to a primary the sentinel majority has deposed reconnects and is routed to the
 * new one, even while the deposed primary, cut off from the sentinels, still says it is master.
 */
export function renderPortalLua(input: Pick<HaproxyConfigInput, 'deployment' | 'dataMembers' | 'quorum'>): string {
  return `-- Lua of the portals of deployment ${input.deployment}, rendered by redis-gitops: edit the deployment file instead.
local quorum = ${input.quorum}
local members = { ${input.dataMembers.map((m) => `"${m.name}"`).join(', ')} }

-- Whether at least a quorum of the sentinels' checks name the member (servers UP in sentinels-name-<member>).
local function named(member)
  local up = 0
  for _, sentinel in pairs(core.backends["sentinels-name-" .. member].servers) do
    local status = sentinel:get_stats()["status"]
    if status == "UP" or string.sub(status, 1, 3) == "UP " then up = up + 1 end
  end
  return up >= quorum
end

core.register_task(function()
  while true do
    for _, member in ipairs(members) do
      local server = core.backends["primary"].servers[member]
      if not named(member) and (tonumber(server:get_stats()["scur"]) or 0) > 0 then
        core.Warning("sentinel quorum no longer names " .. member .. ": shutting its client sessions")
        server:shut_sess()
      end
    end
    core.msleep(100)
  end
end)
`;
}
