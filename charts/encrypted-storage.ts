import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { StorageProvider } from '../model/storage-providers.js';
import { ENCRYPTION_ANNOTATION, encryptionKeyStates, providerStorage } from '../model/storage-providers.js';

export interface EncryptedStorageProps {
  /** The cloud whose CSI driver provisions the volumes (providerStorage). */
  provider: StorageProvider;
  /** Name of the StorageClass. */
  name: string;
  /**
   * Customer-managed key the volumes are encrypted with.
   * @default - the provider's own keys
   */
  customerKey?: string;
  /**
   * Provider volume profile/type.
   * @default - a general-purpose SSD profile of the provider (its defaultProfile)
   */
  profile?: string;
  /** Labels of the StorageClass. */
  labels: Record<string, string>;
}

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
        annotations: { [ENCRYPTION_ANNOTATION]: props.customerKey ? encryptionKeyStates.customer : encryptionKeyStates.provider },
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
