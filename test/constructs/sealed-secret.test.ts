import { describe, expect, it } from 'vitest';
import { SealedSecret } from '../../charts/sealed-secret.js';
import { synthConstruct } from '../support/constructs.js';

describe('SealedSecret', () => {
  const labels = { 'app.kubernetes.io/component': 'secrets' };
  const [sealed, ...rest] = synthConstruct(
    (scope) => new SealedSecret(scope, 'Auth', { name: 'orders-auth', namespace: 'redis-orders', encryptedData: { 'users.acl': 'AgB2', 'acl-admin': 'AgB1' }, labels }),
  );

  it('is one bitnami.com SealedSecret and no Secret: only the controller can open it', () => {
    expect(rest).toEqual([]);
    expect(sealed).toMatchObject({ apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', metadata: { name: 'orders-auth', labels } });
    expect(sealed).not.toHaveProperty('data');
    expect(sealed).not.toHaveProperty('stringData');
  });

  it('holds the sealed values in key order, for a stable diff', () => {
    expect(Object.entries(sealed!.spec.encryptedData)).toEqual([
      ['acl-admin', 'AgB1'],
      ['users.acl', 'AgB2'],
    ]);
  });

  it('makes the Secret of the same name and namespace it was sealed for (strict scope)', () => {
    expect(sealed!.spec.template).toEqual({ metadata: { name: 'orders-auth', namespace: 'redis-orders', labels }, type: 'Opaque' });
  });
});
