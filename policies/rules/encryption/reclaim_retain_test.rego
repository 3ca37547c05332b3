package rules.encryption.reclaim_retain_test

import data.lib.testing
import data.rules.encryption.reclaim_retain

_messages(objects) := msgs if {
	msgs := testing.messages(reclaim_retain.violation) with input as testing.input_of(objects)
}

_class(fields) := object.union({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "sc"}, "provisioner": "p"}, fields)

test_retain_passes if {
	count(_messages([
		_class({"reclaimPolicy": "Retain"}),
		{"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv"}, "spec": {}},
		object.union(testing.workload("StatefulSet", "s", {}), {"spec": {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain"}}}),
	])) == 0
}

test_delete_is_flagged if {
	_messages([
		_class({}),
		{"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv"}, "spec": {"persistentVolumeReclaimPolicy": "Delete"}},
		object.union(testing.workload("StatefulSet", "s", {}), {"spec": {"persistentVolumeClaimRetentionPolicy": {"whenScaled": "Delete"}}}),
	]) == {
		"StorageClass sc has reclaimPolicy Delete: deleting a claim deletes the data volume",
		"PersistentVolume pv has persistentVolumeReclaimPolicy Delete: deleting its claim deletes the data",
		"StatefulSet s has persistentVolumeClaimRetentionPolicy.whenScaled Delete: its data claims are deleted with it",
	}
}
