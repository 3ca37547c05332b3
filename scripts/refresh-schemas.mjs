#!/usr/bin/env node
// Refreshes the vendored schemas the gate validates manifests against (schemas/kubernetes/), from
// their official sources at pinned versions, taken from the projects' Go modules: the Kubernetes
// OpenAPI v3 spec (k8s.io/kubernetes api/openapi-spec/v3) and the CRDs of Argo CD, Sealed Secrets and
// the Prometheus Operator. Each kind becomes one self-contained JSON Schema that rejects unknown
// fields, as the API server does with strict field validation. Needs Go (for `go mod download`).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = path.join(root, 'schemas', 'kubernetes');

// The versions the engine tier runs (engine/*/go.mod, package.json "config"): the schemas the gate
// checks against are those of the programs that are proven to accept the output.
const required = (goMod, module) => {
  const text = readFileSync(path.join(root, 'engine', goMod, 'go.mod'), 'utf8');
  const match = new RegExp(`^\\s*(?:require\\s+)?${module.replaceAll('.', '\\.')}\\s+(v\\S+)`, 'm').exec(text);
  if (!match) throw new Error(`engine/${goMod}/go.mod does not require ${module}`);
  return match[1];
};
const config = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).config;
const sources = {
  kubernetes: { module: 'k8s.io/kubernetes', version: required('kubernetes', 'k8s.io/kubernetes') },
  argocd: { module: 'github.com/argoproj/argo-cd/v3', version: required('argocd', 'github.com/argoproj/argo-cd/v3') },
  sealedSecrets: { module: 'github.com/bitnami-labs/sealed-secrets', version: `v${config.kubesealVersion}` },
  prometheusOperator: { module: 'github.com/prometheus-operator/prometheus-operator', version: `v${config.prometheusOperatorVersion}` },
};

/**
 * Every kind the generator emits, and every other kind that carries a pod template or that Redis
 * charts commonly ship: a kind without a schema is checked by the policies alone, and a misspelt or
 * mistyped field of it (`hostnetwork: true`, `hostNetwork: 1`) passed silently where the API server
 * drops or refuses it.
 */
const builtIn = [
  ['', 'v1', ['Namespace', 'ConfigMap', 'Service', 'Secret', 'PersistentVolumeClaim', 'ServiceAccount', 'Pod', 'ReplicationController', 'PersistentVolume']],
  ['apps', 'v1', ['StatefulSet', 'Deployment', 'DaemonSet', 'ReplicaSet']],
  ['autoscaling', 'v2', ['HorizontalPodAutoscaler']],
  ['batch', 'v1', ['Job', 'CronJob']],
  ['policy', 'v1', ['PodDisruptionBudget']],
  ['networking.k8s.io', 'v1', ['NetworkPolicy', 'Ingress']],
  ['rbac.authorization.k8s.io', 'v1', ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']],
  ['storage.k8s.io', 'v1', ['StorageClass']],
];
const crds = [
  ['argocd', 'manifests/crds/application-crd.yaml'],
  ['argocd', 'manifests/crds/applicationset-crd.yaml'],
  ['argocd', 'manifests/crds/appproject-crd.yaml'],
  ['sealedSecrets', 'helm/sealed-secrets/crds/bitnami.com_sealedsecrets.yaml'],
  ['prometheusOperator', 'example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml'],
  ['prometheusOperator', 'example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml'],
  ['prometheusOperator', 'example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml'],
];

function moduleDir({ module, version }) {
  const json = execFileSync('go', ['mod', 'download', '-json', `${module}@${version}`], { encoding: 'utf8', maxBuffer: 16 << 20 });
  return JSON.parse(json).Dir;
}

/** Unknown fields are errors wherever the schema lists the fields and does not keep unknown ones. */
function strict(schema) {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const copy = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === 'enum' || k === 'default' || k === 'example' ? v : strict(v)]));
  if (copy.properties && copy.additionalProperties === undefined && !copy['x-kubernetes-preserve-unknown-fields']) copy.additionalProperties = false;
  // apiVersion and kind are checked by picking the schema; an object in a list may omit them.
  return copy;
}

function fileName(group, version, kind) {
  return `${group || 'core'}_${version}_${kind}.json`;
}

function write(group, version, kind, schema, source) {
  const file = fileName(group, version, kind);
  writeFileSync(path.join(out, file), `${JSON.stringify({ $comment: `from ${source}`, ...schema }, null, 1)}\n`);
  return file;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const written = [];

const k8sDir = moduleDir(sources.kubernetes);
for (const [group, version, kinds] of builtIn) {
  const specFile = group ? `apis__${group}__${version}_openapi.json` : `api__${version}_openapi.json`;
  const { components } = JSON.parse(readFileSync(path.join(k8sDir, 'api/openapi-spec/v3', specFile), 'utf8'));
  const all = components.schemas;
  for (const kind of kinds) {
    const name = Object.keys(all).find((n) =>
      (all[n]['x-kubernetes-group-version-kind'] ?? []).some((g) => g.group === group && g.version === version && g.kind === kind),
    );
    if (!name) throw new Error(`no schema for ${group}/${version} ${kind} in ${specFile}`);
    // Only the definitions this kind reaches, with refs pointing into $defs.
    const defs = {};
    const visit = (n) => {
      if (defs[n]) return;
      defs[n] = true;
      const text = JSON.stringify(all[n]);
      for (const [, ref] of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) visit(ref);
    };
    visit(name);
    const $defs = Object.fromEntries(
      Object.keys(defs)
        .sort()
        .map((n) => [n, strict(JSON.parse(JSON.stringify(all[n]).replaceAll('#/components/schemas/', '#/$defs/')))]),
    );
    written.push(write(group, version, kind, { $ref: `#/$defs/${name}`, $defs }, `${sources.kubernetes.module}@${sources.kubernetes.version} api/openapi-spec/v3/${specFile}`));
  }
}

for (const [source, file] of crds) {
  const dir = moduleDir(sources[source]);
  for (const doc of parseAllDocuments(readFileSync(path.join(dir, file), 'utf8'))) {
    const crd = doc.toJS();
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    for (const v of crd.spec.versions.filter((v) => v.served)) {
      const schema = strict(v.schema.openAPIV3Schema);
      written.push(write(crd.spec.group, v.name, crd.spec.names.kind, schema, `${sources[source].module}@${sources[source].version} ${file}`));
    }
  }
}
console.log(`wrote ${written.length} schemas to ${path.relative(root, out)}/: ${written.join(', ')}`);
