# METADATA
# description: >-
#   Reads HAProxy configuration held in ConfigMaps as HAProxy 2.6 does: each line is cut into words
#   by parse_line's rules (src/tools.c): a carriage return ends the line, a `#` outside quotes starts
#   a comment, unquoted whitespace separates words, single and double quotes group, a backslash
#   escapes, `$VAR` inside double quotes is an environment variable. A word the gate cannot resolve
#   (an escape, an environment variable, quotes of both kinds) makes its line opaque, and the rules
#   report an opaque line they would read rather than guess; so do conditional blocks (`.if`).
#   The files of one ConfigMap are read as a container of the input gives them to haproxy (`-f`
#   options naming its files or its folder, in that order); where none does, each alone (`haproxy
#   -f <file>`) and, when there are several, all together in the order of their keys (`haproxy -f
#   <folder>`, where a `global` or `defaults` section of one file applies to the proxies of the others).
#   test/haproxy-config.process.test.ts runs real haproxy on a corpus of such texts.
package lib.haproxy

import data.lib.k8s
import data.lib.redis

section_keywords := {
	"global", "defaults", "frontend", "backend", "listen", "resolvers", "peers", "userlist",
	"mailers", "program", "http-errors", "cache", "ring",
}

# Whether a text is HAProxy configuration, given its redisconf.names(): it has a frontend, backend or
# listen section.
is_config(names) if count(names & {"frontend", "backend", "listen"}) > 0

# Whether a text is a file of an HAProxy configuration: it opens some section (a file with only a
# `global` section belongs with the proxies of another file of its ConfigMap).
_is_part(names) if count(names & section_keywords) > 0

# What parse_line reads of a line: up to a `#` outside quotes (a carriage return is cut before).
_uncommented := `^(?:[^#"'\\]|\\[\s\S]|"(?:[^"\\]|\\[\s\S])*"|'[^']*')*`

# A word: characters but isspace() ones, `#` and quotes, escaped characters, and quoted strings.
_word := `(?:[^ \t\n\x0b\f\r#"'\\]|\\[\s\S]|"(?:[^"\\]|\\[\s\S])*"|'[^']*')+`

# A word as HAProxy reads it, quotes removed; opaque when it holds an escape, quotes of both kinds
# (one is literal inside the other) or a `$` inside double quotes (an environment variable).
_decoded(w) := {"word": replace(replace(w, `"`, ""), "'", ""), "opaque": false} if {
	not contains(w, `\`)
	not _both_quotes(w)
	not _variable(w)
} else := {"word": w, "opaque": true}

_both_quotes(w) if {
	contains(w, `"`)
	contains(w, "'")
}

_variable(w) if {
	contains(w, `"`)
	contains(w, "$")
}

# The directive of one line: {"name", "args", "line", "key", "opaque"}; undefined for a blank line
# or a comment.
_directive(raw, n, key) := d if {
	line := split(raw, "\r")[0]
	not startswith(trim_left(line, " \t\u000b\f"), "#") # a comment line has no words
	scan := _scan(line)
	words := scan.words
	count(words) > 0
	opaque := count([1 | some w in words; w.opaque]) + count([1 | scan.rest != ""; not startswith(scan.rest, "#")])
	d := {
		"name": lower(words[0].word),
		"args": [w.word | some w in array.slice(words, 1, count(words))],
		"line": n,
		"key": key,
		"opaque": opaque > 0,
	}
}

# A line's words, and what follows its uncommented part ({"words", "rest"}). A line without `#`,
# quotes or backslashes (most lines) is its words split at blanks: what the regular expressions give
# for it, without their cost (the wasm engine's slowest part of a gate).
_scan(line) := {"rest": "", "words": [{"word": w, "opaque": false} | some w in split(_blanks_as_spaces(line), " "); w != ""]} if {
	not _special(line)
} else := {"rest": substring(line, count(prefix), -1), "words": [_decoded(m[0]) | some m in regex.find_all_string_submatch_n(_word, prefix, -1)]} if {
	prefix := _prefix(line)
}

_special(line) if contains(line, "#")

_special(line) if contains(line, `"`)

_special(line) if contains(line, "'")

_special(line) if contains(line, `\`)

_blanks_as_spaces(line) := replace(replace(replace(line, "\t", " "), "\u000b", " "), "\f", " ")

_prefix(line) := found[0][0] if {
	found := regex.find_all_string_submatch_n(_uncommented, line, 1)
	count(found) > 0
} else := ""

# The directives of one file, each with its section ("section", "section_name", and "header", the
# index of the section's header line; "" and -1 before any header; a file starts outside sections).
_file_directives(dirs) := [object.union(d, _section_of(headers, i)) |
	headers := _headers(dirs)
	some i, d in dirs
	not section_keywords[d.name]
]

# The section headers of one file's lines: [{"index", "name", "args"}].
_headers(dirs) := [{"index": i, "name": h.name, "args": h.args} | some i, h in dirs; h.name in section_keywords]

# A header's `from <defaults>` (HAProxy 2.4+: a proxy or defaults section takes its settings from
# the named defaults section rather than from the last one); "" without.
_from(args) := args[i + 1] if {
	some i, arg in args
	arg == "from"
	i + 1 < count(args)
} else := ""

# The directives of one file's lines, section headers included.
_file_lines(text, key) := [d | some i, raw in split(text, "\n"); d := _directive(raw, i + 1, key)]

_section_of(headers, index) := {"section": h.name, "section_name": _first(h.args), "header": h.index} if {
	before := [h | some h in headers; h.index < index]
	count(before) > 0
	h := before[count(before) - 1]
} else := {"section": "", "section_name": "", "header": -1}

_first(args) := args[0] if count(args) > 0

else := ""

# The files of HAProxy configuration in each ConfigMap, by the ConfigMap's file and identity. (Arrays
# of the texts, not sets: a set hashes each whole element, ConfigMap and texts, at every step.)
_parts[id] := [t | some t in _part_texts; t.id == id] if some id in {t.id | some t in _part_texts}

_part_texts := [object.union(t, {"id": [t.entry.file, k8s.resource(t.entry.object)]}) |
	some t in redis.config_map_texts
	_is_part(t.names)
]

# HAProxy configurations in the ConfigMaps of the input that concern Redis (the ConfigMap belongs to
# Redis, or a file listens on or connects to a redis or sentinel port): [{"entry", "dirs"}], a
# configuration for each file with proxies and, where the ConfigMap has several files, one of all
# of them in the order of their keys. Each directive has its "key" and "pos" (its index in dirs);
# sections are numbered by "header" plus 1000000 times the file's rank, so that no two files share one.
configs := [config |
	some id, parts in _parts
	keys := sort([t.key | some t in parts])
	files := {t.key: t | some t in parts}
	entry := [t.entry | some t in parts][0]
	lines := _lines[id]
	file_dirs := _file_dirs[id]
	_concerns_redis(entry.object, array.flatten([file_dirs[key] | some key in keys]))
	some list in _file_lists(k8s.name(entry.object), keys, [key | some key in keys; is_config(files[key].names)])
	dirs := array.flatten([[object.union(d, {"header": d.header + (1000000 * rank)}) | some d in file_dirs[key]] | some rank, key in list])
	config := {
		"entry": entry,
		"dirs": [object.union(d, {"pos": pos}) | some pos, d in dirs],
		"headers": array.flatten([[_header_of(h, rank) | some h in _headers(lines[key])] | some rank, key in list]),
		# Its lines the gate cannot read as HAProxy does (see unreadable), kept from this one reading.
		"marked": [d | some key in list; some d in lines[key]; _marked(d)],
	}
]

# Each ConfigMap's files read once (rules, unlike functions and locals of a comprehension, are
# evaluated once per input by the wasm engine): its lines, and its directives with their sections.
# Only ConfigMaps with proxies are read (a Python script's `global` statement makes a "part").
_lines[id] := {t.key: _file_lines(t.text, t.key) | some t in parts} if {
	some id, parts in _parts
	some proxies in parts
	is_config(proxies.names)
}

_file_dirs[id] := {key: _file_directives(lines) | some key, lines in _lines[id]} if some id, _ in _lines

_header_of(h, rank) := {"header": h.index + (1000000 * rank), "name": h.name, "label": _first(h.args), "from": _from(h.args)}

# The files of a ConfigMap haproxy reads together, in order: the lists containers of the input give
# it with `-f` (a file or a folder of the ConfigMap: its `.cfg` files but hidden ones, in the order
# of their names, as haproxy reads a folder), where some container does; else each file with
# proxies alone (`haproxy -f <file>`) and, where the ConfigMap has several files, all of them in the
# order of their keys (`haproxy -f <folder>`): the gate does not know which the container runs.
_file_lists(name, keys, proxy_keys) := lists if {
	lists := [list | some list in _given_lists[name]; some key in list; key in proxy_keys]
	count(lists) > 0
} else := array.concat([[key] | some key in proxy_keys], _together(keys))

_together(keys) := [keys] if count(keys) > 1

else := []

# ConfigMap name -> the lists of its keys that containers of the input give haproxy with `-f`, in
# order: every `-f` of the command line names a file or folder of that one ConfigMap.
_given_lists[name] contains list if {
	some entry in input.resources
	some c in k8s.containers(entry.object)
	paths := _given_paths(entry.object, c.container)
	found := [_given(entry.object, c.container, p) | some p in paths]
	count(found) == count(paths) # each path resolved into a ConfigMap
	name := found[0].config_map
	count({f.config_map | some f in found}) == 1
	list := array.flatten([f.keys | some f in found])
}

# The configuration paths a container gives haproxy that it reads from a Secret (sealed, so the
# gate cannot read them): [{"path", "secret"}]. Without `-f`, the official image's entrypoint reads
# /usr/local/etc/haproxy/haproxy.cfg.
secret_configs(obj, container) := [{"path": p, "secret": secret} |
	some p in _config_paths(obj, container)
	secret := redis.secret_at(obj, container, p)
]

_config_paths(obj, container) := paths if {
	paths := _given_paths(obj, container)
} else := ["/usr/local/etc/haproxy/haproxy.cfg"] if {
	redis.is_haproxy_container(container)
	count(object.get(container, "command", [])) == 0
}

# The paths a container's haproxy command line gives with `-f`, in order, or else those of the
# haproxy its start scripts run (mounted from ConfigMaps: `exec haproxy -W -f /tmp/portal.cfg`);
# undefined without any.
_given_paths(obj, container) := paths if {
	ws := redis.words(container)
	some i, w in ws
	_program_is_haproxy(w)
	paths := [redis.shell_word(ws[j + 1]) | some j in numbers.range(i + 1, count(ws) - 2); redis.shell_word(ws[j]) == "-f"]
	count(paths) > 0
} else := paths if {
	# Arguments alone that start with an option: the official image's entrypoint runs haproxy with
	# them (docker-entrypoint.sh: `set -- haproxy "$@"`), as the redis-ha chart's portal does.
	redis.is_haproxy_container(container)
	count(object.get(container, "command", [])) == 0
	args := k8s.args(container)
	startswith(args[0], "-")
	paths := [redis.shell_word(args[j + 1]) | some j in numbers.range(0, count(args) - 2); redis.shell_word(args[j]) == "-f"]
	count(paths) > 0
} else := paths if {
	redis.is_haproxy_container(container) # first: reading every container's scripts for it cost a tenth of the gate
	paths := [redis.shell_word(run[j + 1]) |
		some script in redis.start_scripts(obj, container)
		some run in redis.program_runs(script, "haproxy")
		some j in numbers.range(0, count(run) - 2)
		redis.shell_word(run[j]) == "-f"
	]
	count(paths) > 0
}

# Whether a workload's HAProxy may serve Redis, where its configuration cannot be read to tell: it
# belongs to Redis (redis.related), it mounts a ConfigMap with a configuration that concerns Redis
# (see configs), a container exposes a redis or sentinel port, or a Service of the input sends one
# to its pods.
serves_redis(obj) if redis.related(obj)

serves_redis(obj) if {
	mounted := redis.mounted_config_maps(obj)
	some config in configs
	mounted[k8s.name(config.entry.object)]
}

serves_redis(obj) if {
	some c in k8s.containers(obj)
	some port in object.get(c.container, "ports", [])
	_redis_ports[port.containerPort]
}

serves_redis(obj) if {
	some service in k8s.of_kind("Service")
	selector := object.get(service.object, ["spec", "selector"], {})
	count(selector) > 0
	k8s.selector_matches({"matchLabels": selector}, k8s.pod_labels(obj))
	some port in object.get(service.object, ["spec", "ports"], [])
	some number in [object.get(port, "port", 0), object.get(port, "targetPort", 0)]
	_redis_ports[number]
}

_redis_ports := {6379, 26379}

# The configuration paths of a container's haproxy that the gate cannot read: neither a ConfigMap
# of the input mounted there (a file, or a folder of its files), nor a copy of one the gate follows
# (see redis.resolved_file), nor a Secret (secret_configs): a file written at run time, copied from
# a Secret or a download, the image's own: [path].
unreadable_configs(obj, container) := [p |
	some p in _config_paths(obj, container)
	not _readable(obj, container, p)
	not redis.secret_at(obj, container, p)
]

_readable(obj, container, path) if _held(redis.resolved_file(obj, container, path).config_map)

_readable(obj, container, path) if _held(redis.mounted_folder(obj, container, path).config_map)

_held(name) if count(k8s.of_named("v1", "ConfigMap", name)) > 0

_program_is_haproxy(word) if {
	parts := split(redis.shell_word(word), "/")
	parts[count(parts) - 1] == "haproxy"
}

_given(obj, container, path) := {"config_map": file.config_map, "keys": [file.key]} if {
	file := redis.mounted_file(obj, container, path)
} else := {"config_map": folder.config_map, "keys": [folder.files[f] | some f in sort(object.keys(folder.files)); endswith(f, ".cfg"); not startswith(f, ".")]} if {
	folder := redis.mounted_folder(obj, container, path)
}

_concerns_redis(obj, _) if redis.related(obj)

_concerns_redis(_, dirs) if {
	some d in dirs
	_addressed[d.name]
	some arg in d.args
	some port in {":6379", ":26379"}
	endswith(arg, port)
}

# Keyword sets, built once per evaluation rather than at each use of a literal; `s[x]` is a lookup
# in the wasm engine, several times cheaper than `x in s` (the member builtin), measured with the
# gate's own policy: throughout the policies, sets are asked that way.
_addressed := {"bind", "server"}

_listening := {"frontend", "listen"}

_connecting := {"backend", "listen"}

_ssl_switches := {"ssl", "no-ssl"}

_legacy_switches := {"force-sslv3", "force-tlsv10", "force-tlsv11", "no-tlsv12"}

# A UNIX or abstract socket is reachable from inside the pod only, where TLS protects nothing.
local_socket(address) if startswith(address, "/")

local_socket(address) if {
	some prefix in ["unix@", "abns@"]
	startswith(address, prefix)
}

# The bind lines of frontends and listen sections.
binds(dirs) := [d | some d in dirs; d.name == "bind"; _listening[d.section]]

# The server lines of backends and listen sections.
servers(dirs) := [d | some d in dirs; d.name == "server"; _connecting[d.section]]

# The arguments of the last global directive `name` (empty when absent).
global_args(dirs, name) := args if {
	found := [d.args | some d in dirs; d.section == "global"; d.name == name]
	count(found) > 0
	args := found[count(found) - 1]
} else := []

# The `default-server` options that apply to a server line, in the order HAProxy applies them: those
# of the defaults section its proxy takes its settings from (the one it names with `from`, else the
# last one before it: a defaults section replaces the ones before it), that section's own `from`
# first (up to three levels: deeper chains are reported, see unreadable_defaults), then those of the
# proxy's own default-server lines before the server.
default_server_args(config, server) := array.concat(
	_defaults_args(config, _defaults_of(config, server.header)),
	array.flatten([d.args | some d in config.dirs; d.name == "default-server"; d.header == server.header; d.pos < server.pos]),
)

# The default-server options of a defaults section, the sections it takes its settings from first.
_defaults_args(config, h1) := array.concat(array.concat(_own_default_server(config, h3), _own_default_server(config, h2)), _own_default_server(config, h1)) if {
	h2 := _defaults_of(config, h1)
	h3 := _defaults_of(config, h2)
}

_own_default_server(config, header) := array.flatten([d.args | some d in config.dirs; d.name == "default-server"; d.header == header])

# The header of the defaults section the section at `header` takes its settings from: the one its
# `from` names (the last of that name before it), or for a proxy without `from` the last defaults
# section before it; -2 for none (a defaults section without `from` starts afresh).
_defaults_of(config, header) := h if {
	section := _header(config, header)
	section.from != ""
	named := [d.header | some d in config.headers; d.name == "defaults"; d.label == section.from; d.header < header]
	count(named) > 0
	h := max(named)
} else := h if {
	section := _header(config, header)
	section.from == ""
	section.name != "defaults"
	before := [d.header | some d in config.headers; d.name == "defaults"; d.header < header]
	count(before) > 0
	h := max(before)
} else := -2

_header(config, header) := [h | some h in config.headers; h.header == header][0]

# Sections whose defaults chain is deeper than the gate follows (default_server_args): [{"header"}].
deep_defaults(config) := [h |
	some h in config.headers
	_connecting[h.name]
	_defaults_of(config, _defaults_of(config, _defaults_of(config, _defaults_of(config, h.header)))) != -2
]

# Whether a server connects with TLS: `ssl` on its line or a default-server, not undone by a later
# `no-ssl`.
server_ssl(args) if {
	indices := [i | some i, arg in args; _ssl_switches[arg]]
	count(indices) > 0
	args[indices[count(indices) - 1]] == "ssl"
}

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
	_legacy_switches[lower(arg)]
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

# Lines among `names` (and section headers, and conditional blocks, which decide which lines count)
# that the gate cannot read as HAProxy does: [{"key", "line", "why"}].
unreadable(config, names) := [u |
	some d in config.marked
	_unreadable_line(d, names)
	u := {"key": d.key, "line": d.line, "why": _why(d)}
]

_conditionals := {".if", ".elif", ".else", ".endif"}

_marked(d) if d.opaque

_marked(d) if _conditionals[d.name]

_unreadable_line(d, names) if {
	d.opaque
	d.name in (names | section_keywords)
}

_unreadable_line(d, _) if _conditionals[d.name]

_why(d) := "a conditional block (`.if`), which decides at start-up which lines HAProxy reads" if startswith(d.name, ".")

else := "an escape, an environment variable, quotes of both kinds or an unterminated quote, which HAProxy resolves when it starts"
