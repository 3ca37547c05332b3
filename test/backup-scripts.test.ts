import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderBackupScripts, type BackupScriptsInput } from '../charts/config/backup-scripts.js';
import { BACKUP_LIBRARY, BACKUP_SETTINGS, backupPaths, backupScriptNames } from '../model/backup.js';
import { missingPrograms, runProgram } from './support/programs.js';
import { projectRoot } from './support/repo.js';

// The backup scripts as shell files: both shells that run them (dash in the Redis image, busybox sh in
// rclone's; bash -n and dash -n stand for them) parse them, shellcheck finds nothing, and what the
// ConfigMap holds is these files, unchanged, plus the settings, every one of which is read.
const folder = path.join(projectRoot, 'charts', 'config', 'backup-scripts');
const files = readdirSync(folder).filter((f) => f.endsWith('.sh')).sort();
const text = (file: string) => readFileSync(path.join(folder, file), 'utf8');

const input: BackupScriptsInput = {
  deployment: 'orders',
  namespace: 'redis-orders',
  engine: 'redis',
  dataMembers: ['data-0.example', 'data-1.example'],
  redisPort: 6379,
  retention: 7,
  paths: backupPaths,
  user: { name: 'backup', passwordKey: 'acl-backup' },
  caKey: 'ca.crt',
  encryptionKeyKey: 'encryption-key',
};

describe('backup scripts', () => {
  it('are the three scripts and the library they source', () => {
    expect(files).toEqual([BACKUP_LIBRARY, ...Object.values(backupScriptNames)].sort());
  });

  for (const shell of ['bash', 'dash']) {
    const skip = missingPrograms(shell);
    it.skipIf(skip)(`parse with \`${shell} -n\`${skip ? ` [skipped: ${skip}]` : ''}`, async () => {
      for (const file of files) expect(await runProgram(shell, ['-n', file], folder), file).toEqual({ code: 0, stdout: '', stderr: '' });
    });
  }

  const noShellcheck = missingPrograms('shellcheck');
  it.skipIf(noShellcheck)(`pass shellcheck as POSIX sh, with no finding at any severity${noShellcheck ? ` [skipped: ${noShellcheck}]` : ''}`, async () => {
    for (const file of files) {
      const outcome = await runProgram('shellcheck', ['--shell=sh', '--severity=style', '--external-sources', '--format=gcc', file], folder);
      expect(outcome.stdout + outcome.stderr, file).toBe('');
    }
  });

  it('reach the ConfigMap unchanged, with every setting read by some script', () => {
    const rendered = renderBackupScripts(input);
    expect(Object.keys(rendered).sort()).toEqual([...files, BACKUP_SETTINGS].sort());
    for (const file of files) expect(rendered[file], file).toBe(text(file));
    const settings = [...rendered[BACKUP_SETTINGS]!.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
    const code = files.map((f) => text(f).replace(/(^|\s)#.*$/gm, '$1')).join('\n');
    for (const name of settings) expect(code, `${name} is never read`).toMatch(new RegExp(`\\$\\{?${name}\\b`));
  });
});

describe('the rclone the tests run', () => {
  it('is the version of the image the manifests run', async () => {
    const { rcloneImage } = await import('../model/images.js');
    const { pinnedVersion } = await import('../src/drill/backup-tools.js');
    expect(rcloneImage).toBe(`docker.io/rclone/rclone:${pinnedVersion('rclone')}`);
  });
});
