package rules.encryption.storage_class_encrypted_test

import data.rules.encryption.storage_class_encrypted

_class(name, provisioner, parameters) := {
	"file": sprintf("dist/c1/_cluster/storageclass-%s.yaml", [name]),
	"object": {
		"apiVersion": "storage.k8s.io/v1",
		"kind": "StorageClass",
		"metadata": {"name": name},
		"provisioner": provisioner,
		"parameters": parameters,
	},
}

_classes := [
	_class("ebs-encrypted", "ebs.csi.aws.com", {"type": "gp3", "encrypted": "true"}),
	_class("ebs-plain", "ebs.csi.aws.com", {"type": "gp3"}),
	_class("ibm", "vpc.block.csi.ibm.io", {"profile": "10iops-tier"}),
	_class("gke", "pd.csi.storage.gke.io", {}),
	_class("azure", "disk.csi.azure.com", {}),
	_class("nfs", "nfs.csi.k8s.io", {}),
]

_pvc(class) := {
	"file": "dist/c1/orders/persistentvolumeclaim-scratch.yaml",
	"object": {
		"apiVersion": "v1",
		"kind": "PersistentVolumeClaim",
		"metadata": {"name": "scratch", "namespace": "redis-orders"},
		"spec": object.union({"accessModes": ["ReadWriteOnce"]}, class),
	},
}

_statefulset(template_spec) := {
	"file": "dist/c1/orders/statefulset-orders-data-0.yaml",
	"object": {
		"apiVersion": "apps/v1",
		"kind": "StatefulSet",
		"metadata": {"name": "orders-data-0", "namespace": "redis-orders"},
		"spec": {"volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": template_spec}]},
	},
}

_group(resources) := {"namespace": "redis-orders", "resources": resources, "cluster_resources": _classes}

_messages(resources) := {v.msg | some v in storage_class_encrypted.violation with input as _group(resources)}

test_claims_on_encrypting_classes_pass if {
	claims := [
		_pvc({"storageClassName": "ebs-encrypted"}),
		_pvc({"storageClassName": "ibm"}),
		_pvc({"storageClassName": "gke"}),
		_pvc({"storageClassName": "azure"}),
		_statefulset({"storageClassName": "ibm"}),
	]
	count(_messages(claims)) == 0
}

test_claim_without_class_is_flagged if {
	_messages([_pvc({})]) == {"the claim names no storageClassName: the cluster's default class may be unencrypted"}
	_messages([_statefulset({})]) == {"volumeClaimTemplate data names no storageClassName: the cluster's default class may be unencrypted"}
	count(_messages([_pvc({"storageClassName": null})])) == 1
}

test_unknown_class_is_flagged if {
	violations := storage_class_encrypted.violation with input as _group([_pvc({"storageClassName": "standard"})])
	violations == {{
		"msg": "the claim uses StorageClass standard, which is neither among the cluster-scoped manifests nor allowed (--allow-storage-class): its encryption cannot be checked",
		"resource": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": "redis-orders", "name": "scratch"},
		"file": "dist/c1/orders/persistentvolumeclaim-scratch.yaml",
	}}
}

test_unencrypted_ebs_class_is_flagged if {
	_messages([_statefulset({"storageClassName": "ebs-plain"})]) == {`volumeClaimTemplate data uses StorageClass ebs-plain, which does not encrypt: AWS EBS encrypts only with parameters.encrypted "true"`}
}

test_unknown_provisioner_cannot_be_proven if {
	some msg in _messages([_pvc({"storageClassName": "nfs"})])
	startswith(msg, "the claim uses StorageClass nfs, which cannot be proven encrypted: provisioner nfs.csi.k8s.io is not one")
}

test_unencrypted_classes_are_flagged_in_the_cluster_group if {
	group := {"namespace": null, "resources": _classes, "cluster_resources": _classes}
	violations := storage_class_encrypted.violation with input as group
	{v.resource.name | some v in violations} == {"ebs-plain", "nfs"}
	some v in violations
	v.resource == {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "namespace": "", "name": "ebs-plain"}
	v.file == "dist/c1/_cluster/storageclass-ebs-plain.yaml"
}

test_class_without_provisioner_cannot_be_proven if {
	sc := {"file": "sc.yaml", "object": {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "odd"}}}
	some v in storage_class_encrypted.violation with input as {"namespace": null, "resources": [sc], "cluster_resources": [sc]}
	contains(v.msg, "provisioner (none) is not one")
}

test_allowed_class_needs_no_manifest if {
	count(storage_class_encrypted.violation) == 0 with input as _group([_pvc({"storageClassName": "standard"})])
		with data.redis_gitops.allowed_storage_classes as ["standard"]
}

test_in_tree_provisioners if {
	classes := [
		_class("aws-in-tree", "kubernetes.io/aws-ebs", {"type": "gp2"}),
		_class("gce-in-tree", "kubernetes.io/gce-pd", {}),
		_class("azure-in-tree", "kubernetes.io/azure-disk", {}),
	]
	violations := storage_class_encrypted.violation with input as {"namespace": null, "resources": classes, "cluster_resources": classes}
	{v.resource.name | some v in violations} == {"aws-in-tree"}
}
