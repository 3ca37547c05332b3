# METADATA
# title: No private keys in ConfigMaps
# description: >-
#   No ConfigMap value (data, or binaryData once base64-decoded) holds a PEM private key (a
#   "-----BEGIN ... PRIVATE KEY-----" block, RSA, EC, OpenSSH and encrypted PKCS#8 ones included):
#   a ConfigMap is plaintext in Git and readable by every Viewer. Certificates and CA bundles are
#   fine.
# custom:
#   severity: error
#   remediation: >-
#     Put the key in a SealedSecret and mount the Secret; publish only the certificate in the
#     ConfigMap.
package rules.secrets.no_private_key_in_configmap

import data.lib.k8s

violation contains k8s.violation(entry, msg) if {
	some entry in k8s.of_kind("ConfigMap")
	some key, text in k8s.config_map_files(entry.object)
	contains(text, "PRIVATE KEY-----")
	contains(text, "-----BEGIN ")
	msg := sprintf("ConfigMap %s key %s holds a private key", [k8s.name(entry.object), key])
}
