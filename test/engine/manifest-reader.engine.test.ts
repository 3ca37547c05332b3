import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findManifestFiles, readObjects } from '../../src/gate/documents.js';
import { binaries } from './binaries.js';
import { type Case, generatedCases, handCases } from './manifest-corpus.js';
import { canonical, type GateRead, gateRead, isSubsequence } from './reader-diff.js';

/**
 * The gate's manifest reader (src/gate/documents.ts, src/gate/kube-yaml.ts) against kubectl's own
 * (engine/kubernetes/cmd/manifest-reader: k8s.io/cli-runtime's resource.Builder at the pinned
 * Kubernetes version, as `kubectl apply -R -f` reads files). For every file of a corpus, either the
 * gate refuses it (exit 2, with a reason), or it sees exactly the objects kubectl applies, in the same
 * order. Where kubectl fails on part of a file (it goes on with the next object, or stops at a YAML
 * error), the gate may refuse the file, or see every object kubectl applies, in order, and more.
 *
 * MANIFEST_DIFF_SEED=<n> and MANIFEST_DIFF_COUNT=<n> change the generated part of the corpus.
 */

const SEED = Number(process.env.MANIFEST_DIFF_SEED ?? 0x6a7e) >>> 0;
const COUNT = Number(process.env.MANIFEST_DIFF_COUNT ?? 4000);

interface KubectlRead {
  path: string;
  objects: { source: string; object: unknown }[];
  error?: string;
}

function kubectlReads(args: string[]): KubectlRead[] {
  const out = execFileSync(binaries.manifestReader, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as KubectlRead);
}

/** Why the gate's reading of a file disagrees with kubectl's; undefined when it does not. */
function disagreement(gate: GateRead, kubectl: KubectlRead): string | undefined {
  if ('refused' in gate) return undefined;
  const theirs = kubectl.objects.map((o) => canonical(o.object));
  const ours = gate.objects.map(canonical);
  if (kubectl.error ? isSubsequence(theirs, ours) : ours.join('\n') === theirs.join('\n')) return undefined;
  return `kubectl${kubectl.error ? ` (then failing: ${kubectl.error})` : ''} applies ${JSON.stringify(theirs)}\n  the gate reads ${JSON.stringify(gate.objects)}`;
}

describe('the gate reads manifests as kubectl does', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'manifest-diff-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function compare(cases: Case[], folder: string) {
    mkdirSync(path.join(dir, folder));
    const fileOf = new Map<string, Case>();
    cases.forEach((c, i) => {
      const file = path.join(dir, folder, `${String(i).padStart(5, '0')}.${c.ext}`);
      writeFileSync(file, c.text);
      fileOf.set(file, c);
    });
    const problems: string[] = [];
    let read = 0;
    let refused = 0;
    for (const kubectl of kubectlReads(['-each', path.join(dir, folder)])) {
      const c = fileOf.get(kubectl.path)!;
      const gate = gateRead(kubectl.path);
      if ('refused' in gate) refused++;
      else read++;
      const problem = disagreement(gate, kubectl);
      if (problem) problems.push(`${c.id} ${JSON.stringify(c.text)}\n  ${problem}`);
    }
    return { problems, read, refused };
  }

  it('on the hand-written cases, each a way the gate was once fooled', () => {
    const { problems, read } = compare(handCases, 'hand');
    expect(problems.join('\n\n')).toBe('');
    // The cases that matter are read, not refused: the comparison is not vacuous.
    expect(read).toBeGreaterThan(handCases.length / 2);
  });

  it(`on ${COUNT} generated documents (seed ${SEED})`, () => {
    const { problems, read, refused } = compare(generatedCases(SEED, COUNT), 'generated');
    expect(problems.slice(0, 30).join('\n\n')).toBe('');
    console.log(`manifest reader: ${read} files read as kubectl reads them, ${refused} refused`);
    expect(read).toBeGreaterThan(COUNT / 4);
  });

  it('finds the files kubectl -R reads: hidden ones, .json, links to files; not links to folders', () => {
    const root = path.join(dir, 'tree');
    const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
    mkdirSync(path.join(root, '.hidden', 'b'), { recursive: true });
    mkdirSync(path.join(root, 'a'), { recursive: true });
    mkdirSync(path.join(dir, 'outside'));
    writeFileSync(path.join(root, '.hidden', 'b', 'x.yaml'), cm('hidden-folder'));
    writeFileSync(path.join(root, '.dot.yml'), cm('hidden-file'));
    writeFileSync(path.join(root, 'a.yaml'), cm('a-file'));
    writeFileSync(path.join(root, 'a', 'z.json'), JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'json' } }));
    writeFileSync(path.join(root, 'a', 'notes.txt'), cm('not-a-manifest'));
    writeFileSync(path.join(root, 'a', 'UPPER.YAML'), cm('upper-case-extension'));
    writeFileSync(path.join(dir, 'outside', 'linked.yaml'), cm('linked'));
    symlinkSync(path.join(dir, 'outside', 'linked.yaml'), path.join(root, 'link.yaml'));
    symlinkSync(path.join(dir, 'outside'), path.join(root, 'linked-folder'));
    const [kubectl] = kubectlReads([root]);
    expect(kubectl!.error).toBeUndefined();
    const theirs = kubectl!.objects.map((o) => ({ file: path.resolve(root, o.source), object: o.object }));
    return findManifestFiles([root]).then((files) => {
      const ours = files.flatMap((file) => readObjects(file).map((s) => ({ file: path.resolve(s.file), object: s.object })));
      expect(ours).toEqual(theirs);
      expect(ours.map((o) => (o.object as { metadata: { name: string } }).metadata.name)).toEqual(['hidden-file', 'hidden-folder', 'json', 'a-file', 'linked']);
    });
  });
});
