# METADATA
# title: Redis and Valkey images are supported, patched and pinned by digest
# description: >-
#   A Redis or Valkey server image (docker.io/library/redis, valkey/valkey, bitnami's, ...) must name
#   its content by digest (@sha256:...), since a tag can be moved to other content; must not come
#   from a repository that no longer receives updates (Bitnami moved its versioned images to
#   bitnamilegacy in 2025, where they get no fixes); must not run a line past its end of life; and
#   must not run a patch release with a known vulnerability fixed in a later patch of its line
#   (CVE-2025-49844, the Lua use-after-free). The lines, dates and fixes come from the generator's
#   engine table (model/engines.ts) as data.
# custom:
#   severity: error
#   remediation: >-
#     Use the official image of a supported line at its latest patch, pinned by digest, e.g.
#     docker.io/valkey/valkey:8.1.10@sha256:... or docker.io/library/redis:8.6.4@sha256:... (the
#     generator's table in README, "Engines and versions").
package rules.security.server_image_supported

import data.lib.k8s
import data.lib.redis

# Every Redis or Valkey server container, with its image and engine.
_servers := [{"entry": entry, "c": c, "image": image, "engine": engine} |
	some entry in input.resources
	some c in k8s.containers(entry.object)
	image := object.get(c.container, "image", "")
	engine := _engine(image)
]

violation contains _finding(s, "has no digest: a tag can be moved to other content; pin it as <image>:<tag>@sha256:<digest>") if {
	some s in _servers
	not contains(s.image, "@sha256:")
}

violation contains _finding(s, sprintf("comes from %s, a repository that no longer receives updates", [prefix])) if {
	some s in _servers
	some prefix in data.redis_gitops.server_images.legacy_repositories
	startswith(_repository(s.image), prefix)
}

violation contains _finding(s, sprintf("runs %s %s, past its end of life (%s)", [s.engine, v.line, eol.date])) if {
	some s in _servers
	v := _version(s.image)
	some eol in data.redis_gitops.server_images.end_of_life
	eol.engine == s.engine
	eol.line == v.line
}

violation contains _finding(s, sprintf("runs %s %s, a line before every supported one (end of life)", [s.engine, v.line])) if {
	some s in _servers
	v := _version(s.image)
	v.major < data.redis_gitops.server_images.oldest_major[s.engine]
}

violation contains _finding(s, sprintf("runs %s %s, which has %s (fixed in %s)", [s.engine, v.text, vuln.id, vuln.fixed_in])) if {
	some s in _servers
	v := _version(s.image)
	v.patch != null
	some vuln in data.redis_gitops.server_images.vulnerable
	vuln.engine == s.engine
	vuln.line == v.line
	to_number(split(vuln.fixed_in, ".")[2]) > v.patch
}

_finding(s, problem) := k8s.violation(s.entry, msg) if {
	msg := sprintf("%s %s of %s %s: image %s %s", [s.c.role, object.get(s.c.container, "name", ""), s.entry.object.kind, k8s.name(s.entry.object), s.image, problem])
}

# redis (any redis-family server image but the exporters) or valkey, by the repository's last segment.
_engine(image) := "valkey" if {
	startswith(redis.image_name(image), "valkey")
	not contains(redis.image_name(image), "exporter")
} else := "redis" if redis.redis_family_image(image)

# The repository without tag or digest, and without a docker.io registry prefix: bitnamilegacy/redis.
_repository(image) := repo if {
	without_digest := split(image, "@")[0]
	segments := split(without_digest, "/")
	last := split(segments[count(segments) - 1], ":")[0]
	path := array.concat(array.slice(segments, 0, count(segments) - 1), [last])
	trimmed := [s | some i, s in path; not _registry_segment(i, s)]
	repo := lower(concat("/", trimmed))
}

_registry_segment(0, s) if s in {"docker.io", "index.docker.io", "registry-1.docker.io"}

# The version a tag names: 7.2.5, 7.2.5-alpine, 8.1 (a floating line tag: no patch).
_version(image) := v if {
	tag := _tag(image)
	regex.match(`^[0-9]+\.[0-9]+(\.[0-9]+)?([-+].*)?$`, tag)
	numbers := split(split(split(tag, "-")[0], "+")[0], ".")
	v := {
		"major": to_number(numbers[0]),
		"line": concat(".", [numbers[0], numbers[1]]),
		"patch": _patch(numbers),
		"text": concat(".", numbers),
	}
}

_patch(numbers) := to_number(numbers[2]) if count(numbers) > 2

else := null

_tag(image) := tag if {
	segments := split(split(image, "@")[0], "/")
	parts := split(segments[count(segments) - 1], ":")
	count(parts) == 2
	tag := parts[1]
}
