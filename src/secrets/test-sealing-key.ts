import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generate } from 'selfsigned';
import { parseDocument } from 'yaml';
import { InputErrors } from '../config/errors.js';

/**
 * A TEST-ONLY sealing key pair for trying a cluster without a real Sealed Secrets controller: what
 * `kubeseal --fetch-cert` would print (the certificate, kept beside the cluster file and committed like
 * a real one) and the private key that opens what synth seals (in a git-ignored folder, never
 * committed). Marked TEST-ONLY in both file names and in the certificate's subject.
 */

/** The git-ignored folder of test-only private keys. */
export const TEST_KEYS_FOLDER = '.sealing-keys';
/** The Sealed Secrets controller makes 4096-bit keys valid for 10 years; a test pair is made alike. */
const KEY_BITS = 4096;
const VALIDITY_YEARS = 10;

export interface TestSealingKey {
  /** Repository-relative paths. */
  certificate: string;
  privateKey: string;
  /** false: the pair existed and was kept. */
  created: boolean;
}

/**
 * Makes (or keeps) the test-only pair of `cluster` under `root` and points its cluster file's
 * sealedSecrets.certificate at the certificate, keeping the rest of the file (comments included).
 */
export async function makeTestSealingKey(root: string, cluster: string, now = new Date()): Promise<TestSealingKey> {
  const clusterFile = `clusters/${cluster}.yaml`;
  if (!existsSync(path.join(root, clusterFile))) {
    throw new InputErrors([{ file: clusterFile, field: '', message: 'no such cluster file: write it first (README, "Adding a deployment"), then make its test-only sealing key' }]);
  }
  const certificate = `clusters/${cluster}.sealing-cert.TEST-ONLY.pem`;
  const privateKey = `${TEST_KEYS_FOLDER}/${cluster}.sealing-key.TEST-ONLY-DO-NOT-USE.pem`;
  let created = false;
  if (!existsSync(path.join(root, certificate)) || !existsSync(path.join(root, privateKey))) {
    const pair = await generate(
      [
        { name: 'commonName', value: `TEST-ONLY sealing key of ${cluster}: never give it to a real cluster` },
        { name: 'organizationName', value: 'redis-gitops test-sealing-key' },
      ],
      { keySize: KEY_BITS, algorithm: 'sha256', notBeforeDate: now, notAfterDate: new Date(now.getTime() + VALIDITY_YEARS * 365 * 24 * 3600 * 1000) },
    );
    await mkdir(path.join(root, TEST_KEYS_FOLDER), { recursive: true, mode: 0o700 });
    await writeFile(path.join(root, privateKey), pair.private, { mode: 0o600 });
    await writeFile(path.join(root, certificate), pair.cert);
    created = true;
  }
  const document = parseDocument(readFileSync(path.join(root, clusterFile), 'utf8'));
  if (document.getIn(['sealedSecrets', 'certificate']) !== certificate) {
    document.setIn(['sealedSecrets', 'certificate'], certificate);
    await writeFile(path.join(root, clusterFile), document.toString());
  }
  return { certificate, privateKey, created };
}
