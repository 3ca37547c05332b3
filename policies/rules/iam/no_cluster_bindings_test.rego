package rules.iam.no_cluster_bindings_test

import data.rules.iam.no_cluster_bindings

_binding(kind, role_kind, namespace) := {"resources": [{
	"file": "dist/c1/orders/binding.yaml",
	"object": {
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind": kind,
		"metadata": object.union({"name": "ops"}, namespace),
		"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": "admin"},
		"subjects": [{"kind": "Group", "name": "ops", "apiGroup": "rbac.authorization.k8s.io"}],
	},
}]}

test_cluster_role_binding_is_flagged if {
	violations := no_cluster_bindings.violation with input as _binding("ClusterRoleBinding", "ClusterRole", {})
	violations == {{
		"msg": "ClusterRoleBinding ops grants ClusterRole admin in every namespace: use a Role and a RoleBinding in the deployment's namespace",
		"resource": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "namespace": "", "name": "ops"},
		"file": "dist/c1/orders/binding.yaml",
	}}
}

test_role_binding_to_cluster_role_is_flagged if {
	violations := no_cluster_bindings.violation with input as _binding("RoleBinding", "ClusterRole", {"namespace": "redis-orders"})
	some v in violations
	v.msg == "RoleBinding ops binds ClusterRole admin: bind a namespaced Role instead"
	v.resource.namespace == "redis-orders"
}

test_role_binding_to_role_is_allowed if {
	count(no_cluster_bindings.violation) == 0 with input as _binding("RoleBinding", "Role", {"namespace": "redis-orders"})
}

test_other_api_groups_are_ignored if {
	other := {"resources": [{"file": "x.yaml", "object": {"apiVersion": "example.com/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "x"}}}]}
	count(no_cluster_bindings.violation) == 0 with input as other
}

_cluster_role(labels) := {"resources": [{"file": "cr.yaml", "object": {
	"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
	"metadata": {"name": "extra", "labels": labels},
	"rules": [{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}],
}}]}

test_cluster_role_that_aggregates_into_another if {
	[v.msg | some v in no_cluster_bindings.violation with input as _cluster_role({"rbac.authorization.k8s.io/aggregate-to-edit": "true", "app": "x"})] == ["ClusterRole extra is labelled rbac.authorization.k8s.io/aggregate-to-edit: its rules join that cluster role wherever it is bound, in every namespace; use a Role and a RoleBinding in the deployment's namespace"]
	count(no_cluster_bindings.violation) == 0 with input as _cluster_role({"app": "x"})
}
