# METADATA
# title: Waivers are well-formed
# description: >-
#   The annotation redis-gitops.dev/waivers is a JSON array whose every entry names the rule ids it
#   waives ("rules": ids of the gate's rules, but not waiver.* or schema.*), why ("reason", not
#   blank) and until when ("expires", a date of the calendar written YYYY-MM-DD, at most 90 days
#   after the day the gate runs unless the gate is given --waiver-max-days). A waiver without a
#   reason cannot be reviewed, one without an expiry or one far off would waive for ever, and a
#   misspelt rule id would leave its finding failing for no visible reason; none of them waives
#   anything.
# custom:
#   severity: error
#   remediation: >-
#     Write the annotation as redis-gitops.dev/waivers: '[{"rules": ["<rule id>"], "reason": "<why,
#     and the ticket that removes it>", "expires": "YYYY-MM-DD"}]', with rule ids as the gate reports
#     them (docs/POLICIES.md lists them) and an expiry within 90 days, or fix what the rule found.
package rules.waiver.invalid

import data.lib.k8s
import data.lib.waivers

violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	waivers.text(entry.object)
	not waivers.parsed(entry.object)
	msg := sprintf("%s %s: annotation %s is not a JSON array of waivers", [entry.object.kind, k8s.name(entry.object), waivers.annotation])
}

violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	some i, waiver in waivers.parsed(entry.object)
	problems := waivers.problems(waiver)
	count(problems) > 0
	msg := sprintf("%s %s: waiver %d of %s %s, so it waives nothing", [entry.object.kind, k8s.name(entry.object), i + 1, waivers.annotation, concat(", ", problems)])
}
