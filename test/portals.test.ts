import { describe, expect, it } from 'vitest';
import { renderHaproxyConfig } from '../charts/config/haproxy-cfg.js';

const input: Parameters<typeof renderHaproxyConfig>[0] = {
  deployment: 'orders',
  primaryName: 'orders',
  dataMembers: [
    { name: 'data-0', host: 'm0.example' },
    { name: 'data-1', host: 'm1.example' },
  ],
  sentinels: [
    { name: 'data-0', host: 'm0.example' },
    { name: 'data-1', host: 'm1.example' },
    { name: 'tiebreaker', host: 'm2.example' },
  ],
  redisPort: 6379,
  sentinelPort: 26379,
  clientPort: 6379,
  statsPort: 8404,
  quorum: 2,
  paths: { certBundle: '/tls/server.pem', caFile: '/tls/ca.crt' },
  env: { checkUserPassword: 'CHECK_PASSWORD', sentinelPassword: 'SENTINEL_PASSWORD' },
  checkUser: 'portal',
  luaFile: '/etc/haproxy/portal.lua',
};

describe('haproxy.cfg', () => {
  const cfg = renderHaproxyConfig(input);
  const lines = cfg.split('\n').map((l) => l.trim());

  it('terminates TLS 1.2+ on every bind, by default and on the line, without session tickets', () => {
    expect(lines).toContain('ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets');
    const binds = lines.filter((l) => l.startsWith('bind '));
    expect(binds).toEqual(['bind :8404 ssl crt /tls/server.pem ssl-min-ver TLSv1.2', 'bind :6379 ssl crt /tls/server.pem ssl-min-ver TLSv1.2']);
  });

  it('reaches redis and sentinel over TLS verified against the CA, by host name', () => {
    const servers = lines.filter((l) => l.startsWith('server '));
    expect(servers).toHaveLength(2 + 2 * 3);
    for (const s of servers) {
      const host = /^server \S+ ([^:]+):/.exec(s)![1];
      expect(s).toContain(`ssl verify required ca-file /tls/ca.crt verifyhost ${host} sni str(${host})`);
    }
  });

  it('routes to a member only while 2 sentinels name it and it reports role:master, cutting sessions when it is demoted', () => {
    expect(lines).toContain('use-server data-0 if { srv_is_up(data-0) } { nbsrv(sentinels-name-data-0) ge 2 }');
    expect(lines).toContain('use-server data-1 if { srv_is_up(data-1) } { nbsrv(sentinels-name-data-1) ge 2 }');
    expect(lines.find((l) => l.startsWith('tcp-request content reject unless'))).toBe(
      'tcp-request content reject unless { nbsrv(sentinels-name-data-0) ge 2 } { srv_is_up(primary/data-0) } or ' +
        '{ nbsrv(sentinels-name-data-1) ge 2 } { srv_is_up(primary/data-1) }',
    );
    expect(lines).toContain('tcp-check expect min-recv 1 string role:master');
    expect(lines).toContain('tcp-check expect min-recv 1 string m1.example');
    for (const s of lines.filter((l) => /^server data-\d m\d\.example:6379/.test(l))) expect(s).toContain('on-marked-down shutdown-sessions');
  });

  it('asks the sentinels without QUIT (Redis 7.0 sentinel refuses it and keeps the connection) and decides on the whole answer at once', () => {
    const sends = lines.filter((l) => l.startsWith('tcp-check send'));
    expect(sends.filter((l) => /QUIT/.test(l))).toEqual([]);
    expect(lines).toContain('tcp-check send "SENTINEL get-master-addr-by-name orders\\r\\nPING\\r\\n"');
    // +PONG first: the whole answer is in; then a mismatch is final (min-recv), not left to time out.
    const sentinelChecks = cfg.split('backend ').filter((b) => b.startsWith('sentinels-name-'));
    expect(sentinelChecks).toHaveLength(2);
    for (const b of sentinelChecks) expect(b).toMatch(/tcp-check expect string \+PONG\n\s*tcp-check expect min-recv 1 string m\d\.example\n/);
  });

  it('takes the check passwords from the environment, never literally', () => {
    expect(lines).toContain('tcp-check send "AUTH portal ${CHECK_PASSWORD}\\r\\n"');
    expect(lines).toContain('tcp-check send "AUTH ${SENTINEL_PASSWORD}\\r\\n"');
  });
});

// The portals' manifests: test/constructs/portals.test.ts and deployment-chart.test.ts.
