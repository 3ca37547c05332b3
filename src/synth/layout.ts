/** Folder of a cluster's cluster-scoped objects; the leading `_` marks it as not a deployment. */
export const CLUSTER_FOLDER = '_cluster';
/** Folder of the Argo CD objects that bootstrap each cluster: dist/_argocd/<cluster>/. */
export const ARGOCD_FOLDER = '_argocd';
