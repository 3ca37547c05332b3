# METADATA
# title: No script reopens plaintext in HAProxy at run time
# description: >-
#   An HAProxy pod's start scripts and command lines (its haproxy containers' and its init
#   containers', which may fill the volume haproxy reads, as the redis-ha chart's copies and edits
#   haproxy.cfg), and its haproxy containers' lifecycle hooks and exec probes (a hook that edits the
#   configuration and reloads haproxy), do not write, at run time, HAProxy configuration that undoes
#   what the other tls.haproxy_* rules check in the ConfigMap: a `bind` without `ssl` (or without a
#   certificate) on a network address, a `server` without `ssl` or with `verify none`, a
#   `default-server` with `no-ssl` or `verify none`, `ssl-server-verify` other than required, an
#   option allowing a protocol older than TLS 1.2, or a `sed` substitution that takes `ssl`, `crt`,
#   `verify` or `ca-file` out of a line or writes `verify none`, `no-ssl` or an older protocol into
#   one. Read as tls.redis_runtime_settings reads redis directives: what `echo` and `printf` print
#   (not to standard error or /dev/null), here-document lines, the replacement of a `sed`
#   substitution and the text its `a`, `i` and `c` commands add, the lines of a ConfigMap key it
#   copies in (`cat`, a printing `sed`); a keyword in a variable is resolved as that rule resolves
#   it, and options the gate cannot read (a variable, a command substitution) on a line that would
#   otherwise be plaintext are reported, as is a copy of a file the gate cannot read or a filter
#   (`grep`, `head`...) of one that holds those keywords, and an edit of the configuration whose
#   outcome the gate does not read (a `sed` at a line number, `perl -i`, `ed`, `echo ... >` replacing it).
# custom:
#   severity: error
#   remediation: >-
#     Keep the whole HAProxy configuration in the ConfigMap (`bind ... ssl crt <pem>`, `server ... ssl
#     verify required ca-file <ca>`) and have the start script replace only what it must learn at run
#     time (an announced address) in words that are no TLS setting.
package rules.tls.haproxy_runtime_settings

import data.lib.haproxy
import data.lib.k8s
import data.lib.redis

# (An array: see lib.redis.configs.)
_settings := [object.union(s, {"entry": entry, "c": c, "name": line.name, "args": line.args}) |
	some entry in input.resources
	_runs_haproxy(entry.object)
	haproxy.serves_redis(entry.object)
	some c in k8s.containers(entry.object)
	_writes_for_haproxy(c)
	some text in array.concat(redis.shell_texts(entry.object, c.container), redis.hook_texts(entry.object, c.container))
	some s in array.concat(redis.haproxy_written(text), redis.haproxy_copied(entry.object, c.container, text))
	env := k8s.literal_env(c.container)
	some name in redis.setting_names(entry.object, c.container, env, s)
	line := redis.named_line(name, s.args)
]

_runs_haproxy(obj) if {
	some c in k8s.containers(obj)
	redis.is_haproxy_container(c.container)
}

_writes_for_haproxy(c) if redis.is_haproxy_container(c.container)

_writes_for_haproxy(c) if c.role == "init container"

# The argument at an index, or a default where the line has fewer.
_arg(args, i, fallback) := args[i] if i < count(args)

else := fallback

_unknown(word) if contains(word, "$")

_unknown(word) if contains(word, "`")

_options_unknown(options) if {
	some o in options
	_unknown(o)
}

# The last of `ssl` and `no-ssl` among options is `ssl`.
_ssl(options) if haproxy.server_ssl(options)

_problem(s) := "a plaintext listener (no `ssl`)" if {
	s.name == "bind"
	not haproxy.local_socket(_arg(s.args, 0, "/"))
	options := array.slice(s.args, 1, count(s.args))
	not _ssl(options)
	not _options_unknown(options)
} else := "options the gate cannot read on a `bind` without `ssl`: it may be a plaintext listener" if {
	s.name == "bind"
	not haproxy.local_socket(_arg(s.args, 0, "/"))
	not _ssl(array.slice(s.args, 1, count(s.args)))
} else := "`ssl` without `crt` or `crt-list`: HAProxy cannot present a certificate" if {
	s.name == "bind"
	not haproxy.local_socket(_arg(s.args, 0, "/"))
	not "crt" in s.args
	not "crt-list" in s.args
	not _options_unknown(s.args)
} else := "connects to its server in plaintext (no `ssl`)" if {
	s.name == "server"
	not haproxy.local_socket(_arg(s.args, 1, "/"))
	options := array.slice(s.args, 2, count(s.args))
	not _ssl(options)
	not _options_unknown(options)
} else := "options the gate cannot read on a `server` without `ssl`: it may connect in plaintext" if {
	s.name == "server"
	not haproxy.local_socket(_arg(s.args, 1, "/"))
	not _ssl(array.slice(s.args, 2, count(s.args)))
} else := "`verify none`: the server's certificate is not checked" if {
	s.name in {"server", "default-server"}
	lower(haproxy.option_value(s.args, "verify")) == "none"
} else := "`no-ssl`: servers connect in plaintext" if {
	s.name == "default-server"
	"no-ssl" in s.args
	not _ssl(s.args)
} else := sprintf("`ssl-server-verify %s`: servers' certificates are not checked", [_arg(s.args, 0, "")]) if {
	s.name == "ssl-server-verify"
	lower(_arg(s.args, 0, "")) != "required"
} else := sprintf("allows a protocol older than TLS 1.2: %s", [legacy]) if {
	legacy := haproxy.legacy_option(s.args)
} else := "edits TLS settings of the configuration (takes `ssl`, `crt`, `verify` or `ca-file` out of a line, or writes `verify none`, `no-ssl` or an older protocol): the gate cannot tell what is left" if {
	s.name == "sed"
} else := sprintf("%s, and the gate does not read what is left of it", [s.args[0]]) if {
	s.name == "edit"
} else := sprintf("copies %s, which no ConfigMap of the pod gives it (a file written at run time, the image's, a path the gate cannot resolve): the gate cannot tell what it writes", [s.args[0]]) if {
	s.name == "copy"
} else := sprintf("prints %s through a filter (which keeps, drops, reorders or changes lines) and the file holds `bind`, `server` or TLS settings, or the gate cannot read it: it cannot tell which of those lines reach the file written", [s.args[0]]) if {
	s.name == "filter"
} else := sprintf("the keyword is the variable %s, which neither the container's environment nor the texts it is given set to a literal: the gate cannot tell what it writes", [s.variable]) if {
	s.name == "$"
	s.variable
	not s.whole # a whole line in a variable nothing sets to a literal: most write an address or a password
} else := "the keyword is an expansion the gate cannot read (a command substitution, a positional parameter): it cannot tell what it writes" if {
	s.name == "$"
	not s.whole
}

violation contains k8s.violation(s.entry, sprintf(
	"%s %s of %s %s runs a script or command line that writes HAProxy configuration at run time (`%s`): %s; the configuration HAProxy then runs is not the one the gate judged",
	[s.c.role, object.get(s.c.container, "name", ""), s.entry.object.kind, k8s.name(s.entry.object), s.line, problem],
)) if {
	some s in _settings
	problem := _problem(s)
}
