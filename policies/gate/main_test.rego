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

_unpinned(annotations) := {
	"namespace": "redis-t",
	"today": "2026-06-01",
	"resources": [{"file": "d.yaml", "object": {
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": {"name": "app", "namespace": "redis-t", "annotations": annotations},
		"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app"}]}}},
	}}],
}

_image_pinned(annotations, today) := [v |
	some v in gate.violations with input as object.union(_unpinned(annotations), {"today": today})
		with data.redis_gitops.rule_ids as ["security.image_pinned", "security.resources_set", "waiver.invalid"]
	v.rule == "security.image_pinned"
]

_waiver(expires) := {"redis-gitops.dev/waivers": json.marshal([{"rules": ["security.image_pinned"], "reason": "vendor image", "expires": expires}])}

test_waived_findings_are_still_reported if {
	[v] := _image_pinned(_waiver("2026-06-01"), "2026-06-01")
	v.waiver == {"reason": "vendor image", "expires": "2026-06-01"}
}

test_expired_unknown_or_dateless_waivers_waive_nothing if {
	[expired] := _image_pinned(_waiver("2026-05-31"), "2026-06-01")
	not expired.waiver
	[other_rule] := _image_pinned({"redis-gitops.dev/waivers": `[{"rules": ["security.resources_set"], "reason": "r", "expires": "2099-01-01"}]`}, "2026-06-01")
	not other_rule.waiver
	[no_today] := _image_pinned(_waiver("2099-01-01"), null)
	not no_today.waiver
	misspelt := {"redis-gitops.dev/waivers": `[{"rules": ["security.image_pinned", "security.image_pined"], "reason": "r", "expires": "2099-01-01"}]`}
	[with_misspelt] := _image_pinned(misspelt, "2026-06-01")
	not with_misspelt.waiver
}

test_waiver_findings_cannot_be_waived if {
	annotations := {"redis-gitops.dev/waivers": `[{"rules": ["waiver.invalid"], "reason": "r", "expires": "2099-01-01"}, {"rules": ["x"]}]`}
	some v in gate.violations with input as _unpinned(annotations)
		with data.redis_gitops.rule_ids as ["security.image_pinned", "waiver.invalid"]
	v.rule == "waiver.invalid"
	not v.waiver
}
