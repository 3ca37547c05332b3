#!/usr/bin/env bash
# Builds the programs of the engine tier from their Go modules, each once per version, into
# .tools/<name>/<version>/ (git-ignored): a second run finds them and returns in a second. Go's module
# and build caches (GOMODCACHE, GOCACHE) make a rebuild after a version bump incremental.
#
# Cold, on 2 cores: Kubernetes ~7 min, Argo CD ~5 min, kwok ~2 min, Sealed Secrets ~1 min.
# Versions: Kubernetes and Argo CD in the go.mod beside this script; kwok, Sealed Secrets (the
# controller comes from the same module as kubeseal) and the CRD sources in package.json "config".
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

pinned() { node -p "require('./package.json').config.$1"; }
module_version() { (cd "$1" && GOWORK=off go list -m -f '{{.Version}}' "$2"); }
say() { printf 'engine build: %s\n' "$*" >&2; }

# Kubernetes: a main module requiring k8s.io/kubernetes (see engine/kubernetes/go.mod for why).
k8s=$(module_version engine/kubernetes k8s.io/kubernetes)
out=$root/.tools/kubernetes/${k8s#v}
if [[ ! -x $out/kubectl ]]; then
  say "Kubernetes $k8s (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl)"
  # Without the version strings the binaries report v0.0.0, and kubectl refuses to talk to them.
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$k8s -X k8s.io/client-go/pkg/version.gitVersion=$k8s"
  (cd engine/kubernetes && GOWORK=off go build -o "$out.partial/" -ldflags "$ldflags" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl ./cmd/etcd)
  rm -rf "$out" && mv "$out.partial" "$out"
fi

# The gate's differential test reads manifests with kubectl's own reader (k8s.io/cli-runtime at the
# same version): a small helper of this module, ~10 s once kubectl's packages are in Go's build cache.
# Cached by the Kubernetes version and the helper's source.
reader=$root/.tools/manifest-reader/${k8s#v}-$(sha256sum engine/kubernetes/cmd/manifest-reader/main.go | cut -c1-12)
if [[ ! -x $reader/manifest-reader ]]; then
  say "manifest-reader (k8s.io/cli-runtime $k8s)"
  (cd engine/kubernetes && GOWORK=off go build -o "$reader.partial/manifest-reader" -ldflags "-s -w" ./cmd/manifest-reader)
  rm -rf "$reader" && mv "$reader.partial" "$reader"
fi

# The policy's reading of `$(NAME)` in a container's command and args against the kubelet's own
# expansion package: a helper of this module too (seconds), cached by the version and its source.
expand=$root/.tools/kubelet-expand/${k8s#v}-$(sha256sum engine/kubernetes/cmd/kubelet-expand/main.go | cut -c1-12)
if [[ ! -x $expand/kubelet-expand ]]; then
  say "kubelet-expand (k8s.io/kubernetes $k8s third_party/forked/golang/expansion)"
  (cd engine/kubernetes && GOWORK=off go build -o "$expand.partial/kubelet-expand" -ldflags "-s -w" ./cmd/kubelet-expand)
  rm -rf "$expand" && mv "$expand.partial" "$expand"
fi

# Argo CD: a multi-call main of its three controllers (engine/argocd/main.go).
argocd=$(module_version engine/argocd github.com/argoproj/argo-cd/v3)
out=$root/.tools/argocd/${argocd#v}
if [[ ! -x $out/argocd ]]; then
  say "Argo CD $argocd (application-controller, repo-server, applicationset-controller)"
  # Argo CD reports 99.99.99 unless told its version (its Makefile sets it the same way).
  (cd engine/argocd && GOWORK=off go build -o "$out.partial/argocd" -ldflags "-s -w -X github.com/argoproj/argo-cd/v3/common.version=${argocd#v}" .)
  rm -rf "$out" && mv "$out.partial" "$out"
fi

# The gate's differential test against Argo CD reads folders with the repo-server's own code
# (engine/argocd/cmd/argocd-manifests): seconds once Argo CD's packages are in Go's build cache.
# Cached by the Argo CD version and the helper's source.
generator=$root/.tools/argocd-manifests/${argocd#v}-$(sha256sum engine/argocd/cmd/argocd-manifests/main.go | cut -c1-12)
if [[ ! -x $generator/argocd-manifests ]]; then
  say "argocd-manifests (Argo CD $argocd repo-server's GenerateManifests)"
  (cd engine/argocd && GOWORK=off go build -o "$generator.partial/argocd-manifests" -ldflags "-s -w" ./cmd/argocd-manifests)
  rm -rf "$generator" && mv "$generator.partial" "$generator"
fi

# Programs built inside their own module's folder, as released.
in_module() { # name module version package
  local out=$root/.tools/$1/$3
  [[ -x $out/$1 ]] && return 0
  say "$1 $3 ($2/$4)"
  local src
  src=$(go mod download -json "$2@v$3" | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).Dir)')
  (cd "$src/$4" && GOWORK=off go build -o "$out.partial/$1" -ldflags "-s -w" .)
  rm -rf "$out" && mv "$out.partial" "$out"
}
in_module kwok sigs.k8s.io/kwok "$(pinned kwokVersion)" cmd/kwok
# kwok's "fast" stages (what kwokctl uses by default): nodes become Ready and keep a lease; pods
# become Running and Ready at once, and are removed at once when deleted.
stages=$root/.tools/kwok/$(pinned kwokVersion)/stages.yaml
if [[ ! -f $stages ]]; then
  k=$(go mod download -json "sigs.k8s.io/kwok@v$(pinned kwokVersion)" | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).Dir)')/kustomize/stage
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    printf -- '---\n'; cat "$k/$f"
  done >"$stages.partial" && mv "$stages.partial" "$stages"
fi
in_module sealed-secrets-controller github.com/bitnami-labs/sealed-secrets "$(pinned kubesealVersion)" cmd/controller

# CRDs of the kinds dist/ holds, from the same modules (downloads only).
crds=$root/.tools/crds
if [[ ! -f $crds/.done-$argocd-$(pinned kubesealVersion)-$(pinned prometheusOperatorVersion) ]]; then
  rm -rf "$crds" && mkdir -p "$crds"
  dir() { go mod download -json "$1" | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).Dir)'; }
  a=$(dir "github.com/argoproj/argo-cd/v3@$argocd")
  s=$(dir "github.com/bitnami-labs/sealed-secrets@v$(pinned kubesealVersion)")
  p=$(dir "github.com/prometheus-operator/prometheus-operator@v$(pinned prometheusOperatorVersion)")
  cp "$a"/manifests/crds/{application,applicationset,appproject}-crd.yaml "$crds/"
  cp "$s/helm/sealed-secrets/crds/bitnami.com_sealedsecrets.yaml" "$crds/"
  cp "$p"/example/prometheus-operator-crd/monitoring.coreos.com_{podmonitors,prometheusrules}.yaml "$crds/"
  chmod u+w "$crds"/*.yaml
  touch "$crds/.done-$argocd-$(pinned kubesealVersion)-$(pinned prometheusOperatorVersion)"
fi
say "ready in .tools/"
