import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PORTAL_PORT, PORTAL_STATS_PORT } from '../model/topology.js';
import { diagnoseOnFailure, launchOrders, ordersCannotRun, type LocalCluster, waitFor } from './support/local-cluster.js';
import { missingPrograms, tlsHandshake } from './support/programs.js';
import { tempDir } from './support/repo.js';
import { find, renderManifests, type Manifest } from './support/render.js';

const run = promisify(execFile);
const skip = await ordersCannotRun('haproxy', 'openssl');

describe.skipIf(missingPrograms('haproxy'))(`rendered haproxy.cfg${missingPrograms('haproxy') ? ` [skipped: ${missingPrograms('haproxy')}]` : ''}`, () => {
  it('is accepted by `haproxy -c` for every example deployment', async () => {
    const configs = [...(await renderManifests()).values()].filter((m) => m.kind === 'ConfigMap' && m.data?.['haproxy.cfg']);
    expect(configs.map((c) => c.metadata.name).sort()).toEqual(['orders-portal', 'sessions-portal']);
    for (const c of configs) {
      const dir = tempDir();
      const cfg = path.join(dir, 'haproxy.cfg');
      // The certificate files only have to exist for the check, the Lua file is loaded; paths are the pod's otherwise.
      writeFileSync(cfg, c.data['haproxy.cfg'].replace(/\/tls\//g, `${dir}/`).replace(/\/etc\/haproxy\//g, `${dir}/`));
      writeFileSync(path.join(dir, 'portal.lua'), c.data['portal.lua']);
      const { stdout } = await run('sh', ['-c', `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=x -keyout ${dir}/k -out ${dir}/ca.crt 2>/dev/null && cat ${dir}/ca.crt ${dir}/k > ${dir}/server.pem && haproxy -c -f ${cfg}`], {
        env: { ...process.env, PORTAL_CHECK_PASSWORD: 'p', SENTINEL_PASSWORD: 's' },
      });
      expect(stdout, c.metadata.name).toContain('Configuration file is valid');
    }
  });
});

// One scenario, step by step: each test starts from the state the previous one left.
describe.skipIf(skip)(`portals on real haproxy, redis and sentinel processes${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let cluster: LocalCluster;
  diagnoseOnFailure(() => cluster);

  beforeAll(async () => {
    ({ cluster } = await launchOrders('127.0.2'));
    cluster.startPortal(cluster.portals[0]!);
    cluster.startPortal(cluster.portals[1]!);
    for (const i of [0, 1]) await waitFor(`portal ${i} to route to the primary`, 30, async () => (await cluster.viaPortal(cluster.portals[i]!, 'admin', 'PING')) === 'PONG');
  });
  afterAll(async () => cluster?.stop());

  it('accepts TLS 1.2 and 1.3 verified against the CA, refuses TLS 1.0, 1.1 and plaintext', async () => {
    for (const portal of cluster.portals) {
      for (const port of [PORTAL_PORT, PORTAL_STATS_PORT]) {
        expect(await tlsHandshake(portal.ip, port, 'tls1', cluster.caFile), `${portal.ip}:${port} tls1`).toMatchObject({ connected: false });
        expect(await tlsHandshake(portal.ip, port, 'tls1_1', cluster.caFile), `${portal.ip}:${port} tls1_1`).toMatchObject({ connected: false });
        expect(await tlsHandshake(portal.ip, port, 'tls1_2', cluster.caFile), `${portal.ip}:${port} tls1_2`).toMatchObject({ connected: true, verified: true });
        expect(await tlsHandshake(portal.ip, port, 'tls1_3', cluster.caFile), `${portal.ip}:${port} tls1_3`).toMatchObject({ connected: true, verified: true });
      }
      const plain = await run(cluster.cliPath, ['-h', portal.ip, '-p', String(PORTAL_PORT), 'PING'], { timeout: 5000 }).then(
        (r) => r.stdout,
        (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
      );
      expect(plain).not.toContain('PONG');
    }
  });

  it('sends writes through either portal to the primary', async () => {
    const [data0] = cluster.members;
    for (const i of [0, 1]) {
      expect(await cluster.viaPortal(cluster.portals[i]!, 'admin', 'SET', `via-portal-${i}`, 'yes')).toBe('OK');
      expect(await cluster.redis(data0!, 'GET', `via-portal-${i}`)).toBe('yes');
    }
  });

  it('serves the Prometheus metrics on the stats port over TLS', async () => {
    const { stdout } = await run('curl', ['-sS', '--cacert', cluster.caFile, `https://${cluster.portals[0]!.ip}:${PORTAL_STATS_PORT}/metrics`]);
    expect(stdout).toMatch(/^haproxy_server_status\{proxy="primary",server="data-0"/m);
  });

  it('never routes to a member that claims role:master without a sentinel quorum behind it, which is then demoted', async () => {
    const [data0, data1] = cluster.members;
    // The replica turns itself into a second primary, as a restarted stale primary would look. Its
    // watcher (start-redis.sh) or sentinel demotes it within seconds: the writes below run meanwhile.
    expect(await cluster.redis(data1!, 'REPLICAOF', 'NO', 'ONE')).toBe('OK');
    for (let n = 0; n < 20; n++) expect(await cluster.viaPortal(cluster.portals[n % 2]!, 'admin', 'SET', `split-${n}`, 'yes')).toBe('OK');
    for (let n = 0; n < 20; n++) {
      expect(await cluster.redis(data0!, 'GET', `split-${n}`)).toBe('yes');
      expect(await cluster.redis(data1!, 'EXISTS', `split-${n}`)).toBe('0');
    }
    // Its own watcher or sentinel, whichever comes first, turns the impostor back into a replica; the next step needs it in sync.
    await waitFor('data-1 to be demoted and resync', 60, async () => (await cluster.redis(data1!, 'INFO', 'replication')).includes('master_link_status:up'));
  });

  it('routes writes to the promoted replica after the primary is killed', async () => {
    const [data0, data1] = cluster.members;
    const killed = Date.now();
    await cluster.kill(data0!, 'redis');
    // Each portal finds the new primary by its own health checks: under load one can follow the
    // other by a check or two (asserting the second at the moment the first succeeded failed then).
    for (const [i, portal] of cluster.portals.entries()) {
      await waitFor(`writes through portal-${i} to succeed again`, 60, async () => (await cluster.viaPortal(portal, 'admin', 'SET', `after-failover-${i}`, 'yes')) === 'OK');
      console.log(`writes through portal-${i} succeeded again ${((Date.now() - killed) / 1000).toFixed(1)} s after the primary was killed`);
    }
    expect(await cluster.redis(data1!, 'GET', 'after-failover-0')).toBe('yes');
    expect(await cluster.redis(data1!, 'GET', 'after-failover-1')).toBe('yes');
  });

  it('keeps serving through the other portal when one portal stops', async () => {
    await cluster.killPortal(cluster.portals[0]!, 'SIGTERM');
    expect(await cluster.viaPortal(cluster.portals[0]!, 'admin', 'PING')).toMatch(/^ERROR/);
    expect(await cluster.viaPortal(cluster.portals[1]!, 'admin', 'SET', 'one-portal-left', 'yes')).toBe('OK');
    expect(await cluster.viaPortal(cluster.portals[1]!, 'admin', 'GET', 'via-portal-0')).toBe('yes');
  });
});
