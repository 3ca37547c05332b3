# METADATA
# title: Containers run restricted (non-root, no privilege escalation, no capabilities, seccomp)
# description: >-
#   Every container, init container and ephemeral container of every pod template (Pod,
#   Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob) ends up
#   with runAsNonRoot true (its own securityContext, else the pod's), allowPrivilegeEscalation
#   false, capabilities.drop containing "ALL" (both in its own securityContext, as the pod-level
#   securityContext has neither), not privileged, and a seccomp profile of type RuntimeDefault or
#   Localhost (its own, else the pod's): the Pod Security Standard "restricted", which the
#   generated namespaces enforce, so a manifest that fails here would be refused by the cluster.
# custom:
#   severity: error
#   remediation: >-
#     Set securityContext.runAsNonRoot true on the pod (or each container), and on each container
#     securityContext.allowPrivilegeEscalation false and securityContext.capabilities.drop ["ALL"]
#     (add back only NET_BIND_SERVICE if needed), and securityContext.seccompProfile.type
#     RuntimeDefault on the pod; never privileged.
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

_problems(container, pod_context) := array.flatten([
	_non_root(container, pod_context),
	_no_escalation(container),
	_drop_all(container),
	_unprivileged(container),
	_seccomp(container, pod_context),
])

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

_unprivileged(container) := ["privileged is true"] if {
	container.securityContext.privileged == true
} else := []

# The container's own profile wins over the pod's.
_seccomp(container, pod_context) := [] if {
	_seccomp_type(container, pod_context) in {"RuntimeDefault", "Localhost"}
} else := ["seccompProfile.type is not RuntimeDefault or Localhost (set it in the pod or container securityContext)"]

_seccomp_type(container, _) := container.securityContext.seccompProfile.type

_seccomp_type(container, pod_context) := pod_context.seccompProfile.type if {
	not _has(object.get(container, "securityContext", {}), "seccompProfile")
}
