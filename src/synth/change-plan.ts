import { parseAllDocuments } from 'yaml';
import { type KubernetesObject, sameJson, updateRefusals } from '../../model/kubernetes-updates.js';
import type { InputError } from '../config/errors.js';

/**
 * What a synth's change does to a running deployment, worked out from the manifests before (the
 * previous dist/, what Argo CD has applied) and after (what this synth writes), in the spirit of a
 * Terraform plan:
 * - refused: changes that Kubernetes would refuse (an immutable field: the sync would fail on every
 *   retry) or that would strand data (a zonal volume cannot follow its member to another zone; a
 *   namespace change leaves the claims behind), each with the input field that caused it, why, and
 *   the manual procedure;
 * - restarts: the workloads whose pods roll (their pod template changed);
 * - and the other objects that change without restarting anything.
 */
export interface ChangePlan {
  /** `<cluster>/<deployment>`, or `<cluster>/_cluster` for the cluster-scoped objects. */
  folder: string;
  refused: Refusal[];
  /** Workloads (StatefulSet or Deployment names) whose pods restart. */
  restarts: string[];
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

/** The objects of a folder's files (path → YAML text), by kind/namespace/name. */
export function objectsOf(files: Iterable<[string, string]>): Objects {
  const objects: Objects = new Map();
  for (const [file, text] of files) {
    if (!file.endsWith('.yaml')) continue;
    for (const doc of parseAllDocuments(text)) {
      const o = doc.toJS() as KubernetesObject | null;
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
  const plan: ChangePlan = { folder, refused: [], restarts: [], changes: [] };
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
  for (const [id, next] of after) {
    const previous = before.get(id);
    if (!previous) {
      plan.changes.push(`+ ${id}`);
      continue;
    }
    if (sameJson(previous, next)) continue;
    const refusals = refusalsOf(previous, next, sources, deploymentFile);
    plan.refused.push(...refusals);
    if (refusals.length) continue;
    if ((next.kind === 'StatefulSet' || next.kind === 'Deployment') && !sameJson(previous.spec?.template, next.spec?.template)) plan.restarts.push(next.metadata.name);
    else plan.changes.push(`~ ${id}`);
  }
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
    const [sizesBefore, sizesAfter] = [claimSizes(previous), claimSizes(next)];
    for (const [claim, size] of sizesAfter) {
      const was = sizesBefore.get(claim);
      if (was === undefined || was === size) continue;
      refused.push(
        bytes(size) < bytes(was)
          ? {
              file: deploymentFile,
              field: 'persistence.size',
              reason: `shrinks the volumes of ${name} from ${was} to ${size}: a volume cannot shrink`,
              procedure: `keep ${was} or more`,
            }
          : {
              file: deploymentFile,
              field: 'persistence.size',
              reason: `grows the volumes of ${name} from ${was} to ${size} through the StatefulSet's claim templates, which Kubernetes refuses to change (the sync would fail on every retry: ${updateRefusals(previous, next)[0]})`,
              procedure: `expand each existing claim (kubectl -n ${next.metadata.namespace} patch pvc <claim> -p '{"spec":{"resources":{"requests":{"storage":"${size}"}}}}'; the class allows expansion), then change persistence.size and synth with --accept-change`,
            },
      );
    }
    const [versionBefore, versionAfter] = [redisVersionOf(previous), redisVersionOf(next)];
    if (versionBefore && versionAfter && compareVersions(versionAfter, versionBefore) < 0) {
      refused.push({
        file: deploymentFile,
        field: 'redis.version',
        reason: `downgrades ${name} from Redis ${versionBefore} to ${versionAfter}: an older redis cannot load the data files a newer one wrote (RDB format), and the members would run two versions against one dataset during the rollout`,
        procedure: 'keep the version; to go back, restore a backup taken with the older version into a new deployment',
      });
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

function zoneOf(sts: KubernetesObject): string | undefined {
  const terms = sts.spec?.template?.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) for (const e of term.matchExpressions ?? []) if (e.key === ZONE_KEY) return (e.values ?? []).join(',');
  return undefined;
}

function claimSizes(sts: KubernetesObject): Map<string, string> {
  return new Map((sts.spec?.volumeClaimTemplates ?? []).map((t: { metadata: { name: string }; spec: { resources: { requests: { storage: string } } } }) => [t.metadata.name, t.spec.resources.requests.storage]));
}

const units: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12, '': 1 };
function bytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(quantity);
  return m ? Number(m[1]) * (units[m[2]!] ?? Number.NaN) : Number.NaN;
}

/** The version of the redis image of a member (the tag of its redis container). */
function redisVersionOf(sts: KubernetesObject): string | undefined {
  const redis = (sts.spec?.template?.spec?.containers ?? []).find((c: { name: string }) => c.name === 'redis' || c.name === 'sentinel');
  return /:(\d+(?:\.\d+)*)/.exec(redis?.image ?? '')?.[1];
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
