import { aclPasswordKey, authSecretKeys, tlsSecretKeys } from '../../model/secrets.js';
import type { EngineTraits } from '../../model/engines.js';
import type { SystemUser } from '../../model/users.js';
import { memberScriptFiles } from './member-scripts/embedded.js';

/**
 * The shell scripts a member runs: entrypoints for redis and sentinel, the probes and the pre-stop
 * hand-over. They are shell files in ./member-scripts/ (POSIX sh, checked with bash -n, dash -n and
 * shellcheck by test/member-scripts.test.ts), embedded by scripts/embed-member-scripts.mjs; this
 * renders them, unchanged, with the library they source and the settings file it sources. Pure, so
 * a test runs the same files on real redis-server and redis-sentinel (or valkey-*) processes.
 */
export interface MemberScriptsInput {
  /** Name the sentinels know the primary by. */
  primaryName: string;
  /** Announced host name of every member, in member order; the first is the designated first primary. */
  memberHosts: readonly string[];
  redisPort: number;
  sentinelPort: number;
  quorum: number;
  paths: MemberPaths;
  /** How long the pre-stop hook waits for the sentinels to name a new primary. */
  handOverSeconds: number;
  /** The engine's program names and replica credential directives (model/engines.ts). */
  engine: Pick<EngineTraits, 'programs' | 'replicaAuthDirectives'>;
}

export interface MemberPaths {
  /** Read-only ConfigMap mount with redis.conf, sentinel.conf and these scripts. */
  configDir: string;
  /** Read-only mount of the auth Secret (authSecretKeys). */
  secretsDir: string;
  /** Read-only Secret mount with tls.crt, tls.key and ca.crt. */
  tlsDir: string;
  /** Writable, memory-backed folder for the effective redis.conf (it holds the replication password). */
  runDir: string;
}

export const scriptNames = {
  startRedis: 'start-redis.sh',
  startSentinel: 'start-sentinel.sh',
  probeRedis: 'probe-redis.sh',
  probeSentinel: 'probe-sentinel.sh',
  stopRedis: 'stop-redis.sh',
} as const;

/** What every script sources from its own folder: the shared functions, which source the settings. */
export const MEMBER_LIBRARY = 'member-lib.sh';
export const MEMBER_SETTINGS = 'member.env';

/** The ACL users the scripts act as: the probes and hand-over, a replica, a sentinel. */
const scriptUsers = { member: 'member', replication: 'replication', sentinel: 'sentinel' } as const satisfies Record<string, SystemUser>;

export function renderMemberScripts(input: MemberScriptsInput): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of [...Object.values(scriptNames), MEMBER_LIBRARY] as const) files[name] = memberScriptFiles[name];
  files[MEMBER_SETTINGS] = renderSettings(input);
  return files;
}

/**
 * The scripts' settings as shell variable assignments, one a line: names, ports, mount paths, users
 * and Secret keys, the same for every member. A file in the ConfigMap rather than environment
 * variables of the containers: the ConfigMap's checksum covers it as it covers the scripts, and
 * whatever runs the scripts from a copy of the ConfigMap (the drill, on loopback addresses and
 * temporary folders) gets them with no set-up. What differs between members (its announced host
 * name, the sentinel state folder) is the containers' environment, set by the StatefulSet.
 */
function renderSettings(input: MemberScriptsInput): string {
  const q = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  const settings: [string, string | number][] = [
    ['PRIMARY_NAME', input.primaryName],
    ['SENTINELS', input.memberHosts.join(' ')],
    ['REDIS_PORT', input.redisPort],
    ['SENTINEL_PORT', input.sentinelPort],
    ['QUORUM', input.quorum],
    ['HAND_OVER_SECONDS', input.handOverSeconds],
    // The engine's programs and the names of the replica's credentials (masterauth or primaryauth).
    ['SERVER_PROGRAM', input.engine.programs.server],
    ['SENTINEL_PROGRAM', input.engine.programs.sentinel],
    ['CLI_PROGRAM', input.engine.programs.cli],
    ['REPLICA_USER_DIRECTIVE', input.engine.replicaAuthDirectives.user],
    ['REPLICA_AUTH_DIRECTIVE', input.engine.replicaAuthDirectives.password],
    ['CONFIG_DIR', input.paths.configDir],
    ['SECRETS_DIR', input.paths.secretsDir],
    ['TLS_DIR', input.paths.tlsDir],
    ['RUN_DIR', input.paths.runDir],
    // Keys of the mounted Secrets: file names in SECRETS_DIR and TLS_DIR.
    ['CA_KEY', tlsSecretKeys.ca],
    ['SENTINEL_AUTH_KEY', authSecretKeys.sentinelAuth],
    ['SENTINEL_AUTH_ALSO_KEY', authSecretKeys.sentinelAuthAlso],
    ['MEMBER_USER', scriptUsers.member],
    ['MEMBER_PASSWORD_KEY', aclPasswordKey(scriptUsers.member)],
    ['REPLICATION_USER', scriptUsers.replication],
    ['REPLICATION_PASSWORD_KEY', aclPasswordKey(scriptUsers.replication)],
    ['SENTINEL_USER', scriptUsers.sentinel],
    ['SENTINEL_PASSWORD_KEY', aclPasswordKey(scriptUsers.sentinel)],
  ];
  const lines = settings.map(([name, value]) => `${name}=${typeof value === 'number' ? value : q(value)}\n`);
  return `# Settings of the member scripts, rendered by charts/config/member-scripts.ts; sourced by ${MEMBER_LIBRARY}.\n${lines.join('')}`;
}
