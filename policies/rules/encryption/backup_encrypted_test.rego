package rules.encryption.backup_encrypted_test

import data.lib.testing
import data.rules.encryption.backup_encrypted

_messages(objects) := msgs if {
	msgs := testing.messages(backup_encrypted.violation) with input as testing.input_of(objects)
}

# A CronJob of Redis (by its name) whose pod has these containers and volumes.
_cronjob(containers, volumes) := {
	"apiVersion": "batch/v1",
	"kind": "CronJob",
	"metadata": testing.meta("redis-backup"),
	"spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {
		"restartPolicy": "Never",
		"containers": containers,
		"volumes": volumes,
	}}}}},
}

_rclone(env) := {"name": "upload", "image": "rclone/rclone:1.76.0", "command": ["sh", "/etc/backup/upload.sh"], "env": env}

_literal(name, value) := {"name": name, "value": value}

_from_secret(name, secret, key) := {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}

_sealed(name) := {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret", "metadata": testing.meta(name), "spec": {"encryptedData": {"k": "AgB="}}}

_plain(name, values) := {"apiVersion": "v1", "kind": "Secret", "metadata": testing.meta(name), "stringData": values}

# What synth writes: an https S3 target wrapped by a crypt remote, keys from a Secret.
_generated_env := [
	_literal("RCLONE_CONFIG_TARGET_TYPE", "s3"),
	_literal("RCLONE_CONFIG_TARGET_ENDPOINT", "https://s3.example.com"),
	_from_secret("RCLONE_CONFIG_TARGET_ACCESS_KEY_ID", "creds", "access-key-id"),
	_from_secret("RCLONE_CONFIG_TARGET_SECRET_ACCESS_KEY", "creds", "secret-access-key"),
	_literal("RCLONE_CONFIG_ENCRYPTED_TYPE", "crypt"),
	_literal("RCLONE_CONFIG_ENCRYPTED_REMOTE", "target:bucket/orders"),
	_literal("RCLONE_CONFIG_ENCRYPTED_FILENAME_ENCRYPTION", "off"),
]

_who := "container upload of CronJob redis-backup"

test_generated_backup_passes if {
	count(_messages([
		_cronjob([_rclone(_generated_env)], [{"name": "c", "secret": {"secretName": "creds"}}]),
		_sealed("creds"),
	])) == 0
}

test_unwrapped_target_is_flagged if {
	_messages([_cronjob([_rclone(array.slice(_generated_env, 0, 4))], [])]) == {sprintf("%s: rclone remote target (s3) is not encrypted: no crypt remote wraps it, so what is written to it is stored as it is", [_who])}
}

# crypt -> alias -> s3, and alias -> crypt -> s3: both store ciphertext.
test_wrappers_pass if {
	count(_messages([_cronjob(
		[_rclone(array.concat(array.slice(_generated_env, 0, 4), [
			_literal("RCLONE_CONFIG_ALIASED_TYPE", "alias"),
			_literal("RCLONE_CONFIG_ALIASED_REMOTE", "target:bucket"),
			_literal("RCLONE_CONFIG_SECURE_TYPE", "crypt"),
			_literal("RCLONE_CONFIG_SECURE_REMOTE", "aliased:orders"),
			_literal("RCLONE_CONFIG_SHORT_TYPE", "alias"),
			_literal("RCLONE_CONFIG_SHORT_REMOTE", "secure:"),
		]))],
		[],
	)])) == 0
}

# A crypt remote wrapping another crypt remote's target does not cover a second, unwrapped store.
test_each_store_needs_its_crypt if {
	_messages([_cronjob(
		[_rclone(array.concat(_generated_env, [
			_literal("RCLONE_CONFIG_SPARE_TYPE", "gcs"),
			_literal("RCLONE_CONFIG_LOCALDISK_TYPE", "local"),
		]))],
		[],
	)]) == {sprintf("%s: rclone remote spare (gcs) is not encrypted: no crypt remote wraps it, so what is written to it is stored as it is", [_who])}
}

# RCLONE_CONFIG_MY_TARGET_ENDPOINT belongs to remote my_target, not to remote my.
test_longest_remote_name_wins if {
	_messages([_cronjob(
		[_rclone([
			_literal("RCLONE_CONFIG_MY_TYPE", "crypt"),
			_literal("RCLONE_CONFIG_MY_REMOTE", "my_target:b"),
			_literal("RCLONE_CONFIG_MY_TARGET_TYPE", "s3"),
			_literal("RCLONE_CONFIG_MY_TARGET_ENDPOINT", "http://minio:9000"),
		])],
		[],
	)]) == {sprintf("%s: rclone remote my_target is reached over plaintext HTTP (endpoint http://minio:9000, env RCLONE_CONFIG_MY_TARGET_ENDPOINT)", [_who])}
}

test_data_encryption_off_is_flagged if {
	container := object.union(
		_rclone(array.concat(_generated_env, [
			_literal("RCLONE_CONFIG_ENCRYPTED_NO_DATA_ENCRYPTION", "true"),
			_literal("RCLONE_CRYPT_NO_DATA_ENCRYPTION", "1"),
		])),
		{"args": ["--crypt-no-data-encryption"]},
	)
	_messages([_cronjob([container], [])]) == {
		sprintf("%s: crypt remote encrypted has no_data_encryption (env RCLONE_CONFIG_ENCRYPTED_NO_DATA_ENCRYPTION): the data it writes is not encrypted", [_who]),
		sprintf("%s: RCLONE_CRYPT_NO_DATA_ENCRYPTION (env RCLONE_CRYPT_NO_DATA_ENCRYPTION) turns data encryption off for every crypt remote", [_who]),
		sprintf("%s: --crypt-no-data-encryption on its command line turns data encryption off", [_who]),
	}
}

test_plaintext_transport_is_flagged if {
	container := object.union(
		_rclone(array.concat(_generated_env, [
			_literal("RCLONE_S3_ENDPOINT", "HTTP://minio:9000"),
			_literal("RCLONE_NO_CHECK_CERTIFICATE", "true"),
			_literal("RCLONE_S3_PROXY_URL", "http://proxy:3128"),
		])),
		{"args": ["copy", "--s3-endpoint=http://minio:9000", "--webdav-url", "http://dav", "--no-check-certificate", "x", "encrypted:"]},
	)
	_messages([_cronjob([container], [])]) == {
		sprintf("%s: rclone reaches HTTP://minio:9000 over plaintext HTTP (env RCLONE_S3_ENDPOINT)", [_who]),
		sprintf("%s: rclone does not verify the target's TLS certificate (env RCLONE_NO_CHECK_CERTIFICATE)", [_who]),
		sprintf("%s: rclone reaches http://minio:9000 over plaintext HTTP (--s3-endpoint on its command line)", [_who]),
		sprintf("%s: rclone reaches http://dav over plaintext HTTP (--webdav-url on its command line)", [_who]),
		sprintf("%s: rclone does not verify the target's TLS certificate (--no-check-certificate)", [_who]),
	}
}

test_plaintext_credentials_are_flagged if {
	container := object.union(
		_rclone(array.concat(_generated_env, [
			_literal("RCLONE_CONFIG_ENCRYPTED_PASSWORD", "obscured"),
			{"name": "RCLONE_CONFIG_TARGET_SESSION_TOKEN", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "token"}}},
			_literal("RCLONE_S3_SECRET_ACCESS_KEY", "k"),
			_literal("AWS_ACCESS_KEY_ID", "AKIA"),
			_literal("RCLONE_CONFIG_PASS", "p"),
			_literal("RCLONE_PASSWORD_COMMAND", "cat /credentials/p"),
			_literal("RCLONE_CONFIG_TARGET_SSE_KMS_KEY_ID", "arn:kms"),
		])),
		{"args": ["copy", "--crypt-password2", "salt", "x", "encrypted:"]},
	)
	_messages([_cronjob([container], []), testing.config_map("settings", {"token": "t"})]) == {
		sprintf("%s: rclone remote encrypted's password is in plaintext (env RCLONE_CONFIG_ENCRYPTED_PASSWORD): take it from a Secret made by a SealedSecret", [_who]),
		sprintf("%s: rclone remote target's session_token is in plaintext (ConfigMap settings): take it from a Secret made by a SealedSecret", [_who]),
		sprintf("%s: RCLONE_S3_SECRET_ACCESS_KEY is in plaintext (env RCLONE_S3_SECRET_ACCESS_KEY): take it from a Secret made by a SealedSecret", [_who]),
		sprintf("%s: AWS_ACCESS_KEY_ID is in plaintext (env AWS_ACCESS_KEY_ID): take it from a Secret made by a SealedSecret", [_who]),
		sprintf("%s: RCLONE_CONFIG_PASS is in plaintext (env RCLONE_CONFIG_PASS): take it from a Secret made by a SealedSecret", [_who]),
		sprintf("%s: --crypt-password2 passes a secret on rclone's command line (in git, and shown by ps)", [_who]),
	}
}

# Variables from a ConfigMap (envFrom) are plaintext too; from a plain Secret, so is a mounted one.
test_env_from_and_plain_secrets_are_flagged if {
	container := object.union(_rclone(array.slice(_generated_env, 0, 2)), {"envFrom": [{"configMapRef": {"name": "remote"}}, {"secretRef": {"name": "keys"}}]})
	_messages([
		_cronjob([object.union(container, {"env": array.concat(container.env, [_literal("RCLONE_CONFIG_ENCRYPTED_TYPE", "crypt"), _literal("RCLONE_CONFIG_ENCRYPTED_REMOTE", "target:b")])})], [{"name": "p", "projected": {"sources": [{"secret": {"name": "keys"}}]}}]),
		testing.config_map("remote", {"RCLONE_CONFIG_TARGET_ACCESS_KEY_ID": "AKIA"}),
		_plain("keys", {"RCLONE_CONFIG_TARGET_SECRET_ACCESS_KEY": "s"}),
	]) == {
		sprintf("%s: rclone remote target's access_key_id is in plaintext (ConfigMap remote): take it from a Secret made by a SealedSecret", [_who]),
		sprintf("%s: rclone remote target's secret_access_key is in plaintext (Secret keys, a plain Secret in git): take it from a Secret made by a SealedSecret", [_who]),
		sprintf("%s: its pod mounts Secret keys, a plain Secret in git: commit a SealedSecret instead", [_who]),
	}
}

# An rclone.conf the pod mounts: its remotes count, the environment's values before the file's.
test_mounted_configuration_is_read if {
	conf := "# remotes\n[store]\ntype = s3\nendpoint = http://minio:9000\nenv_auth = true\n\n[vault]\ntype = crypt\nremote = store:b\n"
	container := _rclone([_literal("RCLONE_CONFIG_STORE_ENDPOINT", "https://s3.example.com")])
	_messages([
		_cronjob([container], [{"name": "conf", "configMap": {"name": "rclone"}}]),
		testing.config_map("rclone", {"rclone.conf": conf}),
	]) == {sprintf("%s: rclone remote store is reached over plaintext HTTP (endpoint http://minio:9000, ConfigMap rclone key rclone.conf)", [_who])}
	count(_messages([
		_cronjob([container], [{"name": "conf", "configMap": {"name": "rclone"}}]),
		testing.config_map("rclone", {"rclone.conf": replace(conf, "remote = store:b", "remote = elsewhere:b")}),
	])) == 2
}

test_configuration_in_a_config_map_holds_no_secret if {
	_messages([testing.config_map("redis-rclone", {"rclone.conf": "[s]\ntype = s3\nsecret_access_key = k\naccess_key_id =\n"})]) == {"ConfigMap redis-rclone key rclone.conf: rclone remote s's secret_access_key is in plaintext: keep the rclone configuration's secrets in a SealedSecret"}

	# Text that is no rclone configuration, and a ConfigMap outside Redis, are not read.
	count(_messages([
		testing.config_map("redis-notes", {"a.ini": "[s]\npassword = x\n"}),
		testing.config_map("photos", {"rclone.conf": "[s]\ntype = s3\nsecret_access_key = k\n"}),
	])) == 0
}

test_on_the_fly_remotes if {
	container := object.union(_rclone([]), {"command": ["rclone", "copy", "/work/dump.rdb", ":s3,provider=Other,secret_access_key=k:bucket", ":crypt,remote=':s3:b',password=p:"]})
	_messages([_cronjob([container], [])]) == {
		sprintf("%s: on-the-fly rclone remote :s3: on its command line is not encrypted: no crypt remote wraps it", [_who]),
		sprintf("%s: the on-the-fly rclone remote on its command line passes its secret_access_key in plaintext", [_who]),
		sprintf("%s: the on-the-fly rclone remote on its command line passes its password in plaintext", [_who]),
	}
}

# Remotes in a configuration the gate cannot read (a sealed Secret's): encryption cannot be proven.
test_invisible_remotes_are_flagged if {
	container := object.union(_rclone([]), {"args": ["--config", "/conf/rclone.conf", "copy", "x", "vault:"]})
	_messages([_cronjob([container], [{"name": "conf", "secret": {"secretName": "rclone-conf"}}]), _sealed("rclone-conf")]) == {sprintf("%s runs rclone with no remote the gate can see: whether it encrypts cannot be proven; declare its remotes in RCLONE_CONFIG_* variables (secrets from a Secret)", [_who])}
}

test_client_side_plaintext_uploaders_are_flagged if {
	_messages([_cronjob(
		[
			{"name": "dump", "image": "redis:7.2.5", "command": ["sh", "-c", "redis-cli --rdb /w/d.rdb && aws s3 cp /w/d.rdb s3://b/"]},
			{"name": "sts", "image": "redis:7.2.5", "command": ["sh", "-c", "aws sts get-caller-identity"]},
			{"name": "mirror", "image": "minio/mc:RELEASE.2025-01-01T00-00-00Z", "args": ["cp", "/w/d.rdb", "s3/b"]},
		],
		[],
	)]) == {
		"container dump of CronJob redis-backup uploads with the AWS CLI (redis:7.2.5): it does not encrypt on the client, so the bucket holds the backup as it is; upload through an rclone crypt remote",
		"container mirror of CronJob redis-backup uploads with MinIO's mc (minio/mc:RELEASE.2025-01-01T00-00-00Z): it does not encrypt on the client, so the bucket holds the backup as it is; upload through an rclone crypt remote",
	}
}

# Workloads that have nothing to do with Redis, in a namespace without redis, are not judged; in a
# namespace that runs redis they are.
test_scope if {
	photos := object.union(_cronjob([_rclone(array.slice(_generated_env, 0, 2))], []), {"metadata": testing.meta("photo-sync")})
	count(_messages([photos])) == 0
	count(_messages([photos, testing.workload("StatefulSet", "cache", {"containers": [testing.container("cache", "redis:7.2.5")]})])) == 1
}
