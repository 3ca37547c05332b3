import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { findManifestFiles, groupByDeployment, readObjects, UnreadableInput, type KubeObject, type SourcedObject } from '../src/gate/documents.js';
import { evaluateGroup, runGate } from '../src/gate/gate.js';
import { loadGatePolicy, POLICY_WASM, policyData } from '../src/gate/policy.js';
import { refsOf, Shard } from '../src/gate/shard.js';
import { schemaChecker, validatorCacheFile } from '../src/gate/schema.js';
import { platformRoleName, platformRoleRules, platformRoles } from '../model/platform-roles.js';
import { encryptionRequirement, providerStorage } from '../model/storage-providers.js';
import { cliPath, redisGitops, runProgram } from './support/programs.js';
import { projectRoot, tempDir } from './support/repo.js';
import { INDEX_FILE, INDEX_FOLDER, LEGACY_INDEX_FILE } from '../model/dist-layout.js';


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
    expect(notYaml).toMatchObject({ code: 2, stderr: expect.stringContaining(`${readme}: not a manifest file`) });

    expect((await gateCli(path.join(dir, 'missing'))).code).toBe(2);
    expect((await gateCli('--format', 'xml')).code).toBe(2);
  });

  // V8 reserves ~10 GiB of address space for any WebAssembly memory: under a lower `ulimit -v` the
  // policy cannot be instantiated at all. The system's refusal (exit 70, saying what to look at),
  // not "an internal error, a bug", whether the policy runs in this thread or in worker threads.
  it('says the system refused the policy its memory under a low ulimit -v, in this thread and in worker threads', async () => {
    await redisGitops(projectRoot, '--version'); // the CLI compiled (esbuild) outside the limit
    for (const threads of ['0', '2']) {
      const outcome = await runProgram('bash', ['-c', 'ulimit -v 4000000 && exec "$0" "$@"', process.execPath, cliPath, 'gate', 'dist', '--no-cache', '--threads', threads], projectRoot);
      // Where V8 makes a WebAssembly memory within that limit after all, the gate simply runs.
      if (outcome.code === 0) continue;
      expect(outcome, `--threads ${threads}`).toMatchObject({ code: 70, stderr: "gate: cannot reserve the policy's WebAssembly memory: not enough memory or address space (is `ulimit -v` set?) (ENOMEM)\n" });
    }
  });

  it('exits 2 on a UTF-16 manifest (kubectl decodes it by its byte order mark) or a UTF-32 one (kubectl refuses it), naming the encoding and how to convert it; other bytes that are not UTF-8 are said to be so', async () => {
    const dir = tempDir();
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n';
    const little = path.join(dir, 'little.yaml');
    writeFileSync(little, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    expect(await gateCli(little)).toMatchObject({ code: 2, stderr: expect.stringContaining(`${little}: UTF-16 text (little-endian, by its byte order mark), and the gate reads UTF-8: convert it (iconv -f UTF-16 -t UTF-8 ${little}`) });
    const big = path.join(dir, 'big.yaml');
    writeFileSync(big, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]));
    expect(await gateCli(big)).toMatchObject({ code: 2, stderr: expect.stringContaining('UTF-16 text (big-endian') });
    // UTF-32 (kubectl refuses it: "control characters are not allowed"); its little-endian mark starts as UTF-16's does.
    const wide = path.join(dir, 'wide.yaml');
    writeFileSync(wide, Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), ...[...text].map((c) => Buffer.from([c.charCodeAt(0), 0, 0, 0]))]));
    expect(await gateCli(wide)).toMatchObject({ code: 2, stderr: expect.stringContaining(`${wide}: UTF-32 text (little-endian, by its byte order mark), which kubectl cannot read either, and the gate reads UTF-8: convert it (iconv -f UTF-32 -t UTF-8 ${wide}`) });
    writeFileSync(wide, Buffer.concat([Buffer.from([0, 0, 0xfe, 0xff]), ...[...text].map((c) => Buffer.from([0, 0, 0, c.charCodeAt(0)]))]));
    expect(await gateCli(wide)).toMatchObject({ code: 2, stderr: expect.stringContaining('UTF-32 text (big-endian') });
    const latin1 = path.join(dir, 'latin1.yaml');
    writeFileSync(latin1, Buffer.from(`${text}data: {k: caf\u00e9}\n`, 'latin1'));
    expect(await gateCli(latin1)).toMatchObject({ code: 2, stderr: expect.stringContaining(`${latin1}: not UTF-8 text`) });
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

describe("the generated backup, changed the ways that would leave it unencrypted or its keys in plaintext", () => {
  const file = 'example/orders/cronjob-orders-backup.yaml';
  const generated = parse(readFileSync(path.join(projectRoot, 'dist', file), 'utf8'));
  const upload = () => generated.spec.jobTemplate.spec.template.spec.containers.find((c: { name: string }) => c.name === 'upload');
  type Env = { name: string; value?: string; valueFrom?: unknown };
  /** The generated CronJob with the upload container's environment changed by `change`. */
  const withEnv = (change: (env: Env[]) => Env[]) => {
    const cronJob = structuredClone(generated);
    const container = cronJob.spec.jobTemplate.spec.template.spec.containers.find((c: { name: string }) => c.name === 'upload');
    container.env = change(container.env);
    return cronJob;
  };
  const findings = async (cronJob: unknown) =>
    (await runGate([distWith({ [file]: cronJob })])).violations.filter((v) => v.rule === 'encryption.backup_encrypted').map((v) => v.message);

  it('passes as synth writes it, its remotes in the environment', async () => {
    expect(upload().env.map((e: Env) => e.name)).toEqual(expect.arrayContaining(['RCLONE_CONFIG_TARGET_TYPE', 'RCLONE_CONFIG_ENCRYPTED_REMOTE']));
    expect(await findings(generated)).toEqual([]);
  });

  it('flags an upload that bypasses the crypt remote, an http endpoint, and a key written into the manifest', async () => {
    const broken = withEnv((env) =>
      env
        .filter((e) => !e.name.startsWith('RCLONE_CONFIG_ENCRYPTED_'))
        .map((e) => (e.name === 'RCLONE_CONFIG_TARGET_ENDPOINT' ? { name: e.name, value: 'http://s3.internal:9000' } : e))
        .map((e) => (e.name === 'RCLONE_CONFIG_TARGET_SECRET_ACCESS_KEY' ? { name: e.name, value: 'wJalrXUtnFEMI' } : e)),
    );
    const who = 'container upload of CronJob orders-backup';
    expect((await findings(broken)).sort()).toEqual(
      [
        `${who}: rclone remote target (s3) is not encrypted: no crypt remote wraps it, so what is written to it is stored as it is`,
        `${who}: rclone remote target is reached over plaintext HTTP (endpoint http://s3.internal:9000, env RCLONE_CONFIG_TARGET_ENDPOINT)`,
        `${who}: rclone remote target's secret_access_key is in plaintext (env RCLONE_CONFIG_TARGET_SECRET_ACCESS_KEY): take it from a Secret made by a SealedSecret`,
      ].sort(),
    );
  });

  it('flags the credentials Secret committed in plaintext in place of its SealedSecret', async () => {
    const dir = distWith({
      'example/orders/secret-orders-backup-credentials.yaml': {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: meta('orders-backup-credentials'),
        stringData: { 'access-key-id': 'AKIA', 'secret-access-key': 's', 'encryption-key': 'passphrase' },
      },
    });
    const messages = (await runGate([dir])).violations.filter((v) => v.rule === 'encryption.backup_encrypted').map((v) => v.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        "container upload of CronJob orders-backup: rclone remote target's access_key_id is in plaintext (Secret orders-backup-credentials, a plain Secret in git): take it from a Secret made by a SealedSecret",
        'container upload of CronJob orders-backup: its pod mounts Secret orders-backup-credentials, a plain Secret in git: commit a SealedSecret instead',
      ]),
    );
  });
});

describe('schema check', () => {
  it('reuses the validators an earlier run compiled, with the same findings', () => {
    const cache = path.join(projectRoot, 'node_modules/.cache/redis-gitops/validators');
    const broken = { file: 'x.yaml', object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a' }, spec: { ports: [{ port: 'six' }], colour: 'blue' } } };
    const first = schemaChecker()(broken);
    const cached = readdirSync(cache).filter((f) => f.endsWith('.cjs'));
    const second = schemaChecker()(broken);
    expect(readdirSync(cache).filter((f) => f.endsWith('.cjs'))).toEqual(cached);
    expect(cached.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
    expect(first.map((v) => v.rule).sort()).toEqual(['schema.invalid', 'schema.unknown_field']);
  });

  it('checks every kind that carries a pod template, not only those the generator emits: a misspelt or mistyped host setting is found', () => {
    const check = schemaChecker();
    const spec = (extra: Record<string, unknown>) => ({ containers: [{ name: 'c', image: 'example.com/c:1' }], ...extra });
    const objects = [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: spec({ hostnetwork: true }) },
      { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'd' }, spec: { selector: {}, template: { spec: spec({ hostPID: 'true' }) } } },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r' }, spec: { selector: {}, template: { spec: spec({ hostIPC: 1 }) } } },
      { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc' }, spec: { template: { spec: spec({ hostNetwork: true, priviliged: true }) } } },
    ];
    expect(objects.flatMap((object) => check({ file: 'x.yaml', object }).map((v) => `${v.rule} ${object.kind}: ${v.message}`))).toEqual([
      'schema.unknown_field Pod: unknown field spec.hostnetwork',
      'schema.invalid DaemonSet: spec.template.spec.hostPID: must be boolean',
      'schema.invalid ReplicaSet: spec.template.spec.hostIPC: must be boolean',
      'schema.unknown_field ReplicationController: unknown field spec.template.spec.priviliged',
    ]);
  });

  it("reads CRDs' Go patterns as Go does, also in cached validators: `^(?i)(abort|warn)?$` is caseless", () => {
    const rule = (strategy: string) => ({
      file: 'x.yaml',
      object: { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'r' }, spec: { groups: [{ name: 'g', partial_response_strategy: strategy, rules: [] }] } },
    });
    // The first checker compiles (or loads) the validator, the second one loads it from the cache.
    for (const check of [schemaChecker(), schemaChecker()]) {
      expect(check(rule('ABORT'))).toEqual([]);
      expect(check(rule('warn'))).toEqual([]);
      expect(check(rule('never'))).toEqual([expect.objectContaining({ rule: 'schema.invalid', message: expect.stringContaining('spec.groups.0.partial_response_strategy') })]);
    }
  });

  it("keeps V8's code cache of a cached validator, and writes it anew when V8 rejects it", async () => {
    const broken = { file: 'x.yaml', object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a' }, spec: { colour: 'blue' } } };
    const codeCache = `${validatorCacheFile(readFileSync(path.join(projectRoot, 'schemas/kubernetes/core_v1_Service.json'), 'utf8'))}.v8`;
    const first = schemaChecker()(broken);
    schemaChecker()(broken);
    expect(existsSync(codeCache)).toBe(true);
    expect(first).toEqual([expect.objectContaining({ rule: 'schema.unknown_field', message: 'unknown field spec.colour' })]);
    writeFileSync(codeCache, 'not a code cache');
    // A process of its own: this one keeps the compiled validator in V8's own compilation cache and
    // may never read the file again (whether it does depended on when V8 aged that cache out: the
    // test failed now and then under load). The next gate is what meets a rejected code cache.
    const dir = tempDir();
    writeFileSync(path.join(dir, 'service.yaml'), stringify(broken.object));
    const gate = await gateCli(dir, '--no-cache', '--format', 'json');
    expect(gate.code).toBe(1);
    expect(JSON.parse(gate.stdout).violations).toEqual([expect.objectContaining({ rule: 'schema.unknown_field', message: 'unknown field spec.colour' })]);
    expect(readFileSync(codeCache, 'utf8')).not.toBe('not a code cache');
  });

  it('passes every generated object, Argo CD, SealedSecret and prometheus-operator kinds included', async () => {
    const report = await runGate([path.join(projectRoot, 'dist')]);
    expect(report.violations.filter((v) => v.rule.startsWith('schema.'))).toEqual([]);
    // No generated kind escapes the check: each has a vendored schema.
    const kinds = new Set<string>();
    for (const file of readdirSync(path.join(projectRoot, 'dist'), { recursive: true }) as string[]) {
      if (!file.endsWith('.yaml')) continue;
      for (const doc of parseAllDocuments(readFileSync(path.join(projectRoot, 'dist', file), 'utf8'))) {
        const { apiVersion, kind } = doc.toJS() as { apiVersion: string; kind: string };
        const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
        kinds.add(`${group}_${version}_${kind}.json`);
      }
    }
    expect(kinds.size).toBeGreaterThan(15);
    for (const schema of kinds) expect(existsSync(path.join(projectRoot, 'schemas/kubernetes', schema)), schema).toBe(true);
  });

  it('reports a misspelled field and a wrong type like policy violations', async () => {
    const sts = parse(readFileSync(path.join(projectRoot, 'dist/example/orders/statefulset-orders-data-0.yaml'), 'utf8'));
    sts.spec.replica = 2;
    sts.spec.template.spec.containers[0].resources.limits.memory = { amount: 2 };
    const bootstrap = parseAllDocuments(readFileSync(path.join(projectRoot, 'dist/_argocd/example/bootstrap.yaml'), 'utf8')).map((d) => d.toJS());
    const app = bootstrap.find((o) => o.kind === 'ApplicationSet');
    app.spec.template.spec.syncPolicy.automated.selfheal = true;
    const dir = distWith({ 'example/orders/statefulset-orders-data-0.yaml': sts, '_argocd/example/bootstrap.yaml': bootstrap.map((o) => stringify(o)).join('---\n') });
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

describe('gate on hand-written insecure Redis manifests', () => {
  it('reports each mistake with its rule id and file, and exits 1', async () => {
    const folder = path.join(projectRoot, 'test/fixtures/insecure-redis');
    const { code, stdout } = await gateCli(folder, '--format', 'json');
    expect(code).toBe(1);
    const found = new Set((JSON.parse(stdout).violations as { rule: string; file: string }[]).map((v) => `${v.rule} ${path.basename(v.file)}`));
    for (const expected of [
      'tls.redis_args_tls_only redis-plaintext.yaml',
      'tls.service_plaintext_port redis-plaintext.yaml',
      'tls.haproxy_tls12 haproxy-tls10.yaml',
      'encryption.storage_class_encrypted storageclass-unencrypted.yaml',
      'iam.no_cluster_bindings clusterrolebinding-cluster-admin.yaml',
      'secrets.no_plaintext_secret secret-plaintext.yaml',
    ]) {
      expect(found, expected).toContain(expected);
    }
  });
});

describe('waivers', () => {
  const waived = (annotation: string) => ({
    'example/orders/deployment-orders-portal.yaml': (() => {
      const portal = parse(readFileSync(path.join(projectRoot, 'dist/example/orders/deployment-orders-portal.yaml'), 'utf8'));
      portal.metadata.annotations['redis-gitops.dev/waivers'] = annotation;
      portal.spec.template.spec.containers[0].image = 'docker.io/library/haproxy';
      return portal;
    })(),
  });
  const pinned = (report: Awaited<ReturnType<typeof runGate>>) => report.violations.filter((v) => v.rule === 'security.image_pinned');

  it('a waiver in force lists the finding as waived, and the gate passes', async () => {
    const dir = distWith(waived('[{"rules": ["security.image_pinned"], "reason": "vendor hotfix build, OPS-42", "expires": "2026-12-31"}]'));
    const report = await runGate([dir], { today: '2026-12-31' });
    expect(pinned(report)).toEqual([expect.objectContaining({ waiver: { reason: 'vendor hotfix build, OPS-42', expires: '2026-12-31' } })]);
    expect(report.summary).toMatchObject({ errors: 0, waived: 1 });
  });

  it('the day after, the finding fails again and the waiver is reported as expired', async () => {
    const dir = distWith(waived('[{"rules": ["security.image_pinned"], "reason": "vendor hotfix build, OPS-42", "expires": "2026-12-31"}]'));
    const report = await runGate([dir], { today: '2027-01-01' });
    expect(pinned(report)).toEqual([expect.not.objectContaining({ waiver: expect.anything() })]);
    expect(report.violations).toContainEqual(expect.objectContaining({ rule: 'waiver.expired', resource: expect.objectContaining({ name: 'orders-portal' }) }));
    expect(report.summary).toMatchObject({ errors: 2, waived: 0 });
  });

  it('a waiver without a reason waives nothing and is itself an error', async () => {
    const dir = distWith(waived('[{"rules": ["security.image_pinned"], "expires": "2099-01-01"}]'));
    const report = await runGate([dir]);
    expect(report.summary).toMatchObject({ errors: 2, waived: 0 });
    expect(report.violations).toContainEqual(expect.objectContaining({ rule: 'waiver.invalid', message: expect.stringContaining('has no "reason"') }));
  });

  it('a waiver naming a rule the gate does not have (a typo) waives nothing and says which id', async () => {
    const dir = distWith(waived('[{"rules": ["security.image_pined"], "reason": "vendor hotfix build, OPS-42", "expires": "2026-12-31"}]'));
    const report = await runGate([dir], { today: '2026-12-01' });
    expect(pinned(report)).toEqual([expect.not.objectContaining({ waiver: expect.anything() })]);
    expect(report.violations).toContainEqual(
      expect.objectContaining({ rule: 'waiver.invalid', message: 'Deployment orders-portal: waiver 1 of redis-gitops.dev/waivers names unknown or unwaivable rules (security.image_pined), so it waives nothing' }),
    );
  });
});

describe('waivers that run too long', () => {
  it('a waiver expiring more than 90 days after today waives nothing; --waiver-max-days allows longer', async () => {
    const portal = parse(readFileSync(path.join(projectRoot, 'dist/example/orders/deployment-orders-portal.yaml'), 'utf8'));
    portal.metadata.annotations['redis-gitops.dev/waivers'] = '[{"rules": ["security.image_pinned"], "reason": "vendor hotfix build, OPS-42", "expires": "2027-06-01"}]';
    portal.spec.template.spec.containers[0].image = 'docker.io/library/haproxy';
    const dir = distWith({ 'example/orders/deployment-orders-portal.yaml': portal });
    const tooLong = await runGate([dir], { today: '2026-12-01' });
    expect(tooLong.violations).toContainEqual(
      expect.objectContaining({ rule: 'waiver.invalid', message: 'Deployment orders-portal: waiver 1 of redis-gitops.dev/waivers expires 2027-06-01, more than 90 days after 2026-12-01 (the longest a waiver may run), so it waives nothing' }),
    );
    expect(tooLong.summary).toMatchObject({ errors: 2, waived: 0 });
    const allowed = await runGate([dir], { today: '2026-12-01', waiverMaxDays: 365 });
    expect(allowed.summary).toMatchObject({ errors: 0, waived: 1 });
  });

  it('--today judges waivers as on another day (a release day), and takes only a day of the calendar', async () => {
    const sample = path.join(projectRoot, 'policies/samples/waiver/expired/allowed.yaml'); // waived until 2026-08-01
    const inForce = await gateCli(sample, '--today', '2026-08-01', '--no-cache');
    expect(inForce.code).toBe(0);
    expect(inForce.stdout).toMatch(/1 waived/);
    const runOut = await gateCli(sample, '--today', '2026-08-02', '--no-cache');
    expect(runOut.code).toBe(1);
    expect(runOut.stdout).toMatch(/waiver\.expired/);
    for (const day of ['2026-02-30', '2026-8-02', 'tomorrow']) {
      const bad = await gateCli(sample, '--today', day);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/expected a day of the calendar as YYYY-MM-DD/);
    }
  });
});

describe('warnings and --strict', () => {
  const writable = () => {
    const portal = parse(readFileSync(path.join(projectRoot, 'dist/example/orders/deployment-orders-portal.yaml'), 'utf8'));
    portal.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false;
    return distWith({ 'example/orders/deployment-orders-portal.yaml': portal });
  };

  it('a warning alone passes, and fails with --strict', async () => {
    const dir = writable();
    const lenient = await gateCli(dir);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/WARNING security\.read_only_root_filesystem/);
    expect(lenient.stdout).toMatch(/^PASS: 0 error\(s\), 1 warning\(s\)/m);
    const strict = await gateCli(dir, '--strict');
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/^FAIL: 0 error\(s\), 1 warning\(s\).*strict: warnings fail$/m);
  });
});

describe('gate on bad input', () => {
  it("leaves synth's index out by its first bytes (an earlier synth's, parsed, where it kept it), never SHA256SUMS, and gates a manifest named like it", async () => {
    const dir = distWith({});
    const top = (files: string[]) => files.filter((f) => [dir, path.join(dir, INDEX_FOLDER)].includes(path.dirname(f)) || path.basename(f) === 'SHA256SUMS');
    expect(readFileSync(path.join(dir, INDEX_FILE), 'utf8')).toMatch(/^\{\n {2}"layout": 2,\n {2}"generator": \{/);
    expect(top(await findManifestFiles([dir]))).toEqual([]);
    for (const index of [INDEX_FILE, LEGACY_INDEX_FILE]) {
      // An index of the first layout (as an older synth wrote it): the whole file is read.
      writeFileSync(path.join(dir, index), JSON.stringify({ generator: { name: 'redis-gitops', version: '0.0.1' }, files: {} }, null, 2));
      expect(top(await findManifestFiles([dir]))).toEqual([]);
      writeFileSync(path.join(dir, index), JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: ns } }));
      expect(top(await findManifestFiles([dir]))).toEqual([path.join(dir, index)]);
      rmSync(path.join(dir, index));
    }
  });

  it('names the file and the document that has no kind', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'half.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n');
    const { code, stderr } = await gateCli(dir);
    expect(code).toBe(2);
    expect(stderr).toContain(`${path.join(dir, 'half.yaml')}: document 2 (line 5) has no kind`);
  });

  it('checks a group whose files another thread parsed, or that its own budget did not keep, and gives the same findings', async () => {
    const members = 'example/orders/configmap-orders-members.yaml';
    const dir = distWith({ [members]: readFileSync(path.join(projectRoot, 'dist', members), 'utf8').replace('port 0', 'port 6379') });
    const files = await findManifestFiles([dir]);
    const [reader, other, frugal] = [new Shard(), new Shard(), new Shard(0)];
    const read = reader.read({ files });
    expect(read.kept).toEqual(files.map((_, i) => i));
    const groups = groupByDeployment(refsOf(read, files).flat(), [dir]);
    const task = { groups, data: {}, today: '2026-06-01' };
    const found = (await other.check(task)).flat();
    expect(found.map((v) => `${v.rule} ${path.basename(v.file)}`)).toContain('tls.service_plaintext_port service-orders-data-0.yaml');
    expect(found).toEqual((await reader.check(task)).flat());
    const frugalRead = frugal.read({ files });
    expect(frugalRead.kept).toEqual([]);
    expect(frugalRead.objects).toEqual(read.objects);
    expect((await frugal.check(task)).flat()).toEqual(found);
  });

  it('evaluates group after group in one wasm instance without its memory growing', async () => {
    const dist = path.join(projectRoot, 'dist');
    const groups = groupByDeployment((await findManifestFiles([dist])).flatMap(readObjects), [dist]);
    const policy = await loadPolicy(readFileSync(POLICY_WASM));
    policy.setData(policyData());
    const sizes: number[] = [];
    for (let round = 0; round < 100; round++) {
      for (const group of groups) policy.evaluate({ ...group, today: '2026-06-01' }, 'gate/violations');
      sizes.push(policy.mem.buffer.byteLength);
    }
    // It grows to hold the largest input, then each evaluation starts over at the end of the data.
    expect(sizes.at(-1)).toBe(sizes[0]);
  });

  it('turns a failure of the policy engine into an error naming the objects', () => {
    // (The engine running out of memory is worded apart: test/policy-memory.test.ts.)
    const failing = { rules: {}, evaluate: () => { throw new TypeError('trim_prefix: operand 1 must be string but got number'); } };
    const group = { namespace: 'apps', resources: [{ file: 'a.yaml', object: { apiVersion: 'v1', kind: 'ConfigMap' } }, { file: 'b.yaml', object: { apiVersion: 'v1', kind: 'ConfigMap' } }], cluster_resources: [] };
    expect(() => evaluateGroup(failing, group, '2026-06-01')).toThrow(
      new UnreadableInput('a.yaml and 1 more file(s)', 'the policy could not evaluate namespace apps (2 objects): trim_prefix: operand 1 must be string but got number'),
    );
  });

  it('refuses a document nested thousands of levels deep with a clear error, JSON or YAML (it crashed the gate: a stack overflow)', async () => {
    const dir = tempDir();
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    writeFileSync(path.join(dir, 'deep.json'), `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"y"},"data":{"a":${nested(50_000)}}}`);
    writeFileSync(path.join(dir, 'deep.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: y}\ndata:\n${Array.from({ length: 3000 }, (_, i) => `${'  '.repeat(i + 1)}k:\n`).join('')}`);
    for (const [file, reason] of [['deep.json', 'document at line 1: nested more than 1000 levels deep, more than the gate reads'], ['deep.yaml', 'nested deeper than the gate reads']]) {
      const { code, stderr } = await gateCli(path.join(dir, file!));
      expect([code, stderr], file).toEqual([2, expect.stringContaining(`${path.join(dir, file!)}: `)]);
      expect(stderr).toContain(reason);
    }
    // As deep as it reads, it checks: the value is a list where the schema wants a string.
    writeFileSync(path.join(dir, 'deep.json'), `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"y"},"data":{"a":${nested(990)}}}`);
    const { code, stdout } = await gateCli(path.join(dir, 'deep.json'));
    expect([code, stdout]).toEqual([1, expect.stringContaining('schema.invalid  ConfigMap y/x: data.a: must be string')]);
  });

  it('refuses a YAML alias bomb with a clear error', async () => {
    const dir = tempDir();
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    writeFileSync(path.join(dir, 'bomb.yaml'), `${lines.join('\n')}\napiVersion: v1\nkind: ConfigMap\n`);
    const { code, stderr } = await gateCli(dir);
    expect(code).toBe(2);
    expect(stderr).toContain(`${path.join(dir, 'bomb.yaml')}: document 1 (line 1): Excessive alias count`);
  });

  it('refuses a 50 MB file with a clear error instead of reading it', async () => {
    const dir = tempDir();
    const big = path.join(dir, 'dump.yaml');
    writeFileSync(big, `# ${'x'.repeat(50 * 1024 * 1024)}\n`);
    const { code, stderr } = await gateCli(dir);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`${big.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 50\\.0 MiB, over the 16 MiB`));
  });

  it('checks a folder of thousands of files, finding the one bad object among them', async () => {
    const dir = tempDir();
    for (let i = 0; i < 3000; i++) {
      mkdirSync(path.join(dir, `d${i % 30}`), { recursive: true });
      writeFileSync(path.join(dir, `d${i % 30}`, `cm-${i}.yaml`), `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-${i}, namespace: apps}\ndata: {greeting: hello}\n`);
    }
    writeFileSync(path.join(dir, 'd7', 'secret.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata: {name: leak, namespace: apps}\nstringData: {password: x}\n');
    const report = await runGate([dir]);
    expect(report.summary).toMatchObject({ files: 3001, resources: 3001, errors: 1 });
    expect(report.violations).toEqual([expect.objectContaining({ rule: 'secrets.no_plaintext_secret', file: path.join(dir, 'd7', 'secret.yaml') })]);
  });
});

describe('what the policies take from the model (as data, never restated in Rego)', () => {
  const today = '2026-06-01';
  const entry = (object: KubeObject): SourcedObject => ({ file: `t/${object.kind.toLowerCase()}.yaml`, object });

  it("judges each provider's classes, by the CSI or the in-tree provisioner, by the parameters the provider table switches encryption on with", async () => {
    const policy = await loadGatePolicy();
    const classes = Object.entries(providerStorage).flatMap(([id, p]) =>
      [
        ['csi', p.provisioner],
        ['in-tree', p.inTreeProvisioner],
      ].flatMap(([how, provisioner]) =>
        provisioner
          ? [
              { name: `${id}-${how}-asked`, provisioner, parameters: encryptionRequirement(p) },
              { name: `${id}-${how}-plain`, provisioner, parameters: {} },
            ].map(({ name, ...rest }) =>
              entry({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name }, ...rest, reclaimPolicy: 'Retain', volumeBindingMode: 'WaitForFirstConsumer' }),
            )
          : [],
      ),
    );
    const findings = policy.evaluate({ namespace: null, resources: classes, cluster_resources: classes }, today);
    expect(findings.map((v) => `${v.rule}: ${v.message}`).sort()).toEqual([
      'encryption.storage_class_encrypted: StorageClass aws-ebs-csi-plain does not encrypt: AWS EBS encrypts only with parameters.encrypted "true"',
      'encryption.storage_class_encrypted: StorageClass aws-ebs-in-tree-plain does not encrypt: AWS EBS encrypts only with parameters.encrypted "true"',
    ]);
    expect(classes.length).toBe(14); // four providers, three with an in-tree name, each asked and plain
  });

  it('knows the Roles of the platform roles by the names platformRoleName gives them', async () => {
    const policy = await loadGatePolicy();
    const id = { deployment: 'cache-eu', namespace: 'redis-t' };
    const rbac = (kind: string, name: string, rest: object) => entry({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name, namespace: id.namespace }, ...rest });
    const binding = (name: string) => rbac('RoleBinding', name, { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'sre' }] });
    const resources = [
      ...platformRoles.flatMap((role) => [rbac('Role', platformRoleName(id, role), { rules: platformRoleRules[role] }), binding(platformRoleName(id, role))]),
      binding('cache-eu-viewers'),
    ];
    const findings = policy.evaluate({ namespace: id.namespace, resources, cluster_resources: [] }, today).filter((v) => v.rule === 'iam.generator_roles_only');
    expect(findings.map((v) => v.message)).toEqual([
      'RoleBinding cache-eu-viewers binds Role cache-eu-viewers, which is not a platform role of the generator (<deployment>-<role>, role one of: administrator, editor, operator, viewer)',
    ]);
  });
});

describe('--allow-storage-class', () => {
  it('lets claims use a reviewed class that no manifest defines', async () => {
    const dir = distWith({
      'example/orders/persistentvolumeclaim-scratch.yaml': { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('scratch'), spec: { storageClassName: 'standard-encrypted', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    });
    const unknown = await gateCli(dir);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('uses StorageClass standard-encrypted, which is neither among the cluster-scoped manifests nor allowed');
    expect((await gateCli(dir, '--allow-storage-class', 'standard-encrypted')).code).toBe(0);
  });
});

describe('gate on malformed objects', () => {
  it('judges the later of two definitions of an object, as kubectl and Argo CD apply it, and reports the earlier', async () => {
    const report = await runGate([path.join(projectRoot, 'test/fixtures/malformed/duplicates.yaml')]);
    const found = report.violations.map((v) => `${v.rule} ${v.resource.kind}/${v.resource.name}`);
    expect(found).toEqual(expect.arrayContaining(['schema.duplicate_object StorageClass/sc', 'schema.duplicate_object Role/a-viewer', 'iam.generator_roles_only RoleBinding/b']));
    // The later StorageClass encrypts: the claim that uses it is fine. The later Role's rules are judged.
    expect(found).not.toContain('encryption.storage_class_encrypted PersistentVolumeClaim/c');
    expect(report.violations).toContainEqual(expect.objectContaining({ rule: 'iam.generator_roles_only', message: expect.stringContaining('whose rules differ') }));
  });

  it('reports fields of the wrong type instead of crashing in the policies', async () => {
    const report = await runGate([path.join(projectRoot, 'test/fixtures/malformed/wrong-types.yaml')], { today: '2026-06-01' });
    expect(report.summary.resources).toBe(9);
    expect(report.violations.filter((v) => v.rule === 'schema.invalid').length).toBeGreaterThan(10);
    // The policies still judge what they can read.
    expect(report.violations).toContainEqual(expect.objectContaining({ rule: 'waiver.invalid', resource: expect.objectContaining({ kind: 'StatefulSet', name: 'sts' }) }));
  });
});

describe('manifests written as public charts write them', () => {
  // test/fixtures/public-charts/redis-ha.yaml: modelled on the redis-ha chart, which runs redis in
  // plaintext. What the gate reports of it is real; what it once reported falsely (password
  // placeholders, a script line starting SENTINEL read as configuration, a sentinel's or an init
  // container's /data taken for redis data) it no longer does.
  it('reports what redis-ha really does, and none of the false alarms', async () => {
    const report = await runGate([path.join(projectRoot, 'test/fixtures/public-charts/redis-ha.yaml')], { today: '2026-06-01' });
    const found = new Set(report.violations.filter((v) => /^(tls|secrets|encryption)\./.test(v.rule)).map((v) => `${v.rule} ${v.message.replace(/ line \d+/, '').split(':')[0]}`));
    expect([...found].sort()).toEqual([
      'encryption.no_ephemeral_data_volume container redis of StatefulSet cache-redis-ha-server keeps its data (/data) on emptyDir volume data',
      'tls.haproxy_backend_tls ConfigMap cache-redis-ha-configmap key haproxy.cfg',
      'tls.haproxy_frontend_tls ConfigMap cache-redis-ha-configmap key haproxy.cfg',
      // Redis and sentinel run the copies the init container writes onto the emptyDir, to a path in
      // a variable the script sets once (followed), and edits with sed and echo: judged as the
      // containers run them, the edits reported as what the gate cannot read.
      'tls.redis_tls_only container redis of StatefulSet cache-redis-ha-server runs redis-server with ConfigMap cache-redis-ha-configmap key redis.conf',
      'tls.redis_tls_only container sentinel of StatefulSet cache-redis-ha-server runs redis-sentinel with ConfigMap cache-redis-ha-configmap key sentinel.conf',
    ]);
    const edits = report.violations.filter((v) => v.message.includes('writes into its copy of the configuration at run time'));
    expect(edits.map((v) => v.message.split(':')[0])).toEqual([
      'container redis of StatefulSet cache-redis-ha-server runs redis-server with ConfigMap cache-redis-ha-configmap key redis.conf',
      'container sentinel of StatefulSet cache-redis-ha-server runs redis-sentinel with ConfigMap cache-redis-ha-configmap key sentinel.conf',
    ]);
  });
});

describe('manifests written as Bitnami\'s chart writes them', () => {
  // test/fixtures/public-charts/bitnami-redis-sentinel.yaml: modelled on Bitnami's redis chart in
  // sentinel mode with TLS, whose start scripts build redis-server's options in an array, copy the
  // configuration templates and --include them, with the TLS port from the container's env.
  it('reads its TLS-only start as TLS only, and reports what it really does', async () => {
    const report = await runGate([path.join(projectRoot, 'test/fixtures/public-charts/bitnami-redis-sentinel.yaml')], { today: '2026-06-01' });
    const found = new Set(report.violations.filter((v) => /^(tls|secrets|encryption|schema)\./.test(v.rule)).map((v) => `${v.rule} ${v.message.split(':')[0]}`));
    expect([...found].sort()).toEqual([
      'encryption.storage_class_encrypted volumeClaimTemplate redis-data names no storageClassName',
      'secrets.no_password_in_env container redis of StatefulSet cache-redis-node passes `--masterauth` on the redis-server command line',
      'secrets.no_password_in_env container redis of StatefulSet cache-redis-node passes `--requirepass` on the redis-server command line',
      // master.conf is the template of the chart's non-sentinel primary: nothing here runs it, and
      // the gate cannot know that nothing elsewhere does (docs/POLICIES.md).
      'tls.redis_tls_only ConfigMap cache-redis-configuration key master.conf',
      'tls.service_plaintext_port Service cache-redis port 6379 targets port 6379 of StatefulSet cache-redis-node, where redis listens in plaintext',
      'tls.service_plaintext_port Service cache-redis-headless port 6379 targets port 6379 of StatefulSet cache-redis-node, where redis listens in plaintext',
    ]);
  });
});

describe('objects with no relation to Redis', () => {
  it('are left alone by the Redis-specific rules, and still checked by iam, secrets and security', async () => {
    const report = await runGate([path.join(projectRoot, 'test/fixtures/unrelated-app')]);
    const areas = new Set(report.violations.map((v) => v.rule.split('.')[0]));
    expect([...areas].filter((area) => area === 'tls' || area === 'availability' || area === 'encryption')).toEqual([]);
    expect(report.violations).toContainEqual(expect.objectContaining({ rule: 'secrets.no_password_in_env', resource: expect.objectContaining({ name: 'web-proxy' }) }));
    expect(report.violations).toContainEqual(expect.objectContaining({ rule: 'security.pod_hardened', resource: expect.objectContaining({ name: 'web' }) }));
  });
});

/**
 * Inputs that once passed the gate while kubectl applied something insecure from them: each is read
 * now as kubectl reads it (test/engine/manifest-reader.engine.test.ts compares the reader with
 * kubectl's own on these and thousands of generated files), or refused.
 */
describe('the gate sees what kubectl applies', () => {
  const hostFindings = async (files: Record<string, string>) => {
    const dir = tempDir();
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    const report = await runGate([dir]);
    return report.violations.filter((v) => v.rule === 'security.no_host_namespaces').map((v) => `${v.resource.kind}/${v.resource.name}: ${v.message}`);
  };
  const pod = (spec: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n${spec}  containers: [{name: c, image: 'x:1'}]\n`;

  it('YAML 1.1 booleans: yes and on are true', async () => {
    expect(await hostFindings({ 'p.yaml': pod('  hostNetwork: yes\n  hostPID: on\n') })).toHaveLength(2);
    expect(await hostFindings({ 'p.yaml': pod('  hostNetwork: "yes"\n') })).toEqual([]);
  });

  it('merge keys, and a merged key overriding one set before it', async () => {
    expect(await hostFindings({ 'p.yaml': pod('  hostNetwork: false\n  <<: {hostNetwork: true}\n') })).toHaveLength(1);
  });

  it('the later of two equal keys', async () => {
    expect(await hostFindings({ 'p.yaml': pod('  hostNetwork: false\n  hostNetwork: true\n') })).toHaveLength(1);
  });

  it('a <Kind>List (or any object with items), whose items take its kind', async () => {
    const list = 'apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata: {name: d, namespace: n}\n  spec:\n    selector: {matchLabels: {a: b}}\n    template:\n      metadata: {labels: {a: b}}\n      spec:\n        hostNetwork: true\n        containers: [{name: c, image: "x:1"}]\n';
    expect(await hostFindings({ 'l.yaml': list })).toEqual([expect.stringMatching(/^Deployment\/d: /)]);
    const configMapWithItems = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nitems:\n- ${pod('  hostNetwork: true\n').replaceAll('\n', '\n  ')}`;
    expect(await hostFindings({ 'c.yaml': configMapWithItems })).toEqual([expect.stringMatching(/^Pod\/p: /)]);
  });

  it('refuses `items: null` beside a spec: kubectl applies nothing, Argo CD the object (argocd-reader.engine.test.ts)', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'p.yaml'), `${pod('  hostNetwork: true\n')}items: ~\n`);
    const { code, stderr } = await gateCli(dir);
    expect(code).toBe(2);
    expect(stderr).toContain('has `items: null` beside a spec or status: kubectl applies nothing from it, Argo CD applies the object itself');
    // Without a spec or status both apply nothing, and so does the gate.
    writeFileSync(path.join(dir, 'p.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\nitems: ~\n');
    writeFileSync(path.join(dir, 'q.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d, namespace: n}\n');
    const report = await runGate([dir]);
    expect(report.summary.resources).toBe(1);
  });

  it('.json files, hidden files and folders, links to files', async () => {
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n' }, spec: { hostPID: true, containers: [{ name: 'c', image: 'x:1' }] } });
    expect(await hostFindings({ '.hidden/p.json': json })).toHaveLength(1);
    const dir = tempDir();
    writeFileSync(path.join(dir, 'target.txt'), pod('  hostIPC: true\n'));
    mkdirSync(path.join(dir, 'gated'));
    symlinkSync(path.join(dir, 'target.txt'), path.join(dir, 'gated', 'p.yaml'));
    const report = await runGate([path.join(dir, 'gated')]);
    expect(report.violations.map((v) => v.rule)).toContain('security.no_host_namespaces');
  });

  it('refuses a Unicode line break or a lone carriage return, which hide a key from YAML 1.2 readers but not from Kubernetes', async () => {
    for (const odd of ['\u2028', '\u2029', '\u0085', '\r']) {
      const dir = tempDir();
      writeFileSync(path.join(dir, 'p.yaml'), pod(`  # note${odd}  hostNetwork: true\n`));
      const { code, stderr } = await gateCli(dir);
      expect(code).toBe(2);
      expect(stderr).toContain(`${path.join(dir, 'p.yaml')}: line 5: a `);
    }
  });

  it('two definitions of one object: the later is judged, with its own waivers only (the earlier carried one)', async () => {
    const waived = `  annotations:\n    redis-gitops.dev/waivers: '[{"rules": ["security.no_host_namespaces"], "reason": "reviewed", "expires": "2026-07-01"}]'\n`;
    const waivedPod = (spec: string) => pod(spec).replace('metadata: {name: p, namespace: n}\n', `metadata:\n  name: p\n  namespace: n\n${waived}`);
    const findings = async (files: Record<string, string>, threads = 0) => {
      const dir = tempDir();
      for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
      const report = await runGate([dir], { today: '2026-06-01', threads });
      return report.violations
        .filter((v) => v.rule === 'security.no_host_namespaces' || v.rule === 'schema.duplicate_object')
        .map((v) => `${v.rule} ${path.basename(v.file)}${v.waiver ? ' waived' : ''}: ${v.message}`);
    };
    // In one file: the waiver on the first copy covers nothing of the second, which kubectl and Argo CD apply.
    const oneFile = await findings({ 'p.yaml': `${waivedPod('')}---\n${pod('  hostNetwork: true\n')}` });
    expect(oneFile).toEqual([
      'schema.duplicate_object p.yaml: Pod p (object 1 of this file) is defined again later, as object 2 of this file: kubectl and Argo CD apply the later definition, so the gate judges that one, and this one (its waivers included) applies to nothing',
      'security.no_host_namespaces p.yaml: Pod p sets hostNetwork',
    ]);
    // Across files, in kubectl's order (b.yaml after a.yaml); worker threads see the same.
    const twoFiles = { 'a.yaml': pod('  hostPID: true\n'), 'b.yaml': waivedPod('  hostNetwork: true\n') };
    const expected = [
      expect.stringMatching(/^schema\.duplicate_object a\.yaml: Pod p \(object 1 of this file\) is defined again later, as object 1 of \/.*\/b\.yaml: /),
      'security.no_host_namespaces b.yaml waived: Pod p sets hostNetwork',
    ];
    expect(await findings(twoFiles)).toEqual(expected);
    expect(await findings(twoFiles, 2)).toEqual(expected);
    // The other way round, the earlier (insecure) copy is reported as a duplicate, not judged.
    expect(await findings({ 'a.yaml': waivedPod('  hostNetwork: true\n'), 'b.yaml': pod('') })).toEqual([expect.stringMatching(/^schema\.duplicate_object a\.yaml: /)]);
  });

  it('refuses a .jsonnet file, which Argo CD evaluates and applies (kubectl ignores it) and the gate cannot read', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'c.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: n}\n');
    writeFileSync(path.join(dir, 'p.jsonnet'), "{apiVersion: 'v1', kind: 'Pod', metadata: {name: 'p', namespace: 'n'}, spec: {hostNetwork: true, containers: [{name: 'c', image: 'x:1'}]}}\n");
    const { code, stderr } = await gateCli(dir);
    expect(code).toBe(2);
    expect(stderr).toContain(`${path.join(dir, 'p.jsonnet')}: a Jsonnet file, which Argo CD evaluates`);
  });

  it('never passes on nothing: a folder without a manifest is bad input', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'p.yml.txt'), pod('  hostNetwork: true\n'));
    const { code, stderr } = await gateCli(dir);
    expect(code).toBe(2);
    expect(stderr).toContain('no Kubernetes objects to check');
  });
});
