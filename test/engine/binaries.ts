import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../support/repo.js';

/** The version a go.mod of engine/ requires of `module` (the one place it is pinned). */
function required(goMod: string, module: string): string {
  const text = readFileSync(path.join(projectRoot, 'engine', goMod, 'go.mod'), 'utf8');
  const match = new RegExp(`^\\s*(?:require\\s+)?${module.replaceAll('.', '\\.')}\\s+v(\\S+)`, 'm').exec(text);
  if (!match) throw new Error(`engine/${goMod}/go.mod does not require ${module}`);
  return match[1]!;
}

const config = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { config: Record<string, string> }).config;

export const versions = {
  kubernetes: required('kubernetes', 'k8s.io/kubernetes'),
  argocd: required('argocd', 'github.com/argoproj/argo-cd/v3'),
  kwok: config.kwokVersion!,
  sealedSecrets: config.kubesealVersion!,
};

/** The first 12 hex digits of a file's SHA-256, as engine/build.sh names a helper built from it. */
function sourceHash(file: string): string {
  return createHash('sha256').update(readFileSync(path.join(projectRoot, file))).digest('hex').slice(0, 12);
}

const tools = (...parts: string[]) => path.join(projectRoot, '.tools', ...parts);

/** Where engine/build.sh puts each program. */
export const binaries = {
  etcd: tools('kubernetes', versions.kubernetes, 'etcd'),
  kubeApiserver: tools('kubernetes', versions.kubernetes, 'kube-apiserver'),
  kubeControllerManager: tools('kubernetes', versions.kubernetes, 'kube-controller-manager'),
  kubeScheduler: tools('kubernetes', versions.kubernetes, 'kube-scheduler'),
  kubectl: tools('kubernetes', versions.kubernetes, 'kubectl'),
  manifestReader: tools('manifest-reader', `${versions.kubernetes}-${sourceHash('engine/kubernetes/cmd/manifest-reader/main.go')}`, 'manifest-reader'),
  kubeletExpand: tools('kubelet-expand', `${versions.kubernetes}-${sourceHash('engine/kubernetes/cmd/kubelet-expand/main.go')}`, 'kubelet-expand'),
  kwok: tools('kwok', versions.kwok, 'kwok'),
  sealedSecretsController: tools('sealed-secrets-controller', versions.sealedSecrets, 'sealed-secrets-controller'),
  argocd: tools('argocd', versions.argocd, 'argocd'),
  argocdManifests: tools('argocd-manifests', `${versions.argocd}-${sourceHash('engine/argocd/cmd/argocd-manifests/main.go')}`, 'argocd-manifests'),
  crds: tools('crds'),
};

/** The programs engine/build.sh has not built yet (the tier cannot start without them). */
export function missingBinaries(): string[] {
  return Object.entries(binaries)
    .filter(([, file]) => !existsSync(file))
    .map(([name]) => name);
}
