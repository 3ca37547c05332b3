# METADATA
# title: Waivers have not expired
# description: >-
#   A waiver whose "expires" date is before the day the gate runs (given to the policy as
#   input.today) has run out: it no longer waives anything, and is itself reported so that it is
#   either renewed, with a new review, or removed.
# custom:
#   severity: error
#   remediation: >-
#     Fix what the waived rule finds and remove the waiver, or, after a new review, move "expires"
#     to a later date.
package rules.waiver.expired

import data.lib.k8s
import data.lib.waivers

violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	some i, waiver in waivers.parsed(entry.object)
	count(waivers.problems(waiver)) == 0
	waivers.expired(waiver)
	msg := sprintf(
		"%s %s: waiver %d (%s) expired on %s",
		[entry.object.kind, k8s.name(entry.object), i + 1, concat(", ", waiver.rules), waiver.expires],
	)
}
