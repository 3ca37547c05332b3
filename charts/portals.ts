import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { renderHaproxyConfig } from './config/haproxy-cfg.js';
import { HAPROXY_UID, haproxyImage } from '../model/images.js';
import { CONFIG_CHECKSUM_ANNOTATION, SECRETS_CHECKSUM_ANNOTATION, selectorLabels, type Identity } from '../model/labels.js';
import { aclPasswordKey, authSecretKeys, tlsSecretKeys } from '../model/secrets.js';
import { PORTAL_PORT, PORTAL_STATS_PORT, portalPaths, portalServiceName } from '../model/topology.js';
import { PORTAL_CHECK_USER } from '../model/users.js';

// Transitional re-exports for the drill, which imports them from here while it is being reworked.
export { PORTAL_PORT, PORTAL_STATS_PORT, portalPaths, portalServiceName } from '../model/topology.js';
export { PORTAL_CHECK_USER } from '../model/users.js';

export interface PortalsProps {
  id: Identity;
  serviceType: 'ClusterIP' | 'LoadBalancer';
  primaryName: string;
  dataMembers: readonly { name: string; host: string }[];
  sentinels: readonly { name: string; host: string }[];
  redisPort: number;
  sentinelPort: number;
  quorum: number;
  tlsSecretName: string;
  authSecretName: string;
  /**
   * The deployment's sealed secrets (name → key → sealed value). The portals roll when a value they
   * use changes (the TLS Secret, their check password, the sentinels' password), and only then: a new
   * application user changes the auth Secret's ACL file, which the portals do not read.
   */
  sealedSecrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

const env = { checkUserPassword: 'PORTAL_CHECK_PASSWORD', sentinelPassword: 'SENTINEL_PASSWORD' } as const;

/**
 * Two HAProxy portals in different zones behind one Service: the TLS endpoint applications use,
 * always routing to the current primary (see renderHaproxyConfig for how).
 */
export class Portals extends Construct {
  readonly haproxyConfig: string;

  constructor(scope: Construct, id: string, props: PortalsProps) {
    super(scope, id);
    const name = `${props.id.deployment}-portal`;
    const selector = selectorLabels(props.id, 'portal');
    const labels = { 'app.kubernetes.io/component': 'portal' };
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
      env,
      checkUser: PORTAL_CHECK_USER,
    });

    new k8s.KubeConfigMap(this, 'Config', { metadata: { name, labels }, data: { 'haproxy.cfg': this.haproxyConfig } });

    const fromAuth = [aclPasswordKey(PORTAL_CHECK_USER), authSecretKeys.sentinelAuth];
    const consumedSecrets = {
      tls: props.sealedSecrets[props.tlsSecretName],
      auth: fromAuth.map((key) => props.sealedSecrets[props.authSecretName]?.[key]),
    };
    const secretEnv = (variable: string, key: string): k8s.EnvVar => ({
      name: variable,
      valueFrom: { secretKeyRef: { name: props.authSecretName, key } },
    });
    const statsProbe = (failureThreshold: number, initialDelaySeconds = 0): k8s.Probe => ({
      httpGet: { scheme: 'HTTPS', path: '/metrics', port: k8s.IntOrString.fromNumber(PORTAL_STATS_PORT) },
      initialDelaySeconds,
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold,
    });

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
              [CONFIG_CHECKSUM_ANNOTATION]: createHash('sha256').update(this.haproxyConfig).digest('hex'),
              [SECRETS_CHECKSUM_ANNOTATION]: createHash('sha256').update(JSON.stringify(consumedSecrets)).digest('hex'),
            },
          },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: HAPROXY_UID,
              runAsGroup: HAPROXY_UID,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            topologySpreadConstraints: [
              { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: selector } },
            ],
            affinity: {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } }],
              },
            },
            containers: [
              {
                name: 'haproxy',
                image: haproxyImage,
                imagePullPolicy: 'IfNotPresent',
                command: ['haproxy', '-W', '-db', '-f', `${portalPaths.configDir}/haproxy.cfg`],
                env: [secretEnv(env.checkUserPassword, fromAuth[0]!), secretEnv(env.sentinelPassword, fromAuth[1]!)],
                ports: [
                  { name: 'redis-tls', containerPort: PORTAL_PORT },
                  { name: 'stats', containerPort: PORTAL_STATS_PORT },
                ],
                // HAProxy counts a server up until its first check fails: a new portal joins the
                // Service only after its checks (every 1 s, 3 s timeout) have run.
                readinessProbe: statsProbe(2, 5),
                livenessProbe: statsProbe(6),
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('64Mi') },
                  limits: { cpu: k8s.Quantity.fromString('1'), memory: k8s.Quantity.fromString('256Mi') },
                },
                securityContext: {
                  runAsNonRoot: true,
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [
                  { name: 'config', mountPath: portalPaths.configDir, readOnly: true },
                  { name: 'tls', mountPath: portalPaths.tlsDir, readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name } },
              { name: 'tls', secret: { secretName: props.tlsSecretName } },
            ],
          },
        },
      },
    });

    new k8s.KubeService(this, 'Service', {
      metadata: { name: portalServiceName(props.id), labels },
      spec: {
        type: props.serviceType,
        selector,
        // Only the TLS client port: the stats port stays for the in-namespace scraper.
        ports: [{ name: 'redis-tls', port: PORTAL_PORT, targetPort: k8s.IntOrString.fromNumber(PORTAL_PORT) }],
      },
    });

    new k8s.KubePodDisruptionBudget(this, 'Budget', {
      metadata: { name, labels },
      spec: { minAvailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
    });
  }
}
