import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInputs } from '../src/config/load.js';
import { runGate } from '../src/gate/gate.js';
import { resolveAllSecrets } from '../src/synth/synth.js';
import { generator } from '../src/version.js';
import { redisGitops } from './support/programs.js';
import { renderAll } from './support/render.js';
import { leftInTransaction, tempRepo, writeInput } from './support/repo.js';

// A fleet large enough that synth uses worker threads (64 deployments and up), run through the CLI as
// users run it (compiled, its threads loading compiled modules), compared with one thread.
describe('worker threads', () => {
  it('give the same dist/ and the same findings as one thread', { timeout: 240_000 }, async () => {
    const repo = tempRepo();
    const orders = readFileSync(path.join(repo, 'deployments/orders.yaml'), 'utf8');
    for (let i = 0; i < 110; i++) writeInput(repo, `deployments/fleet${String(i).padStart(3, '0')}.yaml`, orders);
    const out = path.join(repo, 'dist');
    const synth = await redisGitops(repo, 'synth');
    expect(synth.stdout, synth.stderr).toContain('112 rendered');

    const inputs = await loadInputs(repo);
    const { secrets } = await resolveAllSecrets(repo, inputs, { writeState: false });
    const inProcess = renderAll(inputs, generator.version, secrets);
    for (const [file, content] of inProcess) expect(readFileSync(path.join(out, file), 'utf8'), file).toBe(content);

    // Break three deployments in different ways, so there is something to find.
    const edit = (file: string, from: string, to: string) => {
      const full = path.join(out, file);
      writeFileSync(full, readFileSync(full, 'utf8').replace(from, to));
    };
    edit('example/fleet003/statefulset-fleet003-data-0.yaml', 'storageClassName: redis-encrypted', 'storageClassName: standard');
    edit('example/fleet050/configmap-fleet050-members.yaml', 'port 0', 'port 6379');
    edit('example/fleet107/statefulset-fleet107-data-1.yaml', 'runAsNonRoot: true', 'runAsNonRoot: false');
    const gate = await redisGitops(repo, 'gate', out, '--threads', '2', '--format', 'json');
    expect(gate.code, gate.stderr).toBe(1);
    const report = JSON.parse(gate.stdout) as Awaited<ReturnType<typeof runGate>>;
    expect(report.summary.namespaces).toBeGreaterThanOrEqual(100);
    expect(report.summary.errors).toBeGreaterThanOrEqual(3);
    const single = await runGate([out], { threads: 0 });
    expect(report.violations).toEqual(single.violations);
    expect(report.summary).toEqual(single.summary);
    // Threads run from the sources too (through tsx), as when the CLI cannot be compiled.
    const fromSources = await runGate([out], { threads: 2 });
    expect(fromSources.violations).toEqual(single.violations);
    // Findings that need the whole namespace: the Service is judged by the configuration it reaches.
    expect(report.violations.filter((v) => v.rule === 'tls.service_plaintext_port').map((v) => path.basename(v.file))).toEqual([
      'service-fleet050-data-0.yaml',
      'service-fleet050-data-1.yaml',
    ]);
    expect(report.violations.map((v) => v.file)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('fleet003/statefulset-fleet003-data-0.yaml'),
        expect.stringContaining('fleet050/configmap-fleet050-members.yaml'),
        expect.stringContaining('fleet107/statefulset-fleet107-data-1.yaml'),
      ]),
    );
  });
});

describe('synth rendering while it resolves secrets', () => {
  it('a deployment whose secrets cannot be resolved while others render in threads: exit 2 naming the file, nothing written', { timeout: 120_000 }, async () => {
    const repo = tempRepo();
    const orders = readFileSync(path.join(repo, 'deployments/orders.yaml'), 'utf8');
    for (let i = 0; i < 120; i++) writeInput(repo, `deployments/fleet${String(i).padStart(3, '0')}.yaml`, orders);
    // Late in the fleet's order: earlier deployments are rendering in threads when its state is read.
    writeInput(repo, 'state/example/fleet110.json', '{ "version": ');
    const states = readdirSync(path.join(repo, 'state/example'));
    const synth = await redisGitops(repo, 'synth');
    expect(synth.code, synth.stderr).toBe(2);
    expect(synth.stderr).toContain('state/example/fleet110.json: not a secrets state file (invalid JSON');
    expect(existsSync(path.join(repo, 'dist')), 'dist/').toBe(false);
    expect(readdirSync(path.join(repo, 'state/example')), 'state/').toEqual(states);
    // Nor what was staged while earlier deployments rendered (dist.transaction/).
    expect(readdirSync(repo).filter((name) => name !== 'dist.transaction').sort()).toEqual(['clusters', 'deployments', 'state']);
    expect(leftInTransaction(path.join(repo, 'dist'))).toEqual([]);
  });
});

describe('Threads (src/workers/pool.ts)', () => {
  it("hold each thread's heap to the limit given: a task within it runs, one beyond it fails rather than growing the process", async () => {
    const { Threads } = await import('../src/workers/pool.js');
    const { pathToFileURL } = await import('node:url');
    const module = path.join(tempRepo(), 'grow.mjs');
    // Keeps `mb` megabytes of arrays alive at once.
    writeFileSync(module, 'export function grow(mb) { const kept = []; for (let i = 0; i < mb; i++) kept.push(new Array(128 * 1024).fill(i)); return kept.length; }\n');
    const threads = new Threads(1, pathToFileURL(module), 64);
    try {
      await expect(threads.run(0, 'grow', 8)).resolves.toBe(8);
      await expect(threads.run(0, 'grow', 256)).rejects.toThrow(/memory/i);
    } finally {
      await threads.destroy();
    }
  });
});
