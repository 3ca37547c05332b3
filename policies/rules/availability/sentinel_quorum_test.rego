package rules.availability.sentinel_quorum_test

import data.lib.testing
import data.rules.availability.sentinel_quorum

_messages(text) := msgs if {
	msgs := testing.messages(sentinel_quorum.violation) with input as testing.input_of([testing.config_map("cfg", {"sentinel.conf": text})])
}

test_quorum_two_passes if {
	count(_messages("port 0\nsentinel monitor m h 6379 2\n")) == 0
}

test_other_quorums if {
	_messages("sentinel monitor m h 6379 1\nsentinel monitor n h 6379 3\nSENTINEL MONITOR o h 6379\n") == {
		"ConfigMap cfg key sentinel.conf line 1: sentinel monitor m has quorum 1, not 2",
		"ConfigMap cfg key sentinel.conf line 2: sentinel monitor n has quorum 3, not 2",
		"ConfigMap cfg key sentinel.conf line 3: sentinel monitor o has quorum (none), not 2",
	}
}
