import { Chart, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { parseQuantity } from '../src/config/quantity.js';
import type { Deployment } from '../src/config/load.js';
import { engineVersion, imagePatch, type Engine } from '../model/engines.js';
import { internalLoadBalancers } from '../model/load-balancers.js';
import { componentLabels, objectLabels, type Identity } from '../model/labels.js';
import { AccessBindings } from './access-bindings.js';
import { APPLICATION_SECRET_WAVE, applySyncWaves, SYNC_WAVE_ANNOTATION } from './sync-waves.js';
import { BACKUP_DEADLINE_SECONDS, Backups, restoreInitContainer, RestoreNetworkPolicy, type BackupsProps, type BackupTarget } from './backups.js';
import { backupObjectNames, backupSecretKeys, RESTORING_MEMBER } from '../model/backup.js';
import { memberVolumes } from './member-containers.js';
import { Monitoring } from './monitoring.js';
import { NetworkPolicies } from './network-policies.js';
import { SealedSecret } from './sealed-secret.js';
import { CA_BUNDLE_KEY, secretNames, type DeploymentSecrets } from '../model/secrets.js';
import {
  METRICS_PORT_NAMES,
  PORT_NAMES,
  PORTAL_PORT,
  PORTAL_STATS_PORT,
  QUORUM,
  REDIS_METRICS_PORT,
  REDIS_PORT,
  SENTINEL_METRICS_PORT,
  SENTINEL_PORT,
  memberHosts,
  objectNames,
  portalServiceName,
} from '../model/topology.js';
import { Portals, type PortalsProps } from './portals.js';
import { Rollout } from './rollout.js';
import { SentinelCluster, type SentinelClusterProps } from './sentinel-cluster.js';

export interface RedisDeploymentChartProps {
  /** The deployment as loaded and validated from its file, with its cluster. */
  deployment: Deployment;
  /** Version of this generator: a label on every object. */
  generatorVersion: string;
  /** The deployment's sealed secrets, CA bundle and secrets checksum (src/secrets makes them). */
  secrets: DeploymentSecrets;
}

/** Every namespaced object of one Redis deployment. Composes constructs; decides nothing itself. */
export class RedisDeploymentChart extends Chart {
  constructor(scope: Construct, name: string, props: RedisDeploymentChartProps) {
    const { deployment } = props;
    const { engine, version } = deployment.spec.redis;
    const line = engineVersion(engine, version);
    if (!line) throw new Error(`no image pinned for ${engine} ${version}`);
    const id: Identity = {
      deployment: deployment.name,
      namespace: deployment.namespace,
      redisVersion: imagePatch(line.image),
      generatorVersion: props.generatorVersion,
    };
    super(scope, name, { namespace: id.namespace, labels: objectLabels(id), disableResourceNameHashes: true });

    this.addNamespace(id);
    this.addSecrets(id, props.secrets);
    const backups = backupsProps(deployment, id, line.image);
    new SentinelCluster(this, 'Members', { ...sentinelClusterProps(deployment, id, engine, line.image, props.secrets), ...restoreProps(deployment, id) });
    new Portals(this, 'Portals', portalsProps(deployment, id, props.secrets));
    new Rollout(this, 'Rollout', {
      id,
      members: memberHosts(id),
      primaryName: id.deployment,
      sentinelPort: SENTINEL_PORT,
      tlsSecretName: secretNames(id.deployment).tls,
      authSecretName: secretNames(id.deployment).auth,
    });
    new AccessBindings(this, 'Access', { id, grants: deployment.spec.access.platform });
    new Monitoring(this, 'Monitoring', {
      id,
      memberMetricPorts: [METRICS_PORT_NAMES.redis, METRICS_PORT_NAMES.sentinel],
      portalStatsPort: PORT_NAMES.portalStats,
      caConfigMap: { name: objectNames(id.deployment).ca, key: CA_BUNDLE_KEY },
      portalServerName: `${portalServiceName(id)}.${id.namespace}.svc`,
      sentinels: memberHosts(id).length,
      ...(backups ? { backup: { cronJob: backupObjectNames(id.deployment).backup, maxAgeSeconds: backups.everyHours * 3600 + BACKUP_DEADLINE_SECONDS } } : {}),
    });
    new NetworkPolicies(this, 'NetworkPolicies', {
      id,
      redisPort: REDIS_PORT,
      sentinelPort: SENTINEL_PORT,
      portalPort: PORTAL_PORT,
      portalStatsPort: PORTAL_STATS_PORT,
      metricsPorts: [REDIS_METRICS_PORT, SENTINEL_METRICS_PORT],
      monitoringNamespace: deployment.cluster.spec.monitoring.namespace,
    });
    if (backups) {
      new Backups(this, 'Backups', backups);
      if (deployment.spec.restore) new RestoreNetworkPolicy(this, 'Restore', { id, target: backups.target, member: RESTORING_MEMBER });
    }
    applySyncWaves(this);
  }

  /** The deployment's namespace, which enforces the restricted pod security standard. */
  private addNamespace(id: Identity): void {
    const namespace = new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: id.namespace,
        labels: {
          ...componentLabels('namespace'),
          // The cluster itself then refuses a pod the gate's security rules would flag.
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'v1.28',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/audit': 'restricted',
        },
      },
    });
    // The chart stamps its namespace on every object; a Namespace itself has none.
    namespace.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  }

  /** The sealed secrets, and the CA bundle applications trust as a ConfigMap. */
  private addSecrets(id: Identity, secrets: DeploymentSecrets): void {
    const { tls, auth } = secretNames(id.deployment);
    for (const [secretName, encryptedData] of Object.entries(secrets.sealedSecrets)) {
      // Every Secret but the members' and portals' own holds a user's password for applications.
      const forApplications = secretName !== tls && secretName !== auth;
      new SealedSecret(this, `Sealed-${secretName}`, {
        name: secretName,
        namespace: id.namespace,
        encryptedData,
        labels: { ...objectLabels(id), ...componentLabels('secrets') },
        ...(forApplications ? { annotations: { [SYNC_WAVE_ANNOTATION]: String(APPLICATION_SECRET_WAVE) } } : {}),
      });
    }
    new k8s.KubeConfigMap(this, 'CaBundle', {
      metadata: { name: objectNames(id.deployment).ca, labels: componentLabels('secrets') },
      data: { [CA_BUNDLE_KEY]: secrets.caBundle },
    });
  }
}

/** The members' settings, from the deployment file and its cluster's. */
function sentinelClusterProps(deployment: Deployment, id: Identity, engine: Engine, image: string, secrets: DeploymentSecrets): SentinelClusterProps {
  const { spec } = deployment;
  const { tls, auth } = secretNames(id.deployment);
  return {
    id,
    engine,
    zones: deployment.cluster.spec.zones,
    image,
    redisMemory: spec.redis.memory,
    redisMemoryBytes: parseQuantity(spec.redis.memory),
    evictionPolicy: spec.redis.evictionPolicy,
    persistence: spec.persistence.mode,
    minReplicasToWrite: spec.redis.minReplicasToWrite,
    downAfterMilliseconds: spec.sentinel.downAfterMilliseconds,
    failoverTimeout: spec.sentinel.failoverTimeout,
    storageClassName: deployment.cluster.spec.storage.storageClassName,
    diskSize: spec.persistence.size,
    tlsSecretName: tls,
    authSecretName: auth,
    sealedSecrets: secrets.sealedSecrets,
  };
}

/** The portals' settings: the members they route to, and the secrets they use. */
function portalsProps(deployment: Deployment, id: Identity, secrets: DeploymentSecrets): PortalsProps {
  const hosts = memberHosts(id);
  const { tls, auth } = secretNames(id.deployment);
  return {
    id,
    serviceType: deployment.spec.portal.serviceType,
    ...(deployment.spec.portal.loadBalancer
      ? {
          loadBalancer: {
            annotations: deployment.spec.portal.loadBalancer.internal ? internalLoadBalancers[deployment.cluster.spec.storage.provider].annotations : {},
            sourceRanges: deployment.spec.portal.loadBalancer.sourceRanges,
          },
        }
      : {}),
    primaryName: id.deployment,
    dataMembers: hosts.filter((m) => m.holdsData),
    sentinels: hosts,
    redisPort: REDIS_PORT,
    sentinelPort: SENTINEL_PORT,
    quorum: QUORUM,
    tlsSecretName: tls,
    authSecretName: auth,
    sealedSecrets: secrets.sealedSecrets,
  };
}

/** Where the deployment's backups go: its file's target, the prefix defaulting to its name. */
function backupTarget(deployment: Deployment): BackupTarget | undefined {
  const backup = deployment.spec.backup;
  if (!backup) return undefined;
  return { ...backup.target, prefix: backup.target.prefix ?? deployment.name };
}

/** The backup CronJob's settings, when the deployment declares `backup:`. */
function backupsProps(deployment: Deployment, id: Identity, redisImage: string): BackupsProps | undefined {
  const backup = deployment.spec.backup;
  const target = backupTarget(deployment);
  if (!backup || !target) return undefined;
  const { tls, auth } = secretNames(id.deployment);
  return {
    id,
    target,
    everyHours: backup.everyHours,
    retention: backup.retention,
    sealedCredentials: {
      [backupSecretKeys.accessKeyId]: backup.credentials.accessKeyId,
      [backupSecretKeys.secretAccessKey]: backup.credentials.secretAccessKey,
      [backupSecretKeys.encryptionKey]: backup.credentials.encryptionKey,
    },
    redisImage,
    redisMemory: deployment.spec.redis.memory,
    dataMembers: memberHosts(id).filter((m) => m.holdsData).map((m) => m.host),
    redisPort: REDIS_PORT,
    tlsSecretName: tls,
    authSecretName: auth,
    secretLabels: { ...objectLabels(id), ...componentLabels('secrets') },
  };
}

/** The designated first primary's restore, when the deployment declares `restore:`. */
function restoreProps(deployment: Deployment, id: Identity): Pick<SentinelClusterProps, 'restore'> {
  const { restore } = deployment.spec;
  const target = backupTarget(deployment);
  if (!restore || !target) return {};
  const prefix = restore.prefix ?? target.prefix;
  const { container, volumes } = restoreInitContainer({ id, target, prefix, backup: restore.backup, dataVolume: memberVolumes.data });
  return { restore: { member: RESTORING_MEMBER, from: `${prefix}/${restore.backup}`, initContainer: container, volumes } };
}
