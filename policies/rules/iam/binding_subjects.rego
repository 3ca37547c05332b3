# METADATA
# title: Bindings name groups or the namespace's service accounts only
# description: >-
#   Every subject of a RoleBinding or ClusterRoleBinding is an identity-provider Group or a
#   ServiceAccount of the binding's own namespace. Users are refused (access follows group
#   membership, which the identity provider revokes in one place), so are service accounts of other
#   namespaces, and so are Kubernetes' built-in groups system:anonymous, system:unauthenticated and
#   system:authenticated (everyone, or everyone with any credential) and every other system: group.
# custom:
#   severity: error
#   remediation: >-
#     Bind a group of the identity provider (access.platform[].group) or a service account of the
#     deployment's namespace (access.platform[].serviceAccount).
package rules.iam.binding_subjects

import data.lib.k8s

violation contains k8s.violation(entry, msg) if {
	some kind in {"RoleBinding", "ClusterRoleBinding"}
	some entry in k8s.of_kind(kind)
	some subject in object.get(entry.object, "subjects", [])
	problem := _problem(subject, object.get(entry.object, ["metadata", "namespace"], ""))
	msg := sprintf("%s %s: subject %s %s %s", [kind, k8s.name(entry.object), subject.kind, subject.name, problem])
}

_problem(subject, namespace) := "is a built-in group that takes in anonymous or every authenticated caller" if {
	subject.kind in {"Group", "User"}
	subject.name in {"system:anonymous", "system:unauthenticated", "system:authenticated"}
} else := "is a Kubernetes system group" if {
	subject.kind == "Group"
	startswith(subject.name, "system:")
} else := "is a user: bind a group instead" if {
	subject.kind == "User"
} else := sprintf("belongs to namespace %s, not the binding's", [subject.namespace]) if {
	subject.kind == "ServiceAccount"
	subject.namespace != ""
	subject.namespace != namespace
} else := "is neither a Group nor a ServiceAccount" if {
	not subject.kind in {"Group", "ServiceAccount"}
}
