# METADATA
# title: No script reopens plaintext or weakens TLS at run time
# description: >-
#   A redis pod's start scripts and command lines (its redis containers' and its init containers'),
#   and its redis containers' lifecycle hooks and exec probes (and any other pod's `CONFIG SET` to a
#   server over the network), do not write or set, at run time, a redis directive that undoes what
#   tls.redis_tls_only checks in the ConfigMap: `port` other than 0 (a plaintext port), `tls-port 0`,
#   `tls-replication` other than yes, `tls-protocols` with TLSv1 or TLSv1.1, or an `include` of a
#   file the gate cannot read. Read wherever a script names the directive as a word of its own: what
#   `echo` and `printf` print (not to standard error or /dev/null), the lines of a here-document and
#   a here-string, the replacement of a `sed` substitution and the text its `a`, `i` and `c`
#   commands add, and `CONFIG SET` through redis-cli; and the directives of a ConfigMap key a `cat`
#   (or a printing `sed`) copies into a file, a copy of a file the gate cannot read and a filter
#   (`grep`, `head`...) of one that sets those directives being reported; and an edit of a
#   configuration whose outcome the gate does not read is reported too (a `sed` at a line number,
#   `perl -i`, `ed`, code an interpreter runs that writes it, `: >` or `echo ... >` replacing it). Such a line is judged wherever it writes, since the gate cannot always
#   tell which file redis reads (a copy at a path in a variable, the running server): a value the
#   gate cannot read (a variable the container's environment does not set to a literal) is reported
#   too. A line written to a file whose directive name is a variable (`echo "$DIRECTIVE 6379"
#   >>"$conf"`, in a redirected group too) is judged as each directive the container's environment,
#   its command line and the texts of the ConfigMaps its pod mounts assign to that variable, and
#   reported when none assigns it a literal. Writes into a configuration the gate follows to the
#   process that runs it are tls.redis_tls_only's to report.
# custom:
#   severity: error
#   remediation: >-
#     Keep the TLS settings in the ConfigMap that holds the configuration (`port 0`, `tls-port`,
#     `tls-replication yes`, `tls-protocols "TLSv1.2 TLSv1.3"`) and have the start script append only
#     what it must learn at run time (an announced address, a password from a mounted Secret).
package rules.tls.redis_runtime_settings

import data.lib.k8s
import data.lib.redis

# (An array: see lib.redis.configs.)
_settings := [object.union(s, {"name": line.name, "values": [_value(w, env) | some w in line.args]}) |
	some s in redis.runtime_settings
	env := k8s.literal_env(s.container.container)
	some name in redis.setting_names(s.workload.object, s.container.container, env, s)
	line := redis.named_line(name, s.args)
]

# A line that writes into a file a process of the workload is seen to read: judged with that
# configuration by tls.redis_tls_only.
_followed(s) if {
	some r in redis.runs
	some path in redis.read_paths(r.inv)
	contains(s.line, path)
	r.workload == s.workload # last: a deep comparison of two objects
}

# A word with a variable the container sets to a literal (`$PORT`, `"${PORT}"`) replaced by its value.
_value(word, env) := env[name] if {
	name := redis.variable_name(word)
} else := word

_unknown(value) if contains(value, "$")

_unknown(value) if contains(value, "`")

_unknown(value) if contains(value, "%") # a printf format

_problem(s) := sprintf("`port %s` opens a plaintext port", [s.values[0]]) if {
	s.name == "port"
	not _unknown(s.values[0])
	s.values[0] != "0"
} else := "`port` set to a value the gate cannot read, which may open a plaintext port" if {
	s.name == "port"
	_unknown(s.values[0])
} else := "`tls-port 0` closes the TLS port" if {
	s.name == "tls-port"
	s.values[0] == "0"
} else := "`tls-port` set to a value the gate cannot read, which may close the TLS port" if {
	s.name == "tls-port"
	_unknown(s.values[0])
} else := sprintf("`tls-replication %s`: replication connections stay plaintext", [s.values[0]]) if {
	s.name == "tls-replication"
	not _unknown(s.values[0])
	lower(s.values[0]) != "yes"
} else := "`tls-replication` set to a value the gate cannot read" if {
	s.name == "tls-replication"
	_unknown(s.values[0])
} else := sprintf("`tls-protocols` allows %s", [protocol]) if {
	s.name == "tls-protocols"
	some value in s.values
	some protocol in split(value, " ")
	lower(protocol) in {"tlsv1", "tlsv1.1"}
} else := "`tls-protocols` set to a value the gate cannot read" if {
	s.name == "tls-protocols"
	some value in s.values
	_unknown(value)
} else := "an `include` of a file the gate cannot read" if {
	s.name == "include"
} else := "removes or rewrites a line that sets `port`, `tls-port`, `tls-replication`, `tls-protocols` or `include`: the gate cannot tell what is left (without `port 0`, redis listens on 6379 in plaintext)" if {
	s.name == "sed"
} else := sprintf("%s, and the gate does not read what is left of it (without `port 0`, redis listens on 6379 in plaintext)", [s.args[0]]) if {
	s.name == "edit"
} else := sprintf("copies %s, which no ConfigMap of the pod gives it (a file written at run time, the image's, a path the gate cannot resolve): the gate cannot tell which directives it writes", [s.args[0]]) if {
	s.name == "copy"
} else := sprintf("prints %s through a filter (which keeps, drops, reorders or changes lines) and the file sets `port`, `tls-port`, `tls-replication`, `tls-protocols` or `include`, or the gate cannot read it: it cannot tell which of those lines reach the file written (without `port 0`, redis listens on 6379 in plaintext)", [s.args[0]]) if {
	s.name == "filter"
} else := sprintf("the directive's name is the variable %s, which neither the container's environment nor the texts it is given set to a literal: the gate cannot tell which directive it writes", [s.variable]) if {
	s.name == "$"
	s.variable
	not s.whole # a whole line in a variable nothing sets to a literal: most write an address or a password
} else := "the directive's name is an expansion the gate cannot read (a command substitution, a positional parameter): it cannot tell which directive it writes" if {
	s.name == "$"
	not s.whole
}

violation contains k8s.violation(s.workload, sprintf(
	"%s %s of %s %s runs a script or command line that sets a redis directive at run time (`%s`): %s; the configuration redis then runs is not the one the gate judged",
	[s.container.role, object.get(s.container.container, "name", ""), s.workload.object.kind, k8s.name(s.workload.object), s.line, problem],
)) if {
	some s in _settings
	problem := _problem(s)
	not _followed(s) # last: most settings have no problem, and this looks through every process
}
