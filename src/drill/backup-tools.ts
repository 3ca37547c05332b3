import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fromRoot } from '../paths.js';

/**
 * The programs the backup tests and the backup-restore drill run besides redis: rclone (what the
 * backup and restore containers run) and versitygw (an S3-compatible server on loopback). Both are
 * built by .ci/run from their Go modules at the versions pinned in package.json config, into
 * .tools/<name>/<version>/<name>; one on the PATH is used when that is not there.
 */
export type BackupTool = 'rclone' | 'versitygw';

const versionKeys: Record<BackupTool, string> = { rclone: 'rcloneVersion', versitygw: 'versitygwVersion' };

export function pinnedVersion(tool: BackupTool): string {
  const config = (JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { config: Record<string, string> }).config;
  const version = config[versionKeys[tool]];
  if (!version) throw new Error(`package.json config.${versionKeys[tool]} is missing`);
  return version;
}

/** Path of the tool, or undefined when it is neither built nor on the PATH. */
export function backupTool(tool: BackupTool): string | undefined {
  const built = fromRoot('.tools', tool, pinnedVersion(tool), tool);
  if (existsSync(built)) return built;
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** Which backup tools are missing, as a sentence; undefined when both are there. */
export function missingBackupTools(): string | undefined {
  const missing = (['rclone', 'versitygw'] as const).filter((t) => !backupTool(t));
  return missing.length ? `not built: ${missing.join(', ')} (.ci/run builds them into .tools/)` : undefined;
}
