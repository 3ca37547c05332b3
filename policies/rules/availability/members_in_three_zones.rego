# METADATA
# title: Three sentinel members in three distinct zones
# description: >-
#   A namespace that runs redis has a sentinel cluster of at least three members (pods with a
#   sentinel container), each confined to one zone (nodeSelector or required node affinity on
#   topology.kubernetes.io/zone) and no two in the same zone; a workload with several members must
#   force them into distinct zones (required pod anti-affinity or a DoNotSchedule topology spread on
#   the zone). With fewer members, or two in one zone, losing one zone loses the quorum and with it
#   automatic failover. A redis without any sentinel has no failover at all.
# custom:
#   severity: error
#   remediation: >-
#     Run three members (two data members with redis and sentinel, and a sentinel-only tie-breaker),
#     one StatefulSet each, pinned to the region's three zones by required node affinity.
package rules.availability.members_in_three_zones

import data.lib.k8s
import data.lib.redis

_members := sum([k8s.replicas(entry.object) | some entry in redis.sentinel_workloads])

violation contains k8s.violation(entry, msg) if {
	count(redis.sentinel_workloads) == 0
	some entry in redis.server_workloads
	msg := sprintf("%s %s runs redis but no sentinel watches it in namespace %s: nothing fails over when it is lost", [entry.object.kind, k8s.name(entry.object), _namespace])
}

violation contains k8s.violation(entry, msg) if {
	_members < 3
	some entry in redis.sentinel_workloads
	msg := sprintf("the sentinel cluster of namespace %s has %d member(s), %s among them: three in three zones are needed", [_namespace, _members, k8s.name(entry.object)])
}

violation contains k8s.violation(entry, msg) if {
	some entry in redis.sentinel_workloads
	k8s.replicas(entry.object) == 1
	not _one_zone(entry.object)
	msg := sprintf("%s %s is a sentinel member confined to no single zone (nodeSelector or required node affinity on %s)", [entry.object.kind, k8s.name(entry.object), k8s.zone_key])
}

violation contains k8s.violation(entry, msg) if {
	some entry in redis.sentinel_workloads
	k8s.replicas(entry.object) > 1
	not k8s.spread_over_zones(entry.object)
	msg := sprintf("%s %s has %d sentinel members that nothing forces into distinct zones", [entry.object.kind, k8s.name(entry.object), k8s.replicas(entry.object)])
}

# Each single-member workload pinned to a zone another one (the first by name) is pinned to: one
# finding per member, not per pair (n members in one zone were n(n-1)/2 findings, and as slow).
violation contains k8s.violation(entry, msg) if {
	some entry in redis.sentinel_workloads
	zone := _pinned_zone(entry.object)
	first := min(_pinned_to[zone])
	first < k8s.name(entry.object)
	msg := sprintf("%s %s and %s are sentinel members in the same zone %s", [entry.object.kind, k8s.name(entry.object), first, zone])
}

# The names of the single-member workloads pinned to each zone.
_pinned_to[zone] contains k8s.name(entry.object) if {
	some entry in redis.sentinel_workloads
	zone := _pinned_zone(entry.object)
}

# The one zone a single-member workload is pinned to.
_pinned_zone(obj) := zone if {
	k8s.replicas(obj) == 1
	[zone] := [z | some z in k8s.zones(obj)]
}

_one_zone(obj) if count(k8s.zones(obj)) == 1

_namespace := input.namespace if is_string(input.namespace)

else := "(none)"
