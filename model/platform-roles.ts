// The platform roles (IAM-style) and their Kubernetes rules. The input schema offers the roles, the
// AccessBindings construct renders them, and the policy gate reads the same rules and naming (as data
// for iam.generator_roles_only).
import type { Placement } from './topology.js';

export const platformRoles = ['Viewer', 'Operator', 'Editor', 'Administrator'] as const;
export type PlatformRole = (typeof platformRoles)[number];

/** The Role (and RoleBinding) of a platform role in a deployment's namespace: `<deployment>-<role in lower case>`. */
export function platformRoleName(id: Placement, role: PlatformRole): string {
  return `${id.deployment}${platformRoleNameSuffix(role)}`;
}

/** What the name of a platform role's Role ends with after the deployment's name (the gate tells the roles by it). */
export function platformRoleNameSuffix(role: PlatformRole): string {
  return `-${role.toLowerCase()}`;
}

export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const read = ['get', 'list', 'watch'];
const change = ['create', 'update', 'patch', 'delete'];

/** What every role may read: the deployment's workloads, services, events and logs, never Secrets. */
const viewing: Rule[] = [
  {
    apiGroups: [''],
    resources: ['pods', 'pods/log', 'services', 'endpoints', 'configmaps', 'events', 'persistentvolumeclaims'],
    verbs: read,
  },
  { apiGroups: ['apps'], resources: ['statefulsets', 'deployments', 'replicasets'], verbs: read },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: read },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: read },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: read },
  // Sealed values are ciphertext only the cluster's controller can open.
  { apiGroups: ['bitnami.com'], resources: ['sealedsecrets'], verbs: read },
];

/**
 * Restart a member or portal (delete a pod, evict it, or `rollout restart`, which patches the pod
 * template). No `exec`: a shell in a member can read every password from the mounted Secret, so exec
 * is as strong as reading Secrets and stays with Administrator.
 */
const operating: Rule[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['delete'] },
  { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  { apiGroups: ['apps'], resources: ['statefulsets', 'deployments'], verbs: ['patch'] },
];

/** Change the configuration in place (break-glass: Argo CD's self-heal puts git's version back). */
const editing: Rule[] = [
  { apiGroups: [''], resources: ['configmaps', 'services'], verbs: change },
  { apiGroups: ['apps'], resources: ['statefulsets', 'deployments'], verbs: ['update'] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: change },
  { apiGroups: ['bitnami.com'], resources: ['sealedsecrets'], verbs: change },
];

/** Everything of the namespace's Redis, including Secrets and a shell; still no escalate, bind or impersonate. */
const administering: Rule[] = [
  { apiGroups: [''], resources: ['secrets'], verbs: [...read, ...change] },
  { apiGroups: [''], resources: ['pods/exec', 'pods/portforward'], verbs: ['create'] },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: change },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: read },
];

/** Each platform role's rules: every role has those of the roles before it. */
export const platformRoleRules: Record<PlatformRole, Rule[]> = {
  Viewer: viewing,
  Operator: [...viewing, ...operating],
  Editor: [...viewing, ...operating, ...editing],
  Administrator: [...viewing, ...operating, ...editing, ...administering],
};
