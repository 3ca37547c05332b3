package rules.iam.generator_roles_only_test

import data.lib.testing
import data.rules.iam.generator_roles_only

_roles := {
	"viewer": {"name_suffix": "-viewer", "rules": [{"apiGroups": [""], "resources": ["pods", "services"], "verbs": ["get", "list"]}]},
	"operator": {"name_suffix": "-operator", "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]}]},
}

# As policyData gives it: the rollout Job's Role, `{deployment}` standing for the deployment's name.
_workload_roles := {"rollout": {"name_suffix": "-rollout", "rules": [
	{"apiGroups": [""], "resources": ["pods"], "resourceNames": ["{deployment}-data-0-0"], "verbs": ["get", "delete"]},
	{"apiGroups": ["apps"], "resources": ["statefulsets"], "resourceNames": ["{deployment}-data-0"], "verbs": ["get"]},
]}}

_messages(objects) := msgs if {
	msgs := testing.messages(generator_roles_only.violation) with input as testing.input_of(objects)
		with data.redis_gitops.platform_roles as _roles
		with data.redis_gitops.workload_roles as _workload_roles
}

_rollout_rules(deployment) := [
	{"apiGroups": [""], "resources": ["pods"], "resourceNames": [sprintf("%s-data-0-0", [deployment])], "verbs": ["delete", "get"]},
	{"apiGroups": ["apps"], "resources": ["statefulsets"], "resourceNames": [sprintf("%s-data-0", [deployment])], "verbs": ["get"]},
]

_own_account(binding, name) := object.union(binding, {"subjects": [{"kind": "ServiceAccount", "name": name, "namespace": testing.namespace}]})

test_workload_role_unchanged_and_bound_to_its_own_account_passes if {
	count(_messages([_role("cache-rollout", _rollout_rules("cache")), _own_account(_binding("cache-rollout", "Role", "cache-rollout"), "cache-rollout")])) == 0
}

test_workload_role_for_other_names_more_rights_or_other_subjects if {
	_messages([
		# The pods of another deployment.
		_role("cache-rollout", _rollout_rules("orders")),
		_own_account(_binding("a", "Role", "cache-rollout"), "cache-rollout"),
		# Right rules, but bound to a group.
		_role("web-rollout", _rollout_rules("web")),
		_binding("b", "Role", "web-rollout"),
	]) == {
		"RoleBinding a binds Role cache-rollout, whose rules differ from the generator's",
		"RoleBinding b binds the generator's workload Role web-rollout to someone other than its own ServiceAccount web-rollout",
	}
}

_role(name, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": testing.meta(name), "rules": rules}

_binding(name, kind, role) := {
	"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": testing.meta(name),
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
	"subjects": [{"kind": "Group", "name": "g"}],
}

test_generator_role_unchanged_passes if {
	# Order within and between rules does not matter.
	count(_messages([_role("cache-viewer", [{"verbs": ["list", "get"], "resources": ["services", "pods"], "apiGroups": [""]}]), _binding("b", "Role", "cache-viewer")])) == 0

	# A ClusterRole binding is iam.no_cluster_bindings' to report.
	count(_messages([_binding("b", "ClusterRole", "admin")])) == 0
}

test_other_missing_and_changed_roles if {
	_messages([
		_role("cache-operator", [{"apiGroups": [""], "resources": ["pods", "pods/exec"], "verbs": ["delete", "create"]}]),
		_binding("a", "Role", "debug-shell"),
		_binding("b", "Role", "cache-viewer"),
		_binding("c", "Role", "cache-operator"),
	]) == {
		"RoleBinding a binds Role debug-shell, which is not a platform role of the generator (<deployment>-<role>, role one of: operator, viewer)",
		"RoleBinding b binds Role cache-viewer, which is not among the manifests: its rules cannot be checked",
		"RoleBinding c binds Role cache-operator, whose rules differ from the generator's",
	}
}

test_roles_are_told_by_the_suffix_given_as_data if {
	# The suffix comes from the generator's naming rule, not from the role's key.
	roles := {"viewer": {"name_suffix": ".view", "rules": []}}
	msgs := testing.messages(generator_roles_only.violation) with input as testing.input_of([
		_role("cache.view", []),
		_binding("a", "Role", "cache.view"),
		_binding("b", "Role", "cache-viewer"),
	])
		with data.redis_gitops.platform_roles as roles
		with data.redis_gitops.workload_roles as {}
	msgs == {"RoleBinding b binds Role cache-viewer, which is not a platform role of the generator (<deployment>-<role>, role one of: viewer)"}
}
