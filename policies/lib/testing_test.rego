# METADATA
# description: >-
#   Builders for the rules' tests (a _test.rego file, so never compiled into the gate): objects,
#   entries and inputs in the shape the gate gives them.
package lib.testing

namespace := "redis-t"

entry(obj) := {"file": sprintf("t/%s-%s.yaml", [lower(obj.kind), obj.metadata.name]), "object": obj}

# An input of one namespace with these objects; StorageClasses are also cluster resources.
input_of(objects) := {
	"namespace": namespace,
	"resources": [entry(o) | some o in objects],
	"cluster_resources": [entry(o) | some o in objects; o.kind == "StorageClass"],
	"today": "2026-06-01",
}

meta(name) := {"name": name, "namespace": namespace}

config_map(name, values) := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name), "data": values}

# A workload of `kind` whose pods carry labels {"app": name} and have the given pod spec.
workload(kind, name, pod_spec) := {
	"apiVersion": "apps/v1",
	"kind": kind,
	"metadata": meta(name),
	"spec": {
		"selector": {"matchLabels": {"app": name}},
		"template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec},
	},
}

container(name, image) := {"name": name, "image": image}

# The messages a rule's violations carry for an input.
messages(violations) := {v.msg | some v in violations}
