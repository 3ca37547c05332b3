package rules.waiver.invalid_test

import data.lib.testing
import data.lib.waivers
import data.rules.waiver.invalid

_messages(annotation) := msgs if {
	cm := object.union(testing.config_map("cfg", {}), {"metadata": {"annotations": {"redis-gitops.dev/waivers": annotation}}})
	msgs := testing.messages(invalid.violation) with input as testing.input_of([cm])
		with data.redis_gitops.rule_ids as ["a.b", "c.d", "waiver.expired"]
}

test_well_formed_waivers_pass if {
	count(_messages(`[{"rules": ["a.b"], "reason": "r", "expires": "2026-08-01"}]`)) == 0
	count(_messages(`[{"rules": ["c.d", "a.b"], "reason": "r", "expires": "2026-08-01"}]`)) == 0
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
	_messages(`[{"rules": ["a.b", "waiver.expired", "a.c", "schema.invalid"], "reason": "r", "expires": "2026-08-01"}]`) == {
		"ConfigMap cfg: waiver 1 of redis-gitops.dev/waivers names unknown or unwaivable rules (a.c, schema.invalid, waiver.expired), so it waives nothing",
	}
}

test_dates_of_the_calendar_only if {
	waivers.is_date("2028-02-29")
	not waivers.is_date("2026-02-29")
	not waivers.is_date("2026-04-31")
	not waivers.is_date("2100-02-29")
	waivers.is_date("2000-02-29")
	waivers.days("2026-03-01") - waivers.days("2026-02-28") == 1
	waivers.days("2029-01-01") - waivers.days("2028-01-01") == 366
	waivers.days("2026-12-31") - waivers.days("2026-06-01") == 213
}

test_waiver_longer_than_the_maximum if {
	waivers.problems({"rules": ["a.b"], "reason": "r", "expires": "9999-12-31"}) == [`expires 9999-12-31, more than 90 days after 2026-06-01 (the longest a waiver may run)`] with input.today as "2026-06-01" with data.redis_gitops.rule_ids as ["a.b"]
	waivers.problems({"rules": ["a.b"], "reason": "r", "expires": "2026-08-30"}) == [] with input.today as "2026-06-01" with data.redis_gitops.rule_ids as ["a.b"]
	count(waivers.problems({"rules": ["a.b"], "reason": "r", "expires": "2026-08-31"})) == 1 with input.today as "2026-06-01" with data.redis_gitops.rule_ids as ["a.b"]
	waivers.problems({"rules": ["a.b"], "reason": "r", "expires": "2027-06-01"}) == [] with input.today as "2026-06-01" with data.redis_gitops.rule_ids as ["a.b"] with data.redis_gitops.waiver_max_days as 365
}
