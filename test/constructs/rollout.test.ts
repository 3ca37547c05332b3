import { describe, expect, it } from 'vitest';
import { Rollout } from '../../charts/rollout.js';
import { rolloutFiles } from '../../charts/config/rollout/embedded.js';
import { APPLICATION_SECRET_WAVE, ROLLOUT_WAVE, syncWave } from '../../charts/sync-waves.js';
import { rolloutImage } from '../../model/images.js';
import { secretNames } from '../../model/secrets.js';
import { memberHosts, SENTINEL_PORT } from '../../model/topology.js';
import { objectNamed, ordersId, synthConstruct } from '../support/constructs.js';

describe('Rollout', () => {
  const objects = synthConstruct(
    (scope) =>
      new Rollout(scope, 'Rollout', {
        id: ordersId,
        members: memberHosts(ordersId),
        primaryName: 'orders',
        sentinelPort: SENTINEL_PORT,
        tlsSecretName: secretNames('orders').tls,
        authSecretName: secretNames('orders').auth,
      }),
  );
  const job = objectNamed(objects, 'Job', 'orders-rollout');
  const pod = job.spec.template.spec;
  const env = Object.fromEntries(pod.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));

  it('runs in every sync once the workloads are applied, before the applications\' Secrets, and keeps the last run for its logs', () => {
    expect(job.metadata.annotations).toEqual({
      'argocd.argoproj.io/hook': 'Sync',
      'argocd.argoproj.io/sync-wave': String(ROLLOUT_WAVE),
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    });
    expect(ROLLOUT_WAVE).toBeGreaterThan(Math.max(syncWave('StatefulSet'), syncWave('Deployment')));
    expect(APPLICATION_SECRET_WAVE).toBeGreaterThan(ROLLOUT_WAVE);
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.containers[0].image).toBe(rolloutImage);
    expect(rolloutImage).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(objectNamed(objects, 'ConfigMap', 'orders-rollout').data).toEqual({ 'rollout.py': rolloutFiles['rollout.py'] });
  });

  it('may get and delete the member pods and read the member StatefulSets, by name, and list events; nothing else', () => {
    expect(objectNamed(objects, 'Role', 'orders-rollout').rules).toEqual([
      { apiGroups: [''], resources: ['pods'], resourceNames: ['orders-data-0-0', 'orders-data-1-0', 'orders-tiebreaker-0'], verbs: ['get', 'delete'] },
      { apiGroups: ['apps'], resources: ['statefulsets'], resourceNames: ['orders-data-0', 'orders-data-1', 'orders-tiebreaker'], verbs: ['get'] },
      // The reason a new pod was refused, for the Job's message.
      { apiGroups: [''], resources: ['events'], resourceNames: [], verbs: ['list'] },
    ]);
    expect(objectNamed(objects, 'RoleBinding', 'orders-rollout').subjects).toEqual([{ kind: 'ServiceAccount', name: 'orders-rollout', namespace: 'redis-orders' }]);
    // Only this pod gets a token: the account mounts none by default.
    expect(objectNamed(objects, 'ServiceAccount', 'orders-rollout').automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('orders-rollout');
    expect(pod.automountServiceAccountToken).toBe(true);
  });

  it('mounts the CA and the sentinels\' password only: never a private key, the ACL file or a user\'s password', () => {
    const items = pod.volumes.filter((v: { secret?: object }) => v.secret).map((v: { secret: { secretName: string; items: { key: string }[] } }) => [v.secret.secretName, v.secret.items.map((i) => i.key)]);
    expect(items).toEqual([
      ['orders-tls', ['ca.crt']],
      ['orders-auth', ['sentinel-auth']],
    ]);
    expect(env.CA_FILE).toBe('/tls/ca.crt');
    expect(env.SENTINEL_PASSWORD_FILE).toBe('/sentinel/sentinel-auth');
  });

  it('tells the script every member: its StatefulSet, pod and the host name the sentinels announce it by', () => {
    expect(JSON.parse(env.MEMBERS)).toEqual(
      memberHosts(ordersId).map((m) => ({ name: m.name, statefulSet: `orders-${m.name}`, pod: `orders-${m.name}-0`, host: m.host, holdsData: m.holdsData })),
    );
    expect(env).toMatchObject({ NAMESPACE: 'redis-orders', PRIMARY_NAME: 'orders', SENTINEL_PORT: String(SENTINEL_PORT) });
  });

  it('runs under the restricted pod security standard, read-only', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toEqual({ runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });
});
