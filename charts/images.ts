/** Pinned images: a deployment names a Redis major.minor version; the patch release is chosen here. */
export const redisImages: Record<string, { image: string; version: string }> = {
  '7.0': { image: 'docker.io/library/redis:7.0.15', version: '7.0.15' },
  '7.2': { image: 'docker.io/library/redis:7.2.5', version: '7.2.5' },
};

/** uid/gid of the redis user in the official image; pods run as it, never as root. */
export const REDIS_UID = 999;

/** HAProxy LTS for the portals; the official image runs as the unprivileged user haproxy (uid 99). */
export const haproxyImage = 'docker.io/library/haproxy:2.8.14';
export const HAPROXY_UID = 99;

/** Prometheus exporter for redis and sentinel (oliver006/redis_exporter); the tests build the same version. */
export const exporterImage = 'docker.io/oliver006/redis_exporter:v1.61.0';
/** The exporter image runs as an unprivileged user of its own (uid 59000). */
export const EXPORTER_UID = 59000;
