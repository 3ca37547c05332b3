package rules.secrets.no_private_key_in_configmap_test

import data.lib.testing
import data.rules.secrets.no_private_key_in_configmap

_messages(cm) := msgs if {
	msgs := testing.messages(no_private_key_in_configmap.violation) with input as testing.input_of([cm])
}

_key := "-----BEGIN PRIVATE KEY-----\nMIG...\n-----END PRIVATE KEY-----\n"

test_certificates_pass if {
	count(_messages(testing.config_map("ca", {"ca.crt": "-----BEGIN CERTIFICATE-----\nMII...\n-----END CERTIFICATE-----\n"}))) == 0
	count(_messages(object.union(testing.config_map("ca", {}), {"binaryData": {"bin": "not base64!"}}))) == 0
}

test_keys_in_data_and_binary_data if {
	cm := object.union(testing.config_map("tls", {"tls.key": _key}), {"binaryData": {"key.der": base64.encode(replace(_key, "PRIVATE", "EC PRIVATE"))}})
	_messages(cm) == {"ConfigMap tls key tls.key holds a private key", "ConfigMap tls key key.der holds a private key"}
}
