# METADATA
# description: >-
#   Kubernetes helpers shared by the rules: resource identity, violation records, the pod template
#   of every workload kind, its containers (init and ephemeral ones included), label selectors.
#   Entries are the gate's {"file", "object"} pairs.
package lib.k8s

# The identity a violation reports; namespace is "" when the manifest states none (cluster-scoped).
resource(obj) := {
	"apiVersion": object.get(obj, "apiVersion", ""),
	"kind": object.get(obj, "kind", ""),
	"namespace": object.get(obj, ["metadata", "namespace"], ""),
	"name": object.get(obj, ["metadata", "name"], ""),
}

# A violation record about the object of an entry.
violation(entry, msg) := {"msg": msg, "resource": resource(entry.object), "file": entry.file}

# The name of an object ("" when it has none).
name(obj) := object.get(obj, ["metadata", "name"], "")

# Entries of one kind among the resources under evaluation, in the input's order.
of_kind(kind) := object.get(_by_kind, kind, [])

# The entries by kind, worked out once per evaluation: OPA's wasm keeps the value of a rule without
# arguments, not a function's, and of_kind is called from dozens of places, some once per volume or
# workload (a scan of every resource each time was 3% of the policy's time).
_by_kind := {kind: [entry | some entry in input.resources; entry.object.kind == kind] | some kind in {e.object.kind | some e in input.resources}}

# The entries of a kind with a name, in the input's order ([] when there are none).
named(kind, wanted) := [entries[i] | some i in object.get(_names, [kind, wanted], [])] if entries := _by_kind[kind]

else := []

# Per kind, the positions in of_kind of each name's entries: {kind: {name: [i, ...]}}. Worked out once
# per evaluation, by sorting (names and positions): a lookup that scanned every entry of the kind, at
# each mount of each pod, made the policy's time grow with the square of a namespace's objects (10 s
# for one of 1,500 objects).
_names := {kind: _positions_by_name(entries) | some kind, entries in _by_kind}

_positions_by_name(entries) := {pairs[first][0]: [pairs[k][1] | some k in numbers.range(first, ends[j] - 1)] |
	pairs := sort([[name(entry.object), i] | some i, entry in entries])
	firsts := [k | some k, _ in pairs; _first_of_its_name(pairs, k)]
	ends := array.concat(array.slice(firsts, 1, count(firsts)), [count(pairs)]) # each name's run ends where the next begins
	some j, first in firsts
}

_first_of_its_name(_, 0)

_first_of_its_name(pairs, k) if pairs[k - 1][0] != pairs[k][0]

# Kinds whose spec.template is a pod template.
_template_kinds := {"DaemonSet", "Deployment", "Job", "ReplicaSet", "ReplicationController", "StatefulSet"}

# The pod template ({metadata, spec}) of a workload; a bare Pod is its own template. Undefined
# for objects that run no pods.
pod_template(obj) := obj if obj.kind == "Pod"

pod_template(obj) := obj.spec.template if _template_kinds[obj.kind]

pod_template(obj) := obj.spec.jobTemplate.spec.template if obj.kind == "CronJob"

# A kind of a custom resource definition (an Argo Rollout, a Knative Service, an OpenKruise CloneSet,
# ...) runs pods from its spec.template as a Deployment does: where that is a pod template (it has
# containers), it is checked as one, rather than passed because the gate does not know the kind.
pod_template(obj) := obj.spec.template if {
	not _builtin_pod_kinds[obj.kind]
	is_array(obj.spec.template.spec.containers)
}

_builtin_pod_kinds := _template_kinds | {"Pod", "CronJob"}

# The labels a workload gives its pods ({} when none).
pod_labels(obj) := object.get(pod_template(obj), ["metadata", "labels"], {})

# The entries that run pods, with their pods' labels: [{"entry", "labels"}], once per evaluation for
# rules that match every Service's selector against them (a pod template looked for in every object,
# for each Service, grew with the square of a namespace's objects).
workloads := [{"entry": entry, "labels": labels} | some entry in input.resources; labels := pod_labels(entry.object)]

_container_roles := {"containers": "container", "initContainers": "init container", "ephemeralContainers": "ephemeral container"}

# Every container of a workload's pods: [{"role": "container" | "init container" |
# "ephemeral container", "container": {...}}].
containers(obj) := [c |
	spec := object.get(pod_template(obj), "spec", {})
	some field, role in _container_roles
	some container in object.get(spec, field, [])
	c := {"role": role, "container": container}
]

# Whether a label selector ({matchLabels, matchExpressions}) selects a set of labels.
selector_matches(selector, labels) if {
	every key, value in object.get(selector, "matchLabels", {}) {
		labels[key] == value
	}
	every expr in object.get(selector, "matchExpressions", []) {
		_expression_matches(expr, labels)
	}
}

_expression_matches(expr, labels) if {
	expr.operator == "In"
	labels[expr.key] in expr.values
}

# A label the pod does not have is not in the values (`not labels[key] in values` would be
# undefined then, not true).
_expression_matches(expr, labels) if {
	expr.operator == "NotIn"
	not _label_in(labels, expr.key, expr.values)
}

_expression_matches(expr, labels) if {
	expr.operator == "Exists"
	_ = labels[expr.key]
}

_expression_matches(expr, labels) if {
	expr.operator == "DoesNotExist"
	not labels[expr.key]
}

_label_in(labels, key, values) if labels[key] in values

# PodDisruptionBudgets of the workload's namespace whose selector, with non-empty matchLabels,
# selects its pods. (An empty selector would select every pod of the namespace, which is never what
# a budget for one workload means.)
budgets_selecting(workload) := [pdb |
	some pdb_entry in of_kind("PodDisruptionBudget")
	pdb := pdb_entry.object
	object.get(pdb, ["metadata", "namespace"], "") == object.get(workload, ["metadata", "namespace"], "")
	selector := object.get(pdb, ["spec", "selector"], {})
	count(object.get(selector, "matchLabels", {})) > 0
	selector_matches(selector, pod_labels(workload))
]

# The number of pods a workload asks for (Kubernetes' default: 1). A value that is not a number is
# schema.invalid's to report; taking it as 1 keeps messages (and the JS SDK's sprintf %d, which
# throws on a string) working.
replicas(obj) := n if {
	n := object.get(obj, ["spec", "replicas"], 1)
	is_number(n)
} else := 1

zone_key := "topology.kubernetes.io/zone"

# The zones a workload's pods are confined to by a nodeSelector or by every term of a required
# node affinity (In on the zone label); undefined when they may run in any zone.
zones(obj) := {obj_zone} if {
	obj_zone := pod_template(obj).spec.nodeSelector[zone_key]
} else := found if {
	terms := pod_template(obj).spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms
	count(terms) > 0
	every term in terms {
		_zone_values(term)
	}
	found := {z | some term in terms; some z in _zone_values(term)}
}

_zone_values(term) := {z |
	some e in term.matchExpressions
	e.key == zone_key
	e.operator == "In"
	some z in e.values
} if {
	some e in term.matchExpressions
	e.key == zone_key
	e.operator == "In"
}

# Whether a workload's own pods must land in distinct zones (required anti-affinity on the zone
# selecting them, or a DoNotSchedule topology spread over zones with maxSkew 1 selecting them).
spread_over_zones(obj) if {
	some term in pod_template(obj).spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution
	term.topologyKey == zone_key
	selector_matches(term.labelSelector, pod_labels(obj))
}

spread_over_zones(obj) if {
	some constraint in pod_template(obj).spec.topologySpreadConstraints
	constraint.topologyKey == zone_key
	constraint.whenUnsatisfiable == "DoNotSchedule"
	constraint.maxSkew == 1
	selector_matches(constraint.labelSelector, pod_labels(obj))
}

# A container's command and args as the kubelet runs them (k8s.io/kubernetes
# pkg/kubelet/container.ExpandContainerCommandAndArgs, third_party/forked/golang/expansion): each
# `$(NAME)` replaced by the value of the container's variable NAME (see literal_env), `$$` by `$`. A
# reference to a variable the gate does not know (undefined, as the kubelet leaves it too, or set
# from what the input does not show) is left as written.
command(container) := _expanded(object.get(container, "command", []), container)

args(container) := _expanded(object.get(container, "args", []), container)

_expanded(parts, container) := [expand(part, env) |
	env := literal_env(container)
	some part in parts
] if {
	some part in parts
	contains(part, "$")
} else := parts

# The variables of a container whose values the input shows, as the kubelet sets them
# (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables): `envFrom` first, in order (each key of a
# ConfigMap's data, or of a plain Secret's, with the prefix; keys that are not variable names are
# skipped), then `env` in order (a literal value, `$$` read as `$`; a key of a ConfigMap or of a plain
# Secret of the input); a later definition replaces an earlier one, and an optional reference to a key
# the input's ConfigMap lacks is skipped. Left out, so that a reference to it stays as written: a
# variable whose last definition the gate cannot read (a Secret it does not hold, a field, a value
# referring to variables it cannot resolve: see _with_references), and one defined only by `envFrom`
# before a ConfigMap or Secret the input does not hold (which may define any name).
literal_env(container) := {d.name: d.value |
	defs := _with_references(_env_definitions(container))
	some i, d in defs
	d.name != null
	i == max([j | some j, f in defs; f.name == d.name])
	i > max(array.concat([-1], [j | some j, f in defs; f.name == null]))
	"value" in object.keys(d)
}

# The definitions with each literal value that refers to variables (`$(A)-x`) expanded as the kubelet
# expands it, with the variables set before it: known where every variable it names is either set
# before it to a value the gate knows (not itself one that refers to others: one level is followed)
# or not set before it at all (the kubelet then keeps `$(A)` as written).
_with_references(defs) := [_referenced(defs, i, d) | some i, d in defs]

_referenced(defs, i, d) := d if not d.refers

else := {"name": d.name, "value": expand(d.refers, env)} if {
	before := array.slice(defs, 0, i)
	wildcard := max(array.concat([-1], [j | some j, f in before; f.name == null]))
	env := {f.name: f.value |
		some j, f in before
		f.name != null
		j == max([k | some k, g in before; g.name == f.name])
		j > wildcard
		"value" in object.keys(f)
	}
	every name in _referenced_names(d.refers) {
		_resolvable(name, env, before, wildcard)
	}
} else := {"name": d.name}

_resolvable(name, env, _, _) if env[name]

_resolvable(name, _, before, wildcard) if {
	wildcard < 0
	not name in {f.name | some f in before}
}

# The names of the `$(NAME)` references expand replaces in a string (read left to right, as it reads).
_referenced_names(s) := [substring(ref[0], 2, count(ref[0]) - 3) |
	some ref in regex.find_all_string_submatch_n(_reference, s, -1)
	startswith(ref[0], "$(")
	endswith(ref[0], ")")
]

# The container's definitions in the kubelet's order: [{"name", "value"?}], "value" absent where the
# gate cannot read it, "refers" in its place for a literal value that refers to variables; {"name":
# null} for an envFrom source the input does not hold.
_env_definitions(container) := array.concat(
	[d | some from in object.get(container, "envFrom", []); some d in _from_definitions(from)],
	[d | some e in object.get(container, "env", []); some d in _entry_definitions(e)],
)

_from_definitions(from) := [{"name": name, "value": value} |
	some key, value in values
	name := concat("", [object.get(from, "prefix", ""), key])
	regex.match(`^[-._a-zA-Z][-._a-zA-Z0-9]*$`, name)
] if {
	values := _source_data(from)
} else := [{"name": null}]

_entry_definitions(e) := [{"name": e.name, "value": expand(object.get(e, "value", ""), {})}] if {
	not e.valueFrom
	not contains(object.get(e, "value", ""), "$(")
} else := [{"name": e.name, "refers": e.value}] if {
	not e.valueFrom
	is_string(e.value)
} else := [{"name": e.name, "value": value}] if {
	value := _source_data(e.valueFrom)[_reference_of(e.valueFrom).key]
	is_string(value)
} else := [] if {
	# The input holds the ConfigMap or Secret, without the key: an optional reference is skipped.
	_reference_of(e.valueFrom).optional == true
	_source_data(e.valueFrom)
} else := [{"name": e.name}]

# The ConfigMap or Secret an envFrom source or a valueFrom names.
_reference_of(source) := source.configMapRef

_reference_of(source) := source.secretRef

_reference_of(source) := source.configMapKeyRef

_reference_of(source) := source.secretKeyRef

# The data of the ConfigMap or plain Secret a source names, where the input holds it.
_source_data(source) := config_map_data(_reference_of(source).name) if _config_map_reference(source)

_source_data(source) := plain_secret_data(_reference_of(source).name) if not _config_map_reference(source)

# The files a ConfigMap volume shows, by key: its data, and its binaryData decoded (the kubelet
# writes both as files; a configuration in binaryData configures as one in data).
config_map_files(obj) := object.union(
	{key: text | some key, text in object.get(obj, "data", {}); is_string(text)},
	{key: base64.decode(encoded) | some key, encoded in object.get(obj, "binaryData", {}); is_string(encoded); base64.is_valid(encoded)},
)

# The data of the input's ConfigMap of that name, as environment variables see it (envFrom,
# configMapKeyRef): its `data` (the kubelet reads no `binaryData` into variables). Undefined where
# the input holds none.
config_map_data(name) := object.get(config_maps[0], "data", {}) if {
	config_maps := of_named("v1", "ConfigMap", name)
	count(config_maps) > 0
}

# The values of the input's Secret of that name, a Secret in git in plaintext (not sealed): its
# `data` decoded and its `stringData` (which the API server merges into `data`). Undefined where the
# input holds none.
plain_secret_data(name) := object.union(
	{key: base64.decode(v) | some key, v in object.get(secret, "data", {}); is_string(v); base64.is_valid(v)},
	{key: v | some key, v in object.get(secret, "stringData", {}); is_string(v)},
) if {
	secret := of_named("v1", "Secret", name)[0]
}

_config_map_reference(source) if source.configMapRef

_config_map_reference(source) if source.configMapKeyRef

# The objects of an API version and kind with a name, in the input's order.
of_named(api_version, kind, wanted) := [entry.object |
	some entry in named(kind, wanted)
	object.get(entry.object, "apiVersion", "") == api_version
]

# Kubernetes' expansion of `$(NAME)` references in a string, given the variables' values: `$$` is
# `$`, `$(NAME)` the value of NAME or, when it has none, `$(NAME)` as written; any other `$` and
# the character after it are kept (expansion.Expand, which reads left to right: the alternatives
# below, leftmost first, match what it consumes at each `$`).
expand(s, env) := s if {
	not contains(s, "$")
} else := concat("", [part |
	refs := regex.find_all_string_submatch_n(_reference, s, -1)
	some i, piece in regex.split(_reference, s)
	part := concat("", [piece, _resolved(refs, i, env)])
])

_reference := `\$\$|\$\([^)]*\)|\$[\s\S]`

_resolved(refs, i, env) := "" if i >= count(refs)

else := "$" if refs[i][0] == "$$"

else := env[name] if {
	startswith(refs[i][0], "$(")
	endswith(refs[i][0], ")")
	name := substring(refs[i][0], 2, count(refs[i][0]) - 3)
} else := refs[i][0]

# A literal password a redis-cli or valkey-cli command line in a text passes (`-a <password>`,
# `--pass <password>`), or a literal a script assigns to REDISCLI_AUTH (which redis-cli reads): how
# it is passed, for the message; undefined when every one is a reference ($VAR, "$VAR", $(VAR),
# "$(cat file)"). secrets.no_password_in_env and secrets.no_password_in_configmap.
cli_password(text) := what if {
	facts := data.text_facts[text] # the gate's memo of shared texts: lib/memo.rego
	some what in facts.cli_password
} else := what if {
	not data.text_facts[text]
	what := read_cli_password(text)
}

read_cli_password(text) := what if {
	# Most texts name neither: a substring test spares them the regular expression.
	contains(text, "-cli")
	some match in regex.find_all_string_submatch_n(_cli_option, text, -1)
	_literal_word(match[3])
	what := sprintf("%s %s with a literal password", [match[1], match[2]])
} else := "REDISCLI_AUTH assigned a literal password" if {
	contains(text, "REDISCLI_AUTH=")
	some match in regex.find_all_string_submatch_n(_cli_auth_assignment, text, -1)
	_literal_word(match[1])
}

_shell_word := `("[^"\n]*"|'[^'\n]*'|[^\s;&|)]+)`

# After the start of a line, a shell separator, `(` or a backquote (command substitution).
_cli_option := concat("", ["(?m)(?:^|[\\s;&|(`])", `(?:\S*/)?((?:redis|valkey)-cli)(?:[ \t]+[^\s;&|]+)*?[ \t]+(-a|--pass)[ \t]+`, _shell_word])

_cli_auth_assignment := concat("", [`(?m)(?:^|[\s;&|(])REDISCLI_AUTH=`, _shell_word])

_literal_word(word) if {
	not word in {"", `""`, "''"}
	not startswith(word, "$")
	not startswith(word, `"$`)
}

# Whether a text holds a URL with its password (scheme://user:password@), one that is not only a
# reference the kubelet or a shell fills in ($(VAR), ${VAR}, $VAR): secrets.no_password_in_env and
# secrets.no_password_in_configmap.
url_with_password(text) if {
	data.text_facts[text].url_with_password # the gate's memo of shared texts: lib/memo.rego
}

url_with_password(text) if {
	not data.text_facts[text]
	read_url_with_password(text)
}

read_url_with_password(text) if {
	some match in regex.find_all_string_submatch_n(`[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:([^/\s@]+)@`, text, -1)
	not regex.match(`^(\$\([A-Za-z_][A-Za-z0-9_]*\)|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*)$`, match[1])
}

# Or with an access token as its user name (https://<token>@host, as GitHub and GitLab document a
# clone with one), known by the token formats those forges publish: a plain user name
# (https://git@host) is none, and URLs carry one legitimately.
read_url_with_password(text) if {
	regex.match(`[A-Za-z][A-Za-z0-9+.-]*://(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,}|gl(pat|dt)-[A-Za-z0-9_-]{20,})@`, text)
}
