import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

export interface SealedSecretProps {
  /** Name of the SealedSecret and of the Secret the controller makes from it. */
  name: string;
  /** Namespace the values were sealed for: the Secret's template names it. */
  namespace: string;
  /** Key → value sealed for this namespace/name (strict scope). */
  encryptedData: Record<string, string>;
  /** Labels of the SealedSecret and of the Secret made from it. */
  labels: Record<string, string>;
  /** Annotations of the SealedSecret (a sync wave of its own). @default none */
  annotations?: Record<string, string>;
}

/**
 * A bitnami.com/v1alpha1 SealedSecret: the in-cluster controller turns it into the Secret of the
 * same name, and only it can, since only it holds the private sealing key. No Secret with data ever
 * appears in git.
 */
export class SealedSecret extends Construct {
  constructor(scope: Construct, id: string, props: SealedSecretProps) {
    super(scope, id);
    const sorted = Object.fromEntries(Object.entries(props.encryptedData).sort(([a], [b]) => (a < b ? -1 : 1)));
    new ApiObject(this, 'Resource', {
      apiVersion: 'bitnami.com/v1alpha1',
      kind: 'SealedSecret',
      metadata: { name: props.name, labels: props.labels, ...(props.annotations ? { annotations: props.annotations } : {}) },
      spec: {
        encryptedData: sorted,
        template: { metadata: { name: props.name, namespace: props.namespace, labels: props.labels }, type: 'Opaque' },
      },
    });
  }
}
