import { describe, expect, it } from 'vitest';
import { InputErrors, loadInputs, type InputError } from '../src/config/load.js';
import { inputJsonSchemas } from '../src/config/json-schema.js';
import { deploymentAclUsers } from '../model/users.js';
import { DEFAULT_ENGINE, DEFAULT_VERSION, engineVersions } from '../model/engines.js';
import { projectRoot, tempRepo, writeInput } from './support/repo.js';
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generate } from 'selfsigned';
import { members, objectNames } from '../model/topology.js';
import { STATEFULSET_NAME_MAX } from '../model/kubernetes-names.js';
import { plan, synth } from '../src/synth/synth.js';
import { gitRefProblem } from '../src/config/schema.js';
import { spawnSync } from 'node:child_process';
import { isMap, isSeq, parseDocument } from 'yaml';
import { snapshotTree } from './support/repo.js';

async function errorsOf(repo: string, now?: Date): Promise<InputError[]> {
  try {
    await loadInputs(repo, { now });
  } catch (error) {
    if (error instanceof InputErrors) return error.errors;
    throw error;
  }
  throw new Error('expected the inputs to be rejected');
}

describe('loading inputs', () => {
  it('loads the bundled example cluster and deployments with defaults applied', async () => {
    const inputs = await loadInputs(projectRoot);
    expect(inputs.clusters.map((c) => c.name)).toEqual(['example']);
    expect(inputs.deployments.map((d) => d.name)).toEqual(['orders', 'sessions']);
    const sessions = inputs.deployments.find((d) => d.name === 'sessions')!;
    expect(sessions.namespace).toBe('redis-sessions');
    expect(sessions.spec.redis).toMatchObject({ engine: 'valkey', version: '8.1' });
    expect(sessions.spec.portal).toEqual({ serviceType: 'ClusterIP', hostnames: [] });
    expect(sessions.cluster.spec.storage.storageClassName).toBe('redis-encrypted');
  });

  it('reports every mistake of every file together, each with file, field and line', async () => {
    const repo = tempRepo();
    writeInput(
      repo,
      'clusters/two.yaml',
      'region: eu\nzones: [a, b]\nstorage: {provider: ibm-vpc-block}\n' +
        'sealedSecrets: {certificate: clusters/example.sealing-cert.TEST-ONLY.pem}\nargocd: {repoURL: "https://git.example.com/redis.git"}\n',
    );
    writeInput(
      repo,
      'deployments/bad.yaml',
      'cluster: example\ncolour: blue\nredis:\n  memory: lots\npersistence:\n  size: 10Gi\n',
    );
    const errors = await errorsOf(repo);
    expect(errors).toEqual([
      expect.objectContaining({ file: 'clusters/two.yaml', field: 'zones', line: 2, message: expect.stringMatching(/exactly three/) }),
      expect.objectContaining({ file: 'deployments/bad.yaml', field: 'colour', line: 2, message: expect.stringMatching(/unknown field/) }),
      expect.objectContaining({ file: 'deployments/bad.yaml', field: 'redis.memory', line: 4, message: expect.stringMatching(/quantity/) }),
    ]);
  });

  it('rejects a user subject, an unknown role and a duplicate grant, naming the entry', async () => {
    const repo = tempRepo();
    writeInput(
      repo,
      'deployments/grants.yaml',
      [
        'cluster: example',
        'redis: {memory: 1Gi}',
        'persistence: {size: 10Gi}',
        'access:',
        '  platform:',
        '    - {user: alice, role: Viewer}',
        '    - {group: ops, role: Boss}',
        '    - {group: dev, role: Editor}',
        '    - {group: dev, role: Editor}',
        '  service:',
        '    - {user: api, role: Writer}',
        '    - {user: api, role: Reader}',
      ].join('\n'),
    );
    const fields = (await errorsOf(repo)).map((e) => `${e.field}: ${e.message}`);
    expect(fields).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^access\.platform\[0\]\.user: unknown field/),
        expect.stringMatching(/^access\.platform\[1\]\.role: expected one of "Viewer"/),
        expect.stringMatching(/^access\.platform\[3\]: duplicate platform grant/),
        expect.stringMatching(/^access\.service\[1\]: duplicate service user/),
      ]),
    );
  });

  it('refuses every user name the service itself defines, exporter included (one list with the ACL renderer)', async () => {
    const repo = tempRepo();
    const reserved = ['default', ...deploymentAclUsers([]).map((u) => u.name)];
    expect(reserved).toContain('exporter');
    writeInput(
      repo,
      'deployments/names.yaml',
      ['cluster: example', 'redis: {memory: 1Gi}', 'persistence: {size: 10Gi}', 'access:', '  service:', ...reserved.map((user) => `    - {user: ${user}, role: Reader}`)].join('\n'),
    );
    const errors = (await errorsOf(repo)).map((e) => `${e.field}: ${e.message}`);
    expect(errors).toEqual(reserved.map((_, i) => expect.stringMatching(new RegExp(`^access\\.service\\[${i}\\]\\.user: reserved for the service itself`))));
  });

  it('names a cluster that does not exist, and a namespace used twice on one cluster', async () => {
    const repo = tempRepo();
    writeInput(repo, 'deployments/lost.yaml', 'cluster: nowhere\nredis: {memory: 1Gi}\npersistence: {size: 10Gi}\n');
    writeInput(repo, 'deployments/twin.yaml', 'cluster: example\nnamespace: redis-orders\nredis: {memory: 1Gi}\npersistence: {size: 10Gi}\n');
    const errors = await errorsOf(repo);
    expect(errors).toEqual([
      expect.objectContaining({ file: 'deployments/lost.yaml', field: 'cluster', message: expect.stringMatching(/no cluster file clusters\/nowhere.yaml \(known clusters: example\)/) }),
      expect.objectContaining({ file: 'deployments/twin.yaml', field: 'namespace', message: expect.stringMatching(/already used by deployments\/orders.yaml/) }),
    ]);
  });

  it('reports invalid YAML with its line instead of a stack trace', async () => {
    const repo = tempRepo();
    writeInput(repo, 'deployments/broken.yaml', 'cluster: example\nredis: [unclosed\n');
    const [error] = await errorsOf(repo);
    expect(error).toMatchObject({ file: 'deployments/broken.yaml', message: expect.stringMatching(/^invalid YAML/) });
    expect(error!.line).toBeGreaterThan(0);
  });

  it('publishes the same schema as JSON Schema files for editors, kept current in schemas/', () => {
    for (const [name, content] of Object.entries(inputJsonSchemas())) {
      expect(readFileSync(path.join(projectRoot, 'schemas', name), 'utf8'), `schemas/${name} is stale: run npm run schemas`).toBe(content);
    }
    const deployment = JSON.parse(inputJsonSchemas()['deployment.schema.json']!);
    expect(deployment.additionalProperties).toBe(false);
    expect(deployment.required).toEqual(['cluster', 'redis', 'persistence']);
    expect(deployment.properties.redis.properties.version.enum).toEqual([...new Set(engineVersions.map((v) => v.line))].sort());
    expect(deployment.properties.redis.properties.engine.enum).toEqual(['redis', 'valkey']);
  });

  it('resolves engine and version: the defaults, a version without an engine (redis), and the lines of each engine', async () => {
    const repo = tempRepo();
    const file = (redis: string) => `cluster: example\nredis: {memory: 1Gi${redis}}\npersistence: {size: 10Gi}\n`;
    writeInput(repo, 'deployments/plain.yaml', file(''));
    writeInput(repo, 'deployments/old.yaml', file(', version: "7.2"'));
    writeInput(repo, 'deployments/vk.yaml', file(', engine: valkey'));
    writeInput(repo, 'deployments/rd.yaml', file(', engine: redis'));
    const byName = Object.fromEntries((await loadInputs(repo)).deployments.map((d) => [d.name, d.spec.redis]));
    expect(byName.plain).toMatchObject({ engine: DEFAULT_ENGINE, version: DEFAULT_VERSION[DEFAULT_ENGINE] });
    expect(byName.old).toMatchObject({ engine: 'redis', version: '7.2' });
    expect(byName.vk).toMatchObject({ engine: 'valkey', version: DEFAULT_VERSION.valkey });
    expect(byName.rd).toMatchObject({ engine: 'redis', version: DEFAULT_VERSION.redis });
  });

  it('refuses Redis 7.0 with its upgrade path, a line of the other engine, and an unquoted version', async () => {
    const repo = tempRepo();
    const file = (redis: string) => `cluster: example\nredis: {memory: 1Gi${redis}}\npersistence: {size: 10Gi}\n`;
    writeInput(repo, 'deployments/seven.yaml', file(', version: "7.0"'));
    writeInput(repo, 'deployments/cross.yaml', file(', engine: valkey, version: "8.6"'));
    writeInput(repo, 'deployments/number.yaml', file(', engine: valkey, version: 8.1'));
    const errors = await errorsOf(repo);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file: 'deployments/seven.yaml', field: 'redis.version', message: expect.stringMatching(/7\.0 is no longer offered: .*end of life.*Upgrade path: .*"7\.2"/) }),
        expect.objectContaining({ file: 'deployments/cross.yaml', field: 'redis.version', message: expect.stringMatching(/expected valkey "8\.1", "9\.1" \(redis\.engine is valkey\)/) }),
        expect.objectContaining({ file: 'deployments/number.yaml', field: 'redis.version', message: expect.stringMatching(/expected a string, in quotes/) }),
      ]),
    );
    expect(errors).toHaveLength(3);
  });
});

const deployment = (more = '') => `cluster: example\nredis: {memory: 1Gi}\npersistence: {size: 10Gi}\n${more}`;
const exampleCluster = () => readFileSync(path.join(projectRoot, 'clusters/example.yaml'), 'utf8');
/** `file: field: message` of each error, to compare whole. */
const said = async (repo: string, now?: Date) => (await errorsOf(repo, now)).map((e) => `${e.file}: ${e.field}: ${e.message}`);

describe('refused at input time, naming the file and the field', () => {
  it('argocd.targetRevision: what git refuses as a ref name, held against git check-ref-format itself', async () => {
    const written = ['main', 'release/2026-12', 'v1.2.3', 'HEAD', '3f2a9c1', 'refs/heads/main', 'feature/a.b', 'x@y', 'café', 'main branch', 'a..b', 'a/.b', 'a.lock', 'a/b.lock/c', '/a', 'a/', 'a//b', 'a.', '@', 'a@{1}', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[b', 'a\\b', 'tab\there', 'del\x7f', '.hidden', '-dash', 'a/-b', '@b', 'a.lock/b', 'a..', '.', '..'];
    // Generated: strings of the characters git's rules name, in every place.
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pieces = ['a', 'b', '/', '.', '..', 'lock', '@', '{', '}', '~', '^', ':', ' ', '-', '\\', '[', '*', '?', '\x01', 'é'];
    const generated = Array.from({ length: 400 }, () => Array.from({ length: 1 + Math.floor(random() * 6) }, () => pieces[Math.floor(random() * pieces.length)]).join(''));
    const disagreements: string[] = [];
    for (const ref of new Set([...written, ...generated])) {
      const git = spawnSync('git', ['check-ref-format', '--allow-onelevel', ref]).status === 0;
      if (git !== (gitRefProblem(ref) === undefined)) disagreements.push(`${JSON.stringify(ref)}: git ${git ? 'takes' : 'refuses'} it`);
    }
    expect(disagreements).toEqual([]);
    const repo = tempRepo();
    const cluster = readFileSync(path.join(repo, 'clusters/example.yaml'), 'utf8');
    writeInput(repo, 'clusters/example.yaml', cluster.replace('targetRevision: main', 'targetRevision: "release 1"'));
    expect(await said(repo)).toEqual([
      'clusters/example.yaml: argocd.targetRevision: expected a branch, tag or commit git can name: "release 1" has a space, a control character or one of ~ ^ : ? * [ \\, which git refuses in a ref name',
    ]);
  });

  it('one deployment in two files (x.yaml and x.yml): both named, neither loaded', async () => {
    const repo = tempRepo();
    writeInput(repo, 'deployments/billing.yaml', deployment());
    writeInput(repo, 'deployments/billing.yml', deployment());
    expect(await said(repo)).toEqual([
      'deployments/billing.yaml: : billing is also declared by deployments/billing.yml: the file name is the name, keep one file',
      'deployments/billing.yml: : billing is also declared by deployments/billing.yaml: the file name is the name, keep one file',
    ]);
  });

  it('a deployment file moved into a subfolder: refused, and synth keeps its state and dist/', async () => {
    const repo = tempRepo();
    const out = path.join(repo, 'dist');
    await synth(repo, out);
    const before = { dist: snapshotTree(out), state: snapshotTree(path.join(repo, 'state')) };
    mkdirSync(path.join(repo, 'deployments/team-a'));
    renameSync(path.join(repo, 'deployments/sessions.yaml'), path.join(repo, 'deployments/team-a/sessions.yaml'));
    expect(await said(repo)).toEqual([
      'deployments/team-a/: : a folder holding deployments/team-a/sessions.yaml: only files directly in deployments/ are read (the file name is the deployment\'s name); move them to deployments/ or out of it',
    ]);
    await expect(synth(repo, out)).rejects.toThrow(InputErrors);
    expect({ dist: snapshotTree(out), state: snapshotTree(path.join(repo, 'state')) }).toEqual(before);
  });

  it('a deployment file turned into a folder (empty, or none but a non-YAML file): refused, and synth keeps its state and dist/', async () => {
    const repo = tempRepo();
    const out = path.join(repo, 'dist');
    await synth(repo, out);
    const before = { dist: snapshotTree(out), state: snapshotTree(path.join(repo, 'state')) };
    rmSync(path.join(repo, 'deployments/sessions.yaml'));
    mkdirSync(path.join(repo, 'deployments/sessions.yaml'));
    mkdirSync(path.join(repo, 'clusters/other.yml'));
    writeFileSync(path.join(repo, 'clusters/other.yml/notes.txt'), 'x');
    expect(await said(repo)).toEqual([
      'clusters/other.yml: : a folder, not a file: clusters/ holds one file per cluster',
      'deployments/sessions.yaml: : a folder, not a file: deployments/ holds one file per deployment',
    ]);
    await expect(synth(repo, out)).rejects.toThrow(InputErrors);
    expect({ dist: snapshotTree(out), state: snapshotTree(path.join(repo, 'state')) }).toEqual(before);
  });

  it('a symbolic link to a folder or to nothing: named, no stack trace', async () => {
    const repo = tempRepo();
    mkdirSync(path.join(repo, 'elsewhere'));
    writeFileSync(path.join(repo, 'elsewhere/carts.yaml'), deployment());
    symlinkSync(path.join(repo, 'elsewhere'), path.join(repo, 'deployments/linked.yaml'));
    symlinkSync(path.join(repo, 'nothing.yaml'), path.join(repo, 'deployments/dangling.yaml'));
    expect(await said(repo)).toEqual([
      'deployments/dangling.yaml: : a symbolic link to nothing (its target does not exist)',
      'deployments/linked.yaml/: : a symbolic link to a folder holding deployments/linked.yaml/carts.yaml: only files directly in deployments/ are read (the file name is the deployment\'s name); move them to deployments/ or out of it',
    ]);
  });

  it("the cluster's own namespaces: default, kube-*, and the ones the cluster file gives Argo CD, Sealed Secrets and Prometheus", async () => {
    const repo = tempRepo();
    const namespaces = ['default', 'kube-system', 'kube-anything', 'argocd', 'monitoring'];
    namespaces.forEach((ns, i) => writeInput(repo, `deployments/n${i}.yaml`, deployment(`namespace: ${ns}\n`)));
    writeInput(repo, 'clusters/example.yaml', exampleCluster().replace(/sealedSecrets:\n/, 'sealedSecrets:\n  controllerNamespace: sealed-secrets\n'));
    writeInput(repo, 'deployments/n5.yaml', deployment('namespace: sealed-secrets\n'));
    const own = "choose the deployment's own";
    const rules = 'a deployment namespace gets a restricted pod-security label and a deny-all NetworkPolicy';
    expect(await said(repo)).toEqual([
      `deployments/n0.yaml: namespace: a namespace of the cluster itself (default, kube-*): ${own}`,
      `deployments/n1.yaml: namespace: a namespace of the cluster itself (default, kube-*): ${own}`,
      `deployments/n2.yaml: namespace: a namespace of the cluster itself (default, kube-*): ${own}`,
      `deployments/n3.yaml: namespace: namespace argocd is the cluster's own (clusters/example.yaml argocd.namespace: Argo CD runs there), and ${rules}: ${own}`,
      `deployments/n4.yaml: namespace: namespace monitoring is the cluster's own (clusters/example.yaml monitoring.namespace: Prometheus runs there), and ${rules}: ${own}`,
      `deployments/n5.yaml: namespace: namespace sealed-secrets is the cluster's own (clusters/example.yaml sealedSecrets.controllerNamespace: the Sealed Secrets controller runs there), and ${rules}: ${own}`,
    ]);
  });

  it("a name whose objects' names would pass Kubernetes' limits (a StatefulSet's 52), worked out from the model's names", async () => {
    const repo = tempRepo();
    // The longest member StatefulSet name the model makes, at the limit and one over.
    const suffix = Math.max(...members.map((m) => objectNames('').member(m.name).length));
    const fits = 'a'.repeat(STATEFULSET_NAME_MAX - suffix);
    const longer = `${fits}b`;
    writeInput(repo, `deployments/${fits}.yaml`, deployment());
    writeInput(repo, `deployments/${longer}.yaml`, deployment('namespace: long-one\n'));
    expect(fits.length).toBe(41);
    expect(await said(repo)).toEqual([
      `deployments/${longer}.yaml: : the file name is the deployment's name, and makes the StatefulSet name ${longer}-tiebreaker (53 characters): ` +
        'Kubernetes allows at most 52 (its pods are labelled controller-revision-hash: <name>-<hash>, a label value of at most 63 characters); use a file name of at most 41 characters',
    ]);
  });

  it('load balancer options: address ranges in CIDR notation, and only on a LoadBalancer Service', async () => {
    const repo = tempRepo();
    writeInput(repo, 'deployments/lb-a.yaml', deployment('portal: {loadBalancer: {internal: true}}\n'));
    writeInput(repo, 'deployments/lb-b.yaml', deployment('portal: {serviceType: LoadBalancer, loadBalancer: {sourceRanges: [10.0.0.0/8, 10.0.0.0/33, 10.0.0/8, "2001:db8::/129", any]}}\n'));
    writeInput(repo, 'deployments/lb-c.yaml', deployment('portal: {serviceType: LoadBalancer, loadBalancer: {internal: true, sourceRanges: [192.168.0.0/16, "fd00::/8"]}}\n'));
    const range = 'expected an address range in CIDR notation, such as 10.0.0.0/8 or 2001:db8::/32';
    expect(await said(repo)).toEqual([
      'deployments/lb-a.yaml: portal.loadBalancer: load balancer options need serviceType: LoadBalancer (the Service is a ClusterIP one)',
      `deployments/lb-b.yaml: portal.loadBalancer.sourceRanges[1]: ${range}`,
      `deployments/lb-b.yaml: portal.loadBalancer.sourceRanges[2]: ${range}`,
      `deployments/lb-b.yaml: portal.loadBalancer.sourceRanges[3]: ${range}`,
      `deployments/lb-b.yaml: portal.loadBalancer.sourceRanges[4]: ${range}`,
    ]);
  });

  it('portal hostnames: DNS labels of at most 63 characters, and each name once (a duplicate would change the certificate, and its CA, for nothing)', async () => {
    const repo = tempRepo();
    const label63 = 'a'.repeat(63);
    writeInput(repo, 'deployments/names.yaml', deployment(`portal: {hostnames: [${label63}.example.com, a${label63}.example.com, "*.example.com", ${label63}.example.com]}\n`));
    expect(await said(repo)).toEqual([
      'deployments/names.yaml: portal.hostnames[1]: expected a fully qualified DNS name such as redis.example.com (lower case, each label at most 63 characters)',
      'deployments/names.yaml: portal.hostnames[3]: duplicate hostname (same as entry 0)',
    ]);
  });

  it("a deployment named like the cluster's own Argo CD Application (cluster-scoped)", async () => {
    const repo = tempRepo();
    writeInput(repo, 'deployments/cluster-scoped.yaml', deployment());
    expect(await said(repo)).toEqual([
      "deployments/cluster-scoped.yaml: : the deployment's Argo CD Application would be redis-example-cluster-scoped, the name of the Application of the cluster's own cluster-scoped objects: choose another file name",
    ]);
  });

  it('a repoURL that is a pattern or no git URL; the URLs Argo CD takes pass', async () => {
    const repo = tempRepo();
    const cluster = (url: string) => exampleCluster().replace(/repoURL: .*/, `repoURL: ${JSON.stringify(url)}`);
    const bad = ['*', 'https://git.example.com/*', 'https://git.example.com/team/[ab].git', 'not a url', 'https://exa mple.com/x.git'];
    // A token in the URL would be written into dist/'s Argo CD objects, in git, in the clear.
    const secret = ['https://oauth2:glpat-token@git.example.com/x.git', 'https://ghp_token@github.com/x.git', 'ssh://git:pass@git.example.com/x.git'];
    [...bad, ...secret].forEach((url, i) => writeInput(repo, `clusters/c${i}.yaml`, cluster(url)));
    const errors = await said(repo);
    const credentials = "argocd.repoURL: credentials in the repository URL would reach git in the clear (dist/'s Argo CD objects): give Argo CD the repository's credentials in its own repository Secret";
    expect(errors).toEqual([
      "clusters/c0.yaml: argocd.repoURL: expected one repository URL, not a pattern (Argo CD reads * ? [ ] as wildcards in the AppProject's sourceRepos)",
      "clusters/c1.yaml: argocd.repoURL: expected one repository URL, not a pattern (Argo CD reads * ? [ ] as wildcards in the AppProject's sourceRepos)",
      "clusters/c2.yaml: argocd.repoURL: expected one repository URL, not a pattern (Argo CD reads * ? [ ] as wildcards in the AppProject's sourceRepos)",
      'clusters/c3.yaml: argocd.repoURL: expected a git repository URL: https://host/path.git, ssh://git@host/path.git, git@host:path.git or file:///path',
      'clusters/c4.yaml: argocd.repoURL: expected a git repository URL: https://host/path.git, ssh://git@host/path.git, git@host:path.git or file:///path',
      `clusters/c5.yaml: ${credentials}`,
      `clusters/c6.yaml: ${credentials}`,
      `clusters/c7.yaml: ${credentials}`,
    ]);
    const good = tempRepo();
    ['https://git.example.com/platform/redis.git', 'ssh://git@git.example.com/platform/redis.git', 'git@github.com:platform/redis.git', 'file:///srv/git/redis'].forEach((url, i) =>
      writeInput(good, `clusters/c${i}.yaml`, cluster(url)),
    );
    await expect(loadInputs(good)).resolves.toBeDefined();
  });

  it("a sealing certificate outside the repository (a CI checkout has none); a cluster file's errors are not blamed on its deployments; bounds in words", async () => {
    const repo = tempRepo();
    writeInput(repo, 'clusters/outside.yaml', exampleCluster().replace(/certificate: .*/, 'certificate: clusters/../../sealing-cert.pem'));
    writeInput(repo, 'clusters/broken.yaml', exampleCluster().replace(/targetRevision: .*/, 'targetRevision: ""'));
    writeInput(repo, 'deployments/on-broken.yaml', 'cluster: broken\nredis: {memory: 1Gi}\npersistence: {size: 10Gi}\nbackup: {retention: 99999999999999999999, target: {endpoint: "https://s3.example.com", bucket: backups}}\n');
    expect(await said(repo)).toEqual([
      'clusters/broken.yaml: argocd.targetRevision: must not be empty',
      'clusters/outside.yaml: sealedSecrets.certificate: clusters/../../sealing-cert.pem is outside the repository (expected a path relative to the repository root, inside it)',
      // The field's own bound, not also zod's safe-integer one; no "no cluster file clusters/broken.yaml".
      'deployments/on-broken.yaml: backup.credentials: required field is missing (expected a mapping)',
      'deployments/on-broken.yaml: backup.retention: expected at most 1000',
    ]);
  });

  it('a sealing certificate that is expired, not yet valid, too small (RSA 1024 and 512), not RSA or not a certificate', async () => {
    const repo = tempRepo();
    const certs: [string, string][] = [
      ['expired', (await generate([{ name: 'commonName', value: 'old' }], { notBeforeDate: new Date('2020-01-01'), notAfterDate: new Date('2021-01-01') })).cert],
      ['future', (await generate([{ name: 'commonName', value: 'future' }], { notBeforeDate: new Date('2090-01-01'), notAfterDate: new Date('2091-01-01') })).cert],
      ['rsa1024', (await generate([{ name: 'commonName', value: 'small' }], { keySize: 1024 })).cert],
      ['rsa512', (await generate([{ name: 'commonName', value: 'tiny' }], { keySize: 512 })).cert],
      ['ec', (await generate([{ name: 'commonName', value: 'ec' }], { keyType: 'ec' })).cert],
      ['garbage', 'not a certificate\n'],
    ];
    for (const [name, pem] of certs) {
      writeInput(repo, `clusters/${name}.pem`, pem);
      writeInput(repo, `clusters/${name}.yaml`, exampleCluster().replace(/certificate: .*/, `certificate: clusters/${name}.pem`));
    }
    const errors = await said(repo);
    const fetch = 'fetch the current one with kubeseal --fetch-cert';
    expect(errors).toEqual([
      expect.stringMatching(/^clusters\/ec\.yaml: sealedSecrets\.certificate: clusters\/ec\.pem: the certificate holds a ec key; a sealing certificate holds an RSA key/),
      `clusters/expired.yaml: sealedSecrets.certificate: clusters/expired.pem: the certificate expired on 2021-01-01T00:00:00.000Z (kubeseal refuses it too): ${fetch}`,
      `clusters/future.yaml: sealedSecrets.certificate: clusters/future.pem: the certificate is not valid before 2090-01-01T00:00:00.000Z (check the clock, or ${fetch})`,
      expect.stringMatching(/^clusters\/garbage\.yaml: sealedSecrets\.certificate: clusters\/garbage\.pem: not a PEM certificate/),
      `clusters/rsa1024.yaml: sealedSecrets.certificate: clusters/rsa1024.pem: the certificate's RSA key has 1024 bits; expected at least 2048 (the controller makes 4096-bit keys): ${fetch}`,
      `clusters/rsa512.yaml: sealedSecrets.certificate: clusters/rsa512.pem: the certificate's RSA key has 512 bits; expected at least 2048 (the controller makes 4096-bit keys): ${fetch}`,
    ]);
    // The example's own certificate, once past its date.
    expect(await said(tempRepo(), new Date('2200-01-01'))).toEqual([expect.stringMatching(/^clusters\/example\.yaml: sealedSecrets\.certificate: .*: the certificate expired on 2126-/)]);
  });

  it("placeholders of the documentation, and a customer key not in its provider's format", async () => {
    const repo = tempRepo();
    writeInput(repo, 'clusters/a.yaml', exampleCluster().replace(/storage:\n/, 'storage:\n  customerKey: crn:v1:...\n'));
    writeInput(repo, 'deployments/b.yaml', deployment('access:\n  platform:\n    - {group: <group>, role: Viewer}\n'));
    writeInput(repo, 'clusters/c.yaml', exampleCluster().replace(/provider: .*/, 'provider: aws-ebs\n  customerKey: arn:aws:kms:us-east-1:123456789012:key/01234567-89ab-cdef-0123-456789abcdef'));
    writeInput(repo, 'clusters/d.yaml', exampleCluster().replace(/provider: .*/, 'provider: aws-ebs\n  customerKey: alias/redis'));
    expect(await said(repo)).toEqual([
      expect.stringMatching(/^clusters\/a\.yaml: storage\.customerKey: expected the CRN of a Key Protect or Hyper Protect Crypto Services root key, such as crn:v1:bluemix:public:kms:/),
      expect.stringMatching(/^clusters\/d\.yaml: storage\.customerKey: expected the ARN of a KMS key \(kmsKeyId takes a full ARN\), such as arn:aws:kms:/),
      'deployments/b.yaml: access.platform[0].group: "<group>" looks like a placeholder of the documentation (... or <...>): put the real value',
    ]);
  });

  it('control characters (a line break in a zone would reach the generated README.md), invalid UTF-8, an alias bomb', async () => {
    const repo = tempRepo();
    writeInput(repo, 'clusters/zones.yaml', exampleCluster().replace(/zones: .*/, 'zones: ["us-south-1\\n## injected", us-south-2, us-south-3]'));
    writeInput(repo, 'deployments/grant.yaml', deployment('access:\n  platform:\n    - {group: "ops\\nteam", role: Viewer}\n'));
    const latin = deployment('access:\n  platform:\n    - {group: caf');
    writeFileSync(path.join(repo, 'deployments/latin.yaml'), Buffer.concat([Buffer.from(latin), Buffer.from([0xe9]), Buffer.from(', role: Viewer}\n')]));
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)];
    writeInput(repo, 'deployments/bomb.yaml', `${bomb.join('\n')}\n`);
    const errors = await errorsOf(repo);
    expect(errors.map((e) => `${e.file}:${e.line ?? ''}: ${e.field}: ${e.message}`)).toEqual([
      expect.stringMatching(/^clusters\/zones\.yaml:\d+: zones\[0\]: expected a zone name as Kubernetes labels nodes with it/),
      expect.stringMatching(/^deployments\/bomb\.yaml:: : invalid YAML: Excessive alias count/),
      'deployments/grant.yaml:6: access.platform[0].group: contains a control character (U+000A, a line break); values are single lines of text',
      `deployments/latin.yaml:6: : not valid UTF-8 (byte 0xe9 at offset ${latin.length}): save the file as UTF-8`,
    ]);
  });

  it('an unquoted version says to quote it; a truncated state file is bad input naming it', async () => {
    const repo = tempRepo();
    writeInput(repo, 'deployments/orders.yaml', readFileSync(path.join(repo, 'deployments/orders.yaml'), 'utf8').replace(/version: .*/, 'version: 7.2'));
    expect(await said(repo)).toEqual(['deployments/orders.yaml: redis.version: expected a string, in quotes: unquoted, YAML reads 7.2 as a number']);
    const state = tempRepo();
    writeFileSync(path.join(state, 'state/example/orders.json'), readFileSync(path.join(state, 'state/example/orders.json'), 'utf8').slice(0, 100));
    const error = await synth(state, path.join(state, 'dist')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputErrors);
    expect((error as InputErrors).errors).toEqual([
      expect.objectContaining({ file: 'state/example/orders.json', message: expect.stringMatching(/^not a secrets state file \(invalid JSON: .*\): restore it from git \(git checkout -- state\/example\/orders.json\)$/) }),
    ]);
    rmSync(state, { recursive: true, force: true });
  });

  it('a state file edited by hand or merged badly: each part synth would hand on as it is, checked, naming the file and the field', async () => {
    const repo = tempRepo();
    const file = path.join(repo, 'state/example/orders.json');
    const good = readFileSync(file, 'utf8');
    const refusal = async (edit: (state: any) => void) => {
      const state = JSON.parse(good);
      edit(state);
      writeFileSync(file, JSON.stringify(state, null, 2));
      const error = await synth(repo, path.join(repo, 'dist')).catch((e: unknown) => e);
      return error instanceof InputErrors ? error.errors.map((e) => `${e.file}: ${e.message}`) : error;
    };
    const line = (what: string) => [expect.stringMatching(new RegExp(`^state/example/orders\\.json: not a secrets state file \\(${what}.*\\): restore it from git`))];
    const before = snapshotTree(repo);
    // Each of these was rendered as it was (applications handed a broken CA, SealedSecrets the controller cannot open) or crashed the render.
    expect(await refusal((s) => (s.tls.ca.certificate = s.tls.ca.certificate.replace(/^(.{40})./ms, '$1!')))).toEqual(line('tls\\.ca\\.certificate: not a PEM certificate'));
    expect(await refusal((s) => (s.tls.server.certificate = s.tls.ca.certificate))).toEqual(line('tls\\.server\\.fingerprint: not the SHA-256 of the certificate'));
    expect(await refusal((s) => (s.tls.server.notAfter = '2099-01-01T00:00:00.000Z'))).toEqual(line("tls\\.server\\.notAfter: not the certificate's expiry"));
    expect(await refusal((s) => (s.users.admin.passwordSha256 = 'yes'))).toEqual(line('users\\.admin\\.passwordSha256: expected 64 lowercase hex digits'));
    expect(await refusal((s) => (s.acl.sealed = s.acl.sealed.slice(0, 100)))).toEqual(line('acl\\.sealed: not a sealed value'));
    expect(await refusal((s) => delete s.tls.sealed['tls.key'])).toEqual(line('tls\\.sealed\\.tls\\.key: '));
    // Nothing written: the repository is as it was but for the last edit.
    writeFileSync(file, good);
    expect(snapshotTree(repo)).toEqual(before);
  });

  it('a namespace clash blames the file that introduced it (not in the previous output), not the older one', async () => {
    const repo = tempRepo();
    await synth(repo, path.join(repo, 'dist'));
    // aaa sorts before orders: by file order alone, orders.yaml would be blamed.
    writeInput(repo, 'deployments/aaa.yaml', deployment('namespace: redis-orders\n'));
    const error = await synth(repo, path.join(repo, 'dist')).catch((e: unknown) => e);
    expect((error as InputErrors).errors.map((e) => `${e.file}: ${e.field}: ${e.message}`)).toEqual(['deployments/aaa.yaml: namespace: namespace redis-orders on cluster example is already used by deployments/orders.yaml']);
    // Without a previous output, the later file in name order is the one named.
    expect(await said(repo)).toEqual(['deployments/orders.yaml: namespace: namespace redis-orders on cluster example is already used by deployments/aaa.yaml']);
  });
});

describe('any value in any field: bad input or a plan, never a crash', () => {
  // Found by putting such values into every field: a list field holding a number crashed the
  // duplicate check, and `version: ""` passed validation and crashed the render.
  it('says what the file holds where another type is expected, and checks an empty version as written', async () => {
    const repo = tempRepo();
    writeInput(repo, 'deployments/types.yaml', 'cluster: example\nredis: {memory: [1Gi]}\npersistence: {size: }\naccess: {platform: 3, service: {user: a}}\n');
    writeInput(repo, 'deployments/unversioned.yaml', 'cluster: example\nredis: {memory: 1Gi, version: ""}\npersistence: {size: 1Gi}\n');
    expect(await said(repo)).toEqual([
      'deployments/types.yaml: redis.memory: expected a string, found a list',
      'deployments/types.yaml: persistence.size: expected a string, found an empty value (null)',
      'deployments/types.yaml: access.platform: expected a list, found the number 3',
      'deployments/types.yaml: access.service: expected a list, found a mapping',
      expect.stringMatching(/^deployments\/unversioned\.yaml: redis\.version: expected redis "7\.2", .*"8\.6"/),
    ]);
  });

  it('quantities whose bytes are exact: past 2^53 (8191Ti) maxmemory came out as 76965813174661020000, which redis refuses', async () => {
    const repo = tempRepo();
    writeInput(repo, 'deployments/huge.yaml', 'cluster: example\nredis: {memory: 99999999Ti}\npersistence: {size: 8192Ti}\n');
    writeInput(repo, 'deployments/largest.yaml', 'cluster: example\nredis: {memory: 8191Ti}\npersistence: {size: 8191Ti}\n');
    expect(await said(repo)).toEqual(['deployments/huge.yaml: redis.memory: expected at most 8191Ti', 'deployments/huge.yaml: persistence.size: expected at most 8191Ti']);
  });

  // Each field of the example's richest files, deleted or given each of these values, through the
  // whole plan (load, secrets, render): InputErrors naming a file and a field, or a plan.
  const values: unknown[] = [null, '', [], {}, { a: 1 }, ['a'], -1, 0.5, 2 ** 53 + 1, true, 'yes', 'x'.repeat(300), '1Gi', 'caf\u00e9'];
  it.each(['deployments/orders.yaml', 'clusters/example.yaml'])('%s', async (file) => {
    const repo = tempRepo();
    await synth(repo, path.join(repo, 'dist'));
    const original = readFileSync(path.join(repo, file), 'utf8');
    const fields: (string | number)[][] = [];
    const walk = (node: unknown, at: (string | number)[]) => {
      if (isMap(node)) for (const item of node.items) walk(item.value, at.concat(String((item.key as { value: unknown }).value)));
      else if (isSeq(node)) node.items.forEach((item, i) => walk(item, at.concat(i)));
      if (at.length) fields.push(at);
    };
    walk(parseDocument(original).contents, []);
    const crashes: string[] = [];
    let refused = 0;
    for (const field of fields) {
      for (const value of ['(deleted)', ...values]) {
        const doc = parseDocument(original);
        if (value === '(deleted)') doc.deleteIn(field);
        else doc.setIn(field, value);
        writeFileSync(path.join(repo, file), doc.toString());
        try {
          await plan(repo, path.join(repo, 'dist'));
        } catch (error) {
          const unnamed = error instanceof InputErrors ? error.errors.filter((e) => !e.file || !e.message) : [];
          if (!(error instanceof InputErrors) || unnamed.length) crashes.push(`${field.join('.')} = ${JSON.stringify(value)}: ${String(error)}`);
          else refused++;
        }
      }
    }
    expect(crashes).toEqual([]);
    // Most of these values are wrong where they are put: the check is not vacuous.
    expect(refused).toBeGreaterThan(fields.length * values.length * 0.6);
  });
});
