package rules.tls.haproxy_backend_tls_test

import data.lib.testing
import data.rules.tls.haproxy_backend_tls

_messages(cfg) := msgs if {
	msgs := testing.messages(haproxy_backend_tls.violation) with input as testing.input_of([testing.config_map("redis-portal", {"haproxy.cfg": cfg})])
}

test_verified_tls_passes if {
	count(_messages("backend b\n  server s r:6379 ssl verify required ca-file /ca.crt\n")) == 0
	count(_messages("defaults\n  default-server ssl ca-file /ca.crt\nbackend b\n  server s r:6379 check\n")) == 0
	count(_messages("backend b\n  default-server ssl ca-file /ca.crt verify none\n  server s r:6379 verify required\n")) == 0
}

test_plaintext_unverified_and_ca_less_servers if {
	_messages("global\n  ssl-server-verify none\nbackend b\n  server p r:6379 check\n  server u r:6379 ssl ca-file /ca.crt\nlisten l\n  server c r:26379 ssl verify required\n") == {
		"ConfigMap redis-portal key haproxy.cfg line 4: backend b `server p r:6379 check`: no `ssl`: the connection to redis is plaintext",
		"ConfigMap redis-portal key haproxy.cfg line 5: backend b `server u r:6379 ssl ca-file /ca.crt`: `verify none`: the member's certificate is not checked",
		"ConfigMap redis-portal key haproxy.cfg line 7: listen l `server c r:26379 ssl verify required`: no `ca-file`: there is nothing to verify the member's certificate against",
	}
}
