import { k8s } from 'cdk8s-plus-28';

/**
 * The security context of every container the charts render: what the restricted Pod Security
 * Standard asks (the deployment's namespace enforces it), plus a read-only root filesystem; whatever
 * a container writes goes to a volume.
 */
export const restrictedContainer: k8s.SecurityContext = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

/**
 * The security context of a pod under the restricted standard: never root, the image's own user and
 * group, the runtime's default seccomp profile.
 */
export function restrictedPod(options: {
  /** uid and gid of the image's unprivileged user. */
  uid: number;
  /**
   * Make the pod's volumes writable by that group (fsGroup).
   * @default false
   */
  ownVolumes?: boolean;
}): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: options.uid,
    runAsGroup: options.uid,
    ...(options.ownVolumes ? { fsGroup: options.uid } : {}),
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** A container's requests and limits (every container sets both: the gate's security.resources_set). */
export function requirements(request: { cpu: string; memory: string }, limit: { cpu: string; memory: string }): k8s.ResourceRequirements {
  const quantities = (r: { cpu: string; memory: string }) => ({ cpu: k8s.Quantity.fromString(r.cpu), memory: k8s.Quantity.fromString(r.memory) });
  return { requests: quantities(request), limits: quantities(limit) };
}
