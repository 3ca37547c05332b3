# METADATA
# title: Redis and Sentinel accept TLS connections only
# description: >-
#   Every redis or sentinel configuration in a ConfigMap (a key a redis or valkey process is given as
#   its configuration file, at the path its container mounts it; or a key named `*.conf` whose lines
#   start with redis or sentinel directives such as port, tls-port, appendonly, sentinel; bind,
#   timeout, user and include alone do not count, as HAProxy and nginx use them too) closes the
#   plaintext port (`port 0`) and listens on a non-zero `tls-port`; where it sets
#   `tls-protocols`, TLSv1 and TLSv1.1 are not among them; and it sets `tls-replication yes`, so
#   replicas reach their primary (and sentinels their members) over TLS too. The last occurrence of
#   a directive is the one checked, since it is the one redis applies. It includes no other file
#   (`include`): the gate cannot read one, and what it sets could reopen the plaintext port or allow
#   the old protocols. Nor has it a line the gate cannot read as redis does: an escape inside double
#   quotes (redis decodes `\x20` to a space, so `"TLSv1.2\x20TLSv1"` allows TLSv1), or a carriage
#   return, vertical tab or form feed inside a line (redis separates arguments there). A configuration
#   a process runs is judged as that process reads it, its lines then the options of its command line
#   (which override them), and the finding is the workload's; other configurations are judged alone.
# custom:
#   severity: error
#   remediation: >-
#     Set `port 0` and `tls-port <port>` (6379 for redis, 26379 for sentinel) with tls-cert-file,
#     tls-key-file and tls-ca-cert-file, `tls-protocols "TLSv1.2 TLSv1.3"` and `tls-replication yes`,
#     in the ConfigMap itself rather than in an included file.
package rules.tls.redis_tls_only

import data.lib.k8s
import data.lib.redis
import data.lib.redisconf

_legacy_protocols := {"tlsv1", "tlsv1.1"}

_violation(config, problem) := k8s.violation(config.entry, sprintf("%s: %s", [config.where, problem]))

# What is judged: each configuration as the processes that run it read it (its lines, then the
# options of the command line that names it), the finding being the workload's; and a configuration
# no process of the input is seen to run, alone, the finding being the ConfigMap's.
_judged := array.concat(
	[{"entry": r.workload, "dirs": r.dirs, "opaque": array.flatten([f.opaque | some f in r.files]), "written": r.written, "where": where} |
		some r in redis.runs
		where := sprintf("%s %s of %s %s runs %s with ConfigMap %s key %s", [
			r.container.role, object.get(r.container.container, "name", ""), r.workload.object.kind, k8s.name(r.workload.object),
			r.inv.program, k8s.name(r.config.entry.object), concat(" and ", [f.key | some f in r.files]),
		])
	],
	[{"entry": config.entry, "dirs": config.dirs, "opaque": config.opaque, "where": sprintf("ConfigMap %s key %s", [k8s.name(config.entry.object), config.key])} |
		some config in redis.configs
		not redis.is_run(config)
	],
)

# A configuration a script or command line of its pod copies and then writes into at run time (its
# container or an init container on a volume they share) is not what the gate read:
# reported where what is written may change a port, TLS settings, an include or the data folder.
violation contains _violation(config, msg) if {
	some config in _judged
	count(object.get(config, "written", [])) > 0
	msg := sprintf(
		"a script or command line of its pod writes into its copy of the configuration at run time (%s), which the gate cannot read: keep the settings in the ConfigMap or on the command line",
		[concat(", ", [_what_written(w) | some w in config.written])],
	)
}

_what_written("") := "a line the gate cannot read"

_what_written(name) := sprintf("`%s`", [name]) if name != ""

violation contains _violation(config, "no `port 0`: the plaintext port stays open (6379 by default, 26379 for sentinel)") if {
	some config in _judged
	not redisconf.last(config.dirs, "port")
}

violation contains _violation(config, sprintf("`port %s` leaves a plaintext port open: set `port 0`", [concat(" ", args)])) if {
	some config in _judged
	args := redisconf.last(config.dirs, "port")
	args != ["0"]
}

violation contains _violation(config, "no `tls-port`: nothing listens for TLS connections") if {
	some config in _judged
	not redisconf.last(config.dirs, "tls-port")
}

violation contains _violation(config, sprintf("`tls-port %s` is not a non-zero port number", [concat(" ", args)])) if {
	some config in _judged
	args := redisconf.last(config.dirs, "tls-port")
	not _nonzero_port(args)
}

violation contains _violation(config, sprintf("`tls-protocols` allows %s: allow TLSv1.2 and TLSv1.3 only", [protocol])) if {
	some config in _judged
	some protocol in redisconf.last(config.dirs, "tls-protocols")
	_legacy_protocols[lower(protocol)]
}

violation contains _violation(config, msg) if {
	some config in _judged
	some d in config.dirs
	d.name == "include"
	msg := sprintf(
		"`include %s` (line %d): the gate cannot read what an included file sets, which may reopen the plaintext port or allow old TLS versions: write its directives into this configuration",
		[concat(" ", d.args), d.line],
	)
}

violation contains _violation(config, msg) if {
	some config in _judged
	some line in config.opaque
	msg := sprintf(
		"line %d has an escape inside double quotes, or a carriage return, vertical tab or form feed, which redis decodes or splits at and the gate does not: it cannot check what the line sets (a port, the TLS versions); write it without them",
		[line],
	)
}

_nonzero_port([port]) if {
	port != ""
	trim(port, "0123456789") == "" # digits only, so to_number cannot fail
	to_number(port) > 0
	to_number(port) <= 65535
}

violation contains _violation(config, "no `tls-replication yes`: replication and sentinel connections to members stay plaintext") if {
	some config in _judged
	not _replicates_over_tls(config.dirs)
}

# redis reads yes and no in any case.
_replicates_over_tls(dirs) if [lower(arg) | some arg in redisconf.last(dirs, "tls-replication")] == ["yes"]
