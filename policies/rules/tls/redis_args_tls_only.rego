# METADATA
# title: Redis and Sentinel started from the command line accept TLS only
# description: >-
#   A redis-server or redis-sentinel (valkey-server, valkey-sentinel) run by a container (its
#   command or args, a shell command line included, the image's default entrypoint, or a start
#   script the container runs from a ConfigMap its pod mounts) takes configuration directives as
#   `--name value` options, which redis reads as lines after its configuration file. Without a
#   configuration file it must close the plaintext port (`--port 0`), open a `--tls-port` and set
#   `--tls-replication yes`; with one, an option may still reopen the plaintext port (`--port
#   6379`) or close the TLS one (`--tls-port 0`). `--tls-protocols` must not allow TLSv1 or
#   TLSv1.1, and `--tls-replication no` is refused either way. Options a start script builds in an
#   array at its top level (`ARGS+=(...)`, `"${ARGS[@]}"`) are read; an expansion the gate cannot
#   follow (an array set in a block, `"$@"`, a variable where an option stands) or settings it reads
#   from its standard input (a last argument `-`) are reported, as is a start script word that names a
#   server where the gate reads no invocation (`strace -f redis-server ...`, `exec "$(command -v
#   redis-server)"`), and so
#   is a redis container whose program the kubelet takes from a variable the gate cannot read
#   (`command: [$(SERVER)]` with SERVER from a Secret, a ConfigMap or a field), or that runs a start
#   script the gate cannot read (from a Secret, the image's own, written at run time) and no server
#   the gate can see, or whose server reads its configuration file or an --include from a Secret, or
#   from anywhere else no ConfigMap of the manifests gives it (a file an init container writes onto
#   a shared volume, the image's own, a ConfigMap the manifests do not hold).
# custom:
#   severity: error
#   remediation: >-
#     Start redis with a configuration file that is TLS only (see tls.redis_tls_only), or pass
#     `--port 0 --tls-port 6379 --tls-replication yes` with --tls-cert-file, --tls-key-file and
#     --tls-ca-cert-file; drop any `--port <n>` that reopens the plaintext port.
package rules.tls.redis_args_tls_only

import data.lib.k8s
import data.lib.redis

# Every invocation of the input (an array: see lib.redis.configs).
_all := [{"entry": x.entry, "container": x.c, "inv": x.inv} | some x in redis.all_invocations]

_invocations := [object.union(x, {"options": redis.options(x.inv.args)}) |
	some x in _all

	# One whose configuration file the gate reads is judged with it, as redis reads both (tls.redis_tls_only).
	not redis.runs_config(x.entry.object, x.container.container, x.inv)
]

_violation(x, problem) := k8s.violation(x.entry, sprintf(
	"%s %s of %s %s runs %s: %s",
	[x.container.role, object.get(x.container.container, "name", ""), x.entry.object.kind, k8s.name(x.entry.object), x.inv.program, problem],
))

violation contains k8s.violation(entry, sprintf(
	"%s %s of %s %s runs `%s`, which the kubelet expands from a variable the gate cannot read (from a Secret or a ConfigMap the manifests do not hold, a field, or set from another variable): the gate cannot tell which server it starts, with which options; name the program",
	[c.role, object.get(c.container, "name", ""), entry.object.kind, k8s.name(entry.object), word],
)) if {
	some entry in input.resources
	some c in k8s.containers(entry.object)
	word := redis.unresolved_program(c.container)
}

violation contains k8s.violation(entry, sprintf(
	"%s %s of %s %s is a redis container that runs %s, which is not a ConfigMap key its pod mounts (a Secret's, the image's own, or one written at run time): the gate cannot tell which server it starts, with which configuration; give the script from a ConfigMap",
	[c.role, object.get(c.container, "name", ""), entry.object.kind, k8s.name(entry.object), concat(", ", sort(paths))],
)) if {
	some entry in input.resources
	some c in k8s.containers(entry.object)
	c.role == "container"
	paths := redis.unread_start_scripts(entry.object, c.container)
}

# A server a start script names where the gate reads no invocation: run by a program it does not
# know (`strace`, `start-stop-daemon --exec`), or from a path found at run time (`$(which ...)`).
violation contains k8s.violation(entry, sprintf(
	"%s %s of %s %s runs %s, whose line %d names %s as a word of `%s`: the gate cannot tell whether that runs it, with which options; start the server by name in command position (`exec %s ...`, or through gosu, nice, timeout, env)",
	[c.role, object.get(c.container, "name", ""), entry.object.kind, k8s.name(entry.object), script_path, name.line, name.word, command, name.word],
)) if {
	some script, names in redis.scripts_with_unread_names
	some entry in input.resources
	some c in k8s.containers(entry.object)
	some [script_path, text] in redis.start_script_paths(entry.object, c.container)
	text == script
	some name in names
	command := _or(name.command, "the shell")
}

_or("", default_value) := default_value

_or(value, _) := value if value != ""

# A configuration file (or --include) read from a Secret: sealed, the gate cannot read it, and what
# it sets may reopen the plaintext port whatever the options say.
violation contains _violation(x, sprintf(
	"it reads %s from Secret %s, which the gate cannot read (a sealed value): it cannot check what that configuration sets; give the configuration from a ConfigMap, and append its passwords at start from the mounted Secret",
	[path, secret],
)) if {
	some x in _all
	some path in redis.read_paths(x.inv)
	secret := redis.secret_at(x.entry.object, x.container.container, path)
}

violation contains _violation(x, sprintf(
	"it reads %s, %s: the gate cannot check what that configuration sets; give it from a ConfigMap the container mounts, or copy one there with `cp` and literal paths in a script of its pod",
	[path, why],
)) if {
	some x in _all
	some path in redis.read_paths(x.inv)
	why := redis.unread_file(x.entry.object, x.container.container, path)
}

violation contains _violation(x, sprintf("`--port %s` opens a plaintext port: use `--port 0`", [port])) if {
	some x in _invocations
	port := x.options.port[0]
	port != "0"
}

violation contains _violation(x, sprintf("no configuration file and no `--port 0`: it listens in plaintext on %s", [redis.default_port(x.inv.sentinel)])) if {
	some x in _invocations
	not redis.config_file(x.inv)
	not x.options.port
}

violation contains _violation(x, "no configuration file and no `--tls-port`: nothing listens for TLS connections") if {
	some x in _invocations
	not redis.config_file(x.inv)
	not x.options["tls-port"]
}

violation contains _violation(x, "no configuration file and no `--tls-replication yes`: replication connections stay plaintext") if {
	some x in _invocations
	not redis.config_file(x.inv)
	not x.options["tls-replication"]
}

violation contains _violation(x, "`--tls-port 0` closes the TLS port: nothing listens for TLS connections") if {
	some x in _invocations
	x.options["tls-port"][0] == "0"
}

violation contains _violation(x, "`--tls-replication no`: replication connections stay plaintext") if {
	some x in _invocations
	some value in x.options["tls-replication"]
	lower(value) != "yes"
}

violation contains _violation(x, sprintf("`--tls-protocols` allows %s: allow TLSv1.2 and TLSv1.3 only", [protocol])) if {
	some x in _invocations
	some value in x.options["tls-protocols"]
	some protocol in split(value, " ")
	lower(protocol) in {"tlsv1", "tlsv1.1"}
}

# What the gate cannot read is reported, never passed: an argument the shell expands when it runs
# (an array built where the gate cannot follow, `"$@"`, a variable where an option name or the
# configuration file stands) may be any option.
violation contains _violation(x, "it is run by xargs, which adds the words it reads from its input: the gate cannot tell which options it passes; write them on the command line") if {
	some x in _all
	x.inv.xargs
}

violation contains _violation(x, "it reads configuration from its standard input (`-`), which the gate cannot read: it cannot check what that sets; give the configuration as a file from a ConfigMap the container mounts") if {
	some x in _all
	redis.reads_standard_input(x.inv)
}

violation contains k8s.violation(x.entry, msg) if {
	some x in _all
	unresolved := redis.unresolved_arguments(x.inv.args)
	count(unresolved) > 0
	msg := sprintf(
		"%s %s of %s %s runs %s with %s, which the shell expands when it runs: the gate cannot tell which options it passes; write them on the command line (an array is read when each assignment is a line of its own at the top level of the script)",
		[x.container.role, object.get(x.container.container, "name", ""), x.entry.object.kind, k8s.name(x.entry.object), x.inv.program, concat(" ", [sprintf("`%s`", [w]) | some w in unresolved])],
	)
}
