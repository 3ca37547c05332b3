# METADATA
# description: >-
#   What the rules read of a ConfigMap text, for the gate to compute once per distinct text and hand
#   back as data (data.text_facts, keyed by the text): the scripts of a fleet's deployments are the
#   same text in every namespace, and reading them was a fifth of each namespace's evaluation. Each
#   fact is the very function the rules call when the memo does not hold the text, so a text's
#   verdicts are the same with or without it (test/gate-memo.test.ts checks that). Only lib
#   functions: lib/ is loaded alone by some tests (test/shell-arrays.process.test.ts).
package memo

import data.lib.k8s
import data.lib.redis

# Input: {"texts": [text, ...]}.
facts := {text: text_facts(text) | some text in input.texts}

text_facts(text) := {
	"config_names": redis.read_config_names(text),
	"script_invocations": redis.read_script_invocations(text),
	"unread_server_names": redis.read_unread_server_names(text),
	"written_settings": redis.read_written_settings(text),
	"cli_password": [what | what := k8s.read_cli_password(text)],
	"url_with_password": _url_with_password(text),
	"assignments": redis.read_assignments(text),
	"config_set": redis.read_says_config_set(text),
	"file_copies": redis.read_file_copies(text),
	"path_variables": redis.read_path_variables(text),
}

_url_with_password(text) if k8s.read_url_with_password(text)

else := false
