import { k8s } from 'cdk8s-plus-28';
import { scriptNames } from './config/member-scripts.js';
import { requirements, restrictedContainer } from './pod-security.js';
import { EXPORTER_UID, exporterImage } from '../model/images.js';
import { aclPasswordKey, authSecretKeys, tlsSecretKeys } from '../model/secrets.js';
import { METRICS_PORT_NAMES, PORT_NAMES, REDIS_METRICS_PORT, REDIS_PORT, SENTINEL_METRICS_PORT, SENTINEL_PORT, memberEnv, memberPaths } from '../model/topology.js';
import { EXPORTER_USER } from '../model/users.js';

/**
 * The containers of a member pod: redis and sentinel (from the Redis image, started, probed and
 * stopped by the member scripts) and a metrics exporter beside each. Each is built by a function of
 * typed inputs; SentinelCluster picks a member's containers and puts them in its StatefulSet. Images
 * are pinned to a release, so they are pulled only when not present.
 */

/** The volumes of a member pod, by name: the containers mount them, the StatefulSet provides them. */
export const memberVolumes = { data: 'data', config: 'config', tls: 'tls', auth: 'auth', run: 'run' } as const;

/** Requests and limits of each kind of member container. */
export const memberResources = {
  // requests == limits for memory: a data member must not be the first to be reclaimed.
  redis: (memory: string) => requirements({ cpu: '250m', memory }, { cpu: '1', memory }),
  sentinel: requirements({ cpu: '50m', memory: '64Mi' }, { cpu: '250m', memory: '128Mi' }),
  exporter: requirements({ cpu: '20m', memory: '32Mi' }, { cpu: '200m', memory: '64Mi' }),
};

/** What redis and sentinel need to know about the member they run in. */
export interface ServerContainerInput {
  /** The pinned Redis image (it runs both redis-server and redis-sentinel). */
  image: string;
  /** The member's announced host name (memberHost): what the other members and the portals reach it by. */
  host: string;
}

export interface RedisContainerInput extends ServerContainerInput {
  /** Memory request and limit of redis, a Kubernetes quantity (maxmemory leaves headroom below it). */
  memory: string;
}

/** The data server of a data member. */
export function redisContainer(input: RedisContainerInput): k8s.Container {
  return {
    name: 'redis',
    image: input.image,
    imagePullPolicy: 'IfNotPresent',
    command: memberScript(scriptNames.startRedis),
    env: serverEnv(input.host),
    ports: [{ name: PORT_NAMES.redis, containerPort: REDIS_PORT }],
    // Loading a large dataset takes a while: up to 10 minutes before liveness starts counting.
    startupProbe: execProbe(memberScript(scriptNames.probeRedis, 'live'), 5, 120),
    livenessProbe: execProbe(memberScript(scriptNames.probeRedis, 'live'), 10, 6),
    readinessProbe: execProbe(memberScript(scriptNames.probeRedis, 'ready'), 5, 2),
    lifecycle: { preStop: { exec: { command: memberScript(scriptNames.stopRedis) } } },
    resources: memberResources.redis(input.memory),
    securityContext: restrictedContainer,
    volumeMounts: serverMounts(),
  };
}

/** The sentinel of every member (the tie-breaker runs only this and its exporter). */
export function sentinelContainer(input: ServerContainerInput): k8s.Container {
  return {
    name: 'sentinel',
    image: input.image,
    imagePullPolicy: 'IfNotPresent',
    command: memberScript(scriptNames.startSentinel),
    env: serverEnv(input.host),
    ports: [{ name: PORT_NAMES.sentinel, containerPort: SENTINEL_PORT }],
    readinessProbe: execProbe(memberScript(scriptNames.probeSentinel), 5, 3),
    livenessProbe: execProbe(memberScript(scriptNames.probeSentinel), 10, 6),
    resources: memberResources.sentinel,
    securityContext: restrictedContainer,
    volumeMounts: serverMounts(),
  };
}

export interface ExporterContainerInput {
  /** The server whose metrics it exports: the member's redis or its sentinel. */
  server: 'redis' | 'sentinel';
  /** The auth Secret, holding the password the exporter authenticates with (authSecretKeys). */
  authSecretName: string;
}

/**
 * Exporters reach their server through its TLS port on localhost (in the certificate's names), as ACL
 * user `exporter` for redis and with the sentinels' password for sentinel.
 */
const exported = {
  redis: { name: 'exporter', portName: METRICS_PORT_NAMES.redis, port: REDIS_PORT, metricsPort: REDIS_METRICS_PORT, passwordKey: aclPasswordKey(EXPORTER_USER), user: EXPORTER_USER },
  sentinel: { name: 'sentinel-exporter', portName: METRICS_PORT_NAMES.sentinel, port: SENTINEL_PORT, metricsPort: SENTINEL_METRICS_PORT, passwordKey: authSecretKeys.sentinelAuth, user: undefined },
} as const;

/** A Prometheus exporter (redis_exporter) for the member's redis or sentinel. */
export function exporterContainer(input: ExporterContainerInput): k8s.Container {
  const server = exported[input.server];
  return {
    name: server.name,
    image: exporterImage,
    imagePullPolicy: 'IfNotPresent',
    args: [
      `--redis.addr=rediss://localhost:${server.port}`,
      ...(server.user ? [`--redis.user=${server.user}`] : []),
      `--tls-ca-cert-file=${memberPaths.tlsDir}/${tlsSecretKeys.ca}`,
      `--web.listen-address=:${server.metricsPort}`,
    ],
    // The variable redis_exporter reads its password from.
    env: [{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: input.authSecretName, key: server.passwordKey } } }],
    ports: [{ name: server.portName, containerPort: server.metricsPort }],
    resources: memberResources.exporter,
    securityContext: { ...restrictedContainer, runAsUser: EXPORTER_UID },
    volumeMounts: [{ name: memberVolumes.tls, mountPath: memberPaths.tlsDir, readOnly: true }],
  };
}

/** The pod volumes behind memberVolumes, but for `data`, which is each member's claim. */
export function memberPodVolumes(input: {
  /** The members' ConfigMap: configuration files and member scripts. */
  configMapName: string;
  /** Secret with tls.crt, tls.key and ca.crt. */
  tlsSecretName: string;
  /** Secret with the ACL file and the member passwords. */
  authSecretName: string;
}): k8s.Volume[] {
  return [
    { name: memberVolumes.config, configMap: { name: input.configMapName } },
    { name: memberVolumes.tls, secret: { secretName: input.tlsSecretName } },
    { name: memberVolumes.auth, secret: { secretName: input.authSecretName } },
    // Memory-backed: the effective redis.conf holds the replication password.
    { name: memberVolumes.run, emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
  ];
}

/** What differs between members reaches the member scripts as environment (the rest is in member.env). */
function serverEnv(host: string): k8s.EnvVar[] {
  return [
    { name: memberEnv.host, value: host },
    { name: memberEnv.sentinelStateDir, value: memberPaths.sentinelStateDir },
  ];
}

/** redis and sentinel mount every volume of the pod. */
function serverMounts(): k8s.VolumeMount[] {
  return [
    { name: memberVolumes.data, mountPath: memberPaths.dataDir },
    { name: memberVolumes.config, mountPath: memberPaths.configDir, readOnly: true },
    { name: memberVolumes.tls, mountPath: memberPaths.tlsDir, readOnly: true },
    { name: memberVolumes.auth, mountPath: memberPaths.secretsDir, readOnly: true },
    { name: memberVolumes.run, mountPath: memberPaths.runDir },
  ];
}

/** The command that runs one of the member scripts from the mounted ConfigMap. */
function memberScript(file: string, ...args: string[]): string[] {
  return ['sh', `${memberPaths.configDir}/${file}`, ...args];
}

function execProbe(command: string[], periodSeconds: number, failureThreshold: number): k8s.Probe {
  return { exec: { command }, periodSeconds, failureThreshold, timeoutSeconds: 5 };
}

