import { execFile, spawn } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { serverCertificateNames } from '../model/secrets.js';
import { InputErrors, loadInputs } from '../src/config/load.js';
import { sha256Hex } from '../src/secrets/passwords.js';
import { joinPem } from '../src/secrets/pem.js';
import { readState, type SecretsState } from '../src/secrets/state.js';
import { issueTls } from '../src/secrets/tls.js';
import { synth } from '../src/synth/synth.js';
import { goTool, missingPrograms, tlsHandshake } from './support/programs.js';
import { projectRoot, tempDir, tempRepo, writeInput } from './support/repo.js';

const run = promisify(execFile);
const testKey = path.join(projectRoot, 'clusters/example.sealing-key.TEST-ONLY-DO-NOT-USE.pem');
const dist = path.join(projectRoot, 'dist');
const state = async (root: string, deployment: string) => readState(path.join(root, 'state/example', `${deployment}.json`))!.state;

/** Opens one SealedSecret file of dist/ with the real kubeseal and the test-only private key. */
async function unseal(file: string): Promise<Record<string, string>> {
  const { stdout } = await run(goTool('kubeseal')!, ['--recovery-unseal', '--recovery-private-key', testKey, '-f', file, '-o', 'json']);
  const secret = JSON.parse(stdout) as { data: Record<string, string> };
  return Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
}

describe('secrets in dist/', () => {
  it('holds no private key and no Secret, only SealedSecrets', () => {
    for (const name of readdirSync(dist, { recursive: true }) as string[]) {
      if (!name.endsWith('.yaml') && !name.endsWith('.crt')) continue;
      const text = readFileSync(path.join(dist, name), 'utf8');
      expect(text, name).not.toContain('PRIVATE KEY');
      if (name.endsWith('.yaml')) for (const doc of parseAllDocuments(text)) expect((doc.toJS() as { kind: string }).kind, name).not.toBe('Secret');
    }
    for (const name of readdirSync(path.join(projectRoot, 'state'), { recursive: true }) as string[]) {
      if (name.endsWith('.json')) expect(readFileSync(path.join(projectRoot, 'state', name), 'utf8'), name).not.toContain('PRIVATE KEY');
    }
  });

  it('publishes a CA that verifies the server certificate, which covers every name clients and checks use', async () => {
    const orders = await state(projectRoot, 'orders');
    const dir = tempDir();
    writeFileSync(path.join(dir, 'server.crt'), orders.tls.server.certificate);
    const caFile = path.join(dist, 'example/orders/ca.crt');
    const { stdout } = await run('openssl', ['verify', '-CAfile', caFile, path.join(dir, 'server.crt')]);
    expect(stdout.trim()).toMatch(/: OK$/);
    const configMap = parse(readFileSync(path.join(dist, 'example/orders/configmap-orders-ca.yaml'), 'utf8'));
    expect(configMap.data['ca.crt']).toBe(readFileSync(caFile, 'utf8'));

    const cert = new X509Certificate(orders.tls.server.certificate);
    const sans = cert.subjectAltName!.split(', ').map((s) => s.replace(/^DNS:/, ''));
    const inputs = await loadInputs(projectRoot);
    const deployment = inputs.deployments.find((d) => d.name === 'orders')!;
    const names = serverCertificateNames({ deployment: 'orders', namespace: 'redis-orders' }, deployment.spec.portal.hostnames);
    expect(names).toEqual(
      expect.arrayContaining(['orders', 'orders.redis-orders.svc.cluster.local', 'orders-data-0-0.orders-data-0.redis-orders.svc.cluster.local', 'orders-redis.example.com']),
    );
    expect(sans.sort()).toEqual([...names].sort());
    expect(new X509Certificate(readFileSync(caFile, 'utf8')).ca).toBe(true);
  });

  it.skipIf(!goTool('kubeseal'))(`unseals with the real kubeseal to the exact certificate, key and passwords${goTool('kubeseal') ? '' : ' [skipped: kubeseal not built; .ci/run builds it]'}`, async () => {
    const orders = await state(projectRoot, 'orders');
    const tls = await unseal(path.join(dist, 'example/orders/sealedsecret-orders-tls.yaml'));
    expect(tls['tls.crt']).toBe(orders.tls.server.certificate);
    expect(tls['ca.crt']).toBe(orders.tls.ca.certificate);
    expect(new X509Certificate(tls['tls.crt']!).checkPrivateKey(createPrivateKey(tls['tls.key']!))).toBe(true);
    expect(tls['server.pem']).toBe(joinPem(tls['tls.crt']!, tls['tls.key']!));

    const auth = await unseal(path.join(dist, 'example/orders/sealedsecret-orders-auth.yaml'));
    for (const user of ['replication', 'sentinel', 'member', 'portal']) {
      expect(sha256Hex(auth[`acl-${user}`]!), user).toBe(orders.users[user]!.passwordSha256);
      expect(auth['users.acl']).toContain(`user ${user} on #${orders.users[user]!.passwordSha256} `);
    }
    expect(auth['users.acl']).toMatch(/^user default off /);
    expect(auth['sentinel-auth']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const api = await unseal(path.join(dist, 'example/orders/sealedsecret-orders-user-orders-api.yaml'));
    expect(sha256Hex(api.password!)).toBe(orders.users['orders-api']!.passwordSha256);
    expect(auth['users.acl']).toContain(`user orders-api on #${orders.users['orders-api']!.passwordSha256} `);
  });
});

describe('rotate', () => {
  const sealedTls = (s: SecretsState) => s.tls.sealed;
  const hashes = (s: SecretsState) => Object.fromEntries(Object.entries(s.users).map(([u, v]) => [u, v.passwordSha256]));

  it('changes exactly what it was asked to change', async () => {
    const repo = tempRepo();
    const out = path.join(repo, 'dist');
    await synth(repo, out);
    const before = await state(repo, 'orders');
    const sessions = await state(repo, 'sessions');

    await synth(repo, out, { rotate: new Map([['orders', new Set(['passwords'] as const)]]) });
    const afterPasswords = await state(repo, 'orders');
    expect(sealedTls(afterPasswords)).toEqual(sealedTls(before));
    for (const [user, hash] of Object.entries(hashes(afterPasswords))) expect(hash, user).not.toBe(hashes(before)[user]);
    expect(await state(repo, 'sessions')).toEqual(sessions);

    await synth(repo, out, { rotate: new Map([['orders', new Set(['ca'] as const)]]) });
    const afterCa = await state(repo, 'orders');
    expect(sealedTls(afterCa)).toEqual(sealedTls(before));
    expect(hashes(afterCa)).toEqual(hashes(afterPasswords));
    expect(afterCa.pendingTls?.ca.fingerprint).not.toBe(before.tls.ca.fingerprint);
    const bundle = readFileSync(path.join(out, 'example/orders/ca.crt'), 'utf8');
    expect(bundle.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);

    await synth(repo, out, { rotate: new Map([['orders', new Set(['server'] as const)]]) });
    const afterServer = await state(repo, 'orders');
    expect(afterServer.tls).toEqual(afterCa.pendingTls);
    expect(afterServer.pendingTls).toBeUndefined();
    expect(hashes(afterServer)).toEqual(hashes(afterPasswords));
    expect(readFileSync(path.join(out, 'example/orders/ca.crt'), 'utf8')).toBe(afterServer.tls.ca.certificate);
  });

  it('refuses to serve a new server certificate that no CA rotation prepared', async () => {
    const repo = tempRepo();
    await expect(synth(repo, path.join(repo, 'dist'), { rotate: new Map([['orders', new Set(['server'] as const)]]) })).rejects.toThrow(InputErrors);
  });

  it('issues a new certificate when the names change, and keeps the passwords', async () => {
    const repo = tempRepo();
    const before = await state(repo, 'orders');
    const file = path.join(repo, 'deployments/orders.yaml');
    writeInput(repo, 'deployments/orders.yaml', readFileSync(file, 'utf8').replace('hostnames: [orders-redis.example.com]', 'hostnames: [orders-redis.example.com, cache.example.com]'));
    const result = await synth(repo, path.join(repo, 'dist'));
    const after = await state(repo, 'orders');
    expect(after.sans).toContain('cache.example.com');
    expect(after.tls.ca.fingerprint).not.toBe(before.tls.ca.fingerprint);
    expect(hashes(after)).toEqual(hashes(before));
    expect(result.notes).toContainEqual({ deployment: 'orders', note: expect.stringMatching(/names changed/) });
    expect(result.statesWritten).toEqual(['state/example/orders.json']);
  });

  it('removes the state of a deployment no longer declared, with its files in dist/, and nothing on a failed synth', async () => {
    const repo = tempRepo();
    const out = path.join(repo, 'dist');
    await synth(repo, out);
    writeFileSync(path.join(repo, 'state/NOTES.md'), 'not a state file\n');
    rmSync(path.join(repo, 'deployments/sessions.yaml'));
    const orders = readFileSync(path.join(repo, 'deployments/orders.yaml'), 'utf8');
    writeInput(repo, 'deployments/orders.yaml', orders.replace('cluster: example', 'cluster: nowhere'));
    await expect(synth(repo, out)).rejects.toThrow(InputErrors);
    expect(existsSync(path.join(repo, 'state/example/sessions.json'))).toBe(true);

    writeInput(repo, 'deployments/orders.yaml', orders);
    const result = await synth(repo, out);
    expect(result.statesRemoved).toEqual(['state/example/sessions.json']);
    expect(result.changes.removed).toContainEqual(expect.stringMatching(/^example\/sessions\//));
    expect(readdirSync(path.join(repo, 'state/example'))).toEqual(['orders.json']);
    expect(existsSync(path.join(repo, 'state/NOTES.md'))).toBe(true);
    expect((await synth(repo, out)).statesRemoved).toEqual([]);
  });

  it('fails clearly when a cluster has no usable sealing certificate, with no plaintext fallback', async () => {
    const repo = tempRepo();
    writeInput(repo, 'clusters/example.sealing-cert.TEST-ONLY.pem', 'not a certificate\n');
    const error = await synth(repo, path.join(repo, 'dist')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputErrors);
    expect((error as InputErrors).errors[0]).toMatchObject({ file: 'clusters/example.yaml', field: 'sealedSecrets.certificate', message: expect.stringMatching(/not a PEM certificate/) });
  });
});

const skipServers = missingPrograms('redis-server', 'haproxy', 'openssl');
describe.skipIf(skipServers)(`generated TLS material on real servers${skipServers ? ` [skipped: ${skipServers}]` : ''}`, () => {
  it('loads in redis-server and haproxy, and verifies by host name against the CA', async () => {
    const dir = tempDir();
    const tls = await issueTls('orders', ['localhost'], new Date());
    const f = (name: string, content: string) => {
      writeFileSync(path.join(dir, name), content);
      return path.join(dir, name);
    };
    const ca = f('ca.crt', joinPem(tls.caCertificate));
    const cert = f('tls.crt', joinPem(tls.serverCertificate));
    const key = f('tls.key', joinPem(tls.serverKey));
    const bundle = f('server.pem', joinPem(tls.serverCertificate, tls.serverKey));
    const cfg = f('haproxy.cfg', `global\n  ssl-default-bind-options ssl-min-ver TLSv1.2\ndefaults\n  mode tcp\n  timeout client 5s\n  timeout connect 5s\n  timeout server 5s\nfrontend tls\n  bind 127.0.3.2:16380 ssl crt ${bundle}\n`);
    const servers = [
      spawn('redis-server', ['--port', '0', '--tls-port', '16379', '--bind', '127.0.3.1', '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', ca, '--tls-auth-clients', 'no', '--save', '', '--dir', dir], { stdio: 'ignore' }),
      spawn('haproxy', ['-db', '-f', cfg], { stdio: 'ignore' }),
    ];
    try {
      for (const [host, port] of [['127.0.3.1', 16379], ['127.0.3.2', 16380]] as const) {
        let result = await tlsHandshake(host, port, 'tls1_3', ca, 'localhost');
        for (let i = 0; i < 50 && !result.connected; i++) {
          await new Promise((r) => setTimeout(r, 100));
          result = await tlsHandshake(host, port, 'tls1_3', ca, 'localhost');
        }
        expect(result, `${host}:${port}`).toMatchObject({ connected: true, verified: true });
        expect((await tlsHandshake(host, port, 'tls1_2', ca, 'elsewhere.example.com')).connected, 'wrong host name').toBe(false);
      }
    } finally {
      for (const s of servers) s.kill('SIGKILL');
    }
  });
});
