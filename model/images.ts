/**
 * Pinned images: a deployment names a Redis major.minor version; the patch release is chosen here, and
 * the versions a deployment may name are this table's keys (so a version without an image cannot be
 * offered).
 */
export const redisImages = {
  '7.0': { image: 'docker.io/library/redis:7.0.15', version: '7.0.15' },
  '7.2': { image: 'docker.io/library/redis:7.2.5', version: '7.2.5' },
} as const satisfies Record<string, { image: string; version: string }>;
export type RedisVersion = keyof typeof redisImages;
export const redisVersions = Object.keys(redisImages) as RedisVersion[];

/** uid/gid of the redis user in the official image; pods run as it, never as root. */
export const REDIS_UID = 999;

/** HAProxy LTS for the portals; the official image runs as the unprivileged user haproxy (uid 99). */
export const haproxyImage = 'docker.io/library/haproxy:2.8.14';
export const HAPROXY_UID = 99;

/** Prometheus exporter for redis and sentinel (oliver006/redis_exporter); the tests build the same version. */
export const exporterImage = 'docker.io/oliver006/redis_exporter:v1.61.0';
/** The exporter image runs as an unprivileged user of its own (uid 59000). */
export const EXPORTER_UID = 59000;
