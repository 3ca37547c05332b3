# METADATA
# title: No Service reaches a plaintext Redis port
# description: >-
#   A Service whose selector selects the pods of a workload of the same namespace, and one of whose
#   ports targets (by number, or by a container port's name) a port that a redis or sentinel in
#   those pods leaves open in plaintext, publishes plaintext Redis. The plaintext ports of a pod are
#   those its redis command lines open (`--port N`, or the default when there is neither a
#   configuration file nor `--port 0`) and those of every redis configuration in a ConfigMap the pod
#   mounts (`port N`, or the default when the configuration has no `port`).
# custom:
#   severity: error
#   remediation: >-
#     Close the plaintext port (`port 0` and a `tls-port`) and point the Service at the TLS port,
#     or at HAProxy portals that terminate TLS.
package rules.tls.service_plaintext_port

import data.lib.k8s
import data.lib.redis

violation contains k8s.violation(service, msg) if {
	some service in k8s.of_kind("Service")
	selector := object.get(service.object, ["spec", "selector"], {})
	count(selector) > 0
	some w in k8s.workloads
	k8s.selector_matches({"matchLabels": selector}, w.labels)
	workload := w.entry
	open := redis.plaintext_ports(workload.object)
	some port in object.get(service.object, ["spec", "ports"], [])
	some target in _targets(port, workload.object)
	target in open
	msg := sprintf(
		"Service %s port %s targets port %s of %s %s, where redis listens in plaintext",
		[k8s.name(service.object), _number(port.port), target, workload.object.kind, k8s.name(workload.object)],
	)
}

# The container ports a Service port reaches, as strings: targetPort (a number, or the name of a
# container port of the pods), else port.
_targets(port, _) := {_number(port.targetPort)} if is_number(port.targetPort)

_targets(port, workload) := {_number(p.containerPort) |
	some c in k8s.containers(workload)
	some p in object.get(c.container, "ports", [])
	p.name == port.targetPort
} if is_string(port.targetPort)

_targets(port, _) := {_number(port.port)} if not port.targetPort

_number(n) := format_int(n, 10) if is_number(n)

else := sprintf("%v", [n])
