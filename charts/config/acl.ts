/**
 * The ACL file of a deployment. The default user is switched off, so every connection authenticates
 * as a named user with the least it needs; passwords appear only as SHA-256 hashes.
 */
export interface AclUser {
  name: string;
  /** Hex SHA-256 of the password (the ACL file's `#<hash>` form). */
  passwordSha256: string;
  /** ACL rules, e.g. `~* +@read`. */
  rules: string;
}

export function renderAclFile(users: readonly AclUser[]): string {
  const lines = [
    'user default off resetpass -@all',
    ...users.map((u) => {
      if (!/^[0-9a-f]{64}$/.test(u.passwordSha256)) throw new Error(`ACL user ${u.name}: expected a hex SHA-256 password hash`);
      return `user ${u.name} on #${u.passwordSha256} resetchannels -@all ${u.rules}`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}
