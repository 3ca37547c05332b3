// What each storage provider needs to encrypt at rest: the cluster schema offers the providers, the
// EncryptedStorage construct renders their StorageClass, and the policy gate reads the same table (as
// data for the encryption.* rules).

export const storageProviders = ['ibm-vpc-block', 'aws-ebs', 'gcp-pd', 'azure-disk'] as const;
export type StorageProvider = (typeof storageProviders)[number];

export const ENCRYPTION_ANNOTATION = 'redis-gitops.dev/encryption-at-rest';

export interface ProviderStorage {
  provisioner: string;
  profileParameter: string;
  defaultProfile: string;
  /** Parameters that switch encryption on, always written even where the provider encrypts anyway. */
  encryption(customerKey: string | undefined): Record<string, string>;
}

/**
 * What each CSI driver needs to encrypt at rest: AWS EBS is opt-in; IBM VPC block, GCP PD and Azure Disk always encrypt with provider keys
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
