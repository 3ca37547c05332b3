import { createHash, generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { ecdsaWithSHA256, ecdsaWithSHA384 } from '@peculiar/asn1-ecc';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  ExtendedKeyUsage,
  Extension,
  GeneralName,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  KeyIdentifier,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_clientAuth,
  id_kp_serverAuth,
} from '@peculiar/asn1-x509';

/** A CA and a server certificate it signed. The CA's private key is not part of it: it is dropped. */
export interface IssuedTls {
  caCertificate: string;
  serverCertificate: string;
  serverKey: string;
  /** What a state file keeps of each certificate, from what was encoded (parsing them back was 4% of a cold synth). */
  ca: CertificateSummary;
  server: CertificateSummary;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;
/** The CA outlives several server certificates; both are long-lived, as clients pin the CA, not the server. */
export const CA_VALIDITY_YEARS = 10;
export const SERVER_VALIDITY_YEARS = 5;

// Keys are made and certificates signed by node's crypto (OpenSSL) on libuv's threads, so several
// deployments' keys are made at once while this thread encodes certificates. Each certificate is
// put together from DER pieces (see der()), the names and the per-certificate extensions encoded by
// @peculiar/asn1-x509: through `selfsigned` and `@peculiar/x509`, each certificate was encoded and
// parsed back several times, its CA's key imported again from PEM and the chain verified in
// JavaScript (~20 ms of CPU a deployment; the certificates have the same fields, extensions and encodings).
const newKeyPair = promisify(generateKeyPair);
const signAsync = promisify(sign);

const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATIONAL_UNIT = '2.5.4.11';

/** An extension as DER: every certificate's are encoded once (see CA_EXTENSIONS), the others once per certificate. */
function extension(extnID: string, critical: boolean, value: object): Buffer {
  return Buffer.from(AsnConvert.serialize(new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) })));
}

/** The same for every CA and every server certificate: encoded once. */
const CA_EXTENSIONS = [
  extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true })),
  extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
];
const SERVER_EXTENSIONS = [
  extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
  extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
  extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([id_kp_serverAuth, id_kp_clientAuth])),
];

/** A name of one attribute per RDN, each a PrintableString where it can be (as @peculiar/x509 writes them), else UTF8String; as DER. */
function distinguishedName(...attributes: [type: string, value: string][]): Buffer {
  const name = new Name(
    attributes.map(
      ([type, value]) =>
        new RelativeDistinguishedName([
          new AttributeTypeAndValue({ type, value: new AttributeValue(/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value) ? { printableString: value } : { utf8String: value }) }),
        ]),
    ),
  );
  return Buffer.from(AsnConvert.serialize(name));
}

/** 72 random bits as a positive INTEGER (top bit clear), without leading zero bytes (DER). */
function serialNumber(): Buffer {
  const bytes = randomBytes(9);
  bytes[0]! &= 0x7f;
  let first = 0;
  while (first < bytes.length - 1 && bytes[first] === 0 && bytes[first + 1]! < 0x80) first++;
  return der(0x02, bytes.subarray(first));
}

/**
 * A DER element: its tag, its definite length (short or long form, X.690 8.1.3) and the contents
 * already encoded. The TBS certificate is put together from such pieces, most of them encoded once
 * at load (asn1-schema's encoding of the whole TBS was half the time of issuing a certificate); a
 * test checks that asn1-x509 reads and encodes each certificate to the same bytes.
 */
function der(tag: number, ...contents: Uint8Array[]): Buffer {
  const length = contents.reduce((sum, c) => sum + c.length, 0);
  const header = length < 0x80 ? [length] : length < 0x100 ? [0x81, length] : length < 0x10000 ? [0x82, length >> 8, length & 0xff] : undefined;
  if (!header) throw new Error(`a DER element of ${length} bytes: longer than any certificate this encodes`);
  return Buffer.concat([Buffer.from([tag, ...header]), ...contents]);
}

/** Where the contents of the DER element at `offset` of `bytes` start and end. */
function contentsAt(bytes: Buffer, offset: number): { start: number; end: number } {
  const first = bytes[offset + 1]!;
  const size = first < 0x80 ? 0 : first & 0x7f;
  let length = size === 0 ? first : 0;
  for (let i = 0; i < size; i++) length = length * 256 + bytes[offset + 2 + i]!;
  const start = offset + 2 + size;
  return { start, end: start + length };
}

/**
 * A key's identifier as RFC 5280 (4.2.1.2, method 1) and OpenSSL compute it: the SHA-1 of the
 * subjectPublicKey bits (the BIT STRING after the algorithm in the SubjectPublicKeyInfo `spki`,
 * without its count of unused bits). A certificate names its own (Subject Key Identifier) and its
 * issuer's (Authority Key Identifier): OpenSSL's strict verification (`-x509_strict`, which Python
 * 3.13's default TLS context turns on) refuses a chain without them.
 */
function keyIdentifier(spki: Buffer): Buffer {
  const algorithm = contentsAt(spki, contentsAt(spki, 0).start);
  const bits = contentsAt(spki, algorithm.end);
  if (spki[algorithm.end] !== 0x03) throw new Error('a public key without its BIT STRING');
  return createHash('sha1').update(spki.subarray(bits.start + 1, bits.end)).digest();
}

function keyIdentifiers(subject: Buffer, issuer: Buffer): Buffer[] {
  return [
    extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(arrayBuffer(subject))),
    extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(arrayBuffer(issuer)) })),
  ];
}

function arrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
}

/** version [0] EXPLICIT INTEGER 2 (v3). */
const VERSION_3 = der(0xa0, der(0x02, Buffer.from([2])));
/** Each signature algorithm as DER, encoded once. */
const ALGORITHMS = { sha256: Buffer.from(AsnConvert.serialize(ecdsaWithSHA256)), sha384: Buffer.from(AsnConvert.serialize(ecdsaWithSHA384)) };

/** A certificate's time as RFC 5280 4.1.2.5 has it: UTCTime through 2049, GeneralizedTime after, whole seconds, Zulu. */
function time(at: Date): Buffer {
  const iso = at.toISOString();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return at.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(digits.slice(2), 'latin1')) : der(0x18, Buffer.from(digits, 'latin1'));
}

interface CertificateFields {
  subject: Buffer;
  issuer: Buffer;
  /** SubjectPublicKeyInfo, as node exports the key. */
  publicKey: Buffer;
  signingKey: KeyObject;
  hash: keyof typeof ALGORITHMS;
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
}

async function signCertificate(fields: CertificateFields): Promise<CertificateSummary> {
  const algorithm = ALGORITHMS[fields.hash];
  const tbs = der(
    0x30,
    VERSION_3,
    serialNumber(),
    algorithm,
    fields.issuer,
    der(0x30, time(fields.notBefore), time(fields.notAfter)),
    fields.subject,
    fields.publicKey,
    der(0xa3, der(0x30, ...fields.extensions)),
  );
  // ECDSA-Sig-Value in DER, as a certificate carries it (node's default dsaEncoding); in a BIT STRING
  // without unused bits.
  const signature = await signAsync(fields.hash, tbs, fields.signingKey);
  const certificate = der(0x30, tbs, algorithm, der(0x03, Buffer.from([0]), signature));
  const base64 = certificate.toString('base64');
  return {
    certificate: `-----BEGIN CERTIFICATE-----\n${base64.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`,
    fingerprint: createHash('sha256').update(certificate).digest('hex'),
    // A certificate's times are whole seconds (RFC 5280 4.1.2.5).
    notAfter: new Date(Math.floor(fields.notAfter.getTime() / 1000) * 1000).toISOString(),
  };
}

/**
 * Issues a fresh CA (ECDSA P-384, signing with SHA-384) and a server certificate (ECDSA P-256,
 * signed with SHA-256; serverAuth and clientAuth: redis presents it when it connects to its primary)
 * covering `sans`. The CA key lives only in memory here, so nothing can later sign a certificate that
 * applications would trust by mistake.
 */
export async function issueTls(deployment: string, sans: readonly string[], now: Date): Promise<IssuedTls> {
  const at = (years: number) => new Date(now.getTime() + years * YEAR_MS);
  const [ca, server] = await Promise.all([newKeyPair('ec', { namedCurve: 'P-384' }), newKeyPair('ec', { namedCurve: 'P-256' })]);
  // Each CA a name of its own: during a CA rotation both CAs are in one trust file, and OpenSSL (redis,
  // haproxy, most clients) looks a certificate's issuer up by name; with two CAs of one name, the
  // server certificate of the second fails ("certificate signature failure": measured with redis and
  // openssl), although the certificates now carry key identifiers too.
  const generation = `issued ${now.toISOString().slice(0, 10)} ${randomBytes(4).toString('hex')}`;
  const caName = distinguishedName([OID_COMMON_NAME, `redis-gitops ${deployment} CA`], [OID_ORGANIZATIONAL_UNIT, generation]);
  const subjectAltName = new SubjectAlternativeName(
    // An address is also listed as a DNS name: HAProxy's verifyhost compares DNS names only.
    sans.flatMap((san) => [...(/^[0-9.]+$/.test(san) ? [new GeneralName({ iPAddress: san })] : []), new GeneralName({ dNSName: san })]),
  );
  // Each public key exported once, as the certificate carries it.
  const caKey = ca.publicKey.export({ type: 'spki', format: 'der' });
  const serverKey = server.publicKey.export({ type: 'spki', format: 'der' });
  const caId = keyIdentifier(caKey);
  const [caSummary, serverSummary] = await Promise.all([
    signCertificate({
      subject: caName,
      issuer: caName,
      publicKey: caKey,
      signingKey: ca.privateKey,
      hash: 'sha384',
      notBefore: now,
      notAfter: at(CA_VALIDITY_YEARS),
      extensions: [...CA_EXTENSIONS, ...keyIdentifiers(caId, caId)],
    }),
    signCertificate({
      subject: distinguishedName([OID_COMMON_NAME, sans[0] ?? deployment]),
      issuer: caName,
      publicKey: serverKey,
      signingKey: ca.privateKey,
      hash: 'sha256',
      notBefore: now,
      notAfter: at(SERVER_VALIDITY_YEARS),
      extensions: [...SERVER_EXTENSIONS, extension(id_ce_subjectAltName, false, subjectAltName), ...keyIdentifiers(keyIdentifier(serverKey), caId)],
    }),
  ]);
  return {
    caCertificate: caSummary.certificate,
    serverCertificate: serverSummary.certificate,
    serverKey: server.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    ca: caSummary,
    server: serverSummary,
  };
}

/** What a state file keeps about a certificate: public, so safe in git. */
export interface CertificateSummary {
  certificate: string;
  fingerprint: string;
  notAfter: string;
}
