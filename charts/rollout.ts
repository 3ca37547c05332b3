import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { rolloutFiles } from './config/rollout/embedded.js';
import { requirements, restrictedContainer, restrictedPod } from './pod-security.js';
import { ROLLOUT_WAVE, SYNC_WAVE_ANNOTATION } from './sync-waves.js';
import { ROLLOUT_UID, rolloutImage } from '../model/images.js';
import { componentLabels, selectorLabels, type Identity } from '../model/labels.js';
import { rolloutRoleRules } from '../model/rollout.js';
import { authSecretKeys, tlsSecretKeys } from '../model/secrets.js';
import { objectNames, type MemberName } from '../model/topology.js';

export interface RolloutProps {
  id: Identity;
  /** Every member, in member order, with its announced host name (memberHosts). */
  members: readonly { name: MemberName; host: string; holdsData: boolean }[];
  /** Name the sentinels know the primary by. */
  primaryName: string;
  sentinelPort: number;
  /** Secret with ca.crt (tlsSecretKeys): the script verifies the sentinels' certificates. */
  tlsSecretName: string;
  /** Secret with the sentinels' password (authSecretKeys.sentinelAuth). */
  authSecretName: string;
}

/** The script's file in its ConfigMap, and where the Job mounts it. */
const SCRIPT = 'rollout.py';
const mounts = { script: '/rollout', ca: '/tls', password: '/sentinel' } as const;
/** Longest the script waits for one step (a pod to become ready, the sentinels to agree). */
const STEP_TIMEOUT_SECONDS = 600;

/**
 * A Sync hook runs in every sync, in its wave: after the workloads' wave is applied and healthy, and
 * before the next wave (the applications' Secrets, APPLICATION_SECRET_WAVE) is applied.
 */
const SYNC_HOOK = {
  'argocd.argoproj.io/hook': 'Sync',
  [SYNC_WAVE_ANNOTATION]: String(ROLLOUT_WAVE),
  // The previous run's Job stays for `kubectl logs` until the next sync replaces it.
  'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
};

/**
 * One member at a time, the primary last. The member StatefulSets use the OnDelete update strategy,
 * so a changed pod template restarts nothing by itself; in every Argo CD sync, once the workloads are
 * applied, this Job (a Sync hook) restarts each member whose pod runs an older revision: the tie-breaker, then the replica, then
 * (after the sentinels hand the primary role to the restarted replica) the old primary, each after the
 * previous one is ready again (charts/config/rollout/rollout.py says how that is judged).
 *
 * Why not sync waves per member: the order must follow which member is the primary now, which only
 * the sentinels know; static waves would hand the primary role over twice whenever the member in the
 * last wave is not the primary. Least privilege: the Job may get and delete the three member pods and
 * read the three StatefulSets, nothing else, and reaches only the sentinels and the API server.
 */
export class Rollout extends Construct {
  constructor(scope: Construct, id: string, props: RolloutProps) {
    super(scope, id);
    const name = objectNames(props.id.deployment).rollout;
    const labels = componentLabels('rollout');
    const statefulSets = props.members.map((m) => objectNames(props.id.deployment).member(m.name));

    new k8s.KubeConfigMap(this, 'Script', { metadata: { name, labels }, data: { [SCRIPT]: rolloutFiles[SCRIPT] } });
    new k8s.KubeServiceAccount(this, 'Account', { metadata: { name, labels }, automountServiceAccountToken: false });
    new k8s.KubeRole(this, 'Role', {
      metadata: { name, labels },
      rules: rolloutRoleRules(props.id.deployment),
    });
    new k8s.KubeRoleBinding(this, 'Binding', {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: props.id.namespace }],
    });

    const members = props.members.map((m, i) => ({ name: m.name, statefulSet: statefulSets[i], pod: `${statefulSets[i]}-0`, host: m.host, holdsData: m.holdsData }));
    new k8s.KubeJob(this, 'Job', {
      metadata: { name, labels, annotations: SYNC_HOOK },
      spec: {
        // The script is safe to run again: a retry skips the members already restarted.
        backoffLimit: 1,
        activeDeadlineSeconds: 3 * STEP_TIMEOUT_SECONDS,
        template: {
          metadata: { labels: selectorLabels(props.id, 'rollout') },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            restartPolicy: 'Never',
            securityContext: restrictedPod({ uid: ROLLOUT_UID }),
            containers: [
              {
                name: 'rollout',
                image: rolloutImage,
                imagePullPolicy: 'IfNotPresent',
                command: ['python3', `${mounts.script}/${SCRIPT}`],
                env: [
                  { name: 'NAMESPACE', value: props.id.namespace },
                  { name: 'PRIMARY_NAME', value: props.primaryName },
                  { name: 'MEMBERS', value: JSON.stringify(members) },
                  { name: 'SENTINEL_PORT', value: String(props.sentinelPort) },
                  { name: 'CA_FILE', value: `${mounts.ca}/${tlsSecretKeys.ca}` },
                  { name: 'SENTINEL_PASSWORD_FILE', value: `${mounts.password}/${authSecretKeys.sentinelAuth}` },
                  { name: 'TIMEOUT_SECONDS', value: String(STEP_TIMEOUT_SECONDS) },
                  // No .pyc files: the root file system is read-only.
                  { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
                ],
                resources: requirements({ cpu: '10m', memory: '32Mi' }, { cpu: '200m', memory: '64Mi' }),
                securityContext: restrictedContainer,
                volumeMounts: [
                  { name: 'script', mountPath: mounts.script, readOnly: true },
                  { name: 'ca', mountPath: mounts.ca, readOnly: true },
                  { name: 'password', mountPath: mounts.password, readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'script', configMap: { name } },
              // Only the keys it needs: never the servers' private key or the ACL file.
              { name: 'ca', secret: { secretName: props.tlsSecretName, items: [{ key: tlsSecretKeys.ca, path: tlsSecretKeys.ca }] } },
              { name: 'password', secret: { secretName: props.authSecretName, items: [{ key: authSecretKeys.sentinelAuth, path: authSecretKeys.sentinelAuth }] } },
            ],
          },
        },
      },
    });
  }
}
