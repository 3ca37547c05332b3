package rules.availability.portals_spread_test

import data.lib.testing
import data.rules.availability.portals_spread

_messages(objects) := msgs if {
	msgs := testing.messages(portals_spread.violation) with input as testing.input_of(objects)
}

_portal(name, replicas, pod) := object.union(
	testing.workload("Deployment", name, object.union({"containers": [{"name": "haproxy", "image": "haproxy:2.8.14"}]}, pod)),
	{"spec": {"replicas": replicas}},
)

_spread := {"topologySpreadConstraints": [{"topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule", "maxSkew": 1, "labelSelector": {"matchLabels": {"app": "redis-portal"}}}]}

_pdb := {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": testing.meta("p"), "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "redis-portal"}}}}

test_two_spread_budgeted_portals_pass if {
	count(_messages([_portal("redis-portal", 2, _spread), _pdb])) == 0

	# HAProxy that has nothing to do with Redis is not a portal.
	count(_messages([_portal("web-proxy", 1, {})])) == 0
}

test_single_unspread_unbudgeted_portal if {
	# Not Redis by name, but in a namespace that runs redis.
	_messages([_portal("edge", 1, {}), testing.workload("StatefulSet", "db", {"containers": [{"name": "redis", "image": "redis:7.2.5"}]})]) == {
		"Deployment edge runs 1 HAProxy portal(s): two are needed so that one can go",
		"Deployment edge: nothing forces its portals into distinct zones",
		"Deployment edge: no PodDisruptionBudget selects its portals, so a drain may evict both",
	}
}
