package rules.security.no_host_namespaces_test

import data.lib.testing
import data.rules.security.no_host_namespaces

_messages(pod) := msgs if {
	msgs := testing.messages(no_host_namespaces.violation) with input as testing.input_of([testing.workload("DaemonSet", "agent", pod)])
}

test_own_namespaces_pass if {
	count(_messages({"hostNetwork": false, "containers": []})) == 0
}

test_host_namespaces if {
	_messages({"hostNetwork": true, "hostPID": true, "hostIPC": true}) == {"DaemonSet agent sets hostNetwork", "DaemonSet agent sets hostPID", "DaemonSet agent sets hostIPC"}
}
