# METADATA
# title: HAProxy accepts Redis clients over TLS only
# description: >-
#   In every HAProxy configuration (a ConfigMap value with frontend, backend or listen sections)
#   that concerns Redis (the ConfigMap belongs to Redis, or a bind or server uses port 6379 or
#   26379), every `bind` of a frontend or listen section terminates TLS: it has the `ssl` keyword
#   and a certificate (`crt` or `crt-list`). A bind without them is a plaintext listener, whatever
#   port it is on; only UNIX and abstract sockets (reachable from inside the pod alone) are exempt.
#   A bind line or section header the gate cannot read as HAProxy does (see lib/haproxy.rego: an
#   environment variable, an escape) is reported too, as are conditional blocks, and an HAProxy
#   container that reads its configuration from a Secret (which the gate cannot read).
# custom:
#   severity: error
#   remediation: >-
#     Add `ssl crt <pem>` to every bind line (e.g. `bind :6379 ssl crt /tls/server.pem ssl-min-ver
#     TLSv1.2`), or remove the plaintext frontend.
package rules.tls.haproxy_frontend_tls

import data.lib.haproxy
import data.lib.k8s
import data.lib.redis

violation contains k8s.violation(config.entry, msg) if {
	some config in haproxy.configs
	some bind in haproxy.binds(config.dirs)
	not haproxy.local_socket(bind.args[0])
	problem := _problem(bind.args)
	msg := sprintf(
		"ConfigMap %s key %s line %d: %s %s `bind %s` %s",
		[k8s.name(config.entry.object), bind.key, bind.line, bind.section, bind.section_name, concat(" ", bind.args), problem],
	)
}

violation contains k8s.violation(config.entry, msg) if {
	some config in haproxy.configs
	some u in haproxy.unreadable(config, {"bind"})
	msg := sprintf("ConfigMap %s key %s line %d: the gate cannot read this line as HAProxy does (%s)", [k8s.name(config.entry.object), u.key, u.line, u.why])
}

# An HAProxy whose configuration comes from a Secret: sealed, the gate cannot read its binds, and a
# portal configuration moved into a Secret passed whatever it listened on.
violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	some c in k8s.containers(entry.object)
	some found in haproxy.secret_configs(entry.object, c.container)
	msg := sprintf(
		"%s %s of %s %s runs haproxy with %s from Secret %s, which the gate cannot read (a sealed value): it cannot check that every bind terminates TLS; give the configuration from a ConfigMap (the certificates stay in the Secret)",
		[c.role, object.get(c.container, "name", ""), entry.object.kind, k8s.name(entry.object), found.path, found.secret],
	)
}

# An HAProxy whose configuration the gate cannot read at all (written at run time onto an emptyDir,
# copied there from a Secret, the image's own): its binds are not judged, and such a portal passed.
violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	some c in k8s.containers(entry.object)
	redis.is_haproxy_container(c.container)
	some path in haproxy.unreadable_configs(entry.object, c.container)
	haproxy.serves_redis(entry.object)
	msg := sprintf(
		"%s %s of %s %s runs haproxy with %s, which no ConfigMap of the manifests gives it (a file written at run time, copied from a Secret or downloaded, the image's own): the gate cannot check that every bind terminates TLS; give the configuration from a ConfigMap the container mounts, or copy one there with `cp` (literal paths, or a variable the script sets once to one)",
		[c.role, object.get(c.container, "name", ""), entry.object.kind, k8s.name(entry.object), path],
	)
}

_problem(args) := "has no `ssl`: a plaintext listener" if {
	not "ssl" in args
} else := "has `ssl` but no `crt` or `crt-list`: HAProxy cannot present a certificate" if {
	not "crt" in args
	not "crt-list" in args
}
