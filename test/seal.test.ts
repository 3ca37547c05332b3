import { execFile } from 'node:child_process';
import { constants, createDecipheriv, createPrivateKey, privateDecrypt } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadSealingKey, sealValue } from '../src/secrets/seal.js';
import { goTool } from './support/programs.js';
import { projectRoot, tempDir } from './support/repo.js';

const run = promisify(execFile);
const certFile = path.join(projectRoot, 'clusters/example.sealing-cert.TEST-ONLY.pem');
const keyFile = path.join(projectRoot, 'clusters/example.sealing-key.TEST-ONLY-DO-NOT-USE.pem');
const sealingKey = loadSealingKey(readFileSync(certFile, 'utf8'), certFile);

/** Opens a sealed value with the private key, independently of kubeseal (Node's crypto). */
function openWithNode(sealed: string, label: string): Buffer {
  const data = Buffer.from(sealed, 'base64');
  const rsaLength = data.readUInt16BE(0);
  const sessionKey = privateDecrypt(
    { key: createPrivateKey(readFileSync(keyFile)), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from(label) },
    data.subarray(2, 2 + rsaLength),
  );
  const body = data.subarray(2 + rsaLength);
  const decipher = createDecipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12));
  decipher.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
}

function sealedSecret(namespace: string, name: string, encryptedData: Record<string, string>) {
  return {
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    metadata: { name, namespace },
    spec: { encryptedData, template: { metadata: { name, namespace } } },
  };
}

describe('sealing', () => {
  it('produces the Sealed Secrets hybrid format, bound to namespace/name', () => {
    const sealed = sealValue(sealingKey, 'redis-orders', 'orders-auth', 'hunter2');
    expect(openWithNode(sealed, 'redis-orders/orders-auth').toString()).toBe('hunter2');
    expect(() => openWithNode(sealed, 'redis-orders/other')).toThrow();
    // Randomized: the same value never seals to the same bytes twice.
    expect(sealValue(sealingKey, 'redis-orders', 'orders-auth', 'hunter2')).not.toBe(sealed);
  });

  it('refuses a sealing certificate that is not an RSA certificate', () => {
    expect(() => loadSealingKey('not a certificate', 'clusters/x.pem')).toThrow(/clusters\/x.pem: not a PEM certificate/);
  });

  const bin = goTool('kubeseal');
  it.skipIf(!bin)(`opens with the real kubeseal --recovery-unseal${bin ? '' : ' [skipped: kubeseal not built; .ci/run builds it into .tools/]'}`, async () => {
    const dir = tempDir();
    const values = { 'tls.key': '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n', password: 'correct horse battery staple' };
    const encrypted = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, sealValue(sealingKey, 'redis-orders', 'orders-tls', v)]));
    const file = path.join(dir, 'sealed.yaml');
    writeFileSync(file, stringify(sealedSecret('redis-orders', 'orders-tls', encrypted)));
    const { stdout } = await run(bin!, ['--recovery-unseal', '--recovery-private-key', keyFile, '-f', file, '-o', 'json']);
    const secret = JSON.parse(stdout);
    expect(secret.metadata).toMatchObject({ name: 'orders-tls', namespace: 'redis-orders' });
    for (const [k, v] of Object.entries(values)) expect(Buffer.from(secret.data[k], 'base64').toString()).toBe(v);

    // The same blobs under another name or namespace do not open (strict scope).
    for (const [namespace, name] of [['redis-orders', 'stolen'], ['elsewhere', 'orders-tls']] as const) {
      writeFileSync(file, stringify(sealedSecret(namespace, name, encrypted)));
      await expect(run(bin!, ['--recovery-unseal', '--recovery-private-key', keyFile, '-f', file, '-o', 'json'])).rejects.toThrow();
    }
  });
});
