package rules.tls.redis_runtime_settings_test

import data.rules.tls.redis_runtime_settings

_pod(script, env) := {"resources": [
	{"file": "c.yaml", "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "scripts", "namespace": "n"}, "data": {"start.sh": script}}},
	{"file": "s.yaml", "object": {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "cache", "namespace": "n"}, "spec": {"template": {"spec": {
		"containers": [{"name": "redis", "image": "redis:7.2.5", "command": ["sh", "/scripts/start.sh"], "env": env, "volumeMounts": [{"name": "s", "mountPath": "/scripts"}]}],
		"volumes": [{"name": "s", "configMap": {"name": "scripts"}}],
	}}}}},
]}

test_plaintext_port_reopened if {
	count(redis_runtime_settings.violation) == 1 with input as _pod("cp /c/redis.conf \"$CONF\"\necho \"port 6379\" >> \"$CONF\"\nexec \"$SERVER\" \"$CONF\"\n", [])
}

test_safe_settings_pass if {
	count(redis_runtime_settings.violation) == 0 with input as _pod("{\n  echo 'port 0'\n  echo 'tls-port 6379'\n  echo 'tls-replication yes'\n  echo 'tls-protocols \"TLSv1.2 TLSv1.3\"'\n  echo \"replica-announce-ip $HOST\"\n} >> /run/redis.conf\n", [])
}

test_each_weakening_is_reported if {
	count(redis_runtime_settings.violation) == 5 with input as _pod(
		concat("\n", [
			"redis-cli CONFIG SET tls-port 0",
			"sed -i 's/^tls-replication .*/tls-replication no/' /run/redis.conf",
			"printf 'tls-protocols \"TLSv1.1 TLSv1.2\"\\n' >> /run/redis.conf",
			"cat >> /run/redis.conf <<EOF\ninclude /run/extra.conf\nEOF",
			"echo \"port $PORT\" >> /run/redis.conf",
		]),
		[],
	)
}

# A variable the container sets to a literal is read as its value; one it does not set is reported.
test_values_from_the_environment if {
	count(redis_runtime_settings.violation) == 0 with input as _pod("echo \"port $PORT\" >> /run/redis.conf\n", [{"name": "PORT", "value": "0"}])
	count(redis_runtime_settings.violation) == 1 with input as _pod("echo \"port $PORT\" >> /run/redis.conf\n", [{"name": "PORT", "value": "6380"}])
}

# A directive named by a variable, written to a file (a redirected group too): judged as the
# directive the environment or the mounted texts name, reported when nothing sets it to a literal.
test_directive_named_by_a_variable if {
	group := "{\n  echo \"$D 6379\"\n} >>\"$conf\"\n"
	count(redis_runtime_settings.violation) == 1 with input as _pod(group, [{"name": "D", "value": "port"}])
	count(redis_runtime_settings.violation) == 0 with input as _pod(group, [{"name": "D", "value": "replica-announce-port"}])
	count(redis_runtime_settings.violation) == 1 with input as _pod(group, [])
	count(redis_runtime_settings.violation) == 1 with input as _pod(concat("", ["D=PORT\n", group]), [])
	count(redis_runtime_settings.violation) == 0 with input as _pod(concat("", ["D='masteruser'\n", group]), [])
	count(redis_runtime_settings.violation) == 1 with input as _pod(concat("", ["D=$(cat /d)\n", group]), [])
	count(redis_runtime_settings.violation) == 1 with input as _pod("echo \"$D 0\" >> /run/redis.conf\n", [{"name": "D", "value": "tls-port"}])
	count(redis_runtime_settings.violation) == 1 with input as _pod("cat >> /run/r.conf <<EOF\n${D} 6379\nEOF\n", [{"name": "D", "value": "port"}])
}

# What goes to the container's output (a log line) is not configuration.
test_variable_named_log_lines_pass if {
	count(redis_runtime_settings.violation) == 0 with input as _pod("echo \"$HOST is starting\"\necho \"$HOST up\" >&2\ncat >> /r.conf <<'EOF'\n$D 6379\nEOF\n", [])
	count(redis_runtime_settings.violation) == 0 with input as _pod("while sleep 5; do\n  echo \"$(date) $STATE\"\ndone >> /var/log/watch.log\necho \"$HOST up\" > /proc/1/fd/1\n", [])
}

# A default value is one the variable may have; any other expansion is reported.
test_directive_named_by_an_expansion if {
	count(redis_runtime_settings.violation) == 1 with input as _pod("echo \"${D:-port} 6379\" >> /run/r.conf\n", [])
	count(redis_runtime_settings.violation) == 0 with input as _pod("echo \"${D:-replica-announce-ip} x\" >> /run/r.conf\n", [])
	count(redis_runtime_settings.violation) == 1 with input as _pod("echo \"${D:-replica-announce-ip} 0\" >> /run/r.conf\n", [{"name": "D", "value": "tls-port"}])
	count(redis_runtime_settings.violation) == 1 with input as _pod("echo \"$(printf port) 6379\" >> /run/r.conf\n", [])
	count(redis_runtime_settings.violation) == 1 with input as _pod("set_conf() {\n  echo \"$1 $2\" >> /run/r.conf\n}\nset_conf port 6379\n", [])
}

# Redirections before the command, however many.
test_redirections_first if {
	count(redis_runtime_settings.violation) == 1 with input as _pod("2>/dev/null >>/run/r.conf echo 'port 6379'\n", [])
	count(redis_runtime_settings.violation) == 1 with input as _pod("2> /dev/null >> /run/r.conf echo 'port 6379'\n", [])
}

# sed that removes or rewrites a judged line into something else: the gate cannot tell what is left.
test_sed_edits_of_judged_lines if {
	count(redis_runtime_settings.violation) == 1 with input as _pod("sed -i 's/^port 0$//' /run/r.conf\n", [])
	count(redis_runtime_settings.violation) == 1 with input as _pod("sed -i '/^tls-port/d' /run/r.conf\n", [])
	count(redis_runtime_settings.violation) == 1 with input as _pod("sed -i -e '/^port 0/!d' /run/r.conf\n", [])
	count(redis_runtime_settings.violation) == 0 with input as _pod("sed -i 's/^tls-port 6380/tls-port 6381/' /run/r.conf\nsed -i '/^replica-announce-port/d' /run/r.conf\nsed -i \"s/replace-default-auth/$AUTH/\" /run/r.conf\n", [])
}

# Lifecycle hooks and exec probes run in the container while redis runs: a CONFIG SET there (on
# their command line, or in a script of the ConfigMap they name) changes the running server.
_hooked(hooks) := {"resources": [
	{"file": "c.yaml", "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "scripts", "namespace": "n"}, "data": {"post-start.sh": "redis-cli config set tls-port 0\n"}}},
	{"file": "s.yaml", "object": {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "cache", "namespace": "n"}, "spec": {"template": {"spec": {
		"containers": [object.union({"name": "redis", "image": "redis:7.2.5", "command": ["redis-server", "/etc/redis/redis.conf"], "volumeMounts": [{"name": "s", "mountPath": "/scripts"}]}, hooks)],
		"volumes": [{"name": "s", "configMap": {"name": "scripts"}}],
	}}}}},
]}

test_hooks_and_probes if {
	count(redis_runtime_settings.violation) == 1 with input as _hooked({"lifecycle": {"postStart": {"exec": {"command": ["sh", "-c", "sleep 2; redis-cli config set port 6379"]}}}})
	count(redis_runtime_settings.violation) == 1 with input as _hooked({"livenessProbe": {"exec": {"command": ["redis-cli", "CONFIG", "SET", "tls-replication", "no"]}}})
	count(redis_runtime_settings.violation) == 1 with input as _hooked({"lifecycle": {"preStop": {"exec": {"command": ["sh", "/scripts/post-start.sh"]}}}})
	count(redis_runtime_settings.violation) == 0 with input as _hooked({"readinessProbe": {"exec": {"command": ["sh", "-c", "redis-cli --tls ping | grep -q PONG"]}}, "startupProbe": {"tcpSocket": {"port": 6379}}})
}

# CONFIG SET from a pod that runs no redis changes a server over the network; what such a pod
# writes into its own files is its own configuration.
_job(command) := {"resources": [{"file": "j.yaml", "object": {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "tune", "namespace": "n"}, "spec": {"template": {"spec": {
	"containers": [{"name": "tune", "image": "alpine:3.20", "command": ["sh", "-c", command]}],
	"restartPolicy": "Never",
}}}}}]}

test_config_set_from_another_pod if {
	count(redis_runtime_settings.violation) == 1 with input as _job("apk add redis && redis-cli -h cache --tls config set port 6379")
	count(redis_runtime_settings.violation) == 0 with input as _job("apk add redis && redis-cli -h cache --tls config set maxmemory 1gb")
	count(redis_runtime_settings.violation) == 0 with input as _job("echo 'port 8080' > /app/server.conf && kubectl config set-context dev && exec /app/server")
}

# The same through a client library's call (redis-py, ioredis).
test_config_set_through_a_client_library if {
	count(redis_runtime_settings.violation) == 1 with input as _job("pip install redis && python3 -c \"import redis; redis.Redis(host='cache', ssl=True).config_set('port', 6379)\"")
	count(redis_runtime_settings.violation) == 1 with input as _job("python3 -c \"import redis; r = redis.Redis(host='cache'); r.config_set(name='tls-replication', value='no')\"")
	count(redis_runtime_settings.violation) == 1 with input as _job("node -e \"new (require('ioredis'))({host: 'cache'}).config('SET', 'tls-port', '0')\"")
	count(redis_runtime_settings.violation) == 0 with input as _job("python3 -c \"import redis; redis.Redis(host='cache', ssl=True).config_set('maxmemory-policy', 'noeviction')\"")
}

_pod_with(files, script) := {"resources": [
	{"file": "c.yaml", "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "scripts", "namespace": "n"}, "data": object.union(files, {"start.sh": script, "member.env": "CONFIG_DIR=/scripts\n"})}},
	{"file": "s.yaml", "object": {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "cache", "namespace": "n"}, "spec": {"template": {"spec": {
		"containers": [{"name": "redis", "image": "redis:7.2.5", "command": ["sh", "/scripts/start.sh"], "volumeMounts": [
			{"name": "s", "mountPath": "/scripts"},
			{"name": "k", "mountPath": "/secrets"},
		]}],
		"volumes": [{"name": "s", "configMap": {"name": "scripts"}}, {"name": "k", "secret": {"secretName": "keys"}}],
	}}}}},
]}

_copy_messages(files, script) := messages if {
	messages := {v.msg | some v in redis_runtime_settings.violation} with input as _pod_with(files, script)
}

# A file copied into another at run time (`cat SRC >> "$conf"`) writes the directives of its text:
# judged where the gate reads the ConfigMap key it is (a literal path, or variables set to one),
# the last of each name as redis applies them; a file it cannot read is reported.
test_copied_files_are_read if {
	overrides := {"overrides": "port 6379\n", "tuning": "maxmemory 1gb\nport 6379\nport 0\n"}
	some m in _copy_messages(overrides, "cat \"$CONFIG_DIR/overrides\" >> \"$conf\"\n")
	contains(m, "`port 6379` opens a plaintext port")
	count(_copy_messages(overrides, "cat /scripts/tuning >> \"$conf\"\n")) == 0
	count(_copy_messages(overrides, "cat /scripts/tuning /scripts/overrides | tee -a /run/r.conf >/dev/null\n")) == 1
	count(_copy_messages(overrides, "{\n  cat /scripts/tuning\n  cat \"${CONFIG_DIR}/overrides\"\n} > /run/r.conf\n")) == 1
	count(_copy_messages(overrides, "cat /scripts/overrides >&2\ncat /scripts/overrides > /var/log/start.log\ncat /secrets/users.acl > /run/users.acl\n")) == 0
	some unread in _copy_messages(overrides, "cat /run/extra.conf >> /run/r.conf\n")
	contains(unread, "copies /run/extra.conf, which no ConfigMap of the pod gives it")
	count(_copy_messages(overrides, "cat \"$NOWHERE/overrides\" >> /run/r.conf\n")) == 1
	count(_copy_messages(overrides, "cat /etc/hostname > /data/host\nawk '{print $1}' \"$STATE\" > /tmp/peers\n")) == 0
}

# A filter of a file that sets a judged directive, or that the gate cannot read, is reported: which
# lines reach the file it cannot tell. A grep that keeps only lines of a word no judged directive
# starts with (the generator's sentinel reads its state so) is not, unless the file has them.
test_filtered_files_are_reported if {
	files := {"redis.conf": "port 0\ntls-port 6379\n", "notes": "maxmemory 1gb\n"}
	some m in _copy_messages(files, "grep -v '^port' /scripts/redis.conf > /run/r.conf\n")
	contains(m, "prints /scripts/redis.conf through a filter")
	count(_copy_messages(files, "head -n 1 /scripts/redis.conf > /run/r.conf\n")) == 1
	count(_copy_messages(files, "awk '{print}' \"$STATE\" >> /run/r.conf\n")) == 1
	count(_copy_messages(files, "grep -E '^sentinel (myid|current-epoch) ' \"$STATE\" >> /run/r.conf || true\n")) == 0
	count(_copy_messages(files, "grep '^tls' \"$STATE\" >> /run/r.conf\n")) == 1
	count(_copy_messages(files, "grep '^user ' /scripts/redis.conf >> /run/r.conf\n")) == 1
	count(_copy_messages(files, "grep -v '^#' /scripts/notes >> /run/r.conf\nsort /scripts/notes > /run/r.conf\n")) == 0
	count(_copy_messages(files, "if grep -q '^port 0' /scripts/redis.conf; then echo ok >&2; fi\n")) == 0
}

# A whole directive line in one variable (assigned with quotes, or by a `for` loop), printf filling a
# conversion it has no argument for with nothing, tab escapes and quotes that only join words.
test_whole_lines_and_escapes if {
	count(redis_runtime_settings.violation) == 1 with input as _pod("LINE=\"port 6379\"\necho \"$LINE\" >> \"$conf\"\n", [])
	count(redis_runtime_settings.violation) == 0 with input as _pod("LINE='replica-announce-ip x'\necho \"$LINE\" >> \"$conf\"\n", [])
	count(redis_runtime_settings.violation) == 1 with input as _pod("for l in 'maxmemory 1gb' 'tls-port 0'; do\n  echo \"$l\"\ndone >> \"$conf\"\n", [])
	count(redis_runtime_settings.violation) == 1 with input as _pod("L='tls-replication no'\nprintf '%s %s\\n' \"$L\" >> \"$conf\"\n", [])
	count(redis_runtime_settings.violation) == 1 with input as _pod("L='tls-replication no'\nsed -i \"\\$a $L\" \"$conf\"\n", [])
	count(redis_runtime_settings.violation) == 1 with input as _pod("printf 'port\\t6379\\n' >> \"$conf\"\n", [])
	count(redis_runtime_settings.violation) == 1 with input as _pod("echo \"po\"\"rt 6379\" >> \"$conf\"\n", [])
	count(redis_runtime_settings.violation) == 0 with input as _pod("sed -i \"s/REPLACE_HOST/$HOST/\" \"$conf\"\necho \"$HOST\" >&2\n", [])
	count(redis_runtime_settings.violation) == 0 with input as _pod("echo \"$POD_IP\" > /data/announce-ip\nprintf '%s' \"$(cat /secrets/pass)\" > /run/pass\n", [])
}

# Here-strings (bash) into a file: their word, `$'...'` escapes and a whole line in a variable.
test_here_strings if {
	count(redis_runtime_settings.violation) == 1 with input as _pod("cat >> \"$conf\" <<< \"port 6379\"\n", [])
	count(redis_runtime_settings.violation) == 1 with input as _pod("tee -a \"$conf\" <<< $'maxmemory 1gb\\ntls-port 0' >/dev/null\n", [])
	count(redis_runtime_settings.violation) == 1 with input as _pod("L='tls-replication no'\n{\n  cat <<< \"$L\"\n} >> \"$conf\"\n", [])
	count(redis_runtime_settings.violation) == 0 with input as _pod("cat <<< \"port 6379 stays closed\"\ncat >> \"$conf\" <<< 'maxmemory 1gb'\n", [])
}

# Edits whose outcome the gate does not read, of a configuration: each reported once; the same
# programs on other files, appends, reads and edits of other lines are not.
test_unread_edits_of_a_configuration if {
	every script in [
		"sed -i '1d' \"$conf\"",
		"sed -i '$d' /run/redis.conf",
		"sed -i -e '/^port/s/0/6379/' \"$conf\"",
		"sed '2,3c x' /etc/redis/redis.conf > /run/redis.conf",
		"perl -pi -e 's/^port 0/port 6379/' /run/redis.conf",
		"printf '%s\\n' 1d w | ed -s /run/redis.conf",
		"python3 -c \"open('/run/redis.conf', 'a').write('port 6379')\"",
		"gawk -i inplace '{print}' /run/redis.conf",
		": > /run/redis.conf",
		"true; echo 'tls-port 6380' > \"$conf\"",
		"cat > /run/redis.conf <<EOF\nreplica-announce-ip x\nEOF",
		"echo 'tls-port 6380' | tee \"$conf\" > /dev/null",
		"rm -f \"$conf\"",
	] {
		count(redis_runtime_settings.violation) > 0 with input as _pod(script, [])
	}
	every script in [
		"sed -i '$a replica-announce-ip 10.0.0.1' /run/redis.conf",
		"sed -i 's/^replica-announce-ip .*/replica-announce-ip y/' \"$conf\"",
		"sed -i '/^replica-announce-ip/s/x/y/' \"$conf\"",
		"perl -pi -e 's/a/b/' /tmp/notes.txt",
		"python3 -c \"print(open('/run/redis.conf').read())\"",
		"echo 'replica-announce-ip x' >> /run/redis.conf",
		"echo ready > /tmp/state",
		"rm -f \"$conf.next\" /tmp/redis.conf.lock",
		"echo 'replica-announce-ip x' | tee -a \"$conf\"",
		"echo \"$HOST\" > \"$conf.host\"",
		"echo a > /run/redis.conf.notes; perl -pi -e 's/a/b/' /run/redis.conf.notes",
		"cat /etc/hostname > /run/host",
	] {
		count(redis_runtime_settings.violation) == 0 with input as _pod(script, [])
	}
}

# A copy on the same line as the filter that made its file (after `;`): a copy of a file no
# ConfigMap gives.
test_copy_after_a_semicolon if {
	count(redis_runtime_settings.violation) == 1 with input as _pod("grep -v '^port' /run/a.conf > /tmp/z; cat /tmp/z > \"$conf\"\n", [])
}
