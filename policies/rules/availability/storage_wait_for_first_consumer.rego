# METADATA
# title: Volumes are created in the zone of their pod
# description: >-
#   Every StorageClass has volumeBindingMode WaitForFirstConsumer. Block storage is zonal: with the
#   default, Immediate, a volume is created in any zone before its pod is scheduled, and a member
#   pinned to another zone can then never start (or all members' volumes end up in one zone).
# custom:
#   severity: error
#   remediation: Set volumeBindingMode WaitForFirstConsumer on the StorageClass.
package rules.availability.storage_wait_for_first_consumer

import data.lib.k8s

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("StorageClass")
	mode := object.get(entry.object, "volumeBindingMode", "Immediate")
	mode != "WaitForFirstConsumer"
	msg := sprintf("StorageClass %s has volumeBindingMode %s: a zonal volume may be created in another zone than its pod", [k8s.name(entry.object), mode])
}
