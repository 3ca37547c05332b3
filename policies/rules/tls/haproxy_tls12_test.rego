package rules.tls.haproxy_tls12_test

import data.lib.testing
import data.rules.tls.haproxy_tls12

_messages(cfg) := msgs if {
	msgs := testing.messages(haproxy_tls12.violation) with input as testing.input_of([testing.config_map("redis-portal", {"haproxy.cfg": cfg})])
}

test_minimum_from_global_or_line if {
	count(_messages("global\n  ssl-default-bind-options ssl-min-ver TLSv1.2\nfrontend redis\n  bind :6379 ssl crt /p\n")) == 0
	count(_messages("frontend redis\n  bind :6379 ssl crt /p ssl-min-ver TLSv1.3\n  bind :6380 ssl crt /p force-tlsv12\n")) == 0
}

test_no_minimum if {
	_messages("frontend redis\n  bind :6379 ssl crt /p\n") == {"ConfigMap redis-portal key haproxy.cfg line 2 (frontend redis `bind :6379 ssl crt /p`): no TLS 1.2 minimum on the line or in the global ssl-default-bind-options"}
}

test_legacy_options_anywhere if {
	cfg := concat("\n", [
		"global",
		"  ssl-default-bind-options ssl-min-ver TLSv1.2",
		"  ssl-default-server-options force-tlsv10",
		"frontend redis",
		"  bind :6379 ssl crt /p ssl-min-ver TLSv1.1",
		"  bind :6380 ssl crt /p no-tlsv12",
		"backend b",
		"  server s r:6379 ssl ssl-max-ver TLSv1.0",
	])
	_messages(cfg) == {
		"ConfigMap redis-portal key haproxy.cfg line 3 (global `ssl-default-server-options force-tlsv10`): `force-tlsv10` allows a protocol older than TLS 1.2 or drops TLS 1.2",
		"ConfigMap redis-portal key haproxy.cfg line 5 (frontend redis `bind :6379 ssl crt /p ssl-min-ver TLSv1.1`): `ssl-min-ver TLSv1.1` allows a protocol older than TLS 1.2 or drops TLS 1.2",
		"ConfigMap redis-portal key haproxy.cfg line 6 (frontend redis `bind :6380 ssl crt /p no-tlsv12`): `no-tlsv12` allows a protocol older than TLS 1.2 or drops TLS 1.2",
		"ConfigMap redis-portal key haproxy.cfg line 8 (backend b `server s r:6379 ssl ssl-max-ver TLSv1.0`): `ssl-max-ver TLSv1.0` allows a protocol older than TLS 1.2 or drops TLS 1.2",
	}
}

test_minimum_from_an_environment_variable_is_reported if {
	_messages("frontend redis\n  bind :6379 ssl crt /p ssl-min-ver \"${TLS_MIN}\"\n") == {"ConfigMap redis-portal key haproxy.cfg line 2: the gate cannot read this line as HAProxy does (an escape, an environment variable, quotes of both kinds or an unterminated quote, which HAProxy resolves when it starts)"}

	# A minimum in a comment is none.
	_messages("frontend redis\n  bind :6379 ssl crt /p #ssl-min-ver TLSv1.2\n") == {"ConfigMap redis-portal key haproxy.cfg line 2 (frontend redis `bind :6379 ssl crt /p`): no TLS 1.2 minimum on the line or in the global ssl-default-bind-options"}
}
