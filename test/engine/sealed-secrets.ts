import { readFileSync } from 'node:fs';
import { binaries } from './binaries.js';
import { type ControlPlane, kubectl } from './control-plane.js';
import { until } from './kube.js';
import { type Program, assertRunning, freePort, inClusterCommand, startProgram } from './processes.js';

const NAMESPACE = 'kube-system';

/**
 * The Sealed Secrets controller, as released, holding the cluster's sealing key pair (the example
 * cluster's TEST-ONLY pair), so the SealedSecrets in dist/ become the Secrets that pods mount.
 *
 * The controller only runs "in cluster": it reads its token and CA from the fixed path
 * /var/run/secrets/kubernetes.io/serviceaccount, so it runs as inClusterCommand sets it up.
 */
export async function startSealedSecrets(cp: ControlPlane, dir: string, sealing: { certificate: string; key: string }): Promise<Program> {
  kubectl(cp, ['apply', '--server-side', '-f', `${binaries.crds}/bitnami.com_sealedsecrets.yaml`]);
  await cp.kube.create(`/api/v1/namespaces/${NAMESPACE}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name: 'sealed-secrets-key-engine', labels: { 'sealedsecrets.bitnami.com/sealed-secrets-key': 'active' } },
    data: {
      'tls.crt': readFileSync(sealing.certificate).toString('base64'),
      'tls.key': readFileSync(sealing.key).toString('base64'),
    },
  });
  const [port, metricsPort] = [await freePort(), await freePort()];
  const apiPort = new URL(cp.server).port;
  const [program, args] = inClusterCommand(cp.serviceAccountDir, [
    binaries.sealedSecretsController,
    // The key pair is given; a generated one would seal nothing that dist/ holds.
    '--key-renew-period=0',
    `--listen-addr=127.0.0.1:${port}`,
    `--listen-metrics-addr=127.0.0.1:${metricsPort}`,
  ]);
  const controller = startProgram(dir, 'sealed-secrets-controller', program, args, {
    env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: apiPort, POD_NAMESPACE: NAMESPACE },
  });
  cp.programs.push(controller);
  await until('the Sealed Secrets controller to serve its certificate', 60_000, async () => {
    assertRunning(controller);
    const res = await fetch(`http://127.0.0.1:${port}/v1/cert.pem`).catch(() => undefined);
    return res?.ok ? true : undefined;
  });
  return controller;
}
