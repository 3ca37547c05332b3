import { createHash, X509Certificate, type KeyObject } from 'node:crypto';

/**
 * The smallest RSA key a sealing certificate may hold. The Sealed Secrets controller makes 4096-bit
 * keys; below 2048 bits RSA is no longer considered safe (NIST SP 800-131A), and below about 784 bits
 * RSA-OAEP with SHA-256 cannot even wrap a 32-byte session key (synth crashed on a 512-bit one).
 */
export const MIN_SEALING_KEY_BITS = 2048;

/** A cluster's public sealing key: what `kubeseal --fetch-cert` prints. */
export interface SealingKey {
  publicKey: KeyObject;
  /** sha256 of the certificate (DER), to notice when a cluster's controller key changed. */
  fingerprint: string;
}

/**
 * The public key of a sealing certificate, or what is wrong with it: not a certificate, not RSA, a
 * key too small, expired or not yet valid at `now` (kubeseal refuses an expired certificate too).
 */
export function parseSealingCertificate(pem: string, now: Date): SealingKey | { problem: string } {
  const fetch = 'fetch the current one with kubeseal --fetch-cert';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (error) {
    return { problem: `not a PEM certificate (expected the output of kubeseal --fetch-cert): ${(error as Error).message}` };
  }
  const key = cert.publicKey;
  if (key.asymmetricKeyType !== 'rsa') {
    return { problem: `the certificate holds a ${key.asymmetricKeyType ?? 'non-RSA'} key; a sealing certificate holds an RSA key (Sealed Secrets encrypts with RSA-OAEP)` };
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_SEALING_KEY_BITS) {
    return { problem: `the certificate's RSA key has ${bits} bits; expected at least ${MIN_SEALING_KEY_BITS} (the controller makes 4096-bit keys): ${fetch}` };
  }
  if (now.getTime() > Date.parse(cert.validTo)) {
    return { problem: `the certificate expired on ${new Date(cert.validTo).toISOString()} (kubeseal refuses it too): ${fetch}` };
  }
  if (now.getTime() < Date.parse(cert.validFrom)) {
    return { problem: `the certificate is not valid before ${new Date(cert.validFrom).toISOString()} (check the clock, or ${fetch})` };
  }
  return { publicKey: key, fingerprint: createHash('sha256').update(cert.raw).digest('hex') };
}
