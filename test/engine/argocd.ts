import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { binaries } from './binaries.js';
import { type ControlPlane, kubectl } from './control-plane.js';
import { type KubeObject, until } from './kube.js';
import { type Program, assertRunning, freePort, startProgram } from './processes.js';

export const ARGOCD_NAMESPACE = 'argocd';
const ARGO = '/apis/argoproj.io/v1alpha1';

/** How often Argo CD looks at git and at the cluster. Its default (3 min) would make a commit wait minutes. */
export const RECONCILIATION_SECONDS = 10;
/**
 * The controller's sync timeout (`controller.sync.timeout.seconds` of an installation; off by default):
 * what ends a sync that waits for a workload which can never become healthy. The README asks
 * clusters for one; the tier uses a short one to prove that a fixing commit then rolls out by itself.
 * A sync lasts as long as its rollout Job (a Sync hook), so a test whose members really restart
 * gives the controller a longer one (startEngine's `syncTimeoutSeconds`), as the README asks.
 */
export const SYNC_TIMEOUT_SECONDS = 60;

/**
 * Argo CD as its installation runs it, minus the API server and UI: the application controller, the
 * repo server and the ApplicationSet controller (one binary, named per command, as in Argo CD's
 * image), with a redis of Debian's for their cache. `https://kubernetes.default.svc` reaches this
 * control plane (ARGOCD_FAKE_IN_CLUSTER with KUBECONFIG, Argo CD's own switch for running outside a pod).
 */
export async function startArgoCd(cp: ControlPlane, dir: string, syncTimeoutSeconds = SYNC_TIMEOUT_SECONDS): Promise<Program[]> {
  for (const crd of ['application-crd.yaml', 'applicationset-crd.yaml', 'appproject-crd.yaml']) {
    // The ApplicationSet CRD is larger than the last-applied annotation may be: server-side apply.
    kubectl(cp, ['apply', '--server-side', '-f', path.join(binaries.crds, crd)]);
  }
  await cp.kube.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ARGOCD_NAMESPACE } });
  const partOf = { 'app.kubernetes.io/part-of': 'argocd' };
  await cp.kube.create(`/api/v1/namespaces/${ARGOCD_NAMESPACE}/configmaps`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'argocd-cm', labels: { 'app.kubernetes.io/name': 'argocd-cm', ...partOf } },
    data: { 'timeout.reconciliation': `${RECONCILIATION_SECONDS}s`, 'timeout.reconciliation.jitter': '0s' },
  });
  await cp.kube.create(`/api/v1/namespaces/${ARGOCD_NAMESPACE}/configmaps`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'argocd-rbac-cm', labels: { 'app.kubernetes.io/name': 'argocd-rbac-cm', ...partOf } },
  });
  await cp.kube.create(`/api/v1/namespaces/${ARGOCD_NAMESPACE}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'argocd-secret', labels: { 'app.kubernetes.io/name': 'argocd-secret', ...partOf } },
    // What Argo CD's API server would generate on first start; the ApplicationSet webhook handler needs it.
    stringData: { 'server.secretkey': randomBytes(32).toString('base64') },
  });

  const [redisPort, repoPort, repoMetrics, controllerMetrics, appsetProbe, appsetMetrics, appsetWebhook] = await Promise.all(
    Array.from({ length: 7 }, () => freePort()),
  );
  // Argo CD picks the command by the name it is called as.
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const name of ['argocd-application-controller', 'argocd-repo-server', 'argocd-applicationset-controller']) symlinkSync(binaries.argocd, path.join(bin, name));
  const home = path.join(dir, 'argocd-home');
  mkdirSync(home, { recursive: true });
  const env = {
    HOME: home,
    KUBECONFIG: cp.kubeconfig,
    ARGOCD_FAKE_IN_CLUSTER: 'true',
    ARGOCD_RECONCILIATION_TIMEOUT: `${RECONCILIATION_SECONDS}s`,
    ARGOCD_RECONCILIATION_JITTER: '0s',
    // No GnuPG keyring to verify commits with (the image sets one up; signature checks are off by default).
    ARGOCD_GPG_ENABLED: 'false',
    ARGOCD_LOG_FORMAT: 'text',
  };
  const redis = startProgram(dir, 'argocd-redis', 'redis-server', ['--bind', '127.0.0.1', '--port', String(redisPort), '--save', '', '--appendonly', 'no']);
  const programs = [redis];
  cp.programs.push(redis);
  const start = (name: string, args: string[]) => {
    const p = startProgram(dir, name, path.join(bin, name), args, { env });
    programs.push(p);
    cp.programs.push(p);
    return p;
  };
  start('argocd-repo-server', ['--address=127.0.0.1', `--port=${repoPort}`, `--metrics-address=127.0.0.1`, `--metrics-port=${repoMetrics}`, '--disable-tls', `--redis=127.0.0.1:${redisPort}`]);
  start('argocd-application-controller', [
    `--namespace=${ARGOCD_NAMESPACE}`,
    `--repo-server=127.0.0.1:${repoPort}`,
    '--repo-server-plaintext',
    `--redis=127.0.0.1:${redisPort}`,
    `--metrics-port=${controllerMetrics}`,
    // Resource health in the Application's status (the default keeps it in redis only).
    '--persist-resource-health',
    `--app-resync=${RECONCILIATION_SECONDS}`,
    `--sync-timeout=${syncTimeoutSeconds}`,
    '--app-resync-jitter=0',
  ]);
  start('argocd-applicationset-controller', [
    `--namespace=${ARGOCD_NAMESPACE}`,
    `--argocd-repo-server=127.0.0.1:${repoPort}`,
    '--repo-server-plaintext',
    // Its defaults (:8080, :8081) would collide with the repo server's and with each other's.
    `--probe-addr=127.0.0.1:${appsetProbe}`,
    `--metrics-addr=127.0.0.1:${appsetMetrics}`,
    `--webhook-addr=127.0.0.1:${appsetWebhook}`,
    '--enable-leader-election=false',
  ]);
  // Each serves its metrics once it has started (none registers a health check outside a pod).
  await until('Argo CD to start', 60_000, async () => {
    for (const p of programs) assertRunning(p);
    for (const port of [repoMetrics, controllerMetrics, appsetMetrics]) {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
      if (!res?.ok) return undefined;
    }
    return true;
  });
  return programs;
}

export function applications(cp: ControlPlane): Promise<KubeObject[]> {
  return cp.kube.list(`${ARGO}/namespaces/${ARGOCD_NAMESPACE}/applications`);
}

/** Git as a user runs it, in the scratch repository. */
export function git(repo: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    stdio: 'pipe',
    env: { ...process.env, GIT_AUTHOR_NAME: 'engine tier', GIT_AUTHOR_EMAIL: 'engine@example.invalid', GIT_COMMITTER_NAME: 'engine tier', GIT_COMMITTER_EMAIL: 'engine@example.invalid' },
  });
}
