package rules.waiver.expired_test

import data.lib.testing
import data.rules.waiver.expired

_messages(expires, today) := msgs if {
	annotation := json.marshal([{"rules": ["security.image_pinned", "security.resources_set"], "reason": "r", "expires": expires}])
	cm := object.union(testing.config_map("cfg", {}), {"metadata": {"annotations": {"redis-gitops.dev/waivers": annotation}}})
	msgs := testing.messages(expired.violation) with input as object.union(testing.input_of([cm]), {"today": today})
		with data.redis_gitops.rule_ids as ["security.image_pinned", "security.resources_set"]
}

test_waiver_in_force_until_its_last_day if {
	count(_messages("2026-06-01", "2026-06-01")) == 0

	# Without a date to judge by, nothing is reported expired (and nothing is waived: see gate).
	count(_messages("2020-01-01", null)) == 0
}

test_expired_waiver if {
	_messages("2026-05-31", "2026-06-01") == {"ConfigMap cfg: waiver 1 (security.image_pinned, security.resources_set) expired on 2026-05-31"}
}
