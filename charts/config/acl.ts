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

/** Users the members themselves need, with the permissions Redis documents for each job. */
export const systemUserRules = {
  // Replicas authenticate to the primary with masteruser/masterauth.
  replication: '+psync +replconf +ping',
  // What a sentinel sends to the instances it monitors (Redis Sentinel documentation, "ACL").
  sentinel:
    'allchannels +multi +slaveof +ping +exec +subscribe +config|rewrite +role +publish +info ' +
    '+client|setname +client|kill +script|kill',
  // The member's own probes and pre-stop hand-over.
  member: '+ping +info +role +client|pause',
  // The portals' health checks: is this member the primary?
  portal: '+info',
  // The metrics exporter: server statistics and settings, never key contents.
  exporter: '+ping +info +config|get +client|list +client|setname +slowlog|get +slowlog|len +latency|latest +latency|histogram +memory|stats +select +dbsize',
} as const;

/**
 * Service roles (IAM-style) as ACL rules on all keys and channels. Reader: read commands; Writer:
 * read and write, without admin or dangerous commands; Manager: everything.
 */
export const serviceRoleRules = {
  Reader: '~* &* +@read +@connection -@dangerous',
  Writer: '~* &* +@read +@write +@connection +@transaction +@pubsub +@scripting -@admin -@dangerous',
  Manager: '~* &* +@all',
} as const;

/** The operators' own user (the deployment's admin password). */
export const ADMIN_USER = 'admin';

/** Every ACL user of a deployment with its rules: the members' own users, the admin, one per service grant. */
export function deploymentAclUsers(serviceGrants: readonly { user: string; role: keyof typeof serviceRoleRules }[]): Omit<AclUser, 'passwordSha256'>[] {
  return [
    ...Object.entries(systemUserRules).map(([name, rules]) => ({ name, rules })),
    { name: ADMIN_USER, rules: serviceRoleRules.Manager },
    ...serviceGrants.map((g) => ({ name: g.user, rules: serviceRoleRules[g.role] })),
  ];
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
