import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { renderHaproxyConfig, renderPortalLua } from './config/haproxy-cfg.js';
import { requirements, restrictedContainer, restrictedPod } from './pod-security.js';
import { HAPROXY_UID, haproxyImage } from '../model/images.js';
import { CONFIG_CHECKSUM_ANNOTATION, SECRETS_CHECKSUM_ANNOTATION, componentLabels, selectorLabels, type Identity } from '../model/labels.js';
import { aclPasswordKey, authSecretKeys, tlsSecretKeys } from '../model/secrets.js';
import { PORT_NAMES, PORTAL_CONFIG_FILE, PORTAL_LUA_FILE, PORTAL_PORT, PORTAL_STATS_PORT, objectNames, portalEnv, portalPaths, portalServiceName } from '../model/topology.js';
import { PORTAL_CHECK_USER } from '../model/users.js';

export interface PortalsProps {
  /** The deployment's identity: object names and selector labels derive from it. */
  id: Identity;
  /** Type of the Service applications connect to: LoadBalancer to reach it from outside the cluster. */
  serviceType: 'ClusterIP' | 'LoadBalancer';
  /**
   * A LoadBalancer Service's annotations (an internal load balancer's, by cloud) and the client
   * ranges it admits.
   * @default none: a load balancer of the cloud's default kind, open to any address
   */
  loadBalancer?: { annotations: Readonly<Record<string, string>>; sourceRanges: readonly string[] };
  /** Name the sentinels know the primary by. */
  primaryName: string;
  /** The members that hold data, with their announced host names: the servers a portal routes to. */
  dataMembers: readonly { name: string; host: string }[];
  /** Every member's sentinel, with its announced host name: whom a portal asks for the primary. */
  sentinels: readonly { name: string; host: string }[];
  /** The members' redis TLS port. */
  redisPort: number;
  /** The members' sentinel TLS port. */
  sentinelPort: number;
  /** Sentinels that must name a member before a portal routes to it. */
  quorum: number;
  /** Secret with the server certificate bundle and the CA (tlsSecretKeys). */
  tlsSecretName: string;
  /** Secret with the portals' check password and the sentinels' password (authSecretKeys). */
  authSecretName: string;
  /**
   * The deployment's sealed secrets (name → key → sealed value). The portals roll when a value they
   * use changes (the TLS Secret, their check password, the sentinels' password), and only then: a new
   * application user changes the auth Secret's ACL file, which the portals do not read.
   */
  sealedSecrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** The keys of the auth Secret a portal reads, each into its environment variable (portalEnv). */
const authKeys = { checkUserPassword: aclPasswordKey(PORTAL_CHECK_USER), sentinelPassword: authSecretKeys.sentinelAuth } as const;

/**
 * Two HAProxy portals in different zones behind one Service: the TLS endpoint applications use,
 * always routing to the current primary (see renderHaproxyConfig for how). Composes their ConfigMap,
 * Deployment, Service and PodDisruptionBudget.
 */
export class Portals extends Construct {
  /** The rendered haproxy.cfg. */
  readonly haproxyConfig: string;
  /** The rendered Lua task haproxy.cfg loads. */
  readonly haproxyLua: string;

  constructor(scope: Construct, id: string, props: PortalsProps) {
    super(scope, id);
    const name = objectNames(props.id.deployment).portal;
    const selector = selectorLabels(props.id, 'portal');
    const labels = componentLabels('portal');
    this.haproxyConfig = renderHaproxyConfig({
      deployment: props.id.deployment,
      primaryName: props.primaryName,
      dataMembers: props.dataMembers,
      sentinels: props.sentinels,
      redisPort: props.redisPort,
      sentinelPort: props.sentinelPort,
      clientPort: PORTAL_PORT,
      statsPort: PORTAL_STATS_PORT,
      quorum: props.quorum,
      paths: { certBundle: `${portalPaths.tlsDir}/${tlsSecretKeys.bundle}`, caFile: `${portalPaths.tlsDir}/${tlsSecretKeys.ca}` },
      env: portalEnv,
      checkUser: PORTAL_CHECK_USER,
      luaFile: `${portalPaths.configDir}/${PORTAL_LUA_FILE}`,
    });
    this.haproxyLua = renderPortalLua({ deployment: props.id.deployment, dataMembers: props.dataMembers, quorum: props.quorum });

    new k8s.KubeConfigMap(this, 'Config', { metadata: { name, labels }, data: { [PORTAL_CONFIG_FILE]: this.haproxyConfig, [PORTAL_LUA_FILE]: this.haproxyLua } });

    new k8s.KubeDeployment(this, 'Deployment', {
      metadata: { name, labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: selector },
        // One portal at a time: a new one must be ready before an old one goes.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) } },
        template: {
          metadata: {
            labels: selector,
            annotations: {
              [CONFIG_CHECKSUM_ANNOTATION]: sha256(this.haproxyConfig + this.haproxyLua),
              [SECRETS_CHECKSUM_ANNOTATION]: sha256(JSON.stringify(consumedSecrets(props))),
            },
          },
          spec: portalPod(props, selector),
        },
      },
    });

    const loadBalancer = props.serviceType === 'LoadBalancer' ? props.loadBalancer : undefined;
    new k8s.KubeService(this, 'Service', {
      metadata: {
        name: portalServiceName(props.id),
        labels,
        ...(loadBalancer && Object.keys(loadBalancer.annotations).length ? { annotations: { ...loadBalancer.annotations } } : {}),
      },
      spec: {
        type: props.serviceType,
        ...(loadBalancer?.sourceRanges.length ? { loadBalancerSourceRanges: [...loadBalancer.sourceRanges] } : {}),
        selector,
        // Only the TLS client port: the stats port stays for the in-namespace scraper.
        ports: [{ name: PORT_NAMES.redis, port: PORTAL_PORT, targetPort: k8s.IntOrString.fromNumber(PORTAL_PORT) }],
      },
    });

    new k8s.KubePodDisruptionBudget(this, 'Budget', {
      metadata: { name, labels },
      spec: { minAvailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
    });
  }
}

/** The sealed values a portal uses, and only those: what its secrets checksum covers. */
function consumedSecrets(props: PortalsProps) {
  return {
    tls: props.sealedSecrets[props.tlsSecretName],
    auth: [authKeys.checkUserPassword, authKeys.sentinelPassword].map((key) => props.sealedSecrets[props.authSecretName]?.[key]),
  };
}

/** A portal's pod: spread over the zones, never two on one node. */
function portalPod(props: PortalsProps, selector: Record<string, string>): k8s.PodSpec {
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: restrictedPod({ uid: HAPROXY_UID }),
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: selector } },
    ],
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } }],
      },
    },
    containers: [haproxyContainer(props.authSecretName)],
    volumes: [
      { name: 'config', configMap: { name: objectNames(props.id.deployment).portal } },
      { name: 'tls', secret: { secretName: props.tlsSecretName } },
    ],
  };
}

/** HAProxy on the portal's configuration, its passwords from the auth Secret. */
function haproxyContainer(authSecretName: string): k8s.Container {
  const secretEnv = (variable: string, key: string): k8s.EnvVar => ({ name: variable, valueFrom: { secretKeyRef: { name: authSecretName, key } } });
  return {
    name: 'haproxy',
    image: haproxyImage,
    imagePullPolicy: 'IfNotPresent',
    command: ['haproxy', '-W', '-db', '-f', `${portalPaths.configDir}/${PORTAL_CONFIG_FILE}`],
    env: [secretEnv(portalEnv.checkUserPassword, authKeys.checkUserPassword), secretEnv(portalEnv.sentinelPassword, authKeys.sentinelPassword)],
    ports: [
      { name: PORT_NAMES.redis, containerPort: PORTAL_PORT },
      { name: PORT_NAMES.portalStats, containerPort: PORTAL_STATS_PORT },
    ],
    // HAProxy counts a server up until its first check fails: a new portal joins the Service only
    // after its checks (every 1 s, 3 s timeout) have run.
    readinessProbe: statsProbe(2, 5),
    livenessProbe: statsProbe(6),
    resources: requirements({ cpu: '100m', memory: '64Mi' }, { cpu: '1', memory: '256Mi' }),
    securityContext: restrictedContainer,
    volumeMounts: [
      { name: 'config', mountPath: portalPaths.configDir, readOnly: true },
      { name: 'tls', mountPath: portalPaths.tlsDir, readOnly: true },
    ],
  };
}

function statsProbe(failureThreshold: number, initialDelaySeconds = 0): k8s.Probe {
  return {
    httpGet: { scheme: 'HTTPS', path: '/metrics', port: k8s.IntOrString.fromNumber(PORTAL_STATS_PORT) },
    initialDelaySeconds,
    periodSeconds: 5,
    timeoutSeconds: 3,
    failureThreshold,
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
