package rules.availability.members_in_three_zones_test

import data.lib.testing
import data.rules.availability.members_in_three_zones

_messages(objects) := msgs if {
	msgs := testing.messages(members_in_three_zones.violation) with input as testing.input_of(objects)
}

_pinned(name, zone) := testing.workload("StatefulSet", name, {
	"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}]}]}}},
	"containers": [{"name": "sentinel", "image": "redis:7.2.5"}],
})

_selected(name, zone) := testing.workload("StatefulSet", name, {"nodeSelector": {"topology.kubernetes.io/zone": zone}, "containers": [{"name": "s", "image": "redis:7.2.5", "command": ["redis-sentinel", "/s.conf"]}]})

test_three_members_in_three_zones_pass if {
	count(_messages([_pinned("a", "z1"), _selected("b", "z2"), _pinned("c", "z3")])) == 0
	spread := testing.workload("StatefulSet", "s", {
		"topologySpreadConstraints": [{"topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule", "maxSkew": 1, "labelSelector": {"matchLabels": {"app": "s"}}}],
		"containers": [{"name": "sentinel", "image": "bitnami/redis-sentinel:7.2"}],
	})
	count(_messages([object.union(spread, {"spec": {"replicas": 3}})])) == 0
	anti := testing.workload("StatefulSet", "s", {
		"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "topology.kubernetes.io/zone", "labelSelector": {"matchLabels": {"app": "s"}}}]}},
		"containers": [{"name": "sentinel", "image": "redis:7.2.5"}],
	})
	count(_messages([object.union(anti, {"spec": {"replicas": 3}})])) == 0
	count(_messages([testing.workload("Deployment", "web", {"containers": [{"name": "web", "image": "nginx:1.27"}]})])) == 0
}

test_redis_without_sentinel if {
	_messages([testing.workload("Deployment", "cache", {"containers": [{"name": "redis", "image": "redis:7.2.5"}]})]) == {"Deployment cache runs redis but no sentinel watches it in namespace redis-t: nothing fails over when it is lost"}
}

test_too_few_unpinned_and_shared_zones if {
	_messages([_pinned("a", "z1"), _pinned("b", "z1")]) == {
		"the sentinel cluster of namespace redis-t has 2 member(s), a among them: three in three zones are needed",
		"the sentinel cluster of namespace redis-t has 2 member(s), b among them: three in three zones are needed",
		"StatefulSet b and a are sentinel members in the same zone z1",
	}
	unpinned := testing.workload("StatefulSet", "u", {"containers": [{"name": "sentinel", "image": "redis:7.2.5"}]})
	_messages([object.union(unpinned, {"spec": {"replicas": 3}})]) == {"StatefulSet u has 3 sentinel members that nothing forces into distinct zones"}
	_messages([unpinned, _pinned("a", "z1"), _pinned("b", "z2")]) == {"StatefulSet u is a sentinel member confined to no single zone (nodeSelector or required node affinity on topology.kubernetes.io/zone)"}
}

# One finding per member that shares a zone (with the first there by name), not one per pair: n
# members in a zone were n(n-1)/2 findings, and a namespace of a few hundred took minutes.
test_members_sharing_a_zone_are_reported_once_each if {
	messages := _messages([_pinned("a", "z1"), _pinned("b", "z1"), _pinned("c", "z1"), _selected("d", "z1"), _pinned("e", "z2"), _pinned("f", "z2")])
	{m | some m in messages; contains(m, "same zone")} == {
		"StatefulSet b and a are sentinel members in the same zone z1",
		"StatefulSet c and a are sentinel members in the same zone z1",
		"StatefulSet d and a are sentinel members in the same zone z1",
		"StatefulSet f and e are sentinel members in the same zone z2",
	}
}
