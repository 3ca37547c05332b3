import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { componentLabels, type Identity } from '../model/labels.js';
import { platformRoleName, platformRoleRules, type PlatformRole, type Rule } from '../model/platform-roles.js';

export interface AccessBindingsProps {
  /** The deployment's identity: the Roles' names derive from it, and service accounts are of its namespace. */
  id: Identity;
  /**
   * Who gets which platform role, each grant naming exactly one subject. A role without grants gets
   * its Role and no RoleBinding.
   */
  grants: readonly {
    /**
     * An identity-provider group.
     * @default - none: the grant names a service account
     */
    group?: string;
    /**
     * A service account of the deployment's namespace.
     * @default - none: the grant names a group
     */
    serviceAccount?: string;
    /** The platform role granted. */
    role: PlatformRole;
  }[];
}

/**
 * Platform roles as namespaced Roles, and one RoleBinding per role that has grants, binding groups
 * (or service accounts of the namespace) only: no ClusterRole, no ClusterRoleBinding, no user subjects.
 */
export class AccessBindings extends Construct {
  constructor(scope: Construct, id: string, props: AccessBindingsProps) {
    super(scope, id);
    const labels = componentLabels('access');
    for (const [role, rules] of Object.entries(platformRoleRules) as [PlatformRole, Rule[]][]) {
      const name = platformRoleName(props.id, role);
      new k8s.KubeRole(this, `${role}Role`, { metadata: { name, labels }, rules });
      const subjects: k8s.Subject[] = props.grants
        .filter((g) => g.role === role)
        .map((g) =>
          g.group !== undefined
            ? { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: g.group }
            : { kind: 'ServiceAccount', name: g.serviceAccount!, namespace: props.id.namespace },
        );
      if (subjects.length) {
        new k8s.KubeRoleBinding(this, `${role}Binding`, {
          metadata: { name, labels },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
          subjects,
        });
      }
    }
  }
}
