import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findManifestFiles, readObjects } from '../../src/gate/documents.js';
import { projectRoot } from '../support/repo.js';
import { binaries } from './binaries.js';
import { type Case, generatedCases, handCases } from './manifest-corpus.js';
import { canonical, type GateRead, gateRead, isSubsequence } from './reader-diff.js';

/**
 * The gate's manifest reader against Argo CD's own (engine/argocd/cmd/argocd-manifests: the
 * repo-server's repository.GenerateManifests at the pinned Argo CD version, for a directory
 * Application). Argo CD is what applies dist/, and it does not read a folder as kubectl does: its
 * own walk (include and exclude globs, recursion only when asked, links only inside the repository,
 * files carrying `+argocd:skip-file-rendering` left out), its own YAML splitting, one object per
 * .json file, UTF-16 files with a byte-order mark decoded. The gate must see every object Argo CD
 * applies, in order (it may see more: what kubectl would also apply), or refuse the input (exit 2).
 *
 * MANIFEST_DIFF_SEED=<n> and MANIFEST_DIFF_COUNT=<n> change the generated part of the corpus.
 */

const SEED = Number(process.env.MANIFEST_DIFF_SEED ?? 0x6a7e) >>> 0;
const COUNT = Number(process.env.MANIFEST_DIFF_COUNT ?? 4000);

interface ArgoRead {
  path: string;
  objects: unknown[];
  error?: string;
}

interface Directory {
  recurse?: boolean;
  include?: string;
  exclude?: string;
}

/** What Argo CD applies from each folder (a directory source with these settings, in `repo`). */
function argoReads(repo: string, folders: string[], directory: Directory = {}, each?: string): ArgoRead[] {
  const flags = [...(directory.recurse ? ['-recurse'] : []), ...(directory.include ? ['-include', directory.include] : []), ...(directory.exclude ? ['-exclude', directory.exclude] : [])];
  const out = execFileSync(binaries.argocdManifests, [...flags, ...(each ? ['-each', each] : []), repo, ...folders], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ArgoRead);
}

/**
 * Whether Kubernetes can take an object at all: one without apiVersion and kind names no resource
 * (Argo CD leaves a list's items as they are, where kubectl gives them the list's; the sync of such
 * an object fails with "Object 'Kind' is missing").
 */
function applicable(object: unknown): boolean {
  const o = object as { apiVersion?: unknown; kind?: unknown } | null;
  return typeof o?.apiVersion === 'string' && o.apiVersion !== '' && typeof o.kind === 'string' && o.kind !== '';
}

/** Why the gate's reading misses what Argo CD applies; undefined when it does not. */
function disagreement(gate: GateRead, argo: ArgoRead): string | undefined {
  if ('refused' in gate || argo.error) return undefined; // refused loudly, or Argo CD applies nothing
  const theirs = argo.objects.filter(applicable).map(canonical);
  const ours = gate.objects.map(canonical);
  if (isSubsequence(theirs, ours)) return undefined;
  return `Argo CD applies ${JSON.stringify(theirs)}\n  the gate reads ${JSON.stringify(gate.objects)}`;
}

/** The directory settings of every Application the generator writes (dist/_argocd). */
function generatorDirectories(): Directory[] {
  const found = new Map<string, Directory>();
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      const source = (value as { source?: { directory?: Directory } }).source;
      if (source?.directory) found.set(JSON.stringify(source.directory), source.directory);
      Object.values(value).forEach(visit);
    }
  };
  const folder = path.join(projectRoot, 'dist', '_argocd', 'example');
  for (const file of ['bootstrap.yaml']) loadAll(readFileSync(path.join(folder, file), 'utf8')).forEach(visit);
  return [...found.values()];
}

describe('the gate sees every object Argo CD applies', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'argocd-diff-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Each case alone in a folder of its own, as a directory Application of everything it holds. */
  function compare(cases: Case[], folder: string) {
    const root = path.join(dir, folder);
    const fileOf = new Map<string, { c: Case; file: string }>();
    cases.forEach((c, i) => {
      const caseDir = path.join(root, String(i).padStart(5, '0'));
      mkdirSync(caseDir, { recursive: true });
      const file = path.join(caseDir, `m.${c.ext}`);
      writeFileSync(file, c.text);
      fileOf.set(caseDir, { c, file });
    });
    const problems: string[] = [];
    let read = 0;
    let applied = 0;
    for (const argo of argoReads(dir, [], {}, root)) {
      const { c, file } = fileOf.get(argo.path)!;
      const gate = gateRead(file);
      if (!('refused' in gate)) read++;
      if (!argo.error && argo.objects.length > 0) applied++;
      const problem = disagreement(gate, argo);
      if (problem) problems.push(`${c.id} ${JSON.stringify(c.text)}\n  ${problem}`);
    }
    return { problems, read, applied };
  }

  it('on the hand-written cases, each a way the gate was once fooled', () => {
    const { problems, read, applied } = compare(handCases, 'hand');
    expect(problems.join('\n\n')).toBe('');
    // Not vacuous: most cases are read by the gate and applied by Argo CD.
    expect(read).toBeGreaterThan(handCases.length / 2);
    expect(applied).toBeGreaterThan(handCases.length / 2);
  });

  it(`on ${COUNT} generated documents (seed ${SEED})`, () => {
    const { problems, read, applied } = compare(generatedCases(SEED, COUNT), 'generated');
    expect(problems.slice(0, 30).join('\n\n')).toBe('');
    console.log(`Argo CD reader: ${read} files read by the gate, ${applied} applied by Argo CD`);
    expect(read).toBeGreaterThan(COUNT / 4);
    expect(applied).toBeGreaterThan(COUNT / 4);
  });

  it("with the generator's own directory settings, on a folder with hidden, .yml, .json, nested, linked and marked files", async () => {
    const directories = generatorDirectories();
    expect(directories).toEqual([{ include: '*.yaml' }]);
    const repo = path.join(dir, 'repo');
    const app = path.join(repo, 'dist', 'c', 'd');
    const cm = (name: string, extra = '') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}`;
    mkdirSync(path.join(app, 'nested'), { recursive: true });
    mkdirSync(path.join(repo, 'elsewhere'));
    writeFileSync(path.join(app, '.hidden.yaml'), cm('hidden'));
    writeFileSync(path.join(app, 'a.yaml'), cm('a'));
    writeFileSync(path.join(app, 'b.yml'), cm('yml'));
    writeFileSync(path.join(app, 'c.json'), JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'json' } }));
    writeFileSync(path.join(app, 'nested', 'n.yaml'), cm('nested'));
    writeFileSync(path.join(app, 'skip.yaml'), cm('marked', '# +argocd:skip-file-rendering\n'));
    writeFileSync(path.join(app, 'list.yaml'), 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {hostNetwork: true, containers: []}}\n');
    writeFileSync(path.join(repo, 'elsewhere', 'linked.yaml'), cm('linked'));
    symlinkSync(path.join(repo, 'elsewhere', 'linked.yaml'), path.join(app, 'z-link.yaml'));
    for (const directory of directories) {
      const [argo] = argoReads(repo, [app], directory);
      expect(argo!.error).toBeUndefined();
      const names = argo!.objects.map((o) => (o as { metadata: { name: string } }).metadata.name);
      // What Argo CD applies with these settings: top-level *.yaml files, hidden and linked ones too.
      expect(names).toEqual(['hidden', 'a', 'p', 'linked']);
      const files = await findManifestFiles([app]);
      const ours = files.flatMap((file) => readObjects(file).map((s) => canonical(s.object)));
      expect(isSubsequence(argo!.objects.map(canonical), ours)).toBe(true);
    }
  });
});
