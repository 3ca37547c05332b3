/**
 * The shape of every deployment: its members and their ports, the portals, and where their files
 * are mounted. Pure data: config, charts, secrets, the gate and the drill all read it from here.
 */

/** Where a deployment lives: all that names and host names depend on. */
export interface Placement {
  /** The deployment's name (its file name); app.kubernetes.io/instance. */
  deployment: string;
  namespace: string;
}

export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;
/** Metrics of redis (data members) and of sentinel (every member), for Prometheus. */
export const REDIS_METRICS_PORT = 9121;
export const SENTINEL_METRICS_PORT = 9355;
/**
 * Their port names, which PodMonitors select by. Kubernetes refuses a pod whose port name is longer
 * than 15 characters (an IANA service name), so "sentinel-metrics" (16) made every member pod fail.
 */
export const METRICS_PORT_NAMES = { redis: 'metrics', sentinel: 'sentinel-metric' } as const;
/** The portals' TLS port (what applications connect to) and their stats/metrics port. */
export const PORTAL_PORT = 6379;
export const PORTAL_STATS_PORT = 8404;
/**
 * Names of the TLS ports on containers and Services (the portals' client port is `redis`: it speaks
 * the same protocol), and of the portals' stats port, which their PodMonitor selects by.
 */
export const PORT_NAMES = { redis: 'redis-tls', sentinel: 'sentinel-tls', portalStats: 'stats' } as const;

/** Sentinels that must agree that the primary is down: 2 of 3, so any one member (or zone) may fail. */
export const QUORUM = 2;

/** The three members, one per zone: two hold data, the third only votes (the sentinel tie-breaker). */
export const members = [
  { name: 'data-0', holdsData: true },
  { name: 'data-1', holdsData: true },
  { name: 'tiebreaker', holdsData: false },
] as const;
export type MemberName = (typeof members)[number]['name'];

/** Where the member containers find their files. */
export const memberPaths = {
  configDir: '/etc/redis',
  secretsDir: '/secrets',
  tlsDir: '/tls',
  runDir: '/run/redis',
  dataDir: '/data',
  sentinelStateDir: '/data/sentinel',
} as const;

/** Where the portal containers find theirs. */
export const portalPaths = { configDir: '/etc/haproxy', tlsDir: '/tls' } as const;

/** Keys of the members' ConfigMap besides the member scripts (which start the servers on them), and of the portals'. */
export const memberConfigFiles = { redis: 'redis.conf', sentinel: 'sentinel.conf' } as const;
export const PORTAL_CONFIG_FILE = 'haproxy.cfg';
/** The portals' Lua task (cuts the sessions of a member the sentinel quorum no longer names), next to haproxy.cfg. */
export const PORTAL_LUA_FILE = 'portal.lua';

/** What differs between members reaches the member scripts as environment, set by each member's StatefulSet. */
export const memberEnv = { host: 'MEMBER_HOST', sentinelStateDir: 'SENTINEL_STATE_DIR' } as const;
/** Environment variables haproxy.cfg reads the portals' passwords from (set from the auth Secret). */
export const portalEnv = { checkUserPassword: 'PORTAL_CHECK_PASSWORD', sentinelPassword: 'SENTINEL_PASSWORD' } as const;

/** Names of a deployment's objects that more than one part of the generator refers to. */
export function objectNames(deployment: string) {
  return {
    /** The members' ConfigMap (memberConfigFiles and the member scripts) and PodDisruptionBudget. */
    members: `${deployment}-members`,
    /** A member's StatefulSet and its headless Service. */
    member: (member: MemberName) => `${deployment}-${member}`,
    /** The portals' ConfigMap (PORTAL_CONFIG_FILE), Deployment and PodDisruptionBudget. */
    portal: `${deployment}-portal`,
    /** The ConfigMap with the CA certificate(s) applications trust. */
    ca: `${deployment}-ca`,
    /** The rollout Job (restarts outdated members one at a time), its ConfigMap, ServiceAccount and Role. */
    rollout: `${deployment}-rollout`, // ROLLOUT_NAME_SUFFIX (model/rollout.ts): the gate tells its Role by it
  };
}

/** DNS name of a member's pod through its own headless Service. */
export function memberHost(id: Placement, member: MemberName): string {
  const name = objectNames(id.deployment).member(member);
  return `${name}-0.${name}.${id.namespace}.svc.cluster.local`;
}

/** Every member with its announced host name, in member order. */
export function memberHosts(id: Placement): { name: MemberName; host: string; holdsData: boolean }[] {
  return members.map((m) => ({ name: m.name, host: memberHost(id, m.name), holdsData: m.holdsData }));
}

/** The Service applications use: named after the deployment, e.g. `orders.redis-orders.svc`. */
export function portalServiceName(id: Placement): string {
  return id.deployment;
}
