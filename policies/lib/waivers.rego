# METADATA
# description: >-
#   Waivers: the annotation redis-gitops.dev/waivers on an object holds a JSON array of
#   {"rules": [rule ids], "reason": text, "expires": "YYYY-MM-DD"}. A waiver is in force for a
#   finding about that object when it names the finding's rule, has a reason and a valid expiry date
#   no more than data.redis_gitops.waiver_max_days (90) after input.today, and input.today (the date the gate runs, given by the caller as the wasm engine has no clock) is
#   not past that date. Findings of the waiver.* rules cannot be waived.
#
#   A waiver may name the gate's rules (data.redis_gitops.rule_ids, from build/rules.json) but the
#   waiver.* ones; one naming anything else is malformed: a misspelt id would otherwise waive
#   nothing, unnoticed.
package lib.waivers

import data.lib.k8s

annotation := "redis-gitops.dev/waivers"

# The annotation's text, when the object has it.
text(obj) := obj.metadata.annotations[annotation]

# The waivers an annotation lists, when it is a JSON array; undefined otherwise.
parsed(obj) := list if {
	json.is_valid(text(obj))
	list := json.unmarshal(text(obj))
	is_array(list)
}

# What is wrong with one waiver of the list ([] when nothing).
problems(waiver) := ["is not an object"] if {
	not is_object(waiver)
} else := array.flatten([
	_problem(_rules_ok(waiver), `has no "rules" (a non-empty list of rule ids)`),
	_unknown_rules(waiver),
	_problem(_reason_ok(waiver), `has no "reason"`),
	_problem(is_date(object.get(waiver, "expires", null)), `has no "expires" date (YYYY-MM-DD)`),
	_too_long(waiver),
])

# The longest a waiver may run, in days after the day the gate runs (data.redis_gitops.waiver_max_days,
# set by the gate: 90 unless told otherwise). A waiver is a reviewed exception, not a change of rule:
# "expires": "9999-12-31" would waive for ever.
default max_days := 90

max_days := data.redis_gitops.waiver_max_days

_too_long(waiver) := [sprintf("expires %s, more than %d days after %s (the longest a waiver may run)", [waiver.expires, max_days, input.today])] if {
	is_date(waiver.expires)
	is_date(input.today)
	days(waiver.expires) - days(input.today) > max_days
} else := []

_problem(true, _) := []

_problem(false, description) := [description]

default _rules_ok(_) := false

_rules_ok(waiver) if {
	is_array(waiver.rules)
	count(waiver.rules) > 0
	every rule in waiver.rules {
		is_string(rule)
		rule != ""
	}
}

_waivable := {rule |
	some rule in data.redis_gitops.rule_ids
	not startswith(rule, "waiver.")
}

# The ids of a well-formed "rules" that name no rule a waiver can waive.
_unknown_rules(waiver) := [sprintf("names unknown or unwaivable rules (%s)", [concat(", ", unknown)])] if {
	_rules_ok(waiver)
	unknown := sort({rule | some rule in waiver.rules} - _waivable)
	count(unknown) > 0
} else := []

default _reason_ok(_) := false

_reason_ok(waiver) if {
	is_string(waiver.reason)
	trim_space(waiver.reason) != ""
}

# Whether a value is a date of the calendar written YYYY-MM-DD (so that dates compare as strings):
# 2026-02-30 is not one.
default is_date(_) := false

is_date(value) if {
	is_string(value)
	count(value) == 10
	parts := split(value, "-")
	[4, 2, 2] == [count(part) | some part in parts]
	every part in parts {
		trim(part, "0123456789") == ""
	}
	year := to_number(parts[0])
	month := to_number(parts[1])
	day := to_number(parts[2])
	year >= 1
	day >= 1
	day <= _month_days(year, month)
}

_month_days(year, 2) := 29 if _leap(year)

_month_days(year, 2) := 28 if not _leap(year)

_month_days(_, month) := 30 if month in {4, 6, 9, 11}

_month_days(_, month) := 31 if month in {1, 3, 5, 7, 8, 10, 12}

_leap(year) if {
	year % 4 == 0
	year % 100 != 0
}

_leap(year) if year % 400 == 0

# The number of a day (days since 0000-03-01 of the proleptic Gregorian calendar), for a date
# is_date accepts: the difference of two is the days between them.
days(date) := n if {
	parts := split(date, "-")
	month := to_number(parts[1])
	early := count([1 | month <= 2])
	year := to_number(parts[0]) - early
	shifted := (month + (12 * early)) - 3
	n := (((((365 * year) + _div(year, 4)) - _div(year, 100)) + _div(year, 400)) + _div((153 * shifted) + 2, 5)) + (to_number(parts[2]) - 1)
}

# Integer division of a non-negative number (Rego's / gives fractions).
_div(x, n) := (x - (x % n)) / n

# Whether a well-formed waiver has expired (input.today is after its last day).
expired(waiver) if {
	is_date(input.today)
	waiver.expires < input.today
}

# The waiver in force for a finding of `rule` about the object of an entry: {"reason", "expires"}.
in_force(entry, rule) := w if {
	is_date(input.today)
	candidates := [{"reason": waiver.reason, "expires": waiver.expires} |
		some waiver in parsed(entry.object)
		count(problems(waiver)) == 0
		rule in waiver.rules
		not expired(waiver)
	]
	count(candidates) > 0
	w := candidates[0]
}

# The objects of the input that carry waivers, by identity (file and resource), to find the object a
# finding is about; a file may hold the same identity twice. A whole object, worked out once: as a
# partial set looked up by key, it went through every resource again for each finding.
entries_by_identity := {identity: {e | some e in _waivered; _identity(e) == identity} |
	some entry in _waivered
	identity := _identity(entry)
}

_waivered := [entry |
	some entry in array.concat(input.resources, object.get(input, "cluster_resources", []))
	text(entry.object)
]

_identity(entry) := [entry.file, k8s.resource(entry.object)]
