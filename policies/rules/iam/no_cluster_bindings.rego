# METADATA
# title: No cluster-wide role bindings
# description: >-
#   A deployment's manifests grant permissions in their own namespace only: no ClusterRoleBinding
#   (permissions in every namespace), no RoleBinding to a ClusterRole (a cluster-wide role such
#   as admin or edit, whose rules are defined outside the deployment and can widen without review),
#   and no ClusterRole that aggregates into another (labelled rbac.authorization.k8s.io/aggregate-to-*:
#   its rules join admin, edit or view wherever those are bound).
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

# A ClusterRole labelled to aggregate into another (the built-in admin, edit and view select
# `rbac.authorization.k8s.io/aggregate-to-<role>: "true"`): the controller adds its rules to that
# role, which is bound in every namespace already; no binding in the manifests is needed.
violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("ClusterRole")
	_rbac(entry.object)
	labels := [key | some key, _ in object.get(entry.object, ["metadata", "labels"], {}); startswith(key, "rbac.authorization.k8s.io/aggregate-to-")]
	count(labels) > 0
	msg := sprintf(
		"ClusterRole %s is labelled %s: its rules join that cluster role wherever it is bound, in every namespace; use a Role and a RoleBinding in the deployment's namespace",
		[k8s.name(entry.object), concat(", ", sort(labels))],
	)
}

_rbac(obj) if startswith(obj.apiVersion, "rbac.authorization.k8s.io/")

_role(obj) := sprintf("%s %s", [object.get(obj, ["roleRef", "kind"], "a role"), object.get(obj, ["roleRef", "name"], "")])
