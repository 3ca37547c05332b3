# METADATA
# title: Redis data is not on emptyDir or hostPath
# description: >-
#   A volume that a redis server container mounts at its data folder (/data, the official image's,
#   or the `dir` of a redis configuration the pod mounts, or a `--dir` option) is neither
#   an emptyDir (lost, with the data, when the pod moves) nor a hostPath (unencrypted node disk,
#   outside the encrypted StorageClass, shared with whatever else runs on the node). Data goes on a
#   PersistentVolumeClaim of an encrypted StorageClass. A sentinel keeps no data, nor does an init
#   container, a Job, or a container of the redis image that runs the CLI (see lib/redis).
# custom:
#   severity: error
#   remediation: >-
#     Mount the data folder from a volumeClaimTemplate (StatefulSet) or a PersistentVolumeClaim
#     whose StorageClass encrypts (see encryption.storage_class_encrypted).
package rules.encryption.no_ephemeral_data_volume

import data.lib.k8s
import data.lib.redis
import data.lib.redisconf

violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	some c in k8s.containers(entry.object)
	redis.keeps_data(entry.object, c)
	folders := _data_folders(entry.object)
	some mount in object.get(c.container, "volumeMounts", [])
	trim_suffix(mount.mountPath, "/") in folders
	some kind in {"emptyDir", "hostPath"}
	some volume in object.get(k8s.pod_template(entry.object), ["spec", "volumes"], [])
	volume.name == mount.name
	_ = volume[kind]
	msg := sprintf(
		"%s %s of %s %s keeps its data (%s) on %s volume %s",
		[c.role, c.container.name, entry.object.kind, k8s.name(entry.object), mount.mountPath, kind, mount.name],
	)
}

# The folders redis keeps its data in: the official image's /data, and every `dir` that a
# configuration its redis containers mount or a server's command line sets (a sentinel keeps no
# data: its `dir` is where it may write its state, /tmp in charts).
_data_folders(obj) := ({"/data"} | {trim_suffix(dir, "/") |
	names := redis.redis_mounted_config_maps(obj)
	some config in redis.configs
	k8s.name(config.entry.object) in names
	not redis.is_sentinel_config(config.dirs)
	dir := redisconf.last(config.dirs, "dir")[0]
}) | {trim_suffix(dir, "/") |
	some c in k8s.containers(obj)
	some inv in redis.workload_invocations(obj, c.container)
	not inv.sentinel
	dir := redis.options(inv.args).dir[0]
}
