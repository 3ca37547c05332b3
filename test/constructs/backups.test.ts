import { describe, expect, it } from 'vitest';
import { Backups, backupSchedule, restoreInitContainer, type BackupsProps } from '../../charts/backups.js';
import { backupScriptNames, backupSecretKeys } from '../../model/backup.js';
import { rcloneImage } from '../../model/images.js';
import { aclPasswordKey } from '../../model/secrets.js';
import { BACKUP_USER } from '../../model/users.js';
import { objectNamed, ordersId, synthConstruct } from '../support/constructs.js';

const props: BackupsProps = {
  id: ordersId,
  target: { endpoint: 'https://s3.example.com:8443', bucket: 'backups', prefix: 'teams/orders', region: 'eu-de' },
  everyHours: 6,
  retention: 3,
  sealedCredentials: Object.fromEntries(Object.values(backupSecretKeys).map((k) => [k, `sealed-${k}`])),
  redisImage: 'docker.io/library/redis:7.2.5',
  redisMemory: '1Gi',
  dataMembers: ['data-0.example', 'data-1.example'],
  redisPort: 6379,
  tlsSecretName: 'orders-tls',
  authSecretName: 'orders-auth',
  secretLabels: { a: 'b' },
};
const selector = (component: string) => ({ matchLabels: { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/component': component } });

describe('Backups', () => {
  const objects = synthConstruct((scope) => new Backups(scope, 'Backups', props));
  const cronJob = objectNamed(objects, 'CronJob', 'orders-backup');
  const pod = cronJob.spec.jobTemplate.spec.template.spec;

  it('runs the snapshot in the Redis image and the upload in rclone\'s, under the restricted standard, with no token and no rights', () => {
    expect(pod.initContainers.map((c: any) => [c.name, c.image, c.command])).toEqual([['snapshot', 'docker.io/library/redis:7.2.5', ['sh', `/etc/backup/${backupScriptNames.snapshot}`]]]);
    expect(pod.containers.map((c: any) => [c.name, c.image, c.command])).toEqual([['upload', rcloneImage, ['sh', `/etc/backup/${backupScriptNames.upload}`]]]);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(objectNamed(objects, 'ServiceAccount', 'orders-backup').automountServiceAccountToken).toBe(false);
    expect(objects.filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).toEqual([]);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.securityContext).toEqual({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    }
    expect(cronJob.spec).toMatchObject({ concurrencyPolicy: 'Forbid', timeZone: 'Etc/UTC', schedule: backupSchedule('redis-orders', 6) });
  });

  it('mounts only the CA, the backup user\'s password and the passphrase; the S3 keys come from the Secret as environment', () => {
    const volume = (name: string) => pod.volumes.find((v: any) => v.name === name);
    expect(volume('tls').secret.items).toEqual([{ key: 'ca.crt', path: 'ca.crt' }]);
    expect(volume('backup-user').secret.items).toEqual([{ key: aclPasswordKey(BACKUP_USER), path: aclPasswordKey(BACKUP_USER) }]);
    expect(volume('backup-credentials').secret.items).toEqual([{ key: backupSecretKeys.encryptionKey, path: backupSecretKeys.encryptionKey }]);
    expect(volume('work').emptyDir).toEqual({ medium: 'Memory', sizeLimit: '1152Mi' });
    const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      RCLONE_CONFIG_TARGET_TYPE: 's3',
      RCLONE_CONFIG_TARGET_ENDPOINT: 'https://s3.example.com:8443',
      RCLONE_CONFIG_TARGET_SECRET_ACCESS_KEY: { secretKeyRef: { name: 'orders-backup-credentials', key: backupSecretKeys.secretAccessKey } },
      RCLONE_CONFIG_ENCRYPTED_TYPE: 'crypt',
      RCLONE_CONFIG_ENCRYPTED_REMOTE: 'target:backups/teams/orders',
    });
    expect(objectNamed(objects, 'SealedSecret', 'orders-backup-credentials').spec.encryptedData).toEqual(props.sealedCredentials);
  });

  it('lets the backup pod reach the members\' redis port, DNS and the target\'s port only', () => {
    const policy = objectNamed(objects, 'NetworkPolicy', 'orders-backup');
    expect(policy.spec.podSelector).toEqual(selector('backup'));
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toBeUndefined();
    expect(policy.spec.egress[0]).toEqual({ to: [{ podSelector: selector('member') }], ports: [{ protocol: 'TCP', port: 6379 }] });
    expect(policy.spec.egress[2].ports).toEqual([{ protocol: 'TCP', port: 8443 }]);
    expect(objectNamed(objects, 'NetworkPolicy', 'orders-backup-to-members').spec).toEqual({
      podSelector: selector('member'),
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: selector('backup') }], ports: [{ protocol: 'TCP', port: 6379 }] }],
    });
  });

  it('spreads the deployments of a cluster over the hours and minutes of the interval', () => {
    expect(backupSchedule('redis-orders', 24)).toMatch(/^\d{1,2} \d{1,2} \* \* \*$/);
    expect(backupSchedule('redis-orders', 1)).toMatch(/^\d{1,2} \* \* \* \*$/);
    const six = backupSchedule('redis-orders', 6).split(' ')[1]!.split(',').map(Number);
    expect(six).toHaveLength(4);
    expect(six.map((h) => h - six[0]!)).toEqual([0, 6, 12, 18]);
    const minutes = new Set(Array.from({ length: 50 }, (_, i) => backupSchedule(`redis-d${i}`, 24).split(' ')[0]));
    expect(minutes.size).toBeGreaterThan(20);
  });

  it('restores from another deployment\'s prefix when told, into the member\'s data volume', () => {
    const { container } = restoreInitContainer({ id: ordersId, target: props.target, prefix: 'teams/old', backup: '20261202T030000Z', dataVolume: 'data' });
    const env = Object.fromEntries(container.env!.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ RCLONE_CONFIG_ENCRYPTED_REMOTE: 'target:backups/teams/old', RESTORE_BACKUP: '20261202T030000Z', DATA_DIR: '/data' });
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
  });
});
