package rules.secrets.no_plaintext_secret_test

import data.rules.secrets.no_plaintext_secret

_secret(fields) := {"resources": [{
	"file": "dist/c1/orders/secret-orders-acl.yaml",
	"object": object.union(
		{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "orders-acl", "namespace": "redis-orders"}},
		fields,
	),
}]}

test_secret_with_data_is_flagged if {
	violations := no_plaintext_secret.violation with input as _secret({"data": {"password": "aHVudGVyMg==", "acl": "dXNlcg=="}})
	violations == {{
		"msg": "Secret orders-acl holds plaintext values (keys: acl, password): seal it with kubeseal and commit the SealedSecret instead",
		"resource": {"apiVersion": "v1", "kind": "Secret", "namespace": "redis-orders", "name": "orders-acl"},
		"file": "dist/c1/orders/secret-orders-acl.yaml",
	}}
}

test_secret_with_string_data_is_flagged if {
	count(no_plaintext_secret.violation) == 1 with input as _secret({"stringData": {"users.acl": "user default on >hunter2"}})
}

test_keys_of_data_and_string_data_are_listed_once if {
	some v in no_plaintext_secret.violation with input as _secret({"data": {"a": "eA=="}, "stringData": {"a": "x", "b": "y"}})
	contains(v.msg, "(keys: a, b)")
}

test_empty_secrets_are_allowed if {
	count(no_plaintext_secret.violation) == 0 with input as _secret({})
	count(no_plaintext_secret.violation) == 0 with input as _secret({"data": {}, "stringData": {}})
	count(no_plaintext_secret.violation) == 0 with input as _secret({"data": null})
}

test_sealed_secrets_are_allowed if {
	sealed := {"resources": [{"file": "s.yaml", "object": {
		"apiVersion": "bitnami.com/v1alpha1",
		"kind": "SealedSecret",
		"metadata": {"name": "orders-acl", "namespace": "redis-orders"},
		"spec": {"encryptedData": {"users.acl": "AgB4..."}},
	}}]}
	count(no_plaintext_secret.violation) == 0 with input as sealed
}

_application(spec) := {"resources": [{
	"file": "apps/app.yaml",
	"object": {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "web", "namespace": "argocd"}, "spec": spec},
}]}

test_application_repo_url_with_a_token if {
	violations := no_plaintext_secret.violation with input as _application({"sources": [
		{"repoURL": "https://oauth2:glpat-abc123@gitlab.example.com/shop/web.git"},
		{"repoURL": "https://gitlab.example.com/shop/charts.git"},
	]})
	[v.msg | some v in violations] == ["Application web has a repoURL with a token or password in it: give Argo CD the repository's credentials in a repository Secret"]
	count(no_plaintext_secret.violation) == 0 with input as _application({"source": {"repoURL": "https://gitlab.example.com/shop/web.git"}})
	count(no_plaintext_secret.violation) == 0 with input as _application({"source": {"repoURL": "git@github.com:shop/web.git"}})
}

test_application_repo_url_with_a_token_as_the_user if {
	every url in ["https://ghp_abcdefghij0123456789@github.com/shop/web.git", "HTTP://glpat-abc123@gitlab.example.com/shop/web.git"] {
		count(no_plaintext_secret.violation) == 1 with input as _application({"source": {"repoURL": url}})
	}
}

test_application_repo_url_with_an_ssh_user_or_an_at_sign_in_its_path if {
	every url in ["ssh://git@github.com/shop/web.git", "https://gitlab.example.com/shop/web@2.git", "https://@gitlab.example.com/shop/web.git"] {
		count(no_plaintext_secret.violation) == 0 with input as _application({"source": {"repoURL": url}})
	}
}

_sealed_with_template(template_data) := {"resources": [{
	"file": "dist/c1/orders/sealedsecret-orders-auth.yaml",
	"object": {
		"apiVersion": "bitnami.com/v1alpha1",
		"kind": "SealedSecret",
		"metadata": {"name": "orders-auth", "namespace": "redis-orders"},
		"spec": {"encryptedData": {"password": "AgB4..."}, "template": {"data": template_data}},
	},
}]}

test_sealed_secret_template_values_that_read_the_sealed_values_pass if {
	every value in [
		`{{ index . "password" }}`, "{{.password}}", "{{- .password -}}", "{{ $.password }}", "{{.}}",
		`user=cache pass={{ .password | b64enc }}`, `{{ printf "%s" (index . "password") }}`,
		`{{ "}}" }}{{ .password }}`, "{{/* comment */}}{{ index . `password` }}",
		"", # empty: nothing to hide
	] {
		count(no_plaintext_secret.violation) == 0 with input as _sealed_with_template({"url": value})
	}
}

test_sealed_secret_template_values_written_as_they_are_are_plaintext if {
	every value in [
		"hunter2", `{{ "hunter2" }}`, `{{ "hunter2 ." }}`, "{{ `hunter2 .password` }}", "{{/* .password */}}hunter2",
		`{{ printf "%s" "hunter2" }}`, 7,
	] {
		[v.msg | some v in no_plaintext_secret.violation with input as _sealed_with_template({"admin-password": value, "ok": "{{ .password }}"})] == [`SealedSecret orders-auth has spec.template.data values that are written as they are into the Secret, in plaintext (keys: admin-password): seal them into encryptedData, or make them templates that read the sealed values ({{ index . "key" }})`]
	}
}
