# METADATA
# title: No passwords in ConfigMaps
# description: >-
#   ConfigMaps are readable by every Viewer and are not encrypted in Git or at rest. None holds a
#   key named like a password (password, passwd, requirepass, masterauth, auth-pass), and no redis or
#   sentinel configuration in one sets a password directive with a value: requirepass, masterauth,
#   `sentinel auth-pass`, `sentinel sentinel-pass`, or an ACL `user` with a `>password`, and no value
#   holds a URL with a literal password (rediss://user:password@host, or a GitHub or GitLab token as
#   its user name: https://<token>@host), nor a script a redis-cli or valkey-cli command line with a
#   literal password (`-a`, `--pass`, or REDISCLI_AUTH assigned one). A value a
#   start script in a ConfigMap of the namespace replaces with `sed` (a documented placeholder such
#   as redis-ha's `replace-default-auth`) is no password.
# custom:
#   severity: error
#   remediation: >-
#     Keep passwords in a SealedSecret and let the container read them from the mounted Secret at
#     start (e.g. an entrypoint appending `masterauth $(cat /secrets/...)` to a copy of the
#     configuration), or use an ACL file from the Secret (aclfile).
package rules.secrets.no_password_in_configmap

import data.lib.k8s
import data.lib.redis

_password_words := {"password", "passwd", "requirepass", "masterauth", "auth-pass"}

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("ConfigMap")
	some field in ["data", "binaryData"]
	some key, _ in object.get(entry.object, field, {})
	some word in _password_words
	contains(lower(key), word)
	msg := sprintf("ConfigMap %s key %s is named like a password: keep it in a SealedSecret", [k8s.name(entry.object), key])
}

# A URL that carries its password (rediss://user:password@host), in any value: an application's
# REDIS_URL in a ConfigMap its pods take their environment from.
violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("ConfigMap")
	some key, value in k8s.config_map_files(entry.object)
	k8s.url_with_password(value)
	msg := sprintf("ConfigMap %s key %s holds a URL with a literal password: keep the password in a SealedSecret ($(VAR) in the URL, VAR from the Secret)", [k8s.name(entry.object), key])
}

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("ConfigMap")
	some key, value in k8s.config_map_files(entry.object)
	what := k8s.cli_password(value)
	msg := sprintf("ConfigMap %s key %s: a script passes %s: read it from a mounted Secret (REDISCLI_AUTH=\"$(cat <file>)\")", [k8s.name(entry.object), key, what])
}

violation contains k8s.violation(config.entry, msg) if {
	some config in redis.configs
	some d in config.dirs
	found := _password_directive(d)
	not _placeholders[found.value]
	msg := sprintf("ConfigMap %s key %s line %d: %s sets a password in plaintext", [k8s.name(config.entry.object), config.key, d.line, found.what])
}

_password_directive(d) := {"what": sprintf("`%s`", [d.name]), "value": d.args[0]} if {
	d.name in {"requirepass", "masterauth"}
	count(d.args) > 0
	d.args[0] != ""
}

_password_directive(d) := {"what": sprintf("`sentinel %s`", [d.args[0]]), "value": d.args[count(d.args) - 1]} if {
	d.name == "sentinel"
	d.args[0] in {"auth-pass", "sentinel-pass"}
	count(d.args) > 1
}

_password_directive(d) := {"what": sprintf("ACL `user %s`", [d.args[0]]), "value": substring(arg, 1, -1)} if {
	d.name == "user"
	some arg in d.args
	startswith(arg, ">")
}

# Placeholders a start script replaces before redis reads the file (`sed -i "s/replace-default-auth/
# ${AUTH}/"`, as the redis-ha chart writes it): what a `sed` substitution of a ConfigMap text of the
# namespace looks for, with `/`, `|` or `#` as its delimiter.
_placeholders contains found[1] if {
	some t in redis.config_map_texts
	contains(t.text, "sed")
	some pattern in [`(?:^|[^A-Za-z0-9_])s/([^/\\]+)/`, `(?:^|[^A-Za-z0-9_])s\|([^|\\]+)\|`, `(?:^|[^A-Za-z0-9_])s#([^#\\]+)#`]
	some found in regex.find_all_string_submatch_n(pattern, t.text, -1)
}
