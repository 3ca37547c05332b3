# METADATA
# description: >-
#   Reads haproxy.cfg text held in ConfigMaps: its directives with the section each belongs to, the
#   bind and server lines with their options, and the TLS versions those options allow. Lines are
#   split like redis configuration (whitespace-separated words, quotes trimmed, comments dropped).
package lib.haproxy

import data.lib.redis
import data.lib.redisconf

_section_keywords := {
	"global", "defaults", "frontend", "backend", "listen", "resolvers", "peers", "userlist",
	"mailers", "program", "http-errors", "cache", "ring",
}

# Whether a text is HAProxy configuration, given its redisconf.names(): it has a frontend, backend or
# listen section.
is_config(names) if count(names & {"frontend", "backend", "listen"}) > 0

# The directives of a configuration with their section: [{"name", "args", "line", "section",
# "section_name"}]; directives before any section header are in section "".
directives(text) := [object.union(d, _section_of(headers, d.line)) |
	dirs := redisconf.directives(text)
	headers := [h | some h in dirs; h.name in _section_keywords]
	some d in dirs
	not d.name in _section_keywords
]

_section_of(headers, line) := {"section": h.name, "section_name": _first(h.args)} if {
	before := [h | some h in headers; h.line < line]
	count(before) > 0
	h := before[count(before) - 1]
} else := {"section": "", "section_name": ""}

_first(args) := args[0] if count(args) > 0

else := ""

# HAProxy configurations in the ConfigMaps of the input that concern Redis: the ConfigMap belongs to
# Redis, or the configuration listens on or connects to a redis or sentinel port.
# (An array, not a set: see redis.configs.)
configs := [{"entry": t.entry, "key": t.key, "dirs": dirs} |
	some t in redis.config_map_texts
	is_config(t.names)
	dirs := directives(t.text)
	_concerns_redis(t.entry.object, dirs)
]

_concerns_redis(obj, _) if redis.related(obj)

_concerns_redis(_, dirs) if {
	some d in dirs
	d.name in {"bind", "server"}
	some arg in d.args
	some port in {":6379", ":26379"}
	endswith(arg, port)
}

# The bind lines of frontends and listen sections.
binds(dirs) := [d | some d in dirs; d.name == "bind"; d.section in {"frontend", "listen"}]

# The server lines of backends and listen sections.
servers(dirs) := [d | some d in dirs; d.name == "server"; d.section in {"backend", "listen"}]

# The arguments of the global directive `name` (empty when absent).
global_args(dirs, name) := args if {
	found := [d.args | some d in dirs; d.section == "global"; d.name == name]
	count(found) > 0
	args := found[count(found) - 1]
} else := []

# The `default-server` options that apply to a server line: its own section's, else the defaults
# section's.
default_server_args(dirs, server) := args if {
	found := [d.args | some d in dirs; d.name == "default-server"; d.section == server.section; d.section_name == server.section_name]
	count(found) > 0
	args := found[count(found) - 1]
} else := args if {
	found := [d.args | some d in dirs; d.name == "default-server"; d.section == "defaults"]
	count(found) > 0
	args := found[count(found) - 1]
} else := []

# The value following the last occurrence of a keyword among options ("ssl-min-ver TLSv1.2" gives
# "TLSv1.2"); the last one is what HAProxy applies, and a server's own options follow its
# default-server's.
option_value(args, keyword) := args[i + 1] if {
	indices := [j | some j, arg in args; lower(arg) == keyword; j + 1 < count(args)]
	count(indices) > 0
	i := indices[count(indices) - 1]
}

# Options that let a connection use a protocol older than TLS 1.2, or take TLS 1.2 away.
legacy_option(args) := sprintf("`%s`", [arg]) if {
	some arg in args
	lower(arg) in {"force-sslv3", "force-tlsv10", "force-tlsv11", "no-tlsv12"}
} else := sprintf("`%s %s`", [keyword, version]) if {
	some keyword in {"ssl-min-ver", "ssl-max-ver"}
	version := option_value(args, keyword)
	lower(version) in {"sslv3", "tlsv1.0", "tlsv1.1"}
}

# Whether options state a minimum of TLS 1.2 or 1.3.
modern_minimum(args) if lower(option_value(args, "ssl-min-ver")) in {"tlsv1.2", "tlsv1.3"}

modern_minimum(args) if {
	some arg in args
	lower(arg) in {"force-tlsv12", "force-tlsv13"}
}
