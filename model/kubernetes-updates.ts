/**
 * What the Kubernetes API server (v1.28) refuses to change in an existing object, by kind: ported
 * from its update validation (k8s.io/kubernetes pkg/apis/apps/validation ValidateStatefulSetUpdate and
 * ValidateDeploymentUpdate, pkg/apis/storage/validation ValidateStorageClassUpdate, pkg/apis/core/validation
 * ValidatePersistentVolumeClaimUpdate), with its messages.
 * A change to one of these fields is not rolled out by Argo CD: the sync fails on every retry. The
 * engine tier compares this with the real API server (test/engine/change-plan.engine.test.ts).
 */

/** The spec fields of a StatefulSet that an update may change; any other spec change is refused. */
export const STATEFULSET_MUTABLE_SPEC = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'] as const;

export const STATEFULSET_UPDATE_REFUSAL =
  "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

/** The top-level fields of a StorageClass an update may not change, with the API server's message. */
export const STORAGECLASS_IMMUTABLE = {
  parameters: 'parameters: Forbidden: updates to parameters are forbidden.',
  provisioner: 'provisioner: Forbidden: updates to provisioner are forbidden.',
  reclaimPolicy: 'reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.',
  volumeBindingMode: 'volumeBindingMode: Invalid value: field is immutable',
} as const;

/** A Deployment's (apps/v1) selector is immutable. */
export const DEPLOYMENT_SELECTOR_REFUSAL = 'spec.selector: Invalid value: field is immutable';

/**
 * A claim's spec is immutable but for its storage request, which may only grow, and only while the
 * claim is bound (ValidatePersistentVolumeClaimUpdate, without the alpha RecoverVolumeExpansionFailure).
 * The API server's message for other spec changes goes on with a diff of the two specs; this is its first line.
 */
export const CLAIM_SPEC_REFUSAL = 'spec: Forbidden: spec is immutable after creation except resources.requests for bound claims';
export const CLAIM_SHRINK_REFUSAL = 'spec.resources.requests.storage: Forbidden: field can not be less than previous value';

/**
 * The claim a StatefulSet's controller makes from a claim template for the pod of an ordinal, and
 * mounts in it (k8s.io/kubernetes pkg/controller/statefulset getPersistentVolumeClaimName).
 */
export function statefulSetClaimName(template: string, statefulSet: string, ordinal: number): string {
  return `${template}-${statefulSet}-${ordinal}`;
}

const quantityUnits: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, '': 1 };

/** Bytes of a Kubernetes quantity with a binary or decimal suffix ("20Gi", "500M", "1024"); NaN for anything else. */
export function quantityBytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(quantity);
  const unit = m ? quantityUnits[m[2]!] : undefined;
  return m && unit !== undefined ? Number(m[1]) * unit : Number.NaN;
}

/** One refusal the API server would answer an update of `before` to `after` with; [] when it accepts it. */
export function updateRefusals(before: KubernetesObject, after: KubernetesObject): string[] {
  if (before.kind !== after.kind) return [];
  switch (after.kind) {
    case 'StatefulSet': {
      const rest = (spec: Record<string, unknown> | undefined) =>
        Object.fromEntries(Object.entries(spec ?? {}).filter(([field]) => !(STATEFULSET_MUTABLE_SPEC as readonly string[]).includes(field)));
      return sameJson(rest(before.spec), rest(after.spec)) ? [] : [STATEFULSET_UPDATE_REFUSAL];
    }
    case 'StorageClass':
      return (Object.keys(STORAGECLASS_IMMUTABLE) as (keyof typeof STORAGECLASS_IMMUTABLE)[])
        .filter((field) => !sameJson(before[field] ?? defaults[field], after[field] ?? defaults[field]))
        .map((field) => STORAGECLASS_IMMUTABLE[field]);
    case 'Deployment':
      return sameJson(before.spec?.selector, after.spec?.selector) ? [] : [DEPLOYMENT_SELECTOR_REFUSAL];
    case 'PersistentVolumeClaim': {
      // The phase is the live claim's (`before`'s status): only a bound claim may grow.
      const bound = (before.status as { phase?: string } | undefined)?.phase === 'Bound';
      const storage = (o: KubernetesObject): string | undefined => o.spec?.resources?.requests?.storage;
      const comparable = (o: KubernetesObject) => {
        const spec = structuredClone(o.spec ?? {});
        if (bound && spec.resources?.requests) delete spec.resources.requests.storage;
        return spec;
      };
      const refusals: string[] = [];
      if (!sameJson(comparable(before), comparable(after))) refusals.push(CLAIM_SPEC_REFUSAL);
      if (quantityBytes(storage(after) ?? '0') < quantityBytes(storage(before) ?? '0')) refusals.push(CLAIM_SHRINK_REFUSAL);
      return refusals;
    }
    default:
      return [];
  }
}

/** What the API server fills in when a StorageClass leaves them out (so an explicit default is no change). */
const defaults: Record<string, unknown> = { reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate', parameters: {} };

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  // biome-ignore lint: objects of any kind
  spec?: any;
  [field: string]: unknown;
}

/** Equal as JSON values, whatever the order of object keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
