package rules.security.resources_set_test

import data.lib.testing
import data.rules.security.resources_set

_messages(pod) := msgs if {
	msgs := testing.messages(resources_set.violation) with input as testing.input_of([testing.workload("Deployment", "app", pod)])
}

_resources := {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}}

test_stated_resources_pass if {
	count(_messages({"containers": [{"name": "a", "image": "a:1", "resources": _resources}], "ephemeralContainers": [{"name": "debug", "image": "busybox:1"}]})) == 0
}

test_missing_resources if {
	_messages({"containers": [{"name": "a", "image": "a:1", "resources": {"requests": {"cpu": "1"}}}], "initContainers": [{"name": "i", "image": "i:1"}]}) == {
		"container a of Deployment app has no resources.requests.memory, resources.limits.memory",
		"init container i of Deployment app has no resources.requests.cpu, resources.requests.memory, resources.limits.memory",
	}
}
