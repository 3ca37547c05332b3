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

# The rest of the profile (k8s.io/pod-security-admission v0.28.15), container by container.
test_container_settings_the_profile_refuses if {
	every field, problem in {
		"capabilities": "capabilities.add holds CHOWN, SYS_ADMIN (only NET_BIND_SERVICE may be added)",
		"runAsUser": "runAsUser is 0",
		"procMount": "procMount is Unmasked (only Default)",
		"seLinuxOptions": "seLinuxOptions type spc_t is not container_t, container_init_t or container_kvm_t, sets user",
		"windowsOptions": "windowsOptions.hostProcess is true",
	} {
		container := _container("redis", object.union(_hardened, {field: _settings[field]}))
		_messages([_entry("Pod", _pod_spec({}, [container]))]) == {sprintf("container redis of Pod w: %s", [problem])}
	}
}

_settings := {
	"capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN", "NET_BIND_SERVICE", "CHOWN"]},
	"runAsUser": 0,
	"procMount": "Unmasked",
	"seLinuxOptions": {"type": "spc_t", "user": "system_u"},
	"windowsOptions": {"hostProcess": true},
}

test_container_settings_the_profile_allows if {
	container := _container("redis", object.union(_hardened, {
		"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
		"runAsUser": 999,
		"procMount": "Default",
		"seLinuxOptions": {"type": "container_t", "level": "s0:c1,c2"},
		"windowsOptions": {"hostProcess": false},
	}))
	spec := object.union(_pod_spec({}, [object.union(container, {"ports": [{"containerPort": 6379, "hostPort": 0}]})]), {"volumes": [
		{"name": "a", "configMap": {"name": "c"}}, {"name": "b", "emptyDir": {}}, {"name": "c"},
		{"name": "d", "persistentVolumeClaim": {"claimName": "x"}}, {"name": "e", "projected": {"sources": []}},
		{"name": "f", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}}, {"name": "g", "csi": {"driver": "x"}},
		{"name": "h", "downwardAPI": {}}, {"name": "i", "secret": {"secretName": "s"}},
	]})
	count(_messages([_entry("Pod", object.union(spec, {"securityContext": {"sysctls": [{"name": "net.ipv4.ip_local_port_range", "value": "1 2"}]}}))])) == 0
}

test_host_network_makes_every_port_a_host_port if {
	container := object.union(_container("redis", _hardened), {"ports": [{"containerPort": 6379}, {"containerPort": 8404, "hostPort": 9000}]})
	_messages([_entry("Pod", object.union(_pod_spec({}, [container]), {"hostNetwork": true}))]) == {"container redis of Pod w: hostPort 6379, 9000 (reach the pod through a Service)"}
	count(_messages([_entry("Pod", _pod_spec({}, [container]))])) == 1
}

test_pod_settings_the_profile_refuses_whatever_the_containers_set if {
	spec := object.union(
		_pod_spec(
			{
				"runAsNonRoot": false, "runAsUser": 0, "seccompProfile": {"type": "Unconfined"},
				"seLinuxOptions": {"role": "sysadm_r"}, "sysctls": [{"name": "kernel.msgmax"}, {"name": "kernel.shm_rmid_forced"}],
			},
			[_container("redis", object.union(_hardened, {"runAsUser": 999}))],
		),
		{"volumes": [{"name": "host", "hostPath": {"path": "/"}}, {"name": "nfs", "nfs": {"server": "s", "path": "/"}}, {"name": "gone", "hostPath": null}]},
	)
	entry := object.union(_entry("Deployment", _template(spec)), {"object": {"spec": {"template": {"metadata": {"annotations": {
		"container.apparmor.security.beta.kubernetes.io/redis": "unconfined",
		"container.apparmor.security.beta.kubernetes.io/init": "localhost/redis",
	}}}}}})
	_messages([entry]) == {concat("; ", [
		"pod of Deployment w: runAsNonRoot is false",
		"runAsUser is 0",
		"seccompProfile.type is Unconfined (only RuntimeDefault or Localhost)",
		"seLinuxOptions sets role",
		"sysctls kernel.msgmax are not among the safe ones",
		"volume host is of type hostPath (only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret)",
		"volume nfs is of type nfs (only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret)",
		"AppArmor profile unconfined of redis (only runtime/default or localhost/*)",
	])}
}
