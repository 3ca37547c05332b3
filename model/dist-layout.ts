/** Folder of a cluster's cluster-scoped objects; the leading `_` marks it as not a deployment. */
export const CLUSTER_FOLDER = '_cluster';
/** Folder of the Argo CD objects that bootstrap each cluster: dist/_argocd/<cluster>/. */
export const ARGOCD_FOLDER = '_argocd';
/** The one file of a cluster's bootstrap in dist/_argocd/<cluster>/: `kubectl apply -f` it once. */
export const BOOTSTRAP_FILE = 'bootstrap.yaml';
/**
 * The index synth writes at the top of dist/: the generator version, what each deployment and cluster
 * was rendered from, and per folder its file count and the sha256 of its SUMS_FILE.
 */
export const INDEX_FILE = 'index.json';
/**
 * In each folder of dist/ (`<cluster>/<deployment>`, `<cluster>/_cluster`, `_argocd/<cluster>`): the
 * sha256 of each of its files, as `sha256sum` writes them (`sha256sum -c SHA256SUMS` in the folder
 * checks them). Neither Argo CD (it applies *.yaml) nor the gate (.yaml, .yml, .json) reads it as a manifest.
 */
export const SUMS_FILE = 'SHA256SUMS';
