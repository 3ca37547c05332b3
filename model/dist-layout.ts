/** Folder of a cluster's cluster-scoped objects; the leading `_` marks it as not a deployment. */
export const CLUSTER_FOLDER = '_cluster';
/** Folder of the Argo CD objects that bootstrap each cluster: dist/_argocd/<cluster>/. */
export const ARGOCD_FOLDER = '_argocd';
/** The one file of a cluster's bootstrap in dist/_argocd/<cluster>/: `kubectl apply -f` it once. */
export const BOOTSTRAP_FILE = 'bootstrap.yaml';
/** The index synth writes at the top of dist/: the generator version and the sha256 of every file. */
export const INDEX_FILE = 'index.json';
