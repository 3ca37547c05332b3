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
import { testedLines } from '../src/drill/programs.js';
import { tempDir, tempRepo, writeInput } from './support/repo.js';

const run = promisify(execFile);

describe('platform roles as RBAC', () => {
  // The Roles and RoleBindings themselves: test/constructs/access-bindings.test.ts and deployment-chart.test.ts.
  const allows = (rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[], resource: string, verb: string) =>
    rules.some((r) => r.resources.includes(resource) && r.verbs.includes(verb));

  it('lets Viewer read logs, Operator restart, Editor change configuration, and only Administrator read Secrets', () => {
    for (const role of ['Viewer', 'Operator', 'Editor'] as const) {
      for (const verb of ['get', 'list', 'watch']) expect(allows(platformRoleRules[role], 'secrets', verb), `${role} ${verb} secrets`).toBe(false);
      expect(allows(platformRoleRules[role], 'pods/exec', 'create'), `${role} exec`).toBe(false);
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

// On each engine line built here (test/engines.process.test.ts holds every role against every command).
const { built } = testedLines();
const skip = built.length ? undefined : 'no engine build here (npm run servers:build)';
describe.skipIf(skip)(`service roles as ACL users on a real server${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  it.each(built.map((p) => [`${p.engine} ${p.version}`, p] as const))('lets Reader read, Writer write but not administer, Manager do anything, and default nothing (%s)', async (_, p) => {
    const dir = tempDir();
    const users = {
      reader: serviceRoleRules.Reader,
      writer: serviceRoleRules.Writer,
      [ADMIN_USER]: serviceRoleRules.Manager,
      portal: systemUserRules.portal,
    };
    const aclFile = path.join(dir, 'users.acl');
    writeFileSync(aclFile, renderAclFile(Object.entries(users).map(([name, rules]) => ({ name, passwordSha256: sha256Hex(`${name}-pw`), rules }))));
    const port = String(16390 + built.indexOf(p));
    const server = spawn(path.join(p.binDir, p.server), ['--port', port, '--bind', '127.0.4.1', '--aclfile', aclFile, '--save', '', '--dir', dir], { stdio: 'ignore' });
    const as = async (user: string | undefined, ...args: string[]) => {
      const auth = user ? ['--user', user, '--pass', `${user}-pw`] : [];
      const { stdout } = await run(path.join(p.binDir, p.cli), ['--no-auth-warning', '-h', '127.0.4.1', '-p', port, ...auth, '--raw', ...args]).catch((e: { stdout: string }) => e);
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
