import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { renderAclFile } from '../charts/config/acl.js';
import { platformRoleRules } from '../model/platform-roles.js';
import { ADMIN_USER, serviceRoleRules, systemUserRules } from '../model/users.js';
import { InputErrors, loadInputs } from '../src/config/load.js';
import { sha256Hex } from '../src/secrets/passwords.js';
import { missingPrograms } from './support/programs.js';
import { projectRoot, tempDir, tempRepo, writeInput } from './support/repo.js';
import { find, renderManifests, type Manifest } from './support/render.js';

const run = promisify(execFile);

describe('platform roles as RBAC', () => {
  it('creates the four Roles in the namespace and binds only the granted groups', async () => {
    const manifests = await renderManifests();
    for (const role of ['viewer', 'operator', 'editor', 'administrator']) {
      expect(find(manifests, 'Role', `orders-${role}`).metadata.namespace).toBe('redis-orders');
    }
    const bindings = [...manifests.values()].filter((m) => m.kind === 'RoleBinding' && m.metadata.namespace === 'redis-orders');
    expect(bindings.map((b) => ({ name: b.metadata.name, roleRef: b.roleRef, subjects: b.subjects }))).toEqual([
      {
        name: 'orders-administrator',
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'orders-administrator' },
        subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'platform-admins' }],
      },
      {
        name: 'orders-operator',
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'orders-operator' },
        subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'orders-sre' }],
      },
    ]);
    expect([...manifests.values()].filter((m) => /^Cluster(Role|RoleBinding)$/.test(m.kind))).toEqual([]);
  });

  it('binds a service account of the namespace when the grant names one', async () => {
    const inputs = await loadInputs(projectRoot);
    inputs.deployments[0]!.spec.access.platform = [{ serviceAccount: 'backup', role: 'Viewer' }];
    const binding = find(await renderManifests(inputs), 'RoleBinding', 'orders-viewer');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'backup', namespace: 'redis-orders' }]);
  });

  const allows = (rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[], resource: string, verb: string) =>
    rules.some((r) => r.resources.includes(resource) && r.verbs.includes(verb));

  it('never lets Viewer, Operator or Editor read Secrets or exec into a member', async () => {
    const manifests = await renderManifests();
    for (const role of ['viewer', 'operator', 'editor']) {
      const rules = find(manifests, 'Role', `orders-${role}`).rules;
      for (const verb of ['get', 'list', 'watch']) expect(allows(rules, 'secrets', verb), `${role} ${verb} secrets`).toBe(false);
      expect(allows(rules, 'pods/exec', 'create'), `${role} exec`).toBe(false);
    }
    expect(allows(platformRoleRules.Viewer, 'pods/log', 'get')).toBe(true);
    expect(allows(platformRoleRules.Operator, 'pods', 'delete')).toBe(true);
    expect(allows(platformRoleRules.Viewer, 'pods', 'delete')).toBe(false);
    expect(allows(platformRoleRules.Editor, 'configmaps', 'update')).toBe(true);
    expect(allows(platformRoleRules.Administrator, 'secrets', 'get')).toBe(true);
  });

  it('has no wildcard and no escalate, bind or impersonate in any role', () => {
    for (const [role, rules] of Object.entries(platformRoleRules)) {
      for (const rule of rules) {
        expect([...rule.apiGroups, ...rule.resources, ...rule.verbs], role).not.toContain('*');
        expect(rule.verbs.filter((v) => ['escalate', 'bind', 'impersonate'].includes(v)), role).toEqual([]);
      }
    }
  });

  it('refuses a Kubernetes system group as a grant subject', async () => {
    const repo = tempRepo();
    writeInput(repo, 'deployments/open.yaml', 'cluster: example\nredis: {memory: 1Gi}\npersistence: {size: 10Gi}\naccess:\n  platform:\n    - {group: "system:authenticated", role: Viewer}\n');
    const error = await loadInputs(repo).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputErrors);
    expect((error as InputErrors).errors).toEqual([
      expect.objectContaining({ file: 'deployments/open.yaml', field: 'access.platform[0].group', message: expect.stringMatching(/system groups/) }),
    ]);
  });
});

describe('Argo CD AppProject', () => {
  it("allows exactly the generator's namespaces, kinds and repository", async () => {
    const manifests = await renderManifests();
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

const skip = missingPrograms('redis-server', 'redis-cli');
describe.skipIf(skip)(`service roles as Redis ACL users on a real redis-server${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  it('lets Reader read, Writer write but not administer, Manager do anything, and default nothing', async () => {
    const dir = tempDir();
    const users = {
      reader: serviceRoleRules.Reader,
      writer: serviceRoleRules.Writer,
      [ADMIN_USER]: serviceRoleRules.Manager,
      portal: systemUserRules.portal,
    };
    const aclFile = path.join(dir, 'users.acl');
    writeFileSync(aclFile, renderAclFile(Object.entries(users).map(([name, rules]) => ({ name, passwordSha256: sha256Hex(`${name}-pw`), rules }))));
    const port = '16390';
    const server = spawn('redis-server', ['--port', port, '--bind', '127.0.4.1', '--aclfile', aclFile, '--save', '', '--dir', dir], { stdio: 'ignore' });
    const as = async (user: string | undefined, ...args: string[]) => {
      const auth = user ? ['--user', user, '--pass', `${user}-pw`] : [];
      const { stdout } = await run('redis-cli', ['--no-auth-warning', '-h', '127.0.4.1', '-p', port, ...auth, '--raw', ...args]).catch((e: { stdout: string }) => e);
      return stdout.trim();
    };
    try {
      for (let i = 0; i < 50 && (await as(ADMIN_USER, 'PING')) !== 'PONG'; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await as(ADMIN_USER, 'SET', 'k', 'v')).toBe('OK');

      expect(await as('reader', 'GET', 'k')).toBe('v');
      expect(await as('reader', 'SET', 'k', 'x')).toMatch(/NOPERM/);

      expect(await as('writer', 'SET', 'k', 'w')).toBe('OK');
      expect(await as('writer', 'GET', 'k')).toBe('w');
      expect(await as('writer', 'CONFIG', 'GET', 'maxmemory')).toMatch(/NOPERM/);
      expect(await as('writer', 'FLUSHALL')).toMatch(/NOPERM/);

      expect(await as(ADMIN_USER, 'CONFIG', 'GET', 'maxmemory')).toMatch(/^maxmemory/);
      expect(await as(ADMIN_USER, 'FLUSHALL')).toBe('OK');

      expect(await as(undefined, 'GET', 'k')).toMatch(/NOAUTH|NOPERM/);
      expect(await as(undefined, 'PING')).toMatch(/NOAUTH|NOPERM/);
      expect(await as('portal', 'INFO', 'replication')).toMatch(/role:master/);
      expect(await as('portal', 'GET', 'k')).toMatch(/NOPERM/);
    } finally {
      server.kill('SIGKILL');
    }
  });
});
