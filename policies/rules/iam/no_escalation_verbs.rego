# METADATA
# title: No role can escalate, bind or impersonate
# description: >-
#   No rule of a Role or ClusterRole grants the verbs escalate (create or change roles with more
#   permissions than the holder has), bind (bind roles the holder does not have) or impersonate (act
#   as another user, group or service account): each lets the holder raise its own permissions.
# custom:
#   severity: error
#   remediation: Remove escalate, bind and impersonate; role changes go through Git and review.
package rules.iam.no_escalation_verbs

import data.lib.k8s

violation contains k8s.violation(entry, msg) if {
	some kind in {"Role", "ClusterRole"}
	some entry in k8s.of_kind(kind)
	some i, rule in object.get(entry.object, "rules", [])
	some verb in object.get(rule, "verbs", [])
	lower(verb) in {"escalate", "bind", "impersonate"}
	msg := sprintf("%s %s rule %d grants %s (on %s)", [kind, k8s.name(entry.object), i + 1, verb, concat(", ", object.get(rule, "resources", []))])
}
