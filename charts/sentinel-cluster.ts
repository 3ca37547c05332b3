import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { renderRedisConfig, type RedisConfigInput } from './config/redis-conf.js';
import { renderSentinelConfig } from './config/sentinel-conf.js';
import { renderMemberScripts, scriptNames } from './config/member-scripts.js';
import { exporterContainer, memberPodVolumes, memberVolumes, redisContainer, sentinelContainer } from './member-containers.js';
import { restrictedPod } from './pod-security.js';
import { KEEP_DATA_SYNC_OPTIONS } from './sync-waves.js';
import { statefulSetClaimName } from '../model/kubernetes-updates.js';
import { engineTraits, type Engine } from '../model/engines.js';
import { RESTORE_ANNOTATION } from '../model/backup.js';
import { CONFIG_CHECKSUM_ANNOTATION, SECRETS_CHECKSUM_ANNOTATION, componentLabels, selectorLabels, type Identity } from '../model/labels.js';
import { authSecretKeys, tlsSecretKeys } from '../model/secrets.js';
import { PORT_NAMES, memberConfigFiles, memberHosts, memberPaths, objectNames, QUORUM, REDIS_PORT, SENTINEL_PORT, type MemberName } from '../model/topology.js';

export interface SentinelClusterProps {
  /** The deployment's identity: object names, host names and selector labels derive from it. */
  id: Identity;
  /** zones[i] is where member i runs (topology.kubernetes.io/zone); one zone per member, three in all. */
  zones: readonly string[];
  /** The server engine (program names, configuration names, the image's uid). */
  engine: Engine;
  /** The pinned Redis or Valkey image, for both the server and sentinel. */
  image: string;
  /** Memory request and limit of each redis container, a Kubernetes quantity. */
  redisMemory: string;
  /** The same in bytes: maxmemory is set below it. */
  redisMemoryBytes: number;
  /** redis' maxmemory-policy (noeviction, allkeys-lru, ...). */
  evictionPolicy: string;
  /** How redis persists its data: aof (append-only file), rdb (snapshots) or aof+rdb (both). */
  persistence: RedisConfigInput['persistence'];
  /** min-replicas-to-write: 1 refuses writes while no replica is connected (no lost writes, but no writes with a data member down). */
  minReplicasToWrite: 0 | 1;
  /** Time a member must be unreachable before the sentinels consider it down, in milliseconds. */
  downAfterMilliseconds: number;
  /** Sentinel's failover-timeout, in milliseconds. */
  failoverTimeout: number;
  /** StorageClass of the members' volumes (the cluster's EncryptedStorage). */
  storageClassName: string;
  /** Volume size of each data member, a Kubernetes quantity (the tie-breaker's is SENTINEL_STATE_SIZE). */
  diskSize: string;
  /** Secret with tls.crt, tls.key and ca.crt (tlsSecretKeys). */
  tlsSecretName: string;
  /** Secret with the ACL file and the member passwords (authSecretKeys). */
  authSecretName: string;
  /** Secret name → key → sealed value: each member's checksum covers the values it uses. */
  sealedSecrets: Record<string, Record<string, string>>;
  /**
   * A declared restore: the member that restores (the designated first primary), its init container
   * and volumes, and the backup it names (RESTORE_ANNOTATION on its pod template).
   * @default no restore
   */
  restore?: { member: MemberName; from: string; initContainer: k8s.Container; volumes: k8s.Volume[] };
}

/** Volume of the tie-breaker, which keeps only sentinel state. */
const SENTINEL_STATE_SIZE = '1Gi';
/** Longest a primary's pre-stop hook waits for the hand-over to its replica. */
const HAND_OVER_SECONDS = 30;

/** One member as the cluster places it. */
interface PlacedMember {
  name: MemberName;
  holdsData: boolean;
  /** Its announced host name (memberHost). */
  host: string;
  zone: string;
}

/**
 * The Sentinel cluster: one StatefulSet per member, each pinned to its own zone, because block
 * storage is zonal: a member's volume must stay where its pod runs. Typed L1 objects rather than
 * cdk8s-plus workloads: these need volumeClaimTemplates and pinned selectors, which cdk8s-plus-28
 * does not offer. Composes the member ConfigMap (memberFiles), a headless Service and a StatefulSet
 * per member (whose containers come from member-containers.ts), and a PodDisruptionBudget.
 */
export class SentinelCluster extends Construct {
  /** The rendered files of the member ConfigMap, by key. */
  readonly configFiles: Record<string, string>;

  constructor(scope: Construct, id: string, props: SentinelClusterProps) {
    super(scope, id);
    const hosts = memberHosts(props.id);
    this.configFiles = memberFiles(props, hosts.map((m) => m.host));
    new k8s.KubeConfigMap(this, 'Config', {
      metadata: { name: objectNames(props.id.deployment).members, labels: componentLabels('member') },
      data: this.configFiles,
    });

    // The data members' checksums are the same: hashed once (the files hold the member scripts, ~10% of a render's hashing).
    const checksums = new Map<boolean, Record<string, string>>();
    hosts.forEach((member, index) => {
      const zone = props.zones[index];
      if (!zone) throw new Error(`member ${member.name} has no zone: a cluster needs three zones`);
      const placed = { ...member, zone };
      this.memberService(props, placed);
      if (!checksums.has(member.holdsData)) checksums.set(member.holdsData, memberChecksums(props, this.configFiles, member.holdsData));
      this.memberStatefulSet(props, placed, checksums.get(member.holdsData)!);
    });

    new k8s.KubePodDisruptionBudget(this, 'Budget', {
      metadata: { name: objectNames(props.id.deployment).members, labels: componentLabels('member') },
      spec: {
        // Quorum is 2 of 3: a voluntary eviction may take one member, never two.
        maxUnavailable: k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: selectorLabels(props.id, 'member') },
      },
    });
  }

  /** The member's headless Service, which gives its pod the stable host name it announces. */
  private memberService(props: SentinelClusterProps, m: PlacedMember): void {
    new k8s.KubeService(this, `${m.name}-service`, {
      metadata: { name: objectNames(props.id.deployment).member(m.name), labels: componentLabels('member') },
      spec: {
        clusterIp: 'None',
        // Sentinels must resolve each other before they are ready, or they never become ready.
        publishNotReadyAddresses: true,
        selector: selectorLabels(props.id, 'member', m.name),
        ports: [
          ...(m.holdsData ? [{ name: PORT_NAMES.redis, port: REDIS_PORT, targetPort: k8s.IntOrString.fromNumber(REDIS_PORT) }] : []),
          { name: PORT_NAMES.sentinel, port: SENTINEL_PORT, targetPort: k8s.IntOrString.fromNumber(SENTINEL_PORT) },
        ],
      },
    });
  }

  /** The member's StatefulSet of one pod, with its volume as a claim template, and that claim. */
  private memberStatefulSet(props: SentinelClusterProps, m: PlacedMember, checksums: Record<string, string>): void {
    const name = objectNames(props.id.deployment).member(m.name);
    const selector = selectorLabels(props.id, 'member', m.name);
    const claim = {
      // Copied onto the claims: Argo CD must never prune or delete a data volume.
      metadata: { name: memberVolumes.data, labels: selector, annotations: KEEP_DATA_SYNC_OPTIONS },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: props.storageClassName,
        resources: { requests: { storage: k8s.Quantity.fromString(m.holdsData ? props.diskSize : SENTINEL_STATE_SIZE) } },
      },
    };
    new StatefulSetWithTypedClaims(this, m.name, {
      metadata: { name, labels: componentLabels('member') },
      spec: {
        serviceName: name,
        replicas: 1,
        selector: { matchLabels: selector },
        podManagementPolicy: 'Parallel',
        // A new template restarts nothing by itself: the rollout Job (rollout.ts) restarts the
        // members one at a time, the primary last.
        updateStrategy: { type: 'OnDelete' },
        template: {
          metadata: {
            labels: selector,
            annotations: { ...checksums, ...(props.restore?.member === m.name ? { [RESTORE_ANNOTATION]: props.restore.from } : {}) },
          },
          spec: memberPod(props, m),
        },
        // Deleting or scaling a member never deletes its volume.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        // Argo CD leaves the live templates as they are (ignoreDifferences + RespectIgnoreDifferences,
        // charts/argocd.ts): Kubernetes refuses any change to them. A new member is made at this size.
        volumeClaimTemplates: [claim],
      },
    });
    // The claim the StatefulSet controller makes from the template, declared as well: a claim's
    // size may grow (the class allows expansion), so a bigger persistence.size expands it online.
    new k8s.KubePersistentVolumeClaim(this, `${m.name}-claim`, {
      metadata: { ...claim.metadata, name: statefulSetClaimName(memberVolumes.data, name, 0) },
      spec: claim.spec,
    });
  }
}

/** The files only a data member's redis reads: a change of them leaves the tie-breaker running. */
const redisOnlyFiles: readonly string[] = [memberConfigFiles.redis, scriptNames.startRedis, scriptNames.probeRedis, scriptNames.stopRedis];

/**
 * A member's pod-template checksums of what it reads: a member restarts only when one of them
 * changes. The tie-breaker runs only sentinel: redis' configuration and scripts, the ACL file and the
 * users' passwords are not its concern.
 */
function memberChecksums(props: SentinelClusterProps, configFiles: Record<string, string>, holdsData: boolean): Record<string, string> {
  const config = holdsData ? configFiles : Object.fromEntries(Object.entries(configFiles).filter(([file]) => !redisOnlyFiles.includes(file)));
  const auth = props.sealedSecrets[props.authSecretName] ?? {};
  const secrets = {
    tls: props.sealedSecrets[props.tlsSecretName],
    auth: holdsData ? auth : { [authSecretKeys.sentinelAuth]: auth[authSecretKeys.sentinelAuth] },
  };
  return { [CONFIG_CHECKSUM_ANNOTATION]: sha256(JSON.stringify(config)), [SECRETS_CHECKSUM_ANNOTATION]: sha256(JSON.stringify(secrets)) };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The files of the member ConfigMap, the same for every member: redis.conf, sentinel.conf, and the
 * member scripts with their settings. Key order matters: the pods' config checksum hashes them as listed.
 */
function memberFiles(props: SentinelClusterProps, hosts: readonly string[]): Record<string, string> {
  const tls = {
    certFile: `${memberPaths.tlsDir}/${tlsSecretKeys.cert}`,
    keyFile: `${memberPaths.tlsDir}/${tlsSecretKeys.key}`,
    caFile: `${memberPaths.tlsDir}/${tlsSecretKeys.ca}`,
  };
  return {
    [memberConfigFiles.redis]: renderRedisConfig({
      deployment: props.id.deployment,
      port: REDIS_PORT,
      memoryLimitBytes: props.redisMemoryBytes,
      evictionPolicy: props.evictionPolicy,
      persistence: props.persistence,
      minReplicasToWrite: props.minReplicasToWrite,
      paths: { ...tls, dataDir: memberPaths.dataDir, aclFile: `${memberPaths.secretsDir}/${authSecretKeys.aclFile}` },
    }),
    [memberConfigFiles.sentinel]: renderSentinelConfig({
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
      engine: engineTraits[props.engine],
    }),
  };
}

/** A member's pod: a data member runs redis, sentinel and their exporters; the tie-breaker only sentinel's. */
function memberPod(props: SentinelClusterProps, m: PlacedMember): k8s.PodSpec {
  const server = { image: props.image, host: m.host };
  const auth = { authSecretName: props.authSecretName };
  const restore = props.restore?.member === m.name ? props.restore : undefined;
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    // The pre-stop hand-over plus redis' own shutdown (a final save).
    terminationGracePeriodSeconds: HAND_OVER_SECONDS + 30,
    securityContext: restrictedPod({ uid: engineTraits[props.engine].uid, ownVolumes: true }),
    affinity: memberAffinity(props.id, m.zone),
    ...(restore ? { initContainers: [restore.initContainer] } : {}),
    containers: m.holdsData
      ? [redisContainer({ ...server, memory: props.redisMemory }), sentinelContainer(server), exporterContainer({ server: 'redis', ...auth }), exporterContainer({ server: 'sentinel', ...auth })]
      : [sentinelContainer(server), exporterContainer({ server: 'sentinel', ...auth })],
    volumes: [
      ...memberPodVolumes({ configMapName: objectNames(props.id.deployment).members, tlsSecretName: props.tlsSecretName, authSecretName: props.authSecretName }),
      ...(restore?.volumes ?? []),
    ],
  };
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
