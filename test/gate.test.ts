import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runGate } from '../src/gate/gate.js';
import { redisGitops, runProgram } from './support/programs.js';
import { projectRoot, tempDir } from './support/repo.js';


const gateCli = (...args: string[]) => redisGitops(projectRoot, 'gate', ...args);

/** A copy of the committed dist/ with some manifests replaced or added. */
function distWith(files: Record<string, unknown>): string {
  const dir = path.join(tempDir(), 'dist');
  cpSync(path.join(projectRoot, 'dist'), dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), typeof content === 'string' ? content : stringify(content));
  }
  return dir;
}

const ns = 'redis-orders';
const meta = (name: string) => ({ name, namespace: ns });

describe('gate', () => {
  it('passes the committed dist/ with no violation', async () => {
    const report = await runGate([path.join(projectRoot, 'dist')]);
    expect(report.violations).toEqual([]);
    expect(report.summary).toMatchObject({ errors: 0, warnings: 0, namespaces: 3 });
    expect(report.summary.resources).toBeGreaterThan(15);
  });

  it('prints the JSON contract and exits 1 on a hand-broken manifest', async () => {
    const dir = distWith({
      'example/orders/configmap-orders-members.yaml': {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta('orders-members'),
        data: { 'redis.conf': 'port 6379\nappendonly yes\n', 'sentinel.conf': 'port 0\ntls-port 26379\n' },
      },
    });
    const { code, stdout } = await gateCli(dir, '--format', 'json');
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(Object.keys(report).sort()).toEqual(['summary', 'violations']);
    expect(report.summary).toMatchObject({ errors: expect.any(Number), warnings: expect.any(Number) });
    expect(report.violations).toContainEqual({
      rule: 'tls.redis_tls_only',
      severity: 'error',
      title: expect.any(String),
      message: expect.stringContaining('redis.conf'),
      resource: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'orders-members' },
      file: path.join(dir, 'example/orders/configmap-orders-members.yaml'),
    });
  });

  it('exits 0 with a text report on the committed dist/', async () => {
    const { code, stdout } = await gateCli('dist');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^PASS: 0 error\(s\), 0 warning\(s\)/m);
  });

  it('exits 2 naming a file that is not YAML, or a path that does not exist', async () => {
    const dir = distWith({ 'example/orders/notes.yaml': 'key: [unclosed\n' });
    const broken = await gateCli(dir);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(path.join(dir, 'example/orders/notes.yaml'));
    expect(broken.stderr).toMatch(/invalid YAML at line \d+/);

    const readme = path.join(dir, 'README.md');
    writeFileSync(readme, '# not a manifest\n');
    const notYaml = await gateCli(readme);
    expect(notYaml).toMatchObject({ code: 2, stderr: expect.stringContaining(`${readme}: not a YAML file`) });

    expect((await gateCli(path.join(dir, 'missing'))).code).toBe(2);
    expect((await gateCli('--format', 'xml')).code).toBe(2);
  });

  // One broken manifest per area, through the compiled wasm: each must be caught, naming the resource.
  const broken: { rule: string; file: string; manifest: object; kind: string; name: string }[] = [
    {
      rule: 'encryption.storage_class_encrypted',
      file: 'example/orders/persistentvolumeclaim-scratch.yaml',
      manifest: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('scratch'), spec: { storageClassName: 'standard', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
      kind: 'PersistentVolumeClaim',
      name: 'scratch',
    },
    {
      rule: 'iam.no_cluster_bindings',
      file: 'example/orders/rolebinding-admins.yaml',
      manifest: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta('admins'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'ops', apiGroup: 'rbac.authorization.k8s.io' }] },
      kind: 'RoleBinding',
      name: 'admins',
    },
    {
      rule: 'secrets.no_plaintext_secret',
      file: 'example/orders/secret-orders-acl.yaml',
      manifest: { apiVersion: 'v1', kind: 'Secret', metadata: meta('orders-acl'), stringData: { 'users.acl': 'user default on >hunter2 ~* +@all' } },
      kind: 'Secret',
      name: 'orders-acl',
    },
    {
      rule: 'availability.pdb_covers_members',
      file: 'example/orders/poddisruptionbudget-orders-members.yaml',
      manifest: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta('orders-members'), spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'something-else' } } } },
      kind: 'StatefulSet',
      name: 'orders-data-0',
    },
    {
      rule: 'security.pod_hardened',
      file: 'example/orders/deployment-debug.yaml',
      manifest: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta('debug'),
        spec: { selector: { matchLabels: { app: 'debug' } }, template: { metadata: { labels: { app: 'debug' } }, spec: { containers: [{ name: 'shell', image: 'busybox' }] } } },
      },
      kind: 'Deployment',
      name: 'debug',
    },
  ];
  for (const c of broken) {
    it(`catches ${c.rule} on a broken manifest`, async () => {
      const dir = distWith({ [c.file]: c.manifest });
      const report = await runGate([dir]);
      expect(report.violations).toContainEqual(
        expect.objectContaining({ rule: c.rule, severity: 'error', resource: expect.objectContaining({ kind: c.kind, name: c.name, namespace: ns }) }),
      );
      expect(report.summary.errors).toBeGreaterThan(0);
    });
  }

  it('flags an unencrypted StorageClass in the cluster-scoped group, and the claims that use it', async () => {
    const dir = distWith({
      'example/_cluster/storageclass-redis-encrypted.yaml': {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: { name: 'redis-encrypted' },
        provisioner: 'ebs.csi.aws.com',
        parameters: { type: 'gp3' },
      },
    });
    const rules = (await runGate([dir])).violations.filter((v) => v.rule === 'encryption.storage_class_encrypted');
    expect(rules.map((v) => `${v.resource.kind}/${v.resource.name}`)).toEqual(
      expect.arrayContaining(['StorageClass/redis-encrypted', 'StatefulSet/orders-data-0', 'StatefulSet/sessions-data-1']),
    );
  });
});

describe('schema check', () => {
  it('passes every generated object, Argo CD, SealedSecret and prometheus-operator kinds included', async () => {
    const report = await runGate([path.join(projectRoot, 'dist')]);
    expect(report.violations.filter((v) => v.rule.startsWith('schema.'))).toEqual([]);
    // No generated kind escapes the check: each has a vendored schema.
    const kinds = new Set<string>();
    for (const file of readdirSync(path.join(projectRoot, 'dist'), { recursive: true }) as string[]) {
      if (!file.endsWith('.yaml')) continue;
      const { apiVersion, kind } = parse(readFileSync(path.join(projectRoot, 'dist', file), 'utf8')) as { apiVersion: string; kind: string };
      const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
      kinds.add(`${group}_${version}_${kind}.json`);
    }
    expect(kinds.size).toBeGreaterThan(15);
    for (const schema of kinds) expect(existsSync(path.join(projectRoot, 'schemas/kubernetes', schema)), schema).toBe(true);
  });

  it('reports a misspelled field and a wrong type like policy violations', async () => {
    const sts = parse(readFileSync(path.join(projectRoot, 'dist/example/orders/statefulset-orders-data-0.yaml'), 'utf8'));
    sts.spec.replica = 2;
    sts.spec.template.spec.containers[0].resources.limits.memory = { amount: 2 };
    const app = parse(readFileSync(path.join(projectRoot, 'dist/_argocd/example/applicationset-redis-example.yaml'), 'utf8'));
    app.spec.template.spec.syncPolicy.automated.selfheal = true;
    const dir = distWith({ 'example/orders/statefulset-orders-data-0.yaml': sts, '_argocd/example/applicationset-redis-example.yaml': app });
    const { code, stdout } = await gateCli(dir, '--format', 'json');
    expect(code).toBe(1);
    const schema = JSON.parse(stdout).violations.filter((v: { rule: string }) => v.rule.startsWith('schema.'));
    expect(schema).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: 'schema.unknown_field', message: 'unknown field spec.replica', resource: expect.objectContaining({ kind: 'StatefulSet', name: 'orders-data-0' }) }),
        expect.objectContaining({ rule: 'schema.invalid', message: expect.stringMatching(/^spec\.template\.spec\.containers\.0\.resources\.limits\.memory: must be/) }),
        expect.objectContaining({ rule: 'schema.unknown_field', message: 'unknown field spec.template.spec.syncPolicy.automated.selfheal', resource: expect.objectContaining({ kind: 'ApplicationSet' }) }),
      ]),
    );
  });
});

describe('gate on many files', () => {
  it('reads a folder with more files than the process may hold open at once', async () => {
    const dir = tempDir();
    const configMap = readFileSync(path.join(projectRoot, 'dist/example/orders/configmap-orders-members.yaml'), 'utf8');
    for (let i = 0; i < 400; i++) writeFileSync(path.join(dir, `cm-${i}.yaml`), configMap.replace('name: orders-members', `name: cm-${i}`));
    const { stdout } = await runProgram('sh', ['-c', `ulimit -n 200 && "${process.execPath}" "${path.join(projectRoot, 'bin/redis-gitops.mjs')}" gate "${dir}"`]);
    expect(stdout).toMatch(/^PASS: 0 error\(s\), 0 warning\(s\) in 400 resources/m);
  });
});
