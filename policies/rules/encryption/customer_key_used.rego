# METADATA
# title: A class that states a customer-managed key uses one
# description: >-
#   The generator states on each StorageClass whose encryption keys it chose (annotation
#   redis-gitops.dev/encryption-at-rest, from data.redis_gitops.encryption_annotation):
#   customer-managed-key (data.redis_gitops.customer_managed_key) when the cluster file names a key
#   of the customer's. Such a class must pass that key in its provisioner's parameter
#   (data.redis_gitops.customer_key_parameters, from the generator's provider table: IBM
#   encryptionKey, AWS kmsKeyId, GCP disk-encryption-kms-key, Azure diskEncryptionSetID); without
#   it the volumes are still encrypted, but with the provider's keys, which the customer can neither
#   rotate nor revoke. A warning: the data is encrypted either way.
# custom:
#   severity: warning
#   remediation: >-
#     Re-run synth (it writes the key from the cluster file's storage.customerKey), or set the
#     provider's key parameter on the class by hand.
package rules.encryption.customer_key_used

import data.lib.k8s

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("StorageClass")
	entry.object.metadata.annotations[data.redis_gitops.encryption_annotation] == data.redis_gitops.customer_managed_key
	parameter := data.redis_gitops.customer_key_parameters[entry.object.provisioner]
	object.get(entry.object, ["parameters", parameter], "") == ""
	msg := sprintf(
		"StorageClass %s states a customer-managed key but has no parameters.%s: its volumes are encrypted with %s's own keys",
		[k8s.name(entry.object), parameter, entry.object.provisioner],
	)
}
