package rules.iam.no_escalation_verbs_test

import data.lib.testing
import data.rules.iam.no_escalation_verbs

_role(rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": testing.meta("r"), "rules": rules}

_messages(objects) := msgs if {
	msgs := testing.messages(no_escalation_verbs.violation) with input as testing.input_of(objects)
}

test_ordinary_verbs_pass if {
	count(_messages([_role([{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["get", "list"]}])])) == 0
}

test_escalate_bind_impersonate if {
	_messages([_role([
		{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "clusterroles"], "verbs": ["Escalate", "bind"]},
		{"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]},
	])]) == {
		"Role r rule 1 grants Escalate (on roles, clusterroles)",
		"Role r rule 1 grants bind (on roles, clusterroles)",
		"Role r rule 2 grants impersonate (on users)",
	}
}
