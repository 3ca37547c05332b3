import { describe, expect, it } from 'vitest';
import { EncryptedStorage, type EncryptedStorageProps } from '../../charts/encrypted-storage.js';
import { ENCRYPTION_ANNOTATION, providerStorage, storageProviders, type StorageProvider } from '../../model/storage-providers.js';
import { synthConstruct } from '../support/constructs.js';

function storageClass(props: EncryptedStorageProps) {
  const objects = synthConstruct((scope) => new EncryptedStorage(scope, 'Storage', props));
  expect(objects.map((o) => o.kind)).toEqual(['StorageClass']);
  return objects[0]!;
}

const props = (provider: StorageProvider, more: Partial<EncryptedStorageProps> = {}): EncryptedStorageProps => ({
  provider,
  name: 'redis-encrypted',
  labels: { 'app.kubernetes.io/component': 'storage' },
  ...more,
});

describe('EncryptedStorage', () => {
  // What each CSI driver needs, stated here rather than read from the model's table, so that a wrong
  // entry in the table fails.
  const expected = {
    'ibm-vpc-block': { provisioner: 'vpc.block.csi.ibm.io', plain: { encrypted: 'true' }, keyed: { encrypted: 'true', encryptionKey: 'KEY' } },
    'aws-ebs': { provisioner: 'ebs.csi.aws.com', plain: { encrypted: 'true' }, keyed: { encrypted: 'true', kmsKeyId: 'KEY' } },
    'gcp-pd': { provisioner: 'pd.csi.storage.gke.io', plain: {}, keyed: { 'disk-encryption-kms-key': 'KEY' } },
    'azure-disk': { provisioner: 'disk.csi.azure.com', plain: {}, keyed: { diskEncryptionSetID: 'KEY' } },
  } as const;

  for (const provider of storageProviders) {
    it(`states encryption explicitly for ${provider}, with and without a customer key`, () => {
      for (const customerKey of [undefined, 'KEY']) {
        const sc = storageClass(props(provider, { customerKey }));
        const want = expected[provider];
        expect(sc.provisioner).toBe(want.provisioner);
        expect(sc).toMatchObject({ reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: true });
        const { [providerStorage[provider].profileParameter]: profile, ...encryption } = sc.parameters;
        expect(profile).toBe(providerStorage[provider].defaultProfile);
        expect(encryption).toEqual(customerKey ? want.keyed : want.plain);
        expect(sc.metadata.annotations?.[ENCRYPTION_ANNOTATION]).toBe(customerKey ? 'customer-managed-key' : 'provider-managed-key');
      }
    });
  }

  it('names the class as asked, with its labels, and takes a profile in place of the default', () => {
    const sc = storageClass(props('aws-ebs', { name: 'fast-encrypted', profile: 'io2' }));
    expect(sc.metadata).toMatchObject({ name: 'fast-encrypted', labels: { 'app.kubernetes.io/component': 'storage' } });
    expect(sc.parameters).toEqual({ type: 'io2', encrypted: 'true' });
  });

  it('keeps the data of a deleted claim: Retain, never Delete', () => {
    for (const provider of storageProviders) expect(storageClass(props(provider)).reclaimPolicy, provider).toBe('Retain');
  });
});
