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

# Bitnami's way: templates in a ConfigMap mounted as a folder, copied by the start script and given
# as --include options after TLS options built in an array, the TLS port from the container's env.
_copying(script, env) := msgs if {
	msgs := testing.messages(redis_tls_only.violation) with input as _copying_input(script, env)
}

_copying_input(script, env) := testing.input_of([
	testing.config_map("node-configuration", {"redis.conf": "appendonly yes\nsave \"\"\n", "replica.conf": "dir /data\nrename-command FLUSHALL \"\"\n"}),
	testing.config_map("node-scripts", {"start.sh": script}),
	testing.workload("StatefulSet", "node", {
		"containers": [{
			"name": "redis", "image": "bitnami/redis:8.2.2",
			"command": ["/bin/bash", "-c", "/scripts/start.sh"],
			"env": env,
			"volumeMounts": [{"name": "scripts", "mountPath": "/scripts"}, {"name": "config", "mountPath": "/opt/mounted-etc"}, {"name": "etc", "mountPath": "/opt/etc"}],
		}],
		"volumes": [{"name": "scripts", "configMap": {"name": "node-scripts"}}, {"name": "config", "configMap": {"name": "node-configuration"}}, {"name": "etc", "emptyDir": {}}],
	}),
])

_copy_script(extra) := concat("\n", array.concat(
	[
		"#!/bin/bash",
		"cp /opt/mounted-etc/replica.conf /opt/etc/replica.conf",
		"cp /opt/mounted-etc/redis.conf /opt/etc/redis.conf",
		"echo \"\" >> /opt/etc/replica.conf",
		"echo \"replica-announce-port $REDISPORT\" >> /opt/etc/replica.conf",
	],
	array.concat(extra, [
		"ARGS=(\"--port\" \"0\")",
		"ARGS+=(\"--tls-port\" \"${REDIS_TLS_PORT}\")",
		"ARGS+=(\"--tls-replication\" \"yes\")",
		"ARGS+=(\"--include\" \"/opt/etc/replica.conf\")",
		"ARGS+=(\"--include\" \"/opt/etc/redis.conf\")",
		"exec redis-server \"${ARGS[@]}\"",
	]),
))

test_copied_and_included_templates_are_judged_as_run if {
	count(_copying(_copy_script([]), [{"name": "REDIS_TLS_PORT", "value": "6379"}])) == 0

	# The TLS port from a Secret, or set by the script itself, is not known.
	some msg in _copying(_copy_script([]), [{"name": "REDIS_TLS_PORT", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}])
	contains(msg, "`tls-port ${REDIS_TLS_PORT}` is not a non-zero port number")
	some msg2 in _copying(_copy_script(["REDIS_TLS_PORT=0"]), [{"name": "REDIS_TLS_PORT", "value": "6379"}])
	contains(msg2, "`tls-port ${REDIS_TLS_PORT}` is not a non-zero port number")
}

test_writes_at_run_time_that_may_change_tls_are_reported if {
	_copying(_copy_script(["echo \"port 6379\" >> /opt/etc/redis.conf"]), [{"name": "REDIS_TLS_PORT", "value": "6379"}]) == {"container redis of StatefulSet node runs redis-server with ConfigMap node-configuration key replica.conf and redis.conf: a script or command line of its pod writes into its copy of the configuration at run time (`port`), which the gate cannot read: keep the settings in the ConfigMap or on the command line"}
	some msg in _copying(_copy_script(["cat /etc/extra >> /opt/etc/replica.conf"]), [{"name": "REDIS_TLS_PORT", "value": "6379"}])
	contains(msg, "(a line the gate cannot read)")
	some msg2 in _copying(_copy_script(["sed -i 's/^port .*/port 6379/' /opt/etc/redis.conf"]), [{"name": "REDIS_TLS_PORT", "value": "6379"}])
	contains(msg2, "(a line the gate cannot read)")
	some msg3 in _copying(_copy_script(["mv /tmp/generated.conf /opt/etc/redis.conf"]), [{"name": "REDIS_TLS_PORT", "value": "6379"}])
	contains(msg3, "(a line the gate cannot read)")
}

# A file copied to a path twice is not known: the templates are then judged alone (as before the
# gate followed copies), and the include of a file it cannot read is reported.
test_a_path_copied_twice_is_not_followed if {
	msgs := _copying(_copy_script(["cp /tmp/other.conf /opt/etc/redis.conf"]), [{"name": "REDIS_TLS_PORT", "value": "6379"}])
	some msg in msgs
	contains(msg, "`include /opt/etc/redis.conf`")
}

# An init container that copies the configuration onto a volume the server mounts too (sentinel
# rewrites its file, so manifests copy it out of the read-only ConfigMap): the copy is judged as run.
_init_copied(init_command, more_inits) := msgs if {
	init := object.union(testing.container("config", "docker.io/library/busybox:1.37"), {
		"command": init_command,
		"volumeMounts": [{"name": "config", "mountPath": "/readonly"}, {"name": "data", "mountPath": "/data"}],
	})
	server := object.union(testing.container("redis", "docker.io/library/redis:7.2.5"), {
		"command": ["redis-server", "/etc/redis/conf/redis.conf"],
		"volumeMounts": [{"name": "data", "mountPath": "/etc/redis"}],
	})
	workload := testing.workload("StatefulSet", "cache", {
		"initContainers": array.concat([init], more_inits),
		"containers": [server],
		"volumes": [{"name": "config", "configMap": {"name": "cache-config"}}, {"name": "data", "emptyDir": {}}],
	})
	tls := "port 0\ntls-port 6379\ntls-replication yes\n"
	msgs := testing.messages(redis_tls_only.violation) with input as testing.input_of([workload, testing.config_map("cache-config", {"redis.conf": tls, "plain": "port 6379\n"})])
}

test_a_copy_an_init_container_makes_is_judged_as_run if {
	count(_init_copied(["sh", "-c", "cp /readonly/redis.conf /data/conf/redis.conf"], [])) == 0
	_init_copied(["cp", "/readonly/plain", "/data/conf/redis.conf"], []) == {
		"container redis of StatefulSet cache runs redis-server with ConfigMap cache-config key plain: `port 6379` leaves a plaintext port open: set `port 0`",
		"container redis of StatefulSet cache runs redis-server with ConfigMap cache-config key plain: no `tls-port`: nothing listens for TLS connections",
		"container redis of StatefulSet cache runs redis-server with ConfigMap cache-config key plain: no `tls-replication yes`: replication and sentinel connections to members stay plaintext",
	}
}

# An init container that runs redis on the copy it makes itself: its own copy, not a second one.
test_an_init_container_running_its_own_copy if {
	init := object.union(testing.container("config", "docker.io/library/redis:7.2.5"), {
		"command": ["sh", "-c", "cp /readonly/plain /data/redis.conf\nexec redis-server /data/redis.conf"],
		"volumeMounts": [{"name": "config", "mountPath": "/readonly"}, {"name": "data", "mountPath": "/data"}],
	})
	workload := testing.workload("StatefulSet", "cache", {
		"initContainers": [init],
		"containers": [testing.container("app", "example.com/app:1")],
		"volumes": [{"name": "config", "configMap": {"name": "cache-config"}}, {"name": "data", "emptyDir": {}}],
	})
	msgs := testing.messages(redis_tls_only.violation) with input as testing.input_of([workload, testing.config_map("cache-config", {"plain": "port 6379\n"})])
	some msg in msgs
	startswith(msg, "init container config of StatefulSet cache runs redis-server with ConfigMap cache-config key plain: `port 6379` leaves a plaintext port open")
}

# What an init container writes into the copy, the one that copies or another, is reported.
test_what_init_containers_write_into_the_copy_is_reported if {
	written := "container redis of StatefulSet cache runs redis-server with ConfigMap cache-config key redis.conf: a script or command line of its pod writes into its copy of the configuration at run time (a line the gate cannot read), which the gate cannot read: keep the settings in the ConfigMap or on the command line"
	_init_copied(["sh", "-c", "cp /readonly/redis.conf /data/conf/redis.conf\nsed -i 's/^port 0/port 6379/' /data/conf/redis.conf"], []) == {written}
	editor := object.union(testing.container("edit", "docker.io/library/busybox:1.37"), {
		"command": ["sh", "-c", "echo \"port 6379\" >> /data/conf/redis.conf"],
		"volumeMounts": [{"name": "data", "mountPath": "/data"}],
	})
	_init_copied(["cp", "/readonly/redis.conf", "/data/conf/redis.conf"], [editor]) == {replace(written, "(a line the gate cannot read)", "(`port`)")}
}

# Copied twice, or to a path the gate cannot tell (a variable the script sets twice), the copy is
# not followed: tls.redis_args_tls_only reports a configuration the gate cannot read.
test_a_copy_the_gate_cannot_follow_is_not_judged if {
	twice := object.union(testing.container("again", "docker.io/library/busybox:1.37"), {
		"command": ["cp", "/readonly/plain", "/data/conf/redis.conf"],
		"volumeMounts": [{"name": "config", "mountPath": "/readonly"}, {"name": "data", "mountPath": "/data"}],
	})
	count(_init_copied(["cp", "/readonly/redis.conf", "/data/conf/redis.conf"], [twice])) == 0
	count(_init_copied(["sh", "-c", "CONF=/data/conf/redis.conf\n[ -z \"$X\" ] || CONF=/data/conf/x.conf\ncp /readonly/plain \"$CONF\""], [])) == 0

	# A variable set once to a literal path is followed: the plaintext copy is judged.
	count(_init_copied(["sh", "-c", "CONF=/data/conf/redis.conf\ncp /readonly/plain \"$CONF\""], [])) > 0
}
