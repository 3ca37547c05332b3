# METADATA
# title: Roles name their verbs and resources
# description: >-
#   No rule of a Role or ClusterRole has the wildcard "*" among its verbs, resources or apiGroups: a
#   wildcard grants today's and every future verb and resource (subresources such as pods/exec and
#   secrets included) without anyone having reviewed them.
# custom:
#   severity: error
#   remediation: List the verbs, resources and API groups the role needs, one by one.
package rules.iam.no_wildcards

import data.lib.k8s

violation contains k8s.violation(entry, msg) if {
	some kind in {"Role", "ClusterRole"}
	some entry in k8s.of_kind(kind)
	some i, rule in object.get(entry.object, "rules", [])
	some field in ["verbs", "resources", "apiGroups"]
	"*" in object.get(rule, field, [])
	msg := sprintf("%s %s rule %d has \"*\" in %s", [kind, k8s.name(entry.object), i + 1, field])
}
