// What each storage provider needs to encrypt at rest: the cluster schema offers the providers, the
// EncryptedStorage construct renders their StorageClass, and the policy gate reads the same table (as
// data for the encryption.* rules).

export const storageProviders = ['ibm-vpc-block', 'aws-ebs', 'gcp-pd', 'azure-disk'] as const;
export type StorageProvider = (typeof storageProviders)[number];

/** The annotation by which the generator states whose keys encrypt a StorageClass's volumes, and its values. */
export const ENCRYPTION_ANNOTATION = 'redis-gitops.dev/encryption-at-rest';
export const encryptionKeyStates = { customer: 'customer-managed-key', provider: 'provider-managed-key' } as const;

export interface ProviderStorage {
  /** The provider as the gate's messages name it. */
  title: string;
  /** The CSI driver, which the generator's StorageClass names. */
  provisioner: string;
  /**
   * The in-tree provisioner of the same disks, still written in hand-written manifests (the CSI
   * migration hands its volumes to the driver, parameters and all); the gate judges it as the driver.
   */
  inTreeProvisioner?: string;
  /** Whether the disks are encrypted only when the class asks (with `encryption(undefined)`); otherwise always. */
  encryptionOptIn: boolean;
  profileParameter: string;
  defaultProfile: string;
  /** Parameters that switch encryption on, always written even where the provider encrypts anyway. */
  encryption(customerKey: string | undefined): Record<string, string>;
  /** What a customer-managed key of the provider looks like: the cluster file's storage.customerKey. */
  customerKey: { what: string; pattern: RegExp; example: string };
}

/**
 * What each CSI driver needs to encrypt at rest: AWS EBS is opt-in; IBM VPC block, GCP PD and Azure Disk always encrypt with provider keys
 * and take a customer key through their own parameter.
 */
export const providerStorage: Record<StorageProvider, ProviderStorage> = {
  'ibm-vpc-block': {
    title: 'IBM Cloud VPC block',
    provisioner: 'vpc.block.csi.ibm.io',
    encryptionOptIn: false,
    profileParameter: 'profile',
    defaultProfile: '10iops-tier',
    encryption: (key) => ({ encrypted: 'true', ...(key ? { encryptionKey: key } : {}) }),
    customerKey: {
      what: 'the CRN of a Key Protect or Hyper Protect Crypto Services root key',
      pattern: /^crn:v1:[a-z]+:[a-z]+:(kms|hs-crypto):[a-z0-9-]+:a\/[0-9a-f]{32}:[0-9a-f-]{36}:key:[0-9a-f-]{36}$/,
      example: 'crn:v1:bluemix:public:kms:us-south:a/0123456789abcdef0123456789abcdef:01234567-89ab-cdef-0123-456789abcdef:key:fedcba98-7654-3210-fedc-ba9876543210',
    },
  },
  'aws-ebs': {
    title: 'AWS EBS',
    provisioner: 'ebs.csi.aws.com',
    inTreeProvisioner: 'kubernetes.io/aws-ebs',
    encryptionOptIn: true,
    profileParameter: 'type',
    defaultProfile: 'gp3',
    encryption: (key) => ({ encrypted: 'true', ...(key ? { kmsKeyId: key } : {}) }),
    customerKey: {
      what: 'the ARN of a KMS key (kmsKeyId takes a full ARN)',
      pattern: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key\/[0-9a-f-]{36}$/,
      example: 'arn:aws:kms:us-east-1:123456789012:key/01234567-89ab-cdef-0123-456789abcdef',
    },
  },
  'gcp-pd': {
    title: 'GCP PD',
    provisioner: 'pd.csi.storage.gke.io',
    inTreeProvisioner: 'kubernetes.io/gce-pd',
    encryptionOptIn: false,
    profileParameter: 'type',
    defaultProfile: 'pd-balanced',
    encryption: (key): Record<string, string> => (key ? { 'disk-encryption-kms-key': key } : {}),
    customerKey: {
      what: 'the resource name of a Cloud KMS key',
      pattern: /^projects\/[a-z][-a-z0-9]{4,28}[a-z0-9]\/locations\/[a-z0-9-]+\/keyRings\/[A-Za-z0-9_-]{1,63}\/cryptoKeys\/[A-Za-z0-9_-]{1,63}$/,
      example: 'projects/my-project/locations/us-central1/keyRings/redis/cryptoKeys/volumes',
    },
  },
  'azure-disk': {
    title: 'Azure Disk',
    provisioner: 'disk.csi.azure.com',
    inTreeProvisioner: 'kubernetes.io/azure-disk',
    encryptionOptIn: false,
    profileParameter: 'skuName',
    defaultProfile: 'Premium_LRS',
    encryption: (key): Record<string, string> => (key ? { diskEncryptionSetID: key } : {}),
    customerKey: {
      what: 'the resource id of a disk encryption set',
      pattern: /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.Compute\/diskEncryptionSets\/[-\w]{1,80}$/,
      example: '/subscriptions/01234567-89ab-cdef-0123-456789abcdef/resourceGroups/redis/providers/Microsoft.Compute/diskEncryptionSets/redis-volumes',
    },
  },
};

/** The parameters a class of the provider must have for its disks to be encrypted: none where it always encrypts. */
export function encryptionRequirement(provider: ProviderStorage): Record<string, string> {
  return provider.encryptionOptIn ? provider.encryption(undefined) : {};
}

/** The parameter in which the provider takes a customer-managed key (what `encryption` adds for a key). */
export function customerKeyParameter(provider: ProviderStorage): string | undefined {
  const always = Object.keys(provider.encryption(undefined));
  return Object.keys(provider.encryption('key')).find((k) => !always.includes(k));
}
