# METADATA
# title: No cluster-wide role bindings
# description: >-
#   A deployment's manifests grant permissions in their own namespace only: no ClusterRoleBinding
#   (permissions in every namespace), and no RoleBinding to a ClusterRole (a cluster-wide role such
#   as admin or edit, whose rules are defined outside the deployment and can widen without review).
# custom:
#   severity: error
#   remediation: >-
#     Define a namespaced Role with the least permissions the workload needs and bind it with a
#     RoleBinding whose roleRef.kind is Role.
package rules.iam.no_cluster_bindings

import data.lib.k8s

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("ClusterRoleBinding")
	_rbac(entry.object)
	msg := sprintf(
		"ClusterRoleBinding %s grants %s in every namespace: use a Role and a RoleBinding in the deployment's namespace",
		[k8s.name(entry.object), _role(entry.object)],
	)
}

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("RoleBinding")
	_rbac(entry.object)
	entry.object.roleRef.kind == "ClusterRole"
	msg := sprintf(
		"RoleBinding %s binds %s: bind a namespaced Role instead",
		[k8s.name(entry.object), _role(entry.object)],
	)
}

_rbac(obj) if startswith(obj.apiVersion, "rbac.authorization.k8s.io/")

_role(obj) := sprintf("%s %s", [object.get(obj, ["roleRef", "kind"], "a role"), object.get(obj, ["roleRef", "name"], "")])
