import type { Placement } from './topology.js';

/**
 * Labels every generated object carries. Selector labels are spelled out here, never derived from
 * construct paths, because a Deployment's or StatefulSet's selector is immutable in Kubernetes: a
 * refactor that moved it would make Argo CD fail to sync.
 */
export const GENERATOR_VERSION_LABEL = 'redis-gitops.dev/generator-version';
export const MEMBER_LABEL = 'redis-gitops.dev/member';
export const CONFIG_CHECKSUM_ANNOTATION = 'redis-gitops.dev/config-checksum';
export const SECRETS_CHECKSUM_ANNOTATION = 'redis-gitops.dev/secrets-checksum';

export interface Identity extends Placement {
  /** Redis version the images run; app.kubernetes.io/version. */
  redisVersion: string;
  generatorVersion: string;
}

export type { Placement } from './topology.js';

export type Component = 'member' | 'portal' | 'storage' | 'access' | 'namespace' | 'secrets' | 'monitoring' | 'gitops' | 'backup' | 'rollout';

/** Labels for the metadata of every object of a deployment (set once, on the chart). */
export function objectLabels(id: Identity): Record<string, string> {
  return generatorLabels(id.deployment, id.redisVersion, id.generatorVersion);
}

/**
 * Labels for the objects of a cluster that belong to no one deployment (its StorageClass, its Argo CD
 * bootstrap): the instance is the cluster, and the version the generator's.
 */
export function clusterLabels(cluster: string, generatorVersion: string): Record<string, string> {
  return generatorLabels(cluster, generatorVersion, generatorVersion);
}

function generatorLabels(instance: string, version: string, generatorVersion: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'redis',
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/part-of': 'managed-redis',
    'app.kubernetes.io/managed-by': 'redis-gitops',
    'app.kubernetes.io/version': version,
    [GENERATOR_VERSION_LABEL]: generatorVersion,
  };
}

/** The label that says which part of the service an object belongs to (set on each object). */
export function componentLabels(component: Component): Record<string, string> {
  return { 'app.kubernetes.io/component': component };
}

/** The pinned selector of one component (and optionally one member) of a deployment. */
export function selectorLabels(id: Identity, component: Component, member?: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'redis',
    'app.kubernetes.io/instance': id.deployment,
    'app.kubernetes.io/component': component,
    ...(member ? { [MEMBER_LABEL]: member } : {}),
  };
}
