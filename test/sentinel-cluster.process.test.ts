import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_PORT } from '../model/topology.js';
import { scriptNames } from '../charts/config/member-scripts.js';
import { diagnoseOnFailure, launchOrders, ordersCannotRun, type LocalCluster, waitFor } from './support/local-cluster.js';
import { missingPrograms, tlsHandshake } from './support/programs.js';

const run = promisify(execFile);
const skip = await ordersCannotRun('openssl');

// One scenario, step by step: each test starts from the state the previous one left.
describe.skipIf(skip)(`sentinel cluster on real redis processes${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let cluster: LocalCluster;
  diagnoseOnFailure(() => cluster);
  const [data0, data1, tiebreaker] = [0, 1, 2];
  const m = (i: number) => cluster.members[i]!;
  const acknowledged: string[] = [];

  /** SET through the given member and WAIT for one replica: a write the client saw confirmed. */
  async function confirmedWrite(i: number, key: string): Promise<void> {
    expect(await cluster.redis(m(i), 'SET', key, key)).toBe('OK');
    expect(await cluster.redis(m(i), 'WAIT', '1', '5000')).toBe('1');
    acknowledged.push(key);
  }

  beforeAll(async () => {
    ({ cluster } = await launchOrders('127.0.1'));
  });
  afterAll(async () => cluster?.stop());

  it('replicates from the designated first primary over TLS', async () => {
    expect(await cluster.redis(m(data0), 'ROLE')).toMatch(/^master/);
    const replica = await cluster.redis(m(data1), 'INFO', 'replication');
    expect(replica).toContain('role:slave');
    expect(replica).toContain(`master_host:${m(data0).ip}`);
    await confirmedWrite(data0, 'before-failover');
    expect(await cluster.redis(m(data1), 'GET', 'before-failover')).toBe('before-failover');
  });

  it('refuses plaintext connections and TLS 1.1; the default user can do nothing', async () => {
    const plain = await run(cluster.cliPath, ['-h', m(data0).ip, '-p', String(REDIS_PORT), 'PING'], { timeout: 5000 }).then(
      (r) => r.stdout,
      (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
    expect(plain).not.toContain('PONG');
    expect(await tlsHandshake(m(data0).ip, REDIS_PORT, 'tls1_1', cluster.caFile)).toMatchObject({ connected: false });
    expect(await tlsHandshake(m(data0).ip, REDIS_PORT, 'tls1_2', cluster.caFile)).toMatchObject({ connected: true, verified: true });
    const { stdout } = await run(cluster.cliPath, ['--tls', '--cacert', cluster.caFile, '-h', m(data0).ip, '-p', String(REDIS_PORT), '--raw', 'GET', 'before-failover']);
    expect(stdout).toMatch(/NOAUTH|NOPERM|Authentication required/);
  });

  it('has probes that report the primary and the synced replica ready, and every sentinel alive', async () => {
    for (const i of [data0, data1]) {
      expect(await cluster.runScript(m(i), scriptNames.probeRedis, 'live')).toMatchObject({ code: 0 });
      expect(await cluster.runScript(m(i), scriptNames.probeRedis, 'ready')).toMatchObject({ code: 0 });
    }
    for (const member of cluster.members) expect(await cluster.runScript(member, scriptNames.probeSentinel)).toMatchObject({ code: 0 });
    expect(await cluster.sentinel(m(tiebreaker), 'SENTINEL', 'ckquorum', 'orders')).toMatch(/^OK 3 usable Sentinels/);
  });

  it('promotes the replica when the primary is killed (quorum 2 of 3)', async () => {
    await cluster.kill(m(data0), 'redis');
    await waitFor('the sentinels to promote data-1', 30, async () => (await cluster.primaryBySentinels()) === m(data1).ip);
    expect(await cluster.redis(m(data1), 'ROLE')).toMatch(/^master/);
    expect(await cluster.redis(m(data1), 'GET', 'before-failover')).toBe('before-failover');
    expect(await cluster.redis(m(data1), 'SET', 'after-failover', 'after-failover')).toBe('OK');
    acknowledged.push('after-failover');
  });

  it('brings the old primary back as a replica of the new one, never as a second primary', async () => {
    cluster.start(m(data0), 'redis');
    const firstRole = await waitFor('the restarted member to answer (its entrypoint may wait up to 30 s for the sentinels)', 75, async () => {
      const role = await cluster.redis(m(data0), 'ROLE');
      return role.startsWith('ERROR') ? undefined : role;
    });
    expect(firstRole).toMatch(/^slave/);
    expect(cluster.log(m(data0), 'redis')).toContain(`starting as a replica of ${m(data1).ip}`);
    await waitFor('the old primary to resync', 30, async () => (await cluster.redis(m(data0), 'INFO', 'replication')).includes('master_link_status:up'));
    await confirmedWrite(data1, 'after-rejoin');
    for (const key of acknowledged) {
      expect(await cluster.redis(m(data1), 'GET', key), key).toBe(key);
      expect(await cluster.redis(m(data0), 'GET', key), key).toBe(key);
    }
  });

  it('hands over gracefully: the pre-stop hook of the primary moves the primary role before it stops', async () => {
    const stop = await cluster.runScript(m(data1), scriptNames.stopRedis);
    expect(stop.output).toContain(`handed over to ${m(data0).ip}`);
    expect(await cluster.primaryBySentinels()).toBe(m(data0).ip);
    expect(await cluster.redis(m(data0), 'ROLE')).toMatch(/^master/);
    // Writes stay paused on the old primary until the kubelet's SIGTERM stops it, then it restarts.
    expect(await cluster.redis(m(data0), 'SET', 'during-hand-over', 'during-hand-over')).toBe('OK');
    acknowledged.push('during-hand-over');
    await cluster.kill(m(data1), 'redis', 'SIGTERM');
    cluster.start(m(data1), 'redis');
    await waitFor('data-1 to follow data-0', 75, async () => (await cluster.redis(m(data1), 'INFO', 'replication')).includes('master_link_status:up'));
    await confirmedWrite(data0, 'after-hand-over');
    for (const key of acknowledged) expect(await cluster.redis(m(data0), 'GET', key), key).toBe(key);
  });
});
