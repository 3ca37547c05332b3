# METADATA
# title: HAProxy reaches Redis over verified TLS
# description: >-
#   Every `server` of a backend or listen section of a Redis HAProxy configuration (see
#   tls.haproxy_frontend_tls) connects with TLS (`ssl`, on the line or its `default-server`, not
#   undone by a later `no-ssl`) and
#   verifies the certificate against a CA (`ca-file`): with `verify none`, or the global
#   `ssl-server-verify none`, anyone on the path can impersonate the member and read the traffic,
#   passwords included.
# custom:
#   severity: error
#   remediation: >-
#     Give each server `ssl verify required ca-file <ca.crt>` (and `verifyhost <name>` or `sni`
#     for the member's host name), or put those options on a default-server line.
package rules.tls.haproxy_backend_tls

import data.lib.haproxy
import data.lib.k8s

violation contains k8s.violation(config.entry, msg) if {
	some config in haproxy.configs
	some server in haproxy.servers(config.dirs)
	args := array.concat(haproxy.default_server_args(config, server), server.args)
	some problem in _problems(args, haproxy.global_args(config.dirs, "ssl-server-verify"))
	msg := sprintf(
		"ConfigMap %s key %s line %d: %s %s `server %s`: %s",
		[k8s.name(config.entry.object), server.key, server.line, server.section, server.section_name, concat(" ", server.args), problem],
	)
}

violation contains k8s.violation(config.entry, msg) if {
	some config in haproxy.configs
	some u in haproxy.unreadable(config, {"server", "default-server", "ssl-server-verify"})
	msg := sprintf("ConfigMap %s key %s line %d: the gate cannot read this line as HAProxy does (%s)", [k8s.name(config.entry.object), u.key, u.line, u.why])
}

violation contains k8s.violation(config.entry, msg) if {
	some config in haproxy.configs
	some h in haproxy.deep_defaults(config)
	msg := sprintf("ConfigMap %s: %s %s takes its settings through more than three defaults sections (`from`), deeper than the gate follows: name a defaults section that sets the servers' TLS options itself", [k8s.name(config.entry.object), h.name, h.label])
}

_problems(args, global_verify) := array.concat(
	array.concat(_no_ssl(args), _no_verification(args, global_verify)),
	_no_ca(args),
)

_no_ssl(args) := ["no `ssl`: the connection to redis is plaintext"] if not haproxy.server_ssl(args)

else := []

# A server line's own `verify` wins over default-server's (later in args), which wins over the
# global setting.
_no_verification(args, global_verify) := ["`verify none`: the member's certificate is not checked"] if {
	haproxy.server_ssl(args)
	_verify(args, global_verify) == "none"
} else := []

_verify(args, global_verify) := lower(args[i + 1]) if {
	indices := [j | some j, a in args; lower(a) == "verify"; j + 1 < count(args)]
	count(indices) > 0
	i := indices[count(indices) - 1]
} else := lower(global_verify[0]) if {
	count(global_verify) > 0
} else := "required"

_no_ca(args) := ["no `ca-file`: there is nothing to verify the member's certificate against"] if {
	haproxy.server_ssl(args)
	not haproxy.option_value(args, "ca-file")
} else := []
