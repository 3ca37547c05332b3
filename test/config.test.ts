import { describe, expect, it } from 'vitest';
import { InputErrors, loadInputs, type InputError } from '../src/config/load.js';
import { inputJsonSchemas } from '../src/config/json-schema.js';
import { deploymentAclUsers } from '../model/users.js';
import { projectRoot, tempRepo, writeInput } from './support/repo.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';

async function errorsOf(repo: string): Promise<InputError[]> {
  try {
    await loadInputs(repo);
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
    expect(sessions.spec.redis.version).toBe('7.2');
    expect(sessions.spec.portal).toEqual({ serviceType: 'ClusterIP', hostnames: [] });
    expect(sessions.cluster.spec.storage.storageClassName).toBe('redis-encrypted');
  });

  it('reports every mistake of every file together, each with file, field and line', async () => {
    const repo = tempRepo();
    writeInput(
      repo,
      'clusters/two.yaml',
      'region: eu\nzones: [a, b]\nstorage: {provider: ibm-vpc-block}\n' +
        'sealedSecrets: {certificate: clusters/example.sealing-cert.TEST-ONLY.pem}\nargocd: {repoURL: x}\n',
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
    expect(deployment.properties.redis.properties.version.enum).toEqual(['7.0', '7.2']);
  });
});
