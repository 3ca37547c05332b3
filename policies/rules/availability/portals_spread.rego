# METADATA
# title: Two HAProxy portals in two zones, with a disruption budget
# description: >-
#   A workload of HAProxy containers in a namespace that runs redis (or that belongs to Redis by
#   its name or labels) runs at least two replicas, forces them into distinct zones (required pod
#   anti-affinity or a DoNotSchedule topology spread with maxSkew 1 on topology.kubernetes.io/zone),
#   and is selected by a PodDisruptionBudget, so that neither a zone outage nor a node drain takes
#   every portal away from the clients.
# custom:
#   severity: error
#   remediation: >-
#     Run the portals with replicas 2, a topologySpreadConstraint on topology.kubernetes.io/zone
#     (maxSkew 1, DoNotSchedule) and a PodDisruptionBudget with minAvailable 1.
package rules.availability.portals_spread

import data.lib.k8s
import data.lib.redis

# (An array: see lib.redis.configs.)
_portals := [entry | some entry in input.resources; _runs_haproxy(entry.object); _for_redis(entry.object)]

_runs_haproxy(obj) if {
	some c in k8s.containers(obj)
	redis.is_haproxy_container(c.container)
}

_for_redis(obj) if redis.related(obj)

_for_redis(_) if count(redis.server_workloads) > 0

violation contains k8s.violation(entry, msg) if {
	some entry in _portals
	k8s.replicas(entry.object) < 2
	msg := sprintf("%s %s runs %d HAProxy portal(s): two are needed so that one can go", [entry.object.kind, k8s.name(entry.object), k8s.replicas(entry.object)])
}

violation contains k8s.violation(entry, msg) if {
	some entry in _portals
	not k8s.spread_over_zones(entry.object)
	msg := sprintf("%s %s: nothing forces its portals into distinct zones", [entry.object.kind, k8s.name(entry.object)])
}

violation contains k8s.violation(entry, msg) if {
	some entry in _portals
	count(k8s.budgets_selecting(entry.object)) == 0
	msg := sprintf("%s %s: no PodDisruptionBudget selects its portals, so a drain may evict both", [entry.object.kind, k8s.name(entry.object)])
}
