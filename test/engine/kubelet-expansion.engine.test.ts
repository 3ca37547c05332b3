import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../support/repo.js';
import { binaries } from './binaries.js';
import { random } from './manifest-corpus.js';

/**
 * The policy's reading of a container's command and args (policies/lib/k8s.rego command/args: each
 * `$(NAME)` replaced by the value of the container's variable) against the kubelet's own expansion
 * (engine/kubernetes/cmd/kubelet-expand: k8s.io/kubernetes' expansion package at the pinned version,
 * with the variables set as the kubelet's makeEnvironmentVariables sets them: envFrom ConfigMaps
 * first, then env in order, literal values and ConfigMap keys). The Rego runs compiled to WebAssembly
 * by the pinned opa, as the gate runs it, with the case's ConfigMaps as the input's resources. For
 * every container of a generated corpus, each word is read exactly as the kubelet runs it, or keeps a
 * `$(` reference the gate could not resolve by design (a variable from a ConfigMap the input does not
 * hold, which may exist in the cluster, or whose value refers to one the gate does not know or to one
 * that refers to others: the rules take such a word as unknown). One quirk of the kubelet is not followed: after a `$` it copies the next byte as
 * a character (`string(input[0])`), so a `$` before a non-ASCII character turns into bytes that are
 * not UTF-8 (shown as U+FFFD); the gate keeps such a word as written (it names no program and no
 * option either way).
 *
 * EXPANSION_DIFF_SEED=<n> and EXPANSION_DIFF_COUNT=<n> change the corpus.
 */

const SEED = Number(process.env.EXPANSION_DIFF_SEED ?? 0xe7a) >>> 0;
const COUNT = Number(process.env.EXPANSION_DIFF_COUNT ?? 3000);

const opa = (() => {
  const { opaVersion } = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { config: { opaVersion: string } }).config;
  return path.join(projectRoot, '.tools/opa', opaVersion, 'opa');
})();

interface Container {
  command: string[];
  args: string[];
  envFrom?: { configMapRef: { name: string; optional?: boolean }; prefix?: string }[];
  env: { name: string; value?: string; valueFrom?: { configMapKeyRef: { name: string; key: string; optional?: boolean } } }[];
}

/** A container with the ConfigMaps of its namespace (the input's, for the gate; one not given does not exist, for the kubelet). */
interface Case {
  container: Container;
  configMaps: { apiVersion: 'v1'; kind: 'ConfigMap'; metadata: { name: string }; data: Record<string, string> }[];
}

const NAMES = ['A', 'PORT', 'SERVER', 'B_2', 'x', ''];
const CONFIG_MAPS = ['settings', 'more', 'elsewhere'];

/** Strings made of the pieces the expansion syntax treats apart: `$`, `$$`, `$(`, `)`, names, other text. */
function generate(next: () => number): Case {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const some = <T,>(max: number, make: () => T): T[] => Array.from({ length: Math.floor(next() * (max + 1)) }, make);
  const piece = () => pick(['$', '$$', '$(', ')', '(', ...NAMES, `$(${pick(NAMES)})`, `$(${pick(NAMES)})`, '--port', ' ', 'redis-server', 'é', '$é', '\n', '$)', '$$$']);
  const text = () => some(4, piece).join('');
  const words = () => some(3, text);
  const name = () => pick(NAMES.filter(Boolean));
  const optional = () => pick([{}, { optional: true }, { optional: true }, { optional: false }]);
  // Keys that are no variable names ('1X', 'B-1' after a prefix '1') are skipped by the kubelet.
  const configMaps = CONFIG_MAPS.slice(0, 2)
    .filter(() => next() < 0.7)
    .map((n) => ({ apiVersion: 'v1' as const, kind: 'ConfigMap' as const, metadata: { name: n }, data: Object.fromEntries(some(3, () => [pick([...NAMES.filter(Boolean), '1X', 'B-1']), pick([text(), 'valkey-server', '6380', ''])])) }));
  return {
    container: {
      command: words(),
      args: words(),
      ...(next() < 0.5 ? { envFrom: some(2, () => ({ configMapRef: { name: pick(CONFIG_MAPS), ...optional() }, ...(next() < 0.3 ? { prefix: pick(['P_', '1', '']) } : {}) })) } : {}),
      env: some(3, () =>
        next() < 0.7
          ? { name: name(), value: pick([text(), pick(['redis-server', '6379', '0', '', '$$', 'a$b'])]) }
          : { name: name(), valueFrom: { configMapKeyRef: { name: pick(CONFIG_MAPS), key: pick([...NAMES.filter(Boolean), '1X']), ...optional() } } },
      ),
    },
    configMaps,
  };
}

/** The names of the `$(NAME)` references the kubelet's expansion replaces in a string, read left to right as it reads. */
function referencedNames(value: string): string[] {
  return [...value.matchAll(/\$\$|\$\([^)]*\)|\$[\s\S]/g)].map(([token]) => token).filter((t) => t.startsWith('$(') && t.endsWith(')')).map((t) => t.slice(2, -1));
}

/**
 * Whether the gate, by design, does not know a variable of the container: its last definition is a
 * ConfigMap the input does not hold, or a value referring to a variable the gate does not know set
 * before it (one level is followed: a variable that itself refers to others counts as not known),
 * or an envFrom of a ConfigMap the input does not hold comes after it (it may define any name).
 */
function unknownTo(c: Case): (name: string) => boolean {
  const given = new Map(c.configMaps.map((m) => [m.metadata.name, m.data]));
  type Definition = { name: string | null; known: boolean; refers?: boolean };
  const defs: Definition[] = [];
  const lastIndex = (list: Definition[], match: (d: Definition) => boolean) => list.reduce((found, d, i) => (match(d) ? i : found), -1);
  for (const from of c.container.envFrom ?? []) {
    const data = given.get(from.configMapRef.name);
    if (!data) defs.push({ name: null, known: false });
    else for (const key of Object.keys(data)) defs.push({ name: `${from.prefix ?? ''}${key}`, known: true });
  }
  for (const e of c.container.env) {
    const ref = e.valueFrom?.configMapKeyRef;
    if (ref && !given.has(ref.name)) defs.push({ name: e.name, known: false });
    else if (ref && ref.key in given.get(ref.name)!) defs.push({ name: e.name, known: true });
    else if (!ref && !(e.value ?? '').includes('$(')) defs.push({ name: e.name, known: true });
    else if (!ref) {
      const before = [...defs];
      const wildcard = lastIndex(before, (d) => d.name === null);
      const resolvable = (name: string) => {
        const last = lastIndex(before, (d) => d.name === name);
        return last < 0 ? wildcard < 0 : last > wildcard && before[last]!.known && !before[last]!.refers;
      };
      defs.push({ name: e.name, known: referencedNames(e.value!).every(resolvable), refers: true });
    }
  }
  const wildcard = lastIndex(defs, (d) => d.name === null);
  return (name) => {
    const last = lastIndex(defs, (d) => d.name === name);
    return last < wildcard || (last >= 0 && !defs[last]!.known);
  };
}

describe('a container\'s command and args read as the kubelet expands them', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(opa)) throw new Error(`${opa} is missing: npm run policy:test builds the pinned opa`);
    dir = mkdtempSync(path.join(tmpdir(), 'kubelet-expansion-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The policy's command and args of each container, from a wasm build of lib/k8s.rego as the gate's is built. */
  async function policyReadings(cases: Case[]): Promise<{ command: string[]; args: string[] }[]> {
    const entry = path.join(dir, 'expansion.rego');
    writeFileSync(entry, 'package expansion\n\nimport data.lib.k8s\n\nreading := {"command": k8s.command(input.container), "args": k8s.args(input.container)}\n');
    const bundle = path.join(dir, 'bundle.tar.gz');
    execFileSync(opa, ['build', '-t', 'wasm', '-e', 'expansion/reading', '--capabilities', 'policies/capabilities.json', '-o', bundle, entry, 'policies/lib/k8s.rego'], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('tar', ['-xzf', bundle, '-C', dir, '/policy.wasm']);
    const policy = await loadPolicy(readFileSync(path.join(dir, 'policy.wasm')));
    // The ConfigMaps are the input's resources, as the gate hands a namespace's objects to the policy.
    return cases.map((c) => (policy.evaluate({ container: c.container, resources: c.configMaps.map((object) => ({ object })) }) as { result: { command: string[]; args: string[] } }[])[0]!.result);
  }

  function kubeletReadings(cases: Case[]): { command: string[]; args: string[]; error?: string }[] {
    return JSON.parse(execFileSync(binaries.kubeletExpand, { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 64 << 20 })) as { command: string[]; args: string[]; error?: string }[];
  }

  it(`on hand-picked cases and ${COUNT} generated containers (seed ${SEED})`, async () => {
    const next = random(SEED);
    const literal = (container: Omit<Container, 'args'> & { args?: string[] }): Case => ({ container: { args: [], ...container }, configMaps: [] });
    const settings = { apiVersion: 'v1' as const, kind: 'ConfigMap' as const, metadata: { name: 'settings' }, data: { SERVER: 'valkey-server', PORT: '6380', '1X': 'no' } };
    const hand: Case[] = [
      literal({ command: ['$(SERVER)'], args: ['--port', '$(PORT)'], env: [{ name: 'SERVER', value: 'redis-server' }, { name: 'PORT', value: '6379' }] }),
      literal({ command: ['$$(SERVER)', '$$$(SERVER)', '$(SERVER', '$()', '$', 'a$', '$x$'], env: [{ name: 'SERVER', value: 'redis-server' }] }),
      literal({ command: ['$(A)'], env: [{ name: 'A', value: 'one' }, { name: 'A', value: 'two' }] }),
      literal({ command: ['$(B)'], env: [{ name: 'A', value: 'x' }, { name: 'B', value: '$(A)-y' }] }),
      literal({ command: ['$(A)'], env: [{ name: 'A', value: 'a$$b' }] }),
      // envFrom before env; an optional key the ConfigMap lacks is skipped; a key that is no name is not read.
      {
        container: {
          command: ['$(SERVER)', '$(1X)'],
          args: ['--port', '$(PORT)', '--tls-port', '$(TLS)'],
          envFrom: [{ configMapRef: { name: 'settings' } }],
          env: [{ name: 'TLS', valueFrom: { configMapKeyRef: { name: 'settings', key: 'PORT' } } }, { name: 'PORT', valueFrom: { configMapKeyRef: { name: 'settings', key: 'NONE', optional: true } } }],
        },
        configMaps: [settings],
      },
    ];
    const cases = [...hand, ...Array.from({ length: COUNT }, () => generate(next))];
    const [ours, theirs] = [await policyReadings(cases), kubeletReadings(cases)];
    const problems: string[] = [];
    let exact = 0;
    let unresolved = 0;
    let mangled = 0;
    let unstarted = 0;
    for (const [i, c] of cases.entries()) {
      // A ConfigMap or key the container needs is missing: the kubelet does not start it, whatever the gate reads.
      if (theirs[i]!.error) {
        unstarted++;
        continue;
      }
      const unknown = unknownTo(c);
      for (const field of ['command', 'args'] as const) {
        for (const [k, word] of theirs[i]![field].entries()) {
          const read = ours[i]![field][k];
          if (read === word) exact++;
          else if (read !== undefined && [...read.matchAll(/\$\(([^)]*)\)/g)].some(([, name]) => unknown(name!))) unresolved++;
          else if (read !== undefined && word.includes('\uFFFD') && /\$[^\x00-\x7f]/.test(read)) mangled++;
          else problems.push(`${JSON.stringify(c)} ${field}[${k}]: the kubelet runs ${JSON.stringify(word)}, the gate reads ${JSON.stringify(read)}`);
        }
        if (ours[i]![field].length !== theirs[i]![field].length) problems.push(`${JSON.stringify(c)}: ${field} has ${theirs[i]![field].length} words for the kubelet, ${ours[i]![field].length} for the gate`);
      }
    }
    console.log(`kubelet expansion: ${exact} words read as the kubelet runs them, ${unresolved} left unresolved, ${mangled} mangled by the kubelet (a \`$\` before a non-ASCII character); ${unstarted} containers the kubelet would not start`);
    expect(problems.slice(0, 20).join('\n')).toBe('');
    // Not vacuous: most words hold a reference or a `$`.
    expect(exact).toBeGreaterThan(COUNT);
    expect(ours[0]).toEqual({ command: ['redis-server'], args: ['--port', '6379'] });
    expect(ours[5]).toEqual({ command: ['valkey-server', '$(1X)'], args: ['--port', '6380', '--tls-port', '6380'] });
  });
});
