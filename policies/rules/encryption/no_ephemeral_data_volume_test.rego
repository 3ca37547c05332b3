package rules.encryption.no_ephemeral_data_volume_test

import data.lib.testing
import data.rules.encryption.no_ephemeral_data_volume

_messages(objects) := msgs if {
	msgs := testing.messages(no_ephemeral_data_volume.violation) with input as testing.input_of(objects)
}

_redis(mounts) := {"name": "redis", "image": "redis:7.2.5", "args": ["--dir", "/srv/redis/"], "volumeMounts": mounts}

test_data_on_claims_and_scratch_on_empty_dir_pass if {
	pod := {"containers": [_redis([{"name": "data", "mountPath": "/data"}, {"name": "run", "mountPath": "/run"}])], "volumes": [{"name": "run", "emptyDir": {}}]}
	count(_messages([testing.workload("StatefulSet", "cache", pod)])) == 0
}

test_empty_dir_and_host_path_data if {
	pod := {
		"containers": [_redis([{"name": "a", "mountPath": "/data/"}, {"name": "b", "mountPath": "/srv/redis"}, {"name": "c", "mountPath": "/var/lib/redis"}, {"name": "cfg", "mountPath": "/etc/redis"}])],
		"volumes": [
			{"name": "a", "emptyDir": {}}, {"name": "b", "hostPath": {"path": "/mnt"}},
			{"name": "c", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "cache-config"}},
		],
	}
	_messages([testing.workload("Deployment", "cache", pod), testing.config_map("cache-config", {"redis.conf": "dir /var/lib/redis\nport 0\n"})]) == {
		"container redis of Deployment cache keeps its data (/data/) on emptyDir volume a",
		"container redis of Deployment cache keeps its data (/srv/redis) on hostPath volume b",
		"container redis of Deployment cache keeps its data (/var/lib/redis) on emptyDir volume c",
	}
}

test_other_images_are_not_redis if {
	pod := {"containers": [{"name": "app", "image": "example.com/app:1", "volumeMounts": [{"name": "a", "mountPath": "/data"}]}], "volumes": [{"name": "a", "emptyDir": {}}]}
	count(_messages([testing.workload("Deployment", "app", pod)])) == 0
}

# A sentinel keeps no data: its configuration's `dir /tmp` is not a data folder of the pod.
test_a_sentinel_dir_is_no_data_folder if {
	pod := {
		"containers": [
			{"name": "redis", "image": "redis:7.2.5", "volumeMounts": [{"name": "data", "mountPath": "/data"}, {"name": "config", "mountPath": "/etc/redis"}]},
			{"name": "sentinel", "image": "redis:7.2.5", "command": ["redis-sentinel", "/etc/redis/sentinel.conf"], "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "config", "mountPath": "/etc/redis"}]},
		],
		"volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "config", "configMap": {"name": "cache-config"}}],
	}
	count(_messages([testing.workload("StatefulSet", "cache", pod), testing.config_map("cache-config", {"sentinel.conf": "port 0\ntls-port 26379\ndir /tmp\nsentinel monitor m h 6379 2\n"})])) == 0
}
