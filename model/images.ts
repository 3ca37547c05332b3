/**
 * The Redis and Valkey images, per engine and line, are in ./engines.ts with everything else that
 * differs between them; this file has the other images a deployment runs.
 */

/** HAProxy LTS for the portals; the official image runs as the unprivileged user haproxy (uid 99). */
export const haproxyImage = 'docker.io/library/haproxy:2.8.14';
export const HAPROXY_UID = 99;

/** Prometheus exporter for redis and sentinel (oliver006/redis_exporter); the tests build the same version. */
export const exporterImage = 'docker.io/oliver006/redis_exporter:v1.61.0';
/** The exporter image runs as an unprivileged user of its own (uid 59000). */
export const EXPORTER_UID = 59000;

/**
 * rclone (rclone/rclone, official image, Alpine): the backup's upload and the restore, over its S3
 * backend through its crypt remote. Pinned by tag: no digest of this tag is published where this
 * project could check it. The tests build the same version from its Go module (package.json
 * config.rcloneVersion, which a test holds equal to this tag).
 */
export const rcloneImage = 'docker.io/rclone/rclone:1.76.0';
