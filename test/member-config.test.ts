import { describe, expect, it } from 'vitest';
import { renderAclFile } from '../charts/config/acl.js';
import { maxmemoryBytes, renderRedisConfig, type RedisConfigInput } from '../charts/config/redis-conf.js';
import { renderSentinelConfig } from '../charts/config/sentinel-conf.js';

const directives = (conf: string) => conf.split('\n').filter((l) => l && !l.startsWith('#'));

const base: RedisConfigInput = {
  deployment: 'orders',
  port: 6379,
  memoryLimitBytes: 2 * 2 ** 30,
  evictionPolicy: 'noeviction',
  persistence: 'aof+rdb',
  minReplicasToWrite: 0,
  paths: { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key', caFile: '/tls/ca.crt', dataDir: '/data', aclFile: '/secrets/users.acl' },
};

describe('redis.conf', () => {
  it('serves TLS only, 1.2 and 1.3, and replicates over TLS', () => {
    const conf = directives(renderRedisConfig(base));
    expect(conf).toEqual(
      expect.arrayContaining(['port 0', 'tls-port 6379', 'tls-replication yes', 'tls-protocols "TLSv1.2 TLSv1.3"', 'aclfile /secrets/users.acl']),
    );
    expect(conf.find((l) => l.startsWith('tls-ciphers '))).not.toMatch(/CBC|RC4|3DES|NULL|SHA1?(:|$)/);
  });

  it('derives maxmemory from the memory limit, leaving headroom for buffers and fork copy-on-write', () => {
    expect(maxmemoryBytes(2 * 2 ** 30)).toBe(1433 * 2 ** 20);
    expect(directives(renderRedisConfig(base))).toContain(`maxmemory ${1433 * 2 ** 20}`);
    expect(maxmemoryBytes(2 * 2 ** 30)).toBeLessThan(2 * 2 ** 30 * 0.75);
  });

  it('persists as configured', () => {
    const mode = (persistence: RedisConfigInput['persistence']) =>
      directives(renderRedisConfig({ ...base, persistence })).filter((l) => /^(appendonly|save) /.test(l));
    expect(mode('aof')).toEqual(['appendonly yes', 'save ""']);
    expect(mode('rdb')).toEqual(['appendonly no', 'save 3600 1 300 100 60 10000']);
    expect(mode('aof+rdb')).toEqual(['appendonly yes', 'save 3600 1 300 100 60 10000']);
  });

  it('keeps writes possible with one data member down unless min-replicas-to-write is opted into', () => {
    expect(directives(renderRedisConfig(base))).toContain('min-replicas-to-write 0');
    expect(directives(renderRedisConfig({ ...base, minReplicasToWrite: 1 }))).toContain('min-replicas-to-write 1');
  });
});

describe('sentinel.conf', () => {
  it('monitors the first primary by host name with quorum 2, over TLS', () => {
    const conf = directives(
      renderSentinelConfig({
        deployment: 'orders',
        masterName: 'orders',
        initialPrimary: { host: 'orders-data-0-0.orders-data-0.redis-orders.svc.cluster.local', port: 6379 },
        port: 26379,
        quorum: 2,
        downAfterMs: 5000,
        failoverTimeoutMs: 60000,
        paths: base.paths,
      }),
    );
    expect(conf).toEqual(
      expect.arrayContaining([
        'port 0',
        'tls-port 26379',
        'tls-replication yes',
        'sentinel resolve-hostnames yes',
        'sentinel announce-hostnames yes',
        'sentinel monitor orders orders-data-0-0.orders-data-0.redis-orders.svc.cluster.local 6379 2',
        'sentinel down-after-milliseconds orders 5000',
        'sentinel failover-timeout orders 60000',
      ]),
    );
  });
});

describe('ACL file', () => {
  it('switches the default user off and stores only password hashes', () => {
    const acl = renderAclFile([{ name: 'replication', passwordSha256: 'a'.repeat(64), rules: '+psync +replconf +ping' }]);
    expect(acl).toBe(`user default off resetpass -@all\nuser replication on #${'a'.repeat(64)} resetchannels -@all +psync +replconf +ping\n`);
    expect(() => renderAclFile([{ name: 'x', passwordSha256: 'hunter2', rules: '' }])).toThrow(/SHA-256/);
  });
});

// The members' manifests (the ConfigMap these files go into, Services, StatefulSets, network policies):
// test/constructs/sentinel-cluster.test.ts, network-policies.test.ts and deployment-chart.test.ts.
