package rules.tls.service_plaintext_port_test

import data.lib.testing
import data.rules.tls.service_plaintext_port

_service(ports) := {"apiVersion": "v1", "kind": "Service", "metadata": testing.meta("cache"), "spec": {"selector": {"app": "cache"}, "ports": ports}}

_redis(fields) := object.union(testing.container("redis", "redis:7.2.5"), fields)

_messages(objects) := msgs if {
	msgs := testing.messages(service_plaintext_port.violation) with input as testing.input_of(objects)
}

test_plaintext_image_default_by_port_number if {
	_messages([_service([{"port": 6379}]), testing.workload("Deployment", "cache", {"containers": [_redis({})]})]) == {"Service cache port 6379 targets port 6379 of Deployment cache, where redis listens in plaintext"}
}

test_named_target_port_and_mounted_config if {
	pod := {
		"containers": [_redis({"command": ["sh", "/start.sh"], "ports": [{"name": "redis", "containerPort": 6380}], "volumeMounts": [{"name": "c", "mountPath": "/etc/redis"}]})],
		"volumes": [{"name": "c", "projected": {"sources": [{"configMap": {"name": "cache-config"}}]}}],
	}
	objects := [
		_service([{"port": 6379, "targetPort": "redis"}]),
		testing.workload("StatefulSet", "cache", pod),
		testing.config_map("cache-config", {"redis.conf": "port 6380\ntls-port 6379\n"}),
	]
	_messages(objects) == {"Service cache port 6379 targets port 6380 of StatefulSet cache, where redis listens in plaintext"}
}

test_tls_only_and_unrelated_services_pass if {
	pod := {"containers": [_redis({"args": ["/etc/redis/redis.conf"]})], "volumes": [{"name": "c", "configMap": {"name": "cache-config"}}]}
	count(_messages([
		_service([{"port": 6379, "targetPort": 6379}]),
		testing.workload("StatefulSet", "cache", pod),
		testing.config_map("cache-config", {"redis.conf": "port 0\ntls-port 6379\n", "sentinel.conf": "sentinel monitor m h 6379 2\nport 0\n"}),
	])) == 0
	count(_messages([_service([{"port": 6379}]), testing.workload("Deployment", "other", {"containers": [_redis({})]})])) == 0
}

test_default_ports_of_configs_without_port if {
	pod := {"containers": [_redis({"command": ["sh", "/s.sh"], "volumeMounts": [{"name": "c", "mountPath": "/etc/redis"}]})], "volumes": [{"name": "c", "configMap": {"name": "cache-config"}}]}
	objects := [
		_service([{"port": 26379}, {"port": 6379}]),
		testing.workload("StatefulSet", "cache", pod),
		testing.config_map("cache-config", {"sentinel.conf": "sentinel monitor m h 6379 2\n", "redis.conf": "appendonly yes\n"}),
	]
	count(_messages(objects)) == 2
}
