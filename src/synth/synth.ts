import { createHash, type Hash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pMap from 'p-map';
import { serverCertificateNames, type DeploymentSecrets } from '../../model/secrets.js';
import { cachedSignature, InputErrors, loadInputs, specText, type Cluster, type Deployment, type Inputs } from '../config/load.js';
import { resolveSecrets, type RotationRequest } from '../secrets/resolve.js';
import { loadSealingKey, type SealingKey } from '../secrets/seal.js';
import { orphanStates, readState, stateFile, stateText } from '../secrets/state.js';
import { fromRoot, moduleOf } from '../paths.js';
import { generator } from '../version.js';
import { ARGOCD_FOLDER, CLUSTER_FOLDER, INDEX_FILE } from '../../model/dist-layout.js';
import { type ChangePlan, objectsOf, planChanges, type PlanSources, refusalErrors } from './change-plan.js';
import { generatorFingerprint } from './fingerprint.js';
import { FleetRecord, fleetRecordFile, fleetRecordText, keepFleetRecord, type FleetRecordHead, type RecordedDeployment } from './fleet-record.js';
import { ParsedFileCache } from '../config/parse-cache.js';
import { FileMonitor } from '../config/file-monitor.js';
import type { DeploymentOutput, RenderedFiles } from './render.js';
import { RenderQueue } from './render-queue.js';
import { withRepositoryLock, type LockOptions } from './lock.js';
import { noProgress, type Progress } from '../progress.js';
import { recover, Staging } from './transaction.js';
import {
  buildIndex,
  fileCount,
  folderOf,
  indexText,
  isIntact,
  isSumsFile,
  IndexLines,
  keptOf,
  readPrevious,
  refreshFolders,
  sha256,
  withSums,
  writeDist,
  type DeploymentRecord,
  type DistChanges,
  type FolderRecord,
  type KeptFolders,
  type StoredDeployment,
  type StoredKinds,
  type PreviousOutput,
  type RenderedOutput,
} from './write-dist.js';

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
  /** Where to show how far the run is (secrets resolved, deployments rendered); nowhere by default. */
  progress?: Progress;
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
  /** Why the previous index.json could not be used: every file was read and every deployment rendered again. */
  indexProblem?: string;
}

export interface ResolvedAll {
  secrets: Map<string, DeploymentSecrets>;
  /**
   * Per deployment: its state file, and whether the state differs from the file's (then its text).
   * Deployments whose secrets were not resolved (see steadySecrets) have an unchanged state file.
   */
  states: Map<string, { file: string; text?: string; changed: boolean }>;
  /** Per resolved deployment: sha256 of its state's text, and until when resolving it again gives the same (see ResolvedSecrets.sameUntil). */
  resolved: Map<string, { stateSha256: string; sameUntil: number; notes: string[] }>;
  notes: SynthResult['notes'];
}

/** Where the CLI keeps the parsed deployment files of the repository at `root` between synths (see parse-cache.ts). */
export function synthCacheFile(root: string): string {
  return fromRoot(`node_modules/.cache/redis-gitops/synth/${createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 16)}.json`);
}

/** Deployments whose secrets are resolved at once (libuv's thread pool has 4 threads by default). */
const SECRETS_CONCURRENCY = 8;

/** Each cluster's sealing key, by cluster name; a certificate that cannot be used is an input error of its cluster file. */
export async function loadSealingKeys(root: string, clusters: readonly Cluster[], now: Date): Promise<Map<string, SealingKey>> {
  const keys = new Map<string, SealingKey>();
  for (const cluster of clusters) {
    const file = cluster.spec.sealedSecrets.certificate;
    try {
      keys.set(cluster.name, loadSealingKey(await readFile(path.join(root, file), 'utf8'), file, now));
    } catch (error) {
      throw new InputErrors([{ file: cluster.file, field: 'sealedSecrets.certificate', message: (error as Error).message }]);
    }
  }
  return keys;
}

/**
 * The secrets of the deployments `only` selects (default: every deployment), from their state files
 * under `root` where those still fit.
 */
export async function resolveAllSecrets(
  root: string,
  inputs: Inputs,
  options: SynthOptions = {},
  {
    only,
    sealingKeys,
    onResolved,
  }: {
    only?: (deployment: Deployment) => boolean;
    sealingKeys?: ReadonlyMap<string, SealingKey>;
    /** Hears of each deployment as its secrets are resolved (in the order they finish), with its state's sha256. */
    onResolved?: (deployment: Deployment, secrets: DeploymentSecrets, stateSha256: string) => void;
  } = {},
): Promise<ResolvedAll> {
  const now = options.now ?? new Date();
  const keys = sealingKeys ?? (await loadSealingKeys(root, inputs.clusters, now));
  const selected = only ? inputs.deployments.filter(only) : inputs.deployments;
  const progress = options.progress ?? noProgress;
  if (selected.length) progress.phase('resolving secrets', selected.length, 'deployments');
  // Several deployments at once: generating keys and signing (node's crypto, src/secrets/tls.ts) run
  // on libuv's threads, and one deployment at a time left this thread idle for a third of a cold synth.
  const resolvedAll = await pMap(
    selected,
    async (deployment) => {
      try {
        const file = stateFile(root, deployment.cluster.name, deployment.name);
        const previous = readState(file, path.relative(root, file));
        const resolved = await resolveSecrets({
          deployment,
          subjectNames: serverCertificateNames({ deployment: deployment.name, namespace: deployment.namespace }, deployment.spec.portal.hostnames),
          sealingKey: keys.get(deployment.cluster.name)!,
          previous: previous?.state,
          now,
          rotate: options.rotate?.get(deployment.name) ?? {},
        });
        const text = stateText(resolved.state);
        const stateSha256 = sha256(text);
        progress.advance();
        onResolved?.(deployment, resolved.secrets, stateSha256);
        return { file, previous, resolved, text, stateSha256 };
      } catch (error) {
        return { error };
      }
    },
    { concurrency: SECRETS_CONCURRENCY },
  );
  // The first deployment's error, in the deployments' order (not whichever failed first in time).
  const failed = resolvedAll.find((r) => 'error' in r);
  if (failed) throw failed.error;
  const result: ResolvedAll = { secrets: new Map(), states: new Map(), resolved: new Map(), notes: [] };
  // In the deployments' order, whatever order they finished in.
  for (const [i, r] of resolvedAll.entries()) {
    if ('error' in r) continue;
    const { file, previous, resolved, text, stateSha256 } = r;
    const deployment = selected[i]!;
    result.secrets.set(deployment.name, resolved.secrets);
    result.states.set(deployment.name, { file, text, changed: text !== previous?.text });
    result.resolved.set(deployment.name, { stateSha256, sameUntil: resolved.sameUntil, notes: resolved.notes });
    for (const note of resolved.notes) result.notes.push({ deployment: deployment.name, note });
  }
  return result;
}

/** What a synth would write, worked out without writing anything. */
export interface SynthPlan {
  inputs: Inputs;
  previous: PreviousOutput;
  /** The folders rendered now, with their SHA256SUMS; the other folders of the index are kept from the previous output. */
  output: RenderedOutput;
  /** index.json's text as the plan leaves it. */
  indexText: string;
  /**
   * The folders kept from the previous output: every one listed after plan, only those it read (the
   * clusters') after planFromRecord; `files` counts the files of all of them.
   */
  kept: KeptFolders;
  /** How many files the output holds once written (its SUMS_FILEs and index.json aside). */
  files: number;
  states: ResolvedAll['states'];
  notes: SynthResult['notes'];
  rendered: number;
  plans: ChangePlan[];
  /** How many deployments and clusters the inputs declare (`inputs` holds only those read, see planFromRecord). */
  deployments: number;
  clusters: number;
  /** Whether `states` holds every deployment's state file (else no state file can be an orphan: see planFromRecord). */
  everyState: boolean;
  /**
   * The text of the fleet record to keep once the plan is written (fleet-record.ts), given the sha256
   * of the index then written and its file count; 'as-is': the one there stays right; undefined: none
   * can be kept (no file monitor's mark).
   */
  record: ((written: Pick<FleetRecordHead, 'index' | 'files'>) => string) | 'as-is' | undefined;
}

/**
 * What the synth cache keeps of a state file (by its stat signature, see parse-cache.ts) whose
 * secrets resolved to the state it holds: its text's sha256, and what resolving it gave.
 */
interface SteadyState {
  stateSha256: string;
  sameUntil: number;
  notes: string[];
  /**
   * The deployment's inputs hash with this state, and what it was worked out from besides the
   * state: its cluster's part (see clusterKey) and its file's stat signature. While both are the
   * same, so is the hash, and a synth need not hash every deployment of the fleet again.
   */
  inputs?: InputsMemo;
}

type InputsMemo = [clusterKey: string, fileSignature: string, hash: string];

function isSteadyState(value: unknown): value is SteadyState {
  const v = value as SteadyState | undefined;
  return (
    typeof v?.stateSha256 === 'string' &&
    typeof v.sameUntil === 'number' &&
    Array.isArray(v.notes) &&
    v.notes.every((n) => typeof n === 'string') &&
    (v.inputs === undefined || (Array.isArray(v.inputs) && v.inputs.length === 3 && v.inputs.every((part) => typeof part === 'string')))
  );
}

/** The cache key of a deployment's state file: its repository path. */
function stateKey(deployment: Deployment): string {
  return `state/${deployment.cluster.name}/${deployment.name}.json`;
}

/**
 * Loads the inputs under `root`, resolves their secrets and renders what differs from the output in
 * `outDir`: a deployment whose inputs (see inputsHash) are those recorded in the previous index, and
 * whose files are as synth wrote them, is not rendered again. Throws InputErrors on bad input.
 *
 * With a cache, the secrets of a deployment are not even resolved (its state file not read) when
 * resolving them would give what the previous synth wrote (see steadySecrets): the work of a synth
 * after one change follows that change, not the fleet.
 */
export async function plan(root: string, outDir: string, options: SynthOptions = {}, staging?: Staging): Promise<SynthPlan> {
  const verify = !!(options.full || options.verify);
  const fingerprint = await generatorFingerprint();
  if (options.cache !== undefined && !verify && !options.rotate?.size && options.writeState !== false && options.refuse !== false) {
    const planned = await planFromRecord(root, outDir, options, staging, fingerprint);
    if (planned) return planned;
  }
  const previous = await readPrevious(outDir, { verify });
  // No clusters/ at all is a wrong --root or working folder far more often than a fleet given up:
  // synth would remove every file of the output. An empty clusters/ folder says the latter.
  const previousFolders = Object.keys(previous.index?.folders ?? {}).length;
  if (previousFolders && !existsSync(path.join(root, 'clusters'))) {
    throw new InputErrors([{ file: 'clusters/', field: '', message: `no such folder under ${path.resolve(root)}, so synth would remove everything in ${outDir}/ (${previousFolders} folders): run it at the repository root (or give --root); to remove every cluster, keep an empty clusters/ folder` }]);
  }
  const cache = options.cache === undefined ? undefined : ParsedFileCache.open(options.cache, fingerprint, root);
  const now = options.now ?? new Date();
  const inputs = await loadInputs(root, { now, existing: new Set(Object.keys(previous.index?.deployments ?? {})), cache });
  for (const name of options.rotate?.keys() ?? []) {
    if (!inputs.deployments.some((d) => d.name === name)) {
      throw new InputErrors([{ file: `deployments/${name}.yaml`, field: '', message: 'no such deployment to rotate' }]);
    }
  }
  const sealingKeys = await loadSealingKeys(root, inputs.clusters, now);
  const clusterSettings = new Map(inputs.clusters.map((c) => [c, clusterPart(fingerprint, c, sealingKeys.get(c.name)!.fingerprint)]));
  // What a memo of an inputs hash (SteadyState.inputs) holds of the cluster's part: its own digest.
  const clusterKeys = new Map([...clusterSettings].map(([c, part]) => [c, part.copy().digest('hex')]));
  // A deployment's hash is worked out once (steadySecrets needs it first), as it is the same with the
  // same state; or taken from the cache's memo of it, when what it was worked out from is the same.
  const known = new Map<string, [string, string]>();
  const hashOf = (d: Deployment, stateSha256: string, memo?: InputsMemo) => {
    const found = known.get(d.name);
    if (found?.[0] === stateSha256) return found[1];
    const memoized = memo && memo[0] === clusterKeys.get(d.cluster) && memo[1] === cachedSignature(d);
    const hash = memoized ? memo[2] : inputsHash(clusterSettings.get(d.cluster)!, d, stateSha256);
    known.set(d.name, [stateSha256, hash]);
    return hash;
  };
  /** The memo of `d`'s inputs hash with a state, when its spec came from the cache (see SteadyState.inputs). */
  const memoOf = (d: Deployment, hash: string): InputsMemo | undefined => {
    const signature = cachedSignature(d);
    return signature ? [clusterKeys.get(d.cluster)!, signature, hash] : undefined;
  };
  const steady = cache && !options.full ? steadySecrets(root, inputs.deployments, previous, cache, options.rotate, now, hashOf, memoOf) : new Map<string, SteadyState>();
  // The state files' signatures before they are read: a file changed after its stat is read again next time.
  const signatures = new Map(cache ? inputs.deployments.filter((d) => !steady.has(d.name)).map((d) => [d.name, stateSignature(root, d, cache)]) : []);
  // A deployment is rendered when its inputs are not those the index records for its files, or its
  // files are not as synth wrote them. Those whose secrets are resolved now are rendered as soon as
  // their secrets are (see RenderQueue); the steady ones are as the index records them.
  const toRender = (d: Deployment, hash: string) => {
    const key = `${d.cluster.name}/${d.name}`;
    const record = previous.index?.deployments?.[key];
    return !!options.full || !record || record.inputs !== hash || !isIntact(previous, key);
  };
  const { resolved, renderedOutputs, fileHashes } = await resolveAndRender(root, inputs, options, { previous, staging, sealingKeys }, {
    only: (d) => !steady.has(d.name),
    count: inputs.deployments.length - steady.size,
    toRender: (d, stateSha256) => toRender(d, hashOf(d, stateSha256)),
  });
  const states: ResolvedAll['states'] = new Map();
  const notes: SynthResult['notes'] = [];
  const hashes = new Map<string, string>();
  const recorded: RecordedDeployment[] = [];
  for (const d of inputs.deployments) {
    const kept = steady.get(d.name);
    const fresh = resolved.resolved.get(d.name);
    const state = resolved.states.get(d.name) ?? { file: stateFile(root, d.cluster.name, d.name), changed: false };
    const { stateSha256, notes: its, sameUntil } = kept ?? fresh!;
    states.set(d.name, state);
    for (const note of its) notes.push({ deployment: d.name, note });
    recorded.push([d.name, d.file, d.cluster.name, d.namespace, sameUntil, its]);
    const hash = hashOf(d, stateSha256);
    hashes.set(d.name, hash);
    // A state its secrets resolved to as it is, not rotated: the next synth may take it as it is.
    const signature = signatures.get(d.name);
    if (fresh && signature && !state.changed && !options.rotate?.has(d.name)) {
      cache!.put(stateKey(d), signature, { stateSha256, sameUntil: fresh.sameUntil, notes: fresh.notes, inputs: memoOf(d, hash) } satisfies SteadyState);
    }
  }
  const mark = cache?.save();
  const files: RenderedFiles = new Map();
  const keptFolders = new Map<string, FolderRecord>();
  const outputs = new Map<string, Omit<DeploymentOutput, 'files'>>();
  const records: Record<string, DeploymentRecord> = {};
  const rendered: Deployment[] = [];
  for (const deployment of inputs.deployments) {
    const key = `${deployment.cluster.name}/${deployment.name}`;
    const output = renderedOutputs.get(deployment.name);
    if (output) {
      // In the deployments' order, whatever order they were rendered in.
      for (const [file, content] of output.files) files.set(file, content);
      outputs.set(deployment.name, output);
      rendered.push(deployment);
      continue;
    }
    // Every deployment not rendered is one steadySecrets found unchanged, or one whose inputs are those of the index.
    if (toRender(deployment, hashes.get(deployment.name)!)) throw new Error(`${deployment.name}: to render, but it was not rendered`);
    keptFolders.set(key, previous.index!.folders[key]!);
    outputs.set(deployment.name, previous.index!.deployments![key]!);
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
  const deploymentsOf = new Map<Cluster, Deployment[]>(inputs.clusters.map((c) => [c, []]));
  for (const d of inputs.deployments) deploymentsOf.get(d.cluster)?.push(d);
  // A cluster's folders are read whatever changed (a few files, though its Argo CD file grows with
  // its deployments), so that a hand edit there is undone by the next synth, as it always was.
  if (!verify) refreshFolders(outDir, previous, inputs.clusters.flatMap((c) => [`${c.name}/${CLUSTER_FOLDER}`, `${ARGOCD_FOLDER}/${c.name}`]));
  for (const cluster of inputs.clusters) {
    const hash = clusterInputsHash(fingerprint, cluster, deploymentsOf.get(cluster) ?? [], outputs);
    clusterRecords[cluster.name] = { inputs: hash };
    const folders = [`${cluster.name}/${CLUSTER_FOLDER}`, `${ARGOCD_FOLDER}/${cluster.name}`];
    const reuse = !options.full && previous.index?.clusters?.[cluster.name]?.inputs === hash && folders.every((f) => isIntact(previous, f));
    if (reuse) for (const f of folders) keptFolders.set(f, previous.index!.folders[f]!);
    else clustersToRender.push(cluster);
  }
  // Every folder written or removed now is compared with what is on disk, not with what the index says.
  if (!verify) {
    const renderedFolders = [...rendered.map((d) => `${d.cluster.name}/${d.name}`), ...clustersToRender.flatMap((c) => [`${c.name}/${CLUSTER_FOLDER}`, `${ARGOCD_FOLDER}/${c.name}`])];
    refreshFolders(outDir, previous, [...Object.keys(previous.index?.folders ?? {}), ...renderedFolders].filter((f) => !keptFolders.has(f)));
  }
  if (clustersToRender.length) {
    // cdk8s and the charts load only to render (~0.1 s): a synth after a change to one deployment's
    // settings renders no cluster's files (and a synth that renders nothing loads none of them).
    const { renderClusters } = await import('./render.js');
    for (const [file, content] of renderClusters({ clusters: clustersToRender, deployments: inputs.deployments }, generator.version, outputs)) files.set(file, content);
  }
  const output = withSums(files, fileHashes);
  const plans = changePlans(outDir, previous, output.files, clustersToRender, rendered);
  const refused = refusalErrors(plans, options.acceptChanges ?? new Set());
  if (refused.length && options.refuse !== false) throw new InputErrors(refused);
  const index = buildIndex(generator, new Map([...keptFolders, ...output.folders]), records, clusterRecords);
  const fileTotal = fileCount(index);
  // A record for the next synth, when the file monitor will tell it what changed since this one began.
  const clusterRecord = inputs.clusters.map((c): [string, string] => [c.name, clusterKeys.get(c)!]);
  const record = mark === undefined || options.writeState === false ? undefined : (written: Pick<FleetRecordHead, 'index' | 'files'>) => fleetRecordText({ fingerprint, mark, clusters: clusterRecord, ...written }, recorded);
  return {
    inputs,
    previous,
    output,
    indexText: indexText(index),
    kept: keptOf(keptFolders),
    files: fileTotal,
    states,
    notes,
    rendered: rendered.length,
    plans,
    deployments: inputs.deployments.length,
    clusters: inputs.clusters.length,
    everyState: true,
    record,
  };
}

/**
 * The plan when the fleet record (fleet-record.ts) can answer for every deployment the file monitor
 * saw nothing change for since the record's synth began: only the changed deployments are read,
 * resolved and rendered if need be; the others are as the index records them, as `plan` would find
 * them (their files, state, cluster and generator are as they were, and their secrets would resolve
 * as they did). Undefined when the record cannot be trusted for this run, or the change reaches
 * beyond those deployments (an input error, a namespace or the kinds a cluster's files list
 * changed): then `plan` reads the whole fleet, and its verdict, errors and output are the ones given.
 */
async function planFromRecord(root: string, outDir: string, options: SynthOptions, staging: Staging | undefined, fingerprint: string): Promise<SynthPlan | undefined> {
  const record = FleetRecord.read(fleetRecordFile(options.cache!), fingerprint);
  if (!record) return undefined;
  const { head } = record;
  // The index as the record's synth wrote it: read entry by entry, not parsed whole (see IndexLines).
  let text: string;
  try {
    text = readFileSync(path.join(outDir, INDEX_FILE), 'utf8');
  } catch {
    return undefined;
  }
  if (sha256(text) !== head.index) return undefined;
  const lines = new IndexLines(text);
  // The index of the record's synth holds its deployments (and not a record cut short).
  if (lines.count('deployments') !== head.count) return undefined;
  const now = options.now ?? new Date();
  // A kept deployment's secrets must resolve as they did (the bound is checked before asking what changed).
  if (now.getTime() >= head.earliest) return undefined;
  const since = FileMonitor.query(root, head.mark)?.changes();
  if (!since) return undefined;
  const clusterNames = new Set(head.clusters.map(([name]) => name));
  const changed = new Map<string, { deployment: RecordedDeployment; at: number }>();
  for (const file of since.changed) {
    const d = recordedFor(record, file);
    if (d) changed.set(d.deployment[0], d);
    // A folder changes with its entries, which are named one by one.
    else if (file === 'deployments' || file === 'state' || (file.startsWith('state/') && clusterNames.has(file.slice('state/'.length)))) continue;
    else if (!ignored(root, file)) return undefined;
  }
  // In the inputs' order (the record's).
  const read = [...changed.values()].sort((a, b) => a.at - b.at).map((d) => d.deployment);
  // A deployment file gone (or no longer a file) removes a deployment.
  if (read.some((d) => !statSync(path.join(root, d[1]), { throwIfNoEntry: false })?.isFile())) return undefined;
  // Every deployment's notes, as plan reports them (those read are replaced below).
  const recordedNotes = record.notes();
  if (!recordedNotes) return undefined;
  let inputs: Inputs;
  let sealingKeys: Map<string, SealingKey>;
  try {
    inputs = await loadInputs(root, { now, only: read.map((d) => d[1]) });
    sealingKeys = await loadSealingKeys(root, inputs.clusters, now);
  } catch (error) {
    // Errors are reported as plan finds them, with every file's.
    if (error instanceof InputErrors) return undefined;
    throw error;
  }
  const clusterSettings = new Map(inputs.clusters.map((c) => [c, clusterPart(fingerprint, c, sealingKeys.get(c.name)!.fingerprint)]));
  const sameClusters = inputs.clusters.length === head.clusters.length && inputs.clusters.every((c, i) => head.clusters[i]![0] === c.name && head.clusters[i]![1] === clusterSettings.get(c)!.copy().digest('hex'));
  const sameNames = inputs.deployments.length === read.length && inputs.deployments.every((d, i) => d.name === read[i]![0] && d.cluster.name === read[i]![2] && d.namespace === read[i]![3]);
  if (!sameClusters || !sameNames) return undefined;
  // What the index records of the deployments read and of the clusters' folders: the previous output
  // as plan would see it, for those (the others are neither read nor written).
  const clusterFolders = head.clusters.flatMap(([name]) => [`${name}/${CLUSTER_FOLDER}`, `${ARGOCD_FOLDER}/${name}`]);
  const deploymentRecords: Record<string, DeploymentRecord> = {};
  const kindsNames = new Map<string, string>();
  const folderRecords: Record<string, FolderRecord> = {};
  for (const d of inputs.deployments) {
    const key = `${d.cluster.name}/${d.name}`;
    const stored = lines.get<StoredDeployment>('deployments', key);
    const kinds = stored && lines.get<StoredKinds>('kinds', stored.kinds);
    if (!kinds) return undefined;
    deploymentRecords[key] = { inputs: stored.inputs, namespacedKinds: kinds.namespaced, clusterKinds: kinds.cluster };
    kindsNames.set(key, stored.kinds);
  }
  for (const folder of [...kindsNames.keys(), ...clusterFolders]) {
    const found = lines.get<FolderRecord>('folders', folder);
    if (found) folderRecords[folder] = found;
  }
  const previous: PreviousOutput = { index: { generator, deployments: deploymentRecords, folders: folderRecords }, indexText: text, hashes: new Map(), read: new Set(), broken: new Set() };
  const hashes = new Map<string, string>();
  const toRender = (d: Deployment, stateSha256: string) => {
    const key = `${d.cluster.name}/${d.name}`;
    const hash = inputsHash(clusterSettings.get(d.cluster)!, d, stateSha256);
    hashes.set(d.name, hash);
    return deploymentRecords[key]!.inputs !== hash || !isIntact(previous, key);
  };
  const { resolved, renderedOutputs, fileHashes } = await resolveAndRender(root, inputs, options, { previous, staging, sealingKeys }, { only: () => true, count: read.length, toRender });
  const entries: [section: 'deployments' | 'folders', key: string, value: unknown][] = [];
  const files: RenderedFiles = new Map();
  const rendered: Deployment[] = [];
  for (const d of inputs.deployments) {
    const key = `${d.cluster.name}/${d.name}`;
    const output = renderedOutputs.get(d.name);
    if (!output) continue;
    // Other kinds change what its cluster's Argo CD project lists: plan renders that cluster's files.
    const before = deploymentRecords[key]!;
    if (JSON.stringify([before.namespacedKinds, before.clusterKinds]) !== JSON.stringify([output.namespacedKinds, output.clusterKinds])) return undefined;
    for (const [file, content] of output.files) files.set(file, content);
    entries.push(['deployments', key, { inputs: hashes.get(d.name)!, kinds: kindsNames.get(key)! } satisfies StoredDeployment]);
    rendered.push(d);
  }
  // The clusters' folders are read whatever changed, as plan reads them: a hand edit there is undone.
  refreshFolders(outDir, previous, clusterFolders);
  if (!clusterFolders.every((f) => isIntact(previous, f))) return undefined;
  const renderedFolders = rendered.map((d) => `${d.cluster.name}/${d.name}`);
  refreshFolders(outDir, previous, renderedFolders);
  const output = withSums(files, fileHashes);
  const plans = changePlans(outDir, previous, output.files, [], rendered);
  const refused = refusalErrors(plans, options.acceptChanges ?? new Set());
  if (refused.length) throw new InputErrors(refused);
  // The files of the folders rendered again replace theirs in the count of every file.
  let keptFiles = head.files;
  let fileTotal = head.files;
  for (const [folder, after] of output.folders) {
    const before = folderRecords[folder];
    if (!before) return undefined;
    keptFiles -= before.files;
    fileTotal += after.files - before.files;
    entries.push(['folders', folder, after]);
  }
  const again = read.map((d): RecordedDeployment => {
    const { sameUntil, notes } = resolved.resolved.get(d[0])!;
    return [d[0], d[1], d[2], d[3], sameUntil, notes];
  });
  const notes = recordedNotes.filter((n) => !changed.has(n.deployment));
  for (const d of again) for (const note of d[5]) notes.push({ deployment: d[0], note });
  // In the inputs' order, as plan gives them.
  const order = new Map([...new Set(notes.map((n) => n.deployment))].map((name) => [name, changed.get(name)?.at ?? record.deployment(name)!.at]));
  notes.sort((a, b) => order.get(a.deployment)! - order.get(b.deployment)!);
  return {
    inputs,
    previous,
    output,
    indexText: lines.with(entries)!,
    kept: { folders: new Map(clusterFolders.map((f) => [f, folderRecords[f]!])), files: keptFiles },
    files: fileTotal,
    states: resolved.states,
    notes,
    rendered: rendered.length,
    plans,
    deployments: head.count,
    clusters: head.clusters.length,
    everyState: false,
    // Nothing read: the record stays right (what changed since its mark, none of it an input, is asked about again next time).
    record: read.length ? (written) => record.with({ mark: since.mark, ...written }, again) : 'as-is',
  };
}

/**
 * The deployment of the record whose deployment file or state file is `file` (a repository path):
 * `deployments/<name>.yaml` (or .yml, as the record names it), `state/<cluster>/<name>.json`.
 */
function recordedFor(record: FleetRecord, file: string): { deployment: RecordedDeployment; at: number } | undefined {
  const match = /^deployments\/([^/]+)\.ya?ml$/.exec(file) ?? /^state\/[^/]+\/([^/]+)\.json$/.exec(file);
  const found = match ? record.deployment(match[1]!) : undefined;
  const d = found?.deployment;
  return d && (d[1] === file || file === `state/${d[2]}/${d[0]}.json`) ? found : undefined;
}

/**
 * Whether a changed path the fleet record does not know leaves synth's inputs as they were: gone
 * (nothing reads it now), or a file no input is read from (an editor's swap file beside a deployment
 * file). Anything else (a file added to deployments/ or state/, a folder, anything under clusters/)
 * is for plan to read.
 */
function ignored(root: string, file: string): boolean {
  const stats = lstatSync(path.join(root, file), { throwIfNoEntry: false });
  return !stats || (stats.isFile() && !file.startsWith('clusters/') && !/\.(ya?ml|json)$/.test(file));
}

/**
 * Resolves the secrets of the deployments `only` selects (`count` of them) and renders those
 * `toRender` picks as soon as theirs are (see RenderQueue), each rendered file unlike the previous
 * output's staged there and then, while other deployments still render.
 */
async function resolveAndRender(
  root: string,
  inputs: Inputs,
  options: SynthOptions,
  { previous, staging, sealingKeys }: { previous: PreviousOutput; staging: Staging | undefined; sealingKeys: ReadonlyMap<string, SealingKey> },
  { only, count, toRender }: { only: (d: Deployment) => boolean; count: number; toRender: (d: Deployment, stateSha256: string) => boolean },
): Promise<{ resolved: ResolvedAll; renderedOutputs: Map<string, DeploymentOutput>; fileHashes: Map<string, string> }> {
  // Each rendered file's sha256, worked out as its chunk comes back.
  const fileHashes = new Map<string, string>();
  const stageRendered = (rendered: ReadonlyMap<string, DeploymentOutput>) => {
    for (const output of rendered.values()) {
      for (const [file, content] of output.files) {
        const hash = sha256(content);
        fileHashes.set(file, hash);
        if (staging && previous.hashes.get(file) !== hash) staging.stage(file, content);
      }
    }
  };
  const queue = new RenderQueue(count, generator.version, options.progress ?? noProgress, stageRendered);
  try {
    const resolved = await resolveAllSecrets(root, inputs, options, {
      only,
      sealingKeys,
      onResolved: (d, secrets, stateSha256) => {
        if (toRender(d, stateSha256)) queue.add(d, secrets);
      },
    });
    return { resolved, renderedOutputs: await queue.finish(), fileHashes };
  } finally {
    await queue.close();
  }
}

/**
 * The deployments whose secrets need not be resolved: resolving them would give the state their file
 * holds and the notes it gave before. So it is when, since the previous synth, nothing the resolution
 * depends on changed: the state file (by its stat signature, the cache knows its text's sha256), the
 * deployment's and its cluster's settings, its sealing certificate and the generator (all in the
 * deployment's inputs hash, which must be the one the index records), and the time is before the
 * resolution's `sameUntil` (when the expiry warning starts). A deployment to rotate, or whose files
 * are not as the index records them, is resolved. Each one found is kept in the cache.
 */
function steadySecrets(
  root: string,
  deployments: readonly Deployment[],
  previous: PreviousOutput,
  cache: ParsedFileCache,
  rotate: SynthOptions['rotate'],
  now: Date,
  hashOf: (d: Deployment, stateSha256: string, memo?: InputsMemo) => string,
  memoOf: (d: Deployment, hash: string) => InputsMemo | undefined,
): Map<string, SteadyState> {
  const steady = new Map<string, SteadyState>();
  for (const d of deployments) {
    const key = `${d.cluster.name}/${d.name}`;
    const record = previous.index?.deployments?.[key];
    if (!record || rotate?.has(d.name) || !isIntact(previous, key)) continue;
    const signature = stateSignature(root, d, cache);
    if (!signature) continue;
    const known = cache.get(stateKey(d), signature.signature);
    if (!isSteadyState(known) || now.getTime() >= known.sameUntil) continue;
    const hash = hashOf(d, known.stateSha256, known.inputs);
    if (hash !== record.inputs) continue;
    steady.set(d.name, known);
    // The entry as it was (its line is kept as it is), or with a memo of its hash that holds now.
    const memo = memoOf(d, hash);
    const kept = !memo || (known.inputs !== undefined && known.inputs.every((part, i) => part === memo[i]));
    cache.put(stateKey(d), signature, kept ? known : { ...known, inputs: memo });
  }
  return steady;
}

/** The stat signature of a deployment's state file (see ParsedFileCache.signature); undefined when there is none. */
function stateSignature(root: string, d: Deployment, cache: ParsedFileCache): ReturnType<typeof ParsedFileCache.signature> | undefined {
  try {
    return cache.signature(stateKey(d), stateFile(root, d.cluster.name, d.name));
  } catch {
    return undefined;
  }
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
    const staging = new Staging(outDir);
    try {
      return await planAndWrite(root, outDir, options, staging, recovered);
    } finally {
      staging.discard();
    }
  }, options.lock);
}

/** A synth's plan, its files staged as they render (see Staging), then written with the state as one transaction. */
async function planAndWrite(root: string, outDir: string, options: SynthOptions, staging: Staging, recovered: Awaited<ReturnType<typeof recover>>): Promise<SynthResult> {
  const planned = await plan(root, outDir, options, staging);
  const states = [...planned.states.values()];
  const keepState = options.writeState !== false;
  const stateWrites = new Map(keepState ? states.filter((s) => s.changed).map((s) => [s.file, s.text!]) : []);
  const stateRemoves = keepState && planned.everyState ? orphanStates(root, new Set(states.map((s) => s.file))) : [];
  if (planned.output.files.size) options.progress?.phase(`writing ${planned.output.files.size} files`, 0);
  const text = planned.indexText;
  const changes = await writeDist(outDir, planned.output, { text, kept: planned.kept }, planned.previous, { writes: stateWrites, removes: stateRemoves }, staging);
  // Once dist/ and state/ are committed: a record written before would describe a fleet not there yet.
  if (options.cache !== undefined && planned.record !== 'as-is') keepFleetRecord(fleetRecordFile(options.cache), planned.record?.({ index: sha256(text), files: planned.files }));
  const { notes, rendered, plans, previous } = planned;
  return {
    clusters: planned.clusters,
    deployments: planned.deployments,
    files: planned.files,
    changes,
    notes,
    statesWritten: [...stateWrites.keys()].map((file) => path.relative(root, file)),
    statesRemoved: stateRemoves.map((file) => path.relative(root, file)),
    rendered,
    plans,
    ...(recovered ? { recovered } : {}),
    ...(previous.problem ? { indexProblem: previous.problem } : {}),
  };
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
  // Without the SHA256SUMS (bookkeeping), in the order of their paths on both sides.
  const previousFiles = byFolder([...previous.hashes.keys()].filter((f) => !isSumsFile(f)).sort());
  const renderedFiles = byFolder([...files.keys()].filter((f) => !isSumsFile(f)));
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

/**
 * Everything a deployment's files and secrets depend on: the generator, its cluster's and its own
 * settings, its cluster's sealing certificate, its secrets (the sha256 of their state's text).
 */
function inputsHash(clusterSettings: Hash, deployment: Deployment, stateSha256: string): string {
  // JSON.stringify([name, namespace, spec, stateSha256]), with the spec's text as the cache kept it.
  return clusterSettings.copy().update(`[${JSON.stringify(deployment.name)},${JSON.stringify(deployment.namespace)},${specText(deployment)},${JSON.stringify(stateSha256)}]`).digest('hex');
}

/**
 * The part of every inputsHash of a cluster's deployments that is the cluster's: serialized and
 * hashed once per cluster (each deployment's hash goes on from a copy), not once per deployment.
 */
function clusterPart(fingerprint: string, cluster: Cluster, sealingCertificate: string): Hash {
  return createHash('sha256').update(`${JSON.stringify([fingerprint, cluster.name, cluster.spec, sealingCertificate])}\0`);
}

/** Everything a cluster's `_cluster/` and `_argocd/` files depend on: the generator, its settings, its deployments' names, namespaces and kinds. */
function clusterInputsHash(fingerprint: string, cluster: Cluster, deployments: Deployment[], outputs: ReadonlyMap<string, Omit<DeploymentOutput, 'files'>>): string {
  const members = deployments.map((d) => {
    const output = outputs.get(d.name);
    return [d.name, d.namespace, output?.namespacedKinds, output?.clusterKinds];
  });
  return createHash('sha256').update(JSON.stringify([fingerprint, generator.version, cluster.name, cluster.file, cluster.spec, members])).digest('hex');
}



