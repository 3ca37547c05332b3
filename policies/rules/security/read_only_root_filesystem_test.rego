package rules.security.read_only_root_filesystem_test

import data.lib.testing
import data.rules.security.read_only_root_filesystem

_messages(pod) := msgs if {
	msgs := testing.messages(read_only_root_filesystem.violation) with input as testing.input_of([testing.workload("Deployment", "app", pod)])
}

test_read_only_passes if {
	count(_messages({"containers": [{"name": "a", "securityContext": {"readOnlyRootFilesystem": true}}], "ephemeralContainers": [{"name": "debug"}]})) == 0
}

test_writable_root if {
	_messages({"containers": [{"name": "a", "securityContext": {"readOnlyRootFilesystem": false}}], "initContainers": [{"name": "i"}]}) == {
		"container a of Deployment app has a writable root filesystem",
		"init container i of Deployment app has a writable root filesystem",
	}
}
