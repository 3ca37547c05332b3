import { constants, createCipheriv, publicEncrypt, randomBytes } from 'node:crypto';
import { parseSealingCertificate, type SealingKey } from '../config/sealing-certificate.js';

export type { SealingKey } from '../config/sealing-certificate.js';

/** The public key of a sealing certificate; throws an Error naming `source` and saying what is wrong with it. */
export function loadSealingKey(certificatePem: string, source: string, now = new Date()): SealingKey {
  const parsed = parseSealingCertificate(certificatePem, now);
  if ('problem' in parsed) throw new Error(`${source}: ${parsed.problem}`);
  return parsed;
}

const SESSION_KEY_BYTES = 32;
const GCM_NONCE_BYTES = 12;

/**
 * Encrypts one value the way kubeseal does for the strict scope, so the stock sealed-secrets
 * controller opens it only as key data of the Secret `name` in `namespace`:
 * uint16be(len(rsa)) || RSA-OAEP-SHA256(sessionKey, label "namespace/name") || AES-256-GCM(value, zero nonce).
 * A zero nonce is safe because every value gets a fresh random session key. Returns base64.
 */
export function sealValue(key: SealingKey, namespace: string, name: string, value: string | Buffer): string {
  const sessionKey = randomBytes(SESSION_KEY_BYTES);
  const rsaCiphertext = publicEncrypt(
    { key: key.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from(`${namespace}/${name}`) },
    sessionKey,
  );
  const length = Buffer.alloc(2);
  length.writeUInt16BE(rsaCiphertext.length);
  const cipher = createCipheriv('aes-256-gcm', sessionKey, Buffer.alloc(GCM_NONCE_BYTES));
  const sealed = Buffer.concat([cipher.update(value), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([length, rsaCiphertext, sealed]).toString('base64');
}
