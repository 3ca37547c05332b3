# METADATA
# description: >-
#   What a workload runs as far as Redis is concerned: which containers are redis (or valkey)
#   servers, sentinels or HAProxy, the redis-server/redis-sentinel (valkey-server/valkey-sentinel)
#   invocations in their command lines and in the start scripts they run from ConfigMaps, the options
#   those give, the redis configurations a pod mounts, and the plaintext ports that follow from
#   them. Redis-specific rules use related() to leave objects that have nothing to do with Redis
#   alone.
package lib.redis

import data.lib.haproxy
import data.lib.k8s
import data.lib.redisconf

# Label keys whose values name the application an object belongs to.
_app_labels := {"app", "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/part-of", "app.kubernetes.io/component"}

# Whether an object belongs to Redis: by its name, an application label, or a container image.
related(obj) if contains(lower(k8s.name(obj)), "redis")

related(obj) if {
	some key, value in object.get(obj, ["metadata", "labels"], {})
	_app_labels[key]
	contains(lower(value), "redis")
}

related(obj) if {
	some c in k8s.containers(obj)
	redis_family_image(object.get(c.container, "image", ""))
}

# The repository's last path segment, without registry, tag or digest: "docker.io/library/redis:7.2"
# gives "redis".
image_name(image) := name if {
	name := _image_names[image]
} else := _image_name(image)

# The name of every container image of the input, worked out once per evaluation (see k8s._by_kind):
# image_name is asked of each container by most rules, several times each.
_image_names := {image: _image_name(image) |
	some entry in input.resources
	some c in k8s.containers(entry.object)
	image := c.container.image
}

_image_name(image) := name if {
	without_digest := split(image, "@")[0]
	segments := split(without_digest, "/")
	name := lower(split(segments[count(segments) - 1], ":")[0])
}

# redis, redis-sentinel, redis-stack-server, bitnami's redis-cluster, valkey, ...; not
# redis_exporter and friends, which talk to redis but are not it.
_redis_family(name) if {
	some engine in {"redis", "valkey"}
	startswith(name, engine)
	not contains(name, "exporter")
}

is_redis_container(container) if redis_family_image(object.get(container, "image", ""))

redis_family_image(image) if _redis_family(image_name(image))

is_haproxy_container(container) if startswith(image_name(object.get(container, "image", "")), "haproxy")

# A redis container that runs a sentinel (by its name, its command line, or its image).
is_sentinel_container(container) if {
	is_redis_container(container)
	_mentions_sentinel(container)
}

_mentions_sentinel(container) if contains(lower(object.get(container, "name", "")), "sentinel")

_mentions_sentinel(container) if {
	some word in words(container)
	contains(lower(word), "sentinel")
}

_mentions_sentinel(container) if contains(image_name(container.image), "sentinel")

is_server_container(container) if {
	is_redis_container(container)
	not is_sentinel_container(container)
}

# The words of a container's command and args: a shell command line (`sh -c "redis-server --port
# 6379"`) is split too, so the options it passes are seen.
# A shell's command string (after `-c`) is split as the shell splits it into commands (see
# _command_words): `sh -c "(redis-server --port 6379)"`, `true&&redis-server ...`.
words(container) := [w |
	parts := array.concat(k8s.command(container), k8s.args(container))
	some k, part in parts
	is_string(part)
	some w in _part_words(parts, k, part)
]

_part_words(parts, k, part) := array.flatten([array.concat(_command_words(line), [";"]) | some line in _script_lines(part)]) if {
	k > 0
	_shell_command_option(parts[k - 1])
} else := [w | some w in split(replace(replace(part, "\n", " "), "\t", " "), " "); w != ""]

# `-c`, or with other options of a shell: `-ec`, `-xc`.
_shell_command_option(word) if {
	contains(word, "c") # first: words(container) asks it of every part, and a regular expression costs
	regex.match(`^-[a-z]*c[a-z]*$`, shell_word(word))
}

_programs := {"redis-server", "redis-sentinel", "valkey-server", "valkey-sentinel"}

# What ends a command: a closing parenthesis where it closes a group the command did not open (see
# _end), a backquote ending a command substitution, `;;` ending a case branch.
_shell_separators := {";", "&&", "||", "|", "&", "|&", ";;", ")", "`"}

# The redis-server / redis-sentinel invocations of a container: [{"program", "args", "sentinel"}],
# "args" being the words after the program up to a shell separator. The official image runs
# redis-server when it is given no command, or only options or a .conf file as args.
invocations(container) := [{"program": program, "args": args, "sentinel": _is_sentinel(program, args)}] if {
	is_redis_container(container)
	program := _image_program(container)
	count(object.get(container, "command", [])) == 0
	args := k8s.args(container)
	_entrypoint_runs_server(args)
} else := [inv |
	ws := words(container)
	some i, word in ws
	program := _program(word)
	rest := array.slice(ws, i + 1, count(ws))
	inv := object.union(_invocation(program, array.slice(rest, 0, _end(rest))), _fed_by_xargs(ws, i))
	not _informational(inv.args)
]

# An invocation of a server with the words after it to the end of its command, less the shell's
# redirections (`2>&1`, `> /dev/null`) and a last `-`, which has redis read settings from its
# standard input ({"stdin": true}; tls.redis_args_tls_only reports it).
_invocation(program, words) := object.union({"program": program, "args": args, "sentinel": _is_sentinel(program, args)}, stdin) if {
	kept := [w | some k, w in words; not _redirection(w); not _redirected(words, k)]
	stdin := _last_dash(kept)
	args := array.slice(kept, 0, count(kept) - count(stdin))
}

_last_dash(words) := {"stdin": true} if shell_word(words[count(words) - 1]) == "-"

else := {}

# The program a redis container runs when the kubelet takes it from a variable the gate cannot read
# (`command: [$(SERVER)]`, SERVER from a Secret, a ConfigMap, a field or envFrom, or set from another
# variable; or, with no command, args the image's entrypoint starts with such a word): which server
# runs, with which options, is not known.
unresolved_program(container) := word if {
	is_redis_container(container)
	command := k8s.command(container)
	count(command) > 0
	word := command[0]
	contains(word, "$(")
}

unresolved_program(container) := word if {
	is_redis_container(container)
	count(object.get(container, "command", [])) == 0
	word := k8s.args(container)[0]
	contains(word, "$(")
}

# The start scripts a redis container's command line names (absolute paths ending in .sh) that are
# not ConfigMap keys its pod mounts, when the gate finds no server it runs: a script from a Secret, the
# image's own, or one written at run time. Which server it starts, how configured, is not known.
unread_start_scripts(obj, container) := paths if {
	is_redis_container(container)
	paths := {p |
		some w in words(container)
		p := shell_word(w)
		startswith(p, "/")
		endswith(p, ".sh")
		not mounted_file(obj, container, p)
	}
	count(paths) > 0
	count(workload_invocations(obj, container)) == 0 # last: it reads the start scripts
}

_entrypoint_runs_server(args) if count(args) == 0

_entrypoint_runs_server(args) if startswith(args[0], "-")

_entrypoint_runs_server(args) if endswith(args[0], ".conf")

_program(word) := program if {
	parts := split(shell_word(word), "/")
	program := parts[count(parts) - 1]
	_programs[program]
}

# Where a command's words end: at the first separator outside the groups it opens (`--save $(a | b)`
# goes on past the substitution's `|` and `)`).
_end(rest) := min([i | some i, w in rest; _shell_separators[w]]) if {
	not _groups_in(rest) # most commands: no group to count
	some w in rest
	_shell_separators[w]
} else := min(ends) if {
	ends := [i | some i, w in rest; _shell_separators[w]; _closed(array.slice(rest, 0, i))]
	count(ends) > 0
} else := count(rest)

_groups_in(ws) if {
	some w in ws
	w in {"(", "$(", ")"}
}

_closed(ws) if count([w | some w in ws; _group_openers[w]]) == count([w | some w in ws; w == ")"])

_group_openers := {"(", "$("}

# The server an image runs by default: valkey-server in a valkey image, else redis-server.
_image_program(container) := "valkey-server" if startswith(image_name(object.get(container, "image", "")), "valkey")

else := "redis-server"

_is_sentinel(program, args) if endswith(program, "-sentinel")

else := count([1 | some arg in args; shell_word(arg) == "--sentinel"]) > 0

# A word as the shell hands it to the program it runs, each quote and backslash in it taken for the
# shell's quoting and removed (`--p""ort`, `\--port`, `'--port'` and `redis-"server"` are `--port`
# and `redis-server`; `"--port 6379"`, split at its blank, gives `--port` and `6379`, as redis reads
# that one argument). A quote or backslash the shell would keep (quoted itself) is dropped too: no
# program, option name or value the rules judge holds one. Expansions (`$X`) are kept, as they are.
shell_word(word) := word if {
	not contains(word, `"`)
	not contains(word, "'")
	not contains(word, `\`)
} else := replace(replace(replace(word, `"`, ""), "'", ""), `\`, "")

# The redis invocations a container of a workload runs: on its command line, and in the start scripts
# it runs from ConfigMaps its pod mounts (start_scripts).
workload_invocations(obj, container) := [_with_environment(inv, obj, container) | some inv in array.concat(invocations(container), [inv |
	some script in start_scripts(obj, container)
	some inv in array.concat(_script_runs[script], _environment_program_runs(script, obj, container))
])]

# The invocations of a start script whose program is a variable the container's environment sets to
# a server (env or a ConfigMap: `SERVER: redis-server`; the script runs `exec "$SERVER" --port 6379`)
# and no start script of the container assigns (an assignment in the script is _script_program's to
# read). Only containers with such a variable have their scripts split again for it.
_environment_program_runs(script, obj, container) := [inv |
	env := k8s.literal_env(container)
	names := {name | some name, value in env; _program(value)}
	count(names) > 0
	lines := _script_lines(script)
	some n, line in lines
	some name in names
	contains(line, name)
	not _assigned(obj, container, name)
	ws := _command_words(line)
	some i, word in ws
	_variable_name(word) == name
	_server_position(ws, i)
	program := _program(env[name])
	rest := array.slice(ws, i + 1, count(ws))
	inv := _invocation(program, _with_arrays(array.slice(rest, 0, _end(rest)), lines, n))
]

# An invocation with each argument that is a variable the container sets to a literal value
# (`"${REDIS_TLS_PORT}"`, env `REDIS_TLS_PORT: "6379"`) replaced by that value, as the shell
# expands it; where no start script of the container assigns the variable (files a script sources
# from the image are taken not to). Other variables stay as they are (see unresolved_arguments).
_with_environment(inv, obj, container) := object.union(inv, {"args": [_expanded_variable(w, env, obj, container) | some w in inv.args]}) if {
	some w in inv.args
	contains(w, "$")
	env := k8s.literal_env(container)
	count(env) > 0
} else := inv

_expanded_variable(word, env, obj, container) := env[name] if {
	name := _variable_name(word)
	not _assigned(obj, container, name)
} else := word

# The variable a word is the whole expansion of (`$X`, `"${X}"`); undefined for any other word.
variable_name(word) := _variable_name(word)

_variable_name(word) := found[0][1] if {
	contains(word, "$")
	found := regex.find_all_string_submatch_n(`^"?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?"?$`, word, 1)
	count(found) == 1

	# `${X}` and `$X` are whole words; `$X}` or `${X` are not.
	count([1 | contains(word, "{")]) == count([1 | contains(word, "}")])
}

_assigned(obj, container, name) if {
	some script in start_scripts(obj, container)
	contains(script, concat("", [name, "="]))
}

_assigned(obj, container, name) if {
	some script in start_scripts(obj, container)
	contains(script, concat("", ["read ", name]))
}

# The invocations of every start script of the input, each script read once per evaluation: a
# function's result is not kept between calls, and the rules that ask for a container's invocations
# read the same scripts again and again (two thirds of a gate's time before).
_script_runs := {script: script_invocations(script) |
	some entry in input.resources
	some c in k8s.containers(entry.object)
	some script in start_scripts(entry.object, c.container)
}

# The texts of the start scripts a container runs: the ConfigMap keys mounted at the paths its
# command line names.
start_scripts(obj, container) := _scripts_named(obj, container, words(container))

# The same with the path the container runs each from: [[path, text]] (an array: two ConfigMaps of
# one name, an error of its own, give a path two texts).
start_script_paths(obj, container) := _script_files_named(obj, container, words(container))

# The texts of the ConfigMap keys a container sees at the paths among words.
_scripts_named(obj, container, ws) := [text | some [_, text] in _script_files_named(obj, container, ws)]

_script_files_named(obj, container, ws) := [[path, text] |
	paths := {p | some w in ws; p := shell_word(w); startswith(p, "/")}
	some path in paths
	file := mounted_file(obj, container, path)
	some entry in k8s.named("ConfigMap", file.config_map)
	text := _file_of(entry.object, file.key)
]

# A ConfigMap's file by key: its data's text, else its binaryData decoded (config_map_files builds
# the whole union, a cost at every call).
_file_of(config_map, key) := text if {
	text := config_map.data[key]
	is_string(text)
} else := k8s.config_map_files(config_map)[key]

# The ConfigMap key a container sees at a path: {"config_map", "key"}, following its volume mounts
# (a volume's items and a mount's subPath taken into account); undefined where no ConfigMap is.
mounted_file(obj, container, path) := {"config_map": source.name, "key": key} if {
	some mount in object.get(container, "volumeMounts", [])
	some volume in _volumes(obj)
	volume.name == mount.name
	some source in _config_map_sources(volume)
	key := _mounted_key(mount, source, path)
}

# The ConfigMaps a volume shows ({"name", "items"}): its configMap, or the configMap sources of a
# projected volume. A projected volume's file is the key of the source that holds it (the input's
# ConfigMap, or the source's items), so that two sources never both claim one path.
_config_map_sources(volume) := [volume.configMap] if {
	is_string(volume.configMap.name)
} else := [source |
	some s in object.get(volume, ["projected", "sources"], [])
	is_string(s.configMap.name)
	source := object.union(s.configMap, {"projected": true})
]

# The Secret a container reads a path from (a secret volume, or a projected one with a secret
# among its sources, mounted at the path or at a folder above it): its name.
secret_at(obj, container, path) := name if {
	some mount in object.get(container, "volumeMounts", [])
	_under_mount(mount, path)
	some volume in _volumes(obj)
	volume.name == mount.name
	some name in _volume_secrets(volume)
}

_under_mount(mount, path) if {
	mount.subPath
	path == mount.mountPath
}

_under_mount(mount, path) if {
	not mount.subPath
	startswith(path, concat("", [trim_suffix(mount.mountPath, "/"), "/"]))
}

_volume_secrets(volume) := {volume.secret.secretName | is_string(volume.secret.secretName)} | {source.secret.name |
	some source in object.get(volume, ["projected", "sources"], [])
	is_string(source.secret.name)
}

# The ConfigMap a container sees as a folder at a path (a whole volume mounted there, no subPath):
# {"config_map", "files": {file name in the folder: key}}.
mounted_folder(obj, container, path) := {"config_map": volume.configMap.name, "files": files} if {
	some mount in object.get(container, "volumeMounts", [])
	not mount.subPath
	trim_suffix(mount.mountPath, "/") == trim_suffix(path, "/")
	some volume in _volumes(obj)
	volume.name == mount.name
	is_string(volume.configMap.name)
	files := _folder_files(volume)
}

_folder_files(volume) := {item.path: item.key | some item in volume.configMap.items} if volume.configMap.items

else := {key: key | some entry in k8s.named("ConfigMap", volume.configMap.name); some key, _ in k8s.config_map_files(entry.object)}

_mounted_key(mount, source, path) := _item_key(source, mount.subPath) if {
	mount.subPath
	path == mount.mountPath
}

_mounted_key(mount, source, path) := _item_key(source, relative) if {
	not mount.subPath
	prefix := concat("", [trim_suffix(mount.mountPath, "/"), "/"])
	startswith(path, prefix)
	relative := trim_prefix(path, prefix)
	relative != "" # the folder itself (mounted_folder)
}

_item_key(source, relative) := item.key if {
	some item in source.items
	item.path == relative
} else := relative if {
	not source.items
	not contains(relative, "/")
	_holds(source, relative)
}

# A ConfigMap volume shows every key of its ConfigMap (one the input lacks is taken at its word); a
# projected source only those of its ConfigMap in the input.
_holds(source, _) if not source.projected

_holds(source, key) if {
	source.projected
	some entry in k8s.named("ConfigMap", source.name)
	k8s.config_map_files(entry.object)[key]
}

# The redis invocations of a shell script: a program in command position (first on its line, or
# after a separator, `then`, `do`, `exec`, `nohup`, ... or a variable assignment), with the words
# after it to the end of its command. Lines ending with a backslash continue; `#` starts a comment.
script_invocations(text) := facts.script_invocations if {
	facts := data.text_facts[text] # the gate's memo of shared texts: lib/memo.rego
} else := read_script_invocations(text)

read_script_invocations(text) := [inv |
	lines := _script_lines(text)
	variables := _program_variables(lines)
	some n, line in lines
	_may_run_server(line, variables)
	ws := _command_words(line)
	some i, word in ws
	program := _script_program(word, variables, lines, n)
	_server_position(ws, i)
	not _case_pattern(ws, i)
	rest := array.slice(ws, i + 1, count(ws))
	inv := object.union(_invocation(program, _with_arrays(array.slice(rest, 0, _end(rest)), lines, n)), _fed_by_xargs(ws, i))
	not _informational(inv.args)
]

# The runs of another program a start script starts as redis's servers are found (a word of its
# lines in command position, or run by a runner, see _server_position): the words of each up to the
# end of its command, quotes kept. For the HAProxy library (`exec haproxy -W -f /tmp/portal.cfg`).
program_runs(text, name) := [array.slice(rest, 0, _end(rest)) |
	some line in _script_lines(text)
	contains(line, name)
	ws := _command_words(line)
	some i, w in ws
	_basename(shell_word(w)) == name
	_server_position(ws, i)
	not _case_pattern(ws, i)
	rest := array.slice(ws, i + 1, count(ws))
	not name in [_basename(shell_word(v)) | some v in array.slice(rest, 0, _end(rest))] # `gosu haproxy haproxy`: a user's name first
]

# A word of a case pattern (`redis-server|redis-sentinel)`): what follows its `|` is another pattern.
_case_pattern(ws, i) if {
	some k, w in ws
	k > i
	w == ")"
	_case_pattern_end(ws, k)
	every between in array.slice(ws, i + 1, k) {
		_pattern_word(between)
	}
}

_pattern_word("|")

_pattern_word(w) if not _shell_separators[w]

# Options that have redis print something and exit, read where redis reads them: first.
_informational(args) if shell_word(args[0]) in {"-v", "--version", "-h", "--help", "--test-memory", "--check-system"}

# {"xargs": true} for a server xargs runs (`... | xargs redis-server conf`): xargs adds the words it
# reads from its input, which the gate cannot tell (tls.redis_args_tls_only reports it); else {}.
_fed_by_xargs(ws, i) := {"xargs": true} if _started_by(ws, i, {"xargs"})

else := {}

# The start scripts of the input that name a server where no invocation is read: {script: names},
# each script looked up once per evaluation (most have none; the rule then finds who runs them).
scripts_with_unread_names := {script: names |
	some script, _ in _script_runs
	names := unread_server_names(script)
	count(names) > 0
}

# Where a start script names a server's program (`strace -f redis-server ...`, `exec $(which
# redis-server) ...`, `set -- redis-server ...`) and the gate reads no invocation there: some program
# the gate does not know may run it, with options it cannot tell. [{"line", "word", "command"}]: the
# line's number, the program's name and the command the name is a word of. Not reported: a name in
# command position (read as an invocation, see _server_position), a name a command only looks at
# (_name_readers: `pidof redis-server`, `echo`, `case ... in redis-server)`), and a name inside a
# longer quoted text (`echo "starting redis-server"`).
unread_server_names(text) := facts.unread_server_names if {
	facts := data.text_facts[text] # the gate's memo of shared texts: lib/memo.rego
} else := read_unread_server_names(text)

read_unread_server_names(text) := sort({{"line": n + 1, "word": program, "command": command} |
	some n, line in _script_lines(text)
	_names_a_program(line)
	some part in _substituted_commands(line)
	ws := _command_words(part.text)
	some k, w in ws
	program := _program(w)
	_whole_word(w)
	not _server_position(ws, k)
	command := _command_word(ws, k)
	not _reads_name(ws, k, command, part)
}) # a set: an unquoted substitution is read twice

# A line, and the commands of its command substitutions read on their own, quoted ones too
# (`exec "$(command -v redis-server)" ...`, where the quotes hide them from the line's words).
# "outer": the command the substitution is a word of (`[ -x "$(command -v redis-server)" ]`: `[`).
_substituted_commands(line) := array.concat(
	[{"text": line, "substituted": false}],
	[{"text": m[1], "substituted": true, "outer": _command_word(before, count(before))} |
		some m in regex.find_all_string_submatch_n(`\$\(([^()]*)\)`, line, -1)
		before := _command_words(substring(line, 0, indexof(line, m[0])))
	],
)

# A word the shell reads whole, not a piece of a quoted text split at its blanks (`redis-server"`).
_whole_word(w) if {
	count(split(w, `"`)) % 2 == 1
	count(split(w, "'")) % 2 == 1
}

# The program of the command word k is an argument of: the last word in command position before it
# that is no option.
_command_word(ws, k) := _basename(shell_word(ws[j])) if {
	j := max([j | some j in numbers.range(0, k - 1); _command_position(ws, j); not startswith(ws[j], "-")])
} else := ""

# A name a command only reads or prints. A program that finds the server's path (`which`, `command
# -v`) does so to run it when it stands in a command substitution (`exec $(which redis-server)`).
_reads_name(_, _, command, _) if {
	_name_readers[command]
	not _path_finders[command]
}

_reads_name(ws, k, command, part) if {
	_path_finders[command]
	not part.substituted
	not _in_substitution(ws, k)
}

# A path found in a substitution that a command only looks at (`[ -x "$(command -v redis-server)" ]`).
_reads_name(_, _, command, part) if {
	_path_finders[command]
	_name_readers[part.outer]
	not _path_finders[part.outer]
}

_in_substitution(ws, k) if {
	before := array.slice(ws, 0, k)
	count([w | some w in before; w == "$("]) > count([w | some w in before; w == ")"])
}

_in_substitution(ws, k) if count([w | some w in array.slice(ws, 0, k); w == "`"]) % 2 == 1

_path_finders := {"which", "command", "type", "whereis", "hash", "readlink", "realpath"}

_name_readers := _path_finders | {
	"echo", "printf", "logger", "pidof", "pgrep", "pkill", "killall", "kill", "ps", "grep", "egrep", "fgrep",
	"test", "[", "[[", "case", "for", "in", "basename", "dirname", "ls", "stat", "file", "cat", "sed", "awk",
	"cut", "tr", "wait", "trap", "export", "local", "declare", "readonly", "unset", "alias", "unalias",
	"redis-cli", "valkey-cli", "nc", "ncat", "telnet", "ping", "nslookup", "dig", "host", "getent", "curl",
	"wget", "dpkg", "apk", "rpm", "apt-get", "chmod", "chown", "md5sum", "sha256sum", "log", "info", "debug", "warn", "error",
}

# A script's lines, a line ending with a backslash continued on the next.
_script_lines(text) := split(replace(replace(text, "\\\r\n", " "), "\\\n", " "), "\n")

# Every program's name (_programs) holds "redis-se" or "valkey-se": most lines are skipped unsplit
# (HAProxy's `default-server` lines too). A line that expands a variable may run one where the script
# assigns a program's name to a variable.
_may_run_server(line, _) if _names_a_program(line)

_may_run_server(line, variables) if {
	count(variables) > 0
	contains(line, "$")
}

_names_a_program(line) if contains(line, "redis-se")

_names_a_program(line) if contains(line, "valkey-se")

# A name the shell unquotes (`redis-"server"`, `r\edis-server`).
_names_a_program(line) if {
	regex.match(`["'\\]`, line)
	unquoted := shell_word(line)
	some name in ["redis-se", "valkey-se"]
	contains(unquoted, name)
}

# The variables a script assigns a program's name to, anywhere (`SERVER=redis-server`): only lines
# that expand those are split for a program named by a variable.
_program_variables(lines) := {name |
	some line in lines
	_names_a_program(line)
	some word in _script_words(line)
	[name, value] := split(word, "=")
	_program(value)
}

# The program a word in command position runs: its name, or a variable (`"$SERVER"`, `${SERVER}`)
# the script sets to one where the gate can tell its value: every assignment to it before line n
# is a whole line of its own at the top level of the script, its value plain or quoted whole, and
# the last of them names a program. (`exec "$SERVER_PROGRAM"` with the variable from a file the
# script sources is not followed.)
_script_program(word, _, _, _) := _program(word) if not regex.match(`^[A-Za-z_][A-Za-z0-9_]*=`, word) # an assignment runs nothing

_script_program(word, variables, lines, n) := program if {
	name := _variable_name(word)
	variables[name]
	mentions := [j | some j, line in lines; j < n; contains(line, concat("", [name, "="]))]
	values := [v | some j in mentions; v := _scalar_assignment(lines[j], name, _depth(lines, j))]
	count(mentions) > 0
	count(values) == count(mentions) # every mention an assignment the gate reads
	program := _program(values[count(values) - 1])
}

# A whole-line assignment `NAME=value` at the top level (depth 0), or `export NAME=value` or
# `readonly NAME=value` (which assign as it does): its value, unquoted.
_scalar_assignment(raw, name, 0) := value if {
	line := _declared(trim_space(raw))
	startswith(line, concat("", [name, "="]))
	not contains(line, " ")
	not contains(line, "\t")
	value := _unquoted(substring(line, count(name) + 1, -1))
}

# A line without the `export` or `readonly` in front of its assignment.
_declared(line) := trim_left(substring(line, count(found[0][1]), -1), " \t") if {
	found := regex.find_all_string_submatch_n(`^(export|readonly)[ \t]+[A-Za-z_]`, line, 1)
	count(found) == 1
} else := line

# Arguments with each `"${NAME[@]}"` replaced by the words of the array NAME as the script builds it
# before line n (Bitnami's start scripts: `ARGS=("--port" "0")`, `ARGS+=("--tls-port" "6379")`,
# `exec redis-server "${ARGS[@]}"`), where the gate can tell them: every assignment to NAME is a
# whole line of its own at the top level of the script (not in a block, a function or after `&&`),
# and its words are plain or quoted whole. Otherwise the expansion is left as it is, and reported
# as an argument the gate cannot resolve (unresolved_arguments).
_with_arrays(args, lines, n) := args if {
	not _has_array(args)
} else := array.flatten([_expanded(w, lines, n) | some w in args])

_has_array(args) if {
	some w in args
	_array_name(w)
}

_array_name(word) := found[0][1] if {
	contains(word, "[")
	found := regex.find_all_string_submatch_n(`^"?\$\{([A-Za-z_][A-Za-z0-9_]*)\[[@*]\]\}"?$`, word, 1)
	count(found) == 1
}

_expanded(word, lines, n) := words if {
	name := _array_name(word)
	words := _array_words(name, lines, n)
} else := [word]

_array_words(name, lines, n) := array.flatten([a.words | some a in assigned]) if {
	mentions := [j | some j, line in lines; j < n; _mentions(line, name)]
	assignments := [a | some j in mentions; a := _assignment(lines[j], name, _depth(lines, j))]
	count(mentions) > 0
	count(assignments) == count(mentions) # every mention an assignment the gate reads
	resets := [k | some k, a in assignments; not a.append]
	from := max(array.concat([0], resets))
	assigned := array.slice(assignments, from, count(assignments))
}

_mentions(line, name) if contains(line, concat("", [name, "="]))

_mentions(line, name) if contains(line, concat("", [name, "+="]))

# A whole-line assignment `NAME=(...)` or `NAME+=(...)` at the top level (depth 0): {"append", "words"}.
_assignment(raw, name, 0) := {"append": op == "+=(", "words": words} if {
	line := trim_space(raw)
	some op in ["=(", "+=("]
	startswith(line, concat("", [name, op]))
	endswith(line, ")")
	start := count(name) + count(op)
	inner := substring(line, start, (count(line) - start) - 1)
	parts := [w | some w in split(replace(inner, "\t", " "), " "); w != ""]
	words := [_unquoted(w) | some w in parts]
	count([1 | some w in parts; not _unquoted(w)]) == 0
}

# A word quoted whole, or not at all (a quote inside means the split at blanks was not the shell's).
_unquoted(w) := substring(w, 1, count(w) - 2) if {
	count(w) >= 2
	some q in [`"`, "'"]
	startswith(w, q)
	endswith(w, q)
	not contains(substring(w, 1, count(w) - 2), `"`)
	not contains(substring(w, 1, count(w) - 2), "'")
} else := w if {
	not contains(w, `"`)
	not contains(w, "'")
	not contains(w, `\`)
}

# How deep in blocks (if, case, loops, braces, function bodies) line j is, counting the words that
# open and close them at the start of the lines before it.
_depth(lines, j) := count([1 | some k in numbers.range(0, j - 1); _opens(lines[k])]) - count([1 | some k in numbers.range(0, j - 1); _closes(lines[k])]) if j > 0

else := 0

_block_openers := {"if", "case", "for", "while", "until", "select", "{", "function"}

_block_closers := {"fi", "esac", "done", "}"}

_opens(raw) if {
	line := trim_space(raw)
	_block_openers[split(line, " ")[0]]
}

_opens(raw) if {
	line := trim_space(raw)
	not _block_openers[split(line, " ")[0]]
	endswith(line, "{")
}

_closes(raw) if _block_closers[split(trim_space(raw), " ")[0]]

# The arguments of an invocation the gate cannot read: an array it could not resolve (see
# _with_arrays), the shell's positional parameters (`"$@"`, `$*`), and any other expansion (`$VAR`)
# where an option name or the configuration file stands (not the value after an option name, which
# the rules read as the value it is not known to be).
unresolved_arguments(args) := [w |
	some i, w in args
	contains(w, "$")
	not _option_value(args, i)
]

_option_value(args, i) if {
	i > 0
	startswith(shell_word(args[i - 1]), "--")
	not _array_name(args[i])
	not trim(args[i], `"`) in {"$@", "$*"}
}

# A line's words as the shell splits it into commands: its operators (`(`, `)`, `$(`, a backquote,
# `&&`, `||`, `|`, `&`, `;`, `;;`) are words of their own wherever they stand unquoted, glued to a
# word or not (`(exec redis-server`, `true&&redis-server`, `X=$(redis-server`); a redirection's `&`
# (`2>&1`, `&>`) and quoted text are not operators. The words between are then split at blanks as
# _script_words splits them, their quotes kept (readers unquote them with shell_word). `$(` is marked
# with a control character first so that one token is all it takes.
_command_words(line) := array.slice(ws, 0, _comment_start(ws)) if {
	tokens := regex.find_all_string_submatch_n(_shell_token, replace(line, "$(", "\u0001"), -1)
	ws := [w | some t in tokens; some w in _token_words(t[0])]
}

_shell_token := `(?:"(?:[^"\\]|\\[\s\S])*"|'[^']*'|\\[\s\S]|[<>]&|&>|>\||[^\s"'\\;&|()\x60\x01]|["'\\])+|&&|\|\||;;|\|&|[;&|()\x60\x01]`

_token_words("\u0001") := ["$("]

_token_words(t) := [replace(w, "\u0001", "$(") | some w in split(replace(replace(t, "\t", " "), "\r", " "), " "); w != ""] if t != "\u0001"

_script_words(line) := array.slice(ws, 0, _comment_start(ws)) if {
	ws := [w | some w in split(replace(replace(replace(line, "\t", " "), ";", " ; "), "\r", " "), " "); w != ""]
}

_comment_start(ws) := min([i | some i, w in ws; startswith(w, "#")]) if {
	some w in ws
	startswith(w, "#")
} else := count(ws)

_command_position(_, 0)

_command_position(ws, i) if {
	i > 0
	_case_pattern_end(ws, i - 1)
}

# The `)` of a case pattern (`x) redis-server ...`): one that closes no group opened since the
# pattern could start.
_case_pattern_end(ws, k) if {
	ws[k] == ")"
	starts := [j | some j, w in array.slice(ws, 0, k); _pattern_starts[w]]
	start := max(array.concat([-1], starts))
	every w in array.slice(ws, start + 1, k) {
		not _group_openers[w]
	}
}

# After these words a case pattern may start (a `)` or a `|` do not end one).
_pattern_starts := (_shell_separators - {")", "|"}) | {"in"}

_command_position(ws, i) if {
	i > 0
	_command_prefixes[ws[i - 1]]
}

# Where a script line runs a server: in command position, or as the command another program runs
# (`exec gosu redis redis-server ...`, as the official image's entrypoint starts it; `nice -n 5`,
# `timeout 1d`, `eval "exec redis-server ..."`; a shell's or su's command string, `bash -c
# "redis-server ..."`), the words between being that program's own options and operands.
_server_position(ws, i) if _command_position(ws, i)

_server_position(ws, i) if {
	i > 0
	_command_prefixes[shell_word(ws[i - 1])] # `eval "exec redis-server`: quotes the wrapper's words keep
}

_server_position(ws, i) if _started_by(ws, i, _runners)

_server_position(ws, i) if {
	i > 1
	_shell_command_option(ws[i - 1])
	_started_by(ws, i - 1, _shells)
}

# Whether one of `programs` in command position before word i, in the same command, has word i among
# its words.
_started_by(ws, i, programs) if {
	some s, w in ws
	s < i
	programs[_basename(shell_word(w))]
	_command_position(ws, s)
	not _separated(ws, s, i)
}

# After the options of `exec` (bash's `-a name`, `-c`, `-l`), `command -p` or `nohup`, and their `--`.
_command_position(ws, i) if {
	i > 1
	_after_an_option(ws, i) # first: cheap, and most words are not
	some s in numbers.range(max([0, i - 4]), i - 2)
	pattern := _leading_options[ws[s]]
	_leads(ws, s)
	every j in numbers.range(s + 1, i - 1) {
		_leading_option(ws, s, j, pattern)
	}
}

_leading_options := {"exec": `^-[acl]+$`, "command": `^-p$`, "nohup": `^--$`}

_after_an_option(ws, i) if startswith(ws[i - 1], "-")

_after_an_option(ws, i) if startswith(ws[i - 2], "-")

_leading_option(ws, _, j, _) if ws[j] == "--"

_leading_option(ws, _, j, pattern) if regex.match(pattern, ws[j])

_leading_option(ws, s, j, _) if { # the name `exec -a` gives the program
	j > s + 1
	ws[s] == "exec"
	regex.match(`^-[cl]*a[cl]*$`, ws[j - 1])
}

# Programs that run the rest of their words as a command (after options and operands of their own).
_runners := {
	"eval", "nice", "ionice", "env", "timeout", "gosu", "su-exec", "runuser", "setpriv", "chroot", "tini",
	"dumb-init", "catatonit", "taskset", "numactl", "stdbuf", "chrt", "setsid", "sudo", "doas", "time",
	"s6-setuidgid", "chpst", "setuidgid", "unshare", "prlimit", "flock", "busybox", "xargs",
}

# Programs whose `-c` takes a command string.
_shells := {"sh", "bash", "dash", "ash", "ksh", "zsh", "su", "busybox"}

_separated(ws, s, i) if {
	some k, w in ws
	k > s
	k < i
	_shell_separators[w]
}

# Words after which a word is in command position (a set built once, not at every word).
_command_prefixes := (_shell_separators - {")"}) | {"then", "do", "else", "exec", "nohup", "command", "if", "while", "!", "{", "(", "$("}

# After the variable assignments that lead a command (`A=1 B=2 redis-server ...`); not after `=` of
# a test (`[ "$x" = redis-server ]`).
_command_position(ws, i) if {
	i > 0
	_assignment_word(ws[i - 1])
	_assignments_lead(ws, i - 1)
}

_assignment_word(w) if {
	contains(w, "=") # first: _command_position asks it of most words
	regex.match(`^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=`, w)
}

_assignments_lead(ws, k) if _leads(ws, k)

_assignments_lead(ws, k) if {
	k > 0
	_assignment_word(ws[k - 1])
	_leads(ws, k - 1)
}

# After redirections that stand where a command would (`>>"$conf" echo ...`, `> /c echo ...`).
_command_position(ws, i) if {
	i > 0
	_redirection(ws[i - 1])
	not _bare_redirection(ws[i - 1])
	_leads(ws, i - 1)
}

_command_position(ws, i) if {
	i > 1
	_bare_redirection(ws[i - 2])
	_leads(ws, i - 2)
}

_bare_redirection(w) if trim_left(w, "0123456789&") in {">", ">>", "<", ">|"}

_leads(_, 0)

_leads(ws, k) if {
	k > 0
	_command_prefixes[ws[k - 1]]
}

_leads(ws, k) if {
	k > 0
	_case_pattern_end(ws, k - 1)
}

# After other redirections that stand where the command would (`2>/dev/null >>"$conf" echo ...`):
# every word since the command's start a redirection or the file of a bare one.
_leads(ws, k) if {
	k > 0
	_redirection_word(ws, k - 1)
	start := max(array.concat([-1], [j | some j in numbers.range(0, k - 1); _command_prefixes[ws[j]]]))
	start < k - 1
	every j in numbers.range(start + 1, k - 1) {
		_redirection_word(ws, j)
	}
}

_redirection_word(ws, j) if _redirection(ws[j])

_redirection_word(ws, j) if {
	j > 0
	_bare_redirection(ws[j - 1])
}

# The options of an invocation's args: {"name": [values]}, names lower-cased without "--"; the
# values are the words up to the next option. The last occurrence wins, as in redis.
options(args) := {name: values |
	some k, i in _option_starts(args)
	name := _option_name(args[i])
	i == max([j | some j in _option_starts(args); _option_name(args[j]) == name])
	values := [shell_word(v) | some v in array.slice(args, i + 1, _next_start(_option_starts(args), k, count(args)))]
}

# The options of an invocation's words, as the shell passes them (see shell_word).
_option_starts(args) := [i | some i, w in args; startswith(shell_word(w), "--")]

_option_name(word) := lower(trim_prefix(shell_word(word), "--"))

_next_start(starts, k, n) := starts[k + 1] if k + 1 < count(starts)

else := n

# The configuration file an invocation names (its first argument when that is not an option).
config_file(inv) := shell_word(inv.args[0]) if {
	count(inv.args) > 0
	not startswith(shell_word(inv.args[0]), "-")
}

# An invocation that reads configuration from its standard input: redis takes `-` as its first or
# last argument for that (`echo "port 6379" | redis-server /etc/redis.conf -`), after the file and
# before the options.
reads_standard_input(inv) if shell_word(inv.args[0]) == "-"

reads_standard_input(inv) if inv.stdin

# The default plaintext port of a server or a sentinel.
default_port(true) := "26379"

default_port(false) := "6379"

# Plaintext ports an invocation opens by its own options: `--port N` (N not 0), or the default port
# when it neither names a configuration file nor closes the port.
invocation_plaintext_ports(inv) := {port | port := options(inv.args).port[0]; port != "0"} if {
	options(inv.args).port
} else := set() if {
	config_file(inv)
} else := {default_port(inv.sentinel)}

# Redis and sentinel configurations held in ConfigMaps of the input: [{"entry", "key", "dirs",
# "opaque"}] (opaque: the numbers of the lines redisconf cannot read as redis does). A ConfigMap key
# is one when a redis or sentinel process is given it (the configuration file of an invocation, at
# a path its container mounts the key at), or when it unambiguously is one: its name ends in `.conf`
# and it holds redis directives. Other texts (scripts, documentation, a Python docstring that starts
# a line with SENTINEL) are not judged as configuration.
# (Arrays, not sets, here and in the collections below: the wasm engine hashes a set's element, the
# whole object, at every step of iterating over the set.)
configs := [{"entry": t.entry, "key": t.key, "dirs": redisconf.directives(t.text), "opaque": redisconf.opaque_lines(t.text)} |
	some t in config_map_texts
	_identified(t)
]

_identified(t) if {
	endswith(lower(t.key), ".conf")
	redisconf.is_config(t.names)
}

_identified(t) if [k8s.name(t.entry.object), t.key] in _given_files

# The ConfigMap keys redis processes of the input are given as their configuration file or include.
_given_files contains [file.config_map, file.key] if {
	some x in all_invocations
	some path in read_paths(x.inv)
	file := resolved_file(x.entry.object, x.c.container, path)
}

# Every invocation of the input, found once per evaluation for the rules that ask it of every container
# (a function's result is not kept between calls, and each call reads the start scripts again):
# [{"entry", "c", "inv"}].
all_invocations := [{"entry": entry, "c": c, "inv": inv} |
	some entry in input.resources
	some c in k8s.containers(entry.object)
	some inv in workload_invocations(entry.object, c.container)
]

# The files an invocation has redis read: its configuration file and the files of its --include options.
read_paths(inv) := array.concat([trim(config_file(inv), `"'`) | config_file(inv)], [trim(d.args[0], `"'`) | some d in option_directives(inv.args); d.name == "include"; count(d.args) == 1])

# The configurations redis processes run, where the gate can tell which: an invocation whose
# configuration file, or a file it includes (`--include`), is a ConfigMap key its container mounts or
# a start script copies from one (`cp`), with the invocation's options read after the file's lines
# and an included file's lines in place of its `include`, as redis reads them:
# [{"workload", "container", "inv", "config", "files", "dirs", "written"}]. "config" is the first of
# "files", the configurations read; "written", what the start scripts write into their copies at
# run time that the gate cannot tell harmless (see _written).
runs := [run |
	some x in all_invocations
	entry := x.entry
	c := x.c
	inv := x.inv
	read := [{"path": path, "config": config} | some path in read_paths(inv); config := _config_at(entry.object, c.container, path)]
	count(read) > 0
	file_dirs := [d | config_file(inv); some r in read; r.path == trim(config_file(inv), `"'`); some d in r.config.dirs]
	options := [d | some o in option_directives(inv.args); some d in _included(o, read)]
	run := {
		"workload": entry, "container": c, "inv": inv,
		"config": read[0].config, "files": [r.config | some r in read],
		"dirs": array.concat(file_dirs, options),
		"written": [w | some r in read; some w in _all_written(entry.object, c.container, r.path); _risky_write(w)],
	}
]

# An option as redis reads it: an `include` of a file the gate read is that file's lines.
_included(o, read) := r.config.dirs if {
	o.name == "include"
	some r in read
	[r.path] == [trim(a, `"'`) | some a in o.args]
} else := [o]

# The configuration of the input at a path a container reads.
_config_at(obj, container, path) := config if {
	file := resolved_file(obj, container, path)
	some config in configs
	k8s.name(config.entry.object) == file.config_map
	config.key == file.key
}

# Whether some process runs a configuration (it is then judged as run, with its options).
is_run(config) if {
	some r in runs
	some f in r.files
	f.entry == config.entry
	f.key == config.key
}

# Whether an invocation of a workload's container runs a configuration of the input (see runs).
runs_config(obj, container, inv) if {
	some path in read_paths(inv)
	_config_at(obj, container, path)
}

# Why the gate cannot read a file a container's process reads at a path (its configuration file or
# an --include), or undefined where it reads it, or reports it otherwise (a Secret's: secret_at; a
# path the shell expands: unresolved_arguments). What such a file sets is not known: the rules fail
# closed on it rather than judge the process by its options alone.
unread_file(obj, container, path) := sprintf("key %s of ConfigMap %s, which the manifests do not hold", [file.key, file.config_map]) if {
	not contains(path, "$")
	not _config_at(obj, container, path)
	file := resolved_file(obj, container, path)
} else := "which no ConfigMap of the manifests gives it (a file written at run time onto a volume, by an init container for instance, or the image's own)" if {
	not contains(path, "$")
	not _config_at(obj, container, path)
	not secret_at(obj, container, path)
}

# The ConfigMap key a container's process reads at a path: mounted there, or copied there by a start
# script or the command line of the container (`cp SRC DST` on a line of its own, SRC a mounted key),
# or of an init container of its pod, onto a volume both mount (as the redis-ha chart and most
# sentinel manifests copy sentinel.conf, which sentinel rewrites, onto an emptyDir).
resolved_file(obj, container, path) := file if {
	file := mounted_file(obj, container, path)
} else := file if {
	copies := array.concat(
		[{"by": container, "from": copy.from} | some copy in _copies(obj, container); copy.to == path],
		[{"by": view.init, "from": copy.from} | some view in _init_views(obj, container, path); some copy in _copies(obj, view.init); copy.to == view.path],
	)
	count(copies) == 1 # copied there twice: which one is there when redis starts is not known
	file := mounted_file(obj, copies[0].by, copies[0].from)
}

# The init containers of a workload's pods that see a path of the container, on a volume both mount
# (not through a subPath): [{"init", "path": the path as the init container sees it}]. The container
# itself is not among them when it is an init container (names are unique in a pod).
_init_views(obj, container, path) := [{"init": init, "path": concat("", [trim_suffix(init_mount.mountPath, "/"), relative])} |
	some mount in object.get(container, "volumeMounts", [])
	not mount.subPath
	_under_mount(mount, path)
	relative := substring(path, count(trim_suffix(mount.mountPath, "/")), -1)
	some init in object.get(k8s.pod_template(obj), ["spec", "initContainers"], [])
	object.get(init, "name", "") != object.get(container, "name", "")
	some init_mount in object.get(init, "volumeMounts", [])
	init_mount.name == mount.name
	not init_mount.subPath
]

# The shell texts a container runs: the start scripts it names, and its command line.
_shell_texts(obj, container) := array.concat(start_scripts(obj, container), _command_lines(container))

shell_texts(obj, container) := _shell_texts(obj, container)

hook_texts(obj, container) := _hook_texts(obj, container)

# A command line as lines of shell: each part holding a blank or a line break is a script of its own
# (`sh -c "cp ... && ..."`); without such a part, the words are one command (`[cp, SRC, DST]`).
_command_lines(container) := _as_scripts([part | some part in array.concat(k8s.command(container), k8s.args(container)); is_string(part)])

# (String tests: a regular expression is compiled at each call in the wasm engine, and every
# container's command line comes here.)
_has_blank(part) if {
	some blank in [" ", "\n", "\t", "\r", "\f", "\u000b"]
	contains(part, blank)
}

_as_scripts(parts) := scripts if {
	scripts := [part | some part in parts; _has_blank(part)]
	count(scripts) > 0
} else := [concat(" ", parts)]

# What a container's lifecycle hooks and exec probes run: their command lines (as _command_lines
# reads one) and the scripts of its ConfigMaps they name. The kubelet runs them in the container
# while its server runs, so a `CONFIG SET` there changes the running server. (The kubelet expands
# `$(NAME)` in command and args only, not here.)
_hook_texts(obj, container) := [text |
	some command in _hook_commands(container)
	parts := [part | some part in command; is_string(part)]
	some text in array.concat(_as_scripts(parts), _scripts_named(obj, container, [w | some part in parts; some w in split(part, " ")]))
]

_hook_commands(container) := array.concat(
	[command |
		some name in ["postStart", "preStop"]
		command := container.lifecycle[name].exec.command
		is_array(command)
	],
	[command |
		some name in ["livenessProbe", "readinessProbe", "startupProbe"]
		command := container[name].exec.command
		is_array(command)
	],
)

_copies(obj, container) := [{"from": _path(ws[1], paths, i), "to": _path(ws[2], paths, i)} |
	some script in _shell_texts(obj, container)
	lines := split(script, "\n")
	paths := path_variables(script)
	some i, line in lines
	contains(line, "cp ")
	ws := [w | some w in _script_words(line); not startswith(w, "-")]
	ws[0] == "cp"
	count(ws) == 3
]

# A word of a cp line as a path: a variable the script sets to a literal path before that line
# (`REDIS_CONF=/data/conf/redis.conf`, then `cp ... "$REDIS_CONF"`, as the redis-ha chart writes),
# else the word without its quotes (a variable the gate cannot resolve stays `$NAME`, no path).
_path(word, paths, i) := found.path if {
	found := paths[_variable_name(word)]
	found.line < i
} else := shell_word(word)

# The variables a script assigns a literal path to (`NAME=/path`, quoted or not, at the start of a
# line), by name: {"path", "line"}. Only those assigned once in the whole script (no other
# `NAME=` anywhere, not in a function nor a branch), so that the value is the one every later line sees.
path_variables(script) := facts.path_variables if {
	facts := data.text_facts[script] # the gate's memo of shared texts: lib/memo.rego
} else := read_path_variables(script)

read_path_variables(script) := _path_variables(script, split(script, "\n"))

_path_variables(script, lines) := {name: {"path": trim(value, `"'`), "line": i} |
	some i, line in lines
	some marker in ["=/", "=\"/", "='/"]
	contains(line, marker)
	parts := split(line, "=")
	count(parts) == 2
	name := parts[0]
	regex.match(`^[A-Za-z_][A-Za-z0-9_]*$`, name)
	value := parts[1]
	not _expands_or_spaces(value)
	count(split(script, concat("", [name, "="]))) == 2
}

_expands_or_spaces(value) if {
	some c in ["$", "`", " ", "\t", ";", "&", "|"]
	contains(value, c)
}

# What the start scripts a container runs write into a file at run time (`>>`, `>`, `tee`, `sed -i`
# on a line naming it): for each write, the directive it adds where the gate can read it (`echo
# "name ..."`, `printf "\nname %s" ...`), else "" (a variable, another command).
_written(obj, container, path) := [_written_directive(line) |
	some script in _shell_texts(obj, container)
	lines := split(script, "\n")
	names := _path_names(script, path)
	some line in lines
	_writes_to_one_of(line, names)
]

# (A function, so that a line naming its path in two ways is one write.)
_writes_to_one_of(line, names) if {
	some target in names
	contains(line, target)
	_names_whole(line, target)
	_writes_to(line, target)
}

# Whether a line names a path or variable whole somewhere: not as the start of a longer name
# (`$conf` in `"$conf_dir/host"`, `/run/redis.conf` in `/run/redis.conf.bak`).
_names_whole(line, target) if {
	parts := split(line, target)
	some part in array.slice(parts, 1, count(parts))
	not _continues_a_name(substring(part, 0, 1))
}

_continues_a_name(c) if {
	c != ""
	contains("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", c)
}

# How a script names a path: itself, and the variables it sets to it (see _copies), as `$NAME`,
# `${NAME}`, each with its opening quote too (`>>"$CONF"`).
_path_names(script, path) := array.concat([path], [name |
	some variable, found in path_variables(script)
	found.path == path
	some name in [concat("", ["$", variable]), concat("", [`"$`, variable]), concat("", ["${", variable, "}"]), concat("", [`"${`, variable, "}"])]
])

# What is written into a file at a path at run time: by the container, and by every init container
# that sees the path on a volume they share (whether or not it made the copy).
_all_written(obj, container, path) := array.concat(_written(obj, container, path), [w |
	some view in _init_views(obj, container, path)
	some w in _written(obj, view.init, view.path)
])

_writes_to(line, path) if contains(line, concat("", [">", path]))

_writes_to(line, path) if contains(line, concat("", ["> ", path]))

_writes_to(line, _) if contains(line, "tee ")

# Another file put in its place (`mv`, `ln`, `install`, a download, a template filled in).
_writes_to(line, _) if {
	ws := _script_words(trim_space(line))
	_replacing_commands[ws[0]]
}

_replacing_commands := {"mv", "ln", "install", "rsync", "curl", "wget", "envsubst", "dd", "touch"}

_writes_to(line, _) if regex.match(`\bsed\b.*\s-i`, line)

_written_directive(line) := name if {
	ws := _script_words(trim_space(line))
	ws[0] in {"echo", "printf"}
	args := [w | some w in array.slice(ws, 1, count(ws)); not w in {"-e", "-n", "-en", "-ne"}]
	first := trim_left(shell_word(args[0]), " ") # `'po''rt 6379'`: the words echo is given
	name := _directive_written(first, args)
	not contains(name, "$")
	not contains(name, ">")
} else := ""

# An empty echo writes a blank line.
_directive_written("", args) := "(blank line)" if startswith(args[1], ">")

_directive_written(first, _) := lower(trim_left(replace(first, "\\n", " "), " ")) if first != ""

# Writes that may change what the rules judge (a port, TLS settings, includes, the data folder);
# an empty echo, an announce address or a password from the environment cannot.
_risky_write(name) if name == ""

_risky_write(name) if {
	word := split(name, " ")[0]
	_judged_directives[word]
}

_judged_directives := {"port", "tls-port", "tls-replication", "tls-protocols", "tls-cluster", "include", "dir", "bind"}

# An invocation's options as the configuration lines redis appends to its file, in order:
# [{"name", "args", "line": 0}].
option_directives(args) := [{"name": _option_name(args[i]), "args": values, "line": 0} |
	starts := _option_starts(args)
	some k, i in starts
	values := [shell_word(v) | some v in array.slice(args, i + 1, _next_start(starts, k, count(args)))]
]

# Every text of the input's ConfigMaps with the names of its directives, read once for the redis and
# the HAProxy rules: [{"entry", "key", "text", "names"}].
config_map_texts := [{"entry": entry, "key": key, "text": text, "names": config_names(text)} |
	some entry in k8s.of_kind("ConfigMap")
	some key, text in k8s.config_map_files(entry.object)
]

# The names of a text's directives that tell which configuration it is, all the rules ask of them:
# redis's (redisconf.is_config) and HAProxy's sections (haproxy.is_config). Kept small, so that the
# gate's memo of shared texts (lib/memo.rego) hands back few words for a long script.
config_names(text) := {name | some name in facts.config_names} if {
	facts := data.text_facts[text] # the gate's memo of shared texts: lib/memo.rego
} else := read_config_names(text)

read_config_names(text) := redisconf.names(text) & _telling_names

_telling_names := redisconf.telling_directives | haproxy.section_keywords

# Whether a configuration is a sentinel's.
is_sentinel_config(dirs) if {
	some d in dirs
	d.name == "sentinel"
}

# The plaintext port a configuration leaves open, if any.
config_plaintext_ports(dirs) := {port | port := redisconf.last(dirs, "port")[0]; port != "0"} if {
	redisconf.last(dirs, "port")
} else := {default_port(is_sentinel_config(dirs))} if {
	is_sentinel_config(dirs)
} else := {default_port(false)}

# Names of the ConfigMaps a workload's pods mount (as volumes, projected ones included).
mounted_config_maps(obj) := {volume.configMap.name | some volume in _volumes(obj)} | {source.configMap.name |
	some volume in _volumes(obj)
	some source in volume.projected.sources
}

# Names of the ConfigMaps the redis containers of a workload mount (an HAProxy beside them may mount
# others, or the same volume for another of its files).
redis_mounted_config_maps(obj) := {name |
	some c in k8s.containers(obj)
	is_redis_container(c.container)
	some mount in object.get(c.container, "volumeMounts", [])
	some volume in _volumes(obj)
	volume.name == mount.name
	some name in _volume_config_maps(volume)
}

_volume_config_maps(volume) := {volume.configMap.name | is_string(volume.configMap.name)} | {source.configMap.name |
	some source in volume.projected.sources
	is_string(source.configMap.name)
}

_volumes(obj) := object.get(k8s.pod_template(obj), ["spec", "volumes"], [])

# Plaintext ports the redis processes of a workload's pods may open: by their command lines, and by
# every redis configuration the pods mount (which one a start script uses is not knowable).
plaintext_ports(obj) := ({port |
	some c in k8s.containers(obj)
	some inv in workload_invocations(obj, c.container)
	some port in invocation_plaintext_ports(inv)
} | {port |
	names := redis_mounted_config_maps(obj)
	some config in configs
	k8s.name(config.entry.object) in names
	not _run_by(obj, config)
	some port in config_plaintext_ports(config.dirs)
}) | {port |
	some r in runs
	r.workload.object == obj
	some port in config_plaintext_ports(r.dirs)
}

_run_by(obj, config) if {
	some r in runs
	r.workload.object == obj
	r.config.entry == config.entry
	r.config.key == config.key
}

# Workloads of the input with a sentinel container, and with a redis server container.
sentinel_workloads := [entry | some entry in input.resources; _runs_sentinel(entry.object)]

server_workloads := [entry | some entry in input.resources; _runs_server(entry.object)]

# A member runs its server in a container of a long-running workload: not in an init container, not
# in a Job or CronJob (a backup with the redis image), not in a container whose command is a redis
# client (redis-cli, valkey-cli, ...), which shares the image.
_runs_sentinel(obj) if {
	some c in _member_containers(obj)
	is_sentinel_container(c.container)
}

_runs_server(obj) if {
	some c in _member_containers(obj)
	is_server_container(c.container)
}

# Whether a container of a workload keeps Redis data: a server (not a sentinel, which keeps no
# data) among the workload's member containers.
keeps_data(obj, c) if {
	some m in _member_containers(obj)
	m == c
	is_server_container(c.container)
}

_member_containers(obj) := [c |
	not obj.kind in {"Job", "CronJob"}
	some c in k8s.containers(obj)
	c.role == "container"
	not _runs_a_client(c.container)
]

_clients := {
	"redis-cli", "valkey-cli", "redis-benchmark", "valkey-benchmark",
	"redis-check-rdb", "redis-check-aof", "valkey-check-rdb", "valkey-check-aof",
}

_runs_a_client(container) if {
	some w in words(container)
	parts := split(shell_word(w), "/")
	_clients[parts[count(parts) - 1]]
	count(invocations(container)) == 0
}

# Redis settings a pod's shell texts write or set at run time, where a TLS rule judges them: for every
# workload with a redis container, what the start scripts and command lines of its redis containers
# and of its init containers (which may fill a volume redis reads) write as redis directives:
# [{"workload", "container", "line", "name", "args"}, with "variable" where written_settings gives
# one]. What redis then reads is not the configuration the gate judged, wherever the line writes it
# (a copy of the configuration, a file an include names, the running server through CONFIG SET), so
# each write is judged where it stands, as a directive.
runtime_settings := array.concat(
	array.concat(
		[object.union(s, {"workload": t.entry, "container": t.c}) |
			some t in _redis_shell_texts
			some s in _text_settings[t.text]
		],
		_copied_settings,
	),
	_remote_config_sets,
)

# What the same containers copy into files from other files (`cat SRC >> "$conf"`, `grep -v ... SRC
# > FILE`, a group of such lines redirected to a file): [{"workload", "container", "line", "name",
# "args"}]. A `cat` (or a `sed` that prints every line) of a ConfigMap key the container sees (its
# path literal or in variables that the script, the pod's ConfigMaps or the container's environment
# set to one literal) writes that text's judged directives, each the last of its name in the file as
# redis reads it; "copy" stands for a file the gate cannot read (written at run time, the image's, a
# path it cannot resolve; not a Secret's). Any other filter (`grep`, `awk`, `head`, `sort`...) of a
# file that sets a judged directive, or that the gate cannot read, is "filter": which of its lines
# reach the file the gate cannot tell (`grep -v '^port'` drops `port 0`: redis then listens on 6379
# in plaintext). A `grep` that keeps only lines starting with a word no judged directive starts with
# (the generator's sentinel keeps `^sentinel (myid|...)` lines of its state) writes none, and drops
# none from a file without them.
_copied_settings := [object.union(s, {"workload": t.entry, "container": t.c}) |
	some t in _redis_shell_texts
	some s in _copy_settings(t.entry.object, t.c.container, t.text, _redis_directives)
]

# The same for HAProxy's keywords (see haproxy_written), in a text a container of an HAProxy pod
# runs: a `cat` of a fragment that adds a `bind` without `ssl` to the last section.
haproxy_copied(obj, container, text) := _copy_settings(obj, container, text, _haproxy_directives)

# (A Secret's file holds passwords or ACL users: no configuration the rule judges.)
_copy_settings(obj, container, text, directives) := [s |
	copies := file_copies(text)
	count(copies) > 0
	values := _variable_values(obj, container, text, copies)
	some copy in copies
	some source in copy.sources
	paths := _resolved_paths(source, values)
	not _secret_path(obj, container, paths)
	some s in _source_settings(copy, source, _files_at(obj, container, paths), directives)
]

# What a copy writes of a file, given its text ([] where the gate cannot read it): its judged
# directives where it copies it as it is, or why the gate cannot tell.
_source_settings(copy, source, files, directives) := array.concat(
	[{"line": copy.line, "name": d.name, "args": d.args} |
		copy.exact
		some file in files
		not _judged_as_configuration(file, directives)
		some d in _judged_lines(file.text, directives)
	],
	[{"line": copy.line, "name": name, "args": [trim(source, `"'`)]} | name := _copy_problem(copy, [f.text | some f in files], directives)],
)

# A redis configuration of the input (see configs) is judged whole by tls.redis_tls_only, as redis
# applies it: its copies add no finding of their own (the generator's sentinels copy sentinel.conf).
_judged_as_configuration(file, directives) if {
	directives.kind == "redis"
	some config in configs
	config.key == file.key
	k8s.name(config.entry.object) == file.config_map
}

# The judged settings of a copied file: for redis, the last of each name as redis applies them
# (and every include); for HAProxy, every line that holds a judged keyword (each `bind` and
# `server` counts).
_judged_lines(text, directives) := _judged_last(redisconf.directives(concat("\n", lines))) if {
	directives.kind == "redis"
	lines := [line | some line in split(text, "\n"); _names_judged(line, directives)] # most lines name none: not split into words
}

_judged_lines(text, directives) := [s |
	some line in split(text, "\n")
	not _comment(line)
	s := _setting(line, line, directives)
] if directives.kind == "haproxy"

# The lines of a shell text that print files into a file (see _copied_settings): [{"line", "sources":
# the words naming the files read, "exact": the files' lines are written as they are (`cat`, a `sed`
# without -n, whose edits _sed_edits and _sed_settings judge), "keeps_unjudged": a `grep` that keeps
# only lines starting with a word no judged directive starts with}]. Words as sh splits them
# (_shell_tokens); a line whose output goes to standard error, a device or a log is no copy.
file_copies(text) := facts.file_copies if {
	facts := data.text_facts[text] # the gate's memo of shared texts: lib/memo.rego
} else := read_file_copies(text)

read_file_copies(text) := [copy |
	_may_copy(text)
	lines := _script_lines(text)
	some i, line in lines
	_may_copy(line)
	not _comment(line)
	some tokens in _pipelines(_shell_tokens(trim_space(line)))
	commands := _pipeline(tokens)
	first := commands[0]
	_copy_commands[first.name]
	not _prints_no_lines(first)
	_output_to_file(lines, i, commands)
	copy := {
		"line": trim_space(line),
		"sources": _sources(first),
		"exact": _exact(commands),
		"keeps_unjudged": _keeps_unjudged(commands),
		"configuration": _configuration_target(commands),
	}
]

# Whether what a copy writes may be a configuration, for a copy whose outcome the gate cannot read:
# its file's name says so (`conf`, `cfg`: `"$conf"`, `/data/redis.conf`, `haproxy.cfg`), or the
# file is a group's (the gate does not follow which). A copy of an unreadable file elsewhere
# (`cat /etc/hostname > /data/host`) is a file of its own.
_configuration_target(commands) if {
	targets := array.concat(
		[commands[count(commands) - 1].out | _a_file(commands[count(commands) - 1].out)],
		[trim(t, `"'`) | some c in commands; c.name == "tee"; some t in c.args; not startswith(t, "-")],
	)
	_names_a_configuration(targets)
} else := false

_names_a_configuration([])

_names_a_configuration(targets) if {
	some target in targets
	some word in ["conf", "cfg"]
	contains(lower(target), word)
}

# One pass of a regular expression: a contains() per command was a fifth of the time this took
# (OPA's wasm compares at every position of the text for each command; re2 reads it once).
_may_copy(text) if regex.match(_copy_command_pattern, text)

_copy_command_pattern := concat("", ["(?:", concat("|", _copy_commands), ") "])

_copy_commands := {"cat", "grep", "egrep", "fgrep", "sed", "awk", "gawk", "mawk", "head", "tail", "sort", "uniq", "tac"}

# A command line's words as sh splits them, a quoted part one word with its quotes (`"^a (b|c) "`),
# and its operators (`|`, `;`, `&&`, `||`, `&`, redirections) words of their own.
_shell_tokens(line) := [m[0] |
	some m in regex.find_all_string_submatch_n(`[0-9]*>&[0-9-]+|[0-9]*>[>|]?|<|\|\||&&|[|;&]|(?:"[^"]*"|'[^']*'|[^\s"'|;&<>])+`, line, -1)
]

# The commands of a line's first pipeline (up to `;`, `&&`, `||`, `&` or a comment): [{"name", "args",
# "out": where its standard output is redirected, "" where it is not}], redirections out of "args".
_pipeline(tokens) := [_command(array.slice(ts, starts[k], ends[k])) |
	ts := array.slice(tokens, 0, _pipeline_end(tokens))
	starts := array.concat([0], [j | some i, t in ts; t == "|"; j := i + 1])
	ends := array.concat([i | some i, t in ts; t == "|"], [count(ts)])
	some k in numbers.range(0, count(starts) - 1)
]

_pipeline_end(tokens) := min([i | some i, t in tokens; _ends_pipeline(t)]) if {
	some t in tokens
	_ends_pipeline(t)
} else := count(tokens)

_ends_pipeline(t) if t in {";", "&&", "||", "&"}

_ends_pipeline(t) if startswith(t, "#")

# The tokens of each pipeline of a line (`a > f; b && c | d`: `a > f`, `b`, `c | d`), up to a comment.
_pipelines(tokens) := [array.slice(ts, starts[k], ends[k]) |
	ts := array.slice(tokens, 0, _comment_start(tokens))
	bounds := [i | some i, t in ts; _ends_pipeline(t)]
	starts := array.concat([0], [j | some i in bounds; j := i + 1])
	ends := array.concat(bounds, [count(ts)])
	some k in numbers.range(0, count(starts) - 1)
	ends[k] > starts[k]
]

_command(ws) := {
	"name": _basename(shell_word(ws[0])),
	"args": [w | some i, w in ws; i > 0; not _redirection(w); not _redirected(ws, i)],
	"out": _stdout_target(ws),
}

_basename(word) := parts[count(parts) - 1] if parts := split(word, "/")

# Where a command's standard output goes: the target of its last `>`/`>>` (quotes removed, `&2` for
# `>&2`), or "".
_stdout_target(ws) := targets[count(targets) - 1] if {
	targets := [shell_word(_redirect_target(ws, i)) |
		some i, w in ws
		startswith(trim_prefix(w, "1"), ">")
	]
	count(targets) > 0
} else := ""

# Whether a line's output reaches a file: its last command's output redirected to one, a `tee` of
# the pipeline writing one, or the line stands in a group or block whose end redirects to a file
# (_writes_a_file), its own output not redirected elsewhere.
_output_to_file(_, _, commands) if {
	last := commands[count(commands) - 1]
	_a_file(last.out)
}

_output_to_file(_, _, commands) if {
	some c in commands
	c.name == "tee"
	some target in c.args
	not startswith(target, "-")
	_a_file(shell_word(target))
}

_output_to_file(lines, i, commands) if {
	commands[count(commands) - 1].out == ""
	_writes_a_file(lines, i)
}

_a_file(target) if {
	target != ""
	not startswith(target, "&")
	not _not_a_configuration(target)
}

# `grep -q`, `-c`, `-l`: no line of the files is printed; `sed -i` edits its files in place (see _sed_edits).
_prints_no_lines(command) if {
	command.name in {"grep", "egrep", "fgrep"}
	some a in command.args
	a in {"-q", "--quiet", "--silent", "-c", "--count", "-l", "-L", "--files-with-matches", "--files-without-match"}
}

_prints_no_lines(command) if {
	command.name == "sed"
	some a in command.args
	startswith(a, "-i")
}

_prints_no_lines(command) if {
	command.name == "sed"
	some a in command.args
	startswith(a, "--in-place")
}

# The files a command reads: its words that are no option, but for the pattern of `grep`, the script
# of `sed` and the program of `awk` (the first such word, where no -e or -f gives it), and the values
# of options that take one.
_sources(command) := [w |
	some k, w in _operands(command)
	k >= _program_words(command)
	w != "-"
]

_operands(command) := [w |
	some i, w in command.args
	not startswith(w, "-")
	not _option_value_of(command, i)
]

_option_value_of(command, i) if {
	i > 0
	_valued_options[command.name][command.args[i - 1]]
}

_valued_options := {
	"grep": {"-e", "-f", "-m", "-A", "-B", "-C", "--regexp", "--file"},
	"egrep": {"-e", "-f", "-m", "-A", "-B", "-C"},
	"fgrep": {"-e", "-f", "-m", "-A", "-B", "-C"},
	"sed": {"-e", "-f", "--expression", "--file", "-l"},
	"awk": {"-f", "-v", "-F"},
	"gawk": {"-f", "-v", "-F"},
	"mawk": {"-f", "-v", "-F"},
	"head": {"-n", "-c"},
	"tail": {"-n", "-c"},
	"sort": {"-k", "-t", "-o", "-S", "-T"},
	"uniq": {"-f", "-s", "-w"},
	"cat": set(),
	"tac": {"-s"},
}

# How many operands of a command are its program, not files: 1 for grep, sed and awk unless -e or -f gave it.
_program_words(command) := 1 if {
	command.name in {"grep", "egrep", "fgrep", "sed", "awk", "gawk", "mawk"}
	every a in command.args {
		not a in {"-e", "-f", "--regexp", "--file", "--expression"}
	}
} else := 0

# A copy writes its files' lines as they are: `cat`s (and `tee`s) only, or a first `sed` that prints
# every line (no -n), followed by none but those.
_exact(commands) if {
	commands[0].name in {"cat", "sed"}
	not "-n" in commands[0].args
	every c in array.slice(commands, 1, count(commands)) {
		c.name in {"cat", "tee"}
	}
} else := false

# A copy through `grep` (no -v, -F, -e or -f) whose pattern keeps only lines that start with a word
# no judged directive starts with (`^sentinel (a|b) `, `^(user|rename-command) `; lower-cased, as
# redis reads names in any case).
_keeps_unjudged(commands) if {
	first := commands[0]
	first.name in {"grep", "egrep"}
	every a in first.args {
		not a in {"-v", "--invert-match", "-F", "--fixed-strings"}
	}
	_program_words(first) == 1
	pattern := trim(_operands(first)[0], `"'`)
	startswith(pattern, "^")
	words := _anchored_words(substring(pattern, 1, -1))
	count(words) > 0
	every word in words {
		word != ""
		not _starts_judged(lower(word))
	}
	every c in array.slice(commands, 1, count(commands)) {
		c.name in {"cat", "tee", "grep", "egrep", "fgrep"}
	}
} else := false

# The literal words a pattern (after its `^`) starts with: its start before the first special
# character, or each alternative of a group of literal ones (`(user|rename-command) `).
_anchored_words(pattern) := [prefix | prefix := _literal_prefix(pattern); prefix != ""] if {
	not startswith(pattern, "(")
} else := alternatives if {
	alternatives := split(split(substring(pattern, 1, -1), ")")[0], "|")
	every a in alternatives {
		_literal_prefix(a) == a
	}
}

# The start of a pattern before its first special character.
_literal_prefix(pattern) := substring(pattern, 0, min(ends)) if {
	ends := [i | some i in numbers.range(0, count(pattern) - 1); _special(substring(pattern, i, 1))]
	count(ends) > 0
} else := pattern

_special(c) if c in {".", "[", "(", "*", "+", "?", "{", "|", `\`, "$", "^"}

# Whether a line that starts with a word may be a judged directive's: a name starts with the word
# (`tls` may be `tls-port`), or the word is a name, alone or followed by a blank.
_starts_judged(word) if {
	some name in _redis_directives.names
	startswith(name, word)
}

_starts_judged(word) if {
	some name in _redis_directives.names
	startswith(word, concat("", [name, " "]))
}

# The judged directives of a configuration as redis applies them: the last of each name, and every include.
_judged_last(dirs) := [d |
	some i, d in dirs
	_redis_directives.names[d.name]
	not _overridden(dirs, i, d)
]

_overridden(dirs, i, d) if {
	d.name != "include"
	some j, later in dirs
	j > i
	later.name == d.name
}

_copy_problem(copy, [], _) := "copy" if {
	copy.exact
	copy.configuration
}

_copy_problem(copy, found, directives) := "filter" if {
	copy.exact == false
	copy.configuration
	not _keeps_unjudged_of(copy, directives)
	_may_hold_judged(found, directives)
}

_copy_problem(copy, found, directives) := "filter" if {
	copy.exact == false
	copy.configuration
	_keeps_unjudged_of(copy, directives)
	count(found) > 0
	_may_hold_judged(found, directives)
}

# (keeps_unjudged is read against redis's directive names, which start their lines; HAProxy's
# keywords are indented in their sections.)
_keeps_unjudged_of(copy, directives) if {
	directives.kind == "redis"
	copy.keeps_unjudged
}

_may_hold_judged([], _)

_may_hold_judged([text], directives) if count(_judged_lines(text, directives)) > 0

_secret_path(obj, container, paths) if secret_at(obj, container, paths[0])

# The ConfigMap key a container sees at a path ([path] or []): [{"config_map", "key", "text"}] or [].
_files_at(obj, container, paths) := [object.union(file, {"text": text}) |
	some path in paths
	file := mounted_file(obj, container, path)
	some entry in k8s.named("ConfigMap", file.config_map)
	text := _file_of(entry.object, file.key)
]

# The one literal value of each variable the copies' files name (`$NAME`, `${NAME}`) that the script
# (see _path_variables), the pod's ConfigMaps or the container's environment give it: found once
# per text, as scripts name one folder in many copies.
_variable_values(obj, container, text, copies) := {name: value |
	some name in {name |
		some copy in copies
		some source in copy.sources
		some k, part in split(source, "$")
		k > 0
		name := _name_and_rest(part)[0]
	}
	value := _one_value(obj, container, text, name)
}

# A word as a path: quotes removed, each variable replaced by its value; [] where one has none, or
# another expansion is left. (String splits, not a regular expression: the wasm engine compiles one
# at each call.)
_resolved_paths(word, values) := [path] if {
	parts := split(trim(word, `"'`), "$")
	pieces := [piece | some k, part in parts; piece := _expanded_part(k, part, values)]
	count(pieces) == count(parts)
	path := concat("", pieces)
	not contains(path, "`")
} else := []

_expanded_part(0, part, _) := part

_expanded_part(k, part, values) := concat("", [values[name], rest]) if {
	k > 0
	[name, rest] := _name_and_rest(part)
}

# The variable a part after a `$` names (`{NAME}...` or `NAME...`) and what follows it.
_name_and_rest(part) := [name, substring(part, count(name) + 2, -1)] if {
	startswith(part, "{")
	contains(part, "}")
	name := split(substring(part, 1, -1), "}")[0]
	_identifier(name)
} else := [name, substring(part, count(name), -1)] if {
	name := substring(part, 0, count(part) - count(trim_left(part, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789")))
	_identifier(name)
}

_one_value(obj, container, text, name) := found.path if {
	found := path_variables(text)[name]
} else := value if {
	values := shell_values(obj, container, k8s.literal_env(container), name)
	count(values) == 1
	some value in values
	not contains(value, "$")
}

# `CONFIG SET` from a pod that runs no redis (a Job or CronJob with a client, a sidecar of another
# application): it changes a server over the network. Read in texts that name redis or valkey
# (the client, or a variable holding it); only CONFIG SET, as what such a pod echoes into files is
# its own configuration.
_remote_config_sets := [object.union(s, {"workload": entry, "container": c}) |
	_config_set_anywhere
	some entry in input.resources
	not _has_redis_container(entry.object)
	some c in k8s.containers(entry.object)
	some text in array.concat(_shell_texts(entry.object, c.container), _hook_texts(entry.object, c.container))
	_may_set_config(text)
	_names_redis(text)
	some s in _config_set_settings(_script_lines(text), _redis_directives)
]

# Whether any text of the input (a ConfigMap's, a container's command line or hook) says `config`
# then `set` (any case, blanks or quotes between): a rule, so one look per evaluation spares most
# namespaces reading every pod's scripts.
default _config_set_anywhere := false

_config_set_anywhere if {
	some entry in input.resources
	some text in _raw_texts(entry.object)
	says_config_set(text) == true
}

# (From the gate's memo of shared texts where it holds the text: lib/memo.rego.)
says_config_set(text) := facts.config_set if {
	facts := data.text_facts[text]
} else := read_says_config_set(text)

read_says_config_set(text) if {
	_says_config_set(lower(shell_word(text))) # `con'fig' s""et`: the words redis-cli is given
} else := false

_raw_texts(obj) := [text | some text in k8s.config_map_files(obj)] if obj.kind == "ConfigMap"

else := [part |
	some c in k8s.containers(obj)
	some command in array.concat([array.concat(object.get(c.container, "command", []), object.get(c.container, "args", []))], _hook_commands(c.container))
	some part in command
	is_string(part)
]

_says_config_set(text) if {
	contains(text, "config")
	some after in array.slice(split(text, "config"), 1, count(split(text, "config")))
	startswith(trim_left(after, " \t\"'(),_"), "set") # `config set`, `CONFIG SET`, `config_set(`, `ConfigSet(`
}

_names_redis(text) if contains(lower(text), "redis")

_names_redis(text) if contains(lower(text), "valkey")

# The directive names a written setting (see written_settings) stands for in a container: its own
# name; for one named by a variable, each value the container's shell may give it (a default among
# them), or "$" where nothing gives it a literal; "$" for any other expansion.
setting_names(_, _, _, s) := {s.name} if {
	not s.variable
	not s.expansion
}

setting_names(obj, container, env, s) := names if {
	s.variable
	values := shell_values(obj, container, env, s.variable) | {d | d := s["default"]}
	count(values) > 0
	names := {lower(v) | some v in values}
} else := {"$"} if s.variable

setting_names(_, _, _, s) := {"$"} if s.expansion

# A setting as one of the names setting_names gives it: a variable's value that holds a whole line
# (`LINE="port 6379"`, then `echo "$LINE"`) is read as its name and first arguments: {"name", "args"}.
named_line(name, args) := {"name": words[0], "args": array.concat(array.slice(words, 1, count(words)), args)} if {
	contains(name, " ")
	words := [w | some w in split(name, " "); w != ""]
	count(words) > 0
} else := {"name": name, "args": args}

# The values a container's shell may give a variable: what its environment sets it to (`env`, its
# k8s.literal_env, which the caller has at hand), and what the
# texts of the ConfigMaps its pod mounts (scripts, the env files they source) and its command line
# assign to it (`NAME=value`, `export NAME='value'`), each word read as a literal; "$" stands for a
# value the gate cannot read (an expansion, a command substitution). Empty: nothing sets it here.
shell_values(obj, container, env, name) := {value |
	some text in array.concat(
		[text | some cm in mounted_config_maps(obj); some text in k8s.config_map_data(cm)],
		[part | some part in array.concat(object.get(container, "command", []), object.get(container, "args", [])); is_string(part)],
	)
	some value in _assigned_in(text, name)
} | {value | value := env[name]}

# The values a text assigns to a variable: from the gate's memo of shared texts (lib/memo.rego,
# where read_assignments reads every name a text assigns), else read for that one name.
_assigned_in(text, name) := object.get(facts.assignments, name, []) if {
	facts := data.text_facts[text]
} else := array.concat(
	[_assigned_value(trim_prefix(w, assignment)) |
		assignment := concat("", [name, "="])
		contains(text, assignment)
		some line in split(text, "\n")
		contains(line, assignment)
		some w in _assignment_words(line)
		startswith(w, assignment)
	],
	[value |
		contains(text, "for ")
		some line in split(text, "\n")
		_loop_line(line)
		some [loop_variable, value] in _loop_values(line)
		loop_variable == name
	],
)

# Every variable a text assigns (`NAME=value` as a word of a line), with its values as
# _assigned_in reads them: {name: [value]}.
read_assignments(text) := {name: [a[1] | some a in found; a[0] == name] | some [name, _] in found} if {
	found := array.concat(
		[[name, _assigned_value(substring(w, count(name) + 1, -1))] |
			some line in split(text, "\n")
			contains(line, "=")
			some w in _assignment_words(line)
			contains(w, "=")
			name := split(w, "=")[0]
			_identifier(name)
		],
		[pair |
			contains(text, "for ")
			some line in split(text, "\n")
			_loop_line(line)
			some pair in _loop_values(line)
		],
	)
}

# A line's words for reading assignments: as sh splits them where the line quotes (`LINE="port
# 6379"` is one word, its value a whole directive line), else split at blanks (cheaper).
_assignment_words(line) := _shell_tokens(line) if {
	some quote in [`"`, "'"]
	contains(line, quote)
} else := _script_words(line)

# A line that opens a `for` loop (not one that says "for" in a comment or a message).
_loop_line(line) if startswith(trim_left(line, " \t"), "for ")

# What a `for NAME in WORD...` loop assigns its variable, word by word: [[name, value]].
_loop_values(line) := [[ws[k + 1], _assigned_value(w)] |
	ws := _shell_tokens(trim_space(line))
	some k, word in ws
	word == "for"
	ws[k + 2] == "in"
	_identifier(ws[k + 1])
	some w in array.slice(ws, k + 3, _loop_end(ws, k))
]

_loop_end(ws, k) := min(ends) if {
	ends := [i | some i, w in ws; i > k + 2; w in {";", "do"}]
	count(ends) > 0
} else := count(ws)

_identifier(name) if {
	name != ""
	trim_left(lower(name), "abcdefghijklmnopqrstuvwxyz_0123456789") == ""
	not substring(name, 0, 1) in {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
}

_assigned_value(word) := "$" if {
	some c in ["$", "`", "("]
	contains(word, c)
} else := shell_word(word)

# The shell texts of the containers whose writes runtime_settings reads: [{"entry", "c", "text"}].
_redis_shell_texts := [{"entry": entry, "c": c, "text": text} |
	some entry in input.resources
	_has_redis_container(entry.object)
	some c in k8s.containers(entry.object)
	_writes_for_redis(c)
	some text in array.concat(_shell_texts(entry.object, c.container), _hook_texts(entry.object, c.container))
]

_has_redis_container(obj) if {
	some c in k8s.containers(obj)
	is_redis_container(c.container)
}

_writes_for_redis(c) if is_redis_container(c.container)

_writes_for_redis(c) if c.role == "init container"

# The settings of each such text, read once per evaluation (pods share their scripts).
_text_settings := {text: written_settings(text) | some text in {t.text | some t in _redis_shell_texts}}

# The redis directives a shell text writes or sets, where it names them as words of its own: what
# `echo` and `printf` print (not to standard error or /dev/null), the lines of a here-document, the
# replacement of a `sed` substitution, and `CONFIG SET` (redis-cli): [{"line", "name", "args"}],
# names lower-cased, quotes removed. Only directives in _redis_directives are kept, and lines whose
# directive name is a variable (`echo "$DIRECTIVE 6379" >>"$conf"`) where they write to a file:
# those have a "variable" (its name) instead, for the rule to resolve in the container's environment.
written_settings(text) := facts.written_settings if {
	facts := data.text_facts[text] # the gate's memo of shared texts: lib/memo.rego
} else := read_written_settings(text)

read_written_settings(text) := array.flatten([
	_written_directives(text, _redis_directives),
	_variable_named_settings(text),
	_sed_edits(text, _redis_directives),
	_unread_edits(text, _redis_directives),
])

# The same for HAProxy's keywords that decide TLS (see lib/haproxy.rego), in any shell text: what a
# script writes into an HAProxy configuration it copies or builds. No memo: the generator's portals
# run no scripts, and charts' are few.
haproxy_written(text) := array.flatten([
	_written_directives(text, _haproxy_directives),
	_variable_named_settings(text),
	_sed_edits(text, _haproxy_directives),
	_unread_edits(text, _haproxy_directives),
])

# `sed` edits of the lines that hold judged settings, whose outcome the gate cannot read: {"line",
# "name": "sed", "args": [pattern, replacement]}.
# - A substitution whose pattern names a judged setting and whose replacement is not one of its own
#   (which _sed_settings judges): `s/^port 0$//` leaves redis on its default port, 6379, in
#   plaintext; for HAProxy, one that takes `ssl`, `crt`, `verify` or `ca-file` out of a line
#   (`s/ ssl crt [^ ]*//`) or puts a weakening in (`verify none`, `no-ssl`, an older protocol).
# - A deletion whose address names one (`/^tls-port/d`, `/ssl/d`, `/^port 0/!d`).
_sed_edits(text, directives) := array.concat(
	[{"line": trim_space(line), "name": "sed", "args": [fields[i + 1], fields[i + 2]]} |
		some line in lines
		some d in ["/", "|", "#", ",", ":", "@", "!"]
		contains(line, d)
		fields := split(line, d)
		some i, field in fields
		endswith(field, "s")
		count(fields) > i + 3
		regex.match(`(^|[ '";{$0-9])s$`, field) # the command, not a word ending in s (`yes/`)
		_edits_settings(directives.kind, lower(fields[i + 1]), lower(fields[i + 2]))
		not _setting(line, trim(fields[i + 2], " "), directives)
	],
	[{"line": trim_space(line), "name": "sed", "args": [parts[1], ""]} |
		some line in lines
		some quote in [`'`, `"`]
		some k, quoted in split(line, quote)
		k % 2 == 1
		some command in split(quoted, ";")
		parts := split(trim_space(command), "/")
		count(parts) >= 3
		parts[0] == ""
		startswith(trim_left(concat("/", array.slice(parts, 2, count(parts))), " !"), "d")
		_names_setting(directives.kind, lower(parts[1]))
	],
) if {
	contains(text, "sed ")
	lines := [line | some line in _script_lines(text); contains(line, "sed "); not _comment(line)]
} else := []

_edits_settings("redis", pattern, _) if _names_setting("redis", pattern)

_edits_settings("haproxy", pattern, replacement) if {
	some word in _haproxy_tls_words
	contains(pattern, word)
	not contains(replacement, word)
}

_edits_settings("haproxy", _, replacement) if {
	some weak in ["verify none", "no-ssl", "sslv3", "tlsv1.0", "tlsv1.1", "no-tlsv12", "force-tlsv1"]
	contains(replacement, weak)
}

# Edits of a configuration whose outcome the gate does not read, so that it cannot tell what is left
# of the file: {"line", "name": "edit", "args": [what the command does]}. In any command of a line
# (after `;` or `&&` too) one of whose words names a configuration (_configuration_path): a `sed`
# with a line-number address before `d`, `c` or `s` (`1d`, `$d`), or a substitution at an address
# that names a judged setting (`/^port/s/0/6379/`); a program that edits files in place (`perl -i`,
# `ruby -i`, `ed`, `ex`, `vi`, `awk -i inplace`, `truncate`, `dd of=`) or code an interpreter runs
# (`python3 -c`, `node -e`) that writes; `rm` of one (what the script writes after is all the
# server reads); and a command alone on its pipeline, or `tee` without `-a` behind one, that
# replaces the file with what it prints (`: > "$conf"`, `echo ... > "$conf"`: every setting the
# configuration had is gone, `port 0` among them).
_unread_edits(text, directives) := [{"line": trim_space(line), "name": "edit", "args": [what]} |
	some line in _script_lines(text)
	_may_name_a_configuration(line)
	not _comment(line)
	some tokens in _pipelines(_shell_tokens(trim_space(line)))
	some what in _unread_edit(tokens, directives)
]

_may_name_a_configuration(line) if contains(lower(line), "conf")

_may_name_a_configuration(line) if contains(lower(line), "cfg")

_unread_edit(tokens, directives) := {what |
	some c in _pipeline(tokens)
	what := _command_edit(c, directives)
} | {"replaces the configuration with what it prints" | _replaces_a_configuration(tokens)}

_command_edit(c, directives) := "edits the configuration with a `sed` the gate does not read (a line-number address, or a substitution at an address that names a judged setting)" if {
	c.name == "sed"
	_sed_edits_a_configuration(c)
	some script in _sed_scripts(c.args)
	some command in split(trim(script, `"'`), ";")
	_unread_sed_command(trim_space(command), directives)
} else := sprintf("edits the configuration in place with %s", [c.name]) if {
	c.name in {"perl", "ruby"}
	some option in c.args
	regex.match(`^-[a-zA-Z0-9]*i`, option)
	_names_a_configuration_argument(c)
} else := sprintf("edits the configuration with %s", [c.name]) if {
	c.name in {"ed", "ex", "vi", "vim", "nvim", "truncate"}
	_names_a_configuration_argument(c)
} else := "removes the configuration (what the script writes after is all the server reads)" if {
	c.name in {"rm", "unlink"}
	_names_a_configuration_argument(c)
} else := "edits the configuration in place with awk" if {
	c.name in {"awk", "gawk"}
	some i, option in c.args
	_awk_inplace(c.args, i, option)
	_names_a_configuration_argument(c)
} else := "writes the configuration with dd" if {
	c.name == "dd"
	some option in c.args
	startswith(option, "of=")
	_configuration_path(substring(option, 3, -1))
} else := sprintf("writes the configuration from code %s runs", [c.name]) if {
	c.name in {"python", "python2", "python3", "node", "ruby", "perl", "php", "lua"}
	some i, option in c.args
	option in {"-c", "-e", "-E", "--eval"}
	i + 1 < count(c.args)
	code := c.args[i + 1]
	_names_a_configuration([code])
	some verb in ["write", "append", "file=", `">`, `'>`]
	contains(lower(code), verb)
}

# A `sed`'s scripts: the words after each `-e`/`--expression`, or else its first word that is no option.
_sed_scripts(args) := scripts if {
	scripts := [args[i + 1] | some i, a in args; a in {"-e", "--expression"}; i + 1 < count(args)]
	count(scripts) > 0
} else := [script |
	words := [a | some a in args; not startswith(a, "-")]
	count(words) > 0
	script := words[0]
]

_awk_inplace(_, _, option) if option in {"-iinplace", "--include=inplace"}

_awk_inplace(args, i, option) if {
	option in {"-i", "--include"}
	args[i + 1] == "inplace"
}

_names_a_configuration_argument(c) if {
	some arg in c.args
	not startswith(arg, "-")
	_configuration_path(arg)
}

# A word that names a configuration file: one named `*.conf` or `*.cfg` (`/run/redis.conf`,
# `"$DIR/haproxy.cfg"`), or a variable alone whose name says so (`"$conf"`, `${REDIS_CONFIG}`); not
# a file named after one (`"$conf.host"`, `redis.conf.bak`).
_configuration_path(word) if {
	name := lower(_basename(shell_word(word)))
	some suffix in [".conf", ".cfg"]
	endswith(name, suffix)
}

_configuration_path(word) if {
	name := lower(_basename(trim(word, `"'`)))
	regex.match(`^\$\{?[a-z_][a-z0-9_]*\}?$`, name)
	some part in ["conf", "cfg"]
	contains(name, part)
}

# A `sed` that edits a configuration: in place (`-i`, `-i.bak`, `--in-place`), or into one.
_sed_edits_a_configuration(c) if {
	some option in c.args
	regex.match(`^(-[a-zA-Z]*i|--in-place)`, option)
	_names_a_configuration_argument(c)
}

_sed_edits_a_configuration(c) if {
	c.out != ""
	_a_file(c.out)
	_configuration_path(c.out)
}

_unread_sed_command(command, _) if regex.match(`^(\$|[0-9]+)(,(\$|[0-9]+|/[^/]*/))?\s*!?\s*[dcDs]`, command)

_unread_sed_command(command, directives) if {
	parts := split(command, "/")
	count(parts) >= 3
	parts[0] == ""
	_names_setting(directives.kind, lower(parts[1]))
	startswith(trim_left(concat("/", array.slice(parts, 2, count(parts))), " !"), "s")
}

# A command alone on its pipeline whose output replaces a configuration (`>` or `>|`, not `>>`) and
# that prints no copy of a file (_copy_settings judges those): nothing, the lines it echoes, or a
# here-document or here-string given to `cat`.
_replaces_a_configuration(tokens) if {
	not "|" in tokens
	_prints_its_own_lines(_command(tokens))
	ops := [trim_left(t, "0123456789") | some t in tokens; startswith(trim_left(t, "0123456789"), ">")]
	count(ops) > 0
	ops[count(ops) - 1] in {">", ">|"}
	target := _stdout_target(tokens)
	_a_file(target)
	_configuration_path(target)
}

# The same through `tee` without `-a` (`echo ... | tee "$conf"`).
_replaces_a_configuration(tokens) if {
	commands := _pipeline(tokens)
	count(commands) > 1
	_prints_its_own_lines(commands[0])
	some c in commands
	c.name == "tee"
	not _tee_appends(c)
	some target in c.args
	not startswith(target, "-")
	_configuration_path(target)
}

_tee_appends(c) if {
	some option in c.args
	option in {"-a", "--append"}
}

_prints_its_own_lines(c) if c.name in {":", "true", ">", ">|", "echo", "printf"}

_prints_its_own_lines(c) if {
	c.name == "cat"
	every arg in c.args {
		startswith(arg, "-")
	}
}

# Whether a sed pattern names a judged setting: for redis, a directive's name as a word of its own
# (not `replica-announce-port`).
_names_setting("redis", pattern) if regex.match(`(^|[^a-z0-9-])(port|tls-port|tls-replication|tls-protocols|include)([^a-z0-9-]|$)`, pattern)

_names_setting("haproxy", pattern) if {
	some word in _haproxy_tls_words
	contains(pattern, word)
}

_haproxy_tls_words := ["ssl", "crt", "verify", "ca-file"]

# Which directives a kind of configuration judges: {"kind", "words": lower-case substrings one of
# which a line naming one holds, "names": the directive names}.
_redis_directives := {"kind": "redis", "words": ["port", "tls-", "include"], "names": {"port", "tls-port", "tls-replication", "tls-protocols", "include"}}

_haproxy_directives := {
	"kind": "haproxy",
	"words": ["bind", "server", "ssl"],
	"names": {"bind", "server", "default-server", "ssl-server-verify", "ssl-default-bind-options", "ssl-default-server-options"},
}

_written_directives(text, directives) := array.flatten([
	_echoed_settings(candidates, directives), _heredoc_settings(lines, directives),
	_sed_settings(candidates, directives), _config_set_settings(candidates, directives),
	_herestring_settings(lines, directives),
]) if {
	_may_write(text)
	lines := _script_lines(text)
	candidates := [line | some line in lines; _names_judged(line, directives)]
} else := []

# Whether a text holds a command that writes or sets settings: one that does not (a configuration
# file on a command line, which start_scripts counts too) is not read line by line.
_may_write(text) if regex.match(`echo|printf|<<|sed `, text) # one pass over the text (see _may_copy)

_may_write(text) if contains(lower(shell_word(text)), "config") # `con'fig' set`: the words redis-cli is given

# Lines written to a file whose first word, the directive's name, is a variable: what `echo` and
# `printf` print, and here-document lines. Written to a file: the line redirects its output to one,
# or stands in a group or block whose end does (`{ ...; } >>"$conf"`, `done > file`); a log line
# (`echo "$host is up"`) writes to the container's output, which redis does not read.
_variable_named_settings(text) := array.flatten([
	[s |
		_may_print_a_variable_first(text) # most texts print no variable first: skipped whole
		lines := _script_lines(text)
		some i, line in lines
		_may_print_a_variable_first(line)
		not _comment(line)
		ws := _script_words(line)
		some k, w in ws
		w in {"echo", "printf"}
		_command_position(ws, k)
		rest := array.slice(ws, k + 1, count(ws))
		words := array.slice(rest, 0, _end(rest))
		not _printed_nowhere(words)
		printed := [a |
			some m, a in words
			not _redirection(a)
			not _redirected(words, m)
			not a in {"-e", "-n", "-E", "-en", "-ne"}
		]
		some part in split(_unescaped(_printed_text(w, printed)), "\n")
		s := _printed_setting(line, part)
		_writes_a_file(lines, i)
	],
	[s |
		contains(text, "<<")
		lines := _script_lines(text)
		some i, line in lines
		contains(line, "<<")
		found := regex.find_all_string_submatch_n(`(?:^|[^<])<<-?[ \t]*(['"]?)([A-Za-z_][A-Za-z0-9_]*)['"]?`, line, 1)
		count(found) == 1
		found[0][1] == "" # `<<'EOF'` leaves `$X` as it is
		_writes_a_file(lines, i)
		end := _heredoc_end(lines, i, found[0][2])
		end > i + 1
		some j in numbers.range(i + 1, end - 1)
		s := _printed_setting(lines[j], trim_space(lines[j]))
	],
	[s | # what sed writes: `sed -i` writes a file, and a sed that prints is taken to write one
		contains(text, "sed ")
		some line in _script_lines(text)
		contains(line, "sed ")
		not _comment(line)
		_may_expand(line)
		some part in _sed_texts(line)
		s := _variable_setting(line, part)
	],
	[s | # a here-string's line (`<<< "$LINE"`, `<<< "$D 6379"`)
		contains(text, "<<<")
		lines := _script_lines(text)
		some i, line in lines
		contains(line, "<<<")
		not _comment(line)
		_herestring_to_file(lines, i)
		some part in _herestrings(line)
		s := _printed_setting(line, part)
	],
	[s | # a line sed adds whole (`$a $LINE`, a replacement's part after a line break) may be one variable
		contains(text, "sed ")
		some line in _script_lines(text)
		contains(line, "sed ")
		not _comment(line)
		_may_expand(line)
		some part in _sed_whole_lines(line)
		s := _printed_setting(line, part)
		not s.args[0] # those with arguments are the branch's above
	],
])

_may_expand(line) if contains(line, "$")

_may_expand(line) if contains(line, "`")

# Whether a line (or a whole text) may print a variable first (`echo "$D`, `printf ${D}`, `echo -e
# $D`): string tests only, as most lines of a script print something else or nothing.
_may_print_a_variable_first(line) if {
	some command in ["echo ", "printf "]
	contains(line, command)
	some after in array.slice(split(line, command), 1, count(split(line, command)))
	_expands(trim_left(after, ` "'`))
}

_may_print_a_variable_first(line) if {
	some command in ["echo -", "printf -"]
	contains(line, command)
}

# printf's arguments may fill the start of its format (`printf '%s %s\n' "$D" 6379`).
_may_print_a_variable_first(line) if {
	contains(line, "printf ")
	contains(line, "%")
	_may_expand(line)
}

# What echo prints of its words; what printf prints of its format, the first word (quotes keep it
# whole: up to the word that closes its quote), its arguments filling its `%s` and `%d`; where they
# do not fill it one for one, its format alone (a name at the start of a line is the format's).
_printed_text("echo", printed) := concat(" ", printed)

_printed_text("printf", printed) := text if {
	text := _printf_filled(printed)
} else := concat(" ", array.slice(printed, 0, _format_end(printed) + 1))

# The same for directives named as words, as texts to read: where printf's arguments do not fill
# its format one for one (quotes group words the gate splits at blanks: `printf '%s\n' 'port
# 6379'`), every word as printed, and its arguments alone as the start of a line.
_printed_words("echo", printed) := [concat(" ", printed)]

_printed_words("printf", printed) := [text] if {
	text := _printf_filled(printed)
} else := [concat(" ", printed), concat(" ", array.slice(printed, _format_end(printed) + 1, count(printed)))]

# printf's format with its `%s` and `%d` replaced by its arguments, in order; undefined where the
# format has another conversion or the arguments are not one per conversion.
_printf_filled(printed) := concat("", [concat("", [part, _nth(args, i)]) | some i, part in parts]) if {
	end := _format_end(printed)
	format := replace(concat(" ", array.slice(printed, 0, end + 1)), "%d", "%s")
	args := array.slice(printed, end + 1, count(printed))
	parts := split(format, "%s")
	count(args) <= count(parts) - 1 # printf fills conversions it has no argument for with nothing
	not contains(replace(format, "%s", ""), "%")
}

_nth(words, i) := words[i] if i < count(words)

else := ""

_format_end(ws) := end if {
	quote := substring(ws[0], 0, 1)
	quote in {`"`, "'"}
	ends := [k | some k, w in ws; endswith(w, quote); _closes_quote(k, w)]
	end := min(array.concat(ends, [count(ws) - 1]))
} else := 0

_closes_quote(0, w) if count(w) > 1 # `'%s` opens a quote, `'%s'` closes it too

_closes_quote(k, _) if k > 0

_variable_setting(line, text) := object.union(
	{"line": trim_space(line), "name": ws[0], "args": array.slice(ws, 1, count(ws))},
	_name_source(ws[0]),
) if {
	unquoted := replace(replace(text, `"`, ""), "'", "")
	ws := [w | some w in split(replace(replace(unquoted, "\t", " "), "\r", " "), " "); w != ""]
	count(ws) > 1 # a directive and its value (a whole line in one variable: _printed_setting)
	_expands(ws[0])
}

# A line printed (`echo`, `printf`, a here-document line) whose directive name is a variable, or
# which is one variable whole (`echo "$LINE"`: its value holds the name and the arguments, see
# named_line; "whole": judged only where the gate finds a literal value, as most such lines write
# an address or a password into a file of its own). Not for a sed replacement, which replaces a
# part of a line (`s/HOST/$IP/`).
_printed_setting(line, text) := s if {
	s := _variable_setting(line, text)
} else := object.union({"line": trim_space(line), "name": ws[0], "args": [], "whole": true}, _name_source(ws[0])) if {
	ws := [w | some w in split(trim_space(replace(replace(text, `"`, ""), "'", "")), " "); w != ""]
	count(ws) == 1
	_expands(ws[0])
}

_expands(word) if startswith(word, "$")

_expands(word) if startswith(word, "`")

# Where a directive name that expands something comes from: {"variable"} for `$D` and `${D}`, with
# a "default" for `${D:-port}`, `${D-port}` and `${D:=port}`; {"expansion": true} for anything else
# (a command substitution, `${D:+x}`, `$1`), which the gate cannot read.
_name_source(word) := {"variable": variable} if {
	variable := _variable_name(word)
} else := {"variable": found[0][1], "default": found[0][2]} if {
	found := regex.find_all_string_submatch_n(concat("", [`^\$\{([A-Za-z_][A-Za-z0-9_]*):?[-=]([^}$`, "`", `]*)\}$`]), word, 1)
	count(found) == 1
} else := {"expansion": true}

# Whether line i of a script sends its output to a file, itself or through the group or block it
# stands in: a later line that ends one (`}`, `)`, `done`, `fi`, `esac`) and redirects to a file,
# the group taken to open at the nearest line before it as indented as it (or at the top).
_writes_a_file(lines, i) if _redirects_to_file(_script_words(lines[i]))

_writes_a_file(lines, i) if {
	some j, closing in lines
	j > i
	_closes_a_group(closing)
	_redirects_to_file(_script_words(closing))
	indent := _indent(closing)
	openers := [o | some o, opening in lines; o < j; trim_space(opening) != ""; _indent(opening) == indent]
	opener := max(array.concat([-1], openers))
	opener < i
}

_closes_a_group(line) if {
	trimmed := trim_left(line, " \t")
	some end in ["}", ")", "done", "fi", "esac"]
	startswith(trimmed, end)
}

_indent(line) := count(line) - count(trim_left(line, " \t"))

# A redirection of standard output to a file (`>>"$conf"`, `> /c`, `1>f`), not to another stream,
# a device or a log (`/dev/...`, `/proc/...`, `/var/log/...`, `*.log`: no server reads its
# configuration there).
_redirects_to_file(ws) if {
	some k, w in ws
	startswith(trim_left(w, "1"), ">")
	not startswith(w, ">&")
	target := shell_word(_redirect_target(ws, k))
	not startswith(target, "&")
	not _not_a_configuration(target)
}

_not_a_configuration(target) if {
	some prefix in ["/dev/", "/proc/", "/var/log/"]
	startswith(target, prefix)
}

_not_a_configuration(target) if endswith(target, ".log")

# Whether a line (not a comment) names a judged directive, in any case, as a line that sets one does.
_names_judged(line, directives) if {
	not _comment(line)
	lowered := lower(line)
	some name in directives.words
	contains(lowered, name)
}

# (Quotes only join words: `echo "po""rt 6379"` prints `port 6379`.)
_names_judged(line, directives) if {
	not _comment(line)
	some quote in [`"`, "'"]
	contains(line, quote)
	lowered := lower(replace(replace(line, `"`, ""), "'", ""))
	some name in directives.words
	contains(lowered, name)
}

# The escapes echo, printf and sed write as line breaks and blanks (`printf 'port\t6379\n'`).
_unescaped(text) := replace(replace(text, `\n`, "\n"), `\t`, " ")

# A directive line as redis (or HAProxy) splits it: its name and arguments, or undefined where it
# names no judged directive.
_setting(line, text, directives) := {"line": trim_space(line), "name": name, "args": array.slice(ws, 1, count(ws))} if {
	unquoted := replace(replace(text, `"`, ""), "'", "") # quotes only group words, and the values are judged word by word
	ws := [w | some w in split(replace(replace(unquoted, "\t", " "), "\r", " "), " "); w != ""]
	name := lower(ws[0])
	directives.names[name]
}

_echoed_settings(lines, directives) := [s |
	some line in lines
	_may_print(line)
	ws := _script_words(line)
	some i, w in ws
	w in {"echo", "printf"}
	_command_position(ws, i)
	rest := array.slice(ws, i + 1, count(ws))
	words := array.slice(rest, 0, _end(rest))
	not _printed_nowhere(words)
	printed := [a |
		some k, a in words
		not _redirection(a)
		not _redirected(words, k)
		not a in {"-e", "-n", "-E", "-en", "-ne"}
	]
	some part in {trim_space(replace(replace(p, `"`, ""), "'", "")) | # each line once, as _setting reads it
		some text in _printed_words(w, printed)
		some p in split(_unescaped(text), "\n")
	}
	s := _setting(line, part, directives)
]

_may_print(line) if contains(line, "echo")

_may_print(line) if contains(line, "printf")

# A word that redirects output or input (`>file`, `>>`, `2>&1`, `>&2`, `<file`).
_redirection(w) if startswith(trim_left(w, "0123456789"), ">")

_redirection(w) if startswith(trim_left(w, "0123456789"), "<")

_redirection(w) if startswith(w, "&>")

# The file a bare redirection operator before a word sends output to (`>> /c`): not printed.
_redirected(words, k) if {
	k > 0
	_bare_redirection(words[k - 1])
}

# Standard output sent to standard error or /dev/null (`>&2`, `1>/dev/null`, `> /dev/null`).
_printed_nowhere(words) if {
	some k, w in words
	startswith(trim_prefix(w, "1"), ">")
	_redirect_target(words, k) in {"&2", "/dev/null", "/dev/stderr"}
}

_redirect_target(words, k) := words[k + 1] if trim_left(words[k], "1>|") == "" # `>`, `>>`, `>|` (clobber) then the file

else := trim_left(words[k], "1>|")

# Here-strings (bash: `cat >> "$conf" <<< "port 6379"`): the word after `<<<`, a line of input to
# the command, where the command's output reaches a file (see _output_to_file: itself, a `tee`, a
# redirected group).
_herestring_settings(lines, directives) := [s |
	some i, line in lines
	contains(line, "<<<")
	_names_judged(line, directives)
	_herestring_to_file(lines, i)
	some text in _herestrings(line)
	s := _setting(line, text, directives)
]

_herestring_to_file(lines, i) if _output_to_file(lines, i, _pipeline(_shell_tokens(trim_space(lines[i]))))

_herestrings(line) := [text |
	contains(line, "<<<")
	some k, after in split(line, "<<<")
	k > 0
	tokens := _shell_tokens(after)
	count(tokens) > 0
	some part in split(_herestring_text(tokens[0]), "\n")
	text := trim_space(part)
]

# A here-string's word as bash passes it: quotes removed; `$'...'` with its escapes.
_herestring_text(word) := _unescaped(trim_suffix(trim_prefix(word, "$'"), "'")) if startswith(word, "$'")

else := shell_word(word)

# Here-documents (`<<EOF`, `<<-'EOF'`): each line of the body.
_heredoc_settings(lines, directives) := [s |
	some i, line in lines
	contains(line, "<<")
	found := regex.find_all_string_submatch_n(`(?:^|[^<])<<-?[ \t]*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?`, line, 1)
	count(found) == 1
	end := _heredoc_end(lines, i, found[0][1])
	end > i + 1
	some j in numbers.range(i + 1, end - 1)
	s := _setting(lines[j], trim_space(lines[j]), directives)
]

_heredoc_end(lines, i, delimiter) := min(ends) if {
	ends := [j | some j, line in lines; j > i; trim(line, " \t") == delimiter]
	count(ends) > 0
} else := count(lines)

# What `sed` writes: the lines of the replacement of its substitutions (`s/^port .*/port 6379/`,
# any of the usual delimiters), the text between the second and third delimiter after an `s`, and
# the text of its commands that add lines (`$a port 6379`, `/^port/c port 6379`, `1i ...`) in each
# quoted part of the line, after an address (line numbers, `$`, `\$` in double quotes, or one
# `/pattern/`). String splits: a regular expression, compiled at each call in the wasm engine, cost
# more than the rest of the rule; an escaped delimiter cuts a replacement short, which can only hide
# a directive name after it.
_sed_texts(line) := array.concat(
	[trim(part, " ") |
		some d in ["/", "|", "#", ",", ":", "@", "!"]
		contains(line, d)
		fields := split(line, d)
		some i, field in fields
		endswith(field, "s")
		count(fields) > i + 3
		some part in split(_unescaped(fields[i + 2]), "\n")
	],
	[trim_left(substring(rest, 1, -1), ` \`) |
		some token in regex.find_all_string_submatch_n(_shell_token, line, -1)
		regex.match(`["']`, token[0]) # a quoted script, read as the shell hands it to sed (`"\$a po""rt 6379"`)
		some command in split(shell_word(token[0]), ";")
		rest := trim_left(_without_pattern(trim_space(command)), `\$0123456789,! `)
		substring(rest, 0, 1) in {"a", "i", "c"}
	],
)

# The lines a sed adds whole: the text of its `a`, `i` and `c` commands, and the parts of a
# substitution's replacement after a line break (the first part replaces within a line).
_sed_whole_lines(line) := array.concat(
	[trim(part, " ") |
		some d in ["/", "|", "#", ",", ":", "@", "!"]
		contains(line, d)
		fields := split(line, d)
		some i, field in fields
		endswith(field, "s")
		count(fields) > i + 3
		some k, part in split(_unescaped(fields[i + 2]), "\n")
		k > 0
	],
	[trim_left(substring(rest, 1, -1), ` \`) |
		some quote in [`'`, `"`]
		some k, quoted in split(line, quote)
		k % 2 == 1
		some command in split(quoted, ";")
		rest := trim_left(_without_pattern(trim_space(command)), `\$0123456789,! `)
		substring(rest, 0, 1) in {"a", "i", "c"}
	],
)

_sed_settings(lines, directives) := [s |
	some line in lines
	contains(line, "sed ")
	some text in _sed_texts(line)
	s := _setting(line, text, directives)
]

_without_pattern(command) := concat("/", array.slice(parts, 2, count(parts))) if {
	startswith(command, "/")
	parts := split(command, "/")
	count(parts) >= 3
} else := command

_comment(line) if startswith(trim_left(line, " \t"), "#")

_may_set_config(line) if contains(lower(shell_word(line)), "config")

# `CONFIG SET name value [name value ...]` (redis-cli, any case).
_config_set_settings(lines, directives) := array.concat(
	[s |
		some line in lines
		_may_set_config(line)
		ws := [trim(shell_word(w), "()") | some w in _script_words(line)] # `(redis-cli config set port 0)`, `con'fig' s""et`
		some k, w in ws
		lower(w) == "config"
		lower(ws[k + 1]) == "set"
		rest := array.slice(ws, k + 2, count(ws))
		pairs := array.slice(rest, 0, _end(rest))
		count(pairs) >= 2
		some p in numbers.range(0, floor(count(pairs) / 2) - 1)
		s := _setting(line, concat(" ", [pairs[2 * p], pairs[(2 * p) + 1]]), directives)
	],
	[s | # a client library's call: `r.config_set("port", 6379)` (redis-py), `redis.config("SET", "port", "6379")` (ioredis)
		some line in lines
		_may_set_config(line)
		contains(line, "(")
		ws := [w | some w in regex.split(`[^A-Za-z0-9_.:-]+`, line); w != ""; not lower(w) in _call_words]
		some k, w in ws
		rest := _config_call_arguments(ws, k, lower(w))
		count(rest) >= 2
		s := _setting(line, concat(" ", [rest[0], rest[1]]), directives)
	],
)

# Words of a call that are no setting's name or value: keyword names (redis-py's `name=`, `value=`)
# and Go's context argument.
_call_words := {"name", "value", "ctx", "context.background", "context.todo"}

_config_call_arguments(ws, k, word) := array.slice(ws, k + 1, count(ws)) if {
	some call in ["config_set", "configset"]
	endswith(word, call)
} else := array.slice(ws, k + 2, count(ws)) if {
	endswith(word, "config")
	lower(ws[k + 1]) == "set"
}
