# METADATA
# title: Pods do not share the node's namespaces
# description: >-
#   No pod template sets hostNetwork, hostPID or hostIPC: a pod in the node's network namespace
#   listens on the node's addresses past every NetworkPolicy, and one in its PID or IPC namespace can
#   see and signal the node's processes (other tenants' redis among them).
# custom:
#   severity: error
#   remediation: Remove hostNetwork, hostPID and hostIPC (they default to false).
package rules.security.no_host_namespaces

import data.lib.k8s

violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	spec := object.get(k8s.pod_template(entry.object), "spec", {})
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	spec[field] == true
	msg := sprintf("%s %s sets %s", [entry.object.kind, k8s.name(entry.object), field])
}
