package lib.redis_test

import data.lib.redis

test_related_by_name_labels_or_image if {
	redis.related({"kind": "ConfigMap", "metadata": {"name": "orders-redis-config"}})
	redis.related({"kind": "Service", "metadata": {"name": "orders", "labels": {"app.kubernetes.io/name": "Redis"}}})
	redis.related({"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"image": "bitnami/redis-cluster:7.2"}]}})
	not redis.related({"kind": "Pod", "metadata": {"name": "p", "labels": {"tier": "redis"}}, "spec": {"containers": [{"image": "oliver006/redis_exporter:v1"}]}})
}

test_image_names if {
	redis.image_name("docker.io/library/redis:7.2.5@sha256:abc") == "redis"
	redis.image_name("registry:5000/Team/Redis-Sentinel") == "redis-sentinel"
}

test_non_string_command_parts_are_ignored if {
	redis.words({"command": ["redis-server", 6379], "args": ["--port\t0\n--tls-port", "6379"]}) == ["redis-server", "--port", "0", "--tls-port", "6379"]
}
