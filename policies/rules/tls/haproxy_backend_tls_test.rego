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

test_no_ssl_later_on_the_line_undoes_ssl if {
	_messages("backend b\n  server s r:6379 ssl verify required ca-file /ca.crt no-ssl\n") == {"ConfigMap redis-portal key haproxy.cfg line 2: backend b `server s r:6379 ssl verify required ca-file /ca.crt no-ssl`: no `ssl`: the connection to redis is plaintext"}
	_messages("defaults\n  default-server ssl ca-file /ca.crt\nbackend b\n  server s r:6379 no-ssl\n") == {"ConfigMap redis-portal key haproxy.cfg line 4: backend b `server s r:6379 no-ssl`: no `ssl`: the connection to redis is plaintext"}
	count(_messages("defaults\n  default-server no-ssl\nbackend b\n  server s r:6379 ssl ca-file /ca.crt\n")) == 0
}

# A defaults section applies to the proxies after it, until the next one.
test_defaults_apply_to_the_proxies_after_them if {
	_messages("backend b\n  server s r:6379\ndefaults\n  default-server ssl ca-file /ca.crt\n") == {"ConfigMap redis-portal key haproxy.cfg line 2: backend b `server s r:6379`: no `ssl`: the connection to redis is plaintext"}
	_messages("defaults\n  default-server ssl ca-file /ca.crt\ndefaults\n  mode tcp\nbackend b\n  server s r:6379\n") == {"ConfigMap redis-portal key haproxy.cfg line 6: backend b `server s r:6379`: no `ssl`: the connection to redis is plaintext"}
}

# haproxy -f <folder> reads every file of the ConfigMap's volume: a global section in one applies to
# the proxies of another.
test_a_second_file_of_the_config_map_turns_verification_off if {
	msgs := testing.messages(haproxy_backend_tls.violation) with input as testing.input_of([testing.config_map("redis-portal", {
		"00-global.cfg": "global\n  ssl-server-verify none\n",
		"10-redis.cfg": "backend b\n  server s r:6379 ssl ca-file /ca.crt\n",
	})])
	msgs == {"ConfigMap redis-portal key 10-redis.cfg line 2: backend b `server s r:6379 ssl ca-file /ca.crt`: `verify none`: the member's certificate is not checked"}
}

test_environment_variables_are_reported if {
	_messages("backend b\n  server s r:6379 ssl verify \"$VERIFY\" ca-file /ca.crt\n") == {"ConfigMap redis-portal key haproxy.cfg line 2: the gate cannot read this line as HAProxy does (an escape, an environment variable, quotes of both kinds or an unterminated quote, which HAProxy resolves when it starts)"}
}

# Named defaults (HAProxy 2.4+): a proxy's `from` picks the section, which may itself take its
# settings from another; an empty defaults section still replaces the one before.
test_named_defaults if {
	chain := "defaults a\n  default-server ssl\ndefaults b from a\n  default-server ca-file /ca.crt\ndefaults c from b\n  default-server verify required\ndefaults plain\n"
	count(_messages(concat("", [chain, "backend x from c\n  server s r:6379\n"]))) == 0
	_messages(concat("", [chain, "backend x\n  server s r:6379\n"])) == {"ConfigMap redis-portal key haproxy.cfg line 9: backend x `server s r:6379`: no `ssl`: the connection to redis is plaintext"}
	_messages("defaults\n  default-server ssl ca-file /ca.crt\ndefaults\nbackend x\n  server s r:6379\n") == {"ConfigMap redis-portal key haproxy.cfg line 5: backend x `server s r:6379`: no `ssl`: the connection to redis is plaintext"}
	deeper := concat("", [chain, "defaults d from c\nbackend x from d\n  server s r:6379\n"])
	"ConfigMap redis-portal: backend x takes its settings through more than three defaults sections (`from`), deeper than the gate follows: name a defaults section that sets the servers' TLS options itself" in _messages(deeper)
}

_portal(command, volume) := testing.workload("Deployment", "portal", {
	"containers": [object.union(testing.container("haproxy", "haproxy:2.6"), {"command": command, "volumeMounts": [{"name": "config", "mountPath": "/etc/haproxy"}]})],
	"volumes": [object.union({"name": "config"}, volume)],
})

_given_messages(files, command, volume) := msgs if {
	msgs := testing.messages(haproxy_backend_tls.violation) with input as testing.input_of([testing.config_map("redis-portal", files), _portal(command, volume)])
}

# Files a container gives haproxy with -f are read in that order: defaults given first apply to
# the proxies of a file whose key sorts before theirs; a folder is its .cfg files but hidden ones.
test_files_given_with_f if {
	files := {"a.cfg": "backend b\n  server s r:6379 ssl ca-file /ca.crt\n", "b.cfg": "defaults\n  default-server verify none\n"}
	volume := {"configMap": {"name": "redis-portal"}}
	_given_messages(files, ["haproxy", "-f", "/etc/haproxy/b.cfg", "-f", "/etc/haproxy/a.cfg"], volume) == {"ConfigMap redis-portal key a.cfg line 2: backend b `server s r:6379 ssl ca-file /ca.crt`: `verify none`: the member's certificate is not checked"}
	count(_given_messages(files, ["haproxy", "-f", "/etc/haproxy/a.cfg", "-f", "/etc/haproxy/b.cfg"], volume)) == 0

	folder := {"a.cfg": files["a.cfg"], "global.conf": "global\n  ssl-server-verify none\n", ".hidden.cfg": "global\n  ssl-server-verify none\n"}
	count(_given_messages(folder, ["sh", "-c", "exec haproxy -W -db -f /etc/haproxy/"], volume)) == 0
	_given_messages(folder, ["haproxy", "-f", "/etc/haproxy"], {"configMap": {"name": "redis-portal", "items": [{"key": "global.conf", "path": "00-global.cfg"}, {"key": "a.cfg", "path": "a.cfg"}]}}) == {"ConfigMap redis-portal key a.cfg line 2: backend b `server s r:6379 ssl ca-file /ca.crt`: `verify none`: the member's certificate is not checked"}
}
