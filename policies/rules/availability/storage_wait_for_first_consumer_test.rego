package rules.availability.storage_wait_for_first_consumer_test

import data.lib.testing
import data.rules.availability.storage_wait_for_first_consumer

_messages(fields) := msgs if {
	msgs := testing.messages(storage_wait_for_first_consumer.violation) with input as testing.input_of([object.union({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "sc"}}, fields)])
}

test_wait_for_first_consumer_passes if {
	count(_messages({"volumeBindingMode": "WaitForFirstConsumer"})) == 0
}

test_immediate_by_default if {
	_messages({}) == {"StorageClass sc has volumeBindingMode Immediate: a zonal volume may be created in another zone than its pod"}
}
