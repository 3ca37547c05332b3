package rules.waiver.invalid_test

import data.lib.testing
import data.rules.waiver.invalid

_messages(annotation) := msgs if {
	cm := object.union(testing.config_map("cfg", {}), {"metadata": {"annotations": {"redis-gitops.dev/waivers": annotation}}})
	msgs := testing.messages(invalid.violation) with input as testing.input_of([cm])
		with data.redis_gitops.rule_ids as ["a.b", "c.d", "waiver.expired"]
}

test_well_formed_waivers_pass if {
	count(_messages(`[{"rules": ["a.b"], "reason": "r", "expires": "2026-12-31"}]`)) == 0
	count(_messages(`[{"rules": ["c.d", "a.b"], "reason": "r", "expires": "2026-12-31"}]`)) == 0
	count(_messages(`[]`)) == 0
}

test_malformed_annotations if {
	_messages(`{"rules": ["a.b"]}`) == {"ConfigMap cfg: annotation redis-gitops.dev/waivers is not a JSON array of waivers"}
	_messages(`[not json`) == {"ConfigMap cfg: annotation redis-gitops.dev/waivers is not a JSON array of waivers"}
	_messages(`["a.b", {"rules": [], "reason": " ", "expires": "2026-13-01"}, {"rules": ["a.b", 3], "reason": "r", "expires": "31.12.2026"}]`) == {
		"ConfigMap cfg: waiver 1 of redis-gitops.dev/waivers is not an object, so it waives nothing",
		`ConfigMap cfg: waiver 2 of redis-gitops.dev/waivers has no "rules" (a non-empty list of rule ids), has no "reason", has no "expires" date (YYYY-MM-DD), so it waives nothing`,
		`ConfigMap cfg: waiver 3 of redis-gitops.dev/waivers has no "rules" (a non-empty list of rule ids), has no "expires" date (YYYY-MM-DD), so it waives nothing`,
	}
}

test_rules_a_waiver_cannot_waive if {
	_messages(`[{"rules": ["a.b", "waiver.expired", "a.c", "schema.invalid"], "reason": "r", "expires": "2026-12-31"}]`) == {
		"ConfigMap cfg: waiver 1 of redis-gitops.dev/waivers names unknown or unwaivable rules (a.c, schema.invalid, waiver.expired), so it waives nothing",
	}
}
