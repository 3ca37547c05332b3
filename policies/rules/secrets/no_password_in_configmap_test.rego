package rules.secrets.no_password_in_configmap_test

import data.lib.testing
import data.rules.secrets.no_password_in_configmap

_messages(values) := msgs if {
	msgs := testing.messages(no_password_in_configmap.violation) with input as testing.input_of([testing.config_map("cfg", values)])
}

test_configs_without_passwords_pass if {
	count(_messages({"redis.conf": "port 0\naclfile /secrets/users.acl\nrequirepass \"\"\n", "start.sh": "echo \"masterauth $(cat /secrets/p)\"\n"})) == 0
}

test_password_keys_and_directives if {
	_messages({
		"ADMIN_PASSWORD": "x",
		"redis.conf": "port 0\nrequirepass s3cret\nmasterauth s3cret\nuser app on >s3cret ~* +@all\n",
		"sentinel.conf": "sentinel monitor m h 6379 2\nsentinel auth-pass m s3cret\nsentinel sentinel-pass s3cret\n",
	}) == {
		"ConfigMap cfg key ADMIN_PASSWORD is named like a password: keep it in a SealedSecret",
		"ConfigMap cfg key redis.conf line 2: `requirepass` sets a password in plaintext",
		"ConfigMap cfg key redis.conf line 3: `masterauth` sets a password in plaintext",
		"ConfigMap cfg key redis.conf line 4: ACL `user app` sets a password in plaintext",
		"ConfigMap cfg key sentinel.conf line 2: `sentinel auth-pass` sets a password in plaintext",
		"ConfigMap cfg key sentinel.conf line 3: `sentinel sentinel-pass` sets a password in plaintext",
	}
}

# A placeholder a start script of the namespace replaces (`sed "s/replace-default-auth/..."`, as the
# redis-ha chart does) is no password; the same directive with a value no script replaces is one.
test_placeholders_replaced_at_start_are_not_passwords if {
	script := "if [ \"${AUTH:-}\" ]; then\n  sed -i \"s/replace-default-auth/${ESCAPED_AUTH}/\" \"$REDIS_CONF\" \"$SENTINEL_CONF\"\nfi\n"
	count(_messages({"redis.conf": "requirepass replace-default-auth\nmasterauth replace-default-auth\n", "sentinel.conf": "sentinel auth-pass m replace-default-auth\n", "init.sh": script})) == 0
	_messages({"redis.conf": "requirepass replace-default-auth\nmasterauth s3cret\n", "init.sh": script}) == {"ConfigMap cfg key redis.conf line 2: `masterauth` sets a password in plaintext"}
}

test_urls_with_a_literal_password if {
	_messages({
		"REDIS_URL": "rediss://shop:hunter2@cache.redis-sample.svc:6379/0",
		"FROM_SECRET": "rediss://shop:$(CACHE_AUTH)@cache:6379/0",
		"PLAIN": "rediss://cache:6379/0",
		"GIT_REMOTE": "https://github_pat_EXAMPLE0example1EXAMPLE2_example@github.com/shop/config.git",
		"USER_ONLY": "https://deploy@git.example.com/shop/config.git",
	}) == {
		"ConfigMap cfg key REDIS_URL holds a URL with a literal password: keep the password in a SealedSecret ($(VAR) in the URL, VAR from the Secret)",
		"ConfigMap cfg key GIT_REMOTE holds a URL with a literal password: keep the password in a SealedSecret ($(VAR) in the URL, VAR from the Secret)",
	}
}
