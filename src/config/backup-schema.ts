import { z } from 'zod';
import { BACKUP_ID_PATTERN, backupObjectNames } from '../../model/backup.js';

/**
 * `backup:` and `restore:` of a deployment file (issue 23). Credentials and the encryption key are
 * never written here in the clear: the user seals each with kubeseal for the deployment's namespace
 * and the Secret `<deployment>-backup-credentials`, and only the sealed value reaches git.
 */

/** Hours between two backups: divisors of 24, so the runs fall at the same hours every day. */
export const backupIntervals = [1, 2, 3, 4, 6, 8, 12, 24] as const;

/**
 * Whether a URL carries a credential, which would reach git in the clear where it is written into
 * dist/: a password, or with `userIsOne` any user name (over https a token goes there:
 * https://<token>@host; ssh's `git@` is none). A URL that does not parse has its own error.
 */
export function urlCredentials(url: string, { userIsOne }: { userIsOne: boolean }): boolean {
  if (!URL.canParse(url)) return false;
  const { username, password } = new URL(url);
  return !!password || (userIsOne && !!username);
}

/** Sizes of the RSA ciphertext that starts a sealed value: 2048-, 3072- and 4096-bit sealing keys. */
const RSA_CIPHERTEXT_BYTES = new Set([256, 384, 512]);
/** AES-GCM's tag follows the ciphertext: an empty value still adds these bytes. */
const GCM_TAG_BYTES = 16;

/**
 * Whether `value` has the form of a Sealed Secrets value (what `kubeseal --raw` prints): base64 of
 * uint16be(n) || n bytes of RSA-OAEP || AES-GCM ciphertext and tag. Only the cluster can open it, so
 * this is all that can be checked here; it is enough to refuse a credential pasted in the clear.
 */
export function looksSealed(value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length < 2) return false;
  const rsa = bytes.readUInt16BE(0);
  return RSA_CIPHERTEXT_BYTES.has(rsa) && bytes.length >= 2 + rsa + GCM_TAG_BYTES;
}

const sealed = (what: string) =>
  z
    .string({ error: `expected the ${what}, sealed with kubeseal --raw` })
    .refine(looksSealed, {
      error:
        `expected the ${what} sealed for this deployment (kubeseal --raw --scope strict --namespace <namespace> ` +
        `--name <deployment>-backup-credentials): this value is not a sealed value, and a credential in the clear must never reach git`,
    });

const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'expected an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens' });

const prefix = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9._/]*[a-z0-9])?$/, {
    error: "expected a key prefix such as orders or teams/orders: lower-case letters, digits, '-', '.', '_' and '/', no leading or trailing '/'",
  });

export const BackupSchema = z
  .strictObject({
    everyHours: z
      .literal(backupIntervals, { error: `expected one of ${backupIntervals.join(', ')} (hours between two backups)` })
      .default(24)
      .describe(
        'Hours between two backups (1, 2, 3, 4, 6, 8, 12 or 24). The minute is derived from the namespace, so ' +
          'deployments do not all back up at once. Default 24.',
      ),
    retention: z.number().int().min(1).max(1000).default(7).describe('How many backups to keep; older ones are deleted after each backup. Default 7.'),
    target: z
      .strictObject({
        endpoint: z
          .url({ protocol: /^https$/, error: 'expected an https:// URL of the S3-compatible service (backups never travel in the clear)' })
          .refine((url) => !urlCredentials(url, { userIsOne: true }), {
            error: 'a user name or password in the URL would reach git in the clear: give the credentials in backup.credentials, sealed',
          })
          .describe('S3-compatible endpoint, https only, e.g. https://s3.us-south.cloud-object-storage.appdomain.cloud.'),
        bucket: bucketName.describe('The bucket; it must exist.'),
        prefix: prefix.optional().describe('Key prefix of this deployment\'s backups. Default: the deployment\'s name.'),
        region: z.string().min(1).default('us-east-1').describe('Region the bucket is in (signature v4). Default us-east-1.'),
      })
      .describe('Where backups go: an S3-compatible bucket.'),
    credentials: z
      .strictObject({
        accessKeyId: sealed('access key id'),
        secretAccessKey: sealed('secret access key'),
        encryptionKey: sealed('encryption passphrase'),
      })
      .describe(
        `Sealed values (kubeseal --raw) of the Secret ${backupObjectNames('<deployment>').credentials}: the bucket's HMAC credentials ` +
          'and the passphrase that encrypts every backup before it leaves the pod. Keep the passphrase outside the cluster ' +
          '(a vault): without it no backup can be read, which is the point.',
      ),
  })
  .describe('Encrypted backups to an S3-compatible bucket, taken from the replica.');

export const RestoreSchema = z
  .strictObject({
    backup: z
      .string()
      .regex(BACKUP_ID_PATTERN, { error: 'expected a backup id: the UTC time it was taken, yyyymmddThhmmssZ (its folder in the bucket)' })
      .describe('The backup to start from (its id, the folder under the prefix).'),
    prefix: prefix.optional().describe('Prefix the backup was written under (another deployment\'s). Default: backup.target.prefix.'),
  })
  .describe(
    'Start this deployment from a backup: the designated first primary restores it onto its empty volume before redis starts. ' +
      'Needs backup.target and backup.credentials (the key that encrypted it).',
  );

export type BackupSpec = z.output<typeof BackupSchema>;
export type RestoreSpec = z.output<typeof RestoreSchema>;
