# METADATA
# title: HAProxy speaks TLS 1.2 or later only
# description: >-
#   Every TLS `bind` of a Redis HAProxy configuration (see tls.haproxy_frontend_tls) has a minimum
#   of TLS 1.2, set on the line (`ssl-min-ver TLSv1.2` or `TLSv1.3`, or `force-tlsv12`/`13`) or for
#   every bind by the global `ssl-default-bind-options`; the line's own `ssl-min-ver` wins. Neither
#   the line, nor the global defaults, nor a server line may allow an older protocol or drop TLS 1.2
#   (`force-sslv3`, `force-tlsv10`, `force-tlsv11`, `no-tlsv12`, `ssl-min-ver`/`ssl-max-ver` SSLv3,
#   TLSv1.0 or TLSv1.1). The minimum is required explicitly because HAProxy's default depends on
#   its version and on the OpenSSL it was built with.
# custom:
#   severity: error
#   remediation: >-
#     Set `ssl-default-bind-options ssl-min-ver TLSv1.2` in the global section (and
#     `ssl-default-server-options ssl-min-ver TLSv1.2`), or `ssl-min-ver TLSv1.2` on each bind, and
#     remove force-tlsv10/11, force-sslv3 and no-tlsv12.
package rules.tls.haproxy_tls12

import data.lib.haproxy
import data.lib.k8s

_where(config, d) := sprintf(
	"ConfigMap %s key %s line %d (%s `%s %s`)",
	[k8s.name(config.entry.object), d.key, d.line, trim_space(concat(" ", [d.section, d.section_name])), d.name, concat(" ", d.args)],
)

violation contains k8s.violation(config.entry, msg) if {
	some config in haproxy.configs
	some bind in haproxy.binds(config.dirs)
	"ssl" in bind.args
	not haproxy.modern_minimum(bind.args)
	not _own_minimum(bind.args)
	not haproxy.modern_minimum(haproxy.global_args(config.dirs, "ssl-default-bind-options"))
	msg := sprintf("%s: no TLS 1.2 minimum on the line or in the global ssl-default-bind-options", [_where(config, bind)])
}

violation contains k8s.violation(config.entry, msg) if {
	some config in haproxy.configs
	some d in config.dirs
	_tls_settings[d.name]
	option := haproxy.legacy_option(d.args)
	msg := sprintf("%s: %s allows a protocol older than TLS 1.2 or drops TLS 1.2", [_where(config, d), option])
}

violation contains k8s.violation(config.entry, msg) if {
	some config in haproxy.configs
	some u in haproxy.unreadable(config, {"bind", "server", "default-server", "ssl-default-bind-options", "ssl-default-server-options"})
	msg := sprintf("ConfigMap %s key %s line %d: the gate cannot read this line as HAProxy does (%s)", [k8s.name(config.entry.object), u.key, u.line, u.why])
}

# A line that states its own minimum is judged by it alone (legacy_option reports an old one).
_own_minimum(args) if haproxy.option_value(args, "ssl-min-ver")

_tls_settings := {"bind", "server", "default-server", "ssl-default-bind-options", "ssl-default-server-options"}
