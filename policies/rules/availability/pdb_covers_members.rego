# METADATA
# title: A PodDisruptionBudget lets one member go at a time
# description: >-
#   Every StatefulSet (a sentinel cluster member) is selected by a PodDisruptionBudget among the
#   same input's resources (same namespace) whose spec.selector.matchLabels is non-empty and
#   selects the StatefulSet's pod template labels (matchExpressions, if any, must match too), and
#   that budget has maxUnavailable 1 exactly. Decision: maxUnavailable 0 is refused as it blocks
#   every node drain, so cluster upgrades stall; more than 1, a percentage, or minAvailable (whether
#   it implies at most one unavailable depends on replica counts the budget does not state) could
#   let a drain evict two members of a three-member sentinel cluster at once and lose its quorum.
# custom:
#   severity: error
#   remediation: >-
#     Add a PodDisruptionBudget with maxUnavailable 1 whose selector.matchLabels selects every
#     member of the cluster (e.g. app.kubernetes.io/instance and app.kubernetes.io/component).
package rules.availability.pdb_covers_members

import data.lib.k8s

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("StatefulSet")
	count(k8s.budgets_selecting(entry.object)) == 0
	msg := sprintf(
		"no PodDisruptionBudget selects the pods of StatefulSet %s (one whose non-empty matchLabels match its pod template labels)",
		[k8s.name(entry.object)],
	)
}

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("StatefulSet")
	some pdb in k8s.budgets_selecting(entry.object)
	not _one_at_a_time(pdb)
	msg := sprintf(
		"PodDisruptionBudget %s selects the pods of StatefulSet %s but %s: set maxUnavailable 1",
		[k8s.name(pdb), k8s.name(entry.object), _allowance(pdb)],
	)
}

_one_at_a_time(pdb) if {
	not _has_min_available(pdb)
	pdb.spec.maxUnavailable == 1
	is_number(pdb.spec.maxUnavailable)
}

_has_min_available(pdb) if _ = pdb.spec.minAvailable

_allowance(pdb) := sprintf("sets minAvailable %s", [_int_or_string(pdb.spec.minAvailable)]) if {
	_has_min_available(pdb)
} else := sprintf("has maxUnavailable %s", [_int_or_string(pdb.spec.maxUnavailable)]) if {
	_ = pdb.spec.maxUnavailable
} else := "sets neither maxUnavailable nor minAvailable"

_int_or_string(value) := format_int(value, 10) if is_number(value)

else := value
