import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { renderRedisConfig, type RedisConfigInput } from './config/redis-conf.js';
import { renderSentinelConfig } from './config/sentinel-conf.js';
import { renderMemberScripts, scriptNames } from './config/member-scripts.js';
import { EXPORTER_UID, REDIS_UID, exporterImage } from '../model/images.js';
import { CONFIG_CHECKSUM_ANNOTATION, SECRETS_CHECKSUM_ANNOTATION, selectorLabels, type Identity } from '../model/labels.js';
import { aclPasswordKey, authSecretKeys, tlsSecretKeys } from '../model/secrets.js';
import { KEEP_DATA_SYNC_OPTIONS } from './sync-waves.js';
import { EXPORTER_USER } from '../model/users.js';
import { METRICS_PORT_NAMES, memberHosts, memberPaths, members, QUORUM, REDIS_METRICS_PORT, REDIS_PORT, SENTINEL_METRICS_PORT, SENTINEL_PORT, type MemberName } from '../model/topology.js';

// Transitional re-exports for the drill, which imports them from here while it is being reworked.
export { EXPORTER_USER } from '../model/users.js';
export { members, memberHost, memberHosts, memberPaths, METRICS_PORT_NAMES, QUORUM, REDIS_METRICS_PORT, REDIS_PORT, SENTINEL_METRICS_PORT, SENTINEL_PORT, type MemberName } from '../model/topology.js';

export interface SentinelClusterProps {
  id: Identity;
  /** zones[i] is where member i runs. */
  zones: readonly string[];
  image: string;
  /** Memory limit of each redis container, a Kubernetes quantity, and the same in bytes. */
  redisMemory: string;
  redisMemoryBytes: number;
  evictionPolicy: string;
  persistence: RedisConfigInput['persistence'];
  minReplicasToWrite: 0 | 1;
  downAfterMilliseconds: number;
  failoverTimeout: number;
  storageClassName: string;
  diskSize: string;
  /** Secret with tls.crt, tls.key and ca.crt. */
  tlsSecretName: string;
  /** Secret with the ACL file and the member passwords (authSecretKeys). */
  authSecretName: string;
  /** Checksum of the mounted secrets' values: a change rolls the pods. */
  secretsChecksum: string;
}

/** Volume of the tie-breaker, which keeps only sentinel state. */
const SENTINEL_STATE_SIZE = '1Gi';
/** Longest a primary's pre-stop hook waits for the hand-over to its replica. */
const HAND_OVER_SECONDS = 30;

/**
 * The Sentinel cluster: one StatefulSet per member, each pinned to its own zone, because block
 * storage is zonal: a member's volume must stay where its pod runs. Typed L1 objects rather than
 * cdk8s-plus workloads: these need volumeClaimTemplates and pinned selectors, which cdk8s-plus-28
 * does not offer.
 */
export class SentinelCluster extends Construct {
  /** The rendered files of the member ConfigMap, by key. */
  readonly configFiles: Record<string, string>;

  constructor(scope: Construct, id: string, props: SentinelClusterProps) {
    super(scope, id);
    const hosts = memberHosts(props.id).map((m) => m.host);
    const tls = {
      certFile: `${memberPaths.tlsDir}/${tlsSecretKeys.cert}`,
      keyFile: `${memberPaths.tlsDir}/${tlsSecretKeys.key}`,
      caFile: `${memberPaths.tlsDir}/${tlsSecretKeys.ca}`,
    };
    this.configFiles = {
      'redis.conf': renderRedisConfig({
        deployment: props.id.deployment,
        port: REDIS_PORT,
        memoryLimitBytes: props.redisMemoryBytes,
        evictionPolicy: props.evictionPolicy,
        persistence: props.persistence,
        minReplicasToWrite: props.minReplicasToWrite,
        paths: { ...tls, dataDir: memberPaths.dataDir, aclFile: `${memberPaths.secretsDir}/${authSecretKeys.aclFile}` },
      }),
      'sentinel.conf': renderSentinelConfig({
        deployment: props.id.deployment,
        masterName: props.id.deployment,
        initialPrimary: { host: hosts[0]!, port: REDIS_PORT },
        port: SENTINEL_PORT,
        quorum: QUORUM,
        downAfterMs: props.downAfterMilliseconds,
        failoverTimeoutMs: props.failoverTimeout,
        paths: tls,
      }),
      ...renderMemberScripts({
        primaryName: props.id.deployment,
        memberHosts: hosts,
        redisPort: REDIS_PORT,
        sentinelPort: SENTINEL_PORT,
        quorum: QUORUM,
        paths: memberPaths,
        handOverSeconds: HAND_OVER_SECONDS,
      }),
    };
    const configMapName = `${props.id.deployment}-members`;
    new k8s.KubeConfigMap(this, 'Config', {
      metadata: { name: configMapName, labels: { 'app.kubernetes.io/component': 'member' } },
      data: this.configFiles,
    });
    const checksum = createHash('sha256').update(JSON.stringify(this.configFiles)).digest('hex');

    members.forEach((member, index) => {
      const zone = props.zones[index];
      if (!zone) throw new Error(`member ${member.name} has no zone: a cluster needs three zones`);
      this.member(props, { name: member.name, holdsData: member.holdsData, zone, host: hosts[index]!, configMapName, checksum });
    });

    new k8s.KubePodDisruptionBudget(this, 'Budget', {
      metadata: { name: `${props.id.deployment}-members`, labels: { 'app.kubernetes.io/component': 'member' } },
      spec: {
        // Quorum is 2 of 3: a voluntary eviction may take one member, never two.
        maxUnavailable: k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: selectorLabels(props.id, 'member') },
      },
    });
  }

  private member(
    props: SentinelClusterProps,
    m: { name: MemberName; holdsData: boolean; zone: string; host: string; configMapName: string; checksum: string },
  ): void {
    const name = `${props.id.deployment}-${m.name}`;
    const selector = selectorLabels(props.id, 'member', m.name);
    const metaLabels = { 'app.kubernetes.io/component': 'member' };

    new k8s.KubeService(this, `${m.name}-service`, {
      metadata: { name, labels: metaLabels },
      spec: {
        clusterIp: 'None',
        // Sentinels must resolve each other before they are ready, or they never become ready.
        publishNotReadyAddresses: true,
        selector,
        ports: [
          ...(m.holdsData ? [{ name: 'redis-tls', port: REDIS_PORT, targetPort: k8s.IntOrString.fromNumber(REDIS_PORT) }] : []),
          { name: 'sentinel-tls', port: SENTINEL_PORT, targetPort: k8s.IntOrString.fromNumber(SENTINEL_PORT) },
        ],
      },
    });

    const env: k8s.EnvVar[] = [
      { name: 'MEMBER_HOST', value: m.host },
      { name: 'SENTINEL_STATE_DIR', value: memberPaths.sentinelStateDir },
    ];
    const script = (file: string, ...args: string[]) => ['sh', `${memberPaths.configDir}/${file}`, ...args];
    const common = [
      { name: 'data', mountPath: memberPaths.dataDir },
      { name: 'config', mountPath: memberPaths.configDir, readOnly: true },
      { name: 'tls', mountPath: memberPaths.tlsDir, readOnly: true },
      { name: 'auth', mountPath: memberPaths.secretsDir, readOnly: true },
      { name: 'run', mountPath: memberPaths.runDir },
    ];
    const sentinel: k8s.Container = {
      name: 'sentinel',
      image: props.image,
      imagePullPolicy: 'IfNotPresent',
      command: script(scriptNames.startSentinel),
      env,
      ports: [{ name: 'sentinel-tls', containerPort: SENTINEL_PORT }],
      readinessProbe: execProbe(script(scriptNames.probeSentinel), 5, 3),
      livenessProbe: execProbe(script(scriptNames.probeSentinel), 10, 6),
      resources: {
        requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('64Mi') },
        limits: { cpu: k8s.Quantity.fromString('250m'), memory: k8s.Quantity.fromString('128Mi') },
      },
      securityContext: restrictedContainer,
      volumeMounts: common,
    };
    const redis: k8s.Container = {
      name: 'redis',
      image: props.image,
      imagePullPolicy: 'IfNotPresent',
      command: script(scriptNames.startRedis),
      env,
      ports: [{ name: 'redis-tls', containerPort: REDIS_PORT }],
      // Loading a large dataset takes a while: up to 10 minutes before liveness starts counting.
      startupProbe: execProbe(script(scriptNames.probeRedis, 'live'), 5, 120),
      livenessProbe: execProbe(script(scriptNames.probeRedis, 'live'), 10, 6),
      readinessProbe: execProbe(script(scriptNames.probeRedis, 'ready'), 5, 2),
      lifecycle: { preStop: { exec: { command: script(scriptNames.stopRedis) } } },
      resources: {
        // requests == limits for memory: a data member must not be the first to be reclaimed.
        requests: { cpu: k8s.Quantity.fromString('250m'), memory: k8s.Quantity.fromString(props.redisMemory) },
        limits: { cpu: k8s.Quantity.fromString('1'), memory: k8s.Quantity.fromString(props.redisMemory) },
      },
      securityContext: restrictedContainer,
      volumeMounts: common,
    };

    // Exporters reach their server through its TLS port on localhost (in the certificate's names),
    // as ACL user `exporter` for redis and with the sentinels' password for sentinel.
    const exporter = (name: string, portName: string, port: number, metricsPort: number, passwordKey: string, user?: string): k8s.Container => ({
      name,
      image: exporterImage,
      imagePullPolicy: 'IfNotPresent',
      args: [
        `--redis.addr=rediss://localhost:${port}`,
        ...(user ? [`--redis.user=${user}`] : []),
        `--tls-ca-cert-file=${memberPaths.tlsDir}/${tlsSecretKeys.ca}`,
        `--web.listen-address=:${metricsPort}`,
      ],
      env: [{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: props.authSecretName, key: passwordKey } } }],
      ports: [{ name: portName, containerPort: metricsPort }],
      resources: {
        requests: { cpu: k8s.Quantity.fromString('20m'), memory: k8s.Quantity.fromString('32Mi') },
        limits: { cpu: k8s.Quantity.fromString('200m'), memory: k8s.Quantity.fromString('64Mi') },
      },
      securityContext: { ...restrictedContainer, runAsUser: EXPORTER_UID },
      volumeMounts: [{ name: 'tls', mountPath: memberPaths.tlsDir, readOnly: true }],
    });
    const exporters = [
      ...(m.holdsData ? [exporter('exporter', METRICS_PORT_NAMES.redis, REDIS_PORT, REDIS_METRICS_PORT, aclPasswordKey(EXPORTER_USER), EXPORTER_USER)] : []),
      exporter('sentinel-exporter', METRICS_PORT_NAMES.sentinel, SENTINEL_PORT, SENTINEL_METRICS_PORT, authSecretKeys.sentinelAuth),
    ];

    new StatefulSetWithTypedClaims(this, m.name, {
      metadata: { name, labels: metaLabels },
      spec: {
        serviceName: name,
        replicas: 1,
        selector: { matchLabels: selector },
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          metadata: {
            labels: selector,
            annotations: { [CONFIG_CHECKSUM_ANNOTATION]: m.checksum, [SECRETS_CHECKSUM_ANNOTATION]: props.secretsChecksum },
          },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            // The pre-stop hand-over plus redis' own shutdown (a final save).
            terminationGracePeriodSeconds: HAND_OVER_SECONDS + 30,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: REDIS_UID,
              runAsGroup: REDIS_UID,
              fsGroup: REDIS_UID,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            affinity: memberAffinity(props.id, m.zone),
            containers: [...(m.holdsData ? [redis, sentinel] : [sentinel]), ...exporters],
            volumes: [
              { name: 'config', configMap: { name: m.configMapName } },
              { name: 'tls', secret: { secretName: props.tlsSecretName } },
              { name: 'auth', secret: { secretName: props.authSecretName } },
              // Memory-backed: the effective redis.conf holds the replication password.
              { name: 'run', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
            ],
          },
        },
        // Deleting or scaling a member never deletes its volume.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        volumeClaimTemplates: [
          {
            // Copied onto the claims: Argo CD must never prune or delete a data volume.
            metadata: { name: 'data', labels: selector, annotations: KEEP_DATA_SYNC_OPTIONS },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: props.storageClassName,
              resources: { requests: { storage: k8s.Quantity.fromString(m.holdsData ? props.diskSize : SENTINEL_STATE_SIZE) } },
            },
          },
        ],
      },
    });
  }
}

function execProbe(command: string[], periodSeconds: number, failureThreshold: number): k8s.Probe {
  return { exec: { command }, periodSeconds, failureThreshold, timeoutSeconds: 5 };
}

/**
 * Claim templates with apiVersion and kind: without them Argo CD reports the StatefulSet as
 * permanently OutOfSync. The typed props have no field for them, and the L1 class drops a JsonPatch
 * that adds them (it re-filters its JSON after patching), so they are added after rendering.
 */
class StatefulSetWithTypedClaims extends k8s.KubeStatefulSet {
  override toJson(): any {
    const json = super.toJson();
    const templates: object[] | undefined = json.spec?.volumeClaimTemplates;
    if (templates) {
      json.spec.volumeClaimTemplates = templates.map((t) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...t }));
    }
    return json;
  }
}

const restrictedContainer: k8s.SecurityContext = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

/** Pinned to its zone, and never on the node or in the zone of another member of the deployment. */
function memberAffinity(id: Identity, zone: string): k8s.Affinity {
  const otherMembers = { matchLabels: selectorLabels(id, 'member') };
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: [zone] }] }],
      },
    },
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { topologyKey: 'kubernetes.io/hostname', labelSelector: otherMembers },
        { topologyKey: 'topology.kubernetes.io/zone', labelSelector: otherMembers },
      ],
    },
  };
}
