# METADATA
# description: >-
#   Reads redis.conf / sentinel.conf text: its directives (lower-cased name, arguments, line
#   number), the arguments redis applies for a directive (its last occurrence), and whether a text
#   is redis or sentinel configuration at all.
package lib.redisconf

# Directives of redis.conf (7.x) and sentinel.conf.
known_directives := {
	"acl-pubsub-default", "aclfile", "active-expire-effort", "activedefrag", "activerehashing",
	"always-show-logo", "aof-load-truncated", "aof-rewrite-incremental-fsync", "aof-timestamp-enabled",
	"aof-use-rdb-preamble", "appenddirname", "appendfilename", "appendfsync", "appendonly",
	"auto-aof-rewrite-min-size", "auto-aof-rewrite-percentage", "bind", "bind-source-addr",
	"client-output-buffer-limit", "client-query-buffer-limit", "cluster-config-file", "cluster-enabled",
	"cluster-node-timeout", "cluster-port", "crash-log-enabled", "daemonize", "databases", "dbfilename",
	"dir", "disable-thp", "dynamic-hz", "enable-debug-command", "enable-module-command",
	"enable-protected-configs", "hash-max-listpack-entries", "hash-max-listpack-value", "hz", "include",
	"io-threads", "jemalloc-bg-thread", "latency-monitor-threshold", "latency-tracking",
	"lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del", "lazyfree-lazy-user-del",
	"list-compress-depth", "list-max-listpack-size", "logfile", "loglevel", "lua-time-limit", "masterauth",
	"masteruser", "maxclients", "maxmemory", "maxmemory-clients", "maxmemory-eviction-tenacity",
	"maxmemory-policy", "maxmemory-samples", "min-replicas-max-lag", "min-replicas-to-write",
	"notify-keyspace-events", "oom-score-adj", "pidfile", "port", "protected-mode", "rdbchecksum",
	"rdbcompression", "rename-command", "repl-backlog-size", "repl-backlog-ttl", "repl-diskless-load",
	"repl-diskless-sync", "repl-diskless-sync-delay", "repl-disable-tcp-nodelay", "repl-ping-replica-period",
	"repl-timeout", "replica-announce-ip", "replica-announce-port", "replica-lazy-flush",
	"replica-priority", "replica-read-only", "replica-serve-stale-data", "replicaof", "requirepass",
	"save", "sentinel", "set-max-intset-entries", "slaveof", "slowlog-log-slower-than", "slowlog-max-len",
	"stop-writes-on-bgsave-error", "stream-node-max-bytes", "stream-node-max-entries", "supervised",
	"syslog-enabled", "syslog-facility", "syslog-ident", "tcp-backlog", "tcp-keepalive", "timeout",
	"tls-auth-clients", "tls-ca-cert-dir", "tls-ca-cert-file", "tls-cert-file", "tls-ciphers",
	"tls-ciphersuites", "tls-client-cert-file", "tls-client-key-file", "tls-cluster", "tls-dh-params-file",
	"tls-key-file", "tls-port", "tls-prefer-server-ciphers", "tls-protocols", "tls-replication",
	"tls-session-cache-size", "tls-session-cache-timeout", "tls-session-caching", "unixsocket",
	"unixsocketperm", "user", "zset-max-listpack-entries", "zset-max-listpack-value",
}

# Words other formats start lines with too (HAProxy's bind, timeout and user, nginx's include and
# user, ...): redis directives, but on their own they do not make a text redis configuration.
_shared_words := {"bind", "daemonize", "dir", "include", "logfile", "loglevel", "pidfile", "timeout", "user"}

telling_directives := known_directives - _shared_words

# The directives of a configuration text, in order: [{"name", "args", "line"}], comments and blank
# lines left out. Names are lower-cased (redis reads them case-insensitively); arguments are the
# whitespace-separated words after the name with surrounding quotes trimmed, so a quoted argument
# with spaces ("TLSv1.2 TLSv1.3") yields one word per part. (No regex: RE2 would double the wasm.)
directives(text) := [d |
	some i, raw in split(text, "\n")
	line := trim_space(raw)
	line != ""
	not startswith(line, "#")
	words := [trim(w, `"'`) | some w in split(replace(line, "\t", " "), " "); w != ""]
	d := {"name": lower(words[0]), "args": array.slice(words, 1, count(words)), "line": i + 1}
]

# The names of a text's directives, lower-cased: what tells a configuration from other text, read at
# a fraction of the cost of directives() (which splits every line into words). Rules ask this of
# every ConfigMap value, shell scripts included, and read the directives of configurations only.
names(text) := {lower(trim(word, `"'`)) |
	some raw in split(text, "\n")
	line := trim_space(raw)
	line != ""
	not startswith(line, "#")
	word := split(replace(line, "\t", " "), " ")[0]
}

# Whether a text holds redis or sentinel directives, given its names(): some line starts with a
# directive that is not also a common word of other configuration formats. (A set intersection:
# `name in known_directives` scans the whole set in the wasm engine, for every line of every text.)
is_config(names) if count(names & telling_directives) > 0

# The arguments of the last occurrence of a directive (the one redis applies); undefined if absent.
last(dirs, name) := dirs[i].args if {
	indices := [j | some j, d in dirs; d.name == name]
	count(indices) > 0
	i := indices[count(indices) - 1]
}

# The numbers of the lines redis reads differently from directives(): redis (sdssplitargs) decodes
# escapes inside double quotes (`"TLSv1.2\x20TLSv1"` is two protocols to redis, one word here) and
# separates arguments at a carriage return, vertical tab or form feed inside a line. What such a
# line sets cannot be checked; the rules report it rather than guess. (test/redis-config.process.test.ts
# runs real redis-server on such lines.) Lines are trimmed and skipped as redis does.
opaque_lines(text) := [n |
	some i, raw in split(text, "\n")
	line := trim(raw, " \t\r")
	line != ""
	not startswith(line, "#")
	_opaque(line)
	n := i + 1
]

_opaque(line) if {
	contains(line, `"`)
	contains(line, `\`)
}

_opaque(line) if contains(line, "\r")

_opaque(line) if contains(line, "\u000b")

_opaque(line) if contains(line, "\f")
