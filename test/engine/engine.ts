import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { clusterScopedApplicationName, deploymentApplicationName } from '../../model/argocd.js';
import { redisGitops } from '../support/programs.js';
import { projectRoot } from '../support/repo.js';
import { RECONCILIATION_SECONDS, applications, git, startArgoCd } from './argocd.js';
import { binaries, missingBinaries } from './binaries.js';
import { type ControlPlane, kubectl, startControlPlane } from './control-plane.js';
import { FatalWait, type KubeObject, until } from './kube.js';
import { REAL_COMPONENTS } from './kubelet.js';
import { startCloudStandIn, startNodes } from './nodes.js';
import { stopPrograms, tail } from './processes.js';
import { startSealedSecrets } from './sealed-secrets.js';

export interface Engine {
  cp: ControlPlane;
  /** The scratch git repository Argo CD reads: the project's inputs, synthesized with its repoURL. */
  repo: string;
  cluster: string;
  dir: string;
  /** What the cloud stand-in did: the volumes it provisioned and the claims it expanded. */
  cloud: { provisioned: string[]; resized: string[] };
  stop(): Promise<void>;
  /** The end of every program's log, for a failed test's message. */
  diagnostics(): string;
}

/**
 * A Kubernetes cluster of the version the project targets, with the cluster's zones as kwok nodes, the
 * Sealed Secrets controller holding `cluster`'s sealing key and Argo CD watching a scratch repository
 * made from the project's inputs the way a user makes theirs: the cluster file's `argocd.repoURL`
 * points at the repository, `redis-gitops synth` writes dist/, git commits it.
 */
export async function startEngine(options: {
  cluster: string;
  sealingKey: string;
  /** A deployment whose members and rollout Job run for real (kubelet.ts) rather than on kwok. */
  realDeployment?: string;
  /** The Argo CD controller's sync timeout (argocd.ts, SYNC_TIMEOUT_SECONDS by default). */
  syncTimeoutSeconds?: number;
  /** Edits the scratch repository's inputs before its first synth (a deployment's day 1 as a test wants it). */
  prepare?: (repo: string) => void;
}): Promise<Engine> {
  const missing = missingBinaries();
  if (missing.length) throw new Error(`the engine tier's programs are not built (${missing.join(', ')}): run npm run engine:build`);
  if (process.getuid?.() !== 0) throw new Error('the engine tier runs as root: the Sealed Secrets controller needs a mount namespace of its own');
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-gitops-engine-'));
  const repo = path.join(dir, 'repo');
  const clusterFile = path.join(repo, 'clusters', `${options.cluster}.yaml`);
  for (const folder of ['clusters', 'deployments', 'state']) cpSync(path.join(projectRoot, folder), path.join(repo, folder), { recursive: true });
  const clusterSpec = parse(readFileSync(clusterFile, 'utf8')) as { region: string; zones: string[]; sealedSecrets: { certificate: string } };
  writeFileSync(clusterFile, readFileSync(clusterFile, 'utf8').replace(/^(\s*repoURL:).*$/m, `$1 file://${repo}`));
  options.prepare?.(repo);
  const synth = await redisGitops(repo, 'synth');
  if (synth.code !== 0) throw new Error(`synth failed in the scratch repository:\n${synth.stderr}`);
  git(repo, 'init', '--quiet', '--initial-branch=main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '--quiet', '-m', 'day 1: the project inputs, synthesized');

  const cp = await startControlPlane(dir);
  const cloud = startCloudStandIn(cp);
  const stop = async () => {
    await cloud.stop();
    await stopPrograms(cp.programs);
    cp.kube.close();
    if (!process.env.ENGINE_KEEP) rmSync(dir, { recursive: true, force: true });
  };
  try {
    // What the README asks a cluster to have before the bootstrap: prometheus-operator's CRDs (the
    // PodMonitors and alert rules of dist/); the Sealed Secrets CRD comes with its controller.
    for (const crd of ['monitoring.coreos.com_podmonitors.yaml', 'monitoring.coreos.com_prometheusrules.yaml']) {
      kubectl(cp, ['apply', '--server-side', '-f', path.join(binaries.crds, crd)]);
    }
    await startNodes(cp, dir, clusterSpec.region, clusterSpec.zones, {
      ...(options.realDeployment ? { realPods: { instance: options.realDeployment, components: REAL_COMPONENTS } } : {}),
    });
    await startSealedSecrets(cp, dir, { certificate: path.join(projectRoot, clusterSpec.sealedSecrets.certificate), key: path.join(projectRoot, options.sealingKey) });
    await startArgoCd(cp, dir, options.syncTimeoutSeconds);
  } catch (e) {
    const message = `${(e as Error).message}\n${diagnosticsOf(dir)}`;
    await stop();
    throw new Error(message);
  }
  return { cp, repo, cluster: options.cluster, dir, cloud, stop, diagnostics: () => diagnosticsOf(dir) };
}

function diagnosticsOf(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log') && f !== 'audit.log')
    .map((f) => `--- ${f}\n${tail(path.join(dir, f), 12)}`)
    .join('\n');
}

/** Applies the cluster's Argo CD bootstrap (dist/_argocd/<cluster>/) as a user does: kubectl apply. */
export function applyBootstrap(engine: Engine): string {
  return kubectl(engine.cp, ['apply', '-f', path.join(engine.repo, 'dist', '_argocd', engine.cluster)]);
}

/** Every object of dist/ of the scratch repository, with the file it came from. */
export function distObjects(engine: Engine, folder: string): KubeObject[] {
  const dir = path.join(engine.repo, 'dist', engine.cluster, folder);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS() as KubeObject));
}

/** The Applications the ApplicationSet and the bootstrap make for the cluster: cluster-scoped plus one per deployment. */
export function expectedApplications(engine: Engine): string[] {
  const folders = readdirSync(path.join(engine.repo, 'dist', engine.cluster)).filter((f) => !f.startsWith('_'));
  return [clusterScopedApplicationName(engine.cluster), ...folders.map((d) => deploymentApplicationName(engine.cluster, d))].sort();
}

interface AppStatus {
  name: string;
  sync: string;
  health: string;
  phase: string;
  revision: string;
  message: string;
}

function statusOf(app: KubeObject): AppStatus {
  const op = app.status?.operationState;
  return {
    name: app.metadata.name,
    sync: app.status?.sync?.status ?? '',
    health: app.status?.health?.status ?? '',
    phase: op?.phase ?? '',
    revision: app.status?.sync?.revision ?? '',
    message: op?.message ?? '',
  };
}

/**
 * Waits until each named Application is Synced and Healthy at `revision` with its last sync
 * Succeeded. Fails at once, with the API server's or Argo CD's own words, where that cannot happen:
 * an Application condition of an error type (a refused spec, a manifest Argo CD cannot generate), a
 * sync that failed for good, or a pod that a workload's controller cannot create.
 */
export async function waitForApplications(
  engine: Engine,
  names: string[],
  revision: string,
  timeoutMs = 300_000,
  options: { failOnRefusedPods?: boolean } = {},
): Promise<AppStatus[]> {
  // An error condition can be passing: `kubectl apply -f` of the bootstrap folder creates the
  // Application before its AppProject, and Argo CD reports the project missing until it exists. One
  // that stays over two reconciliations is not.
  const errorSince = new Map<string, number>();
  return until(`Applications ${names.join(', ')} Synced and Healthy at ${revision.slice(0, 8)}`, timeoutMs, async () => {
    const apps = new Map((await applications(engine.cp)).map((a) => [a.metadata.name, a]));
    const seen = new Set<string>();
    for (const app of apps.values()) {
      for (const c of (app.status?.conditions ?? []) as { type: string; message: string }[]) {
        if (!/Error$/.test(c.type)) continue;
        const error = `Application ${app.metadata.name}: [${c.type}] ${c.message}`;
        seen.add(error);
        if (!errorSince.has(error)) errorSince.set(error, Date.now());
        if (Date.now() - errorSince.get(error)! > 2.5 * RECONCILIATION_SECONDS * 1000) throw new FatalWait(error);
      }
    }
    for (const error of errorSince.keys()) if (!seen.has(error)) errorSince.delete(error);
    if (options.failOnRefusedPods !== false) await failOnRefusedPods(engine);
    const statuses = names.map((n) => apps.get(n)).map((a) => (a ? statusOf(a) : undefined));
    for (const s of statuses) {
      if (s?.phase === 'Failed' || s?.phase === 'Error') {
        const retrying = (apps.get(s.name)?.status?.operationState?.retryCount ?? 0) > 0;
        if (!retrying) throw new FatalWait(`Application ${s.name}: sync ${s.phase}: ${s.message}`);
      }
    }
    const done = statuses.every((s) => s && s.sync === 'Synced' && s.health === 'Healthy' && s.phase === 'Succeeded' && s.revision === revision);
    return done ? (statuses as AppStatus[]) : undefined;
  }, 1000).catch(async (e: Error) => {
    const now = (await applications(engine.cp)).map(statusOf);
    throw new Error(`${e.message}\nApplications now: ${JSON.stringify(now, null, 1)}\n${engine.diagnostics()}`);
  });
}

/**
 * The API server's refusals of pods that a StatefulSet or ReplicaSet controller tried to create: an
 * invalid pod or one that breaks the namespace's pod security level never starts, however often the
 * controller retries. (Other FailedCreate events, such as a service account not yet created, pass.)
 */
export async function refusedPods(engine: Engine): Promise<string[]> {
  const events = await engine.cp.kube.list('/api/v1/events');
  return events
    .filter((e) => e.reason === 'FailedCreate' && ['StatefulSet', 'ReplicaSet'].includes((e.involvedObject as { kind: string }).kind))
    .map((e) => e.message as string)
    .filter((m) => /is invalid|violates PodSecurity/.test(m));
}

async function failOnRefusedPods(engine: Engine): Promise<void> {
  const refused = await refusedPods(engine);
  if (refused.length) throw new FatalWait(`pods refused by the API server:\n${[...new Set(refused)].join('\n')}`);
}

