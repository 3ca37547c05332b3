import { parseAllDocuments } from 'yaml';
import { quickLoadAll } from '../quick-yaml.js';
import { IGNORED_DIFFERENCES } from '../../model/argocd.js';
import { CLAIM_SHRINK_REFUSAL, CLAIM_SPEC_REFUSAL, type KubernetesObject, quantityBytes, sameJson, statefulSetClaimName, updateRefusals } from '../../model/kubernetes-updates.js';
import { dataMoveRefusal, engineVersion, type Engine } from '../../model/engines.js';
import { RESTORE_ANNOTATION } from '../../model/backup.js';
import { rolloutOrder } from '../../model/rollout.js';
import type { InputError } from '../config/errors.js';

/**
 * What a synth's change does to a running deployment, worked out from the manifests before (the
 * previous dist/, what Argo CD has applied) and after (what this synth writes), in the spirit of a
 * Terraform plan:
 * - refused: changes that Kubernetes would refuse (an immutable field: the sync would fail on every
 *   retry) or that would strand data (a zonal volume cannot follow its member to another zone; a
 *   namespace change leaves the claims behind), each with the input field that caused it, why, and
 *   the manual procedure;
 * - members: the member StatefulSets whose pod template changed, which the rollout Job restarts one at
 *   a time (charts/rollout.ts): sentinel-only members first, then the data members, the replica before
 *   the primary (which one is the primary only the sentinels know, when the Job runs);
 * - restarts: the other workloads whose pods roll (their pod template changed);
 * - expands: the claims whose volumes grow, online (the declared claims; Argo CD leaves the
 *   StatefulSets' claim templates as they are live, model/argocd.ts IGNORED_DIFFERENCES);
 * - and the other objects that change without restarting anything.
 */
export interface ChangePlan {
  /** `<cluster>/<deployment>`, or `<cluster>/_cluster` for the cluster-scoped objects. */
  folder: string;
  refused: Refusal[];
  /** Member StatefulSets whose pods the rollout Job restarts, sentinel-only members first. */
  members: { name: string; holdsData: boolean }[];
  /** Other workloads (Deployments, StatefulSets) whose pods restart. */
  restarts: string[];
  /** Claims whose volumes grow, online: `<claim> <size before> → <size after>`. */
  expands: string[];
  /** Objects that change (or appear, or go) without restarting a pod. */
  changes: string[];
}

export interface Refusal {
  /** The input file and field the change comes from. */
  file: string;
  field: string;
  /** What happens and why it is refused. */
  reason: string;
  /** What to do instead. */
  procedure: string;
}

type Objects = Map<string, KubernetesObject>;

const ZONE_KEY = 'topology.kubernetes.io/zone';
const COMPONENT_LABEL = 'app.kubernetes.io/component';

/** The objects of a folder's files (path → YAML text), by kind/namespace/name. */
export function objectsOf(files: Iterable<[string, string]>): Objects {
  const objects: Objects = new Map();
  for (const [file, text] of files) {
    if (!file.endsWith('.yaml')) continue;
    // synth's own output is plain YAML, which js-yaml reads ~8x faster; anything else (a hand edit
    // with anchors) the yaml library reads.
    const docs = (quickLoadAll(text) ?? parseAllDocuments(text).map((doc) => doc.toJS())) as (KubernetesObject | null)[];
    for (const o of docs) {
      if (o?.kind && o.metadata?.name) objects.set(identity(o), o);
    }
  }
  return objects;
}

function identity(o: KubernetesObject): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** Where the objects of a plan came from: the input files a refusal names. */
export interface PlanSources {
  deploymentFile?: string;
  clusterFile: string;
}

export function planChanges(folder: string, before: Objects, after: Objects, sources: PlanSources): ChangePlan {
  const plan: ChangePlan = { folder, refused: [], members: [], restarts: [], expands: [], changes: [] };
  if (before.size === 0) return plan;
  const deploymentFile = sources.deploymentFile ?? sources.clusterFile;
  const namespaces = (objects: Objects) => [...objects.values()].filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
  const [was, is] = [namespaces(before), namespaces(after)];
  if (was.length && is.length && !sameJson(was, is)) {
    plan.refused.push({
      file: deploymentFile,
      field: 'namespace',
      reason: `moves the deployment from namespace ${was.join(', ')} to ${is.join(', ')}: its volumes (claims are namespaced, and never pruned) stay in the old namespace, and the members would start empty in the new one`,
      procedure: 'declare a new deployment in the new namespace, copy the data to it (a replica of the old one, or a backup), move the applications, then remove the old deployment',
    });
    return plan;
  }
  const claimsBefore = claimsOf(before);
  for (const [id, desired] of after) {
    const previous = desired.kind === 'PersistentVolumeClaim' ? claimsBefore.get(id) : before.get(id);
    if (!previous) {
      plan.changes.push(`+ ${id}`);
      continue;
    }
    // What Argo CD applies: git's object, but for what it leaves as it is live.
    const next = asApplied(previous, desired);
    if (sameJson(previous, next)) continue;
    if (next.kind === 'PersistentVolumeClaim') {
      const [was, size] = [storageOf(previous), storageOf(next)];
      if (was && size && quantityBytes(size) < quantityBytes(was)) {
        plan.refused.push({
          file: deploymentFile,
          field: 'persistence.size',
          reason: `shrinks the volume ${next.metadata.name} from ${was} to ${size}: a volume cannot shrink (the API server refuses it: ${CLAIM_SHRINK_REFUSAL}, and the sync would fail on every retry)`,
          procedure: `keep persistence.size at ${was} or more; to move to smaller volumes, declare a new deployment with the smaller size, copy the data to it (a replica of this one, or a backup), move the applications, then remove this deployment`,
        });
        continue;
      }
      const [classBefore, classAfter] = [previous.spec?.storageClassName, next.spec?.storageClassName];
      if (classBefore !== classAfter) {
        plan.refused.push({
          file: sources.clusterFile,
          field: 'storage.storageClassName',
          reason: `moves the volume ${next.metadata.name} from StorageClass ${classBefore} to ${classAfter}: a claim's class cannot change (the API server refuses it: ${CLAIM_SPEC_REFUSAL}), and the volume is the old class's`,
          procedure: 'keep the storageClassName of an existing cluster; for volumes of another class, declare the deployments on a cluster file with that class and copy the data over',
        });
        continue;
      }
    }
    const refusals = refusalsOf(previous, next, sources, deploymentFile);
    plan.refused.push(...refusals);
    if (refusals.length) continue;
    if ((next.kind === 'StatefulSet' || next.kind === 'Deployment') && !sameJson(previous.spec?.template, next.spec?.template)) {
      if (isMember(next)) plan.members.push({ name: next.metadata.name, holdsData: holdsData(next) });
      else plan.restarts.push(next.metadata.name);
    } else if (next.kind === 'PersistentVolumeClaim' && storageOf(previous) !== storageOf(next)) plan.expands.push(`${next.metadata.name} ${storageOf(previous)} → ${storageOf(next)}`);
    else plan.changes.push(`~ ${id}`);
  }
  // The rollout Job's order; which data member is the primary only the sentinels know when it runs.
  plan.members = rolloutOrder(plan.members.sort((a, b) => a.name.localeCompare(b.name)), () => false);
  for (const id of before.keys()) if (!after.has(id)) plan.changes.push(`- ${id}`);
  return plan;
}

function refusalsOf(previous: KubernetesObject, next: KubernetesObject, sources: PlanSources, deploymentFile: string): Refusal[] {
  const refused: Refusal[] = [];
  const name = next.metadata.name;
  if (next.kind === 'StatefulSet') {
    const [zoneBefore, zoneAfter] = [zoneOf(previous), zoneOf(next)];
    if (zoneBefore !== zoneAfter && (next.spec?.volumeClaimTemplates ?? []).length) {
      refused.push({
        file: sources.clusterFile,
        field: 'zones',
        reason: `moves member ${name} from zone ${zoneBefore} to ${zoneAfter}: its volume is block storage in ${zoneBefore} and cannot follow, so the pod could never start`,
        procedure: 'keep the zones of an existing cluster; to move a deployment to other zones, declare it on a cluster file with those zones and copy the data over',
      });
    }
    const restoring = restoreOf(next);
    if (restoring && restoring !== restoreOf(previous)) {
      refused.push({
        file: deploymentFile,
        field: 'restore',
        reason:
          `restores backup ${restoring} into ${name}, which already runs: its restore step lays a backup only onto an empty volume, ` +
          'so a running member keeps its data, and the sentinels keep the current primary (a restored member would resynchronise from it)',
        procedure:
          'restore into a new deployment (a new file with restore:, then move the applications); or, to replace this deployment\'s data, ' +
          'follow the README runbook "Restoring into an existing deployment" (stop Argo CD\'s sync, scale every member to 0, delete the data claims ' +
          'of both data members and the sentinel state, synth with --accept-change, sync)',
      });
    }
    const [before, after] = [serverOf(previous), serverOf(next)];
    if (before && after) {
      const moved = before.engine !== after.engine || before.line !== after.line;
      const from = engineVersion(before.engine, before.line);
      const to = engineVersion(after.engine, after.line);
      // Lines the table no longer offers (Redis 7.0) wrote older formats that every offered line loads.
      const formatRefusal = moved && from && to ? dataMoveRefusal(from, to) : undefined;
      if (before.engine === after.engine && compareVersions(after.patch, before.patch) < 0) {
        refused.push({
          file: deploymentFile,
          field: 'redis.version',
          reason: `downgrades ${name} from ${before.engine} ${before.patch} to ${after.patch}: an older server cannot be trusted to load the data files a newer one wrote${formatRefusal ? ` (${formatRefusal})` : ''}, and the members would run two versions against one dataset during the rollout`,
          procedure: 'keep the version; to go back, restore a backup taken with the older version into a new deployment',
        });
      } else if (formatRefusal) {
        refused.push({
          file: deploymentFile,
          field: before.engine === after.engine ? 'redis.version' : 'redis.engine',
          reason: `moves ${name} from ${before.engine} ${before.patch} to ${after.engine} ${after.patch}: ${formatRefusal}`,
          procedure: `keep ${before.engine} ${before.line}; to move, create a new deployment on ${after.engine} ${after.line} and copy the keys over (DUMP/RESTORE or the application), then move the applications (README, "Engines and versions")`,
        });
      }
    }
    // Any other field Kubernetes refuses to change.
    if (!refused.length && updateRefusals(previous, next).length) {
      refused.push({ file: deploymentFile, field: '', reason: `changes StatefulSet ${name} in a way Kubernetes refuses: ${updateRefusals(previous, next).join('; ')}`, procedure: 'revert the change' });
    }
    return refused;
  }
  for (const message of updateRefusals(previous, next)) {
    refused.push(
      next.kind === 'StorageClass'
        ? {
            file: sources.clusterFile,
            field: 'storage',
            reason: `changes StorageClass ${name} (${message}): a StorageClass's provisioner and parameters (its encryption and key among them) cannot change`,
            procedure: 'keep the storage settings of an existing cluster; volumes keep the encryption they were created with',
          }
        : { file: deploymentFile, field: '', reason: `changes ${next.kind} ${name} in a way Kubernetes refuses: ${message}`, procedure: 'revert the change' },
    );
  }
  return refused;
}

function isMember(o: KubernetesObject): boolean {
  return o.kind === 'StatefulSet' && o.spec?.template?.metadata?.labels?.[COMPONENT_LABEL] === 'member';
}

/** Whether a member StatefulSet runs redis (a data member) rather than sentinel alone. */
function holdsData(sts: KubernetesObject): boolean {
  return (sts.spec?.template?.spec?.containers ?? []).some((c: { name: string }) => c.name === 'redis');
}

function zoneOf(sts: KubernetesObject): string | undefined {
  const terms = sts.spec?.template?.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) for (const e of term.matchExpressions ?? []) if (e.key === ZONE_KEY) return (e.values ?? []).join(',');
  return undefined;
}

function storageOf(claim: KubernetesObject): string | undefined {
  return claim.spec?.resources?.requests?.storage;
}

/**
 * The claims the StatefulSets of `objects` make from their templates, by identity, as they are live:
 * bound to their volumes (a running member's are). Where the previous output declared no claims (a
 * generator before they were declared), these are the claims a declared one then takes over.
 */
function claimsOf(objects: Objects): Objects {
  const claims: Objects = new Map();
  for (const o of objects.values()) {
    if (o.kind === 'PersistentVolumeClaim') claims.set(identity(o), { ...o, status: { phase: 'Bound' } });
  }
  for (const sts of objects.values()) {
    if (sts.kind !== 'StatefulSet') continue;
    for (const t of sts.spec?.volumeClaimTemplates ?? []) {
      for (let ordinal = 0; ordinal < (sts.spec?.replicas ?? 1); ordinal++) {
        const { apiVersion: _a, kind: _k, ...template } = t;
        const claim: KubernetesObject = {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          ...template,
          metadata: { ...template.metadata, name: statefulSetClaimName(t.metadata.name, sts.metadata.name, ordinal), namespace: sts.metadata.namespace },
          status: { phase: 'Bound' },
        };
        if (!claims.has(identity(claim))) claims.set(identity(claim), claim);
      }
    }
  }
  return claims;
}

/** `desired` as Argo CD applies it over `live`: with the live value where the Applications ignore differences. */
function asApplied(live: KubernetesObject, desired: KubernetesObject): KubernetesObject {
  let applied = desired;
  for (const rule of IGNORED_DIFFERENCES) {
    if (desired.kind !== rule.kind || !desired.apiVersion.startsWith(`${rule.group}/`)) continue;
    for (const pointer of rule.jsonPointers) applied = withValueAt(applied, pointer.split('/').slice(1), valueAt(live, pointer.split('/').slice(1)));
  }
  // The live claim's status (its phase decides what may change) is not the output's to set.
  return live.status && desired.kind === 'PersistentVolumeClaim' ? { ...applied, status: live.status } : applied;
}

function valueAt(o: unknown, path: string[]): unknown {
  return path.reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), o);
}

function withValueAt<T>(o: T, path: string[], value: unknown): T {
  const [key, ...rest] = path;
  if (key === undefined) return value as T;
  const object = (o ?? {}) as Record<string, unknown>;
  return { ...object, [key]: withValueAt(object[key], rest, value) } as T;
}

/** The engine, line and patch of a member's server image (its redis or sentinel container), from the image reference. */
function serverOf(sts: KubernetesObject): { engine: Engine; line: string; patch: string } | undefined {
  const container = (sts.spec?.template?.spec?.containers ?? []).find((c: { name: string }) => c.name === 'redis' || c.name === 'sentinel');
  const image: string = container?.image ?? '';
  const patch = /:(\d+\.\d+(?:\.\d+)?)/.exec(image)?.[1];
  if (!patch) return undefined;
  const engine: Engine = /(^|\/)valkey$/.test(image.split(':')[0] ?? '') ? 'valkey' : 'redis';
  return { engine, line: patch.split('.').slice(0, 2).join('.'), patch };
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** The refusals of `plans` as input errors, except those of folders whose deployment or cluster `accepted` names. */
export function refusalErrors(plans: ChangePlan[], accepted: ReadonlySet<string>): InputError[] {
  return plans
    .filter((p) => !p.folder.split('/').some((part) => accepted.has(part)))
    .flatMap((p) =>
      p.refused.map((r) => ({
        file: r.file,
        field: r.field,
        message: `refused: ${r.reason}. Instead: ${r.procedure}. (To apply it anyway, knowing this: synth --accept-change ${p.folder.split('/')[1] === '_cluster' ? p.folder.split('/')[0] : p.folder.split('/')[1]})`,
      })),
    );
}

/** The backup a member's pod template restores (RESTORE_ANNOTATION), if any. */
function restoreOf(statefulSet: KubernetesObject): string | undefined {
  return statefulSet.spec?.template?.metadata?.annotations?.[RESTORE_ANNOTATION];
}
