# METADATA
# title: The gate's entry point
# description: >-
#   gate/violations collects the violations of every rule package data.rules.<area>.<name>
#   (policies/rules/<area>/<name>.rego) and names each by its package: rule id "<area>.<name>".
#   Title, severity and remediation come from the packages' METADATA, via build/rules.json.
#
#   Input, one evaluation per group of documents: {"namespace": string | null, "resources":
#   [{"file", "object"}], "cluster_resources": [{"file", "object"}], "today": "YYYY-MM-DD"}; a
#   namespace's own Namespace object is among its resources, other Namespaces are not shown. Each
#   violation is {"rule", "msg", "resource": {"apiVersion", "kind", "namespace", "name"}, "file"},
#   plus "waiver": {"reason", "expires"} when a waiver on the object is in force for it (see
#   lib/waivers.rego): a waived finding is still reported, so that waivers stay visible.
package gate

import data.lib.waivers

violations contains object.union(violation, _waiver(violation)) if {
	some area, name
	some raw in data.rules[area][name].violation
	violation := {
		"rule": concat(".", [area, name]),
		"msg": raw.msg,
		"resource": raw.resource,
		"file": raw.file,
	}
}

_waiver(violation) := {"waiver": found[0]} if {
	found := [w |
		some entry in waivers.entries_by_identity[[violation.file, violation.resource]]
		w := waivers.in_force(entry, violation.rule)
	]
	count(found) > 0
} else := {}
