import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { REDIS_UID } from './images.js';
import { CONFIG_CHECKSUM_ANNOTATION, selectorLabels, type Identity } from './labels.js';

export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;

/** The three members, one per zone: two hold data, the third only votes (the sentinel tie-breaker). */
export const members = [
  { name: 'data-0', holdsData: true },
  { name: 'data-1', holdsData: true },
  { name: 'tiebreaker', holdsData: false },
] as const;
export type MemberName = (typeof members)[number]['name'];

export interface SentinelClusterProps {
  id: Identity;
  /** zones[i] is where member i runs. */
  zones: readonly string[];
  image: string;
  /** Memory limit of each redis container, a Kubernetes quantity. */
  redisMemory: string;
  storageClassName: string;
  diskSize: string;
  /** Rendered configuration files, mounted from one ConfigMap. */
  redisConf: string;
  sentinelConf: string;
  /** Secret holding tls.crt, tls.key and ca.crt. */
  tlsSecretName: string;
  /** Secret holding the ACL file (users.acl). */
  aclSecretName: string;
}

const mounts = {
  data: '/data',
  config: '/etc/redis',
  tls: '/tls',
  acl: '/secrets',
  sentinelState: '/sentinel',
  tmp: '/tmp',
};

/** DNS name of a member's pod through its headless Service. */
export function memberHost(id: Identity, member: MemberName): string {
  return `${id.deployment}-${member}-0.${id.deployment}-${member}.${id.namespace}.svc.cluster.local`;
}

/**
 * The Sentinel cluster: one StatefulSet per member, each pinned to its own zone, because block
 * storage is zonal: a member's volume must stay where its pod runs. Typed L1 objects rather than
 * cdk8s-plus workloads: these need volumeClaimTemplates and pinned selectors, which cdk8s-plus-28
 * does not offer.
 */
export class SentinelCluster extends Construct {
  constructor(scope: Construct, id: string, props: SentinelClusterProps) {
    super(scope, id);
    const configMapName = `${props.id.deployment}-config`;
    new k8s.KubeConfigMap(this, 'Config', {
      metadata: { name: configMapName, labels: { 'app.kubernetes.io/component': 'configuration' } },
      data: { 'redis.conf': props.redisConf, 'sentinel.conf': props.sentinelConf },
    });
    const checksum = createHash('sha256').update(props.redisConf).update('\0').update(props.sentinelConf).digest('hex');

    members.forEach((member, index) => {
      const zone = props.zones[index];
      if (!zone) throw new Error(`member ${member.name} has no zone: a cluster needs three zones`);
      this.member(props, member.name, member.holdsData, zone, configMapName, checksum);
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
    member: MemberName,
    holdsData: boolean,
    zone: string,
    configMapName: string,
    checksum: string,
  ): void {
    const name = `${props.id.deployment}-${member}`;
    const selector = selectorLabels(props.id, 'member', member);
    const metaLabels = { 'app.kubernetes.io/component': 'member' };

    new k8s.KubeService(this, `${member}-service`, {
      metadata: { name, labels: metaLabels },
      spec: {
        clusterIp: 'None',
        // Sentinels must resolve each other before they are ready, or they never become ready.
        publishNotReadyAddresses: true,
        selector,
        ports: [
          ...(holdsData ? [{ name: 'redis-tls', port: REDIS_PORT, targetPort: k8s.IntOrString.fromNumber(REDIS_PORT) }] : []),
          { name: 'sentinel-tls', port: SENTINEL_PORT, targetPort: k8s.IntOrString.fromNumber(SENTINEL_PORT) },
        ],
      },
    });

    const sentinel: k8s.Container = {
      name: 'sentinel',
      image: props.image,
      imagePullPolicy: 'IfNotPresent',
      // Sentinel rewrites its configuration file at runtime, so it runs from a writable copy.
      command: ['sh', '-c', `cp ${mounts.config}/sentinel.conf ${mounts.sentinelState}/sentinel.conf && exec redis-sentinel ${mounts.sentinelState}/sentinel.conf`],
      ports: [{ name: 'sentinel-tls', containerPort: SENTINEL_PORT }],
      resources: {
        requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('64Mi') },
        limits: { cpu: k8s.Quantity.fromString('250m'), memory: k8s.Quantity.fromString('128Mi') },
      },
      securityContext: restrictedContainer,
      volumeMounts: [
        { name: 'config', mountPath: mounts.config, readOnly: true },
        { name: 'tls', mountPath: mounts.tls, readOnly: true },
        { name: 'sentinel-state', mountPath: mounts.sentinelState },
        { name: 'tmp', mountPath: mounts.tmp },
      ],
    };
    const redis: k8s.Container = {
      name: 'redis',
      image: props.image,
      imagePullPolicy: 'IfNotPresent',
      command: ['redis-server', `${mounts.config}/redis.conf`],
      ports: [{ name: 'redis-tls', containerPort: REDIS_PORT }],
      resources: {
        // requests == limits for memory: a data member must not be the first to be reclaimed.
        requests: { cpu: k8s.Quantity.fromString('250m'), memory: k8s.Quantity.fromString(props.redisMemory) },
        limits: { cpu: k8s.Quantity.fromString('1'), memory: k8s.Quantity.fromString(props.redisMemory) },
      },
      securityContext: restrictedContainer,
      volumeMounts: [
        { name: 'data', mountPath: mounts.data },
        { name: 'config', mountPath: mounts.config, readOnly: true },
        { name: 'tls', mountPath: mounts.tls, readOnly: true },
        { name: 'acl', mountPath: mounts.acl, readOnly: true },
        { name: 'tmp', mountPath: mounts.tmp },
      ],
    };

    new StatefulSetWithTypedClaims(this, member, {
      metadata: { name, labels: metaLabels },
      spec: {
        serviceName: name,
        replicas: 1,
        selector: { matchLabels: selector },
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          metadata: { labels: selector, annotations: { [CONFIG_CHECKSUM_ANNOTATION]: checksum } },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: REDIS_UID,
              runAsGroup: REDIS_UID,
              fsGroup: REDIS_UID,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            affinity: memberAffinity(props.id, zone),
            containers: holdsData ? [redis, sentinel] : [sentinel],
            volumes: [
              { name: 'config', configMap: { name: configMapName } },
              { name: 'tls', secret: { secretName: props.tlsSecretName } },
              ...(holdsData ? [{ name: 'acl', secret: { secretName: props.aclSecretName } }] : []),
              { name: 'sentinel-state', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
            ],
          },
        },
        volumeClaimTemplates: holdsData
          ? [
              {
                metadata: { name: 'data', labels: selector },
                spec: {
                  accessModes: ['ReadWriteOnce'],
                  storageClassName: props.storageClassName,
                  resources: { requests: { storage: k8s.Quantity.fromString(props.diskSize) } },
                },
              },
            ]
          : undefined,
      },
    });
  }
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
