# METADATA
# title: Images are pinned to a version
# description: >-
#   Every container image names a tag other than latest, or a digest (@sha256:...). An image with no
#   tag is latest: what runs then changes whenever the image is rebuilt, differs between nodes and
#   between a pod and its restart, and a rollback does not roll back the software.
# custom:
#   severity: error
#   remediation: >-
#     Name the exact version (docker.io/library/redis:7.2.5), or better its digest
#     (redis:7.2.5@sha256:...).
package rules.security.image_pinned

import data.lib.k8s

violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	some c in k8s.containers(entry.object)
	image := object.get(c.container, "image", "")
	problem := _problem(image)
	msg := sprintf("%s %s of %s %s: image %s %s", [c.role, object.get(c.container, "name", ""), entry.object.kind, k8s.name(entry.object), image, problem])
}

_problem(image) := "has no tag, so it is latest" if {
	not contains(image, "@")
	not _tag(image)
} else := "is tagged latest" if {
	not contains(image, "@")
	_tag(image) == "latest"
}

# The tag: what follows the last ":" of the last path segment (a registry's :port is in an earlier
# segment).
_tag(image) := tag if {
	segments := split(image, "/")
	parts := split(segments[count(segments) - 1], ":")
	count(parts) == 2
	tag := parts[1]
	tag != ""
}
