# METADATA
# title: Pods meet the Pod Security Standard "restricted" (v1.28), which the generated namespaces enforce
# description: >-
#   Every pod template (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController,
#   Job, CronJob, and any kind that carries one) passes the checks of the Pod Security Standard
#   "restricted" at v1.28 (k8s.io/pod-security-admission v0.28.15), which the generated namespaces
#   enforce: a pod that fails one is refused by the cluster, and its workload never runs. Each
#   container, init container and ephemeral container ends up with runAsNonRoot true (its own
#   securityContext, else the pod's), allowPrivilegeEscalation false, capabilities.drop containing
#   "ALL" and nothing added but NET_BIND_SERVICE, not privileged, a seccomp profile of type
#   RuntimeDefault or Localhost (its own, else the pod's), no runAsUser 0, no procMount but Default,
#   no host port, no SELinux user, role or type beyond container_t, container_init_t and
#   container_kvm_t, no Windows host process. The pod itself: no runAsNonRoot false, runAsUser 0,
#   seccomp profile other than RuntimeDefault or Localhost, SELinux options or Windows host process as
#   above; only volumes of the types configMap, csi, downwardAPI, emptyDir, ephemeral,
#   persistentVolumeClaim, projected and secret (no hostPath); only the safe sysctls; AppArmor
#   annotations only runtime/default or localhost/*. (Host namespaces: security.no_host_namespaces.)
#   test/engine/pod-security.engine.test.ts compares these findings with the real admission of a
#   kube-apiserver v1.28.15 on a generated corpus of pods.
# custom:
#   severity: error
#   remediation: >-
#     Set securityContext.runAsNonRoot true and seccompProfile.type RuntimeDefault on the pod, and on
#     each container securityContext.allowPrivilegeEscalation false and capabilities.drop ["ALL"]
#     (add back only NET_BIND_SERVICE if needed); never privileged, never user 0; mount host
#     files through a ConfigMap, Secret or PersistentVolumeClaim instead of hostPath, and reach the
#     pod through a Service instead of a host port.
package rules.security.pod_hardened

import data.lib.k8s

violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	some c in k8s.containers(entry.object)
	problems := _problems(c.container, object.get(k8s.pod_template(entry.object), "spec", {}))
	count(problems) > 0
	msg := sprintf(
		"%s %s of %s %s: %s",
		[c.role, object.get(c.container, "name", ""), entry.object.kind, k8s.name(entry.object), concat("; ", problems)],
	)
}

_problems(container, pod_spec) := problems if {
	pod_context := object.get(pod_spec, "securityContext", {})
	problems := array.flatten([
		_non_root(container, pod_context),
		_no_escalation(container),
		_drop_all(container),
		_unprivileged(container),
		_seccomp(container, pod_context),
		_capabilities_added(container),
		_root_user(object.get(container, "securityContext", {})),
		_proc_mount(container),
		_host_ports(container, object.get(pod_spec, "hostNetwork", false) == true),
		_selinux(object.get(container, "securityContext", {})),
		_host_process(object.get(container, "securityContext", {})),
	])
}

# What the pod itself sets that the profile forbids, whatever its containers set.
violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	template := k8s.pod_template(entry.object)
	pod_context := object.get(template, ["spec", "securityContext"], {})
	problems := array.flatten([
		_pod_non_root(pod_context),
		_root_user(pod_context),
		_pod_seccomp(pod_context),
		_selinux(pod_context),
		_host_process(pod_context),
		_sysctls(pod_context),
		_volumes(object.get(template, ["spec", "volumes"], [])),
		_apparmor(object.get(template, ["metadata", "annotations"], {})),
	])
	count(problems) > 0
	msg := sprintf("pod of %s %s: %s", [entry.object.kind, k8s.name(entry.object), concat("; ", problems)])
}

_non_root(container, pod_context) := [] if {
	_run_as_non_root(container, pod_context) == true
} else := ["runAsNonRoot is not true (set it in the container or pod securityContext)"]

# The container's own setting wins over the pod's.
_run_as_non_root(container, _) := container.securityContext.runAsNonRoot

_run_as_non_root(container, pod_context) := pod_context.runAsNonRoot if {
	not _has(object.get(container, "securityContext", {}), "runAsNonRoot")
}

_no_escalation(container) := [] if {
	container.securityContext.allowPrivilegeEscalation == false
} else := ["allowPrivilegeEscalation is not false"]

_drop_all(container) := [] if {
	"ALL" in container.securityContext.capabilities.drop
} else := [`capabilities.drop does not contain "ALL"`]

_has(obj, key) if _ = obj[key]

_unprivileged(container) := ["privileged is true"] if {
	container.securityContext.privileged == true
} else := []

# The container's own profile wins over the pod's.
_seccomp(container, pod_context) := [] if {
	_seccomp_type(container, pod_context) in {"RuntimeDefault", "Localhost"}
} else := ["seccompProfile.type is not RuntimeDefault or Localhost (set it in the pod or container securityContext)"]

_seccomp_type(container, _) := container.securityContext.seccompProfile.type

_seccomp_type(container, pod_context) := pod_context.seccompProfile.type if {
	not _has(object.get(container, "securityContext", {}), "seccompProfile")
}

# Only NET_BIND_SERVICE may be added back (capabilities_restricted; the baseline's list is wider).
_capabilities_added(container) := [sprintf("capabilities.add holds %s (only NET_BIND_SERVICE may be added)", [concat(", ", sort(added))])] if {
	added := {cap | some cap in object.get(container, ["securityContext", "capabilities", "add"], []); cap != "NET_BIND_SERVICE"}
	count(added) > 0
} else := []

# A context (pod or container) that sets runAsUser 0.
_root_user(context) := ["runAsUser is 0"] if context.runAsUser == 0

else := []

_proc_mount(container) := [sprintf("procMount is %s (only Default)", [mount])] if {
	mount := container.securityContext.procMount
	mount != null
	mount != "Default"
} else := []

# With hostNetwork the API server makes every container port a host port (hostPort defaults to
# containerPort), and the profile refuses them as it refuses hostPorts written out.
_host_ports(container, host_network) := [sprintf("hostPort %s (reach the pod through a Service)", [concat(", ", ports)])] if {
	ports := [sprintf("%v", [_host_port(port, host_network)]) |
		some port in object.get(container, "ports", [])
		_host_port(port, host_network) != 0
	]
	count(ports) > 0
} else := []

_host_port(port, host_network) := object.get(port, "containerPort", 0) if {
	host_network
	object.get(port, "hostPort", 0) == 0
} else := object.get(port, "hostPort", 0)

_selinux_types := {"", "container_t", "container_init_t", "container_kvm_t"}

# A context's seLinuxOptions: a type outside the profile's, or any user or role.
_selinux(context) := [sprintf("seLinuxOptions %s", [concat(", ", bad)])] if {
	options := context.seLinuxOptions
	is_object(options)
	bad := array.concat(
		[sprintf("type %s is not container_t, container_init_t or container_kvm_t", [t]) | t := object.get(options, "type", ""); not _selinux_types[t]],
		[sprintf("sets %s", [field]) | some field in ["user", "role"]; object.get(options, field, "") != ""],
	)
	count(bad) > 0
} else := []

_host_process(context) := ["windowsOptions.hostProcess is true"] if context.windowsOptions.hostProcess == true

else := []

# runAsNonRoot false on the pod fails even where every container sets true (runAsNonRoot check).
_pod_non_root(pod_context) := ["runAsNonRoot is false"] if pod_context.runAsNonRoot == false

else := []

# A pod-level profile that is set must be one of the two, even where every container sets its own.
_pod_seccomp(pod_context) := [sprintf("seccompProfile.type is %v (only RuntimeDefault or Localhost)", [type])] if {
	type := pod_context.seccompProfile.type
	not type in {"RuntimeDefault", "Localhost"}
} else := []

# The safe sysctls of the profile at v1.27 and later.
_safe_sysctls := {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports",
}

_sysctls(pod_context) := [sprintf("sysctls %s are not among the safe ones", [concat(", ", sort(names))])] if {
	names := {name | some sysctl in object.get(pod_context, "sysctls", []); name := object.get(sysctl, "name", ""); not _safe_sysctls[name]}
	count(names) > 0
} else := []

# The volume types the profile allows (restrictedVolumes); a volume that names none is an emptyDir
# (the API server's default).
_allowed_volume_fields := {"name", "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}

_volumes(volumes) := [sprintf("volume %s is of type %s (only %s)", [object.get(volume, "name", ""), concat(", ", types), _allowed_volume_text]) |
	some volume in volumes
	is_object(volume)
	types := sort([field | some field, value in volume; not _allowed_volume_fields[field]; value != null])
	count(types) > 0
]

_allowed_volume_text := concat(", ", sort([f | some f in _allowed_volume_fields; f != "name"]))

_apparmor_prefix := "container.apparmor.security.beta.kubernetes.io/"

_apparmor(annotations) := [sprintf("AppArmor profile %s of %s (only runtime/default or localhost/*)", [value, substring(key, count(_apparmor_prefix), -1)]) |
	some key, value in annotations
	startswith(key, _apparmor_prefix)
	not _apparmor_allowed(value)
]

_apparmor_allowed(value) if value == ""

_apparmor_allowed("runtime/default")

_apparmor_allowed(value) if startswith(value, "localhost/")
