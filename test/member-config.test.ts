import { describe, expect, it } from 'vitest';
import { renderAclFile } from '../charts/config/acl.js';
import { maxmemoryBytes, renderRedisConfig, type RedisConfigInput } from '../charts/config/redis-conf.js';
import { renderSentinelConfig } from '../charts/config/sentinel-conf.js';
import { loadInputs } from '../src/config/load.js';
import { projectRoot } from './support/repo.js';
import { find, renderManifests } from './support/render.js';

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

describe('member manifests', () => {
  it('renders the deployment timing and opt-ins into the ConfigMap', async () => {
    const inputs = await loadInputs(projectRoot);
    const orders = inputs.deployments.find((d) => d.name === 'orders')!;
    orders.spec.sentinel = { downAfterMilliseconds: 2000, failoverTimeout: 20000 };
    orders.spec.redis.minReplicasToWrite = 1;
    const data = find(await renderManifests(inputs), 'ConfigMap', 'orders-members').data;
    expect(data['sentinel.conf']).toContain('sentinel down-after-milliseconds orders 2000\n');
    expect(data['sentinel.conf']).toContain('sentinel failover-timeout orders 20000\n');
    expect(data['redis.conf']).toContain('min-replicas-to-write 1\n');
  });

  it('keeps every password out of ConfigMaps: the scripts read them from the mounted Secret', async () => {
    for (const m of (await renderManifests()).values()) {
      if (m.kind !== 'ConfigMap') continue;
      for (const [key, text] of Object.entries(m.data as Record<string, string>)) {
        for (const line of text.split('\n')) {
          expect(line, `${m.metadata.name}/${key}`).not.toMatch(/^\s*(requirepass|masterauth|sentinel (auth-pass|sentinel-pass))\s+\S/);
          expect(line, `${m.metadata.name}/${key}`).not.toMatch(/^\s*user \S+ on .*[>#]/);
          // Lines the scripts append take the password from a file, never a literal.
          if (/echo "(masterauth|requirepass|sentinel (auth-pass|sentinel-pass))/.test(line)) expect(line).toContain('$(cat "$SECRETS_DIR/');
        }
      }
    }
  });

  it('puts quorum 2 of 3 sentinels in three zones, TLS ports only on the Services', async () => {
    const manifests = await renderManifests();
    const conf = find(manifests, 'ConfigMap', 'orders-members').data['sentinel.conf'] as string;
    expect(conf).toMatch(/^sentinel monitor orders \S+ 6379 2$/m);
    const ports = [...manifests.values()]
      .filter((m) => m.kind === 'Service' && m.metadata.namespace === 'redis-orders')
      .flatMap((s) => s.spec.ports.map((p: { name: string; port: number }) => `${s.metadata.name}:${p.name}:${p.port}`));
    expect(ports.sort()).toEqual([
      'orders-data-0:redis-tls:6379',
      'orders-data-0:sentinel-tls:26379',
      'orders-data-1:redis-tls:6379',
      'orders-data-1:sentinel-tls:26379',
      'orders-tiebreaker:sentinel-tls:26379',
      'orders:redis-tls:6379',
    ]);
  });

  it('runs restricted: non-root, read-only root, no privilege escalation, no capabilities, explicit resources', async () => {
    const sts = find(await renderManifests(), 'StatefulSet', 'orders-data-0');
    const pod = sts.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.containers.map((c: { name: string }) => c.name)).toEqual(['redis', 'sentinel', 'exporter', 'sentinel-exporter']);
    for (const c of pod.containers) {
      expect(c.securityContext, c.name).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(Object.keys(c.resources.requests).sort(), c.name).toEqual(['cpu', 'memory']);
      expect(Object.keys(c.resources.limits).sort(), c.name).toEqual(['cpu', 'memory']);
      if (!c.name.endsWith('exporter')) {
        expect(c.livenessProbe?.exec, c.name).toBeDefined();
        expect(c.readinessProbe?.exec, c.name).toBeDefined();
      }
    }
    const redis = pod.containers.find((c: { name: string }) => c.name === 'redis');
    expect(redis.resources.limits.memory).toBe('2Gi');
    expect(redis.lifecycle.preStop.exec.command).toEqual(['sh', '/etc/redis/stop-redis.sh']);
  });

  it('denies all traffic by default and allows members, portals, the scraper and DNS', async () => {
    const manifests = await renderManifests();
    expect(find(manifests, 'NetworkPolicy', 'orders-default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const members = find(manifests, 'NetworkPolicy', 'orders-members').spec;
    const sources = members.ingress.map((rule: { from: object[]; ports: { port: number }[] }) => ({
      from: rule.from,
      ports: rule.ports.map((p) => p.port),
    }));
    expect(sources).toEqual([
      {
        from: [
          { podSelector: { matchLabels: { 'app.kubernetes.io/component': 'member', 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/name': 'redis' } } },
          { podSelector: { matchLabels: { 'app.kubernetes.io/component': 'portal', 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/name': 'redis' } } },
        ],
        ports: [6379, 26379],
      },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [9121, 9355] },
    ]);
    expect(members.egress.flatMap((rule: { ports: { port: number }[] }) => rule.ports.map((p) => p.port))).toEqual([6379, 26379, 53, 53]);
  });
});
