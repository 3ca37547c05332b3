import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { parseQuantity } from '../src/config/quantity.js';
import { renderBackupScripts } from './config/backup-scripts.js';
import { restrictedContainer, restrictedPod } from './pod-security.js';
import { SealedSecret } from './sealed-secret.js';
import { backupObjectNames, backupPaths, backupScriptNames, backupSecretKeys, RCLONE_REMOTES, restoreEnv } from '../model/backup.js';
import { rcloneImage } from '../model/images.js';
import { engineTraits } from '../model/engines.js';
import { CONFIG_CHECKSUM_ANNOTATION, componentLabels, selectorLabels, type Identity } from '../model/labels.js';
import { aclPasswordKey, tlsSecretKeys } from '../model/secrets.js';
import { memberPaths } from '../model/topology.js';
import { BACKUP_USER } from '../model/users.js';

/** Where backups go, as the deployment file declares it (prefix resolved). */
export interface BackupTarget {
  /** https URL of the S3-compatible service. */
  endpoint: string;
  bucket: string;
  /** Key prefix of this deployment's backups. */
  prefix: string;
  region: string;
}

export interface BackupsProps {
  /** The deployment's identity: names, selectors and labels derive from it. */
  id: Identity;
  target: BackupTarget;
  /** Hours between two backups (a divisor of 24). */
  everyHours: number;
  /** How many backups to keep. */
  retention: number;
  /** Sealed values of the credentials Secret, by backupSecretKeys key (the user seals them). */
  sealedCredentials: Record<string, string>;
  /** The members' Redis image: the snapshot step runs its redis-cli. */
  redisImage: string;
  /** Memory limit of a data member's redis: the snapshot (at most its dataset) is held in memory. */
  redisMemory: string;
  /** Announced host names of the data members. */
  dataMembers: readonly string[];
  redisPort: number;
  /** Secret with ca.crt (the members' CA). */
  tlsSecretName: string;
  /** Secret holding the backup user's password (only that key is mounted). */
  authSecretName: string;
  /** Labels of the SealedSecret and of the Secret made from it. */
  secretLabels: Record<string, string>;
}

/** Longest a backup may run before Kubernetes stops it (and the failure alert fires). */
export const BACKUP_DEADLINE_SECONDS = 3600;

const volumes = { config: 'backup-config', credentials: 'backup-credentials', secrets: 'backup-user', tls: 'tls', work: 'work' } as const;

/**
 * Encrypted backups of one deployment: a CronJob whose pod takes a snapshot from the current replica
 * (redis image, `backup-snapshot.sh`) into memory, then encrypts and uploads it with its manifest and
 * prunes by retention (rclone image, `backup-upload.sh`); the ConfigMap of those scripts; the
 * SealedSecret of the target's credentials and the encryption passphrase; a ServiceAccount with no
 * token and no rights; and NetworkPolicies letting the pod reach the data members' redis port and
 * the target's port, nothing else.
 */
export class Backups extends Construct {
  /** The ConfigMap's files (scripts and settings): the restore init container runs them too. */
  readonly files: Record<string, string>;

  constructor(scope: Construct, id: string, props: BackupsProps) {
    super(scope, id);
    const names = backupObjectNames(props.id.deployment);
    const labels = componentLabels('backup');
    this.files = backupFiles(props);
    new k8s.KubeConfigMap(this, 'Scripts', { metadata: { name: names.backup, labels }, data: this.files });
    new SealedSecret(this, 'Credentials', {
      name: names.credentials,
      namespace: props.id.namespace,
      encryptedData: props.sealedCredentials,
      labels: { ...props.secretLabels, ...labels },
    });
    new k8s.KubeServiceAccount(this, 'Account', { metadata: { name: names.backup, labels }, automountServiceAccountToken: false });
    new k8s.KubeCronJob(this, 'CronJob', {
      metadata: { name: names.backup, labels },
      spec: {
        schedule: backupSchedule(props.id.namespace, props.everyHours),
        timeZone: 'Etc/UTC',
        // One backup at a time; a run missed by more than an interval is skipped, not made up.
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: props.everyHours * 3600,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 1,
        jobTemplate: {
          metadata: { labels: selectorLabels(props.id, 'backup') },
          spec: {
            backoffLimit: 1,
            activeDeadlineSeconds: BACKUP_DEADLINE_SECONDS,
            template: {
              metadata: {
                labels: selectorLabels(props.id, 'backup'),
                annotations: { [CONFIG_CHECKSUM_ANNOTATION]: createHash('sha256').update(JSON.stringify(this.files)).digest('hex') },
              },
              spec: backupPod(props, names.backup),
            },
          },
        },
      },
    });
    backupNetworkPolicies(this, props);
  }
}

/**
 * The CronJob's schedule: every `everyHours` hours at a minute and hour offset derived from the
 * namespace, so the deployments of a cluster do not all back up (and upload) at the same moment.
 */
export function backupSchedule(namespace: string, everyHours: number): string {
  const spread = createHash('sha256').update(namespace).digest().readUInt32BE(0);
  const minute = spread % 60;
  const first = Math.floor(spread / 60) % everyHours;
  const hours = everyHours === 1 ? '*' : Array.from({ length: 24 / everyHours }, (_, i) => first + i * everyHours).join(',');
  return `${minute} ${hours} * * *`;
}

function backupFiles(props: BackupsProps): Record<string, string> {
  return renderBackupScripts({
    deployment: props.id.deployment,
    namespace: props.id.namespace,
    engine: 'redis',
    dataMembers: props.dataMembers,
    redisPort: props.redisPort,
    retention: props.retention,
    paths: backupPaths,
    user: { name: BACKUP_USER, passwordKey: aclPasswordKey(BACKUP_USER) },
    caKey: tlsSecretKeys.ca,
    encryptionKeyKey: backupSecretKeys.encryptionKey,
  });
}

/**
 * The rclone remotes as environment: `target` the bucket's S3 API (credentials from the Secret),
 * `encrypted` a crypt remote over `<bucket>/<prefix>`, the only one the scripts write to. File
 * names stay readable (a backup is found by its id); contents are encrypted (NaCl secretbox). The
 * passphrase is read from the mounted Secret by the scripts.
 */
export function rcloneEnv(target: BackupTarget, prefix: string, credentialsSecret: string): k8s.EnvVar[] {
  const t = `RCLONE_CONFIG_${RCLONE_REMOTES.target}`;
  const e = `RCLONE_CONFIG_${RCLONE_REMOTES.encrypted}`;
  const fromSecret = (key: string) => ({ secretKeyRef: { name: credentialsSecret, key } });
  return [
    { name: `${t}_TYPE`, value: 's3' },
    { name: `${t}_PROVIDER`, value: 'Other' },
    { name: `${t}_ENDPOINT`, value: target.endpoint },
    { name: `${t}_REGION`, value: target.region },
    { name: `${t}_FORCE_PATH_STYLE`, value: 'true' },
    { name: `${t}_ACCESS_KEY_ID`, valueFrom: fromSecret(backupSecretKeys.accessKeyId) },
    { name: `${t}_SECRET_ACCESS_KEY`, valueFrom: fromSecret(backupSecretKeys.secretAccessKey) },
    { name: `${e}_TYPE`, value: 'crypt' },
    { name: `${e}_REMOTE`, value: `${RCLONE_REMOTES.target.toLowerCase()}:${target.bucket}/${prefix}` },
    { name: `${e}_FILENAME_ENCRYPTION`, value: 'off' },
    { name: `${e}_DIRECTORY_NAME_ENCRYPTION`, value: 'false' },
  ];
}

const script = (name: string) => ['sh', `${backupPaths.configDir}/${name}`];

const mounts = {
  config: { name: volumes.config, mountPath: backupPaths.configDir, readOnly: true },
  credentials: { name: volumes.credentials, mountPath: backupPaths.credentialsDir, readOnly: true },
  work: { name: volumes.work, mountPath: backupPaths.workDir },
} satisfies Record<string, k8s.VolumeMount>;

function resources(memory: string): k8s.ResourceRequirements {
  return {
    requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('128Mi') },
    limits: { cpu: k8s.Quantity.fromString('1'), memory: k8s.Quantity.fromString(memory) },
  };
}

function backupPod(props: BackupsProps, serviceAccount: string): k8s.PodSpec {
  const names = backupObjectNames(props.id.deployment);
  // The snapshot is at most the dataset, which maxmemory keeps below the redis limit.
  const scratch = addQuantities(props.redisMemory, '128Mi');
  return {
    serviceAccountName: serviceAccount,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    restartPolicy: 'Never',
    // The Redis image's user (the rclone image runs as any user).
    securityContext: restrictedPod({ uid: engineTraits.redis.uid }),
    initContainers: [
      {
        name: 'snapshot',
        image: props.redisImage,
        imagePullPolicy: 'IfNotPresent',
        command: script(backupScriptNames.snapshot),
        resources: resources(scratch),
        securityContext: restrictedContainer,
        volumeMounts: [
          mounts.config,
          { name: volumes.tls, mountPath: backupPaths.tlsDir, readOnly: true },
          { name: volumes.secrets, mountPath: backupPaths.secretsDir, readOnly: true },
          mounts.work,
        ],
      },
    ],
    containers: [
      {
        name: 'upload',
        image: rcloneImage,
        imagePullPolicy: 'IfNotPresent',
        command: script(backupScriptNames.upload),
        env: rcloneEnv(props.target, props.target.prefix, names.credentials),
        resources: resources(scratch),
        securityContext: restrictedContainer,
        volumeMounts: [mounts.config, mounts.credentials, mounts.work],
      },
    ],
    volumes: [
      { name: volumes.config, configMap: { name: names.backup } },
      // Only the CA and the backup user's password: not the members' keys, not the other users' passwords.
      { name: volumes.tls, secret: { secretName: props.tlsSecretName, items: [{ key: tlsSecretKeys.ca, path: tlsSecretKeys.ca }] } },
      {
        name: volumes.secrets,
        secret: { secretName: props.authSecretName, items: [{ key: aclPasswordKey(BACKUP_USER), path: aclPasswordKey(BACKUP_USER) }] },
      },
      credentialsVolume(names.credentials),
      // Memory-backed: the plaintext snapshot never reaches a disk, and is gone with the pod.
      { name: volumes.work, emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString(scratch) } },
    ],
  };
}

/** The encryption passphrase only: the S3 keys reach rclone as environment from the same Secret. */
function credentialsVolume(secretName: string): k8s.Volume {
  const key = backupSecretKeys.encryptionKey;
  return { name: volumes.credentials, secret: { secretName, items: [{ key, path: key }] } };
}

const tcp = (port: number): k8s.NetworkPolicyPort => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });

/** The target's TCP port (from its https URL). */
export function targetPort(endpoint: string): number {
  const url = new URL(endpoint);
  return url.port ? Number(url.port) : 443;
}

/**
 * The backup pod reaches the data members' redis port, DNS and the target's port; the members let
 * it in on their redis port. A NetworkPolicy cannot name a host, so the target is its port on any
 * address outside the cluster's pods.
 */
function backupNetworkPolicies(scope: Construct, props: BackupsProps): void {
  const names = backupObjectNames(props.id.deployment);
  const labels = componentLabels('backup');
  const backupPods = { matchLabels: selectorLabels(props.id, 'backup') };
  const members = { matchLabels: selectorLabels(props.id, 'member') };
  new k8s.KubeNetworkPolicy(scope, 'Policy', {
    metadata: { name: names.backup, labels },
    spec: {
      podSelector: backupPods,
      policyTypes: ['Ingress', 'Egress'],
      egress: [{ to: [{ podSelector: members }], ports: [tcp(props.redisPort)] }, dns, targetEgress(props.target)],
    },
  });
  new k8s.KubeNetworkPolicy(scope, 'MembersFromBackup', {
    metadata: { name: `${names.backup}-to-members`, labels },
    spec: { podSelector: members, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: backupPods }], ports: [tcp(props.redisPort)] }] },
  });
}

const dns: k8s.NetworkPolicyEgressRule = {
  to: [{ namespaceSelector: {} }],
  ports: [
    { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
    { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
  ],
};

function targetEgress(target: BackupTarget): k8s.NetworkPolicyEgressRule {
  return { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }], ports: [tcp(targetPort(target.endpoint))] };
}

export interface RestoreProps {
  id: Identity;
  target: BackupTarget;
  /** Prefix the backup was written under. */
  prefix: string;
  /** The backup's id. */
  backup: string;
  /** Name of the member volume the restore writes into. */
  dataVolume: string;
}

/**
 * What the designated first primary's pod gets while a restore is declared: an init container
 * (rclone image, `restore.sh`) that lays the backup into the data folder when that folder holds no
 * data, and the volumes it needs; and a NetworkPolicy letting that member reach the target.
 */
export function restoreInitContainer(props: RestoreProps): { container: k8s.Container; volumes: k8s.Volume[] } {
  const names = backupObjectNames(props.id.deployment);
  return {
    container: {
      name: 'restore',
      image: rcloneImage,
      imagePullPolicy: 'IfNotPresent',
      command: script(backupScriptNames.restore),
      env: [
        ...rcloneEnv(props.target, props.prefix, names.credentials),
        { name: restoreEnv.backup, value: props.backup },
        { name: restoreEnv.dataDir, value: memberPaths.dataDir },
      ],
      resources: resources('256Mi'),
      securityContext: restrictedContainer,
      volumeMounts: [{ name: props.dataVolume, mountPath: memberPaths.dataDir }, mounts.config, mounts.credentials, { name: volumes.work, mountPath: backupPaths.workDir }],
    },
    volumes: [
      { name: volumes.config, configMap: { name: names.backup } },
      credentialsVolume(names.credentials),
      { name: volumes.work, emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('64Mi') } },
    ],
  };
}

/** Lets the restoring member reach the target while a restore is declared. */
export class RestoreNetworkPolicy extends Construct {
  constructor(scope: Construct, id: string, props: { id: Identity; target: BackupTarget; member: string }) {
    super(scope, id);
    new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name: `${props.id.deployment}-restore`, labels: componentLabels('backup') },
      spec: {
        podSelector: { matchLabels: selectorLabels(props.id, 'member', props.member) },
        policyTypes: ['Egress'],
        egress: [targetEgress(props.target)],
      },
    });
  }
}

/** a + b of two quantities, in Mi. */
function addQuantities(a: string, b: string): string {
  return `${Math.ceil((parseQuantity(a) + parseQuantity(b)) / 2 ** 20)}Mi`;
}
