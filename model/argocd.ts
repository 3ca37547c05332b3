/** Names of the Argo CD objects of a cluster's bootstrap (the engine tier and the charts both need them). */

/** The AppProject of a cluster's Redis deployments, and the prefix of its Applications. */
export function argoProjectName(cluster: string): string {
  return `redis-${cluster}`;
}

/** The Application of the cluster-scoped objects (dist/<cluster>/_cluster). */
export function clusterScopedApplicationName(cluster: string): string {
  return `${argoProjectName(cluster)}-cluster-scoped`;
}

/** The Application the ApplicationSet makes for a deployment (an Argo CD Go template over its elements). */
export function deploymentApplicationName(cluster: string, deployment: string): string {
  return `${argoProjectName(cluster)}-${deployment}`;
}

/**
 * What Argo CD leaves as it is on the live objects of a deployment (the Applications' ignoreDifferences,
 * with RespectIgnoreDifferences so a sync applies the live value there too): the claim templates of
 * StatefulSets, which Kubernetes refuses to change. The claims themselves are declared, and grow.
 */
export const IGNORED_DIFFERENCES = [{ group: 'apps', kind: 'StatefulSet', jsonPointers: ['/spec/volumeClaimTemplates'] }] as const;
