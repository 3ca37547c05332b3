import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pMap from 'p-map';
import { serverCertificateNames, type DeploymentSecrets } from '../../model/secrets.js';
import { InputErrors, loadInputs, type Cluster, type Deployment, type Inputs } from '../config/load.js';
import { resolveSecrets, type RotationRequest } from '../secrets/resolve.js';
import { loadSealingKey, type SealingKey } from '../secrets/seal.js';
import { orphanStates, readState, stateFile, stateText, type SecretsState } from '../secrets/state.js';
import { fromRoot, moduleOf } from '../paths.js';
import { generator } from '../version.js';
import { ARGOCD_FOLDER, CLUSTER_FOLDER } from '../../model/dist-layout.js';
import { type ChangePlan, objectsOf, planChanges, type PlanSources, refusalErrors } from './change-plan.js';
import { generatorFingerprint } from './fingerprint.js';
import { ParsedFileCache } from '../config/parse-cache.js';
import { chunked, inWorkers, workersFor } from '../workers/pool.js';
import { renderClusters, sortFiles, type DeploymentOutput, type RenderedFiles } from './render.js';
import { renderChunk, type RenderChunk } from './render-worker.js';
import { withRepositoryLock, type LockOptions } from './lock.js';
import { recover } from './transaction.js';
import { buildIndex, folderOf, readPrevious, refreshFolders, writeDist, type DeploymentRecord, type DistChanges, type DistIndex, type PreviousOutput } from './write-dist.js';

export interface SynthOptions {
  /** Rotation steps to take, by deployment name. */
  rotate?: ReadonlyMap<string, RotationRequest>;
  /** The time certificates are issued at; default now. Only used when something is generated. */
  now?: Date;
  /** false: leave state/ untouched (a synth to compare with, not to keep). Default true. */
  writeState?: boolean;
  /** Render every deployment, even those whose inputs are unchanged since the previous output; implies verify. */
  full?: boolean;
  /**
   * Read every file of the previous output (re-hashing those modified since index.json), so a hand
   * edit of a deployment whose inputs did not change is found and undone. Default false: only the
   * folders of the deployments rendered or removed, and the clusters', are read; the others are as
   * index.json records them (see readPrevious).
   */
  verify?: boolean;
  /** Deployments and clusters whose refused changes (see change-plan.ts) the user accepts. */
  acceptChanges?: ReadonlySet<string>;
  /** false: report refused changes in the plans instead of failing (diff). Default true. */
  refuse?: boolean;
  /**
   * A file where deployment files' parsed values are kept between runs, by stat signature (see
   * parse-cache.ts; outside the repository, safe to delete). Default: none, every file is parsed.
   */
  cache?: string;
  /** How to wait for another synth of the same repository (see lock.ts). */
  lock?: LockOptions;
}

export interface SynthResult {
  clusters: number;
  deployments: number;
  files: number;
  changes: DistChanges;
  /** Per deployment: secrets generated, rotated or about to expire. */
  notes: { deployment: string; note: string }[];
  /** State files written (secrets generated or re-sealed). */
  statesWritten: string[];
  /** State files removed: their deployments are no longer declared (or moved to another cluster). */
  statesRemoved: string[];
  /** Deployments rendered; the others were unchanged and their files kept. */
  rendered: number;
  /** What the change does to each running deployment whose files change. */
  plans: ChangePlan[];
  /** What this run did first with what a killed run left: completed its committed changes, or discarded uncommitted ones. */
  recovered?: 'completed' | 'discarded';
}

export interface ResolvedAll {
  secrets: Map<string, DeploymentSecrets>;
  /** Per deployment: its state file, the state and its text, and whether that differs from the file's. */
  states: Map<string, { file: string; state: SecretsState; text: string; changed: boolean }>;
  notes: SynthResult['notes'];
}

/** Where the CLI keeps the parsed deployment files of the repository at `root` between synths (see parse-cache.ts). */
export function synthCacheFile(root: string): string {
  return fromRoot(`node_modules/.cache/redis-gitops/synth/${createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 16)}.json`);
}

/** Deployments whose secrets are resolved at once (libuv's thread pool has 4 threads by default). */
const SECRETS_CONCURRENCY = 8;

/** Every deployment's secrets, from its state file under `root` where that still fits. */
export async function resolveAllSecrets(root: string, inputs: Inputs, options: SynthOptions = {}): Promise<ResolvedAll> {
  const sealingKeys = new Map<string, Promise<SealingKey>>();
  const sealingKeyOf = (cluster: Cluster) => {
    let key = sealingKeys.get(cluster.name);
    if (!key) {
      const file = cluster.spec.sealedSecrets.certificate;
      key = readFile(path.join(root, file), 'utf8')
        .then((pem) => loadSealingKey(pem, file, options.now))
        .catch((error: unknown) => {
          throw new InputErrors([{ file: cluster.file, field: 'sealedSecrets.certificate', message: (error as Error).message }]);
        });
      sealingKeys.set(cluster.name, key);
    }
    return key;
  };
  const now = options.now ?? new Date();
  // Several deployments at once: generating keys and signing (WebCrypto, under selfsigned) run on
  // libuv's threads, and one deployment at a time left this thread idle for a third of a cold synth.
  const resolvedAll = await pMap(
    inputs.deployments,
    async (deployment) => {
      try {
        const file = stateFile(root, deployment.cluster.name, deployment.name);
        const previous = readState(file, path.relative(root, file));
        const resolved = await resolveSecrets({
          deployment,
          subjectNames: serverCertificateNames({ deployment: deployment.name, namespace: deployment.namespace }, deployment.spec.portal.hostnames),
          sealingKey: await sealingKeyOf(deployment.cluster),
          previous: previous?.state,
          now,
          rotate: options.rotate?.get(deployment.name) ?? {},
        });
        return { file, previous, resolved };
      } catch (error) {
        return { error };
      }
    },
    { concurrency: SECRETS_CONCURRENCY },
  );
  // The first deployment's error, in the deployments' order (not whichever failed first in time).
  const failed = resolvedAll.find((r) => 'error' in r);
  if (failed) throw failed.error;
  const result: ResolvedAll = { secrets: new Map(), states: new Map(), notes: [] };
  // In the deployments' order, whatever order they finished in.
  for (const [i, r] of resolvedAll.entries()) {
    if ('error' in r) continue;
    const { file, previous, resolved } = r;
    const deployment = inputs.deployments[i]!;
    const text = stateText(resolved.state);
    result.secrets.set(deployment.name, resolved.secrets);
    result.states.set(deployment.name, { file, state: resolved.state, text, changed: text !== previous?.text });
    for (const note of resolved.notes) result.notes.push({ deployment: deployment.name, note });
  }
  return result;
}

/** What a synth would write, worked out without writing anything. */
export interface SynthPlan {
  inputs: Inputs;
  previous: PreviousOutput;
  /** The files rendered now; the others of the index are kept from the previous output. */
  files: RenderedFiles;
  index: DistIndex;
  states: ResolvedAll['states'];
  notes: SynthResult['notes'];
  rendered: number;
  plans: ChangePlan[];
}

/**
 * Loads the inputs under `root`, resolves their secrets and renders what differs from the output in
 * `outDir`: a deployment whose inputs (see inputsHash) are those recorded in the previous index, and
 * whose files are as synth wrote them, is not rendered again. Throws InputErrors on bad input.
 */
export async function plan(root: string, outDir: string, options: SynthOptions = {}): Promise<SynthPlan> {
  const verify = !!(options.full || options.verify);
  const previous = await readPrevious(outDir, { verify });
  const fingerprint = await generatorFingerprint();
  const cache = options.cache === undefined ? undefined : ParsedFileCache.open(options.cache, fingerprint);
  const inputs = await loadInputs(root, { now: options.now, existing: new Set(Object.keys(previous.index?.deployments ?? {})), cache });
  cache?.save();
  for (const name of options.rotate?.keys() ?? []) {
    if (!inputs.deployments.some((d) => d.name === name)) {
      throw new InputErrors([{ file: `deployments/${name}.yaml`, field: '', message: 'no such deployment to rotate' }]);
    }
  }
  const { secrets, states, notes } = await resolveAllSecrets(root, inputs, options);
  const files: RenderedFiles = new Map();
  const kept = new Map<string, string>();
  const outputs = new Map<string, Omit<DeploymentOutput, 'files'>>();
  const records: Record<string, DeploymentRecord> = {};
  const previousFiles = filesByDeployment(previous);
  const hashes = new Map(inputs.deployments.map((d) => [d.name, inputsHash(fingerprint, d, states.get(d.name)!.text)]));
  const toRender: Deployment[] = [];
  const reused = new Set<string>();
  for (const deployment of inputs.deployments) {
    const key = `${deployment.cluster.name}/${deployment.name}`;
    const reuse = options.full ? undefined : reusable(previous, previousFiles.get(key) ?? [], key, hashes.get(deployment.name)!);
    if (!reuse) {
      toRender.push(deployment);
      continue;
    }
    for (const [file, fileHash] of reuse.files) kept.set(file, fileHash);
    outputs.set(deployment.name, reuse.record);
    reused.add(key);
  }
  // Every folder written or removed now is compared with what is on disk, not with what the index says.
  if (!verify) refreshFolders(outDir, previous, [...previousFiles.keys(), ...toRender.map((d) => `${d.cluster.name}/${d.name}`)].filter((f) => !reused.has(f)));
  for (const [name, output] of await renderDeployments(toRender, secrets)) {
    for (const [file, content] of output.files) files.set(file, content);
    outputs.set(name, output);
  }
  for (const deployment of inputs.deployments) {
    const output = outputs.get(deployment.name)!;
    records[`${deployment.cluster.name}/${deployment.name}`] = {
      inputs: hashes.get(deployment.name)!,
      namespacedKinds: output.namespacedKinds,
      clusterKinds: output.clusterKinds,
    };
  }
  // A cluster's own files depend on its settings and on its deployments' names, namespaces and kinds
  // only: after a change to one deployment they are the same, and are not rendered again.
  const clusterRecords: Record<string, { inputs: string }> = {};
  const clustersToRender: Cluster[] = [];
  for (const cluster of inputs.clusters) {
    const hash = clusterInputsHash(fingerprint, cluster, inputs.deployments.filter((d) => d.cluster === cluster), outputs);
    clusterRecords[cluster.name] = { inputs: hash };
    const folders = [`${cluster.name}/${CLUSTER_FOLDER}`, `${ARGOCD_FOLDER}/${cluster.name}`];
    const reuse = options.full ? undefined : reusableCluster(previous, folders.flatMap((f) => previousFiles.get(f) ?? []), cluster.name, hash);
    if (reuse) for (const [file, fileHash] of reuse) kept.set(file, fileHash);
    else clustersToRender.push(cluster);
  }
  for (const [file, content] of renderClusters({ clusters: clustersToRender, deployments: inputs.deployments }, generator.version, outputs)) files.set(file, content);
  const sorted = sortFiles(files);
  const plans = changePlans(outDir, previous, sorted, clustersToRender, toRender);
  const refused = refusalErrors(plans, options.acceptChanges ?? new Set());
  if (refused.length && options.refuse !== false) throw new InputErrors(refused);
  return { inputs, previous, files: sorted, index: buildIndex(sorted, generator, records, kept, clusterRecords), states, notes, rendered: toRender.length, plans };
}

/**
 * Inputs under `root` → manifests in `outDir`, plus the secrets state under state/ (the states of
 * deployments no longer declared are removed, as their files in outDir are), written as one
 * transaction under the repository's lock (see transaction.ts). Throws InputErrors on bad input,
 * leaving outDir and the state as they were.
 */
export async function synth(root: string, outDir: string, options: SynthOptions = {}): Promise<SynthResult> {
  return withRepositoryLock(root, async () => {
    const recovered = await recover(outDir);
    const planned = await plan(root, outDir, options);
    const states = [...planned.states.values()];
    const keepState = options.writeState !== false;
    const stateWrites = new Map(keepState ? states.filter((s) => s.changed).map((s) => [s.file, s.text]) : []);
    const stateRemoves = keepState ? orphanStates(root, new Set(states.map((s) => s.file))) : [];
    const changes = await writeDist(outDir, planned.files, planned.index, planned.previous, { writes: stateWrites, removes: stateRemoves });
    const { inputs, notes, rendered, index, plans } = planned;
    return {
      clusters: inputs.clusters.length,
      deployments: inputs.deployments.length,
      files: Object.keys(index.files).length,
      changes,
      notes,
      statesWritten: [...stateWrites.keys()].map((file) => path.relative(root, file)),
      statesRemoved: stateRemoves.map((file) => path.relative(root, file)),
      rendered,
      plans,
      ...(recovered ? { recovered } : {}),
    };
  }, options.lock);
}

/**
 * `plan`, under the repository's lock and after completing what a killed synth left, for a caller
 * that reads without writing (diff, gate --check-synced): it sees dist/ and state/ in step.
 */
export async function planInStep(root: string, outDir: string, options: SynthOptions = {}): Promise<SynthPlan> {
  return withRepositoryLock(root, async () => {
    await recover(outDir);
    return plan(root, outDir, options);
  }, options.lock);
}

/**
 * The plan of each rendered deployment and of each rendered cluster's cluster-scoped objects: their
 * files in the previous output (read from `outDir`) against the files rendered now. Deployments and
 * clusters not rendered did not change.
 */
function changePlans(outDir: string, previous: PreviousOutput, files: RenderedFiles, clusters: Cluster[], rendered: Deployment[]): ChangePlan[] {
  // Files by folder, listed once (a fleet's output is tens of thousands of files).
  const previousFiles = byFolder(previous.hashes.keys());
  const renderedFiles = byFolder(files.keys());
  const plan = (folder: string, sources: PlanSources) => {
    const before = (previousFiles.get(folder) ?? []).map((f): [string, string] => [f, readFileSync(path.join(outDir, f), 'utf8')]);
    // Nothing was there before: nothing to plan (and no need to parse what is rendered now).
    if (before.length === 0) return undefined;
    const after = (renderedFiles.get(folder) ?? []).map((f): [string, string] => [f, files.get(f)!]);
    // The same files, byte for byte (synth --full of an unchanged deployment): nothing changes.
    if (before.length === after.length && before.every(([f, text], i) => after[i]![0] === f && after[i]![1] === text)) return undefined;
    return planChanges(folder, objectsOf(before), objectsOf(after), sources);
  };
  const plans: (ChangePlan | undefined)[] = [];
  for (const cluster of clusters) plans.push(plan(`${cluster.name}/${CLUSTER_FOLDER}`, { clusterFile: cluster.file }));
  for (const d of rendered) plans.push(plan(`${d.cluster.name}/${d.name}`, { deploymentFile: d.file, clusterFile: d.cluster.file }));
  return plans.filter((p): p is ChangePlan => p !== undefined && (p.refused.length > 0 || p.members.length > 0 || p.restarts.length > 0 || p.expands.length > 0 || p.changes.length > 0));
}

/** dist/-relative paths by their `<cluster>/<deployment>` (or `<cluster>/_cluster`) folder, in the order given. */
function byFolder(files: Iterable<string>): Map<string, string[]> {
  const folders = new Map<string, string[]>();
  for (const f of files) {
    const folder = folderOf(f);
    const list = folders.get(folder);
    if (list) list.push(f);
    else folders.set(folder, [f]);
  }
  return folders;
}

/** Below this many deployments to render, starting worker threads costs more than it saves. */
const WORKER_THRESHOLD = 64;

/**
 * Deployments a worker renders per task: small tasks stream results back while the others render,
 * where one task per thread held a whole share of the fleet's files in the thread at once (3000
 * deployments took 4.6x as long as 1000).
 */
const RENDER_CHUNK = 50;

/** Renders `deployments`, in worker threads (one per core) when there are many. */
async function renderDeployments(deployments: Deployment[], secrets: ReadonlyMap<string, DeploymentSecrets>): Promise<Map<string, DeploymentOutput>> {
  const workers = workersFor(deployments.length, WORKER_THRESHOLD);
  if (workers === 0) return renderChunk({ deployments, generatorVersion: generator.version, secrets: new Map(secrets) });
  const chunks = chunked(deployments, Math.max(workers, Math.ceil(deployments.length / RENDER_CHUNK))).map((chunk) => ({
    deployments: chunk,
    generatorVersion: generator.version,
    secrets: new Map(chunk.map((d) => [d.name, secrets.get(d.name)!])),
  }));
  const results = await inWorkers<RenderChunk, Map<string, DeploymentOutput>>(moduleOf('src/synth/render-worker.ts'), 'renderChunk', chunks);
  return new Map(results.flatMap((r) => [...r]));
}

/** Everything a deployment's files depend on: the generator, its cluster's and its own settings, its secrets (their state's text). */
function inputsHash(fingerprint: string, deployment: Deployment, stateText: string): string {
  const { cluster } = deployment;
  const settings = JSON.stringify([fingerprint, cluster.name, cluster.spec, deployment.name, deployment.namespace, deployment.spec]);
  return createHash('sha256').update(settings).update('\0').update(stateText).digest('hex');
}

/** Everything a cluster's `_cluster/` and `_argocd/` files depend on: the generator, its settings, its deployments' names, namespaces and kinds. */
function clusterInputsHash(fingerprint: string, cluster: Cluster, deployments: Deployment[], outputs: ReadonlyMap<string, Omit<DeploymentOutput, 'files'>>): string {
  const members = deployments.map((d) => {
    const output = outputs.get(d.name);
    return [d.name, d.namespace, output?.namespacedKinds, output?.clusterKinds];
  });
  return createHash('sha256').update(JSON.stringify([fingerprint, generator.version, cluster.name, cluster.file, cluster.spec, members])).digest('hex');
}

/** The previous files of a cluster's own folders, when rendered from the same inputs and as synth wrote them. */
function reusableCluster(previous: PreviousOutput, files: [string, string][], name: string, hash: string): [string, string][] | undefined {
  if (previous.index?.clusters?.[name]?.inputs !== hash) return undefined;
  if (files.length === 0 || files.some(([file, fileHash]) => previous.hashes.get(file) !== fileHash)) return undefined;
  return files;
}

/** The previous index's files (path → hash) by `<cluster>/<deployment>` folder. */
function filesByDeployment(previous: PreviousOutput): Map<string, [string, string][]> {
  const byFolder = new Map<string, [string, string][]>();
  for (const entry of Object.entries(previous.index?.files ?? {})) {
    const key = folderOf(entry[0]);
    const list = byFolder.get(key);
    if (list) list.push(entry);
    else byFolder.set(key, [entry]);
  }
  return byFolder;
}

/** The previous files of a deployment, when it was rendered from the same inputs and no file of it was touched since. */
function reusable(previous: PreviousOutput, files: [string, string][], key: string, hash: string): { files: [string, string][]; record: DeploymentRecord } | undefined {
  const record = previous.index?.deployments?.[key];
  if (!record || record.inputs !== hash) return undefined;
  if (files.length === 0 || files.some(([file, fileHash]) => previous.hashes.get(file) !== fileHash)) return undefined;
  return { files, record };
}
