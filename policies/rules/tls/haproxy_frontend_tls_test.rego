package rules.tls.haproxy_frontend_tls_test

import data.lib.testing
import data.rules.tls.haproxy_frontend_tls

_messages(name, cfg) := msgs if {
	msgs := testing.messages(haproxy_frontend_tls.violation) with input as testing.input_of([testing.config_map(name, {"haproxy.cfg": cfg})])
}

test_tls_binds_pass if {
	count(_messages("redis-portal", "frontend redis\n  bind :6379 ssl crt /tls/server.pem\nlisten stats\n  bind :8404 ssl crt-list /tls/list\n")) == 0
	count(_messages("redis-portal", "frontend local\n  bind /run/haproxy.sock\n  bind unix@/run/h.sock\n  bind abns@h\n")) == 0
}

test_plaintext_and_certificate_less_binds if {
	_messages("redis-portal", "global\n  maxconn 10\nfrontend redis\n  bind :6379\nlisten stats\n  bind :8404 ssl\n") == {
		"ConfigMap redis-portal key haproxy.cfg line 4: frontend redis `bind :6379` has no `ssl`: a plaintext listener",
		"ConfigMap redis-portal key haproxy.cfg line 6: listen stats `bind :8404 ssl` has `ssl` but no `crt` or `crt-list`: HAProxy cannot present a certificate",
	}
}

test_only_haproxy_configs_about_redis if {
	# Not Redis by name or labels, but it listens on the redis port.
	count(_messages("edge", "frontend f\n  bind :6379\n")) == 1

	# A web proxy that has nothing to do with Redis.
	count(_messages("edge", "frontend f\n  bind :80\nbackend b\n  server s web:8080\n")) == 0
}

# Read as HAProxy reads a line (parse_line): what follows a `#` is a comment wherever it starts, and
# a carriage return ends the line.
test_settings_in_comments_or_after_a_carriage_return_do_not_count if {
	_messages("redis-portal", "frontend redis\n  bind :6379 # ssl crt /tls/server.pem\n") == {"ConfigMap redis-portal key haproxy.cfg line 2: frontend redis `bind :6379` has no `ssl`: a plaintext listener"}
	_messages("redis-portal", "frontend redis\n  bind :6379\r ssl crt /tls/server.pem\n") == {"ConfigMap redis-portal key haproxy.cfg line 2: frontend redis `bind :6379` has no `ssl`: a plaintext listener"}
	count(_messages("redis-portal", "frontend redis\n  bind :6379 \"ssl\" 'crt' /tls/s#1.pem # plaintext\n")) == 0
}

test_lines_the_gate_cannot_resolve_are_reported if {
	_messages("redis-portal", "frontend redis\n  bind \"${ADDR}\" ssl crt /tls/server.pem\n") == {"ConfigMap redis-portal key haproxy.cfg line 2: the gate cannot read this line as HAProxy does (an escape, an environment variable, quotes of both kinds or an unterminated quote, which HAProxy resolves when it starts)"}
	_messages("redis-portal", ".if defined(PLAIN)\nfrontend redis\n  bind :6379 ssl crt /p\n.endif\n") == {
		"ConfigMap redis-portal key haproxy.cfg line 1: the gate cannot read this line as HAProxy does (a conditional block (`.if`), which decides at start-up which lines HAProxy reads)",
		"ConfigMap redis-portal key haproxy.cfg line 4: the gate cannot read this line as HAProxy does (a conditional block (`.if`), which decides at start-up which lines HAProxy reads)",
	}

	# An escape where the rule reads nothing is no concern (redis-ha's health checks write `\r\n`).
	count(_messages("redis-portal", "backend b\n  tcp-check send PING\\r\\n\nfrontend redis\n  bind :6379 ssl crt /p\n")) == 0
}

# A configuration from a Secret cannot be read: at a -f path under a secret (or projected) volume,
# or the image's default path when there is no command.
_portal(container, volume) := testing.input_of([testing.workload("Deployment", "portal", {"containers": [container], "volumes": [volume]})])

test_configuration_from_a_secret if {
	secret := {"name": "conf", "secret": {"secretName": "portal-conf"}}
	with_f := object.union(testing.container("haproxy", "haproxy:2.8.14"), {"command": ["haproxy", "-W", "-f", "/etc/haproxy/haproxy.cfg"], "volumeMounts": [{"name": "conf", "mountPath": "/etc/haproxy"}]})
	found_1 := testing.messages(haproxy_frontend_tls.violation) with input as _portal(with_f, secret)
	found_1 == {"container haproxy of Deployment portal runs haproxy with /etc/haproxy/haproxy.cfg from Secret portal-conf, which the gate cannot read (a sealed value): it cannot check that every bind terminates TLS; give the configuration from a ConfigMap (the certificates stay in the Secret)"}
	image_default := object.union(testing.container("haproxy", "haproxy:2.8.14"), {"volumeMounts": [{"name": "conf", "mountPath": "/usr/local/etc/haproxy"}]})
	default_msgs := testing.messages(haproxy_frontend_tls.violation) with input as _portal(image_default, secret)
	count(default_msgs) == 1

	# The certificates from a Secret, the configuration from a ConfigMap: nothing to report here.
	tls_only := object.union(with_f, {"volumeMounts": [{"name": "conf", "mountPath": "/tls"}, {"name": "cfg", "mountPath": "/etc/haproxy"}]})
	workload := testing.workload("Deployment", "portal", {"containers": [tls_only], "volumes": [secret, {"name": "cfg", "configMap": {"name": "portal-cfg"}}]})
	config_map := testing.config_map("portal-cfg", {"haproxy.cfg": "frontend redis\n  bind :6379 ssl crt /tls/p.pem\n"})
	tls_msgs := testing.messages(haproxy_frontend_tls.violation) with input as testing.input_of([workload, config_map])
	count(tls_msgs) == 0
}

# A configuration no ConfigMap of the input gives haproxy (written at run time, copied from a
# Secret, not mounted at all) cannot be read either; a copy of a ConfigMap's file the gate follows
# can (the redis-ha chart's init container copies haproxy.cfg to a path in a variable, and haproxy
# runs through the image's entrypoint with `-f` alone).
_copied_portal(script) := testing.input_of([
	testing.config_map("portal-cfg", {"haproxy.cfg": "frontend redis\n  bind :6379 ssl crt /tls/p.pem\n"}),
	testing.workload("Deployment", "portal", {
		"initContainers": [object.union(testing.container("init", "haproxy:2.8.14"), {
			"command": ["sh", "-c", script],
			"volumeMounts": [{"name": "cfg", "mountPath": "/readonly"}, {"name": "data", "mountPath": "/data"}],
		})],
		"containers": [object.union(testing.container("haproxy", "haproxy:2.8.14"), {"args": ["-f", "/data/haproxy.cfg"], "volumeMounts": [{"name": "data", "mountPath": "/data"}]})],
		"volumes": [{"name": "cfg", "configMap": {"name": "portal-cfg"}}, {"name": "data", "emptyDir": {}}],
	}),
])

test_configuration_no_config_map_gives if {
	copied := testing.messages(haproxy_frontend_tls.violation) with input as _copied_portal("HAPROXY_CONF=/data/haproxy.cfg\ncp /readonly/haproxy.cfg \"$HAPROXY_CONF\"")
	count(copied) == 0
	downloaded := testing.messages(haproxy_frontend_tls.violation) with input as _copied_portal("wget -O /data/haproxy.cfg http://config/haproxy.cfg")
	downloaded == {"container haproxy of Deployment portal runs haproxy with /data/haproxy.cfg, which no ConfigMap of the manifests gives it (a file written at run time, copied from a Secret or downloaded, the image's own): the gate cannot check that every bind terminates TLS; give the configuration from a ConfigMap the container mounts, or copy one there with `cp` (literal paths, or a variable the script sets once to one)"}
}
