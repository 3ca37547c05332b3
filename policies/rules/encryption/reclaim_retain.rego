# METADATA
# title: Data volumes outlive their claims
# description: >-
#   A StorageClass's reclaimPolicy is Retain (the default, Delete, destroys the volume and its data
#   when the claim is deleted, e.g. by a mistaken prune), as is a PersistentVolume's
#   persistentVolumeReclaimPolicy; and a StatefulSet's persistentVolumeClaimRetentionPolicy does
#   not delete its claims (whenDeleted or whenScaled Delete).
# custom:
#   severity: error
#   remediation: >-
#     Set reclaimPolicy Retain on the StorageClass (persistentVolumeReclaimPolicy Retain on a
#     PersistentVolume) and leave persistentVolumeClaimRetentionPolicy at Retain.
package rules.encryption.reclaim_retain

import data.lib.k8s

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("StorageClass")
	policy := object.get(entry.object, "reclaimPolicy", "Delete")
	policy != "Retain"
	msg := sprintf("StorageClass %s has reclaimPolicy %s: deleting a claim deletes the data volume", [k8s.name(entry.object), policy])
}

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("PersistentVolume")
	policy := object.get(entry.object, ["spec", "persistentVolumeReclaimPolicy"], "Retain")
	policy != "Retain"
	msg := sprintf("PersistentVolume %s has persistentVolumeReclaimPolicy %s: deleting its claim deletes the data", [k8s.name(entry.object), policy])
}

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("StatefulSet")
	some when, policy in object.get(entry.object, ["spec", "persistentVolumeClaimRetentionPolicy"], {})
	policy == "Delete"
	msg := sprintf("StatefulSet %s has persistentVolumeClaimRetentionPolicy.%s Delete: its data claims are deleted with it", [k8s.name(entry.object), when])
}
