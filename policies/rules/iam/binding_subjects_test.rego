package rules.iam.binding_subjects_test

import data.lib.testing
import data.rules.iam.binding_subjects

_binding(kind, subjects) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": testing.meta("b"), "roleRef": {"kind": "Role", "name": "r"}, "subjects": subjects}

_messages(objects) := msgs if {
	msgs := testing.messages(binding_subjects.violation) with input as testing.input_of(objects)
}

test_groups_and_own_service_accounts_pass if {
	count(_messages([_binding("RoleBinding", [
		{"kind": "Group", "name": "sre"},
		{"kind": "ServiceAccount", "name": "sa", "namespace": testing.namespace},
		{"kind": "ServiceAccount", "name": "sa2"},
	])])) == 0
}

test_users_system_groups_and_foreign_accounts if {
	_messages([_binding("ClusterRoleBinding", [
		{"kind": "User", "name": "system:anonymous"},
		{"kind": "Group", "name": "system:unauthenticated"},
		{"kind": "Group", "name": "system:masters"},
		{"kind": "User", "name": "alice"},
		{"kind": "ServiceAccount", "name": "ci", "namespace": "build"},
		{"kind": "Robot", "name": "r2"},
	])]) == {
		"ClusterRoleBinding b: subject User system:anonymous is a built-in group that takes in anonymous or every authenticated caller",
		"ClusterRoleBinding b: subject Group system:unauthenticated is a built-in group that takes in anonymous or every authenticated caller",
		"ClusterRoleBinding b: subject Group system:masters is a Kubernetes system group",
		"ClusterRoleBinding b: subject User alice is a user: bind a group instead",
		"ClusterRoleBinding b: subject ServiceAccount ci belongs to namespace build, not the binding's",
		"ClusterRoleBinding b: subject Robot r2 is neither a Group nor a ServiceAccount",
	}
}
