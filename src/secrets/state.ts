import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { looksSealed } from '../config/backup-schema.js';
import { InputErrors } from '../config/errors.js';
import { tlsSecretKeys } from '../../model/secrets.js';

/** The SHA-256 of a text or a certificate, as synth writes it: 64 lowercase hex digits (a hand edit is refused, not rendered). */
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits (a SHA-256)');

/** A value synth sealed (kubeseal's form; only the cluster can open it): a truncated or edited one is refused, not rendered. */
const Sealed = z.string().refine(looksSealed, 'not a sealed value (base64 of a Sealed Secrets ciphertext)');

/**
 * A certificate as synth summarised it (tls.ts): the PEM must be one certificate, and its fingerprint
 * and expiry those of that certificate. A hand-edited or badly merged certificate is refused here,
 * not handed to applications as their CA.
 */
const Certificate = z
  .strictObject({ certificate: z.string(), fingerprint: Sha256, notAfter: z.iso.datetime() })
  .superRefine((summary, ctx) => {
    let read: X509Certificate;
    try {
      read = new X509Certificate(summary.certificate);
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['certificate'], message: `not a PEM certificate (${(error as Error).message})` });
      return;
    }
    if (createHash('sha256').update(read.raw).digest('hex') !== summary.fingerprint) {
      ctx.addIssue({ code: 'custom', path: ['fingerprint'], message: 'not the SHA-256 of the certificate' });
    }
    const notAfter = new Date(read.validTo).toISOString();
    if (notAfter !== summary.notAfter) ctx.addIssue({ code: 'custom', path: ['notAfter'], message: `not the certificate's expiry (${notAfter})` });
  });

/** One generation of TLS material: a CA, the server certificate it signed, the sealed Secret values. */
const TlsGeneration = z.strictObject({
  ca: Certificate,
  server: Certificate,
  /** Key of the TLS Secret → sealed value. */
  sealed: z.strictObject(Object.fromEntries(Object.values(tlsSecretKeys).map((key) => [key, Sealed])) as Record<(typeof tlsSecretKeys)[keyof typeof tlsSecretKeys], typeof Sealed>),
});

/** A password: its SHA-256 (what the ACL file holds) and the password sealed for the Secret that hands it out. */
const Password = z.strictObject({ passwordSha256: Sha256, sealed: Sealed });

/**
 * What synth keeps between runs about a deployment's secrets, committed under state/: only public
 * material (certificates, fingerprints, password hashes) and sealed blobs that only the cluster's
 * controller can open. Sealing is randomized; reusing these makes re-synth byte-identical.
 */
export const SecretsStateSchema = z.strictObject({
  version: z.literal(1),
  /** Sealed values are bound to namespace/name and to the cluster's sealing key. */
  namespace: z.string(),
  sealingCertificate: Sha256,
  /** Names the server certificate was made for. */
  sans: z.array(z.string()),
  tls: TlsGeneration,
  /**
   * A CA rotation's first step done (`rotate --what ca`): the new CA and the server certificate it
   * signed, trusted everywhere, presented after the switch step.
   */
  pendingTls: TlsGeneration.optional(),
  /** A CA rotation's switch step done: the CA the servers presented before, trusted until the finish step. */
  retiringCa: Certificate.optional(),
  /**
   * The TLS Secret's ca.crt while it holds more than the presented generation's own CA (during a CA
   * rotation): the hash of its text and the sealed text, re-sealed only when the text changes.
   */
  caFile: z.strictObject({ sha256: Sha256, sealed: Sealed }).optional(),
  /** ACL user → SHA-256 of its newest password (what the ACL file holds) and the sealed password. */
  users: z.record(z.string(), Password),
  /** The sentinels' newest password, sealed (for the auth Secret). */
  sentinelAuth: z.strictObject({ sealed: Sealed }),
  /** A password rotation under way: its last step, and the passwords it replaces, still accepted. */
  passwordRotation: z
    .strictObject({
      step: z.enum(['start', 'switch']),
      previous: z.strictObject({ users: z.record(z.string(), Password), sentinelAuth: z.strictObject({ sealed: Sealed }) }),
    })
    .optional(),
  /** The sealed ACL file and the hash of its text, to re-seal only when it changes. */
  acl: z.strictObject({ sha256: Sha256, sealed: Sealed }),
});

export type SecretsState = z.output<typeof SecretsStateSchema>;
export type TlsGenerationState = z.output<typeof TlsGeneration>;
export type CertificateState = z.output<typeof Certificate>;

export function stateFile(root: string, cluster: string, deployment: string): string {
  // Names of clusters and deployments are DNS labels: joined as text, the path is what path.join
  // makes, without normalizing it again for each of a fleet's 10,000 deployments, several times a synth.
  return `${stateFolder(root)}${path.sep}${cluster}${path.sep}${deployment}.json`;
}

let lastRoot: string | undefined;
let lastFolder = '';

/** path.join(root, 'state'), of the root asked for last. */
function stateFolder(root: string): string {
  if (root !== lastRoot) [lastRoot, lastFolder] = [root, path.join(root, 'state')];
  return lastFolder;
}

/** A state file's content, and its text as it is on disk. */
export interface StoredState {
  state: SecretsState;
  text: string;
}

/**
 * Reads a state file (synchronously: synth reads one per deployment, and they are small). A file that
 * is not one (truncated, edited by hand) is bad input named as `shown` (its repository path).
 */
export function readState(file: string, shown = file): StoredState | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const refuse = (why: string) => new InputErrors([{ file: shown, field: '', message: `not a secrets state file (${why}): restore it from git (git checkout -- ${shown})` }]);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw refuse(`invalid JSON: ${(error as Error).message}`);
  }
  const parsed = SecretsStateSchema.safeParse(json);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw refuse(`${issue?.path.join('.')}: ${issue?.message}`);
  }
  return { state: parsed.data, text };
}

/** The text a state file holds: a state changed when this differs from the file's. */
export function stateText(state: SecretsState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/**
 * The state files under `root` that are no state file of `keep` (a deployment no longer declared, or
 * moved to another cluster): synth removes them, as their sealed values open nowhere else, and git
 * history keeps them. Other files under state/ are not listed. Absolute paths, sorted.
 */
export function orphanStates(root: string, keep: ReadonlySet<string>): string[] {
  const stateDir = path.join(root, 'state');
  const orphans: string[] = [];
  for (const cluster of existsSync(stateDir) ? readdirSync(stateDir, { withFileTypes: true }) : []) {
    if (!cluster.isDirectory()) continue;
    const dir = path.join(stateDir, cluster.name);
    for (const f of readdirSync(dir, { withFileTypes: true })) {
      // A name from a listing is one plain part: joined as text, it is what path.join makes.
      const file = `${dir}${path.sep}${f.name}`;
      if (f.isFile() && f.name.endsWith('.json') && !keep.has(file)) orphans.push(file);
    }
  }
  return orphans.sort();
}
