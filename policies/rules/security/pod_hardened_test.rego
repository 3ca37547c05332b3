package rules.security.pod_hardened_test

import data.rules.security.pod_hardened

_hardened := {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}}

_pod_spec(security_context, containers) := {"securityContext": security_context, "containers": containers}

_container(name, security_context) := {"name": name, "image": "redis:7.2.5", "securityContext": security_context}

_entry(kind, spec) := {"file": "dist/c1/orders/workload.yaml", "object": {
	"apiVersion": "apps/v1",
	"kind": kind,
	"metadata": {"name": "w", "namespace": "redis-orders"},
	"spec": spec,
}}

_messages(entries) := {v.msg | some v in pod_hardened.violation with input as {"resources": entries}}

_template(pod_spec) := {"template": {"metadata": {"labels": {"app": "w"}}, "spec": pod_spec}}

test_hardened_workloads_pass if {
	spec := _pod_spec({}, [_container("redis", _hardened)])
	entries := [
		_entry("Pod", spec),
		_entry("Deployment", _template(spec)),
		_entry("StatefulSet", _template(spec)),
		_entry("DaemonSet", _template(spec)),
		_entry("ReplicaSet", _template(spec)),
		_entry("Job", _template(spec)),
		_entry("CronJob", {"jobTemplate": {"spec": _template(spec)}}),
	]
	count(_messages(entries)) == 0
}

test_pod_level_run_as_non_root_is_inherited if {
	container := _container("redis", object.remove(_hardened, ["runAsNonRoot"]))
	count(_messages([_entry("StatefulSet", _template(_pod_spec({"runAsNonRoot": true}, [container])))])) == 0
}

test_container_setting_overrides_the_pod if {
	container := _container("redis", object.union(_hardened, {"runAsNonRoot": false}))
	_messages([_entry("Pod", _pod_spec({"runAsNonRoot": true}, [container]))]) == {"container redis of Pod w: runAsNonRoot is not true (set it in the container or pod securityContext)"}
}

test_bare_container_lists_every_problem if {
	violations := pod_hardened.violation with input as {"resources": [_entry("Deployment", _template({"containers": [{"name": "shell", "image": "busybox"}]}))]}
	violations == {{
		"msg": `container shell of Deployment w: runAsNonRoot is not true (set it in the container or pod securityContext); allowPrivilegeEscalation is not false; capabilities.drop does not contain "ALL"; seccompProfile.type is not RuntimeDefault or Localhost (set it in the pod or container securityContext)`,
		"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "redis-orders", "name": "w"},
		"file": "dist/c1/orders/workload.yaml",
	}}
}

test_init_and_ephemeral_containers_are_checked if {
	spec := {
		"securityContext": {"runAsNonRoot": true},
		"containers": [_container("redis", _hardened)],
		"initContainers": [_container("init", object.remove(_hardened, ["allowPrivilegeEscalation"]))],
		"ephemeralContainers": [_container("debug", object.union(_hardened, {"capabilities": {"drop": ["NET_RAW"]}}))],
	}
	_messages([_entry("Pod", spec)]) == {
		"init container init of Pod w: allowPrivilegeEscalation is not false",
		`ephemeral container debug of Pod w: capabilities.drop does not contain "ALL"`,
	}
}

test_cron_job_containers_are_checked if {
	cron := _entry("CronJob", {"jobTemplate": {"spec": _template(_pod_spec({}, [_container("backup", {})]))}})
	count(_messages([cron])) == 1
}

test_objects_without_pods_are_ignored if {
	count(_messages([{"file": "cm.yaml", "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}}])) == 0
}

test_pod_level_seccomp_is_inherited_and_privileged_refused if {
	container := object.union(_container("redis", object.remove(_hardened, ["seccompProfile"])), {"securityContext": {"privileged": true}})
	_messages([_entry("Pod", _pod_spec({"seccompProfile": {"type": "Localhost"}}, [container]))]) == {"container redis of Pod w: privileged is true"}
	unconfined := _container("redis", object.union(_hardened, {"seccompProfile": {"type": "Unconfined"}}))
	_messages([_entry("Pod", _pod_spec({"seccompProfile": {"type": "RuntimeDefault"}}, [unconfined]))]) == {"container redis of Pod w: seccompProfile.type is not RuntimeDefault or Localhost (set it in the pod or container securityContext)"}
}
