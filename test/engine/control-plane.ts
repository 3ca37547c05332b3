import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { binaries } from './binaries.js';
import { Kube, until } from './kube.js';
import { type Program, assertRunning, freePort, startProgram } from './processes.js';

/** A running control plane: its API server's address and credentials, and the programs behind it. */
export interface ControlPlane {
  server: string;
  kubeconfig: string;
  token: string;
  caFile: string;
  /** The API server's audit log: every request, with who made it and when (see audit.ts). */
  auditLog: string;
  kube: Kube;
  programs: Program[];
  /** Files a process inside the cluster would find under /var/run/secrets/kubernetes.io/serviceaccount. */
  serviceAccountDir: string;
}

const openssl = (cwd: string, ...args: string[]) => execFileSync('openssl', args, { cwd, stdio: 'pipe' });

/** A CA, the API server's serving certificate (for 127.0.0.1 and the in-cluster names), and the service-account key pair. */
function makePki(dir: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=engine-tier-ca');
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'apiserver.key', '-out', 'apiserver.csr', '-subj', '/CN=kube-apiserver');
  writeFileSync(
    path.join(dir, 'apiserver.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n',
  );
  openssl(dir, 'x509', '-req', '-in', 'apiserver.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'apiserver.crt', '-days', '2', '-extfile', 'apiserver.ext');
  openssl(dir, 'genrsa', '-out', 'sa.key', '2048');
  openssl(dir, 'rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
}

/**
 * What the audit log records: every write (who, what, when) at Metadata level, reads not at all. The
 * tier reads from it the order in which Argo CD applied objects and the controllers deleted pods.
 * Writes to Applications keep their bodies too: each operation state Argo CD wrote is there, though
 * the Application holds only the last (a self-heal sync right after a sync replaces its results).
 */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    verbs: [get, list, watch]
  - level: None
    resources: [{ group: coordination.k8s.io, resources: [leases] }]
  - level: None
    resources: [{ group: "", resources: [events] }]
  - level: Request
    verbs: [patch, update]
    resources: [{ group: argoproj.io, resources: [applications] }]
  - level: Metadata
`;

/**
 * Starts etcd, kube-apiserver (PodSecurity admission on, as by default in 1.28; RBAC), the
 * controller-manager and the scheduler on 127.0.0.1, and waits until the API server is ready and the
 * default namespace's service account exists (pods are refused before it does).
 */
export async function startControlPlane(dir: string): Promise<ControlPlane> {
  const pki = path.join(dir, 'pki');
  mkdirSync(pki, { recursive: true });
  makePki(pki);
  const token = randomBytes(24).toString('hex');
  // One static token, for the tier's user and for the controllers: they run as a single cluster admin,
  // which is what they are in a cluster (the tier checks the generated objects, not the controllers' RBAC).
  writeFileSync(path.join(pki, 'tokens.csv'), `${token},engine-admin,engine-admin,system:masters\n`);
  writeFileSync(path.join(dir, 'audit-policy.yaml'), AUDIT_POLICY);
  const [etcdClient, etcdPeer, apiPort, kcmPort, schedulerPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const server = `https://127.0.0.1:${apiPort}`;
  const caFile = path.join(pki, 'ca.crt');
  const kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'engine', cluster: { server, 'certificate-authority': caFile } }],
      users: [{ name: 'engine-admin', user: { token } }],
      contexts: [{ name: 'engine', context: { cluster: 'engine', user: 'engine-admin' } }],
      'current-context': 'engine',
    }),
  );
  const auditLog = path.join(dir, 'audit.log');
  const programs: Program[] = [];
  const etcd = startProgram(dir, 'etcd', binaries.etcd, [
    '--name=engine',
    `--data-dir=${path.join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=engine=http://127.0.0.1:${etcdPeer}`,
    // A test cluster's data need not survive a power cut; fsync costs seconds over a sync.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ]);
  programs.push(etcd);
  const apiserver = startProgram(dir, 'kube-apiserver', binaries.kubeApiserver, [
    `--etcd-servers=http://127.0.0.1:${etcdClient}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--tls-cert-file=${path.join(pki, 'apiserver.crt')}`,
    `--tls-private-key-file=${path.join(pki, 'apiserver.key')}`,
    `--client-ca-file=${caFile}`,
    `--token-auth-file=${path.join(pki, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${path.join(pki, 'sa.pub')}`,
    `--service-account-signing-key-file=${path.join(pki, 'sa.key')}`,
    // Addresses the API server hands out to Services; nothing is routed to them.
    '--service-cluster-ip-range=10.96.0.0/16',
    // No kubelet or proxy answers for the API server itself; it must not advertise an endpoint.
    '--endpoint-reconciler-type=none',
    `--audit-policy-file=${path.join(dir, 'audit-policy.yaml')}`,
    `--audit-log-path=${auditLog}`,
    '--audit-log-format=json',
    '--profiling=false',
  ]);
  programs.push(apiserver);
  const kube = new Kube(server, token, readFileSync(caFile, 'utf8'));
  await until('the API server to be ready', 60_000, async () => {
    assertRunning(etcd);
    assertRunning(apiserver);
    return (await kube.request<string | undefined>('GET', '/readyz').then(() => true)) || undefined;
  });
  programs.push(
    startProgram(dir, 'kube-controller-manager', binaries.kubeControllerManager, [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      `--service-account-private-key-file=${path.join(pki, 'sa.key')}`,
      `--root-ca-file=${caFile}`,
      // Cloud controllers (load balancers, routes, node addresses) have no cloud here: the tier
      // stands in for the load balancer itself (nodes.ts).
      '--controllers=*,-cloud-node-lifecycle,-service,-route,-nodeipam',
      // kwok nodes heartbeat; a shorter grace only makes a stalled kwok visible sooner.
      '--node-monitor-grace-period=40s',
    ]),
  );
  programs.push(
    startProgram(dir, 'kube-scheduler', binaries.kubeScheduler, [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${schedulerPort}`,
    ]),
  );
  await until('the default service account (the controller-manager is up)', 60_000, async () => {
    for (const p of programs) assertRunning(p);
    return kube.find('/api/v1/namespaces/default/serviceaccounts/default');
  });

  // What a pod of the cluster would find in its service-account folder, for controllers that can only
  // run "in cluster" (the Sealed Secrets controller reads these fixed paths).
  const serviceAccountDir = path.join(dir, 'serviceaccount');
  mkdirSync(serviceAccountDir);
  writeFileSync(path.join(serviceAccountDir, 'token'), token);
  writeFileSync(path.join(serviceAccountDir, 'ca.crt'), readFileSync(caFile));
  return { server, kubeconfig, token, caFile, auditLog, kube, programs, serviceAccountDir };
}

/**
 * kubectl at the control plane's version, against this control plane. Its discovery cache is the
 * run's own: ~/.kube/cache is keyed by host and port only, and another run's API server on the same
 * loopback port (in another network namespace, or earlier) would answer for this one's kinds.
 */
export function kubectl(cp: Pick<ControlPlane, 'kubeconfig'>, args: string[], input?: string): string {
  const cacheDir = path.join(path.dirname(cp.kubeconfig), 'kubectl-cache');
  try {
    return execFileSync(binaries.kubectl, [`--kubeconfig=${cp.kubeconfig}`, `--cache-dir=${cacheDir}`, ...args], { input, encoding: 'utf8', stdio: 'pipe', maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')}: ${err.stderr || err.stdout || err.message}`);
  }
}

