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
	k8s.args(container) == ["--port", "0", "$(PORT)", "$(UNSET)", "$(FROM_SECRET)", "0", "$x"]
	k8s.args({"args": ["plain"]}) == ["plain"]
	k8s.command({}) == []
}

test_variables_from_the_inputs_config_maps_and_plain_secrets_in_the_kubelets_order if {
	resources := [
		{"object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"SERVER": "valkey-server", "PORT": "6380", "1BAD": "x", "REF": "$(PORT)"}, "binaryData": {"BIN": "eA=="}}},
		{"object": {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "plain"}, "data": {"PASS": "c2VjcmV0"}, "stringData": {"USER": "u"}}},
		{"object": {"apiVersion": "example.com/v1", "kind": "ConfigMap", "metadata": {"name": "other"}, "data": {"OTHER": "o"}}},
	]
	container := {
		"envFrom": [{"configMapRef": {"name": "settings"}}, {"prefix": "S_", "secretRef": {"name": "plain"}}],
		"env": [
			{"name": "PORT", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "PORT"}}},
			{"name": "PORT", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "MISSING", "optional": true}}},
			{"name": "EMPTY"},
			{"name": "FROM_OTHER", "valueFrom": {"configMapKeyRef": {"name": "other", "key": "OTHER"}}},
		],
	}
	env := k8s.literal_env(container) with input.resources as resources

	# envFrom first, env after it; an optional key the ConfigMap lacks is skipped (PORT keeps 6380);
	# a ConfigMap's value is not expanded; a key that is no variable name, binaryData, and an object
	# of another API group are not read.
	env == {"SERVER": "valkey-server", "PORT": "6380", "REF": "$(PORT)", "S_PASS": "secret", "S_USER": "u", "EMPTY": ""}
	k8s.command(object.union(container, {"command": ["$(SERVER)", "--port", "$(PORT)"]})) == ["valkey-server", "--port", "6380"] with input.resources as resources
}

test_variables_the_input_does_not_show_stay_unresolved if {
	resources := [{"object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"SERVER": "valkey-server", "PORT": "6380"}}}]

	# A ConfigMap the input does not hold may define any name: what envFrom set before it is not known.
	env := k8s.literal_env({
		"envFrom": [{"configMapRef": {"name": "settings"}}, {"configMapRef": {"name": "elsewhere", "optional": true}}],
		"env": [{"name": "PORT", "value": "6379"}],
	}) with input.resources as resources
	env == {"PORT": "6379"}

	# The last definition wins, known or not: a sealed Secret's key, a field, a missing key.
	unknown := k8s.literal_env({
		"envFrom": [{"configMapRef": {"name": "settings"}}],
		"env": [
			{"name": "SERVER", "valueFrom": {"secretKeyRef": {"name": "sealed", "key": "k"}}},
			{"name": "PORT", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
			{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "MISSING"}}},
		],
	}) with input.resources as resources
	unknown == {}
}

# A literal value referring to variables is expanded with those set before it, one level deep.
test_values_referring_to_variables_set_before_them if {
	env := k8s.literal_env({"env": [
		{"name": "HOST", "value": "cache"},
		{"name": "ADDRESS", "value": "$(HOST):$(PORT)"}, # PORT is set after it: kept as written
		{"name": "PORT", "value": "6379"},
		{"name": "URL", "value": "rediss://$(ADDRESS)"}, # ADDRESS refers to others: not followed
		{"name": "SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
		{"name": "WITH_SECRET", "value": "$(SECRET)-x"},
		{"name": "ESCAPED", "value": "$$(HOST)-$(HOST)"},
	]})
	env == {"HOST": "cache", "ADDRESS": "cache:$(PORT)", "PORT": "6379", "ESCAPED": "$(HOST)-cache"}

	# After an envFrom of a ConfigMap the input does not hold, an unset name may be set by it.
	not k8s.literal_env({"envFrom": [{"configMapRef": {"name": "elsewhere"}}], "env": [{"name": "A", "value": "$(B)"}]}).A
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

test_cli_password_finds_literals if {
	every text, what in {
		"redis-cli -a hunter2 PING": "redis-cli -a with a literal password",
		"set -e\nexec /usr/local/bin/redis-cli --tls -h x -a 'hunter2' INFO": "redis-cli -a with a literal password",
		"valkey-cli --user admin --pass \"hunter2\" PING": "valkey-cli --pass with a literal password",
		"x=$(redis-cli -p 6380 -a s3cret ping)": "redis-cli -a with a literal password",
		"REDISCLI_AUTH=hunter2 redis-cli PING": "REDISCLI_AUTH assigned a literal password",
		"export REDISCLI_AUTH='hunter2'": "REDISCLI_AUTH assigned a literal password",
	} {
		k8s.cli_password(text) == what
	}
}

test_cli_password_passes_references if {
	every text in [
		`redis-cli -a "$REDIS_PASSWORD" PING`, "redis-cli -a $(REDIS_PASSWORD) PING", `redis-cli --pass "$(cat /secrets/pw)" PING`,
		`REDISCLI_AUTH="$(cat /run/secrets/redis)" redis-cli --tls PING`, "REDISCLI_AUTH=$PW redis-cli PING", `REDISCLI_AUTH="" redis-cli`,
		"redis-cli PING; echo -a done", "redis-cli -h host PING && other -a x", "my-redis-cli-wrapper -a", "redis-cli --askpass PING",
	] {
		not k8s.cli_password(text)
	}
}

# named and of_named look names up in a table (k8s._names) instead of scanning the kind: they must
# give what the scan gave, in the input's order, with names repeated, missing or not strings.
_entry(i, kind, name) := {"file": sprintf("%d.yaml", [i]), "object": {"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}}

_named_resources := [
	_entry(0, "ConfigMap", "b"), _entry(1, "ConfigMap", "a"), _entry(2, "Secret", "a"), _entry(3, "ConfigMap", "b"),
	{"file": "4.yaml", "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}},
	_entry(5, "ConfigMap", 7), _entry(6, "ConfigMap", "c"), _entry(7, "ConfigMap", "b"),
]

_scan(kind, wanted) := [e | some e in _named_resources; e.object.kind == kind; k8s.name(e.object) == wanted]

test_named_gives_what_a_scan_of_the_kind_gives if {
	every kind in ["ConfigMap", "Secret", "Service"] {
		every wanted in ["a", "b", "c", "", 7, "z"] {
			k8s.named(kind, wanted) == _scan(kind, wanted) with input.resources as _named_resources
		}
	}
	[e.file | some e in k8s.named("ConfigMap", "b")] == ["0.yaml", "3.yaml", "7.yaml"] with input.resources as _named_resources
	k8s.of_named("v1", "ConfigMap", "a") == [_named_resources[1].object] with input.resources as _named_resources
}
