# METADATA
# title: No passwords in container environments or command lines
# description: >-
#   A container's env entry named like a secret (PASSWORD, PASSWD, PASS, REQUIREPASS, MASTERAUTH,
#   REDISCLI_AUTH, SECRET, TOKEN, API_KEY, PRIVATE_KEY) has no literal `value` (valueFrom a Secret
#   instead; a yes/no switch such as ALLOW_EMPTY_PASSWORD=no is no secret), no env value, command or
#   argument holds a URL with a literal password (rediss://user:password@host, or a GitHub or GitLab
#   token as its user name: https://<token>@host; `$(VAR)` in its place,
#   VAR from a Secret, is what to write), and no redis-server or redis-sentinel command line passes
#   `--requirepass` or `--masterauth`, nor any redis-cli or valkey-cli one a literal password (`-a`,
#   `--pass`, or REDISCLI_AUTH assigned one in a script): pod specs are in Git, readable by every
#   Viewer, and shown by `kubectl describe` and `ps`.
# custom:
#   severity: error
#   remediation: >-
#     Use env[].valueFrom.secretKeyRef with a Secret made from a SealedSecret, or mount the Secret
#     and read the value in the entrypoint. In a URL, write `$(VAR)` for the password, VAR an env entry
#     taken from the Secret (the kubelet puts it in).
package rules.secrets.no_password_in_env

import data.lib.k8s
import data.lib.redis

_secret_words := {"PASSWORD", "PASSWD", "PASS", "REQUIREPASS", "MASTERAUTH", "REDISCLI_AUTH", "SECRET", "TOKEN", "API_KEY", "PRIVATE_KEY"}

violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	some c in k8s.containers(entry.object)
	some env in object.get(c.container, "env", [])
	_named_like_secret(env.name)
	not _names_a_location(env.name)
	not _switch(env.name, env.value)
	is_string(env.value)
	env.value != ""
	msg := sprintf(
		"%s %s of %s %s: env %s has a literal value: take it from a Secret (valueFrom.secretKeyRef)",
		[c.role, c.container.name, entry.object.kind, k8s.name(entry.object), env.name],
	)
}

violation contains k8s.violation(entry, msg) if {
	some x in redis.all_invocations
	entry := x.entry
	c := x.c
	inv := x.inv
	some option in {"requirepass", "masterauth"}
	redis.options(inv.args)[option]
	msg := sprintf(
		"%s %s of %s %s passes `--%s` on the %s command line",
		[c.role, c.container.name, entry.object.kind, k8s.name(entry.object), option, inv.program],
	)
}

# A URL that carries its password (rediss://user:password@host), in any env value, command or
# argument, whatever the entry's name: REDIS_URL is as much a secret as REDIS_PASSWORD.
violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	some c in k8s.containers(entry.object)
	some [at, text] in _texts(c.container)
	k8s.url_with_password(text)
	where := _where(at)
	msg := sprintf(
		"%s %s of %s %s: %s holds a URL with a literal password: write $(VAR) for it, VAR an env entry from a Secret (valueFrom.secretKeyRef)",
		[c.role, c.container.name, entry.object.kind, k8s.name(entry.object), where],
	)
}

# A redis-cli command line with a literal password, in a command, an argument (a script given to
# `sh -c`) or the whole command line.
violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	some c in k8s.containers(entry.object)
	some [at, text] in (_texts(c.container) | {[["the command line"], _command_line(c.container)]})
	what := k8s.cli_password(text)
	where := _where(at)
	msg := sprintf(
		"%s %s of %s %s: %s passes %s: read it from a mounted Secret (REDISCLI_AUTH=\"$(cat <file>)\")",
		[c.role, c.container.name, entry.object.kind, k8s.name(entry.object), where, what],
	)
}

_command_line(container) := concat(" ", [word |
	some word in array.concat(object.get(container, "command", []), object.get(container, "args", []))
	is_string(word)
])

# [at, text] of each env value, command word and argument; _where(at) says where it is. The place is
# worded only for a finding: sprintf is not in OPA's wasm but called out to JavaScript, and wording
# every env entry and argument of every container was 3% of the policy's time.
_texts(container) := {[["env", env.name], env.value] |
	some env in object.get(container, "env", [])
	is_string(env.value)
} | {[[field, i], text] |
	some field in {"command", "args"}
	some i, text in object.get(container, field, [])
	is_string(text)
}

_where(["env", name]) := sprintf("env %s", [name])

_where([field, i]) := sprintf("%s[%d]", [field, i]) if field in {"command", "args"}

_where([what]) := what

# A yes/no switch about a password (ALLOW_EMPTY_PASSWORD=no, USE_PASSWORD_FILES=true, as Bitnami's
# images take them) is not one.
_switch(name, value) if {
	is_string(value)
	lower(value) in {"yes", "no", "true", "false", "on", "off"}
	words := split(upper(replace(name, "-", "_")), "_")
	_switch_words(words)
}

_switch_words(words) if words[0] in {"ALLOW", "ENABLE", "DISABLE", "USE", "SKIP", "REQUIRE"}

_switch_words(words) if words[count(words) - 1] in {"ENABLED", "DISABLED", "REQUIRED"}

# REDIS_PASSWORD_FILE=/run/secrets/password points at the secret, which is what it should do.
_names_a_location(name) if {
	words := split(upper(replace(name, "-", "_")), "_")
	words[count(words) - 1] in {"FILE", "PATH", "DIR"}
}

# Whole words of the name only: PASS matches REDIS_PASS, not COMPASS or PASSIVE_MODE.
_named_like_secret(name) if {
	some word in split(upper(replace(name, "-", "_")), "_")
	_secret_words[word]
}

_named_like_secret(name) if {
	some word in _secret_words
	contains(word, "_")
	contains(upper(name), word)
}
