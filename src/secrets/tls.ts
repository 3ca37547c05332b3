import { createHash, generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { ecdsaWithSHA256, ecdsaWithSHA384 } from '@peculiar/asn1-ecc';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import {
  AuthorityKeyIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  KeyIdentifier,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_clientAuth,
  id_kp_serverAuth,
  type AlgorithmIdentifier,
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
// deployments' keys are made at once while this thread encodes certificates. The encoding is
// @peculiar/asn1-x509's, object to DER once per certificate: through `selfsigned` and
// `@peculiar/x509`, each certificate was encoded and parsed back several times, its CA's key imported
// again from PEM and the chain verified in JavaScript (~20 ms of CPU a deployment, four times what
// this takes; the certificates have the same fields, extensions and encodings).
const newKeyPair = promisify(generateKeyPair);
const signAsync = promisify(sign);

const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATIONAL_UNIT = '2.5.4.11';

function extension(extnID: string, critical: boolean, value: object): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
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

/** A name of one attribute per RDN, each a PrintableString where it can be (as @peculiar/x509 writes them), else UTF8String. */
function distinguishedName(...attributes: [type: string, value: string][]): Name {
  return new Name(
    attributes.map(
      ([type, value]) =>
        new RelativeDistinguishedName([
          new AttributeTypeAndValue({ type, value: new AttributeValue(/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value) ? { printableString: value } : { utf8String: value }) }),
        ]),
    ),
  );
}

/** 72 random bits as a positive INTEGER (top bit clear), without leading zero bytes (DER). */
function serialNumber(): ArrayBuffer {
  const bytes = randomBytes(9);
  bytes[0]! &= 0x7f;
  let first = 0;
  while (first < bytes.length - 1 && bytes[first] === 0 && bytes[first + 1]! < 0x80) first++;
  return arrayBuffer(bytes.subarray(first));
}

function arrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
}

/**
 * A key's identifier as RFC 5280 (4.2.1.2, method 1) and OpenSSL compute it: the SHA-1 of the
 * subjectPublicKey bits. A certificate names its own (Subject Key Identifier) and its issuer's
 * (Authority Key Identifier): OpenSSL's strict verification (`-x509_strict`, which Python 3.13's
 * default TLS context turns on) refuses a chain without them.
 */
function keyIdentifier(spki: SubjectPublicKeyInfo): KeyIdentifier {
  return new KeyIdentifier(arrayBuffer(createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest()));
}

function keyIdentifiers(subject: KeyIdentifier, issuer: KeyIdentifier): Extension[] {
  return [
    extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(subject.buffer)),
    extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: issuer })),
  ];
}

/**
 * A DER SEQUENCE of elements already encoded: the header (tag 0x30 and the definite length, short or
 * long form, X.690 8.1.3) before their bytes.
 */
function derSequence(...elements: ArrayBuffer[]): Buffer {
  const length = elements.reduce((sum, e) => sum + e.byteLength, 0);
  const header = length < 0x80 ? [length] : length < 0x100 ? [0x81, length] : length < 0x10000 ? [0x82, length >> 8, length & 0xff] : undefined;
  if (!header) throw new Error(`a certificate of ${length} bytes: longer than any this encodes`);
  return Buffer.concat([Buffer.from([0x30, ...header]), ...elements.map((e) => new Uint8Array(e))]);
}

/** A public key as a certificate carries it (exported and parsed once per key: each was twice). */
function publicKeyInfo(publicKey: KeyObject): SubjectPublicKeyInfo {
  return AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
}

interface CertificateFields {
  subject: Name;
  issuer: Name;
  publicKey: SubjectPublicKeyInfo;
  signingKey: KeyObject;
  hash: 'sha256' | 'sha384';
  algorithm: AlgorithmIdentifier;
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
}

async function signCertificate(fields: CertificateFields): Promise<CertificateSummary> {
  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumber(),
    signature: fields.algorithm,
    issuer: fields.issuer,
    validity: new Validity({ notBefore: fields.notBefore, notAfter: fields.notAfter }),
    subject: fields.subject,
    subjectPublicKeyInfo: fields.publicKey,
    extensions: new Extensions(fields.extensions),
  });
  // ECDSA-Sig-Value in DER, as a certificate carries it (node's default dsaEncoding).
  const tbs = AsnConvert.serialize(tbsCertificate);
  const signature = await signAsync(fields.hash, Buffer.from(tbs), fields.signingKey);
  // The certificate around the TBS bytes just signed: asn1-schema would encode the TBS once more (a
  // third of the time of issuing a certificate).
  const der = derSequence(tbs, AsnConvert.serialize(fields.algorithm), new asn1js.BitString({ valueHex: arrayBuffer(signature) }).toBER());
  const base64 = der.toString('base64');
  return {
    certificate: `-----BEGIN CERTIFICATE-----\n${base64.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`,
    fingerprint: createHash('sha256').update(der).digest('hex'),
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
  const caKey = publicKeyInfo(ca.publicKey);
  const serverKey = publicKeyInfo(server.publicKey);
  const caId = keyIdentifier(caKey);
  const [caSummary, serverSummary] = await Promise.all([
    signCertificate({
      subject: caName,
      issuer: caName,
      publicKey: caKey,
      signingKey: ca.privateKey,
      hash: 'sha384',
      algorithm: ecdsaWithSHA384,
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
      algorithm: ecdsaWithSHA256,
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
