package lib.redis_test

import data.lib.redis

test_related_by_name_labels_or_image if {
	redis.related({"kind": "ConfigMap", "metadata": {"name": "orders-redis-config"}})
	redis.related({"kind": "Service", "metadata": {"name": "orders", "labels": {"app.kubernetes.io/name": "Redis"}}})
	redis.related({"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"image": "bitnami/redis-cluster:7.2"}]}})
	not redis.related({"kind": "Pod", "metadata": {"name": "p", "labels": {"tier": "redis"}}, "spec": {"containers": [{"image": "oliver006/redis_exporter:v1"}]}})
}

test_image_names if {
	redis.image_name("docker.io/library/redis:7.2.5@sha256:abc") == "redis"
	redis.image_name("registry:5000/Team/Redis-Sentinel") == "redis-sentinel"
}

test_non_string_command_parts_are_ignored if {
	redis.words({"command": ["redis-server", 6379], "args": ["--port\t0\n--tls-port", "6379"]}) == ["redis-server", "--port", "0", "--tls-port", "6379"]
}

_workload(kind, name, spec) := {"file": "w.yaml", "object": {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": "n"}, "spec": {"template": {"spec": spec}}}}

# Members are the workloads whose containers run a server: not a backup Job, not an init container
# of a redis image, not a container that runs the CLI.
test_members_are_workloads_that_run_a_server if {
	input_ := {"resources": [
		_workload("StatefulSet", "cache", {"containers": [{"name": "redis", "image": "redis:7.2.5"}]}),
		_workload("Job", "backup", {"containers": [{"name": "dump", "image": "redis:7.2.5", "command": ["sh", "-c", "redis-cli --rdb /backup/dump.rdb"]}]}),
		_workload("Deployment", "web", {"initContainers": [{"name": "wait", "image": "redis:7.2.5", "command": ["redis-cli", "-h", "cache", "ping"]}], "containers": [{"name": "web", "image": "nginx:1.27"}]}),
		_workload("Deployment", "probe", {"containers": [{"name": "probe", "image": "redis:7.2.5", "command": ["redis-cli", "-h", "cache", "--stat"]}]}),
	]}
	[e.object.metadata.name | some e in redis.server_workloads] == ["cache"] with input as input_
}

# A file of the ConfigMap that only HAProxy is given says nothing of the ports HAProxy opens; a
# sentinel's `dir` is not where redis keeps data.
test_plaintext_ports_come_from_what_redis_mounts if {
	config_map := {"file": "c.yaml", "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ha", "namespace": "n"}, "data": {"redis.conf": "port 6379\n", "haproxy.cfg": "frontend f\n  bind :6379 ssl crt /p\n"}}}
	haproxy := _workload("Deployment", "haproxy", {"containers": [{"name": "haproxy", "image": "haproxy:2.8", "volumeMounts": [{"name": "config", "mountPath": "/usr/local/etc/haproxy"}]}], "volumes": [{"name": "config", "configMap": {"name": "ha"}}]})
	redis_ := _workload("StatefulSet", "server", {"containers": [{"name": "redis", "image": "redis:7.2.5", "volumeMounts": [{"name": "config", "mountPath": "/readonly-config"}]}], "volumes": [{"name": "config", "configMap": {"name": "ha"}}]})
	count(redis.plaintext_ports(haproxy.object)) == 0 with input as {"resources": [config_map, haproxy, redis_]}
	redis.plaintext_ports(redis_.object) == {"6379"} with input as {"resources": [config_map, haproxy, redis_]}
}

# A program named by a variable the script sets on a line of its own at the top level is run; one
# set in a block, or reassigned where the gate cannot follow, is not claimed. An assignment runs nothing.
test_script_program_from_a_variable if {
	[i.program | some i in redis.script_invocations("SERVER=valkey-server\nexec \"$SERVER\" --port 0\n")] == ["valkey-server"]
	[i.args | some i in redis.script_invocations("S='/usr/bin/redis-server'\n${S} --port 6379\n")] == [["--port", "6379"]]
	count(redis.script_invocations("S=redis-server\nif [ -n \"$X\" ]; then\nS=cat\nfi\n$S --port 6379\n")) == 0
	count(redis.script_invocations("S=\"/usr/bin/redis-server\"\n")) == 0
	[i.program | some i in redis.script_invocations("S=cat\nS=redis-sentinel\n$S /etc/sentinel.conf\n")] == ["redis-sentinel"]
	[i.program | some i in redis.script_invocations("export S=redis-server\nexec \"$S\" --port 0\n")] == ["redis-server"]
	[i.program | some i in redis.script_invocations("readonly\tS='valkey-server'\n$S --port 0\n")] == ["valkey-server"]
	count(redis.script_invocations("export S=redis-server T=1\n$S --port 0\n")) == 0
}

test_unresolved_program if {
	from_secret := [{"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]
	redis.unresolved_program({"image": "redis:7.2.5", "command": ["$(S)"], "env": from_secret}) == "$(S)"
	redis.unresolved_program({"image": "valkey/valkey:8.1", "args": ["$(S)", "--port", "0"], "env": from_secret}) == "$(S)"
	not redis.unresolved_program({"image": "redis:7.2.5", "command": ["$(S)"], "env": [{"name": "S", "value": "redis-server"}]})
	not redis.unresolved_program({"image": "nginx:1.27", "command": ["$(S)"], "env": from_secret})
	not redis.unresolved_program({"image": "redis:7.2.5", "command": ["sh", "-c", "$(S)"], "env": from_secret})
}

# A start script's program from the container's environment (env or a ConfigMap of the input), where
# no start script of the container assigns the variable.
test_script_program_from_the_containers_environment if {
	literal := {"env": [{"name": "SERVER", "value": "redis-server"}]}
	from_config_map := {"envFrom": [{"configMapRef": {"name": "settings"}}]}
	sealed := {"env": [{"name": "SERVER", "valueFrom": {"secretKeyRef": {"name": "x", "key": "k"}}}]}
	script := "#!/bin/sh\nexec \"$SERVER\" --port 6379\n"
	_environment_runs(literal, script) == [["redis-server", ["--port", "6379"]]]
	_environment_runs(from_config_map, script) == [["valkey-server", ["--port", "6379"]]]
	_environment_runs(sealed, script) == []

	# The script assigns it: the script's value is the one run (here, a program that is no server).
	_environment_runs(literal, "SERVER=cat\nexec \"$SERVER\" --port 6379\n") == []
}

# [program, args] of each invocation of a container with `environment` that runs `script` from a ConfigMap.
_environment_runs(environment, script) := runs if {
	container := object.union(environment, {"name": "redis", "image": "redis:7.2.5", "command": ["sh", "/scripts/start.sh"], "volumeMounts": [{"name": "s", "mountPath": "/scripts"}]})
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [container], "volumes": [{"name": "s", "configMap": {"name": "scripts"}}]}}
	resources := [
		{"object": pod},
		{"object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "scripts"}, "data": {"start.sh": script}}},
		{"object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"SERVER": "/usr/bin/valkey-server"}}},
	]
	runs := [[i.program, i.args] | some i in redis.workload_invocations(pod, container)] with input.resources as resources
}

_settings(text) := [[s.name, s.args] | some s in redis.written_settings(text)]

# What scripts print into files, in here-documents, through sed and CONFIG SET, as redis splits it; not
# what goes to standard error or /dev/null, comments, or directives the TLS rules do not judge.
test_written_settings if {
	_settings("echo \"port 6379\" >> /conf/redis.conf\n") == [["port", ["6379"]]]
	_settings("{\n  echo 'PORT 6379'\n  echo \"replicaof $primary 6379\"\n} >>\"$conf\"\n") == [["port", ["6379"]]]
	_settings("printf 'port 0\\ntls-protocols \"TLSv1 TLSv1.2\"\\n' > /c\n") == [["port", ["0"]], ["tls-protocols", ["TLSv1", "TLSv1.2"]]]
	_settings("cat > /c <<-'EOF'\n\tbind 0.0.0.0\n\ttls-port 0\n\tEOF\necho done\n") == [["tls-port", ["0"]]]
	_settings("sed -i 's|^port .*|port 6379|' /c\nsed -i \"s/^tls-replication yes/tls-replication no/\" /c\n") == [["port", ["6379"]], ["tls-replication", ["no"]]]
	_settings("redis-cli -h localhost config set port 6379 tls-port 0\n") == [["port", ["6379"]], ["tls-port", ["0"]]]
	_settings("sed -i -e '$a port 6379' -e '/^tls-port/c tls-port 0' /c\nsed -i \"1i tls-replication no\" /c\n") == [["port", ["6379"]], ["tls-port", ["0"]], ["tls-replication", ["no"]]]
	_settings(">>\"$conf\" echo 'port 6379'\n") == [["port", ["6379"]]]
	_settings("echo \"port $PORT\" | tee -a /c\n") == [["port", ["$PORT"]]]
	count(_settings("echo \"port 6379 is busy\" >&2\necho 'port 6379' > /dev/null\n# echo port 6379 >> /c\nlog \"port 6379\"\n")) == 0
	count(_settings("sed -n 's/^master_repl_offset://p'\nexport PORT=6379\ncat <<<\"port 6379\"\n")) == 0
}

# Lines whose name is a variable are kept with the variable's name, where they write to a file.
test_written_settings_by_variable_name if {
	[[s.variable, s.args] | some s in redis.read_written_settings("echo \"$DIRECTIVE 6379\" >> /c\n")] == [["DIRECTIVE", ["6379"]]]
	[[s.variable, s.args] | some s in redis.read_written_settings("{\n  echo \"${D}\" 0\n  echo \"$X\"\n} >>\"$conf\"\necho \"$D 1\"\n")] == [["D", ["0"]], ["X", []]]
	count(redis.read_written_settings("echo \"$D 6379\" >/dev/null\nwhile true; do\n  echo \"$D 1\"\ndone >&2\n")) == 0
}

# A pod's redis and init containers' start scripts and command lines are read; other workloads' not.
test_runtime_settings_come_from_redis_pods if {
	script := {"file": "c.yaml", "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "scripts", "namespace": "n"}, "data": {"start.sh": "echo 'port 6379' >> /run/redis.conf\nexec redis-server /run/redis.conf\n"}}}
	member := _workload("StatefulSet", "cache", {
		"initContainers": [{"name": "init", "image": "busybox:1.36", "command": ["sh", "-c", "echo tls-replication no >> /run/extra.conf"]}],
		"containers": [{"name": "redis", "image": "redis:7.2.5", "command": ["sh", "/scripts/start.sh"], "volumeMounts": [{"name": "s", "mountPath": "/scripts"}]}],
		"volumes": [{"name": "s", "configMap": {"name": "scripts"}}],
	})
	web := _workload("Deployment", "web", {"containers": [{"name": "web", "image": "nginx:1.27", "command": ["sh", "-c", "echo 'port 6379' > /tmp/x"]}]})
	found := {[s.workload.object.metadata.name, s.container.container.name, s.name] | some s in redis.runtime_settings} with input as {"resources": [script, member, web]}
	found == {["cache", "init", "tls-replication"], ["cache", "redis", "port"]}
}

# printf prints its format: its arguments fill it (`printf 'NAME=%s\n' "$value" > env` writes no directive).
test_printf_prints_its_format if {
	count(redis.read_written_settings("printf 'A=%s\\nB=%s\\n' \"$a\" \"$b\" > /env\n")) == 0
	[s.variable | some s in redis.read_written_settings("printf \"$D %s\\n\" 6379 > /c\n")] == ["D"]
}

# printf's arguments fill its format; unfilled one for one, they are read as printed too.
test_printf_arguments_fill_the_format if {
	_settings("printf 'port %s\\n' 0 >> /c\n") == [["port", ["0"]]]
	_settings("printf 'tls-port %d\\ntls-replication %s\\n' 6380 no >> /c\n") == [["tls-port", ["6380"]], ["tls-replication", ["no"]]]
	_settings("printf \"%s\" \"port 6379\" >> /c\n") == [["port", ["6379"]]]
	_settings("printf '%s\\n' 'port 6379' >> /c\n") == [["port", ["6379"]]]
}

# The shell removes quotes and backslashes before the program sees its words: the gate reads the
# words so (test/redis-config.process.test.ts holds this to sh and redis-server).
test_words_are_read_as_the_shell_passes_them if {
	redis.shell_word(`--p""ort`) == "--port"
	redis.shell_word(`\--port`) == "--port"
	redis.shell_word(`'--tls'-port`) == "--tls-port"
	redis.shell_word(`"$PORT"`) == "$PORT"
	redis.shell_word("plain") == "plain"
	redis.options([`-""-port`, `6"37"9`, `--TLS-"port"`, "0"]) == {"port": ["6379"], "tls-port": ["0"]}
	redis.config_file({"args": [`"/etc/redis/redis.conf"`, "--port", "0"]}) == "/etc/redis/redis.conf"
	not redis.config_file({"args": [`\--port`, "0"]})
}

test_a_program_named_with_quotes_inside_runs if {
	[inv.program | some inv in redis.invocations({"image": "redis:7.2.5", "command": ["sh", "-c", `exec r\edis-"server" --port 6379`]})] == ["redis-server"]
	[inv.program | some inv in redis.read_script_invocations("#!/bin/sh\nexec redis-'ser'ver /etc/redis.conf\n")] == ["redis-server"]
	[inv.args | some inv in redis.read_script_invocations("#!/bin/sh\nexec redis-'ser'ver /etc/redis.conf\n")] == [["/etc/redis.conf"]]
}

# A program that runs the rest of its words as a command runs the server (gosu, as the official
# image's entrypoint does; nice, timeout, eval, a shell's command string); one that only names it does not.
test_a_server_run_by_another_program_is_read if {
	every line in [
		"exec gosu redis redis-server --port 6379",
		"nice -n 5 timeout 1d redis-server --port 6379",
		`eval "exec redis-server --port 6379"`,
		`exec su redis -s /bin/sh -c "redis-server --port 6379"`,
		`bash -ec 'exec redis-server --port 6379'`,
	] {
		[redis.options(inv.args) | some inv in redis.read_script_invocations(concat("\n", ["#!/bin/sh", line, ""]))] == [{"port": ["6379"]}]
	}
	count(redis.read_script_invocations("#!/bin/sh\npidof redis-server || echo started; pkill -f redis-server\n")) == 0
	count(redis.read_script_invocations("#!/bin/sh\nnice -n 5 true; pidof redis-server\n")) == 0
	[inv.xargs | some inv in redis.read_script_invocations("#!/bin/sh\necho --port 6379 | xargs redis-server\n")] == [true]
	count(redis.read_script_invocations("#!/bin/sh\ngrep -c redis-server /proc/1/cmdline; nice -n 5 echo; redis-server --version\n")) == 0
	count(redis.read_script_invocations("#!/bin/sh\n[ \"$(basename \"$0\")\" = redis-server ] && case $1 in redis-server|redis-sentinel) shift;; esac\n")) == 0
	count(redis.read_script_invocations("#!/bin/sh\ncase $1 in\n  redis-server | redis-sentinel) ;;\nesac\n")) == 0
	[inv.args | some inv in redis.read_script_invocations("#!/bin/sh\nA=1 B[0]=2 redis-server --port 6379; redis-server -h; redis-server --test-memory 64\n")] == [["--port", "6379"]]
}

# A start script's words that name a server where the gate reads no invocation are listed (some
# program it does not know may run it); names a command only looks at are not.
test_unread_server_names if {
	names := redis.read_unread_server_names(concat("\n", [
		"#!/bin/sh",
		"strace -f redis-server /etc/redis.conf --port 6379",
		"exec \"$(command -v redis-server)\" /etc/redis.conf",
		"S=$(which valkey-server); pidof redis-server; echo \"start redis-server\"",
		"command -v redis-server || exit 1",
		"[ -x \"$(command -v redis-server)\" ] && echo \"found $(which redis-server)\"",
		"case $1 in redis-server|redis-sentinel) exec gosu redis redis-server /etc/redis.conf;; esac",
		"",
	]))
	{name | some name in names} == {
		{"line": 2, "word": "redis-server", "command": "strace"},
		{"line": 3, "word": "redis-server", "command": "command"},
		{"line": 4, "word": "valkey-server", "command": "which"},
	}
	count(names) == 3
}

# The shell's operators split commands wherever they stand unquoted (a subshell's parenthesis touching
# the program, `&&` without blanks, a command substitution, a case branch); a redirection's `&`, a
# group the command opens itself and quoted text do not.
test_a_server_inside_shell_constructs_is_read if {
	every line in [
		"(redis-server --port 6379)",
		"( exec redis-server --port 6379 )",
		"true&&redis-server --port 6379",
		"echo|redis-server --port 6379",
		"X=$(redis-server --port 6379)",
		"X=`redis-server --port 6379`",
		"case $1 in a) :;; b) exec redis-server --port 6379;; esac",
		"exec -a redis redis-server --port 6379",
		"exec -l -- gosu redis redis-server --port 6379",
		"command -p redis-server --port 6379",
		"nohup -- redis-server --port 6379 >/dev/null 2>&1",
		"redis-server --port 6379 &>/dev/null &",
	] {
		[redis.options(inv.args) | some inv in redis.read_script_invocations(concat("\n", ["#!/bin/sh", line, ""]))] == [{"port": ["6379"]}]
	}
	[inv.args | some inv in redis.read_script_invocations("#!/bin/sh\nredis-server --save $(echo '' | cat) --port 0 2>&1\n")] == [["--save", "$(", "echo", "''", "|", "cat", ")", "--port", "0"]]
	count(redis.read_script_invocations("#!/bin/sh\necho \"(redis-server --port 6379)\"; command -v redis-server\n")) == 0
	count(redis.read_script_invocations("#!/bin/sh\necho $(date) redis-server starting\n")) == 0
}

# `-` as the last argument has redis read settings from its standard input.
test_settings_from_standard_input if {
	[[inv.args, redis.reads_standard_input(inv)] | some inv in redis.read_script_invocations("#!/bin/sh\necho 'port 6379' | redis-server /c.conf --port 0 -\n")] == [[["/c.conf", "--port", "0"], true]]
	[redis.reads_standard_input(inv) | some inv in redis.invocations({"image": "redis:7.2.5", "command": ["redis-server", "-"]})] == [true]
	[inv | some inv in redis.invocations({"image": "redis:7.2.5", "command": ["redis-server", "/c.conf"]}); redis.reads_standard_input(inv)] == []
}

# Another program's runs in a start script, found as the servers are (for the HAProxy library).
test_program_runs if {
	redis.program_runs("#!/bin/sh\nhaproxy -c -f /a.cfg && exec gosu haproxy haproxy -W -f /b.cfg 2>&1\necho haproxy -f /c.cfg\n", "haproxy") == [
		["-c", "-f", "/a.cfg"],
		["-W", "-f", "/b.cfg", "2>&1"],
	]
}

# What a line echoes into a configuration, its words read as the shell hands them to echo.
test_written_directive_reads_words_as_the_shell_does if {
	redis._written_directive(`echo 'po''rt 6379' >> /tmp/r.conf`) == "port"
	redis._written_directive(`echo "tls-"port 0 >> /tmp/r.conf`) == "tls-port"
}
