# METADATA
# title: The gate's entry point
# description: >-
#   gate/violations collects the violations of every rule package data.rules.<area>.<name>
#   (policies/rules/<area>/<name>.rego) and names each by its package: rule id "<area>.<name>".
#   Title, severity and remediation come from the packages' METADATA, via build/rules.json.
#
#   Input, one evaluation per group of documents: {"namespace": string | null, "resources":
#   [{"file", "object"}], "cluster_resources": [{"file", "object"}]}. Each violation is
#   {"rule", "msg", "resource": {"apiVersion", "kind", "namespace", "name"}, "file"}.
package gate

violations contains violation if {
	some area, name
	some raw in data.rules[area][name].violation
	violation := {
		"rule": concat(".", [area, name]),
		"msg": raw.msg,
		"resource": raw.resource,
		"file": raw.file,
	}
}
