/** Folder of a cluster's cluster-scoped objects; the leading `_` marks it as not a deployment. */
export const CLUSTER_FOLDER = '_cluster';
/** Folder of the Argo CD objects that bootstrap each cluster: dist/_argocd/<cluster>/. */
export const ARGOCD_FOLDER = '_argocd';
/** The one file of a cluster's bootstrap in dist/_argocd/<cluster>/: `kubectl apply -f` it once. */
export const BOOTSTRAP_FILE = 'bootstrap.yaml';
/**
 * The index synth writes in dist/_index/: the generator version, what each deployment and cluster was
 * rendered from, and per folder its file count and the sha256 of its SUMS_FILE. In a folder of its
 * own, not at the top of dist/: a file renamed into a folder changes the folder, and a file system
 * monitor then names the folder as changed. Named dist/ at every synth (the index changes with any
 * deployment), git (2.39, with watchman as core.fsmonitor) took every file under dist/ for changed
 * and stat'ed them all at its next command (0.25 s of each `git status` or `git diff` at 10,000
 * deployments, twice in a `gate --changed`); named dist/_index/, it stats one file.
 */
export const INDEX_FOLDER = '_index';
export const INDEX_FILE = `${INDEX_FOLDER}/index.json`;
/** Where synth kept its index until 2026-12-05: read when there is no INDEX_FILE, and removed by the synth that writes one. */
export const LEGACY_INDEX_FILE = 'index.json';
/**
 * In each folder of dist/ (`<cluster>/<deployment>`, `<cluster>/_cluster`, `_argocd/<cluster>`): the
 * sha256 of each of its files, as `sha256sum` writes them (`sha256sum -c SHA256SUMS` in the folder
 * checks them). Neither Argo CD (it applies *.yaml) nor the gate (.yaml, .yml, .json) reads it as a manifest.
 */
export const SUMS_FILE = 'SHA256SUMS';
