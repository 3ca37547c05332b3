# METADATA
# title: No plaintext Secrets in Git
# description: >-
#   A v1 Secret with values in `data` or `stringData` puts those values in Git in plaintext
#   (base64 is an encoding, not encryption). Secrets must be committed as SealedSecrets, which only
#   the cluster's sealed-secrets controller can decrypt; it creates the Secret in the cluster. A
#   Secret with no values (e.g. one a controller fills in) is allowed. A SealedSecret's
#   spec.template.data is not sealed: the controller runs each value as a Go template over the
#   decrypted values and puts the output in the Secret, so a value no part of which reads them
#   (`{{ index . "key" }}`, `{{ .key }}`) is a plaintext value in Git. Nor does an Argo CD
#   Application or ApplicationSet carry a token in a repoURL (https://user:token@host): Argo CD takes
#   a repository's credentials from its own repository Secrets.
# custom:
#   severity: error
#   remediation: >-
#     Seal the Secret (kubeseal --format yaml < secret.yaml > sealedsecret.yaml), commit the
#     SealedSecret and delete the plaintext Secret from Git (and rotate the values it exposed). For a
#     repoURL, give Argo CD the credentials in a repository Secret (sealed) and rotate the token.
package rules.secrets.no_plaintext_secret

import data.lib.k8s

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("Secret")
	entry.object.apiVersion == "v1"
	keys := _keys(entry.object, "data") | _keys(entry.object, "stringData")
	count(keys) > 0
	msg := sprintf(
		"Secret %s holds plaintext values (keys: %s): seal it with kubeseal and commit the SealedSecret instead",
		[k8s.name(entry.object), concat(", ", sort(keys))],
	)
}

_keys(obj, field) := object.keys(obj[field]) if is_object(obj[field])

else := set()

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("SealedSecret")
	startswith(entry.object.apiVersion, "bitnami.com/")
	template_data := object.get(entry.object, ["spec", "template", "data"], {})
	is_object(template_data)
	keys := {key | some key, value in template_data; value != ""; not _reads_sealed_values(value)}
	count(keys) > 0
	msg := sprintf(
		"SealedSecret %s has spec.template.data values that are written as they are into the Secret, in plaintext (keys: %s): seal them into encryptedData, or make them templates that read the sealed values ({{ index . \"key\" }})",
		[k8s.name(entry.object), concat(", ", sort(keys))],
	)
}

# A template.data value some action of which reads the decrypted values: the controller executes it
# with them as `.` (sealed-secrets v0.27 Unseal, text/template with sprig's functions). Inside an
# action, string literals and comments are skipped as the template lexer skips them:
# {{ "s3cret ." }} reads nothing.
_reads_sealed_values(value) if {
	is_string(value)
	some action in regex.find_all_string_submatch_n(_action, value, -1)
	some token in regex.find_all_string_submatch_n(_token, action[0], -1)
	token[1] == "."
}

# Go template literals: "interpreted" and `raw` strings, and comments.
_literal := concat("|", [`"(?:\\[\s\S]|[^"\\])*"`, "`[^`]*`", `/\*[\s\S]*?\*/`])

_action := concat("", [`\{\{(?:`, _literal, "|[^\"`/}]|/|\\}[^}\"`])*\\}\\}"])

# A literal (skipped), or a dot that starts a reference: `.`, `.key`, `$.key`, `(index . "k")`.
_token := concat("", [_literal, `|(\.)(?:[A-Za-z_]|[\s)|,}-]|$)`])

violation contains k8s.violation(entry, msg) if {
	some entry in input.resources
	startswith(entry.object.apiVersion, "argoproj.io/")
	some url in _repo_urls(entry.object)
	_repo_url_with_credentials(url)
	msg := sprintf("%s %s has a repoURL with a token or password in it: give Argo CD the repository's credentials in a repository Secret", [entry.object.kind, k8s.name(entry.object)])
}

# A password anywhere, or over http(s) any user name: git sends a token there as the user
# (https://<token>@host, as GitHub and GitLab document it). ssh's user (ssh://git@host, git@host:path)
# is no secret. The same rule as argocd.repoURL in the generator's input (src/config/schema.ts).
_repo_url_with_credentials(url) if k8s.url_with_password(url)

_repo_url_with_credentials(url) if {
	some match in regex.find_all_string_submatch_n(`^(?i)https?://([^/?#]*)@`, url, 1)
	match[1] != ""
}

# The repoURLs of an Application (spec.source, spec.sources) or of an ApplicationSet's template.
_repo_urls(obj) := {url |
	some spec in [object.get(obj, "spec", {}), object.get(obj, ["spec", "template", "spec"], {})]
	some source in array.concat([object.get(spec, "source", {})], object.get(spec, "sources", []))
	url := source.repoURL
	is_string(url)
}
