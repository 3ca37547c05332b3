package rules.tls.redis_args_tls_only_test

import data.lib.testing
import data.rules.tls.redis_args_tls_only

_messages(container) := msgs if {
	msgs := testing.messages(redis_args_tls_only.violation) with input as testing.input_of([testing.workload("StatefulSet", "cache", {"containers": [container]})])
}

_redis(fields) := object.union(testing.container("redis", "docker.io/library/redis:7.2.5"), fields)

# What the rule says of a configuration file no ConfigMap of the input gives the container (the
# tests below name such a file to have the options judged on their own, as the rule then does).
_unread(program, path) := sprintf("container redis of StatefulSet cache runs %s: it reads %s, which no ConfigMap of the manifests gives it (a file written at run time onto a volume, by an init container for instance, or the image's own): the gate cannot check what that configuration sets; give it from a ConfigMap the container mounts, or copy one there with `cp` and literal paths in a script of its pod", [program, path])

test_tls_only_options_pass if {
	count(_messages(_redis({"args": ["--port", "0", "--tls-port", "6379", "--tls-replication", "yes"]}))) == 0
	count(_messages(testing.container("app", "example.com/app:1"))) == 0
}

# A start script the gate cannot read (no ConfigMap holds it: a Secret's, the image's own, one
# written at run time), and no server it can see: how redis starts is not known, so it fails closed.
test_unread_start_script_of_a_redis_container if {
	_messages(_redis({"command": ["sh", "/start.sh"]})) == {"container redis of StatefulSet cache is a redis container that runs /start.sh, which is not a ConfigMap key its pod mounts (a Secret's, the image's own, or one written at run time): the gate cannot tell which server it starts, with which configuration; give the script from a ConfigMap"}
	count(_messages(object.union(testing.container("app", "example.com/app:1"), {"command": ["sh", "/start.sh"]}))) == 0
}

test_image_default_listens_in_plaintext if {
	_messages(_redis({})) == {
		"container redis of StatefulSet cache runs redis-server: no configuration file and no `--port 0`: it listens in plaintext on 6379",
		"container redis of StatefulSet cache runs redis-server: no configuration file and no `--tls-port`: nothing listens for TLS connections",
		"container redis of StatefulSet cache runs redis-server: no configuration file and no `--tls-replication yes`: replication connections stay plaintext",
	}
}

test_shell_command_line_options_are_read if {
	msgs := _messages(_redis({"command": ["sh", "-c", "redis-server /etc/redis.conf --port 6380 --tls-replication no --tls-protocols \"TLSv1.1 TLSv1.2\" && echo done"]}))
	msgs == {
		_unread("redis-server", "/etc/redis.conf"),
		"container redis of StatefulSet cache runs redis-server: `--port 6380` opens a plaintext port: use `--port 0`",
		"container redis of StatefulSet cache runs redis-server: `--tls-replication no`: replication connections stay plaintext",
		"container redis of StatefulSet cache runs redis-server: `--tls-protocols` allows TLSv1.1: allow TLSv1.2 and TLSv1.3 only",
	}
}

test_sentinel_default_port if {
	some msg in _messages(_redis({"command": ["/usr/local/bin/redis-sentinel"], "args": ["--tls-port", "26379", "--tls-replication", "yes"]}))
	contains(msg, "runs redis-sentinel: no configuration file and no `--port 0`: it listens in plaintext on 26379")
	some msg2 in _messages(_redis({"args": ["--sentinel", "--port", "0", "--tls-port", "26379", "--tls-replication", "yes", "--port", "26379"]}))
	msg2 == "container redis of StatefulSet cache runs redis-server: `--port 26379` opens a plaintext port: use `--port 0`"
}

# Valkey: valkey-server and valkey-sentinel take the same options, and the image runs valkey-server.
test_valkey_servers_are_read_as_redis if {
	_messages(object.union(testing.container("cache", "docker.io/valkey/valkey:8.1.10"), {"command": ["valkey-server", "/etc/valkey/valkey.conf", "--port", "6379"]})) == {replace(_unread("valkey-server", "/etc/valkey/valkey.conf"), "container redis", "container cache"), "container cache of StatefulSet cache runs valkey-server: `--port 6379` opens a plaintext port: use `--port 0`"}
	some msg in _messages(testing.container("cache", "docker.io/valkey/valkey:8.1.10"))
	msg == "container cache of StatefulSet cache runs valkey-server: no configuration file and no `--port 0`: it listens in plaintext on 6379"
	some msg2 in _messages(object.union(testing.container("sentinel", "docker.io/valkey/valkey:8.1.10"), {"command": ["valkey-sentinel"], "args": ["--port", "0", "--tls-replication", "yes"]}))
	msg2 == "container sentinel of StatefulSet cache runs valkey-sentinel: no configuration file and no `--tls-port`: nothing listens for TLS connections"
}

# Options are configuration lines read after the file: `--tls-port 0` closes the TLS port the file opened.
test_tls_port_zero_on_the_command_line if {
	_messages(_redis({"command": ["redis-server", "/etc/redis/redis.conf", "--tls-port", "0"]})) == {_unread("redis-server", "/etc/redis/redis.conf"), "container redis of StatefulSet cache runs redis-server: `--tls-port 0` closes the TLS port: nothing listens for TLS connections"}
}

_scripted(script, command) := msgs if {
	workload := testing.workload("StatefulSet", "cache", {
		"containers": [object.union(_redis({"command": command}), {"volumeMounts": [{"name": "scripts", "mountPath": "/opt/scripts"}]})],
		"volumes": [{"name": "scripts", "configMap": {"name": "cache-scripts"}}],
	})
	msgs := testing.messages(redis_args_tls_only.violation) with input as testing.input_of([workload, testing.config_map("cache-scripts", {"start.sh": script})])
}

# A start script the container runs from a ConfigMap it mounts is read too: its redis-server command
# lines, each to the end of its line (continued by a backslash).
test_start_script_in_a_config_map if {
	_scripted("#!/bin/sh\nset -e\n# redis-server would start in plaintext without a file\nexec redis-server /etc/redis/redis.conf \\\n  --port 6379\necho redis-server started --port 6380\n", ["sh", "/opt/scripts/start.sh"]) == {_unread("redis-server", "/etc/redis/redis.conf"), "container redis of StatefulSet cache runs redis-server: `--port 6379` opens a plaintext port: use `--port 0`"}
	_scripted("#!/bin/sh\nif true; then exec redis-server /etc/redis/redis.conf --tls-port 0; fi\n", ["/bin/bash", "-c", "/opt/scripts/start.sh"]) == {_unread("redis-server", "/etc/redis/redis.conf"), "container redis of StatefulSet cache runs redis-server: `--tls-port 0` closes the TLS port: nothing listens for TLS connections"}
	_scripted("#!/bin/sh\nexec redis-server /etc/redis/redis.conf --port 0\n", ["sh", "/opt/scripts/start.sh"]) == {_unread("redis-server", "/etc/redis/redis.conf")}

	# A script the container does not run is not read.
	count(_scripted("exec redis-server --port 6379\n", ["sh", "/opt/scripts/other.sh"])) == 0
}

_bitnami(lines) := concat("\n", array.concat(["#!/bin/bash", ". /opt/bitnami/scripts/liblog.sh"], array.concat(lines, ["exec redis-server \"${ARGS[@]}\"", ""])))

# An array the script builds line by line at its top level (as Bitnami's start scripts do) is read
# as the options it passes; a reset (`ARGS=(`) drops what came before.
test_array_options_are_resolved if {
	tls := ["ARGS=(\"--port\" \"0\")", "ARGS+=(\"--tls-port\" \"${REDIS_TLS_PORT}\")", "ARGS+=(\"--tls-cert-file\" \"${REDIS_TLS_CERT_FILE}\")", "ARGS+=('--tls-replication' yes)"]
	count(_scripted(_bitnami(tls), ["/bin/bash", "-c", "/opt/scripts/start.sh"])) == 0
	plaintext := ["ARGS=(\"--port\" \"0\")", "ARGS=(\"--port\" \"${REDIS_PORT}\")", "ARGS+=(\"--tls-port\" \"6379\" \"--tls-replication\" \"yes\")"]
	_scripted(_bitnami(plaintext), ["/bin/bash", "-c", "/opt/scripts/start.sh"]) == {"container redis of StatefulSet cache runs redis-server: `--port ${REDIS_PORT}` opens a plaintext port: use `--port 0`"}
}

# An array the gate cannot follow (set in a block, after `&&`, in a function, over several lines,
# with a quoted word holding a blank, not at all), the shell's parameters, and a variable where an
# option name or the file stands are reported, not guessed.
test_unresolved_expansions_are_reported if {
	unresolved := "container redis of StatefulSet cache runs redis-server with `\"${ARGS[@]}\"`, which the shell expands when it runs: the gate cannot tell which options it passes; write them on the command line (an array is read when each assignment is a line of its own at the top level of the script)"
	cases := [
		["ARGS=(\"--port\" \"0\" \"--tls-port\" \"6379\" \"--tls-replication\" \"yes\")", "if [ -n \"$PLAIN\" ]; then", "  ARGS=(\"--port\" \"6379\")", "fi"],
		["ARGS=(\"--port\" \"0\" \"--tls-port\" \"6379\" \"--tls-replication\" \"yes\")", "[ -n \"$PLAIN\" ] && ARGS+=(\"--port\" \"6379\")"],
		["args() {", "ARGS=(\"--port\" \"6379\")", "}"],
		["ARGS=(", "  --port 6379", ")"],
		["ARGS=(\"--port 0\")"],
		[],
	]
	every case in cases {
		unresolved in _scripted(_bitnami(case), ["/bin/bash", "-c", "/opt/scripts/start.sh"])
	}
	msgs := _messages(_redis({"command": ["sh", "-c", "redis-server --port 0 --tls-port 6379 --tls-replication yes \"$@\"", "--"]}))
	some msg in msgs
	contains(msg, "runs redis-server with `\"$@\"`, which the shell expands when it runs")
	conf := _messages(_redis({"command": ["sh", "-c", "exec redis-server $CONF --port 0"]}))
	some msg2 in conf
	contains(msg2, "runs redis-server with `$CONF`")

	# The value after an option name is read as the value it is not known to be.
	_messages(_redis({"command": ["sh", "-c", "redis-server --port 0 --tls-port \"$TLS_PORT\" --tls-replication yes"]})) == set()
}

# A configuration file, or an --include, read from a Secret (a secret volume, or a projected one with
# a secret source; at the path through subPath, or under the folder it is mounted at).
_with_volume(container, volume) := testing.input_of([testing.workload("StatefulSet", "cache", {"containers": [container], "volumes": [volume]})])

test_configuration_read_from_a_secret if {
	secret_volume := {"name": "conf", "secret": {"secretName": "cache-conf"}}
	projected := {"name": "conf", "projected": {"sources": [{"configMap": {"name": "c"}}, {"secret": {"name": "cache-auth"}}]}}
	at_folder := _redis({"command": ["redis-server", "/etc/redis/redis.conf"], "volumeMounts": [{"name": "conf", "mountPath": "/etc/redis"}]})
	by_sub_path := _redis({"args": ["/usr/local/etc/redis.conf", "--include", "/etc/auth.conf"], "volumeMounts": [{"name": "conf", "mountPath": "/etc/auth.conf", "subPath": "auth.conf"}]})
	found_1 := testing.messages(redis_args_tls_only.violation) with input as _with_volume(at_folder, secret_volume)
	found_1 == {"container redis of StatefulSet cache runs redis-server: it reads /etc/redis/redis.conf from Secret cache-conf, which the gate cannot read (a sealed value): it cannot check what that configuration sets; give the configuration from a ConfigMap, and append its passwords at start from the mounted Secret"}
	msgs := testing.messages(redis_args_tls_only.violation) with input as _with_volume(by_sub_path, projected)
	{m | some m in msgs; contains(m, "from Secret")} == {"container redis of StatefulSet cache runs redis-server: it reads /etc/auth.conf from Secret cache-auth, which the gate cannot read (a sealed value): it cannot check what that configuration sets; give the configuration from a ConfigMap, and append its passwords at start from the mounted Secret"}

	# Mounted elsewhere, or a ConfigMap: not read from a Secret.
	elsewhere := _redis({"command": ["redis-server", "/etc/redis/redis.conf"], "volumeMounts": [{"name": "conf", "mountPath": "/etc/redis-secrets"}]})
	count({m | some m in testing.messages(redis_args_tls_only.violation) with input as _with_volume(elsewhere, secret_volume); contains(m, "from Secret")}) == 0
}

# A start script in a projected volume is read from the ConfigMap source that holds it (the other
# source does not claim it), not reported as unread.
test_start_script_in_a_projected_volume if {
	container := _redis({"command": ["sh", "/scripts/start.sh"], "volumeMounts": [{"name": "scripts", "mountPath": "/scripts"}]})
	volume := {"name": "scripts", "projected": {"sources": [{"configMap": {"name": "other"}}, {"configMap": {"name": "start"}}, {"secret": {"name": "auth"}}]}}
	objects := [
		testing.workload("StatefulSet", "cache", {"containers": [container], "volumes": [volume]}),
		testing.config_map("other", {"notes.txt": "x"}),
		testing.config_map("start", {"start.sh": "exec redis-server --port 6379 --tls-port 6380 --tls-replication yes\n"}),
	]
	found_2 := testing.messages(redis_args_tls_only.violation) with input as testing.input_of(objects)
	found_2 == {"container redis of StatefulSet cache runs redis-server: `--port 6379` opens a plaintext port: use `--port 0`"}
}

# A redis server on /conf/redis.conf, which an init container's shell command writes onto their emptyDir.
_copied_by_init(command) := testing.workload("StatefulSet", "cache", {
	"initContainers": [object.union(testing.container("config", "docker.io/library/busybox:1.37"), {
		"command": ["sh", "-c", command],
		"volumeMounts": [{"name": "conf-src", "mountPath": "/conf-src"}, {"name": "conf", "mountPath": "/conf"}],
	})],
	"containers": [_redis({"command": ["redis-server", "/conf/redis.conf"], "volumeMounts": [{"name": "conf", "mountPath": "/conf"}]})],
	"volumes": [{"name": "conf-src", "configMap": {"name": "cache-config"}}, {"name": "conf", "emptyDir": {}}],
})

# A configuration file or --include the gate cannot read (written at run time, the image's own, from
# a ConfigMap the input lacks) fails closed: judged by its options alone, a server whose file opens
# port 6379 passed. One a ConfigMap of the input gives the container is read (tls.redis_tls_only).
test_configuration_the_gate_cannot_read if {
	conf := {"name": "conf", "mountPath": "/conf"}
	server := _redis({"command": ["redis-server", "/conf/redis.conf"], "volumeMounts": [conf]})
	config_map := testing.config_map("cache-config", {"redis.conf": "port 6379\n"})

	# An init container's copy the gate follows is read (tls.redis_tls_only judges it), to a path in a
	# variable the script sets once to a literal too; one to a variable set twice, or to an
	# expansion, is not.
	found_copied := testing.messages(redis_args_tls_only.violation) with input as testing.input_of([_copied_by_init("cp /conf-src/redis.conf /conf/redis.conf"), config_map])
	count(found_copied) == 0
	found_variable := testing.messages(redis_args_tls_only.violation) with input as testing.input_of([_copied_by_init("CONF=/conf/redis.conf\ncp /conf-src/redis.conf \"$CONF\""), config_map])
	count(found_variable) == 0
	every script in ["CONF=/conf/redis.conf\n[ -z \"$X\" ] || CONF=/conf/other.conf\ncp /conf-src/redis.conf \"$CONF\"", "CONF=$DIR/redis.conf\ncp /conf-src/redis.conf \"$CONF\"", "cp /conf-src/redis.conf \"$CONF\"\nCONF=/conf/redis.conf"] {
		testing.messages(redis_args_tls_only.violation) == {_unread("redis-server", "/conf/redis.conf")} with input as testing.input_of([_copied_by_init(script), config_map])
	}

	mounted := testing.workload("StatefulSet", "cache", {"containers": [server], "volumes": [{"name": "conf", "configMap": {"name": "cache-config"}}]})
	found_mounted := testing.messages(redis_args_tls_only.violation) with input as testing.input_of([mounted, config_map])
	count(found_mounted) == 0
	found_missing := testing.messages(redis_args_tls_only.violation) with input as testing.input_of([mounted])
	found_missing == {"container redis of StatefulSet cache runs redis-server: it reads /conf/redis.conf, key redis.conf of ConfigMap cache-config, which the manifests do not hold: the gate cannot check what that configuration sets; give it from a ConfigMap the container mounts, or copy one there with `cp` and literal paths in a script of its pod"}

	# An --include too; a path the shell expands is unresolved_arguments' to report.
	included := _redis({"args": ["--port", "0", "--tls-port", "6379", "--tls-replication", "yes", "--include", "/etc/redis/extra.conf"]})
	_messages(included) == {_unread("redis-server", "/etc/redis/extra.conf")}
	every msg in _messages(_redis({"command": ["sh", "-c", "redis-server $CONF"]})) {
		not contains(msg, "no ConfigMap of the manifests gives it")
	}
}
