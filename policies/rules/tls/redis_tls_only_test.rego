package rules.tls.redis_tls_only_test

import data.lib.testing
import data.rules.tls.redis_tls_only

_config_map(values) := {"resources": [{
	"file": "dist/c1/orders/configmap-orders-members.yaml",
	"object": {
		"apiVersion": "v1",
		"kind": "ConfigMap",
		"metadata": {"name": "orders-members", "namespace": "redis-orders"},
		"data": values,
	},
}]}

_tls_redis := `# redis.conf
port 0
tls-port 6379
tls-cert-file /tls/tls.crt
tls-protocols "TLSv1.2 TLSv1.3"
tls-replication yes
appendonly yes
`

_tls_sentinel := "port 0\ntls-port 26379\ntls-replication yes\nsentinel monitor orders 10.0.0.1 6379 2\n"

_messages(values) := {v.msg | some v in redis_tls_only.violation with input as _config_map(values)}

test_tls_only_configs_pass if {
	count(redis_tls_only.violation) == 0 with input as _config_map({"redis.conf": _tls_redis, "sentinel.conf": _tls_sentinel})
}

test_other_texts_are_not_redis_config if {
	haproxy := "global\n  maxconn 100\nfrontend redis\n  bind :6379 ssl crt /tls/tls.pem\n  timeout client 30s\n"
	script := "#!/bin/sh\nset -eu\nREDIS_PORT=6379\nsentinel_cli() { redis-cli -p 26379 \"$@\"; }\n"
	count(_messages({"haproxy.cfg": haproxy, "start.sh": script, "empty": ""})) == 0
}

test_plaintext_port_is_flagged_with_key_and_resource if {
	violations := redis_tls_only.violation with input as _config_map({"redis.conf": "port 6379\nappendonly yes\n"})
	some v in violations
	v.msg == "ConfigMap orders-members key redis.conf: `port 6379` leaves a plaintext port open: set `port 0`"
	v.resource == {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "redis-orders", "name": "orders-members"}
	v.file == "dist/c1/orders/configmap-orders-members.yaml"
}

test_missing_port_and_tls_port if {
	msgs := _messages({"redis.conf": "appendonly yes\nmaxmemory 1gb\n"})
	msgs == {
		"ConfigMap orders-members key redis.conf: no `port 0`: the plaintext port stays open (6379 by default, 26379 for sentinel)",
		"ConfigMap orders-members key redis.conf: no `tls-port`: nothing listens for TLS connections",
		"ConfigMap orders-members key redis.conf: no `tls-replication yes`: replication and sentinel connections to members stay plaintext",
	}
}

test_last_port_wins if {
	count(_messages({"redis.conf": "port 0\ntls-port 6379\ntls-replication yes\nport 6380\n"})) == 1
	count(_messages({"redis.conf": "port 6380\ntls-port 6379\ntls-replication yes\nPORT 0\n"})) == 0
}

test_tls_port_must_be_a_nonzero_port if {
	_messages({"sentinel.conf": "port 0\ntls-port 0\ntls-replication yes\nsentinel resolve-hostnames yes\n"}) == {"ConfigMap orders-members key sentinel.conf: `tls-port 0` is not a non-zero port number"}
	count(_messages({"redis.conf": "port 0\ntls-port 70000\ntls-replication yes\n"})) == 1
	count(_messages({"redis.conf": "port 0\ntls-port six\ntls-replication yes\n"})) == 1
}

test_legacy_tls_protocols_are_flagged if {
	msgs := _messages({"redis.conf": "port 0\ntls-port 6379\ntls-replication yes\ntls-protocols \"TLSv1 TLSv1.1 TLSv1.2\"\n"})
	msgs == {
		"ConfigMap orders-members key redis.conf: `tls-protocols` allows TLSv1: allow TLSv1.2 and TLSv1.3 only",
		"ConfigMap orders-members key redis.conf: `tls-protocols` allows TLSv1.1: allow TLSv1.2 and TLSv1.3 only",
	}
}

test_comments_are_ignored if {
	count(_messages({"redis.conf": "# port 6379\nport 0\n  # tls-protocols TLSv1\ntls-port 6379\ntls-replication yes\n"})) == 0
}

test_only_config_maps_are_read if {
	secret := {"resources": [{"file": "s.yaml", "object": {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"redis.conf": "port 6379\n"}}}]}
	count(redis_tls_only.violation) == 0 with input as secret
}

test_replication_must_use_tls if {
	_messages({"redis.conf": "port 0\ntls-port 6379\ntls-replication no\n"}) == {"ConfigMap orders-members key redis.conf: no `tls-replication yes`: replication and sentinel connections to members stay plaintext"}
}

test_included_files_are_flagged if {
	_messages({"redis.conf": concat("", ["include /etc/redis/base.conf\n", _tls_redis])}) == {
		"ConfigMap orders-members key redis.conf: `include /etc/redis/base.conf` (line 1): the gate cannot read what an included file sets, which may reopen the plaintext port or allow old TLS versions: write its directives into this configuration",
	}
}

test_lines_redis_reads_differently if {
	good := "port 0\ntls-port 6379\ntls-replication yes\n"
	count(_opaque_messages(concat("", [good, `tls-protocols "TLSv1.2\x20TLSv1"`]))) == 1
	count(_opaque_messages(concat("", [good, "tls-protocols TLSv1.2\rTLSv1"]))) == 1
	count(_opaque_messages(concat("", [good, "tls-protocols \"TLSv1.2 TLSv1.3\"\r\n# a \\ \"comment\"\n"]))) == 0
}

_opaque_messages(text) := {msg |
	some msg in testing.messages(redis_tls_only.violation) with input as testing.input_of([testing.config_map("c", {"redis.conf": text})])
	contains(msg, "redis decodes or splits at")
}

# Identification: a text is judged as configuration where a redis process is given it, or where it
# unambiguously is one (`.conf` with redis directives); a script or docstring that happens to start
# a line with a directive is not.
test_a_script_that_looks_like_configuration_is_not_judged if {
	docstring := "\"\"\"\nSENTINEL failover is what this Job waits for.\nport numbers come from the environment.\n\"\"\"\nimport os\n"
	count(_messages({"rollout.py": docstring, "notes.txt": "maxmemory is set by the chart\nport 6379 is closed\n"})) == 0
}

_run(values, command) := msgs if {
	workload := testing.workload("StatefulSet", "cache", {
		"containers": [object.union(testing.container("redis", "docker.io/library/redis:7.2.5"), {"command": command, "volumeMounts": [{"name": "config", "mountPath": "/etc/redis"}]})],
		"volumes": [{"name": "config", "configMap": {"name": "cache-config"}}],
	})
	msgs := testing.messages(redis_tls_only.violation) with input as testing.input_of([workload, testing.config_map("cache-config", values)])
}

# What redis runs is the file and then the command line's options: judged together, on the workload.
test_configuration_judged_with_the_options_of_the_process_that_runs_it if {
	# Plaintext in the file, closed by the options: redis listens on TLS only.
	count(_run({"redis.conf": "port 6379\ntls-port 6380\ntls-replication yes\n"}, ["redis-server", "/etc/redis/redis.conf", "--port", "0"])) == 0

	# A file of any name, given to redis, is its configuration.
	_run({"settings": "port 0\ntls-port 6380\ntls-replication yes\n"}, ["redis-server", "/etc/redis/settings", "--port", "6379"]) == {"container redis of StatefulSet cache runs redis-server with ConfigMap cache-config key settings: `port 6379` leaves a plaintext port open: set `port 0`"}
	_run({"redis.conf": "port 0\ntls-port 6380\ntls-replication yes\n"}, ["sh", "-c", "exec redis-server /etc/redis/redis.conf --tls-port 0"]) == {"container redis of StatefulSet cache runs redis-server with ConfigMap cache-config key redis.conf: `tls-port 0` is not a non-zero port number"}
}
