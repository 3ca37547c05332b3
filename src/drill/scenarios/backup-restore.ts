import type { LocalMember } from '../cluster.js';
import type { ScenarioRun } from '../scenario-run.js';
import { defineScenario, noFailedWrites } from './scenario.js';

/** Keys and value size of the dataset the backup carries, besides the drill's confirmed writes. */
const DATASET = { keys: 50_000, valueBytes: 1024 } as const;

export const backupRestore = defineScenario({
  id: 'backup-restore',
  description: 'Back up, destroy every member and its data, restore into a fresh deployment',
  injects: 'a backup by the CronJob\'s scripts to a local S3 server; then SIGKILL every member and delete every volume',
  asserts: 'every write confirmed before the backup is back; the bucket holds only ciphertext; a wrong key restores nothing',
  bound: noFailedWrites,
  needsBackup: true,
  async perform(run) {
    const { cluster } = run;
    const path = await import('node:path');
    const { rmSync, readdirSync, readFileSync } = await import('node:fs');
    const { backups, s3 } = await run.startBackups();
    try {
      const primary = await cluster.settled(30);
      run.progress(`writing a dataset of ${DATASET.keys} keys of ${DATASET.valueBytes} bytes`);
      await seed(run, primary);
      // Writes through the portals, confirmed with WAIT 1, join the drill's ledger of confirmed writes.
      await run.underWriteLoad('drill:backup-restore:before', async () => undefined);

      run.progress('backing up (snapshot from the replica, encrypted upload)');
      const { id, snapshot, upload } = await backups.backup();
      const size = Number(/uploading backup \S+ \((\d+) bytes/.exec(upload.output)?.[1]);
      run.note(
        `backup ${id} of ${DATASET.keys + run.load.replicated.length} keys (${(size / 2 ** 20).toFixed(1)} MiB RDB): ` +
          `snapshot ${snapshot.seconds.toFixed(1)} s, encrypted upload and check ${upload.seconds.toFixed(1)} s`,
      );

      // The bucket: rclone crypt objects, no RDB, no value in the clear.
      const folder = path.join(s3.dataDir, backups.bucketPath.bucket, backups.bucketPath.prefix, id);
      for (const file of readdirSync(folder)) {
        const bytes = readFileSync(path.join(folder, file));
        run.check(bytes.subarray(0, 8).toString('latin1') === 'RCLONE\0\0', `${file} in the bucket is not rclone crypt ciphertext`);
        run.check(!bytes.includes('REDIS') && !bytes.includes('dataset-value'), `${file} in the bucket shows plaintext`);
      }

      run.progress('destroying every member and its data');
      await Promise.all(cluster.members.flatMap((m) => [cluster.kill(m, 'redis'), cluster.kill(m, 'sentinel')]));
      for (const m of cluster.members) rmSync(path.join(m.dir, 'data'), { recursive: true, force: true });

      const designated = cluster.members[0]!;
      const withoutKey = await backups.withPassphrase('a passphrase that is not the one', () =>
        backups.restore(designated, id).then(
          () => 'restored',
          (error: Error) => error.message,
        ),
      );
      run.check(withoutKey !== 'restored', 'a restore with the wrong passphrase succeeded');
      run.note('without the passphrase the backup cannot be read: the restore fails and the member stays empty');

      run.progress(`restoring backup ${id} into a fresh deployment`);
      const started = Date.now();
      const restore = await backups.restore(designated, id);
      const downloaded = (Date.now() - started) / 1000;
      for (const m of cluster.members) cluster.start(m, 'sentinel');
      for (const m of cluster.dataMembers) cluster.start(m, 'redis');
      const restored = await cluster.settled(120);
      const serving = (Date.now() - started) / 1000;
      run.check(restored === designated, `the restored member ${designated.name} is not the primary (${restored.name} is)`);
      run.check(/restored backup/.test(restore.output), `the restore step did not restore: ${restore.output.trim()}`);
      const dbsize = Number(await cluster.redis(restored, 'DBSIZE'));
      run.check(dbsize >= DATASET.keys, `${dbsize} keys after the restore, the dataset alone had ${DATASET.keys}`);
      run.note(`restore: download, decrypt and check ${downloaded.toFixed(1)} s; primary and replica serving ${serving.toFixed(1)} s after the restore began (${dbsize} keys)`);
      // Every confirmed write of the drill is checked on the primary; then the service takes writes again.
      await run.underWriteLoad('drill:backup-restore:after', async () => undefined);
    } finally {
      await s3.stop();
      backups.cleanUp();
    }
  },
});

/** DATASET.keys keys straight to the primary, pipelined; a replica confirms them. */
async function seed(run: ScenarioRun, primary: LocalMember): Promise<void> {
  const client = await run.connectToMember(primary, { commandTimeout: 30_000 });
  try {
    const { randomBytes } = await import('node:crypto');
    // Random values: what RDB's compression cannot shrink, so the figures are for DATASET's full size.
    const value = () => `dataset-value:${randomBytes(DATASET.valueBytes).toString('base64').slice(0, DATASET.valueBytes - 14)}`;
    for (let start = 0; start < DATASET.keys; start += 1000) {
      const pipeline = client.pipeline();
      for (let i = start; i < Math.min(start + 1000, DATASET.keys); i++) pipeline.set(`drill:dataset:${i}`, value());
      await pipeline.exec();
    }
    await client.wait(1, 10_000);
  } finally {
    client.disconnect();
  }
}
