# METADATA
# title: Viewer roles never read Secrets
# description: >-
#   A viewer-like Role or ClusterRole (named *-viewer or *-view, or one whose verbs are all get,
#   list and watch) grants nothing on Secrets of the core API group (resource secrets, or "*"):
#   read access to Secrets is read access to every password and private key of the namespace, which
#   is the Administrator's.
# custom:
#   severity: error
#   remediation: >-
#     Remove secrets from the viewer role; SealedSecrets (ciphertext) may be read instead.
package rules.iam.viewer_no_secrets

import data.lib.k8s

_read_verbs := {"get", "list", "watch"}

violation contains k8s.violation(entry, msg) if {
	some kind in {"Role", "ClusterRole"}
	some entry in k8s.of_kind(kind)
	_viewer_like(entry.object)
	some i, rule in object.get(entry.object, "rules", [])
	some group in object.get(rule, "apiGroups", [])
	group in {"", "*"}
	some resource in object.get(rule, "resources", [])
	resource in {"secrets", "*"}
	msg := sprintf("%s %s is a viewer role but rule %d grants %s on %s", [kind, k8s.name(entry.object), i + 1, concat(", ", object.get(rule, "verbs", [])), resource])
}

_viewer_like(role) if {
	some suffix in {"-viewer", "-view"}
	endswith(k8s.name(role), suffix)
}

_viewer_like(role) if {
	verbs := {lower(verb) | some rule in object.get(role, "rules", []); some verb in object.get(rule, "verbs", [])}
	count(verbs) > 0
	count(verbs - _read_verbs) == 0
}
