package rules.tls.redis_args_tls_only_test

import data.lib.testing
import data.rules.tls.redis_args_tls_only

_messages(container) := msgs if {
	msgs := testing.messages(redis_args_tls_only.violation) with input as testing.input_of([testing.workload("StatefulSet", "cache", {"containers": [container]})])
}

_redis(fields) := object.union(testing.container("redis", "docker.io/library/redis:7.2.5"), fields)

test_tls_only_options_pass if {
	count(_messages(_redis({"args": ["--port", "0", "--tls-port", "6379", "--tls-replication", "yes"]}))) == 0
	count(_messages(_redis({"command": ["redis-server", "/etc/redis/redis.conf"]}))) == 0
	count(_messages(_redis({"command": ["sh", "/start.sh"]}))) == 0
	count(_messages(testing.container("app", "example.com/app:1"))) == 0
}

test_image_default_listens_in_plaintext if {
	_messages(_redis({})) == {
		"container redis of StatefulSet cache runs redis-server: no configuration file and no `--port 0`: it listens in plaintext on 6379",
		"container redis of StatefulSet cache runs redis-server: no configuration file and no `--tls-port`: nothing listens for TLS connections",
		"container redis of StatefulSet cache runs redis-server: no configuration file and no `--tls-replication yes`: replication connections stay plaintext",
	}
}

test_shell_command_line_options_are_read if {
	msgs := _messages(_redis({"command": ["sh", "-c", "redis-server /etc/redis.conf --port 6380 --tls-replication no --tls-protocols \"TLSv1.1 TLSv1.2\" && echo done"]}))
	msgs == {
		"container redis of StatefulSet cache runs redis-server: `--port 6380` opens a plaintext port: use `--port 0`",
		"container redis of StatefulSet cache runs redis-server: `--tls-replication no`: replication connections stay plaintext",
		"container redis of StatefulSet cache runs redis-server: `--tls-protocols` allows TLSv1.1: allow TLSv1.2 and TLSv1.3 only",
	}
}

test_sentinel_default_port if {
	some msg in _messages(_redis({"command": ["/usr/local/bin/redis-sentinel"], "args": ["--tls-port", "26379", "--tls-replication", "yes"]}))
	contains(msg, "runs redis-sentinel: no configuration file and no `--port 0`: it listens in plaintext on 26379")
	some msg2 in _messages(_redis({"args": ["--sentinel", "--port", "0", "--tls-port", "26379", "--tls-replication", "yes", "--port", "26379"]}))
	msg2 == "container redis of StatefulSet cache runs redis-server: `--port 26379` opens a plaintext port: use `--port 0`"
}
