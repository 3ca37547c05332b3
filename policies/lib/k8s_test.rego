package lib.k8s_test

import data.lib.k8s

test_resource_of_a_cluster_scoped_object if {
	k8s.resource({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "sc"}}) == {
		"apiVersion": "storage.k8s.io/v1",
		"kind": "StorageClass",
		"namespace": "",
		"name": "sc",
	}
}

test_pod_labels_of_workloads if {
	labels := {"app": "redis"}
	k8s.pod_labels({"kind": "Deployment", "spec": {"template": {"metadata": {"labels": labels}}}}) == labels
	k8s.pod_labels({"kind": "Pod", "metadata": {"labels": labels}}) == labels
	k8s.pod_labels({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {}}}}}) == {}
	not k8s.pod_labels({"kind": "ConfigMap"})
}

test_selector_expressions if {
	labels := {"tier": "data", "zone": "a"}
	k8s.selector_matches({"matchLabels": {"tier": "data"}}, labels)
	k8s.selector_matches({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}, labels)
	not k8s.selector_matches({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, labels)
	k8s.selector_matches({"matchExpressions": [{"key": "gpu", "operator": "NotIn", "values": ["yes"]}]}, labels)
	not k8s.selector_matches({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, labels)
	not k8s.selector_matches({"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}, labels)
	not k8s.selector_matches({"matchExpressions": [{"key": "tier", "operator": "Unknown"}]}, labels)
	not k8s.selector_matches({"matchLabels": {"tier": "cache"}}, labels)
}

test_replicas_default_and_malformed if {
	k8s.replicas({"spec": {"replicas": 3}}) == 3
	k8s.replicas({"spec": {}}) == 1
	k8s.replicas({"spec": {"replicas": "3"}}) == 1
}

test_pod_template_of_a_custom_workload_kind if {
	rollout := {"kind": "Rollout", "spec": {"template": {"spec": {"containers": [{"name": "c"}]}}}}
	k8s.pod_template(rollout) == rollout.spec.template
	not k8s.pod_template({"kind": "ApplicationSet", "spec": {"template": {"spec": {"project": "p"}}}})
}

test_command_and_args_as_the_kubelet_expands_them if {
	container := {
		"command": ["$(SERVER)"],
		"args": ["--port", "$(PORT)", "$$(PORT)", "$(UNSET)", "$(FROM_SECRET)", "$(REFERS)", "$x"],
		"env": [
			{"name": "SERVER", "value": "valkey-server"},
			{"name": "PORT", "value": "6379"},
			{"name": "PORT", "value": "0"},
			{"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
			{"name": "REFERS", "value": "$(PORT)"},
		],
	}
	k8s.command(container) == ["valkey-server"]
	k8s.args(container) == ["--port", "0", "$(PORT)", "$(UNSET)", "$(FROM_SECRET)", "$(REFERS)", "$x"]
	k8s.args({"args": ["plain"]}) == ["plain"]
	k8s.command({}) == []
}

test_expand_reads_left_to_right if {
	env := {"A": "a"}
	k8s.expand("$$$(A)", env) == "$a"
	k8s.expand("$(A", env) == "$(A"
	k8s.expand("$(A$(A)", env) == "$(A$(A)"
	k8s.expand("x$", env) == "x$"
	k8s.expand("$()", env) == "$()"
	k8s.expand("$(A)$(A)", env) == "aa"
}
