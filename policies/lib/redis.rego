# METADATA
# description: >-
#   What a workload runs as far as Redis is concerned: which containers are redis servers, sentinels
#   or HAProxy, the redis-server/redis-sentinel invocations in their command lines and the options
#   those give, the redis configurations a pod mounts, and the plaintext ports that follow from
#   them. Redis-specific rules use related() to leave objects that have nothing to do with Redis
#   alone.
package lib.redis

import data.lib.k8s
import data.lib.redisconf

# Label keys whose values name the application an object belongs to.
_app_labels := {"app", "app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/part-of", "app.kubernetes.io/component"}

# Whether an object belongs to Redis: by its name, an application label, or a container image.
related(obj) if contains(lower(k8s.name(obj)), "redis")

related(obj) if {
	some key, value in object.get(obj, ["metadata", "labels"], {})
	key in _app_labels
	contains(lower(value), "redis")
}

related(obj) if {
	some c in k8s.containers(obj)
	redis_family_image(object.get(c.container, "image", ""))
}

# The repository's last path segment, without registry, tag or digest: "docker.io/library/redis:7.2"
# gives "redis".
image_name(image) := name if {
	without_digest := split(image, "@")[0]
	segments := split(without_digest, "/")
	name := lower(split(segments[count(segments) - 1], ":")[0])
}

# redis, redis-sentinel, redis-stack-server, bitnami's redis-cluster, ...; not redis_exporter and
# friends, which talk to redis but are not it.
_redis_family(name) if {
	startswith(name, "redis")
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
words(container) := [w |
	some part in array.concat(object.get(container, "command", []), object.get(container, "args", []))
	is_string(part)
	some w in split(replace(replace(part, "\n", " "), "\t", " "), " ")
	w != ""
]

_programs := {"redis-server", "redis-sentinel"}

_shell_separators := {";", "&&", "||", "|", "&"}

# The redis-server / redis-sentinel invocations of a container: [{"program", "args", "sentinel"}],
# "args" being the words after the program up to a shell separator. The official image runs
# redis-server when it is given no command, or only options or a .conf file as args.
invocations(container) := [{"program": "redis-server", "args": args, "sentinel": _is_sentinel("redis-server", args)}] if {
	is_redis_container(container)
	count(object.get(container, "command", [])) == 0
	args := object.get(container, "args", [])
	_entrypoint_runs_server(args)
} else := [inv |
	ws := words(container)
	some i, word in ws
	program := _program(word)
	rest := array.slice(ws, i + 1, count(ws))
	args := array.slice(rest, 0, _end(rest))
	inv := {"program": program, "args": args, "sentinel": _is_sentinel(program, args)}
]

_entrypoint_runs_server(args) if count(args) == 0

_entrypoint_runs_server(args) if startswith(args[0], "-")

_entrypoint_runs_server(args) if endswith(args[0], ".conf")

_program(word) := program if {
	parts := split(trim(word, `"'`), "/")
	program := parts[count(parts) - 1]
	program in _programs
}

_end(rest) := min([i | some i, w in rest; w in _shell_separators]) if {
	some w in rest
	w in _shell_separators
} else := count(rest)

_is_sentinel("redis-sentinel", _) := true

_is_sentinel("redis-server", args) := "--sentinel" in args

# The options of an invocation's args: {"name": [values]}, names lower-cased without "--"; the
# values are the words up to the next option. The last occurrence wins, as in redis.
options(args) := {name: values |
	some k, i in _option_starts(args)
	name := lower(trim_prefix(args[i], "--"))
	i == max([j | some j in _option_starts(args); lower(trim_prefix(args[j], "--")) == name])
	values := [trim(v, `"'`) | some v in array.slice(args, i + 1, _next_start(_option_starts(args), k, count(args)))]
}

_option_starts(args) := [i | some i, w in args; startswith(w, "--")]

_next_start(starts, k, n) := starts[k + 1] if k + 1 < count(starts)

else := n

# The configuration file an invocation names (its first argument when that is not an option).
config_file(inv) := inv.args[0] if {
	count(inv.args) > 0
	not startswith(inv.args[0], "-")
}

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
# "opaque"}] (opaque: the numbers of the lines redisconf cannot read as redis does).
# (Arrays, not sets, here and in the collections below: the wasm engine hashes a set's element, the
# whole object, at every step of iterating over the set.)
configs := [{"entry": t.entry, "key": t.key, "dirs": redisconf.directives(t.text), "opaque": redisconf.opaque_lines(t.text)} |
	some t in config_map_texts
	redisconf.is_config(t.names)
]

# Every text of the input's ConfigMaps with the names of its directives, read once for the redis and
# the HAProxy rules: [{"entry", "key", "text", "names"}].
config_map_texts := [{"entry": entry, "key": key, "text": text, "names": redisconf.names(text)} |
	some entry in k8s.of_kind("ConfigMap")
	some key, text in object.get(entry.object, "data", {})
	is_string(text)
]

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

_volumes(obj) := object.get(k8s.pod_template(obj), ["spec", "volumes"], [])

# Plaintext ports the redis processes of a workload's pods may open: by their command lines, and by
# every redis configuration the pods mount (which one a start script uses is not knowable).
plaintext_ports(obj) := {port |
	some c in k8s.containers(obj)
	some inv in invocations(c.container)
	some port in invocation_plaintext_ports(inv)
} | {port |
	names := mounted_config_maps(obj)
	some config in configs
	k8s.name(config.entry.object) in names
	some port in config_plaintext_ports(config.dirs)
}

# Workloads of the input with a sentinel container, and with a redis server container.
sentinel_workloads := [entry | some entry in input.resources; _runs_sentinel(entry.object)]

server_workloads := [entry | some entry in input.resources; _runs_server(entry.object)]

_runs_sentinel(obj) if {
	some c in k8s.containers(obj)
	is_sentinel_container(c.container)
}

_runs_server(obj) if {
	some c in k8s.containers(obj)
	is_server_container(c.container)
}
