import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { BACKUP_SETTINGS, backupPaths, backupScriptNames, backupSecretKeys, RCLONE_REMOTES, restoreEnv } from '../../model/backup.js';
import { aclPasswordKey, tlsSecretKeys } from '../../model/secrets.js';
import { BACKUP_USER } from '../../model/users.js';
import { backupTool } from './backup-tools.js';
import type { EnvVar, LocalCluster, LocalMember, RenderedBackup } from './cluster.js';
import type { LocalS3 } from './s3-server.js';

const run = promisify(execFile);

/** One run of a backup or restore script: how long it took and what it printed. */
export interface ScriptRun {
  seconds: number;
  output: string;
}

/**
 * The backup CronJob's pod and the restore init container, run on this machine: their scripts and
 * settings exactly as the ConfigMap holds them, with the rclone remotes of the containers'
 * environment, against a real S3 server. Only host names (→ loopback addresses), mount paths (→
 * folders), the endpoint (→ the local server) and the Secrets' values (→ the run's own) differ.
 */
export class LocalBackups {
  /** The passphrase the crypt remote encrypts with: the credentials Secret's encryption-key. */
  readonly encryptionKey = randomBytes(24).toString('base64url');
  private readonly folders: Record<string, string>;

  constructor(
    private readonly cluster: LocalCluster,
    private readonly rendered: RenderedBackup,
    private readonly s3: LocalS3,
    readonly dir: string,
  ) {
    this.folders = Object.fromEntries(Object.values(backupPaths).map((p) => [p, path.join(dir, p.slice(1))]));
    for (const folder of Object.values(this.folders)) mkdirSync(folder, { recursive: true });
    const config = this.folders[backupPaths.configDir]!;
    for (const [file, text] of Object.entries(rendered.files)) {
      writeFileSync(path.join(config, file), file === BACKUP_SETTINGS ? cluster.localise(text, this.folders) : text);
    }
    writeFileSync(path.join(this.folders[backupPaths.secretsDir]!, aclPasswordKey(BACKUP_USER)), cluster.passwords[BACKUP_USER]!);
    writeFileSync(path.join(this.folders[backupPaths.tlsDir]!, tlsSecretKeys.ca), readFileSync(cluster.caFile));
    writeFileSync(path.join(this.folders[backupPaths.credentialsDir]!, backupSecretKeys.encryptionKey), `${this.encryptionKey}\n`);
  }

  /** The bucket and prefix the crypt remote writes under (from the upload container's environment). */
  get bucketPath(): { bucket: string; prefix: string } {
    const remote = this.rendered.uploadEnv.find((e) => e.name.endsWith('_REMOTE'))?.value ?? '';
    const [bucket, ...prefix] = remote.replace(/^[^:]*:/, '').split('/');
    return { bucket: bucket!, prefix: prefix.join('/') };
  }

  /** The target's region (from the upload container's environment): the local server must sign for it. */
  static regionOf(rendered: RenderedBackup): string {
    return rendered.uploadEnv.find((e) => e.name.endsWith('_REGION'))?.value ?? 'us-east-1';
  }

  /** The CronJob's pod: the snapshot step (redis-cli), then the upload step (rclone); returns the new backup's id. */
  async backup(): Promise<{ id: string; snapshot: ScriptRun; upload: ScriptRun }> {
    const snapshot = await this.script(backupScriptNames.snapshot, this.env([]));
    const upload = await this.script(backupScriptNames.upload, this.env(this.rendered.uploadEnv));
    const id = /backup (\d{8}T\d{6}Z) uploaded and checked/.exec(upload.output)?.[1];
    if (!id) throw new Error(`the upload step named no backup:\n${upload.output}`);
    return { id, snapshot, upload };
  }

  /** The restore init container of `member`, restoring backup `id` into its data folder. */
  async restore(member: LocalMember, id: string): Promise<ScriptRun> {
    const env = this.rendered.restoreEnv(id).map((e) => (e.name === restoreEnv.dataDir ? { name: e.name, value: path.join(member.dir, 'data') } : e));
    // Where the init container runs: in the member's network namespace, reaching the bucket from there.
    return this.script(backupScriptNames.restore, this.env(env), this.cluster.inNamespace(member.name));
  }

  /** rclone as the upload container has it (the same remotes), for a check of the bucket. */
  async rclone(...args: string[]): Promise<string> {
    const rclone = backupTool('rclone')!;
    const env = this.env(this.rendered.uploadEnv);
    const obscured = await new Promise<string>((resolve, reject) => {
      const child = execFile(rclone, ['obscure', '-'], { env }, (error, stdout) => (error ? reject(error) : resolve(stdout.trim())));
      child.stdin!.end(`${this.encryptionKey}\n`);
    });
    const password = `RCLONE_CONFIG_${RCLONE_REMOTES.encrypted}_PASSWORD`;
    const { stdout } = await run(rclone, ['--config', path.join(this.folders[backupPaths.workDir]!, 'rclone.conf'), ...args], {
      env: { ...env, [password]: obscured },
      encoding: 'latin1',
      maxBuffer: 256 << 20,
    });
    return stdout;
  }

  /** Runs `body` with another passphrase in the credentials folder (a key that is not the backup's), then puts the right one back. */
  async withPassphrase<T>(passphrase: string, body: () => Promise<T>): Promise<T> {
    const file = path.join(this.folders[backupPaths.credentialsDir]!, backupSecretKeys.encryptionKey);
    writeFileSync(file, `${passphrase}\n`);
    try {
      return await body();
    } finally {
      writeFileSync(file, `${this.encryptionKey}\n`);
    }
  }

  cleanUp(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async script(name: string, env: NodeJS.ProcessEnv, prefix: readonly string[] = []): Promise<ScriptRun> {
    const started = Date.now();
    try {
      const [file, ...args] = [...prefix, 'sh', path.join(this.folders[backupPaths.configDir]!, name)];
      const { stdout, stderr } = await run(file!, args, { env, timeout: 600_000, maxBuffer: 16 << 20 });
      return { seconds: (Date.now() - started) / 1000, output: stdout + stderr };
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${name} failed: ${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`);
    }
  }

  /**
   * The container's environment with the local server's endpoint and keys; rclone trusts the
   * cluster's CA (which signed the server's certificate) and is found on the PATH, as in its image.
   */
  private env(vars: readonly EnvVar[]): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      PATH: `${path.dirname(backupTool('rclone') ?? 'rclone')}:${process.env.PATH}`,
      SSL_CERT_FILE: this.cluster.caFile,
      HOME: this.folders[backupPaths.workDir],
    };
    for (const v of vars) {
      const key = v.valueFrom?.secretKeyRef?.key;
      if (key === backupSecretKeys.accessKeyId) env[v.name] = this.s3.accessKeyId;
      else if (key === backupSecretKeys.secretAccessKey) env[v.name] = this.s3.secretAccessKey;
      else if (key) throw new Error(`no local value for Secret key ${key} (${v.name})`);
      else env[v.name] = v.name.endsWith('_ENDPOINT') ? this.s3.endpoint : v.value;
    }
    return env;
  }
}
