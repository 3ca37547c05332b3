/**
 * The ACL file of a deployment. The default user is switched off, so every connection authenticates
 * as a named user with the least it needs; passwords appear only as SHA-256 hashes. During a password
 * rotation a user has two passwords (Redis accepts any of a user's passwords), the old and the new.
 */
export interface AclUser {
  name: string;
  /** Hex SHA-256 of the password (the ACL file's `#<hash>` form). */
  passwordSha256: string;
  /** ACL rules, e.g. `~* +@read`. */
  rules: string;
  /** During a password rotation: the hash of the other password the user may log in with. */
  previousPasswordSha256?: string;
}

export function renderAclFile(users: readonly AclUser[]): string {
  const lines = [
    'user default off resetpass -@all',
    ...users.map((u) => {
      const hashes = [u.passwordSha256, ...(u.previousPasswordSha256 ? [u.previousPasswordSha256] : [])];
      if (!hashes.every((h) => /^[0-9a-f]{64}$/.test(h))) throw new Error(`ACL user ${u.name}: expected a hex SHA-256 password hash`);
      return `user ${u.name} on ${hashes.map((h) => `#${h}`).join(' ')} resetchannels -@all ${u.rules}`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}
