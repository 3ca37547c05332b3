# METADATA
# title: Containers cannot write to their image
# description: >-
#   Every container and init container sets securityContext.readOnlyRootFilesystem true, so that an
#   intruder cannot drop tools or change binaries in the container, and whatever it writes goes to
#   a declared volume. A warning rather than an error: the restricted Pod Security Standard does
#   not require it, and some images need a writable folder that has to be found first.
# custom:
#   severity: warning
#   remediation: >-
#     Set securityContext.readOnlyRootFilesystem true and mount an emptyDir (medium Memory for small
#     ones) where the program writes, e.g. /tmp or /run.
package rules.security.read_only_root_filesystem

import data.lib.k8s

violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	some c in k8s.containers(entry.object)
	c.role != "ephemeral container"
	not c.container.securityContext.readOnlyRootFilesystem == true
	msg := sprintf("%s %s of %s %s has a writable root filesystem", [c.role, object.get(c.container, "name", ""), entry.object.kind, k8s.name(entry.object)])
}
