# METADATA
# title: RoleBindings grant only the generator's platform roles, unchanged
# description: >-
#   Every RoleBinding binds a Role (not a ClusterRole) named `<deployment>-<role>` for one of the
#   platform roles the gate is given as data (data.redis_gitops.platform_roles: role → the suffix
#   the generator's Role name ends with and its rules, taken from the generator's definitions:
#   viewer, operator, editor, administrator), and that Role is among the same namespace's manifests
#   with exactly those rules (order aside). A hand-edited Role with one more verb, or a binding to
#   a Role the review never saw, grants what no reviewer approved. The generator's own workloads'
#   Roles (data.redis_gitops.workload_roles: the rollout Job's, `<deployment>-rollout`, which may get
#   and delete the member pods by name) are accepted only with exactly their rules, for that
#   deployment's names, and bound only to the ServiceAccount of the same name.
# custom:
#   severity: error
#   remediation: >-
#     Grant access through access.platform in the deployment file (synth writes the Role and the
#     RoleBinding); do not edit the generated Roles or add Roles of your own.
package rules.iam.generator_roles_only

import data.lib.k8s

# The Roles of the namespace by name; a name may come twice (two files), and each is judged.
_roles[k8s.name(entry.object)] contains entry.object if {
	some entry in k8s.of_kind("Role")
}

# The platform role a Role name stands for, by the suffix the generator names its Role with
# ("orders-viewer" gives "viewer").
_platform_role(name) := role if {
	some role, platform_role in data.redis_gitops.platform_roles
	endswith(name, platform_role.name_suffix)
}

# The generator's workload role a Role name stands for ("orders-rollout" gives "rollout").
_workload_role(name) := role if {
	some role, workload_role in data.redis_gitops.workload_roles
	endswith(name, workload_role.name_suffix)
}

# The rules a generator's Role of this name must have: a platform role's, or a workload role's with
# the deployment's name filled into its resource names.
_expected_rules(name) := data.redis_gitops.platform_roles[_platform_role(name)].rules

_expected_rules(name) := rules if {
	role := _workload_role(name)
	deployment := trim_suffix(name, data.redis_gitops.workload_roles[role].name_suffix)
	rules := [filled |
		some rule in data.redis_gitops.workload_roles[role].rules
		filled := object.union(rule, {"resourceNames": [replace(n, "{deployment}", deployment) | some n in rule.resourceNames]})
	]
}

_generator_role(name) if _platform_role(name)

_generator_role(name) if _workload_role(name)

_known := concat(", ", sort([role | some role, _ in data.redis_gitops.platform_roles]))

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("RoleBinding")
	entry.object.roleRef.kind == "Role"
	not _generator_role(entry.object.roleRef.name)
	msg := sprintf(
		"RoleBinding %s binds Role %s, which is not a platform role of the generator (<deployment>-<role>, role one of: %s)",
		[k8s.name(entry.object), entry.object.roleRef.name, _known],
	)
}

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("RoleBinding")
	entry.object.roleRef.kind == "Role"
	_generator_role(entry.object.roleRef.name)
	not _roles[entry.object.roleRef.name]
	msg := sprintf("RoleBinding %s binds Role %s, which is not among the manifests: its rules cannot be checked", [k8s.name(entry.object), entry.object.roleRef.name])
}

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("RoleBinding")
	name := entry.object.roleRef.name
	expected := _expected_rules(name)
	some bound in _roles[name]
	_normalized(object.get(bound, "rules", [])) != _normalized(expected)
	msg := sprintf("RoleBinding %s binds Role %s, whose rules differ from the generator's", [k8s.name(entry.object), name])
}

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("RoleBinding")
	name := entry.object.roleRef.name
	_workload_role(name)
	own := [{"kind": "ServiceAccount", "name": name, "namespace": k8s.resource(entry.object).namespace}]
	[{"kind": s.kind, "name": s.name, "namespace": object.get(s, "namespace", "")} | some s in object.get(entry.object, "subjects", [])] != own
	msg := sprintf("RoleBinding %s binds the generator's workload Role %s to someone other than its own ServiceAccount %s", [k8s.name(entry.object), name, name])
}

# Rules as a set of sorted-field rules, so that order does not matter.
_normalized(rules) := {r |
	some rule in rules
	r := {field: sort(object.get(rule, field, [])) | some field in {"apiGroups", "resources", "resourceNames", "verbs", "nonResourceURLs"}}
}
