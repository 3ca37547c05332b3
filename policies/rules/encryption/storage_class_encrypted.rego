# METADATA
# title: Data volumes are encrypted at rest
# description: >-
#   Every PersistentVolumeClaim, every StatefulSet volumeClaimTemplate and every generic ephemeral
#   volume of a pod template (volumes[].ephemeral.volumeClaimTemplate) names a storageClassName
#   (the cluster's default class may be unencrypted; where the claim also has the deprecated
#   annotation volume.beta.kubernetes.io/storage-class, Kubernetes provisions on the annotation's
#   class, and so the gate judges that one), that StorageClass is among the cluster-scoped
#   manifests of the same input set (or in the allow-list the gate is given as data,
#   data.redis_gitops.allowed_storage_classes: classes that exist in the cluster and were reviewed
#   there), and it encrypts by its provisioner, as the generator's provider table says
#   (data.redis_gitops.storage_provisioners: provisioner → its provider and the parameters that
#   switch encryption on, none where the provider always encrypts; in-tree names too): AWS EBS
#   (ebs.csi.aws.com, or the in-tree kubernetes.io/aws-ebs) only with parameters.encrypted "true";
#   IBM Cloud VPC block (vpc.block.csi.ibm.io), GCP PD (pd.csi.storage.gke.io, kubernetes.io/gce-pd)
#   and Azure Disk (disk.csi.azure.com, kubernetes.io/azure-disk) always encrypt (provider-managed
#   keys). Any other provisioner's encryption cannot be proven from a manifest. An unencrypted
#   StorageClass is itself a violation. So is a PersistentVolume (a disk made outside the cluster,
#   which a claim binds to by its class or name) unless its provider always encrypts: no class's
#   parameters apply to a disk the class did not provision.
# custom:
#   severity: error
#   remediation: >-
#     Give every claim the encrypted StorageClass the generator writes under _cluster/, or set the
#     provider's encryption parameters on the class (AWS EBS: encrypted "true", optionally
#     kmsKeyId).
package rules.encryption.storage_class_encrypted

import data.lib.k8s

# The provisioners whose encryption the gate knows, CSI and in-tree (the CSI migration maps the
# in-tree ones to the drivers): {"provider", "encryption_parameters"}.
_provisioners := data.redis_gitops.storage_provisioners

# The StorageClasses of the input set by name; a name may come twice (two files), and each is judged.
_classes[k8s.name(entry.object)] contains entry.object if {
	some entry in input.cluster_resources
	entry.object.kind == "StorageClass"
}

_allowed := {name | some name in data.redis_gitops.allowed_storage_classes}

# Every claim: {"entry", "what" (how the message names it), "class" ("" when none)}. (An array: see
# lib.redis.configs.)
_claims := array.concat(
	[{"entry": entry, "what": "the claim", "class": _class_name(entry.object)} |
		some entry in k8s.of_kind("PersistentVolumeClaim")
	],
	array.concat(
		[{"entry": entry, "what": sprintf("volumeClaimTemplate %s", [k8s.name(template)]), "class": _class_name(template)} |
			some entry in k8s.of_kind("StatefulSet")
			some template in object.get(entry.object, ["spec", "volumeClaimTemplates"], [])
		],
		# Generic ephemeral volumes: each pod gets a claim from the template, on the template's class.
		[{"entry": entry, "what": sprintf("ephemeral volume %s", [object.get(volume, "name", "")]), "class": _class_name(volume.ephemeral.volumeClaimTemplate)} |
			some entry in input.resources
			some volume in object.get(k8s.pod_template(entry.object), ["spec", "volumes"], [])
			is_object(volume.ephemeral)
		],
	),
)

# The class Kubernetes provisions the claim on: the deprecated beta annotation, when the claim has it,
# wins over spec.storageClassName (component-helpers storage/volume GetPersistentVolumeClaimClass; the
# API server does not require the two to agree), and StatefulSets and ephemeral volumes copy a
# template's annotations onto the claims they make.
_class_name(claim) := name if {
	name := object.get(claim, ["metadata", "annotations", "volume.beta.kubernetes.io/storage-class"], null)
	is_string(name)
} else := "" if {
	# Annotated with something that is not a name: no class the gate can judge.
	object.get(claim, ["metadata", "annotations", "volume.beta.kubernetes.io/storage-class"], null) != null
} else := name if {
	name := object.get(claim, ["spec", "storageClassName"], "")
	is_string(name)
} else := ""

violation contains k8s.violation(claim.entry, msg) if {
	some claim in _claims
	claim.class == ""
	msg := sprintf("%s names no storageClassName: the cluster's default class may be unencrypted", [claim.what])
}

violation contains k8s.violation(claim.entry, msg) if {
	some claim in _claims
	claim.class != ""
	not _classes[claim.class]
	not _allowed[claim.class]
	msg := sprintf(
		"%s uses StorageClass %s, which is neither among the cluster-scoped manifests nor allowed (--allow-storage-class): its encryption cannot be checked",
		[claim.what, claim.class],
	)
}

violation contains k8s.violation(claim.entry, msg) if {
	some claim in _claims
	some class in _classes[claim.class]
	reason := _unencrypted(class)
	msg := sprintf("%s uses StorageClass %s, which %s", [claim.what, claim.class, reason])
}

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("StorageClass")
	reason := _unencrypted(entry.object)
	msg := sprintf("StorageClass %s %s", [k8s.name(entry.object), reason])
}

# Why a StorageClass does not encrypt; undefined when it does.
_unencrypted(sc) := msg if {
	known := _provisioners[sc.provisioner]
	some name, value in known.encryption_parameters
	object.get(sc, ["parameters", name], "") != value
	msg := sprintf("does not encrypt: %s encrypts only with %s", [known.provider, _parameters_text(known.encryption_parameters)])
}

_unencrypted(sc) := msg if {
	provisioner := object.get(sc, "provisioner", "")
	not _provisioners[provisioner]
	msg := sprintf(
		"cannot be proven encrypted: provisioner %s is not one whose encryption the gate knows (%s)",
		[_display(provisioner), concat(", ", sort([name | some name, _ in _provisioners]))],
	)
}

# `parameters.encrypted "true"`, and so on.
_parameters_text(parameters) := concat(" and ", [sprintf(`parameters.%s "%s"`, [name, parameters[name]]) |
	some name in sort([name | some name, _ in parameters])
])

_display(s) := s if s != ""

else := "(none)"

# A PersistentVolume of the input is a disk made outside the cluster (a static volume): no class
# provisions it, so no class's parameters encrypt it, and a claim of an encrypting class binds to it
# all the same when it names the class (or the claim). Its disk is known to be encrypted only where
# its provider always encrypts (an entry of the table without encryption parameters).
violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("PersistentVolume")
	reason := _static_unencrypted(entry.object)
	msg := sprintf("PersistentVolume %s %s", [k8s.name(entry.object), reason])
}

_static_unencrypted(pv) := sprintf(
	"is an existing %s disk: a StorageClass's encryption parameters apply only to the disks it provisions, so whether this one is encrypted cannot be proven from a manifest",
	[_provisioners[driver].provider],
) if {
	driver := _static_driver(pv)
	count(_provisioners[driver].encryption_parameters) > 0
}

_static_unencrypted(pv) := sprintf(
	"is a volume made outside the cluster (%s) whose encryption cannot be proven: no StorageClass provisions it, and its provider is not one that always encrypts",
	[_display(concat(", ", _static_sources(pv)))],
) if {
	not _provisioners[_static_driver(pv)]
}

# The driver of a PersistentVolume's disk: its CSI driver, or the in-tree name of its source.
_static_driver(pv) := pv.spec.csi.driver if is_string(pv.spec.csi.driver)

else := driver if {
	some source, driver in {"awsElasticBlockStore": "kubernetes.io/aws-ebs", "gcePersistentDisk": "kubernetes.io/gce-pd", "azureDisk": "kubernetes.io/azure-disk"}
	is_object(pv.spec[source])
} else := ""

# The volume sources a PersistentVolume names (csi with its driver).
_static_sources(pv) := [s |
	some field, value in object.get(pv, "spec", {})
	value != null
	not field in {"capacity", "accessModes", "persistentVolumeReclaimPolicy", "storageClassName", "claimRef", "mountOptions", "volumeMode", "nodeAffinity", "volumeAttributesClassName"}
	s := _source_text(field, value)
]

_source_text("csi", value) := sprintf("csi driver %v", [object.get(value, "driver", "")])

_source_text(field, _) := field if field != "csi"
