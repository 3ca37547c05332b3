import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputErrors } from '../src/config/load.js';
import { plan, synth } from '../src/synth/synth.js';
import { buildIndex, indexText, keptOf, readPrevious, sha256, withSums, writeDist } from '../src/synth/write-dist.js';
import { leftInTransaction, projectRoot, snapshotTree, tempRepo, writeInput } from './support/repo.js';
import { INDEX_FILE } from '../model/dist-layout.js';

describe('synth', () => {
  it('writes dist/<cluster>/<deployment>/<kind>-<name>.yaml, a SHA256SUMS per folder and an index of the folders', async () => {
    const repo = tempRepo();
    const out = path.join(repo, 'dist');
    const result = await synth(repo, out);
    expect(result).toMatchObject({ clusters: 1, deployments: 2 });
    const index = JSON.parse(readFileSync(path.join(out, INDEX_FILE), 'utf8'));
    expect(index.generator).toEqual({ name: 'redis-gitops', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(Object.keys(index.folders)).toEqual(['_argocd/example', 'example/_cluster', 'example/orders', 'example/sessions']);
    const listed: string[] = [];
    for (const [folder, record] of Object.entries(index.folders as Record<string, { files: number; sums: string }>)) {
      const sums = readFileSync(path.join(out, folder, 'SHA256SUMS'), 'utf8');
      expect(sha256(sums), folder).toBe(record.sums);
      const lines = sums.trimEnd().split('\n');
      expect(lines, folder).toHaveLength(record.files);
      expect(lines).toEqual([...lines].sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1)));
      for (const line of lines) {
        const [hash, name] = line.split('  ') as [string, string];
        expect(sha256(readFileSync(path.join(out, folder, name))), `${folder}/${name}`).toBe(hash);
        listed.push(`${folder}/${name}`);
      }
    }
    expect(listed).toEqual(
      expect.arrayContaining([
        'example/_cluster/storageclass-redis-encrypted.yaml',
        'example/orders/namespace-redis-orders.yaml',
        'example/orders/statefulset-orders-data-0.yaml',
        'example/sessions/configmap-sessions-members.yaml',
      ]),
    );
    // Every file of dist/ is listed, but the index and the lists themselves.
    const onDisk = Object.keys(snapshotTree(out)).filter((f) => f !== INDEX_FILE && !f.endsWith('SHA256SUMS'));
    expect(listed.sort()).toEqual(onDisk.sort());
    expect(result.files).toBe(listed.length);
  });

  it('is deterministic: a second synth changes no byte and reports no change', async () => {
    const repo = tempRepo();
    const out = path.join(repo, 'dist');
    await synth(repo, out);
    const first = snapshotTree(out);
    const second = await synth(repo, out);
    expect(snapshotTree(out)).toEqual(first);
    expect(second.changes).toMatchObject({ added: [], changed: [], removed: [] });
  });

  it('renders again only the deployments whose inputs changed, with the same result as a full synth', async () => {
    const repo = tempRepo();
    const out = path.join(repo, 'dist');
    expect((await synth(repo, out)).rendered).toBe(2);
    expect((await synth(repo, out)).rendered).toBe(0);
    writeInput(repo, 'deployments/orders.yaml', readFileSync(path.join(repo, 'deployments/orders.yaml'), 'utf8').replace('memory: 2Gi', 'memory: 4Gi'));
    const incremental = await synth(repo, out);
    expect(incremental.rendered).toBe(1);
    expect(incremental.changes.changed).toContain('example/orders/statefulset-orders-data-0.yaml');
    expect(incremental.changes.changed.filter((f) => f.startsWith('example/sessions/'))).toEqual([]);
    const after = snapshotTree(out);
    const full = path.join(repo, 'full');
    expect((await synth(repo, full, { full: true })).rendered).toBe(2);
    expect(snapshotTree(full)).toEqual(after);
  });

  it('restores a hand-edited file of an unchanged deployment with --full, and finds it with verify (diff, gate --check-synced)', async () => {
    const repo = tempRepo();
    const out = path.join(repo, 'dist');
    await synth(repo, out);
    const before = snapshotTree(out);
    const file = path.join(out, 'example/sessions/configmap-sessions-members.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('maxmemory', 'maxmemory-by-hand'));
    // The default synth takes index.json at its word for a deployment whose inputs did not change:
    // it reads none of its files (the work follows the change, not the fleet).
    const trusting = await synth(repo, out);
    expect(trusting.rendered).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('maxmemory-by-hand');
    const verified = await plan(repo, out, { verify: true, writeState: false, refuse: false });
    expect(verified.rendered).toBe(1);
    const result = await synth(repo, out, { full: true });
    expect(result.rendered).toBe(2);
    expect(result.changes.changed).toEqual(['example/sessions/configmap-sessions-members.yaml']);
    expect(snapshotTree(out)).toEqual(before);
  });

  it('restores, deletes and adds by hand-edited files of a deployment it renders, without --full', async () => {
    const repo = tempRepo();
    const out = path.join(repo, 'dist');
    await synth(repo, out);
    const edited = path.join(out, 'example/orders/configmap-orders-members.yaml');
    writeFileSync(edited, readFileSync(edited, 'utf8').replace('maxmemory', 'maxmemory-by-hand'));
    rmSync(path.join(out, 'example/orders/service-orders.yaml'));
    writeFileSync(path.join(out, 'example/orders/stray.yaml'), 'kind: ConfigMap\n');
    writeFileSync(path.join(out, 'example/_cluster/stray.yaml'), 'kind: ConfigMap\n');
    const bootstrap = path.join(out, '_argocd/example/bootstrap.yaml');
    writeFileSync(bootstrap, readFileSync(bootstrap, 'utf8').replace('prune: true', 'prune: false'));
    writeInput(repo, 'deployments/orders.yaml', readFileSync(path.join(repo, 'deployments/orders.yaml'), 'utf8').replace('memory: 2Gi', 'memory: 4Gi'));
    const result = await synth(repo, out);
    expect(result.rendered).toBe(1);
    expect(result.changes.added).toContain('example/orders/service-orders.yaml');
    expect(result.changes.removed).toEqual(['example/_cluster/stray.yaml', 'example/orders/stray.yaml']);
    expect(result.changes.changed).toContain('_argocd/example/bootstrap.yaml');
    const full = path.join(repo, 'full');
    await synth(repo, full, { full: true });
    expect(snapshotTree(out)).toEqual(snapshotTree(full));
  });

  it('matches the committed dist/ (re-run npm run synth after changing inputs or charts)', async () => {
    const out = path.join(tempRepo(), 'dist');
    await synth(projectRoot, out);
    expect(snapshotTree(out)).toEqual(snapshotTree(path.join(projectRoot, 'dist')));
  });

  it('reports added, changed and removed files against the previous output', async () => {
    const repo = tempRepo();
    const out = path.join(repo, 'dist');
    await synth(repo, out);
    writeInput(repo, 'deployments/orders.yaml', readFileSync(path.join(repo, 'deployments/orders.yaml'), 'utf8').replace('memory: 2Gi', 'memory: 4Gi'));
    rmSync(path.join(repo, 'deployments/sessions.yaml'));
    writeInput(repo, 'deployments/carts.yaml', 'cluster: example\nredis: {memory: 1Gi}\npersistence: {size: 10Gi}\n');
    const { changes } = await synth(repo, out);
    expect(changes.changed).toEqual(
      expect.arrayContaining(['example/orders/configmap-orders-members.yaml', 'example/orders/statefulset-orders-data-0.yaml']),
    );
    expect(changes.added).toContain('example/carts/statefulset-carts-data-0.yaml');
    // The cluster's Argo CD objects list its deployments: rendered again, not kept.
    expect(changes.changed).toContain('_argocd/example/bootstrap.yaml');
    expect(changes.removed).toContain('example/sessions/statefulset-sessions-data-0.yaml');
    expect(existsSync(path.join(out, 'example/sessions'))).toBe(false);
  });

  it('leaves the previous output byte for byte when the inputs are bad', async () => {
    const repo = tempRepo();
    const out = path.join(repo, 'dist');
    await synth(repo, out);
    const before = snapshotTree(out);
    writeInput(repo, 'deployments/orders.yaml', 'cluster: example\nredis: {memory: lots}\npersistence: {size: 10Gi}\nextra: 1\n');
    await expect(synth(repo, out)).rejects.toThrow(InputErrors);
    expect(snapshotTree(out)).toEqual(before);
  });

  it('leaves the previous output whole when writing fails half-way', async () => {
    const out = path.join(tempRepo(), 'dist');
    const good = new Map([['c/d/configmap-a.yaml', 'kind: ConfigMap\n']]);
    const generator = { name: 'redis-gitops', version: '0' };
    const output = (files: Map<string, string>) => withSums(files);
    const index = (files: Map<string, string>) => ({ text: indexText(buildIndex(generator, output(files).folders)), kept: keptOf(new Map()) });
    await writeDist(out, output(good), index(good), await readPrevious(out));
    const before = snapshotTree(out);
    // A file and a folder of the same name: the second write fails after the first succeeded.
    const broken = new Map([
      ['c/d/x.yaml', 'kind: ConfigMap\n'],
      ['c/d/x.yaml/y.yaml', 'kind: ConfigMap\n'],
    ]);
    const previous = await readPrevious(out);
    await expect(writeDist(out, output(broken), index(broken), previous)).rejects.toThrow();
    expect(snapshotTree(out)).toEqual(before);
    expect(leftInTransaction(out)).toEqual([]);
  });

  it('refuses to replace a folder that is not a synth output', async () => {
    const repo = tempRepo();
    const precious = path.join(repo, 'precious');
    mkdirSync(precious);
    writeFileSync(path.join(precious, 'notes.txt'), 'keep me');
    await expect(synth(repo, precious)).rejects.toThrow(/not a synth output/);
    expect(readFileSync(path.join(precious, 'notes.txt'), 'utf8')).toBe('keep me');
  });
});
