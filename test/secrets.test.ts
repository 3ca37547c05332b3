import { systemUserRules } from '../model/users.js';
import { execFile, spawn } from 'node:child_process';
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { serverCertificateNames } from '../model/secrets.js';
import { InputErrors, loadInputs } from '../src/config/load.js';
import { sha256Hex } from '../src/secrets/passwords.js';
import { joinPem } from '../src/secrets/pem.js';
import { readState, type SecretsState } from '../src/secrets/state.js';
import { issueTls } from '../src/secrets/tls.js';
import type { RotationRequest } from '../src/secrets/rotations.js';
import { synth } from '../src/synth/synth.js';
import { goTool, missingPrograms, tlsHandshake, unseal } from './support/programs.js';
import { projectRoot, tempDir, tempRepo, writeInput } from './support/repo.js';

const run = promisify(execFile);
const dist = path.join(projectRoot, 'dist');
const state = async (root: string, deployment: string) => readState(path.join(root, 'state/example', `${deployment}.json`))!.state;

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
  const step = (repo: string, request: RotationRequest) => synth(repo, path.join(repo, 'dist'), { rotate: new Map([['orders', request]]) });
  const sealedSecret = (repo: string, name: string): Record<string, string> =>
    parse(readFileSync(path.join(repo, 'dist/example/orders', `sealedsecret-${name}.yaml`), 'utf8')).spec.encryptedData;
  const certificates = (pem: string) => pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g) ?? [];
  /** After each step: a plain synth renders nothing new (dist/ and state/ agree), the ConfigMap and ca.crt agree. */
  const consistent = async (repo: string) => {
    const again = await synth(repo, path.join(repo, 'dist'));
    expect(again.statesWritten, 'a synth after the step writes no state').toEqual([]);
    expect([...again.changes.added, ...again.changes.changed, ...again.changes.removed], 'nor changes dist/').toEqual([]);
    const bundle = readFileSync(path.join(repo, 'dist/example/orders/ca.crt'), 'utf8');
    expect(parse(readFileSync(path.join(repo, 'dist/example/orders/configmap-orders-ca.yaml'), 'utf8')).data['ca.crt']).toBe(bundle);
    return bundle;
  };

  it('rotates the CA in three steps, both CAs trusted by the servers and published from the start step to the finish step', async () => {
    const repo = tempRepo();
    await synth(repo, path.join(repo, 'dist'));
    const before = await state(repo, 'orders');
    const sessions = await state(repo, 'sessions');
    const old = before.tls.ca.certificate;
    expect(certificates(await consistent(repo))).toEqual([old]);

    await step(repo, { ca: 'start' });
    const started = await state(repo, 'orders');
    const fresh = started.pendingTls!.ca.certificate;
    expect(started.tls, 'the servers still present the old certificate').toEqual(before.tls);
    expect(certificates(await consistent(repo)), 'published: old and new').toEqual([old, fresh]);
    expect(sealedSecret(repo, 'orders-tls')['tls.crt']).toBe(before.tls.sealed['tls.crt']);
    expect(sealedSecret(repo, 'orders-tls')['ca.crt'], "the servers' ca.crt is sealed anew").toBe(started.caFile!.sealed);
    expect(hashes(started)).toEqual(hashes(before));

    await step(repo, { ca: 'switch' });
    const switched = await state(repo, 'orders');
    expect(switched.tls, 'the servers present the new certificate').toEqual(started.pendingTls);
    expect(switched.retiringCa).toEqual(before.tls.ca);
    expect(certificates(await consistent(repo)), 'still old and new, the same text: applications need not reload').toEqual([old, fresh]);
    expect(switched.caFile, 'the same ca.crt, not sealed again').toEqual(started.caFile);
    expect(sealedSecret(repo, 'orders-tls')['tls.crt']).toBe(switched.tls.sealed['tls.crt']);

    await step(repo, { ca: 'finish' });
    const finished = await state(repo, 'orders');
    expect(finished.tls).toEqual(switched.tls);
    expect([finished.pendingTls, finished.retiringCa, finished.caFile]).toEqual([undefined, undefined, undefined]);
    expect(certificates(await consistent(repo)), 'only the new CA').toEqual([fresh]);
    expect(sealedSecret(repo, 'orders-tls')).toEqual(finished.tls.sealed);
    expect(hashes(finished)).toEqual(hashes(before));
    expect(await state(repo, 'sessions'), 'other deployments untouched').toEqual(sessions);
  });

  it('rotates the passwords in three steps: both accepted from start to finish, applications handed the new one from the start, the service itself from the switch', async () => {
    const repo = tempRepo();
    await synth(repo, path.join(repo, 'dist'));
    const before = await state(repo, 'orders');
    // The service's own users, as the model lists them (the backup user among them).
    const system = Object.keys(systemUserRules);
    const applications = ['admin', 'orders-api', 'orders-reporting'];
    expect(Object.keys(before.users).sort()).toEqual([...system, ...applications].sort());

    await step(repo, { passwords: 'start' });
    const started = await state(repo, 'orders');
    expect(sealedTls(started)).toEqual(sealedTls(before));
    for (const user of Object.keys(before.users)) expect(hashes(started)[user], user).not.toBe(hashes(before)[user]);
    expect(started.passwordRotation).toEqual({ step: 'start', previous: { users: before.users, sentinelAuth: before.sentinelAuth } });
    const auth = () => sealedSecret(repo, 'orders-auth');
    for (const user of applications) expect(sealedSecret(repo, `orders-user-${user}`).password, user).toBe(started.users[user]!.sealed);
    for (const user of system) expect(auth()[`acl-${user}`], user).toBe(before.users[user]!.sealed);
    expect(auth()['sentinel-auth']).toBe(before.sentinelAuth.sealed);
    expect(auth()['sentinel-auth-also']).toBe(started.sentinelAuth.sealed);
    await consistent(repo);

    await step(repo, { passwords: 'switch' });
    const switched = await state(repo, 'orders');
    expect(switched.users).toEqual(started.users);
    expect(switched.passwordRotation?.step).toBe('switch');
    for (const user of system) expect(auth()[`acl-${user}`], user).toBe(started.users[user]!.sealed);
    expect(auth()['sentinel-auth']).toBe(started.sentinelAuth.sealed);
    expect(auth()['sentinel-auth-also']).toBe(before.sentinelAuth.sealed);
    for (const user of applications) expect(sealedSecret(repo, `orders-user-${user}`).password, user).toBe(started.users[user]!.sealed);
    await consistent(repo);

    await step(repo, { passwords: 'finish' });
    const finished = await state(repo, 'orders');
    expect(finished.passwordRotation).toBeUndefined();
    expect(finished.users).toEqual(started.users);
    expect(auth()).not.toHaveProperty('sentinel-auth-also');
    expect(auth()['acl-replication']).toBe(started.users.replication!.sealed);
    expect(finished.acl.sha256).not.toBe(switched.acl.sha256);
    await consistent(repo);
  });

  it('refuses a step out of order, saying what is under way and the next step', async () => {
    const repo = tempRepo();
    const refusal = async (request: RotationRequest) => {
      const error = await step(repo, request).catch((e: unknown) => e);
      expect(error, JSON.stringify(request)).toBeInstanceOf(InputErrors);
      const [first] = (error as InputErrors).errors;
      expect(first!.file).toBe('deployments/orders.yaml');
      return first!.message;
    };
    const unchanged = readFileSync(path.join(repo, 'state/example/orders.json'), 'utf8');
    expect(await refusal({ ca: 'switch' })).toMatch(/^no CA rotation is under way, so there is nothing to switch: start one with redis-gitops rotate orders --what ca$/);
    expect(await refusal({ ca: 'finish' })).toMatch(/^no CA rotation is under way/);
    expect(await refusal({ passwords: 'finish' })).toMatch(/^no password rotation is under way/);
    expect(readFileSync(path.join(repo, 'state/example/orders.json'), 'utf8'), 'a refused step writes nothing').toBe(unchanged);

    await step(repo, { ca: 'start', passwords: 'start' });
    expect(await refusal({ ca: 'start' })).toBe(
      'a CA rotation is under way already (its start step is done): finish it before starting another; next: redis-gitops rotate orders --what ca --step switch',
    );
    expect(await refusal({ ca: 'finish' })).toMatch(/^the servers still present the old CA's certificate: .* Run the switch step first \(redis-gitops rotate orders --what ca --step switch\)/);
    expect(await refusal({ passwords: 'finish' })).toMatch(/still log in with the old passwords: .* Run the switch step first \(redis-gitops rotate orders --what passwords --step switch\)/);
    await step(repo, { ca: 'switch', passwords: 'switch' });
    expect(await refusal({ ca: 'switch' })).toBe("the CA rotation's switch step is done already; next: redis-gitops rotate orders --what ca --step finish");
    expect(await refusal({ passwords: 'start' })).toMatch(/^a password rotation is under way already \(its switch step is done\)/);
    const result = await synth(repo, path.join(repo, 'dist'));
    expect(result.notes.filter((n) => n.deployment === 'orders').map((n) => n.note)).toEqual([
      'a CA rotation is under way (its switch step is done); next: redis-gitops rotate orders --what ca --step finish',
      'a password rotation is under way (its switch step is done); next: redis-gitops rotate orders --what passwords --step finish',
    ]);
  });

  it('keeps a password rotation to the users there are: a user added during it has one password, a removed one none', async () => {
    const repo = tempRepo();
    await step(repo, { passwords: 'start' });
    const file = path.join(repo, 'deployments/orders.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('- user: orders-reporting');
    writeInput(repo, 'deployments/orders.yaml', text.replace(/\n\s+- user: orders-reporting\n\s+role: \w+/, '\n    - user: billing\n      role: Reader'));
    await synth(repo, path.join(repo, 'dist'));
    const after = await state(repo, 'orders');
    expect(Object.keys(after.passwordRotation!.previous.users)).not.toContain('orders-reporting');
    expect(Object.keys(after.passwordRotation!.previous.users)).not.toContain('billing');
    expect(after.users).toHaveProperty('billing');
  });

  it('says so when it generates a password for a user of a deployment that has a state: a user just added, or an entry gone from the state file', async () => {
    const repo = tempRepo();
    const file = path.join(repo, 'deployments/orders.yaml');
    writeInput(repo, 'deployments/orders.yaml', readFileSync(file, 'utf8').replace(/\n\s+- user: orders-reporting\n/, '\n    - user: billing\n      role: Reader\n$&'));
    const stateFile = path.join(repo, 'state/example/orders.json');
    const edited = JSON.parse(readFileSync(stateFile, 'utf8')) as SecretsState;
    delete edited.users['orders-api'];
    writeFileSync(stateFile, `${JSON.stringify(edited, null, 2)}\n`);
    const result = await synth(repo, path.join(repo, 'dist'));
    const generated = result.notes.filter((n) => n.deployment === 'orders' && /no password in the state file/.test(n.note)).map((n) => n.note.split(':')[0]);
    expect(generated.sort()).toEqual(['user billing', 'user orders-api']);
    expect(result.notes.find((n) => n.note.startsWith('user orders-api:'))!.note).toContain('Secret orders-user-orders-api');
    // Nothing generated, nothing said.
    const again = await synth(repo, path.join(repo, 'dist'));
    expect(again.notes.filter((n) => /no password/.test(n.note))).toEqual([]);
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

const skipOpenssl = missingPrograms('openssl');
describe.skipIf(skipOpenssl)(`the certificates issued, as openssl reads them${skipOpenssl ? ` [skipped: ${skipOpenssl}]` : ''}`, () => {
  /** `openssl x509 -text` without the lines of hex (key, serial, signature) and the CA name's random suffix. */
  const text = async (pem: string) => {
    const file = path.join(tempDir(), 'c.pem');
    writeFileSync(file, pem);
    const { stdout } = await run('openssl', ['x509', '-in', file, '-noout', '-text']);
    return stdout
      .split('\n')
      .filter((l) => !/^\s+([0-9a-f]{2}:)+[0-9a-f]{0,2}$/i.test(l))
      .map((l) => l.replace(/issued 2026-12-02 [0-9a-f]{8}$/, 'issued 2026-12-02 <random>').trimEnd());
  };
  /**
   * `openssl asn1parse`: each element's depth, type and value, without offsets and lengths (a
   * signature's length varies), the CA name's random suffix, and the serial once checked to be a
   * positive INTEGER of at most 9 bytes in minimal DER.
   */
  const layout = async (pem: string) => {
    const file = path.join(tempDir(), 'c.pem');
    writeFileSync(file, pem);
    const { stdout } = await run('openssl', ['asn1parse', '-in', file]);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) =>
        l
          .replace(/^\s*\d+:d=(\d+)\s+hl=\d+ l=\s*\d+ (prim|cons): /, '$1 ')
          .replace(/ +\[HEX DUMP\]:/, ' :')
          .replace(/ +:/, ' :')
          .replace(/issued 2026-12-02 [0-9a-f]{8}/, 'issued 2026-12-02 <random>')
          .replace(/ +/g, ' ')
          .trimEnd(),
      );
    const serial = /^2 INTEGER :([0-9A-F]+)$/.exec(lines[4] ?? '')?.[1];
    expect(serial, lines[4]).toMatch(/^([1-7][0-9A-F]|0[0-9A-F])/);
    expect(serial!.length).toBeLessThanOrEqual(18);
    // Minimal DER: a leading zero byte only before a byte with its top bit set.
    if (serial!.startsWith('00') && serial!.length > 2) expect(Number.parseInt(serial!.slice(2, 4), 16)).toBeGreaterThanOrEqual(0x80);
    lines[4] = '2 INTEGER :<serial>';
    // Key identifiers are hashes of fresh keys.
    return lines.map((l, i) => (/Key Identifier$/.test(lines[i - 1] ?? '') ? l.replace(/ :[0-9A-F]+$/, ' :<key id>') : l));
  };
  const sans = ['10.0.0.5', 'orders-portal.orders.svc', 'orders.example.com'];
  const now = new Date('2026-12-02T10:00:00.123Z');

  // The profile the certificates had when `selfsigned` made them (openssl's reading of one such pair):
  // the servers, the portals and every client were tested against it; a new way of encoding them must
  // give the same fields, extensions, criticality and string types. Since then: key identifiers
  // (Subject and Authority), which OpenSSL's strict verification requires.
  it('keeps of each certificate what node reads in it: the sha256 of its DER and its end of validity', async () => {
    // Issued in 2045, the CA is valid until 2055: a GeneralizedTime (RFC 5280 4.1.2.5), the rest UTCTime.
    for (const tls of [await issueTls('orders', sans, now), await issueTls('orders', sans, new Date('2045-06-01T00:00:00Z'))]) {
      for (const [summary, pem] of [[tls.ca, tls.caCertificate], [tls.server, tls.serverCertificate]] as const) {
        const read = new X509Certificate(pem);
        expect(summary).toEqual({ certificate: pem, fingerprint: read.fingerprint256.replaceAll(':', '').toLowerCase(), notAfter: new Date(read.validTo).toISOString() });
        // The certificate is put together from DER pieces by hand: it is what asn1-x509
        // encodes for the same certificate.
        expect(Buffer.from(AsnConvert.serialize(AsnConvert.parse(read.raw, Certificate))).equals(read.raw)).toBe(true);
      }
    }
  });

  it('has a CA of P-384 signing with SHA-384, valid 10 years, for signing certificates only', async () => {
    const tls = await issueTls('orders', sans, now);
    const lines = await text(tls.caCertificate);
    expect(lines).toEqual([
      'Certificate:',
      '    Data:',
      '        Version: 3 (0x2)',
      '        Serial Number:',
      '        Signature Algorithm: ecdsa-with-SHA384',
      '        Issuer: CN = redis-gitops orders CA, OU = issued 2026-12-02 <random>',
      '        Validity',
      '            Not Before: Dec  2 10:00:00 2026 GMT',
      '            Not After : Nov 29 10:00:00 2036 GMT',
      '        Subject: CN = redis-gitops orders CA, OU = issued 2026-12-02 <random>',
      '        Subject Public Key Info:',
      '            Public Key Algorithm: id-ecPublicKey',
      '                Public-Key: (384 bit)',
      '                pub:',
      '                ASN1 OID: secp384r1',
      '                NIST CURVE: P-384',
      '        X509v3 extensions:',
      '            X509v3 Basic Constraints: critical',
      '                CA:TRUE',
      '            X509v3 Key Usage: critical',
      '                Certificate Sign, CRL Sign',
      '            X509v3 Subject Key Identifier:',
      '            X509v3 Authority Key Identifier:',
      '    Signature Algorithm: ecdsa-with-SHA384',
      '    Signature Value:',
      '',
    ]);
  });

  it('has a server certificate of P-256 signed by the CA with SHA-256, valid 5 years, for servers and clients, naming every address also as a DNS name', async () => {
    const tls = await issueTls('orders', sans, now);
    expect(await text(tls.serverCertificate)).toEqual([
      'Certificate:',
      '    Data:',
      '        Version: 3 (0x2)',
      '        Serial Number:',
      '        Signature Algorithm: ecdsa-with-SHA256',
      '        Issuer: CN = redis-gitops orders CA, OU = issued 2026-12-02 <random>',
      '        Validity',
      '            Not Before: Dec  2 10:00:00 2026 GMT',
      '            Not After : Dec  1 10:00:00 2031 GMT',
      '        Subject: CN = 10.0.0.5',
      '        Subject Public Key Info:',
      '            Public Key Algorithm: id-ecPublicKey',
      '                Public-Key: (256 bit)',
      '                pub:',
      '                ASN1 OID: prime256v1',
      '                NIST CURVE: P-256',
      '        X509v3 extensions:',
      '            X509v3 Basic Constraints: critical',
      '                CA:FALSE',
      '            X509v3 Key Usage: critical',
      '                Digital Signature',
      '            X509v3 Extended Key Usage:',
      '                TLS Web Server Authentication, TLS Web Client Authentication',
      '            X509v3 Subject Alternative Name:',
      '                IP Address:10.0.0.5, DNS:10.0.0.5, DNS:orders-portal.orders.svc, DNS:orders.example.com',
      '            X509v3 Subject Key Identifier:',
      '            X509v3 Authority Key Identifier:',
      '    Signature Algorithm: ecdsa-with-SHA256',
      '    Signature Value:',
      '',
    ]);
    const dir = tempDir();
    writeFileSync(path.join(dir, 'ca.crt'), tls.caCertificate);
    writeFileSync(path.join(dir, 'tls.crt'), tls.serverCertificate);
    expect((await run('openssl', ['verify', '-CAfile', path.join(dir, 'ca.crt'), path.join(dir, 'tls.crt')])).stdout.trim()).toMatch(/: OK$/);
    // Strict verification (Python 3.13's default TLS context asks for it) needs the key identifiers,
    // the server's naming its CA's.
    expect((await run('openssl', ['verify', '-x509_strict', '-CAfile', path.join(dir, 'ca.crt'), path.join(dir, 'tls.crt')])).stdout.trim()).toMatch(/: OK$/);
    const keyIds = async (file: string) => [...(await run('openssl', ['x509', '-in', file, '-noout', '-ext', 'subjectKeyIdentifier,authorityKeyIdentifier'])).stdout.matchAll(/([0-9A-F]{2}(?::[0-9A-F]{2}){19})/g)].map((m) => m[1]);
    const [caSubject, caAuthority] = await keyIds(path.join(dir, 'ca.crt'));
    const [serverSubject, serverAuthority] = await keyIds(path.join(dir, 'tls.crt'));
    expect([caAuthority, serverAuthority]).toEqual([caSubject, caSubject]);
    expect(serverSubject).not.toBe(caSubject);
    // RFC 5280's method 1: the SHA-1 of the key's bits, here an uncompressed point (the last 1 + 2 x 32
    // or 48 bytes of the SubjectPublicKeyInfo node exports from the certificate).
    const keyId = (pem: string, pointBytes: number) =>
      createHash('sha1').update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }).subarray(-pointBytes)).digest('hex').toUpperCase().match(/../g)!.join(':');
    expect([caSubject, serverSubject]).toEqual([keyId(tls.caCertificate, 97), keyId(tls.serverCertificate, 65)]);
    expect(new X509Certificate(tls.serverCertificate).checkPrivateKey(createPrivateKey(tls.serverKey))).toBe(true);
    expect(createPrivateKey(tls.serverKey).export({ type: 'pkcs8', format: 'pem' })).toBe(tls.serverKey);
  });

  it('encodes every field as before: string types, times, extension values, the serial a positive INTEGER', async () => {
    const tls = await issueTls('orders', sans, now);
    expect(await layout(tls.caCertificate)).toEqual([
      '0 SEQUENCE',
      '1 SEQUENCE',
      '2 cont [ 0 ]',
      '3 INTEGER :02',
      '2 INTEGER :<serial>',
      '2 SEQUENCE',
      '3 OBJECT :ecdsa-with-SHA384',
      '2 SEQUENCE',
      '3 SET',
      '4 SEQUENCE',
      '5 OBJECT :commonName',
      '5 PRINTABLESTRING :redis-gitops orders CA',
      '3 SET',
      '4 SEQUENCE',
      '5 OBJECT :organizationalUnitName',
      '5 PRINTABLESTRING :issued 2026-12-02 <random>',
      '2 SEQUENCE',
      '3 UTCTIME :261202100000Z',
      '3 UTCTIME :361129100000Z',
      '2 SEQUENCE',
      '3 SET',
      '4 SEQUENCE',
      '5 OBJECT :commonName',
      '5 PRINTABLESTRING :redis-gitops orders CA',
      '3 SET',
      '4 SEQUENCE',
      '5 OBJECT :organizationalUnitName',
      '5 PRINTABLESTRING :issued 2026-12-02 <random>',
      '2 SEQUENCE',
      '3 SEQUENCE',
      '4 OBJECT :id-ecPublicKey',
      '4 OBJECT :secp384r1',
      '3 BIT STRING',
      '2 cont [ 3 ]',
      '3 SEQUENCE',
      '4 SEQUENCE',
      '5 OBJECT :X509v3 Basic Constraints',
      '5 BOOLEAN :255',
      '5 OCTET STRING :30030101FF',
      '4 SEQUENCE',
      '5 OBJECT :X509v3 Key Usage',
      '5 BOOLEAN :255',
      '5 OCTET STRING :03020106',
      '4 SEQUENCE',
      '5 OBJECT :X509v3 Subject Key Identifier',
      '5 OCTET STRING :<key id>',
      '4 SEQUENCE',
      '5 OBJECT :X509v3 Authority Key Identifier',
      '5 OCTET STRING :<key id>',
      '1 SEQUENCE',
      '2 OBJECT :ecdsa-with-SHA384',
      '1 BIT STRING',
    ]);
    expect(await layout(tls.serverCertificate)).toEqual([
      '0 SEQUENCE',
      '1 SEQUENCE',
      '2 cont [ 0 ]',
      '3 INTEGER :02',
      '2 INTEGER :<serial>',
      '2 SEQUENCE',
      '3 OBJECT :ecdsa-with-SHA256',
      '2 SEQUENCE',
      '3 SET',
      '4 SEQUENCE',
      '5 OBJECT :commonName',
      '5 PRINTABLESTRING :redis-gitops orders CA',
      '3 SET',
      '4 SEQUENCE',
      '5 OBJECT :organizationalUnitName',
      '5 PRINTABLESTRING :issued 2026-12-02 <random>',
      '2 SEQUENCE',
      '3 UTCTIME :261202100000Z',
      '3 UTCTIME :311201100000Z',
      '2 SEQUENCE',
      '3 SET',
      '4 SEQUENCE',
      '5 OBJECT :commonName',
      '5 PRINTABLESTRING :10.0.0.5',
      '2 SEQUENCE',
      '3 SEQUENCE',
      '4 OBJECT :id-ecPublicKey',
      '4 OBJECT :prime256v1',
      '3 BIT STRING',
      '2 cont [ 3 ]',
      '3 SEQUENCE',
      '4 SEQUENCE',
      '5 OBJECT :X509v3 Basic Constraints',
      '5 BOOLEAN :255',
      '5 OCTET STRING :3000',
      '4 SEQUENCE',
      '5 OBJECT :X509v3 Key Usage',
      '5 BOOLEAN :255',
      '5 OCTET STRING :03020780',
      '4 SEQUENCE',
      '5 OBJECT :X509v3 Extended Key Usage',
      '5 OCTET STRING :301406082B0601050507030106082B06010505070302',
      '4 SEQUENCE',
      '5 OBJECT :X509v3 Subject Alternative Name',
      '5 OCTET STRING :303E87040A000005820831302E302E302E3582186F72646572732D706F7274616C2E6F72646572732E73766382126F72646572732E6578616D706C652E636F6D',
      '4 SEQUENCE',
      '5 OBJECT :X509v3 Subject Key Identifier',
      '5 OCTET STRING :<key id>',
      '4 SEQUENCE',
      '5 OBJECT :X509v3 Authority Key Identifier',
      '5 OCTET STRING :<key id>',
      '1 SEQUENCE',
      '2 OBJECT :ecdsa-with-SHA256',
      '1 BIT STRING',
    ]);
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
