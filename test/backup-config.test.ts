import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { looksSealed } from '../src/config/backup-schema.js';
import { InputErrors, loadInputs, type InputError } from '../src/config/load.js';
import { loadSealingKey, sealValue } from '../src/secrets/seal.js';
import { projectRoot, tempRepo, writeInput } from './support/repo.js';

// `backup:` and `restore:` in a deployment file: what is refused, with the file, field and why.
const key = loadSealingKey(readFileSync(path.join(projectRoot, 'clusters/example.sealing-cert.TEST-ONLY.pem'), 'utf8'), 'test');
const sealed = (value: string) => sealValue(key, 'redis-shop', 'shop-backup-credentials', value);

async function errorsOf(repo: string): Promise<InputError[]> {
  try {
    await loadInputs(repo);
  } catch (error) {
    if (error instanceof InputErrors) return error.errors;
    throw error;
  }
  return [];
}

function deployment(backup: string[]): string {
  return ['cluster: example', 'redis: {memory: 1Gi}', 'persistence: {size: 10Gi}', ...backup, ''].join('\n');
}

const credentials = (secretAccessKey = sealed('secret')) => [
  '  credentials:',
  `    accessKeyId: ${sealed('AKID')}`,
  `    secretAccessKey: ${secretAccessKey}`,
  `    encryptionKey: ${sealed('passphrase')}`,
];

describe('backup: in a deployment file', () => {
  it('accepts sealed credentials and an https target, with defaults', async () => {
    const repo = tempRepo();
    writeInput(repo, 'deployments/shop.yaml', deployment(['backup:', '  target: {endpoint: "https://s3.example.com", bucket: backups}', ...credentials()]));
    const { deployments } = await loadInputs(repo);
    const shop = deployments.find((d) => d.name === 'shop')!;
    expect(shop.spec.backup).toMatchObject({ everyHours: 24, retention: 7, target: { region: 'us-east-1', bucket: 'backups' } });
  });

  it('refuses a credential in the clear, an http target, an interval that is no divisor of 24, and a restore without backup', async () => {
    const repo = tempRepo();
    writeInput(
      repo,
      'deployments/shop.yaml',
      deployment(['backup:', '  everyHours: 5', '  target: {endpoint: "http://s3.example.com", bucket: backups}', ...credentials('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')]),
    );
    writeInput(repo, 'deployments/bare.yaml', deployment(['restore: {backup: 20261202T030000Z}']));
    const errors = await errorsOf(repo);
    expect(errors).toEqual([
      expect.objectContaining({ file: 'deployments/bare.yaml', field: 'restore', message: expect.stringMatching(/declare backup: too/) }),
      expect.objectContaining({ file: 'deployments/shop.yaml', field: 'backup.everyHours', message: expect.stringMatching(/expected one of 1, 2, 3, 4, 6, 8, 12, 24/) }),
      expect.objectContaining({ file: 'deployments/shop.yaml', field: 'backup.target.endpoint', message: expect.stringMatching(/https/) }),
      expect.objectContaining({
        file: 'deployments/shop.yaml',
        field: 'backup.credentials.secretAccessKey',
        line: 9,
        message: expect.stringMatching(/not a sealed value, and a credential in the clear must never reach git/),
      }),
    ]);
  });

  it('refuses a user name or password in the endpoint URL: it would reach git in the clear', async () => {
    const repo = tempRepo();
    writeInput(repo, 'deployments/shop.yaml', deployment(['backup:', '  target: {endpoint: "https://AKID:secret@s3.example.com", bucket: backups}', ...credentials()]));
    writeInput(repo, 'deployments/user.yaml', deployment(['backup:', '  target: {endpoint: "https://AKID@s3.example.com", bucket: backups}', ...credentials()]));
    expect((await errorsOf(repo)).map((e) => `${e.file}: ${e.field}: ${e.message}`)).toEqual(
      ['shop', 'user'].map((d) => `deployments/${d}.yaml: backup.target.endpoint: a user name or password in the URL would reach git in the clear: give the credentials in backup.credentials, sealed`),
    );
  });

  it('tells a sealed value (what kubeseal --raw prints) from anything else', () => {
    expect(looksSealed(sealed('x'))).toBe(true);
    expect(looksSealed(sealed(''))).toBe(true);
    expect(looksSealed('AKIAIOSFODNN7EXAMPLE')).toBe(false);
    expect(looksSealed(Buffer.from('plain text that happens to be base64').toString('base64'))).toBe(false);
    // Cut short: the RSA block is there, the AES-GCM part is not.
    expect(looksSealed(Buffer.from(sealed('x'), 'base64').subarray(0, 2 + 512).toString('base64'))).toBe(false);
  });
});
