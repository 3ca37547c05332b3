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
 * with env values set in order as the kubelet sets literal ones). The Rego runs compiled to
 * WebAssembly by the pinned opa, as the gate runs it. For every container of a generated corpus,
 * each word is read exactly as the kubelet runs it, or keeps a `$(` reference the gate could not
 * resolve (a variable whose value refers to another: the gate does not follow those, and the rules
 * take such a word as unknown). One quirk of the kubelet is not followed: after a `$` it copies the
 * next byte as a character (`string(input[0])`), so a `$` before a non-ASCII character turns into
 * bytes that are not UTF-8 (shown as U+FFFD); the gate keeps such a word as written (it names no
 * program and no option either way).
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
  env: { name: string; value: string }[];
}

const NAMES = ['A', 'PORT', 'SERVER', 'B_2', 'x', ''];

/** Strings made of the pieces the expansion syntax treats apart: `$`, `$$`, `$(`, `)`, names, other text. */
function generate(next: () => number): Container {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const piece = () => pick(['$', '$$', '$(', ')', '(', ...NAMES, `$(${pick(NAMES)})`, `$(${pick(NAMES)})`, '--port', ' ', 'redis-server', 'é', '$é', '\n', '$)', '$$$']);
  const text = () => Array.from({ length: Math.floor(next() * 5) }, piece).join('');
  const words = () => Array.from({ length: Math.floor(next() * 4) }, text);
  return {
    command: words(),
    args: words(),
    env: Array.from({ length: Math.floor(next() * 4) }, () => ({ name: pick(NAMES.filter(Boolean)), value: pick([text(), pick(['redis-server', '6379', '0', '', '$$', 'a$b'])]) })),
  };
}

/** The variables whose value (the last entry of the name) refers to another: the gate does not resolve them. */
function unknown(container: Container): Set<string> {
  const last = new Map(container.env.map((e) => [e.name, e.value]));
  return new Set([...last].filter(([, value]) => value.includes('$(')).map(([name]) => name));
}

describe('a container\'s command and args read as the kubelet expands them', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(opa)) throw new Error(`${opa} is missing: npm run policy:test builds the pinned opa`);
    dir = mkdtempSync(path.join(tmpdir(), 'kubelet-expansion-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The policy's command and args of each container, from a wasm build of lib/k8s.rego as the gate's is built. */
  async function policyReadings(containers: Container[]): Promise<{ command: string[]; args: string[] }[]> {
    const entry = path.join(dir, 'expansion.rego');
    writeFileSync(entry, 'package expansion\n\nimport data.lib.k8s\n\nreadings := [{"command": k8s.command(c), "args": k8s.args(c)} | some c in input.containers]\n');
    const bundle = path.join(dir, 'bundle.tar.gz');
    execFileSync(opa, ['build', '-t', 'wasm', '-e', 'expansion/readings', '--capabilities', 'policies/capabilities.json', '-o', bundle, entry, 'policies/lib/k8s.rego'], { cwd: projectRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('tar', ['-xzf', bundle, '-C', dir, '/policy.wasm']);
    const policy = await loadPolicy(readFileSync(path.join(dir, 'policy.wasm')));
    return (policy.evaluate({ containers }) as { result: { command: string[]; args: string[] }[] }[])[0]!.result;
  }

  function kubeletReadings(containers: Container[]): { command: string[]; args: string[] }[] {
    return JSON.parse(execFileSync(binaries.kubeletExpand, { input: JSON.stringify(containers), encoding: 'utf8', maxBuffer: 64 << 20 })) as { command: string[]; args: string[] }[];
  }

  it(`on hand-picked cases and ${COUNT} generated containers (seed ${SEED})`, async () => {
    const next = random(SEED);
    const hand: Container[] = [
      { command: ['$(SERVER)'], args: ['--port', '$(PORT)'], env: [{ name: 'SERVER', value: 'redis-server' }, { name: 'PORT', value: '6379' }] },
      { command: ['$$(SERVER)', '$$$(SERVER)', '$(SERVER', '$()', '$', 'a$', '$x$'], args: [], env: [{ name: 'SERVER', value: 'redis-server' }] },
      { command: ['$(A)'], args: [], env: [{ name: 'A', value: 'one' }, { name: 'A', value: 'two' }] },
      { command: ['$(B)'], args: [], env: [{ name: 'A', value: 'x' }, { name: 'B', value: '$(A)-y' }] },
      { command: ['$(A)'], args: [], env: [{ name: 'A', value: 'a$$b' }] },
    ];
    const containers = [...hand, ...Array.from({ length: COUNT }, () => generate(next))];
    const [ours, theirs] = [await policyReadings(containers), kubeletReadings(containers)];
    const problems: string[] = [];
    let exact = 0;
    let unresolved = 0;
    let mangled = 0;
    for (const [i, container] of containers.entries()) {
      for (const field of ['command', 'args'] as const) {
        for (const [k, word] of theirs[i]![field].entries()) {
          const read = ours[i]![field][k];
          if (read === word) exact++;
          else if (read !== undefined && [...unknown(container)].some((name) => read.includes(`$(${name})`))) unresolved++;
          else if (read !== undefined && word.includes('\uFFFD') && /\$[^\x00-\x7f]/.test(read)) mangled++;
          else problems.push(`${JSON.stringify(container)} ${field}[${k}]: the kubelet runs ${JSON.stringify(word)}, the gate reads ${JSON.stringify(read)}`);
        }
        if (ours[i]![field].length !== theirs[i]![field].length) problems.push(`${JSON.stringify(container)}: ${field} has ${theirs[i]![field].length} words for the kubelet, ${ours[i]![field].length} for the gate`);
      }
    }
    console.log(`kubelet expansion: ${exact} words read as the kubelet runs them, ${unresolved} left unresolved, ${mangled} mangled by the kubelet (a \`$\` before a non-ASCII character)`);
    expect(problems.slice(0, 20).join('\n')).toBe('');
    // Not vacuous: most words hold a reference or a `$`.
    expect(exact).toBeGreaterThan(COUNT);
    expect(ours[0]).toEqual({ command: ['redis-server'], args: ['--port', '6379'] });
  });
});
