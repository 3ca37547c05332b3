// How each cloud makes a Service's load balancer internal (reachable only from the cluster's private
// network): an annotation of its cloud controller, per cloud. The cluster file names its cloud by its
// storage provider (model/storage-providers.ts), so the same key selects both.
import type { StorageProvider } from './storage-providers.js';

export interface InternalLoadBalancer {
  /** The cloud, as messages and docs name it. */
  cloud: string;
  annotations: Readonly<Record<string, string>>;
  /** Where the annotation is documented. */
  source: string;
}

export const internalLoadBalancers: Record<StorageProvider, InternalLoadBalancer> = {
  'ibm-vpc-block': {
    cloud: 'IBM Cloud VPC',
    annotations: { 'service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type': 'private' },
    source: 'cloud.ibm.com/docs/containers (VPC load balancers: ibm-load-balancer-cloud-provider-ip-type "private")',
  },
  'aws-ebs': {
    cloud: 'AWS',
    // The AWS Load Balancer Controller reads the scheme; the in-tree cloud provider (and the
    // controller, as a deprecated alias) reads aws-load-balancer-internal: both, whichever runs.
    annotations: {
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
      'service.beta.kubernetes.io/aws-load-balancer-internal': 'true',
    },
    source: 'kubernetes-sigs.github.io/aws-load-balancer-controller (service annotations: aws-load-balancer-scheme; aws-load-balancer-internal deprecated)',
  },
  'gcp-pd': {
    cloud: 'Google Cloud (GKE)',
    annotations: { 'networking.gke.io/load-balancer-type': 'Internal' },
    source: 'cloud.google.com/kubernetes-engine/docs/how-to/internal-load-balancing',
  },
  'azure-disk': {
    cloud: 'Azure (AKS)',
    annotations: { 'service.beta.kubernetes.io/azure-load-balancer-internal': 'true' },
    source: 'learn.microsoft.com/azure/aks/internal-lb',
  },
};
