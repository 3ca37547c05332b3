/**
 * Backups of a deployment: the objects, Secret keys, paths and rclone remotes that the backup
 * CronJob, the restore init container, their scripts, the gate and the drill all refer to.
 */

/** Names of the backup objects of a deployment. */
export function backupObjectNames(deployment: string) {
  return {
    /** The CronJob, its ServiceAccount, its NetworkPolicy and the ConfigMap of the backup scripts. */
    backup: `${deployment}-backup`,
    /**
     * The Secret (from a SealedSecret the user seals) with the target's credentials and the key that
     * encrypts backups (backupSecretKeys).
     */
    credentials: `${deployment}-backup-credentials`,
  };
}

/** Keys of the credentials Secret: what the user seals with kubeseal (README, "Backup and restore"). */
export const backupSecretKeys = {
  accessKeyId: 'access-key-id',
  secretAccessKey: 'secret-access-key',
  /** The passphrase of rclone's crypt remote (NaCl secretbox, keys derived with scrypt). */
  encryptionKey: 'encryption-key',
} as const;

/**
 * The rclone remotes, defined by environment variables (RCLONE_CONFIG_<REMOTE>_<OPTION>): `target`
 * is the S3 bucket, `encrypted` a crypt remote over it. The scripts only ever write to `encrypted`:
 * what reaches the bucket is ciphertext. Names in upper case, as the variables spell them.
 */
export const RCLONE_REMOTES = { target: 'TARGET', encrypted: 'ENCRYPTED' } as const;

/** Where the backup and restore containers find their files. */
export const backupPaths = {
  /** The backup ConfigMap: scripts and backup.env. */
  configDir: '/etc/backup',
  /** The credentials Secret (backupSecretKeys). */
  credentialsDir: '/credentials',
  /** The backup user's password, the only key of the auth Secret the backup pod gets. */
  secretsDir: '/secrets',
  tlsDir: '/tls',
  /** Memory-backed scratch folder: the snapshot lives here, in plaintext, only while the pod runs. */
  workDir: '/work',
} as const;

export const backupScriptNames = {
  snapshot: 'backup-snapshot.sh',
  upload: 'backup-upload.sh',
  restore: 'restore.sh',
} as const;
export const BACKUP_LIBRARY = 'backup-lib.sh';
export const BACKUP_SETTINGS = 'backup.env';

/** Files of one backup, under <prefix>/<backup id>/ in the bucket (each encrypted by the crypt remote). */
export const backupFiles = { snapshot: 'dump.rdb', manifest: 'manifest.json' } as const;

/** Environment of the restore init container: which backup it restores, and where to. */
export const restoreEnv = { backup: 'RESTORE_BACKUP', dataDir: 'DATA_DIR' } as const;

/**
 * On the restoring member's pod template: `<prefix>/<backup id>` of the backup it restores. The
 * change plan reads it (a restore declared on a deployment that already runs restores nothing).
 */
export const RESTORE_ANNOTATION = 'redis-gitops.dev/restore-from';

/** The member that restores: the designated first primary, which starts as primary on a fresh deployment. */
export const RESTORING_MEMBER = 'data-0';

/**
 * A backup's id: the UTC time it was taken, yyyymmddThhmmssZ. Ids sort as their times do, which is
 * how retention finds the oldest.
 */
export const BACKUP_ID_PATTERN = /^[0-9]{8}T[0-9]{6}Z$/;
