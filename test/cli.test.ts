import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generator } from '../src/version.js';
import { redisGitops, runProgram } from './support/programs.js';
import { projectRoot, snapshotTree, tempDir, tempRepo, writeInput } from './support/repo.js';

const cli = (...args: string[]) => redisGitops(projectRoot, ...args);

/** A copy of the CLI's sources beside the project's installed packages. */
function copyOfCli(): { copy: string; help: () => ReturnType<typeof runProgram> } {
  const copy = tempDir();
  for (const entry of ['bin', 'model', 'src', 'charts', 'package.json', 'tsconfig.json']) cpSync(path.join(projectRoot, entry), path.join(copy, entry), { recursive: true });
  return { copy, help: () => runProgram(process.execPath, [path.join(copy, 'bin/redis-gitops.mjs'), '--help']) };
}

describe('redis-gitops CLI', () => {
  it('runs compiled from what its sources say now: a changed source is compiled again', async () => {
    const { copy, help } = copyOfCli();
    symlinkSync(path.join(projectRoot, 'node_modules'), path.join(copy, 'node_modules'));
    const { compiledCli } = (await import(pathToFileURL(path.join(copy, 'bin/compile.mjs')).href)) as { compiledCli: () => Promise<string | undefined> };
    const before = await help();
    expect(before.stdout, before.stderr).toContain('Generate and gate GitOps manifests');
    const compiled = await compiledCli();
    expect(compiled).toMatch(/node_modules\/\.cache\/redis-gitops\/cli\/[0-9a-f]{16}\/src\/cli\.js$/);
    const cliSource = path.join(copy, 'src/cli.ts');
    writeFileSync(cliSource, readFileSync(cliSource, 'utf8').replace('Generate and gate GitOps manifests', 'Generate, gate and compile GitOps manifests'));
    const changed = await compiledCli();
    expect(changed).not.toBe(compiled);
    expect((await help()).stdout).toContain('Generate, gate and compile GitOps manifests');
    // So is a change to how it is compiled.
    const compile = path.join(copy, 'bin/compile.mjs');
    writeFileSync(compile, `${readFileSync(compile, 'utf8')}\n// another setting\n`);
    const { compiledCli: compiledAnew } = (await import(`${pathToFileURL(compile).href}?changed`)) as { compiledCli: () => Promise<string | undefined> };
    expect(await compiledAnew()).not.toBe(changed);
  });

  it('requires cdk8s, cdk8s-plus-28 and constructs rather than importing them (Node reads an imported CommonJS module through, and all it re-exports, for its named exports)', async () => {
    const { compiledCli } = (await import(pathToFileURL(path.join(projectRoot, 'bin/compile.mjs')).href)) as { compiledCli: () => Promise<string | undefined> };
    const dir = path.dirname(path.dirname(new URL((await compiledCli())!).pathname));
    const code = readdirSync(dir, { recursive: true })
      .filter((f) => String(f).endsWith('.js'))
      .map((f) => readFileSync(path.join(dir, String(f)), 'utf8'))
      .join('\n');
    expect(code).not.toMatch(/(from|import)\s*\(?\s*["'](cdk8s|cdk8s-plus-28|constructs)["']/);
    for (const name of ['cdk8s', 'cdk8s-plus-28', 'constructs']) expect(code).toContain(`require("${name}")`);
  });

  it('runs its sources through tsx where it cannot be compiled', async () => {
    const { copy, help } = copyOfCli();
    // The packages, but a file where the compiled CLI would be cached.
    mkdirSync(path.join(copy, 'node_modules'));
    for (const name of readdirSync(path.join(projectRoot, 'node_modules')).filter((n) => n !== '.cache')) {
      symlinkSync(path.join(projectRoot, 'node_modules', name), path.join(copy, 'node_modules', name));
    }
    writeFileSync(path.join(copy, 'node_modules', '.cache'), 'not a folder');
    const { compiledCli } = (await import(pathToFileURL(path.join(copy, 'bin/compile.mjs')).href)) as { compiledCli: () => Promise<string | undefined> };
    expect(await compiledCli()).toBeUndefined();
    const outcome = await help();
    expect(outcome.stdout, outcome.stderr).toContain('Generate and gate GitOps manifests');
  });

  it('synth prints what it wrote, then exits 2 listing every mistake and keeps dist/ on bad input', async () => {
    const repo = tempRepo();
    const out = path.join(repo, 'dist');
    const first = await cli('synth', '--root', repo, '--out', out);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/2 deployment\(s\) on 1 cluster\(s\).*\d+ added, 0 changed, 0 removed/);
    expect(first.stdout).toContain('+ example/orders/statefulset-orders-data-0.yaml');
    const before = snapshotTree(out);

    writeInput(repo, 'deployments/orders.yaml', 'cluster: example\nredis: {memory: lots}\npersistence: {size: 10Gi}\nextra: 1\n');
    const failed = await cli('synth', '--root', repo, '--out', out);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('deployments/orders.yaml:2:9: redis.memory: expected a Kubernetes quantity');
    expect(failed.stderr).toContain('deployments/orders.yaml:4:1: extra: unknown field');
    expect(failed.stderr).toContain('were left unchanged');
    expect(snapshotTree(out)).toEqual(before);
  });

  it('`cdk8s synth` produces the same dist/ as npm run synth', async () => {
    const out = path.join(tempDir(), 'dist');
    const result = await runProgram(path.join(projectRoot, 'node_modules/.bin/cdk8s'), ['synth', '--output', out], projectRoot);
    expect(result.code, result.stderr).toBe(0);
    expect(snapshotTree(out)).toEqual(snapshotTree(path.join(projectRoot, 'dist')));
  });

  it('prints its version, and exits 2 on an unknown command or option', async () => {
    expect((await cli('--version')).stdout.trim()).toBe(generator.version);
    expect((await cli('deploy')).code).toBe(2);
    expect((await cli('synth', '--colour')).code).toBe(2);
  });
});
