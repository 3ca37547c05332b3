// The rollout Job's permissions: the Role charts/rollout.ts renders, and what the gate
// (iam.generator_roles_only) accepts for it, from this one definition.
import { members, objectNames } from './topology.js';

export interface NamedResourceRule {
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  verbs: string[];
}

/** What the rollout Job's Role name ends with after the deployment's name (objectNames().rollout). */
export const ROLLOUT_NAME_SUFFIX = '-rollout';

/**
 * Least privilege: read the member StatefulSets (their current revision) and get and delete their
 * pods, by name, and list the namespace's events (the API server's reason when a new pod is refused,
 * for the Job's message); no watch, nothing else of the namespace.
 */
export function rolloutRoleRules(deployment: string): NamedResourceRule[] {
  const statefulSets = members.map((m) => objectNames(deployment).member(m.name));
  return [
    { apiGroups: [''], resources: ['pods'], resourceNames: statefulSets.map((s) => `${s}-0`), verbs: ['get', 'delete'] },
    { apiGroups: ['apps'], resources: ['statefulsets'], resourceNames: statefulSets, verbs: ['get'] },
    { apiGroups: [''], resources: ['events'], resourceNames: [], verbs: ['list'] },
  ];
}

/**
 * The order the rollout Job restarts members in (charts/config/rollout/rollout.py carries it out):
 * members without data first (the tie-breaker), then the replicas, the primary last, so that a rollout
 * hands the primary role over at most once. The drill's rolling restart and the change plan follow it.
 */
export function rolloutOrder<T extends { holdsData: boolean }>(members: readonly T[], isPrimary: (m: T) => boolean): T[] {
  return [...members.filter((m) => !m.holdsData), ...members.filter((m) => m.holdsData && !isPrimary(m)), ...members.filter((m) => m.holdsData && isPrimary(m))];
}
