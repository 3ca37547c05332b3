import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { StorageProvider } from '../src/config/schema.js';

export const ENCRYPTION_ANNOTATION = 'redis-gitops.dev/encryption-at-rest';

export interface EncryptedStorageProps {
  provider: StorageProvider;
  /** Name of the StorageClass. */
  name: string;
  /** Customer-managed key; default: the provider's own keys. */
  customerKey?: string;
  /** Provider volume profile/type; default: a general-purpose SSD profile of the provider. */
  profile?: string;
  labels: Record<string, string>;
}

interface ProviderStorage {
  provisioner: string;
  profileParameter: string;
  defaultProfile: string;
  /** Parameters that switch encryption on, always written even where the provider encrypts anyway. */
  encryption(customerKey: string | undefined): Record<string, string>;
}

/**
 * What each CSI driver needs to encrypt at rest (docs/ and the encryption.* policies hold the same
 * table): AWS EBS is opt-in; IBM VPC block, GCP PD and Azure Disk always encrypt with provider keys
 * and take a customer key through their own parameter.
 */
export const providerStorage: Record<StorageProvider, ProviderStorage> = {
  'ibm-vpc-block': {
    provisioner: 'vpc.block.csi.ibm.io',
    profileParameter: 'profile',
    defaultProfile: '10iops-tier',
    encryption: (key) => ({ encrypted: 'true', ...(key ? { encryptionKey: key } : {}) }),
  },
  'aws-ebs': {
    provisioner: 'ebs.csi.aws.com',
    profileParameter: 'type',
    defaultProfile: 'gp3',
    encryption: (key) => ({ encrypted: 'true', ...(key ? { kmsKeyId: key } : {}) }),
  },
  'gcp-pd': {
    provisioner: 'pd.csi.storage.gke.io',
    profileParameter: 'type',
    defaultProfile: 'pd-balanced',
    encryption: (key): Record<string, string> => (key ? { 'disk-encryption-kms-key': key } : {}),
  },
  'azure-disk': {
    provisioner: 'disk.csi.azure.com',
    profileParameter: 'skuName',
    defaultProfile: 'Premium_LRS',
    encryption: (key): Record<string, string> => (key ? { diskEncryptionSetID: key } : {}),
  },
};

/**
 * The cluster's encrypted block-storage class for Redis data volumes. Retain, so deleting a claim
 * never deletes data; WaitForFirstConsumer, so a zonal volume is made in the zone its member is pinned to.
 */
export class EncryptedStorage extends Construct {
  readonly storageClassName: string;

  constructor(scope: Construct, id: string, props: EncryptedStorageProps) {
    super(scope, id);
    const provider = providerStorage[props.provider];
    this.storageClassName = props.name;
    new k8s.KubeStorageClass(this, 'Resource', {
      metadata: {
        name: props.name,
        labels: props.labels,
        // States the encryption even where no parameter can (GCP and Azure always encrypt).
        annotations: { [ENCRYPTION_ANNOTATION]: props.customerKey ? 'customer-managed-key' : 'provider-managed-key' },
      },
      provisioner: provider.provisioner,
      parameters: {
        [provider.profileParameter]: props.profile ?? provider.defaultProfile,
        ...provider.encryption(props.customerKey),
      },
      reclaimPolicy: 'Retain',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
    });
  }
}
