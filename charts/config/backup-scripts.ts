import { BACKUP_LIBRARY, BACKUP_SETTINGS, backupFiles, backupScriptNames, RCLONE_REMOTES } from '../../model/backup.js';
import { backupScriptFiles } from './backup-scripts/embedded.js';

/**
 * The shell scripts of the backup CronJob and of the restore init container: shell files in
 * ./backup-scripts/ (POSIX sh, checked with bash -n, dash -n and shellcheck by
 * test/backup-scripts.test.ts), embedded by scripts/embed-member-scripts.mjs; this renders them,
 * unchanged, with the settings file their library sources. Pure, so the tests and the drill run the
 * same files against real redis and a real S3 server.
 */
export interface BackupScriptsInput {
  deployment: string;
  namespace: string;
  /** The engine the manifest names and a restore checks (redis). */
  engine: string;
  /** Announced host names of the data members: the snapshot is taken from the one that is a replica. */
  dataMembers: readonly string[];
  redisPort: number;
  /** How many backups to keep. */
  retention: number;
  paths: { credentialsDir: string; secretsDir: string; tlsDir: string; workDir: string };
  /** The backup ACL user, and the key (file name) of its password in the secrets folder. */
  user: { name: string; passwordKey: string };
  /** Key (file name) of the CA certificate in the TLS folder. */
  caKey: string;
  /** Key (file name) of the encryption passphrase in the credentials folder. */
  encryptionKeyKey: string;
}

/** Redis's default names of the append-only folder and files (redis.conf keeps the defaults). */
const AOF = { dir: 'appendonlydir', name: 'appendonly.aof' } as const;

export function renderBackupScripts(input: BackupScriptsInput): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of [...Object.values(backupScriptNames), BACKUP_LIBRARY] as const) files[name] = backupScriptFiles[name];
  files[BACKUP_SETTINGS] = renderSettings(input);
  return files;
}

/** The settings as shell variable assignments, one a line (see member-scripts.ts for why a file). */
function renderSettings(input: BackupScriptsInput): string {
  const q = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  const settings: [string, string | number][] = [
    ['DEPLOYMENT', input.deployment],
    ['NAMESPACE', input.namespace],
    ['ENGINE', input.engine],
    ['DATA_MEMBERS', input.dataMembers.join(' ')],
    ['REDIS_PORT', input.redisPort],
    ['RETENTION', input.retention],
    ['SECRETS_DIR', input.paths.secretsDir],
    ['TLS_DIR', input.paths.tlsDir],
    ['CREDENTIALS_DIR', input.paths.credentialsDir],
    ['WORK_DIR', input.paths.workDir],
    ['CA_KEY', input.caKey],
    ['BACKUP_USER', input.user.name],
    ['BACKUP_PASSWORD_KEY', input.user.passwordKey],
    ['ENCRYPTION_KEY_KEY', input.encryptionKeyKey],
    ['ENCRYPTED_REMOTE', RCLONE_REMOTES.encrypted],
    ['SNAPSHOT_FILE', backupFiles.snapshot],
    ['MANIFEST_FILE', backupFiles.manifest],
    ['AOF_DIR', AOF.dir],
    ['AOF_NAME', AOF.name],
  ];
  const lines = settings.map(([name, value]) => `${name}=${typeof value === 'number' ? value : q(value)}\n`);
  return `# Settings of the backup scripts, rendered by charts/config/backup-scripts.ts; sourced by ${BACKUP_LIBRARY}.\n${lines.join('')}`;
}
