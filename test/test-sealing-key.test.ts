import { execFileSync } from 'node:child_process';
import { constants, privateDecrypt, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInputs } from '../src/config/load.js';
import { loadSealingKey, sealValue } from '../src/secrets/seal.js';
import { redisGitops } from './support/programs.js';
import { projectRoot, tempRepo, writeInput } from './support/repo.js';

// A newcomer tries a cluster of their own without a real Sealed Secrets controller (README, "Adding a
// deployment"): one command makes a TEST-ONLY key pair, keeps the private key out of git and points
// the cluster file at the certificate.

describe('test-sealing-key', () => {
  it('makes a marked test-only pair that opens what is sealed for it, git-ignores the private key and wires the cluster file', async () => {
    const repo = tempRepo();
    const example = readFileSync(path.join(repo, 'clusters/example.yaml'), 'utf8');
    writeInput(repo, 'clusters/trial.yaml', `# my trial cluster\n${example.replace(/certificate: .*/, 'certificate: clusters/trial.pem   # not made yet')}`);
    writeInput(repo, 'deployments/carts.yaml', 'cluster: trial\nredis: {memory: 1Gi}\npersistence: {size: 10Gi}\n');
    await expect(loadInputs(repo)).rejects.toThrow(/clusters\/trial.pem does not exist/);

    const made = await redisGitops(repo, 'test-sealing-key', 'trial');
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain('test-sealing-key: made a TEST-ONLY key pair for cluster trial');
    const certificate = 'clusters/trial.sealing-cert.TEST-ONLY.pem';
    const privateKey = '.sealing-keys/trial.sealing-key.TEST-ONLY-DO-NOT-USE.pem';
    const cluster = readFileSync(path.join(repo, 'clusters/trial.yaml'), 'utf8');
    expect(cluster).toContain('# my trial cluster');
    expect(cluster).toContain(`certificate: ${certificate}`);
    expect(new X509Certificate(readFileSync(path.join(repo, certificate))).subject).toContain('CN=TEST-ONLY sealing key of trial');
    expect((statSync(path.join(repo, privateKey)).mode & 0o777).toString(8)).toBe('600');
    // git never takes the private key: the project's .gitignore covers the folder.
    expect(() => execFileSync('git', ['-C', projectRoot, 'check-ignore', '-q', privateKey])).not.toThrow();

    const inputs = await loadInputs(repo);
    expect(inputs.clusters.find((c) => c.name === 'trial')!.spec.sealedSecrets.certificate).toBe(certificate);
    // What is sealed for the certificate opens with the private key (RSA-OAEP of the session key).
    const sealed = Buffer.from(sealValue(loadSealingKey(readFileSync(path.join(repo, certificate), 'utf8'), certificate), 'ns', 'name', 'secret'), 'base64');
    const rsa = sealed.subarray(2, 2 + sealed.readUInt16BE(0));
    const key = readFileSync(path.join(repo, privateKey), 'utf8');
    expect(privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from('ns/name') }, rsa)).toHaveLength(32);
    const synth = await redisGitops(repo, 'synth');
    expect(synth.code, synth.stderr).toBe(0);
    expect(readFileSync(path.join(repo, 'dist/trial/carts/sealedsecret-carts-auth.yaml'), 'utf8')).toContain('kind: SealedSecret');

    // Again: the pair is kept, not replaced (what was sealed for it stays openable).
    const again = await redisGitops(repo, 'test-sealing-key', 'trial');
    expect(again.stdout).toContain('kept a TEST-ONLY key pair');
    expect(readFileSync(path.join(repo, privateKey), 'utf8')).toBe(key);
  }, 120_000);

  it('refuses a cluster that has no file yet, naming it', async () => {
    const missing = await redisGitops(tempRepo(), 'test-sealing-key', 'nowhere');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('clusters/nowhere.yaml: no such cluster file: write it first');
  });
});
