package rules.security.server_image_supported_test

import data.lib.testing
import data.rules.security.server_image_supported

_facts := {
	"end_of_life": [{"engine": "redis", "line": "7.0", "date": "2024-07-29"}],
	"vulnerable": [
		{"engine": "redis", "line": "7.2", "fixed_in": "7.2.11", "id": "CVE-2025-49844"},
		{"engine": "valkey", "line": "8.1", "fixed_in": "8.1.4", "id": "CVE-2025-49844"},
	],
	"legacy_repositories": ["bitnamilegacy/redis"],
	"oldest_major": {"redis": 6, "valkey": 7},
}

_messages(images) := msgs if {
	containers := [{"name": sprintf("c%d", [i]), "image": image} | some i, image in images]
	msgs := testing.messages(server_image_supported.violation) with input as testing.input_of([testing.workload("Deployment", "app", {"containers": containers})])
		with data.redis_gitops.server_images as _facts
}

_digest := "@sha256:0637954999d01b7c9ce9167db2da50656e2590d3b884f1c600c5f63bb6e6773c"

test_supported_patched_pinned_pass if {
	count(_messages([
		concat("", ["docker.io/library/redis:7.2.16", _digest]),
		concat("", ["valkey/valkey:8.1.10-alpine", _digest]),
		concat("", ["redis:8.6.4", _digest]),
		"oliver006/redis_exporter:v1.61.0",
		"haproxy:2.8.14",
	])) == 0
}

test_no_digest if {
	_messages(["valkey/valkey:8.1.10"]) == {"container c0 of Deployment app: image valkey/valkey:8.1.10 has no digest: a tag can be moved to other content; pin it as <image>:<tag>@sha256:<digest>"}
}

test_end_of_life_and_older_majors if {
	_messages([concat("", ["redis:7.0.15", _digest]), concat("", ["redis:5.0.14-alpine", _digest])]) == {
		concat("", ["container c0 of Deployment app: image redis:7.0.15", _digest, " runs redis 7.0, past its end of life (2024-07-29)"]),
		concat("", ["container c1 of Deployment app: image redis:5.0.14-alpine", _digest, " runs redis 5.0, a line before every supported one (end of life)"]),
	}
}

test_known_vulnerable_patch_but_not_the_fixed_one if {
	_messages([concat("", ["redis:7.2.5", _digest]), concat("", ["valkey/valkey:8.1.3", _digest]), concat("", ["redis:7.2.11", _digest])]) == {
		concat("", ["container c0 of Deployment app: image redis:7.2.5", _digest, " runs redis 7.2.5, which has CVE-2025-49844 (fixed in 7.2.11)"]),
		concat("", ["container c1 of Deployment app: image valkey/valkey:8.1.3", _digest, " runs valkey 8.1.3, which has CVE-2025-49844 (fixed in 8.1.4)"]),
	}
}

test_legacy_repository if {
	_messages([concat("", ["docker.io/bitnamilegacy/redis:7.2.5-debian-12-r0", _digest])]) == {
		concat("", ["container c0 of Deployment app: image docker.io/bitnamilegacy/redis:7.2.5-debian-12-r0", _digest, " comes from bitnamilegacy/redis, a repository that no longer receives updates"]),
		concat("", ["container c0 of Deployment app: image docker.io/bitnamilegacy/redis:7.2.5-debian-12-r0", _digest, " runs redis 7.2.5, which has CVE-2025-49844 (fixed in 7.2.11)"]),
	}
}
