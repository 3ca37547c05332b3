package rules.tls.haproxy_runtime_settings_test

import data.rules.tls.haproxy_runtime_settings

# A portal of Redis whose init container runs init.sh from the ConfigMap, before haproxy reads its copy.
_portal(script, env) := _portal_of(script, env, "redis-portal", {})

# The same, named and its haproxy container given more fields.
_portal_of(script, env, name, haproxy) := {"resources": [
	{"file": "c.yaml", "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "portal", "namespace": "n"}, "data": {"init.sh": script}}},
	{"file": "d.yaml", "object": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "n"}, "spec": {"template": {"spec": {
		"initContainers": [{"name": "config", "image": "haproxy:2.8.5", "command": ["sh", "/config/init.sh"], "env": env, "volumeMounts": [{"name": "config", "mountPath": "/config"}]}],
		"containers": [object.union({"name": "haproxy", "image": "haproxy:2.8.5", "command": ["haproxy", "-f", "/run/haproxy/haproxy.cfg"]}, haproxy)],
		"volumes": [{"name": "config", "configMap": {"name": "portal"}}],
	}}}}},
]}

test_plaintext_bind_appended if {
	count(haproxy_runtime_settings.violation) == 1 with input as _portal("cp /config/haproxy.cfg /run/haproxy/haproxy.cfg\necho '  bind :6380' >> /run/haproxy/haproxy.cfg\n", [])
}

test_safe_writes_pass if {
	count(haproxy_runtime_settings.violation) == 0 with input as _portal(
		concat("\n", [
			"cp /config/haproxy.cfg /run/haproxy/haproxy.cfg",
			"sed -i \"s/REPLACE_ANNOUNCE0/$ANNOUNCE_IP0/\" /run/haproxy/haproxy.cfg",
			"echo '  bind :6380 ssl crt /tls/server.pem' >> /run/haproxy/haproxy.cfg",
			"echo '  bind /run/haproxy/admin.sock' >> /run/haproxy/haproxy.cfg",
			"echo \"  server m2 $HOST:6379 ssl verify required ca-file /tls/ca.crt\" >> /run/haproxy/haproxy.cfg",
			"echo 'binding the portal' >&2",
			"",
		]),
		[],
	)
}

test_each_weakening_is_reported if {
	count(haproxy_runtime_settings.violation) == 7 with input as _portal(
		concat("\n", [
			"sed -i 's/ ssl crt [^ ]*//' /run/haproxy/haproxy.cfg",
			"sed -i 's|verify required|verify none|' /run/haproxy/haproxy.cfg",
			"printf '  server m2 10.0.0.2:6379 check\\n' >> /run/haproxy/haproxy.cfg",
			"cat >> /run/haproxy/haproxy.cfg <<EOF\nglobal\n  ssl-server-verify none\nEOF",
			"echo '  default-server no-ssl' >> /run/haproxy/haproxy.cfg",
			"echo '  bind :6380 ssl crt /p.pem ssl-min-ver TLSv1.0' >> /run/haproxy/haproxy.cfg",
			"echo \"  bind :6381 $BIND_OPTIONS\" >> /run/haproxy/haproxy.cfg",
			"",
		]),
		[],
	)
}

# A keyword in a variable: resolved from the environment and the texts; reported when unresolved.
test_keyword_in_a_variable if {
	group := "{\n  echo \"  $K :6380\"\n} >> /run/haproxy/haproxy.cfg\n"
	count(haproxy_runtime_settings.violation) == 1 with input as _portal(group, [{"name": "K", "value": "bind"}])
	count(haproxy_runtime_settings.violation) == 0 with input as _portal(group, [{"name": "K", "value": "maxconn"}])
	count(haproxy_runtime_settings.violation) == 1 with input as _portal(group, [])
}

# Pods that run no haproxy are tls.redis_runtime_settings' to judge.
test_other_pods_are_not_judged if {
	script := {"file": "c.yaml", "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "portal", "namespace": "n"}, "data": {"init.sh": "echo '  bind :6380' >> /run/x.cfg\n"}}}
	web := {"file": "d.yaml", "object": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "n"}, "spec": {"template": {"spec": {
		"initContainers": [{"name": "config", "image": "busybox:1.36", "command": ["sh", "/config/init.sh"], "volumeMounts": [{"name": "config", "mountPath": "/config"}]}],
		"containers": [{"name": "web", "image": "nginx:1.27"}],
		"volumes": [{"name": "config", "configMap": {"name": "portal"}}],
	}}}}}
	count(haproxy_runtime_settings.violation) == 0 with input as {"resources": [script, web]}
}

test_sed_deletions if {
	count(haproxy_runtime_settings.violation) == 1 with input as _portal("sed -i '/ssl-server-verify required/d' /run/haproxy/haproxy.cfg\n", [])
	count(haproxy_runtime_settings.violation) == 0 with input as _portal("sed -i '/^# /d' /run/haproxy/haproxy.cfg\n", [])
}

# An HAProxy that serves no Redis (an HTTP proxy of another application) is not judged here.
test_haproxy_of_another_application if {
	count(haproxy_runtime_settings.violation) == 0 with input as _portal_of("echo '  bind :80' >> /run/haproxy/haproxy.cfg\n", [], "web-proxy", {})
}

# A hook that edits the configuration and reloads haproxy (master-worker mode reloads on USR2).
test_hooks if {
	hook := {"lifecycle": {"postStart": {"exec": {"command": ["sh", "-c", "sed -i 's/ ssl crt [^ ]*//' /run/haproxy/haproxy.cfg && kill -USR2 1"]}}}}
	count(haproxy_runtime_settings.violation) == 1 with input as _portal_of("cp /config/haproxy.cfg /run/haproxy/haproxy.cfg\n", [], "redis-portal", hook)
}

# A key of the ConfigMap copied into the configuration (`cat`, a printing sed) is read as the lines it
# adds; one the gate cannot read, or a filter of one that holds binds, is reported.
_portal_files(script, files) := {"resources": array.concat(
	[r |
		some r in _portal(script, [{"name": "CONFIG_DIR", "value": "/config"}]).resources
		r.object.kind != "ConfigMap"
	],
	[{"file": "c.yaml", "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "portal", "namespace": "n"}, "data": object.union(files, {"init.sh": script})}}],
)}

test_copied_fragments_are_read if {
	plain := {"extra": "  bind :6380\n", "tls": "  bind :6380 ssl crt /tls/server.pem\n  server m2 h:6379 ssl verify required ca-file /tls/ca.crt\n"}
	count(haproxy_runtime_settings.violation) == 1 with input as _portal_files("cat \"$CONFIG_DIR/extra\" >> /run/haproxy/haproxy.cfg\n", plain)
	count(haproxy_runtime_settings.violation) == 1 with input as _portal_files("sed 's/x/y/' /config/extra | tee -a /run/haproxy/haproxy.cfg\n", plain)
	count(haproxy_runtime_settings.violation) == 0 with input as _portal_files("cat /config/tls >> /run/haproxy/haproxy.cfg\ncat /config/extra >&2\n", plain)
	count(haproxy_runtime_settings.violation) == 1 with input as _portal_files("cat /run/other.cfg >> /run/haproxy/haproxy.cfg\n", plain)
	count(haproxy_runtime_settings.violation) == 1 with input as _portal_files("grep -v '^#' /config/tls >> /run/haproxy/haproxy.cfg\n", plain)
}

# Edits of the configuration whose outcome the gate does not read (see lib.redis._unread_edits).
test_unread_edits_of_the_configuration if {
	every script in [
		"cp /config/haproxy.cfg /run/haproxy/haproxy.cfg\nsed -i '3d' /run/haproxy/haproxy.cfg\n",
		"cp /config/haproxy.cfg /run/haproxy/haproxy.cfg\nperl -pi -e 's/ ssl crt \\S+//' /run/haproxy/haproxy.cfg\n",
		"echo 'global' > /run/haproxy/haproxy.cfg\n",
	] {
		count(haproxy_runtime_settings.violation) == 1 with input as _portal(script, [])
	}
	count(haproxy_runtime_settings.violation) == 0 with input as _portal("cp /config/haproxy.cfg /run/haproxy/haproxy.cfg\nsed -i '$a # written at start' /run/haproxy/haproxy.cfg\n", [])
}
