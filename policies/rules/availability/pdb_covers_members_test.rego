package rules.availability.pdb_covers_members_test

import data.rules.availability.pdb_covers_members

_member_labels := {"app.kubernetes.io/instance": "orders", "app.kubernetes.io/component": "member", "redis-gitops.dev/member": "data-0"}

_statefulset := {
	"file": "dist/c1/orders/statefulset-orders-data-0.yaml",
	"object": {
		"apiVersion": "apps/v1",
		"kind": "StatefulSet",
		"metadata": {"name": "orders-data-0", "namespace": "redis-orders"},
		"spec": {"template": {"metadata": {"labels": _member_labels}, "spec": {"containers": []}}},
	},
}

_pdb(spec) := {
	"file": "dist/c1/orders/poddisruptionbudget-orders-members.yaml",
	"object": {
		"apiVersion": "policy/v1",
		"kind": "PodDisruptionBudget",
		"metadata": {"name": "orders-members", "namespace": "redis-orders"},
		"spec": spec,
	},
}

_members_selector := {"matchLabels": {"app.kubernetes.io/instance": "orders", "app.kubernetes.io/component": "member"}}

_messages(resources) := {v.msg | some v in pdb_covers_members.violation with input as {"resources": resources}}

test_covered_statefulset_passes if {
	count(_messages([_statefulset, _pdb({"maxUnavailable": 1, "selector": _members_selector})])) == 0
}

test_match_expressions_are_honoured if {
	exists := {"key": "redis-gitops.dev/member", "operator": "Exists"}
	in_ := {"key": "redis-gitops.dev/member", "operator": "In", "values": ["data-0", "data-1"]}
	not_in := {"key": "redis-gitops.dev/member", "operator": "NotIn", "values": ["tiebreaker"]}
	absent := {"key": "example.com/canary", "operator": "DoesNotExist"}
	selector := object.union(_members_selector, {"matchExpressions": [exists, in_, not_in, absent]})
	count(_messages([_statefulset, _pdb({"maxUnavailable": 1, "selector": selector})])) == 0

	excluded := object.union(_members_selector, {"matchExpressions": [{"key": "redis-gitops.dev/member", "operator": "NotIn", "values": ["data-0"]}]})
	count(_messages([_statefulset, _pdb({"maxUnavailable": 1, "selector": excluded})])) == 1
}

test_statefulset_without_budget_is_flagged if {
	violations := pdb_covers_members.violation with input as {"resources": [_statefulset]}
	violations == {{
		"msg": "no PodDisruptionBudget selects the pods of StatefulSet orders-data-0 (one whose non-empty matchLabels match its pod template labels)",
		"resource": {"apiVersion": "apps/v1", "kind": "StatefulSet", "namespace": "redis-orders", "name": "orders-data-0"},
		"file": "dist/c1/orders/statefulset-orders-data-0.yaml",
	}}
}

test_budget_selecting_other_pods_does_not_count if {
	count(_messages([_statefulset, _pdb({"maxUnavailable": 1, "selector": {"matchLabels": {"app": "something-else"}}})])) == 1
}

test_empty_selector_does_not_count if {
	count(_messages([_statefulset, _pdb({"maxUnavailable": 1, "selector": {}})])) == 1
}

test_budget_of_another_namespace_does_not_count if {
	pdb := _pdb({"maxUnavailable": 1, "selector": _members_selector})
	other := object.union(pdb, {"object": {"metadata": {"name": "orders-members", "namespace": "other"}}})
	count(_messages([_statefulset, other])) == 1
}

test_budget_must_allow_exactly_one_unavailable if {
	_messages([_statefulset, _pdb({"maxUnavailable": 2, "selector": _members_selector})]) == {"PodDisruptionBudget orders-members selects the pods of StatefulSet orders-data-0 but has maxUnavailable 2: set maxUnavailable 1"}
	_messages([_statefulset, _pdb({"maxUnavailable": 0, "selector": _members_selector})]) == {"PodDisruptionBudget orders-members selects the pods of StatefulSet orders-data-0 but has maxUnavailable 0: set maxUnavailable 1"}
	_messages([_statefulset, _pdb({"maxUnavailable": "50%", "selector": _members_selector})]) == {"PodDisruptionBudget orders-members selects the pods of StatefulSet orders-data-0 but has maxUnavailable 50%: set maxUnavailable 1"}
	_messages([_statefulset, _pdb({"minAvailable": 2, "selector": _members_selector})]) == {"PodDisruptionBudget orders-members selects the pods of StatefulSet orders-data-0 but sets minAvailable 2: set maxUnavailable 1"}
	_messages([_statefulset, _pdb({"selector": _members_selector})]) == {"PodDisruptionBudget orders-members selects the pods of StatefulSet orders-data-0 but sets neither maxUnavailable nor minAvailable: set maxUnavailable 1"}
}
