import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { generate } from 'selfsigned';

/** A CA and a server certificate it signed. The CA's private key is not part of it: it is dropped. */
export interface IssuedTls {
  caCertificate: string;
  serverCertificate: string;
  serverKey: string;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;
/** The CA outlives several server certificates; both are long-lived, as clients pin the CA, not the server. */
export const CA_VALIDITY_YEARS = 10;
export const SERVER_VALIDITY_YEARS = 5;

/**
 * Issues a fresh CA (ECDSA P-384) and a server certificate (ECDSA P-256, serverAuth and clientAuth:
 * redis presents it when it connects to its primary) covering `sans`. The CA key lives only in memory
 * here, so nothing can later sign a certificate that applications would trust by mistake.
 */
export async function issueTls(deployment: string, sans: readonly string[], now: Date): Promise<IssuedTls> {
  const at = (years: number) => new Date(now.getTime() + years * YEAR_MS);
  // Each CA a name of its own: during a CA rotation both CAs are in one trust file, and OpenSSL (redis,
  // haproxy, most clients) looks a certificate's issuer up by name; with two CAs of one name, the
  // server certificate of the second fails ("certificate signature failure": measured with redis and
  // openssl). The certificates carry no key identifiers to tell them apart (selfsigned makes none).
  const generation = `issued ${now.toISOString().slice(0, 10)} ${randomBytes(4).toString('hex')}`;
  const ca = await generate([{ name: 'commonName', value: `redis-gitops ${deployment} CA` }, { shortName: 'OU', value: generation }], {
    keyType: 'ec',
    curve: 'P-384',
    algorithm: 'sha384',
    notBeforeDate: now,
    notAfterDate: at(CA_VALIDITY_YEARS),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: sans[0] ?? deployment }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: now,
    notAfterDate: at(SERVER_VALIDITY_YEARS),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      {
        name: 'subjectAltName',
        // An address is also listed as a DNS name: HAProxy's verifyhost compares DNS names only.
        altNames: sans.flatMap((san) => [...(/^[0-9.]+$/.test(san) ? [{ type: 7 as const, ip: san }] : []), { type: 2 as const, value: san }]),
      },
    ],
  });
  return { caCertificate: ca.cert, serverCertificate: server.cert, serverKey: server.private };
}

/** What a state file keeps about a certificate: public, so safe in git. */
export interface CertificateSummary {
  certificate: string;
  fingerprint: string;
  notAfter: string;
}

export function summarize(certificatePem: string): CertificateSummary {
  const cert = new X509Certificate(certificatePem);
  return {
    certificate: `${certificatePem.trim()}\n`,
    fingerprint: createHash('sha256').update(cert.raw).digest('hex'),
    notAfter: new Date(cert.validTo).toISOString(),
  };
}
