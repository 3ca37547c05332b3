# METADATA
# title: Every container states its resources
# description: >-
#   Every container and init container of every pod template requests cpu and memory and limits
#   memory. Without requests the scheduler packs pods blindly and they are evicted first under
#   pressure (a redis primary among them); without a memory limit one container can exhaust the
#   node. (A cpu limit is not required: throttling adds latency to redis. Ephemeral containers
#   cannot have resources and are not checked.)
# custom:
#   severity: error
#   remediation: >-
#     Set resources.requests.cpu, resources.requests.memory and resources.limits.memory on every
#     container (the generator derives redis maxmemory from the memory limit).
package rules.security.resources_set

import data.lib.k8s

_required := [["requests", "cpu"], ["requests", "memory"], ["limits", "memory"]]

violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	some c in k8s.containers(entry.object)
	c.role != "ephemeral container"
	missing := [concat(".", path) | some path in _required; not _set(c.container, path)]
	count(missing) > 0
	msg := sprintf(
		"%s %s of %s %s has no resources.%s",
		[c.role, object.get(c.container, "name", ""), entry.object.kind, k8s.name(entry.object), concat(", resources.", missing)],
	)
}

_set(container, path) if object.get(container, array.concat(["resources"], path), "") != ""
