package rules.secrets.no_password_in_env_test

import data.lib.testing
import data.rules.secrets.no_password_in_env

_messages(container) := msgs if {
	msgs := testing.messages(no_password_in_env.violation) with input as testing.input_of([testing.workload("Deployment", "app", {"containers": [container]})])
}

test_secret_refs_and_ordinary_values_pass if {
	count(_messages({"name": "app", "image": "a:1", "env": [
		{"name": "REDIS_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
		{"name": "COMPASS_HEADING", "value": "north"},
		{"name": "REDIS_PASSWORD_FILE", "value": "/run/secrets/password"},
		{"name": "TOKEN", "value": ""},
	]})) == 0
}

test_literal_secrets_and_command_line_passwords if {
	_messages({"name": "redis", "image": "redis:7.2.5", "args": ["/etc/redis.conf", "--requirepass", "x", "--masterauth", "x"], "env": [
		{"name": "redis-pass", "value": "x"},
		{"name": "MY_API_KEY_V2", "value": "x"},
	]}) == {
		"container redis of Deployment app: env redis-pass has a literal value: take it from a Secret (valueFrom.secretKeyRef)",
		"container redis of Deployment app: env MY_API_KEY_V2 has a literal value: take it from a Secret (valueFrom.secretKeyRef)",
		"container redis of Deployment app passes `--requirepass` on the redis-server command line",
		"container redis of Deployment app passes `--masterauth` on the redis-server command line",
	}
}

# A switch about passwords (ALLOW_EMPTY_PASSWORD=no, as Bitnami's images take) is no password.
test_switches_about_passwords_are_not_passwords if {
	count(_messages({"name": "redis", "image": "redis:7.2.5", "env": [
		{"name": "ALLOW_EMPTY_PASSWORD", "value": "no"},
		{"name": "REDIS_TLS_AUTH_CLIENTS", "value": "yes"},
		{"name": "USE_PASSWORD_FILES", "value": "true"},
	]})) == 0
	_messages({"name": "redis", "image": "redis:7.2.5", "env": [{"name": "ALLOW_EMPTY_PASSWORD", "value": "hunter2"}]}) == {"container redis of Deployment app: env ALLOW_EMPTY_PASSWORD has a literal value: take it from a Secret (valueFrom.secretKeyRef)"}
}

test_urls_with_a_literal_password if {
	_messages({"name": "app", "image": "a:1", "command": ["app", "--redis=rediss://orders-api:hunter2@orders:6379/0"], "env": [
		{"name": "REDIS_URL", "value": "rediss://orders-api:hunter2@orders.redis-orders.svc:6379/0"},
		{"name": "CACHE", "value": "redis://:hunter2@cache:6379"},
		{"name": "VIA_KUBELET", "value": "rediss://orders-api:$(REDIS_PASSWORD)@orders:6379"},
		{"name": "VIA_SHELL", "value": "rediss://orders-api:${REDIS_PASSWORD}@orders:6379"},
		{"name": "PLAIN", "value": "rediss://orders:6379/0"},
		{"name": "USER_ONLY", "value": "https://git@example.com/x.git"},
		{"name": "WITH_PORT", "value": "https://example.com:8443/path@v2"},
		{"name": "GIT_REMOTE", "value": "https://ghp_EXAMPLEexampleEXAMPLEexample01234567@github.com/shop/config.git"},
		{"name": "GITLAB_REMOTE", "value": "https://glpat-EXAMPLEexample012345@gitlab.com/shop/config.git"},
		{"name": "PREFIX_ONLY", "value": "https://ghp_short@github.com/shop/config.git"},
	]}) == {
		"container app of Deployment app: command[1] holds a URL with a literal password: write $(VAR) for it, VAR an env entry from a Secret (valueFrom.secretKeyRef)",
		"container app of Deployment app: env REDIS_URL holds a URL with a literal password: write $(VAR) for it, VAR an env entry from a Secret (valueFrom.secretKeyRef)",
		"container app of Deployment app: env CACHE holds a URL with a literal password: write $(VAR) for it, VAR an env entry from a Secret (valueFrom.secretKeyRef)",
		"container app of Deployment app: env GIT_REMOTE holds a URL with a literal password: write $(VAR) for it, VAR an env entry from a Secret (valueFrom.secretKeyRef)",
		"container app of Deployment app: env GITLAB_REMOTE holds a URL with a literal password: write $(VAR) for it, VAR an env entry from a Secret (valueFrom.secretKeyRef)",
	}
}
