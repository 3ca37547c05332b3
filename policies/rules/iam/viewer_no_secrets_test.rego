package rules.iam.viewer_no_secrets_test

import data.lib.testing
import data.rules.iam.viewer_no_secrets

_role(name, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": testing.meta(name), "rules": rules}

_messages(objects) := msgs if {
	msgs := testing.messages(viewer_no_secrets.violation) with input as testing.input_of(objects)
}

test_viewers_without_secrets_and_administrators_pass if {
	count(_messages([_role("cache-viewer", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}, {"apiGroups": ["bitnami.com"], "resources": ["sealedsecrets"], "verbs": ["get"]}])])) == 0
	count(_messages([_role("cache-administrator", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "update"]}])])) == 0
	count(_messages([_role("empty", [])])) == 0
}

test_viewer_like_roles_reading_secrets if {
	_messages([
		_role("cache-view", [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "delete"]}]),
		_role("readers", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["list"]}]),
	]) == {
		"Role cache-view is a viewer role but rule 1 grants get, delete on secrets",
		"Role readers is a viewer role but rule 1 grants list on *",
	}
}
