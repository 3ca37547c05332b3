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
 * backend through its crypt remote. Pinned by tag only: no public source of a digest of 1.76.0 was
 * found (searched in December 2026: public manifests, Dockerfiles and Renovate pull requests pin
 * rclone/rclone by digest for 1.75.1 and 1.74.2, none for 1.76.0; Docker Hub cannot be reached from
 * here), and a digest is never written from memory (as for engines.ts). Pin it here, with its source,
 * once one can be read (`docker buildx imagetools inspect docker.io/rclone/rclone:1.76.0`). The tests
 * build the same version from its Go module (package.json config.rcloneVersion, which a test holds
 * equal to this tag).
 */
export const rcloneImage = 'docker.io/rclone/rclone:1.76.0';

/**
 * The rollout Job's runtime: the official Python image (the rollout script uses the standard library
 * only). Pinned by digest, as published pins of python:3.13-slim give it; the image's user `nobody`
 * (65534) runs it.
 */
export const rolloutImage = 'docker.io/library/python:3.13-slim@sha256:9d2e5553305c7c7b0097999bb17187c69b921ccd6bc9d40e4bb5ebe652c00285';
export const ROLLOUT_UID = 65534;
