import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_SETTINGS, backupFiles } from '../model/backup.js';
import { missingBackupTools } from '../src/drill/backup-tools.js';
import { LocalBackups } from '../src/drill/backup-run.js';
import { LocalS3 } from '../src/drill/s3-server.js';
import { diagnoseOnFailure, launchOrders, waitFor, type LocalCluster } from './support/local-cluster.js';
import { missingPrograms } from './support/programs.js';

const skip = missingPrograms('redis-server', 'redis-sentinel', 'redis-cli', 'openssl') ?? missingBackupTools();

/** A field of INFO's text. */
const infoField = (info: string, field: string) => new RegExp(`^${field}:(.*)$`, 'm').exec(info.replace(/\r/g, ''))?.[1];

// The backup CronJob's and the restore init container's scripts, as the ConfigMap holds them, against
// the example deployment on real redis processes and a real S3 server (versitygw, TLS) on loopback.
// Each test starts from the state the previous one left.
describe.skipIf(skip)(`backup and restore against a real S3 server${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let cluster: LocalCluster;
  let s3: LocalS3;
  let backups: LocalBackups;
  let first: string;
  const keys = Array.from({ length: 500 }, (_, i) => `backup-test:${i}`);
  diagnoseOnFailure(() => cluster);

  beforeAll(async () => {
    ({ cluster } = await launchOrders('127.0.23'));
    const rendered = cluster.rendered.backup!;
    s3 = new LocalS3(cluster.s3.ip, 9000, path.join(cluster.dir, 's3'), cluster.s3, LocalBackups.regionOf(rendered));
    await s3.start();
    // Retention 2 (the example keeps 14), so that a third backup prunes the first.
    const files = { ...rendered.files, [BACKUP_SETTINGS]: rendered.files[BACKUP_SETTINGS]!.replace(/^RETENTION=\d+$/m, 'RETENTION=2') };
    backups = new LocalBackups(cluster, { ...rendered, files }, s3, path.join(cluster.dir, 'backup-pod'));
    s3.createBucket(backups.bucketPath.bucket);
  }, 120_000);
  afterAll(async () => {
    await s3?.stop();
    await cluster?.stop();
  });

  const primary = () => cluster.members[0]!;
  const replica = () => cluster.members[1]!;
  const objectsOf = (id: string) => path.join(s3.dataDir, backups.bucketPath.bucket, backups.bucketPath.prefix, id);

  it('takes the snapshot from the replica: the primary does not fork', async () => {
    expect(await cluster.redis(primary(), 'MSET', ...keys.flatMap((key) => [key, `value of ${key}`]))).toBe('OK');
    expect(await cluster.redis(primary(), 'WAIT', '1', '5000')).toBe('1');
    const forks = async (m: typeof primary) => Number(infoField(await cluster.redis(m(), 'INFO', 'stats'), 'total_forks'));
    const [primaryBefore, replicaBefore] = [await forks(primary), await forks(replica)];
    const { id, snapshot } = await backups.backup();
    first = id;
    expect(snapshot.output).toContain(`snapshot of ${replica().ip}`);
    expect(await forks(primary)).toBe(primaryBefore);
    expect(await forks(replica)).toBeGreaterThan(replicaBefore);
  });

  it('stores only ciphertext: neither the RDB nor a value is readable in the bucket', () => {
    const stored = readdirSync(objectsOf(first)).sort();
    expect(stored).toEqual([`${backupFiles.snapshot}.bin`, `${backupFiles.manifest}.bin`]);
    for (const file of stored) {
      const bytes = readFileSync(path.join(objectsOf(first), file));
      // rclone's crypt format: its magic, then a nonce and NaCl secretbox blocks.
      expect(bytes.subarray(0, 8).toString('latin1')).toBe('RCLONE\0\0');
      expect(bytes.includes('REDIS')).toBe(false);
      expect(bytes.includes('value of backup-test')).toBe(false);
      expect(bytes.includes('"deployment"')).toBe(false);
    }
  });

  it('writes a manifest with the deployment, engine and version, time, size and the snapshot\'s checksum', async () => {
    const remote = `encrypted:${first}`;
    const manifest = JSON.parse(await backups.rclone('cat', `${remote}/${backupFiles.manifest}`));
    const rdb = Buffer.from(await backups.rclone('cat', `${remote}/${backupFiles.snapshot}`), 'latin1');
    expect(manifest).toMatchObject({
      backup: first,
      deployment: 'orders',
      namespace: 'redis-orders',
      engine: 'redis',
      version: infoField(await cluster.redis(replica(), 'INFO', 'server'), 'redis_version'),
      member: replica().ip,
      file: backupFiles.snapshot,
    });
    expect(Date.parse(manifest.time)).toBeGreaterThan(Date.now() - 300_000);
    expect(rdb.subarray(0, 5).toString()).toBe('REDIS');
    expect(manifest.size).toBe(rdb.length);
    expect(manifest.sha256).toBe(createHash('sha256').update(rdb).digest('hex'));
  });

  it('prunes by retention: a third backup deletes the oldest', async () => {
    const second = (await backups.backup()).id;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const third = (await backups.backup()).id;
    const kept = (await backups.rclone('lsf', '--dirs-only', 'encrypted:')).split('\n').filter(Boolean).map((d) => d.replace(/\/$/, ''));
    expect(kept).toEqual([second, third]);
    expect(existsSync(objectsOf(first))).toBe(false);
    first = second;
  });

  it('never takes a backup from the primary: with the replica down the backup fails and uploads nothing', async () => {
    const before = await backups.rclone('lsf', '--dirs-only', 'encrypted:');
    await cluster.kill(replica(), 'redis');
    await expect(backups.backup()).rejects.toThrow(/no data member is a replica with its replication link up/);
    expect(await backups.rclone('lsf', '--dirs-only', 'encrypted:')).toBe(before);
    cluster.start(replica(), 'redis');
    await cluster.settled(60);
  });

  it('restores nothing without the key that encrypted the backup, and leaves the member empty', async () => {
    const member = primary();
    const fresh = path.join(cluster.dir, 'fresh-member');
    await backups.withPassphrase('not the passphrase', () => expect(backups.restore({ ...member, dir: fresh }, first)).rejects.toThrow(/restore.sh failed/));
    expect(existsSync(path.join(fresh, 'data', backupFiles.snapshot))).toBe(false);
  });

  it('restores into empty members: every key is back, and a member holding data is left alone', async () => {
    await Promise.all(cluster.members.flatMap((m) => [cluster.kill(m, 'redis'), cluster.kill(m, 'sentinel')]));
    for (const m of cluster.members) rmSync(path.join(m.dir, 'data'), { recursive: true, force: true });
    const restored = await backups.restore(primary(), first);
    expect(restored.output).toMatch(new RegExp(`restored backup ${first}`));
    // Started as Kubernetes starts a fresh deployment: every member at once, through its entrypoint.
    for (const m of cluster.members) cluster.start(m, 'sentinel');
    for (const m of cluster.dataMembers) cluster.start(m, 'redis');
    const now = await cluster.settled(90);
    expect(now.name).toBe(primary().name);
    expect(await cluster.redis(now, 'DBSIZE')).toBe(String(keys.length));
    const values = (await cluster.redis(now, 'MGET', ...keys)).split('\n');
    expect(values.filter((v, i) => v !== `value of ${keys[i]}`)).toEqual([]);
    await waitFor('the replica to hold every key', 30, async () => (await cluster.redis(replica(), 'DBSIZE')) === String(keys.length));
    const again = await backups.restore(primary(), first);
    expect(again.output).toMatch(/holds data already/);
  });
});
