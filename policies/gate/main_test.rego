package gate_test

import data.gate

test_violations_are_named_by_their_package if {
	input_ := {"namespace": "redis-orders", "resources": [{
		"file": "dist/c1/orders/secret-orders-acl.yaml",
		"object": {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "orders-acl", "namespace": "redis-orders"}, "stringData": {"users.acl": "user default on"}},
	}]}
	gate.violations == {{
		"rule": "secrets.no_plaintext_secret",
		"msg": "Secret orders-acl holds plaintext values (keys: users.acl): seal it with kubeseal and commit the SealedSecret instead",
		"resource": {"apiVersion": "v1", "kind": "Secret", "namespace": "redis-orders", "name": "orders-acl"},
		"file": "dist/c1/orders/secret-orders-acl.yaml",
	}} with input as input_
}

test_no_resources_no_violations if {
	count(gate.violations) == 0 with input as {"namespace": null, "resources": [], "cluster_resources": []}
}
