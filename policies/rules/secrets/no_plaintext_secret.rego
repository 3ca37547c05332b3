# METADATA
# title: No plaintext Secrets in Git
# description: >-
#   A v1 Secret with values in `data` or `stringData` puts those values in Git in plaintext
#   (base64 is an encoding, not encryption). Secrets must be committed as SealedSecrets, which only
#   the cluster's sealed-secrets controller can decrypt; it creates the Secret in the cluster. A
#   Secret with no values (e.g. one a controller fills in) is allowed.
# custom:
#   severity: error
#   remediation: >-
#     Seal the Secret (kubeseal --format yaml < secret.yaml > sealedsecret.yaml), commit the
#     SealedSecret and delete the plaintext Secret from Git (and rotate the values it exposed).
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
