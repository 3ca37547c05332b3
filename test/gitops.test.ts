import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { synth } from '../src/synth/synth.js';
import { cliPath, redisGitops, runProgram } from './support/programs.js';
import { projectRoot, tempDir, tempRepo, writeInput } from './support/repo.js';
import { find, renderManifests, type Manifest } from './support/render.js';

/** A copy of the example repository, synthesized and committed as the first commit of its own git repository. */
async function committedFleet(): Promise<{ repo: string; git: (...args: string[]) => Buffer }> {
  const repo = tempRepo();
  await synth(repo, path.join(repo, 'dist'));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t.invalid', ...args], { cwd: repo, stdio: 'pipe' });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'fleet');
  return { repo, git };
}

// Sync waves and the keeping of data volumes: test/constructs/ (sync-waves, sentinel-cluster, encrypted-storage, the charts).
describe('Argo CD', () => {
  let manifests: Map<string, Manifest>;
  beforeAll(async () => {
    manifests = await renderManifests();
  });

  it('makes one automatically synced Application per deployment, for its namespace, from the cluster file', () => {
    const set = find(manifests, 'ApplicationSet', 'redis-example');
    expect(set.metadata.namespace).toBe('argocd');
    expect(set.spec.generators).toEqual([
      { list: { elements: [{ deployment: 'orders', namespace: 'redis-orders' }, { deployment: 'sessions', namespace: 'redis-sessions' }] } },
    ]);
    const app = set.spec.template.spec;
    expect(app.project).toBe('redis-example');
    expect(app.source).toEqual({
      repoURL: 'https://git.example.com/platform/redis-gitops.git',
      targetRevision: 'main',
      path: 'dist/example/{{.deployment}}',
      directory: { include: '*.yaml' },
    });
    expect(app.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: '{{.namespace}}' });
    expect(app.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(app.syncPolicy.syncOptions).toContain('CreateNamespace=true');
    expect(app.syncPolicy.retry.limit).toBeGreaterThan(0);
    expect(find(manifests, 'Application', 'redis-example-cluster-scoped').spec.source.path).toBe('dist/example/_cluster');
  });

  it("lets the AppProject allow exactly the generator's namespaces, kinds and repository", () => {
    const project = find(manifests, 'AppProject', 'redis-example');
    expect(project.metadata.namespace).toBe('argocd');
    expect(project.spec.sourceRepos).toEqual(['https://git.example.com/platform/redis-gitops.git']);
    // '' is the cluster-scoped Application's (Argo CD refused it otherwise); namespaced objects are still
    // held to the deployments' namespaces.
    expect(project.spec.destinations.map((d: { namespace: string }) => d.namespace)).toEqual(['', 'redis-orders', 'redis-sessions']);
    expect(project.spec.clusterResourceWhitelist).toEqual([
      { group: '', kind: 'Namespace' },
      { group: 'storage.k8s.io', kind: 'StorageClass' },
    ]);
    const groupKind = (m: Manifest) => `${m.apiVersion.includes('/') ? m.apiVersion.split('/')[0] : ''}/${m.kind}`;
    const allowed = new Set(project.spec.namespaceResourceWhitelist.map((g: { group: string; kind: string }) => `${g.group}/${g.kind}`));
    for (const m of manifests.values()) {
      // Argo CD's own objects (namespace argocd) are the bootstrap, applied outside the project.
      if (m.metadata.namespace && m.metadata.namespace !== 'argocd') expect(allowed.has(groupKind(m)), groupKind(m)).toBe(true);
    }
    expect([...allowed]).not.toContain('/Secret');
  });
});

describe('drift', () => {
  it('gate --check-synced passes a synced dist/ and names the files after a hand edit or an unsynthesized input change', async () => {
    const repo = tempRepo();
    await synth(repo, path.join(repo, 'dist'));
    expect((await redisGitops(repo, 'gate', '--check-synced')).code).toBe(0);

    const file = path.join(repo, 'dist/example/orders/configmap-orders-members.yaml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('maxmemory-policy noeviction', 'maxmemory-policy allkeys-lru'));
    const handEdit = await redisGitops(repo, 'gate', '--check-synced');
    expect(handEdit.code).toBe(1);
    expect(handEdit.stderr).toContain('changed  example/orders/configmap-orders-members.yaml');
    writeFileSync(file, original);

    writeInput(repo, 'deployments/carts.yaml', 'cluster: example\nredis: {memory: 1Gi}\npersistence: {size: 10Gi}\n');
    const inputEdit = await redisGitops(repo, 'gate', '--check-synced');
    expect(inputEdit.code).toBe(1);
    expect(inputEdit.stderr).toContain('missing  example/carts/statefulset-carts-data-0.yaml');
  });

  // Two ways to list what changed (see changed.ts): `git diff` with the untracked files apart, or, with
  // git's untracked cache and HEAD as the base, one `git status`.
  it.each([
    ['without', []],
    ['with', ['feature.manyFiles', 'true']],
  ])('gate --changed checks only the deployments that differ from a git revision, with their cluster-scoped objects (%s an untracked cache)', async (_, setting) => {
    const { repo, git } = await committedFleet();
    if (setting.length) git('config', ...setting);
    const nothing = await redisGitops(repo, 'gate', 'dist', '--changed');
    expect(nothing.code).toBe(0);
    expect(nothing.stderr).toContain('nothing under dist changed since HEAD');

    writeInput(repo, 'deployments/orders.yaml', readFileSync(path.join(repo, 'deployments/orders.yaml'), 'utf8').replace('memory: 2Gi', 'memory: 4Gi'));
    await synth(repo, path.join(repo, 'dist'));
    const one = await redisGitops(repo, 'gate', 'dist', '--changed', '--format', 'json');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toContain('changed since HEAD: dist/example/_cluster, dist/example/orders');
    const sums = ['example/orders', 'example/_cluster'].flatMap((folder) => readFileSync(path.join(repo, 'dist', folder, 'SHA256SUMS'), 'utf8').trimEnd().split('\n'));
    const expected = sums.filter((line) => line.endsWith('.yaml')).length;
    expect(JSON.parse(one.stdout).summary.files).toBe(expected);

    // Committed, then broken by hand: the gate of what changed since the commit still catches it.
    git('add', '.');
    git('commit', '-qm', 'orders 4Gi');
    const sts = path.join(repo, 'dist/example/sessions/statefulset-sessions-data-0.yaml');
    writeFileSync(sts, readFileSync(sts, 'utf8').replace('storageClassName: redis-encrypted', 'storageClassName: standard'));
    const broken = await redisGitops(repo, 'gate', 'dist', '--changed');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('changed since HEAD: dist/example/_cluster, dist/example/sessions');
    expect(broken.stdout).toContain('encryption.storage_class_encrypted');
    // Staged: no longer differs from git's index, still from HEAD.
    git('add', 'dist/example/sessions');
    const staged = await redisGitops(repo, 'gate', 'dist', '--changed');
    expect(staged.code).toBe(1);
    expect(staged.stderr).toContain('changed since HEAD: dist/example/_cluster, dist/example/sessions');
  });

  // Two ways to list untracked files (see changed.ts): git's untracked cache, or the output's folders read.
  it.each([
    ['without', []],
    ['with', ['feature.manyFiles', 'true']],
  ])('gate --changed counts untracked folders (%s an untracked cache): a new deployment, a new cluster, a whole output never committed', async (_, setting) => {
    const { repo, git } = await committedFleet();
    if (setting.length) git('config', ...setting);
    writeInput(repo, 'deployments/carts.yaml', 'cluster: example\nredis: {memory: 1Gi}\npersistence: {size: 10Gi}\n');
    await synth(repo, path.join(repo, 'dist'));
    // Everything committed but the new deployment's folder (git lists it as `dist/example/carts/`).
    git('add', '.');
    git('commit', '-qm', 'carts');
    git('rm', '-rq', '--cached', 'dist/example/carts');
    git('commit', '-qm', 'carts untracked');
    // Untracked files outside the output do not count; one whose name git would quote is read as it is.
    writeFileSync(path.join(repo, 'notes "draft".txt'), 'x');
    const added = await redisGitops(repo, 'gate', 'dist', '--changed');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toContain('changed since HEAD: dist/example/_cluster, dist/example/carts');

    // Seen through a symbolic link to the repository: git names the top by its real path.
    const link = path.join(tempDir(), 'repo');
    symlinkSync(repo, link);
    const throughLink = await redisGitops(repo, 'gate', path.join(link, 'dist'), '--changed');
    expect(throughLink.stderr).toContain(`changed since HEAD: ${path.join(link, 'dist/example/_cluster')}, ${path.join(link, 'dist/example/carts')}`);

    // A wholly untracked cluster folder (git lists only `dist/newer/`): its `_cluster` changed, so all of it is gated.
    cpSync(path.join(repo, 'dist/example'), path.join(repo, 'dist/newer'), { recursive: true });
    const cluster = await redisGitops(repo, 'gate', 'dist', '--changed');
    expect(cluster.stderr).toContain('changed since HEAD: dist/example/_cluster, dist/example/carts, dist/newer\n');
    rmSync(path.join(repo, 'dist/newer'), { recursive: true });

    // Nothing of the output committed yet: all of it is gated.
    git('rm', '-rq', '--cached', 'dist');
    const fresh = await redisGitops(repo, 'gate', 'dist', '--changed', '--format', 'json');
    expect(fresh.stderr).toContain('changed since HEAD: dist/_argocd/example, dist/example');
    expect(JSON.parse(fresh.stdout).summary.files).toBe((await redisGitops(repo, 'gate', 'dist', '--format', 'json').then((r) => JSON.parse(r.stdout))).summary.files);
  });

  it("the pre-commit hook judges what git would commit (the staged tree), not the working tree", async () => {
    const { repo, git } = await committedFleet();
    // The hook as installed, its program run from this checkout (npx finds redis-gitops only in a project that has it).
    execFileSync(process.execPath, [path.join(projectRoot, 'scripts/install-hooks.mjs')], { cwd: repo, stdio: 'pipe' });
    const hookLine = readFileSync(path.join(repo, '.git/hooks/pre-commit'), 'utf8').split('\n').find((l) => l.startsWith('exec '))!;
    expect(hookLine).toBe('exec npx --no-install redis-gitops gate dist --check-synced --changed --staged');
    const hook = Object.assign(() => redisGitops(repo, ...hook.args), { args: hookLine.replace('exec npx --no-install redis-gitops ', '').split(' ') });
    const workingTree = () => redisGitops(repo, 'gate', 'dist', '--check-synced', '--changed');

    // An input staged without the dist/ synth made of it: the working tree is in step, the commit would not be.
    writeInput(repo, 'deployments/orders.yaml', readFileSync(path.join(repo, 'deployments/orders.yaml'), 'utf8').replace('memory: 2Gi', 'memory: 4Gi'));
    await synth(repo, path.join(repo, 'dist'));
    git('add', 'deployments/orders.yaml');
    expect((await workingTree()).code).toBe(0);
    const inputOnly = await hook();
    expect(inputOnly.code).toBe(1);
    expect(inputOnly.stderr).toContain('dist/ is not what synth makes of the staged inputs');
    expect(inputOnly.stderr).toContain('changed  example/orders/statefulset-orders-data-0.yaml');
    git('add', 'dist');
    const both = await hook();
    expect(both.code, both.stderr + both.stdout).toBe(0);
    expect(both.stderr).toContain('staged changes since HEAD: dist/example/_cluster, dist/example/orders');
    // Everything staged as it is in the work tree: the work tree is judged, nothing is written out
    // (no temporary folder can be made here, and none is needed); with something unstaged, it is.
    const noTemp = { ...process.env, TMPDIR: path.join(repo, 'no-such-folder') };
    const hookWithoutTemp = () => runProgram(process.execPath, [cliPath, ...hook.args], repo, noTemp);
    expect(await hookWithoutTemp()).toMatchObject({ code: 0, stderr: expect.stringContaining('staged changes since HEAD: dist/example/_cluster, dist/example/orders') });
    writeFileSync(path.join(repo, 'deployments/orders.yaml'), `${readFileSync(path.join(repo, 'deployments/orders.yaml'), 'utf8')}\n`);
    expect(await hookWithoutTemp()).toMatchObject({ code: 70, stderr: expect.stringMatching(/cannot mkdtemp .*no-such-folder.*nothing was judged/) });
    git('add', 'deployments/orders.yaml');
    // --no-verify: the installed hook would run npx, which finds no redis-gitops in this scratch repository.
    git('commit', '--no-verify', '-qm', 'orders 4Gi');

    // A broken file staged, then repaired in the working tree only: the commit would hold the broken one.
    const sts = path.join(repo, 'dist/example/sessions/statefulset-sessions-data-0.yaml');
    const good = readFileSync(sts, 'utf8');
    writeFileSync(sts, good.replace('storageClassName: redis-encrypted', 'storageClassName: standard'));
    git('add', sts);
    writeFileSync(sts, good);
    expect((await workingTree()).code).toBe(0);
    const stagedBroken = await hook();
    expect(stagedBroken.code).toBe(1);
    expect(stagedBroken.stdout).toContain('encryption.storage_class_encrypted');
    expect(stagedBroken.stdout).toContain(path.join('dist', 'example', 'sessions', 'statefulset-sessions-data-0.yaml'));
    expect(stagedBroken.stdout).not.toContain('redis-gitops-staged-');

    // And the other way round: the repaired file staged, a broken working copy is not the commit's business.
    git('add', sts);
    writeFileSync(sts, good.replace('storageClassName: redis-encrypted', 'storageClassName: standard'));
    expect((await workingTree()).code).toBe(1);
    const stagedGood = await hook();
    expect(stagedGood.code, stagedGood.stderr + stagedGood.stdout).toBe(0);
    expect(stagedGood.stderr).toContain('nothing under dist staged as changed since HEAD');
  });

  it('diff shows the change a synth would make, resource by resource, and writes nothing', async () => {
    const repo = tempRepo();
    await synth(repo, path.join(repo, 'dist'));
    writeInput(repo, 'deployments/sessions.yaml', readFileSync(path.join(repo, 'deployments/sessions.yaml'), 'utf8').replace('allkeys-lru', 'allkeys-lfu'));
    const before = readFileSync(path.join(repo, 'dist/example/sessions/configmap-sessions-members.yaml'), 'utf8');
    const { stdout } = await redisGitops(repo, 'diff', 'sessions');
    expect(stdout).toContain('--- a/example/sessions/configmap-sessions-members.yaml');
    expect(stdout).toContain('-    maxmemory-policy allkeys-lru');
    expect(stdout).toContain('+    maxmemory-policy allkeys-lfu');
    expect(stdout).toMatch(/diff: \d+ changed, 0 added, 0 removed/);
    expect(readFileSync(path.join(repo, 'dist/example/sessions/configmap-sessions-members.yaml'), 'utf8')).toBe(before);
    expect((await redisGitops(repo, 'diff', 'orders')).stdout).toBe('diff: 0 changed, 0 added, 0 removed\n');
  });
});

describe('deployment README', () => {
  it('shows reviewers the topology as a Mermaid diagram and how to connect', () => {
    const readme = readFileSync(path.join(projectRoot, 'dist/example/orders/README.md'), 'utf8');
    const mermaid = /```mermaid\n([\s\S]*?)\n```/.exec(readme)?.[1];
    expect(mermaid).toMatch(/^flowchart TB/);
    for (const zone of ['us-south-1', 'us-south-2', 'us-south-3']) expect(mermaid).toContain(`zone ${zone}`);
    expect(mermaid).toContain('orders-tiebreaker<br/>sentinel only');
    expect(readme).toContain('`orders.redis-orders.svc:6379`, `orders-redis.example.com:6379`; TLS only');
    expect(readme).toContain('| `orders-api` | Writer | `orders-user-orders-api` |');
  });
});
