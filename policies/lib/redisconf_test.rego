package lib.redisconf_test

import data.lib.redisconf

test_directives_are_words_with_quotes_trimmed if {
	text := "# comment\n\nPort \"0\"\n  tls-protocols \"TLSv1.2  TLSv1.3\"\nrequirepass\t'secret'\nsave \"\"\r\n"
	redisconf.directives(text) == [
		{"name": "port", "args": ["0"], "line": 3},
		{"name": "tls-protocols", "args": ["TLSv1.2", "TLSv1.3"], "line": 4},
		{"name": "requirepass", "args": ["secret"], "line": 5},
		{"name": "save", "args": [""], "line": 6},
	]
}

test_last_occurrence_wins if {
	dirs := redisconf.directives("port 6379\nport 0\n")
	redisconf.last(dirs, "port") == ["0"]
	not redisconf.last(dirs, "tls-port")
}

test_redis_and_sentinel_configs_are_recognised if {
	redisconf.is_config(redisconf.names("appendonly yes\n"))
	redisconf.is_config(redisconf.names("sentinel monitor orders 10.0.0.1 6379 2\n"))
}

test_shared_words_alone_are_not_config if {
	not redisconf.is_config(redisconf.names("bind :6379\ntimeout client 30s\nuser haproxy\n"))
	not redisconf.is_config(redisconf.names("#!/bin/sh\nset -eu\n"))
	not redisconf.is_config(redisconf.names(""))
}
