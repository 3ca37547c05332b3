# METADATA
# title: Backups are encrypted before they leave the cluster, and their keys are sealed
# description: >-
#   A workload that backs Redis up (one that belongs to Redis by its name, labels or images, or runs
#   in a namespace that runs redis) and uploads with rclone writes only through a crypt remote: every
#   storage remote it defines (in RCLONE_CONFIG_<REMOTE>_<OPTION> variables, from literals,
#   ConfigMaps or Secrets, in an rclone.conf in a ConfigMap or Secret it mounts, or on the fly as
#   `:s3:...` on its command line) is wrapped by a crypt remote, and no crypt remote sets
#   no_data_encryption (nor RCLONE_CRYPT_NO_DATA_ENCRYPTION, nor --crypt-no-data-encryption). It
#   reaches its target over TLS (no http:// endpoint or URL, no --no-check-certificate) and its
#   credentials (access keys, tokens, the crypt passphrase: rclone's secret options) are not literal
#   environment values, ConfigMap values, command-line options or values of a plain Secret in git.
#   A ConfigMap holding an rclone configuration holds none of those secrets. A backup workload that
#   runs rclone with no remote the gate can see, or that uploads with a tool that encrypts nothing on
#   the client (the AWS CLI, MinIO's mc, s3cmd, gsutil, azcopy), cannot be proven to encrypt and is
#   a violation too.
# custom:
#   severity: error
#   remediation: >-
#     Upload through an rclone crypt remote over the target (as synth's backup CronJob does: the
#     remotes in RCLONE_CONFIG_* variables, the target's endpoint https://), take the access keys and
#     the crypt passphrase from a Secret made by a SealedSecret (secretKeyRef, or a mounted file),
#     and keep no secret in a ConfigMap, a literal value or a command line.
package rules.encryption.backup_encrypted

import data.lib.k8s
import data.lib.redis

# ---------------------------------------------------------------------------------------------
# Which workloads back Redis up

# rclone's secret options (v1.76.0: the options its backends mark as passwords or as sensitive keys,
# tokens and passphrases; not the ones that name a file, a command or a public key).
_credential_options := {
	"access_key_id", "access_token", "api_key", "api_password", "api_secret", "app_token",
	"application_credential_secret", "auth_token", "bearer_token", "client_certificate_password",
	"client_secret", "config_credentials", "connection_string", "file_password", "folder_password",
	"ibm_api_key", "key", "key_file_pass", "key_pem", "link_password", "mailbox_password", "master_keys",
	"otp_secret_key", "pass", "passphrase", "password", "password2", "permanent_token", "plex_password",
	"plex_token", "private_key", "refresh_token", "sas_url", "secret", "secret_access_key",
	"service_account_credentials", "session_token", "sse_customer_key", "sse_customer_key_base64",
	"token", "web_token",
}

# rclone backends that store nothing themselves: crypt (what encrypts), the local disk, memory,
# and the wrappers of one other remote (their `remote` option), which are encrypted when what they
# wrap is a crypt remote, or when a crypt remote wraps them.
_wrappers := {"alias", "cache", "chunker", "compress", "hasher"}

_not_storage := _wrappers | {"crypt", "local", "memory"}

# Whether the namespace under evaluation runs redis (a backup workload of it need not say "redis").
# A scan of every resource: rules ask it last, of the few objects that upload.
_namespace_runs_redis if {
	some entry in input.resources
	some c in k8s.containers(entry.object)
	redis.is_server_container(c.container)
}

_concerns_redis(obj) if redis.related(obj)

_concerns_redis(_) if _namespace_runs_redis

# A container that runs rclone: by its image, its command line, or rclone remotes in its environment.
_runs_rclone(container) if redis.image_name(object.get(container, "image", "")) == "rclone"

_runs_rclone(container) if {
	some word in redis.words(container)
	_program(word) == "rclone"
}

_runs_rclone(container) if {
	some env in object.get(container, "env", [])
	startswith(env.name, "RCLONE_CONFIG_")
}

_program(word) := parts[count(parts) - 1] if parts := split(trim(word, `"'`), "/")

# The rclone containers of workloads that back Redis up: [{"entry", "c"}].
_uploaders := [{"entry": entry, "c": c} |
	some entry in input.resources
	some c in k8s.containers(entry.object)
	_runs_rclone(c.container)
	_concerns_redis(entry.object)
]

_who(u) := sprintf("%s %s of %s %s", [u.c.role, u.c.container.name, u.entry.object.kind, k8s.name(u.entry.object)])

# ---------------------------------------------------------------------------------------------
# What the manifests say about a container's environment: every variable with its value (when the
# manifests show it) and where it comes from.

# A Secret committed in plaintext (secrets.no_plaintext_secret's finding): its values by key.
_plain_secret(name) := values if {
	values := k8s.plain_secret_data(name)
	count(values) > 0
}

_config_map(name) := k8s.config_map_data(name)

# Where a setting comes from, as a finding says it. Settings keep it as [format, arguments], worded
# only for a finding: sprintf is not in OPA's wasm but called out to JavaScript, and wording the
# source of every env entry of every uploader, at each rule that reads them, was most of this rule's
# time in a namespace of many deployments.
_worded([format, arguments]) := sprintf(format, arguments)

# [{"name", "value" (absent when the manifests do not show it), "source", "plain"}]: "plain" when the
# value is in git in plaintext (a literal, a ConfigMap, a plain Secret).
_env(container) := array.concat(
	[v | some e in object.get(container, "env", []); v := _env_entry(e)],
	[v | some from in object.get(container, "envFrom", []); some v in _env_from(from)],
)

_env_entry(e) := {"name": e.name, "value": e.value, "source": ["env %s", [e.name]], "plain": true} if is_string(e.value)

_env_entry(e) := object.union(
	{"name": e.name, "source": ["ConfigMap %s", [ref.name]], "plain": true},
	_value_of(_config_map(ref.name), ref.key),
) if ref := e.valueFrom.configMapKeyRef

_env_entry(e) := {"name": e.name, "value": values[ref.key], "source": ["Secret %s, a plain Secret in git", [ref.name]], "plain": true} if {
	ref := e.valueFrom.secretKeyRef
	values := _plain_secret(ref.name)
	is_string(values[ref.key])
}

_env_entry(e) := {"name": e.name, "source": ["Secret %s", [ref.name]], "plain": false} if {
	ref := e.valueFrom.secretKeyRef
	not _plain_value(ref)
}

_plain_value(ref) if is_string(_plain_secret(ref.name)[ref.key])

_value_of(values, key) := {"value": values[key]} if is_string(values[key])

else := {}

_env_from(from) := [{"name": concat("", [object.get(from, "prefix", ""), key]), "value": value, "source": ["ConfigMap %s", [from.configMapRef.name]], "plain": true} |
	some key, value in _config_map(from.configMapRef.name)
] if from.configMapRef

_env_from(from) := [{"name": concat("", [object.get(from, "prefix", ""), key]), "value": value, "source": ["Secret %s, a plain Secret in git", [from.secretRef.name]], "plain": true} |
	some key, value in _plain_secret(from.secretRef.name)
] if from.secretRef

# ---------------------------------------------------------------------------------------------
# rclone remotes: {"remote", "option", "value"?, "source", "plain"} settings, from the environment
# and from rclone configuration files the pod mounts. Remote names are lower-cased (rclone finds
# RCLONE_CONFIG_<REMOTE>_<OPTION> by upper-casing the remote's name).

_env_remote_names(env) := {lower(trim_suffix(trim_prefix(v.name, "RCLONE_CONFIG_"), "_TYPE")) |
	some v in env
	startswith(v.name, "RCLONE_CONFIG_")
	endswith(v.name, "_TYPE")
	v.name != "RCLONE_CONFIG_TYPE"
}

_env_settings(env) := [object.union(v, {"remote": remote, "option": option, "rank": 0}) |
	names := _env_remote_names(env)
	some v in env
	startswith(v.name, "RCLONE_CONFIG_")
	rest := lower(trim_prefix(v.name, "RCLONE_CONFIG_"))

	# The longest remote name the variable starts with (a remote may be named a_b, another a).
	matching := [n | some n in names; startswith(rest, concat("", [n, "_"]))]
	count(matching) > 0
	remote := [n | some n in matching; count(n) == max([count(m) | some m in matching])][0]
	option := substring(rest, count(remote) + 1, -1)
]

# Texts of the ConfigMaps and Secrets a pod mounts (volumes and projected volumes) that hold an
# rclone configuration: [{"text", "source", "plain"}].
_mounted_configs(obj) := [t |
	some volume in _volumes(obj)
	some t in _source_texts(volume)
	_is_rclone_config(t.text)
]

_source_texts(volume) := [{"text": text, "source": ["ConfigMap %s key %s", [volume.configMap.name, key]], "plain": true} |
	some key, text in _config_map(volume.configMap.name)
	is_string(text)
] if volume.configMap

_source_texts(volume) := [{"text": text, "source": ["Secret %s key %s, a plain Secret in git", [volume.secret.secretName, key]], "plain": true} |
	some key, text in _plain_secret(volume.secret.secretName)
] if volume.secret

# A pod's volumes, each source of a projected volume as a volume of its own.
_volumes(obj) := array.concat(volumes, [_as_volume(source) |
	some volume in volumes
	some source in volume.projected.sources
]) if volumes := object.get(k8s.pod_template(obj), ["spec", "volumes"], [])

_as_volume(source) := {"configMap": source.configMap} if source.configMap

_as_volume(source) := {"secret": {"secretName": source.secret.name}} if source.secret

# An rclone configuration: INI sections of which one has a `type`. (The cheap test first: every
# ConfigMap value is asked.)
_is_rclone_config(text) if {
	contains(text, "[")
	contains(text, "type")
	some s in _ini(text)
	s.option == "type"
}

# The settings of an INI text: [{"remote", "option", "value", "line"}], each under the last section
# header before it.
_ini(text) := [s |
	lines := split(text, "\n")
	headers := [{"i": i, "name": trim_space(trim(line, "[]"))} |
		some i, raw in lines
		line := trim_space(raw)
		startswith(line, "[")
		endswith(line, "]")
	]
	some i, raw in lines
	line := trim_space(raw)
	not startswith(line, "#")
	not startswith(line, ";")
	at := indexof(line, "=")
	at > 0
	before := [h | some h in headers; h.i < i]
	count(before) > 0
	s := {
		"remote": lower(before[count(before) - 1].name),
		"option": lower(trim_space(substring(line, 0, at))),
		"value": trim(trim_space(substring(line, at + 1, -1)), `"'`),
		"line": i + 1,
	}
]

_file_settings(obj) := [object.union(s, {"source": t.source, "plain": t.plain, "rank": 1}) |
	some t in _mounted_configs(obj)
	some s in _ini(t.text)
]

# Every remote setting of an rclone container.
_settings(u) := array.concat(_env_settings(_env(u.c.container)), _file_settings(u.entry.object))

# The value rclone takes for a remote's option: the environment's before a configuration file's.
_value(settings, remote, option) := [s.value |
	some s in candidates
	s.rank == min({c.rank | some c in candidates})
][0] if {
	candidates := [s | some s in settings; s.remote == remote; s.option == option; is_string(s.value)]
	count(candidates) > 0
}

# Remote name -> type.
_types(settings) := {r: lower(_value(settings, r, "type")) | some s in settings; r := s.remote}

# Remote -> the remotes its `remote` option names ("target:bucket/path" names target; an
# on-the-fly ":s3:..." names none).
_wraps(settings) := {r: {w |
	value := _value(settings, r, "remote")
	contains(value, ":")
	w := lower(split(value, ":")[0])
	w != ""
} |
	some r, _ in _types(settings)
}

# The remotes reached through a crypt remote: what they store is ciphertext.
_encrypted(settings) := graph.reachable(_wraps(settings), {r | some r, t in _types(settings); t == "crypt"})

# A wrapper of a crypt remote (an alias of it, say) stores through it.
_stores_through_crypt(settings, remote) if {
	types := _types(settings)
	_wrappers[types[remote]]
	some r in graph.reachable(_wraps(settings), {remote})
	types[r] == "crypt"
}

# ---------------------------------------------------------------------------------------------
# Violations of an rclone container

violation contains k8s.violation(u.entry, msg) if {
	some u in _uploaders
	settings := _settings(u)
	encrypted := _encrypted(settings)
	some remote, type in _types(settings)
	not _not_storage[type]
	not remote in encrypted
	not _stores_through_crypt(settings, remote)
	msg := sprintf("%s: rclone remote %s (%s) is not encrypted: no crypt remote wraps it, so what is written to it is stored as it is", [_who(u), remote, type])
}

violation contains k8s.violation(u.entry, msg) if {
	some u in _uploaders
	settings := _settings(u)
	some remote, type in _types(settings)
	type == "crypt"
	some s in settings
	s.remote == remote
	s.option == "no_data_encryption"
	_true(s.value)
	msg := sprintf("%s: crypt remote %s has no_data_encryption (%s): the data it writes is not encrypted", [_who(u), remote, _worded(s.source)])
}

violation contains k8s.violation(u.entry, msg) if {
	some u in _uploaders
	some v in _env(u.c.container)
	v.name == "RCLONE_CRYPT_NO_DATA_ENCRYPTION"
	_true(v.value)
	msg := sprintf("%s: RCLONE_CRYPT_NO_DATA_ENCRYPTION (%s) turns data encryption off for every crypt remote", [_who(u), _worded(v.source)])
}

violation contains k8s.violation(u.entry, msg) if {
	some u in _uploaders
	_bool_flag(redis.words(u.c.container), "crypt-no-data-encryption")
	msg := sprintf("%s: --crypt-no-data-encryption on its command line turns data encryption off", [_who(u)])
}

# Plaintext transport: an http:// endpoint or URL of a remote, or of a backend for every remote.
violation contains k8s.violation(u.entry, msg) if {
	some u in _uploaders
	some s in _settings(u)
	not contains(s.option, "proxy")
	_plain_http(s.value)
	msg := sprintf("%s: rclone remote %s is reached over plaintext HTTP (%s %s, %s)", [_who(u), s.remote, s.option, s.value, _worded(s.source)])
}

violation contains k8s.violation(u.entry, msg) if {
	some u in _uploaders
	some v in _env(u.c.container)
	startswith(v.name, "RCLONE_")
	not startswith(v.name, "RCLONE_CONFIG_")
	not contains(v.name, "PROXY")
	_plain_http(v.value)
	msg := sprintf("%s: rclone reaches %s over plaintext HTTP (%s)", [_who(u), v.value, _worded(v.source)])
}

violation contains k8s.violation(u.entry, msg) if {
	some u in _uploaders
	words := redis.words(u.c.container)
	some i, _ in words
	flag := _flag(words, i)
	not contains(flag.name, "proxy")
	_plain_http(flag.value)
	msg := sprintf("%s: rclone reaches %s over plaintext HTTP (--%s on its command line)", [_who(u), flag.value, flag.name])
}

violation contains k8s.violation(u.entry, msg) if {
	some u in _uploaders
	some v in _env(u.c.container)
	v.name == "RCLONE_NO_CHECK_CERTIFICATE"
	_true(v.value)
	msg := sprintf("%s: rclone does not verify the target's TLS certificate (%s)", [_who(u), _worded(v.source)])
}

violation contains k8s.violation(u.entry, msg) if {
	some u in _uploaders
	_bool_flag(redis.words(u.c.container), "no-check-certificate")
	msg := sprintf("%s: rclone does not verify the target's TLS certificate (--no-check-certificate)", [_who(u)])
}

# Plaintext credentials: a remote's secret option, a backend's (RCLONE_S3_SECRET_ACCESS_KEY) or the
# AWS SDK's, with a value in git; a plain Secret the container reads its credentials from.
violation contains k8s.violation(u.entry, msg) if {
	some u in _uploaders
	some s in _env_settings(_env(u.c.container))
	_credential_options[s.option]
	s.plain
	_non_empty(s)
	msg := sprintf("%s: rclone remote %s's %s is in plaintext (%s): take it from a Secret made by a SealedSecret", [_who(u), s.remote, s.option, _worded(s.source)])
}

violation contains k8s.violation(u.entry, msg) if {
	some u in _uploaders
	some v in _env(u.c.container)
	_global_credential(v.name)
	v.plain
	_non_empty(v)
	msg := sprintf("%s: %s is in plaintext (%s): take it from a Secret made by a SealedSecret", [_who(u), v.name, _worded(v.source)])
}

violation contains k8s.violation(u.entry, msg) if {
	some u in _uploaders
	words := redis.words(u.c.container)
	some i, _ in words
	flag := _flag(words, i)
	_credential_name(replace(flag.name, "-", "_"))
	msg := sprintf("%s: --%s passes a secret on rclone's command line (in git, and shown by ps)", [_who(u), flag.name])
}

violation contains k8s.violation(u.entry, msg) if {
	some u in _uploaders
	some volume in _volumes(u.entry.object)
	name := volume.secret.secretName
	_plain_secret(name)
	msg := sprintf("%s: its pod mounts Secret %s, a plain Secret in git: commit a SealedSecret instead", [_who(u), name])
}

# A ConfigMap holding an rclone configuration holds no secret.
violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("ConfigMap")
	some key, text in k8s.config_map_files(entry.object)
	_is_rclone_config(text)
	_concerns_redis(entry.object)
	some s in _ini(text)
	_credential_options[s.option]
	s.value != ""
	msg := sprintf("ConfigMap %s key %s: rclone remote %s's %s is in plaintext: keep the rclone configuration's secrets in a SealedSecret", [k8s.name(entry.object), key, s.remote, s.option])
}

# On-the-fly remotes on the command line (":s3,endpoint=...:bucket"): a storage backend not inside
# a crypt one stores as it is; parameters may be secrets.
violation contains k8s.violation(u.entry, msg) if {
	some u in _uploaders
	some word in redis.words(u.c.container)
	spec := _on_the_fly(word)
	not _not_storage[spec.backend]
	msg := sprintf("%s: on-the-fly rclone remote :%s: on its command line is not encrypted: no crypt remote wraps it", [_who(u), spec.backend])
}

violation contains k8s.violation(u.entry, msg) if {
	some u in _uploaders
	some word in redis.words(u.c.container)
	_on_the_fly(word)
	some option in _credential_options
	contains(word, concat("", [",", option, "="]))
	msg := sprintf("%s: the on-the-fly rclone remote on its command line passes its %s in plaintext", [_who(u), option])
}

# A backup workload that runs rclone, but whose remotes the gate cannot see (an rclone.conf from a
# sealed Secret, say), cannot be proven to encrypt.
violation contains k8s.violation(u.entry, msg) if {
	some u in _uploaders
	count(_types(_settings(u))) == 0
	not _has_on_the_fly(u.c.container)
	msg := sprintf("%s runs rclone with no remote the gate can see: whether it encrypts cannot be proven; declare its remotes in RCLONE_CONFIG_* variables (secrets from a Secret)", [_who(u)])
}

_has_on_the_fly(container) if {
	some word in redis.words(container)
	_on_the_fly(word)
}

# ---------------------------------------------------------------------------------------------
# Uploads with tools that encrypt nothing on the client

_upload_images := {"aws-cli": "the AWS CLI", "mc": "MinIO's mc", "s3cmd": "s3cmd", "azcopy": "azcopy"}

_upload_programs := {"aws": "the AWS CLI", "mc": "MinIO's mc", "s3cmd": "s3cmd", "gsutil": "gsutil", "azcopy": "azcopy"}

violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	some c in k8s.containers(entry.object)
	some tool in _upload_tools(c.container)
	_concerns_redis(entry.object)
	image := object.get(c.container, "image", "")
	msg := sprintf("%s %s of %s %s uploads with %s (%s): it does not encrypt on the client, so the bucket holds the backup as it is; upload through an rclone crypt remote", [c.role, c.container.name, entry.object.kind, k8s.name(entry.object), tool, image])
}

_upload_tools(container) := {tool | tool := _upload_images[redis.image_name(object.get(container, "image", ""))]} | {tool |
	words := redis.words(container)
	some i, word in words
	tool := _upload_programs[_program(word)]
	_uploads(_program(word), array.slice(words, i + 1, i + 2))
}

# `aws` uploads with its s3 commands; the others are storage clients whatever they are asked.
_uploads("aws", next) if next[0] in {"s3", "s3api"}

_uploads(program, _) if program != "aws"

# ---------------------------------------------------------------------------------------------
# Small readers

_true(value) if lower(sprintf("%v", [value])) in {"true", "1", "yes", "y", "on"}

_plain_http(value) if startswith(lower(trim(value, `"'`)), "http://")

_non_empty(v) if v.value != ""

_non_empty(v) if not v.value

# A secret not tied to one remote: a backend's option for all its remotes (RCLONE_S3_ACCESS_KEY_ID),
# a global one (RCLONE_CONFIG_PASS, the configuration file's password), or the AWS SDK's keys
# (rclone's env_auth, the AWS CLI).
_global_credential(name) if {
	startswith(name, "RCLONE_")
	not startswith(name, "RCLONE_CONFIG_")
	_credential_name(lower(name))
}

# An option (or a flag or variable ending in one) that holds a secret.
_credential_name(name) if _credential_options[name]

_credential_name(name) if {
	some option in _credential_options
	endswith(name, concat("_", ["", option]))
}

_global_credential("RCLONE_CONFIG_PASS")

_global_credential(name) if name in {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}

# A boolean flag given as "--name" or "--name=true" (rclone's boolean flags take no separate value).
_bool_flag(words, name) if concat("", ["--", name]) in words

_bool_flag(words, name) if {
	some word in words
	startswith(word, concat("", ["--", name, "="]))
	_true(substring(word, count(name) + 3, -1))
}

# The flag at words[i], "--name=value" or "--name value" ("--name" alone: "true").
_flag(words, i) := {"name": lower(substring(words[i], 2, at - 2)), "value": substring(words[i], at + 1, -1)} if {
	startswith(words[i], "--")
	at := indexof(words[i], "=")
	at > 2
}

_flag(words, i) := {"name": lower(substring(words[i], 2, -1)), "value": value} if {
	startswith(words[i], "--")
	not contains(words[i], "=")
	value := _flag_value(words, i)
}

_flag_value(words, i) := trim(words[i + 1], `"'`) if {
	i + 1 < count(words)
	not startswith(words[i + 1], "-")
} else := "true"

# ":s3,endpoint=...:bucket/path" or ":s3:bucket": {"backend"}. (A word that only starts with ":"
# otherwise, such as a shell's `:` no-op, has no second colon.)
_on_the_fly(word) := {"backend": lower(backend)} if {
	w := trim(word, `"'`)
	startswith(w, ":")
	rest := substring(w, 1, -1)
	contains(rest, ":")
	name_end := min([i | some i in [indexof(rest, ","), indexof(rest, ":")]; i >= 0])
	backend := substring(rest, 0, name_end)
	backend != ""
}
