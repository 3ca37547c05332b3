# METADATA
# title: Containers run as non-root, without privilege escalation, with all capabilities dropped
# description: >-
#   Every container, init container and ephemeral container of every pod template (Pod,
#   Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob) ends up
#   with runAsNonRoot true (its own securityContext, else the pod's), allowPrivilegeEscalation
#   false and capabilities.drop containing "ALL" (both in its own securityContext, as the pod-level
#   securityContext has neither).
# custom:
#   severity: error
#   remediation: >-
#     Set securityContext.runAsNonRoot true on the pod (or each container), and on each container
#     securityContext.allowPrivilegeEscalation false and securityContext.capabilities.drop ["ALL"]
#     (add back only the capabilities it needs).
package rules.security.pod_hardened

import data.lib.k8s

violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	some c in k8s.containers(entry.object)
	problems := _problems(c.container, k8s.pod_security_context(entry.object))
	count(problems) > 0
	msg := sprintf(
		"%s %s of %s %s: %s",
		[c.role, object.get(c.container, "name", ""), entry.object.kind, k8s.name(entry.object), concat("; ", problems)],
	)
}

_problems(container, pod_context) := array.concat(
	array.concat(_non_root(container, pod_context), _no_escalation(container)),
	_drop_all(container),
)

_non_root(container, pod_context) := [] if {
	_run_as_non_root(container, pod_context) == true
} else := ["runAsNonRoot is not true (set it in the container or pod securityContext)"]

# The container's own setting wins over the pod's.
_run_as_non_root(container, _) := container.securityContext.runAsNonRoot

_run_as_non_root(container, pod_context) := pod_context.runAsNonRoot if {
	not _has(object.get(container, "securityContext", {}), "runAsNonRoot")
}

_no_escalation(container) := [] if {
	container.securityContext.allowPrivilegeEscalation == false
} else := ["allowPrivilegeEscalation is not false"]

_drop_all(container) := [] if {
	"ALL" in container.securityContext.capabilities.drop
} else := [`capabilities.drop does not contain "ALL"`]

_has(obj, key) if _ = obj[key]
