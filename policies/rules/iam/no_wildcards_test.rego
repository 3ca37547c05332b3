package rules.iam.no_wildcards_test

import data.lib.testing
import data.rules.iam.no_wildcards

_role(kind, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": testing.meta("r"), "rules": rules}

_messages(objects) := msgs if {
	msgs := testing.messages(no_wildcards.violation) with input as testing.input_of(objects)
}

test_named_rules_pass if {
	count(_messages([_role("Role", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}])])) == 0
}

test_wildcards_are_flagged if {
	_messages([_role("ClusterRole", [{"apiGroups": ["*"], "resources": ["pods"], "verbs": ["get"]}, {"apiGroups": [""], "resources": ["*"], "verbs": ["*"]}])]) == {
		"ClusterRole r rule 1 has \"*\" in apiGroups",
		"ClusterRole r rule 2 has \"*\" in resources",
		"ClusterRole r rule 2 has \"*\" in verbs",
	}
}
