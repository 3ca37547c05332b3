package rules.encryption.customer_key_used_test

import data.lib.testing
import data.rules.encryption.customer_key_used

_class(annotation, parameters) := {
	"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
	"metadata": {"name": "sc", "annotations": {"redis-gitops.dev/encryption-at-rest": annotation}},
	"provisioner": "vpc.block.csi.ibm.io", "parameters": parameters,
}

_messages(sc) := msgs if {
	msgs := testing.messages(customer_key_used.violation) with input as testing.input_of([sc])
		with data.redis_gitops.encryption_annotation as "redis-gitops.dev/encryption-at-rest"
		with data.redis_gitops.customer_managed_key as "customer-managed-key"
		with data.redis_gitops.customer_key_parameters as {"vpc.block.csi.ibm.io": "encryptionKey"}
}

test_customer_key_present_or_not_asked_for if {
	count(_messages(_class("customer-managed-key", {"encrypted": "true", "encryptionKey": "crn:v1:key"}))) == 0
	count(_messages(_class("provider-managed-key", {"encrypted": "true"}))) == 0
}

test_customer_key_missing if {
	_messages(_class("customer-managed-key", {"encrypted": "true", "encryptionKey": ""})) == {"StorageClass sc states a customer-managed key but has no parameters.encryptionKey: its volumes are encrypted with vpc.block.csi.ibm.io's own keys"}
}
