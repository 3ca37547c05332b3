/**
 * The Redis ACL users of a deployment: the service's own (one per job the members, portals and
 * exporter do), the operators' admin, and the service roles that application users are granted.
 * The reserved user names derive from this one list: a name that the ACL renderer defines and the
 * input validation did not reserve (`exporter`) once let a user be defined twice, and redis refused
 * to start.
 */

/** Users the service itself needs, with the permissions Redis documents for each job. */
export const systemUserRules = {
  // Replicas authenticate to the primary with masteruser/masterauth.
  replication: '+psync +replconf +ping',
  // What a sentinel sends to the instances it monitors (Redis Sentinel documentation, "ACL"), and
  // REPLICAOF, the name newer sentinels (Valkey's) may send instead of SLAVEOF.
  sentinel:
    'allchannels +multi +slaveof +replicaof +ping +exec +subscribe +config|rewrite +role +publish +info ' +
    '+client|setname +client|kill +script|kill',
  // The member's own probes, pre-stop hand-over, and the demotion of a primary the sentinels deposed.
  member: '+ping +info +role +client|pause +replicaof',
  // The portals' health checks: is this member the primary? (PING marks the end of the INFO answer.)
  portal: '+info +ping',
  // The metrics exporter: server statistics and settings, never key contents.
  // The backup job: a replica's full resynchronisation into a file (redis-cli --rdb sends SYNC and
  // REPLCONF), and INFO to find the replica and its version.
  backup: '+sync +psync +replconf +ping +info',
  exporter: '+ping +info +config|get +client|list +client|setname +slowlog|get +slowlog|len +latency|latest +latency|histogram +memory|stats +select +dbsize',
} as const;
export type SystemUser = keyof typeof systemUserRules;

/** The portals' health-check user and the metrics exporter's. */
export const PORTAL_CHECK_USER: SystemUser = 'portal';
export const EXPORTER_USER: SystemUser = 'exporter';
/** The backup CronJob's user. */
export const BACKUP_USER: SystemUser = 'backup';

/**
 * Service roles (IAM-style) as ACL rules on all keys and channels. Reader: read commands; Writer:
 * read and write, without admin or dangerous commands; Manager: everything. The denials come last and
 * name every category a role must not reach, not only those its grants overlap today: Redis 8 put its
 * bundled modules' commands (FT.*, JSON.*, TS.*, ...) in @read, @write and @dangerous too, so a command
 * in both @read and @write (or a new @dangerous one) is still denied. test/access.test.ts checks every
 * command each engine's server knows, by category, against each role (ACL DRYRUN).
 */
export const serviceRoleRules = {
  Reader: '~* &* +@read +@connection -@write -@admin -@dangerous',
  Writer: '~* &* +@read +@write +@connection +@transaction +@pubsub +@scripting -@admin -@dangerous',
  Manager: '~* &* +@all',
} as const;
export type ServiceRole = keyof typeof serviceRoleRules;
export const serviceRoles = Object.keys(serviceRoleRules) as ServiceRole[];

/** The operators' own user (the deployment's admin password), and the service role it has. */
export const ADMIN_USER = 'admin';
export const ADMIN_ROLE: ServiceRole = 'Manager';

/** Names an `access.service` user may not take: redis's own default user and every user the service defines. */
export const reservedUserNames: readonly string[] = ['default', ADMIN_USER, ...Object.keys(systemUserRules)];

/** Every ACL user of a deployment with its rules: the members' own users, the admin, one per service grant. */
export function deploymentAclUsers(serviceGrants: readonly { user: string; role: ServiceRole }[]): { name: string; rules: string }[] {
  return [
    ...Object.entries(systemUserRules).map(([name, rules]) => ({ name, rules })),
    { name: ADMIN_USER, rules: serviceRoleRules[ADMIN_ROLE] },
    ...serviceGrants.map((g) => ({ name: g.user, rules: serviceRoleRules[g.role] })),
  ];
}
