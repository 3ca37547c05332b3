/**
 * What Kubernetes allows in the names the generator derives from its inputs (apimachinery
 * validation, v1.28), so that the inputs are refused where a derived name would be, naming the field.
 */

/** A DNS label (RFC 1123): Namespace, Service and StatefulSet names, label values, a pod's host name. */
export const DNS_LABEL_MAX = 63;
/** A DNS subdomain (RFC 1123): the names of most other objects (ConfigMap, Secret, Argo CD Application). */
export const DNS_SUBDOMAIN_MAX = 253;
/** The longest hash a ControllerRevision's name ends with: FNV-32 printed in decimal, 10 digits. */
export const REVISION_HASH_MAX = String(2 ** 32 - 1).length;
/**
 * A StatefulSet's name: its controller labels each pod `controller-revision-hash: <name>-<hash>`, a
 * label value of at most 63 characters, with a hash of up to 10 digits. The API server accepts a
 * longer name, and then refuses every pod.
 */
export const STATEFULSET_NAME_MAX = DNS_LABEL_MAX - 1 - REVISION_HASH_MAX;

/** A label value: empty, or alphanumerics with `-`, `_`, `.` inside, at most 63 characters. */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * Namespaces a deployment may not take: `default` and the `kube-` prefix are the cluster's own
 * (kube-system, kube-public, kube-node-lease); a restricted pod-security label and a deny-all
 * NetworkPolicy there would break the cluster. The cluster's Argo CD, Sealed Secrets and monitoring
 * namespaces are refused with the cluster file, which names them.
 */
export function isSystemNamespace(namespace: string): boolean {
  return namespace === 'default' || namespace.startsWith('kube-');
}
