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

# The shape policyData gives (from the generator's provider table), with some of its entries.
_aws_ebs := {"provider": "AWS EBS", "encryption_parameters": {"encrypted": "true"}}

_provisioners := {
	"ebs.csi.aws.com": _aws_ebs,
	"kubernetes.io/aws-ebs": _aws_ebs,
	"vpc.block.csi.ibm.io": {"provider": "IBM Cloud VPC block", "encryption_parameters": {}},
	"pd.csi.storage.gke.io": {"provider": "GCP PD", "encryption_parameters": {}},
	"kubernetes.io/gce-pd": {"provider": "GCP PD", "encryption_parameters": {}},
	"disk.csi.azure.com": {"provider": "Azure Disk", "encryption_parameters": {}},
}

_violations(group) := violations if {
	violations := storage_class_encrypted.violation with input as group
		with data.redis_gitops.storage_provisioners as _provisioners
}

_messages(resources) := {v.msg | some v in _violations(_group(resources))}

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
	violations := _violations(_group([_pvc({"storageClassName": "standard"})]))
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
	violations := _violations(group)
	{v.resource.name | some v in violations} == {"ebs-plain", "nfs"}
	some v in violations
	v.resource == {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "namespace": "", "name": "ebs-plain"}
	v.file == "dist/c1/_cluster/storageclass-ebs-plain.yaml"
}

test_class_without_provisioner_cannot_be_proven if {
	sc := {"file": "sc.yaml", "object": {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "odd"}}}
	some v in _violations({"namespace": null, "resources": [sc], "cluster_resources": [sc]})
	contains(v.msg, "provisioner (none) is not one")
}

test_allowed_class_needs_no_manifest if {
	count(_violations(_group([_pvc({"storageClassName": "standard"})]))) == 0 with data.redis_gitops.allowed_storage_classes as ["standard"]
}

test_every_provisioner_of_the_table_is_judged_by_its_entry if {
	# In-tree names come as entries of their own.
	classes := [
		_class("aws-in-tree", "kubernetes.io/aws-ebs", {"type": "gp2"}),
		_class("gce-in-tree", "kubernetes.io/gce-pd", {}),
		_class("azure-in-tree", "kubernetes.io/azure-disk", {}),
	]
	violations := _violations({"namespace": null, "resources": classes, "cluster_resources": classes})
	{v.msg | some v in violations} == {
		`StorageClass aws-in-tree does not encrypt: AWS EBS encrypts only with parameters.encrypted "true"`,
		"StorageClass azure-in-tree cannot be proven encrypted: provisioner kubernetes.io/azure-disk is not one whose encryption the gate knows (disk.csi.azure.com, ebs.csi.aws.com, kubernetes.io/aws-ebs, kubernetes.io/gce-pd, pd.csi.storage.gke.io, vpc.block.csi.ibm.io)",
	}
}

test_every_parameter_that_switches_encryption_on_is_needed if {
	classes := [
		_class("both", "example.com/disk", {"encrypted": "true", "cipher": "aes-256"}),
		_class("one", "example.com/disk", {"encrypted": "true"}),
		_class("wrong", "example.com/disk", {"encrypted": "false", "cipher": "aes-256"}),
	]
	provisioners := {"example.com/disk": {"provider": "Example", "encryption_parameters": {"encrypted": "true", "cipher": "aes-256"}}}
	violations := storage_class_encrypted.violation with input as {"namespace": null, "resources": classes, "cluster_resources": classes}
		with data.redis_gitops.storage_provisioners as provisioners
	{v.msg | some v in violations} == {
		`StorageClass one does not encrypt: Example encrypts only with parameters.cipher "aes-256" and parameters.encrypted "true"`,
		`StorageClass wrong does not encrypt: Example encrypts only with parameters.cipher "aes-256" and parameters.encrypted "true"`,
	}
}

test_generic_ephemeral_volume_without_a_class if {
	deployment := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "n"}, "spec": {"template": {"spec": {
		"containers": [{"name": "c"}],
		"volumes": [{"name": "v", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}}],
	}}}}
	msgs := {v.msg | some v in storage_class_encrypted.violation with input as {"resources": [{"file": "f", "object": deployment}], "cluster_resources": []}}
	msgs == {"ephemeral volume v names no storageClassName: the cluster's default class may be unencrypted"}
}

# The deprecated annotation, where a claim has it, is the class Kubernetes provisions on
# (GetPersistentVolumeClaimClass), whatever spec.storageClassName says; templates pass it on.
_annotated(claim, class) := object.union(claim, {"object": {"metadata": {"annotations": {"volume.beta.kubernetes.io/storage-class": class}}}})

_annotated_template(class) := object.union(_statefulset({"storageClassName": "ibm"}), {"object": {"spec": {"volumeClaimTemplates": [{
	"metadata": {"name": "data", "annotations": {"volume.beta.kubernetes.io/storage-class": class}},
	"spec": {"storageClassName": "ibm"},
}]}}})

test_beta_annotation_wins_over_storage_class_name if {
	_messages([_annotated(_pvc({"storageClassName": "ibm"}), "ebs-plain")]) == {`the claim uses StorageClass ebs-plain, which does not encrypt: AWS EBS encrypts only with parameters.encrypted "true"`}
	_messages([_annotated_template("standard")]) == {"volumeClaimTemplate data uses StorageClass standard, which is neither among the cluster-scoped manifests nor allowed (--allow-storage-class): its encryption cannot be checked"}
	_messages([_annotated(_pvc({"storageClassName": "ibm"}), "")]) == {"the claim names no storageClassName: the cluster's default class may be unencrypted"}
	count(_messages([_annotated(_pvc({"storageClassName": "ibm"}), 7)])) == 1

	# Annotation and field on encrypting classes, or the annotation alone: nothing to report.
	count(_messages([_annotated(_pvc({"storageClassName": "ibm"}), "gke"), _annotated(_pvc({}), "ibm"), _annotated_template("ibm")])) == 0
}

_pv(spec) := {"file": "dist/c1/_cluster/persistentvolume-old.yaml", "object": {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "old"}, "spec": object.union({"capacity": {"storage": "1Gi"}, "storageClassName": "ebs-encrypted", "claimRef": {"namespace": "redis-orders", "name": "data"}}, spec)}}

test_static_volumes_are_judged_by_their_disk_not_a_class if {
	msgs := {v.msg | some v in _violations({
		"namespace": null, "resources": [
			_pv({"csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-0123"}}),
			object.union(_pv({"awsElasticBlockStore": {"volumeID": "vol-1"}}), {"object": {"metadata": {"name": "intree"}}}),
			object.union(_pv({"hostPath": {"path": "/mnt/redis"}}), {"object": {"metadata": {"name": "host"}}}),
			object.union(_pv({"csi": {"driver": "nfs.csi.k8s.io", "volumeHandle": "x"}}), {"object": {"metadata": {"name": "nfs"}}}),
			object.union(_pv({"csi": {"driver": "vpc.block.csi.ibm.io", "volumeHandle": "r006-x"}}), {"object": {"metadata": {"name": "ibm"}}}),
			object.union(_pv({"gcePersistentDisk": {"pdName": "d"}}), {"object": {"metadata": {"name": "gce"}}}),
		],
		"cluster_resources": _classes,
	})}
	msgs == {
		"PersistentVolume old is an existing AWS EBS disk: a StorageClass's encryption parameters apply only to the disks it provisions, so whether this one is encrypted cannot be proven from a manifest",
		"PersistentVolume intree is an existing AWS EBS disk: a StorageClass's encryption parameters apply only to the disks it provisions, so whether this one is encrypted cannot be proven from a manifest",
		"PersistentVolume host is a volume made outside the cluster (hostPath) whose encryption cannot be proven: no StorageClass provisions it, and its provider is not one that always encrypts",
		"PersistentVolume nfs is a volume made outside the cluster (csi driver nfs.csi.k8s.io) whose encryption cannot be proven: no StorageClass provisions it, and its provider is not one that always encrypts",
	}
}
