import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, base64url: safe inside redis.conf, ACL files and URLs without quoting. */
export function newPassword(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
