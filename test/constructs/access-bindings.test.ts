import { describe, expect, it } from 'vitest';
import { AccessBindings, type AccessBindingsProps } from '../../charts/access-bindings.js';
import { platformRoleName, platformRoleRules, platformRoles, type Rule } from '../../model/platform-roles.js';
import { objectNamed, ofKind, ordersId, synthConstruct } from '../support/constructs.js';

const synth = (grants: AccessBindingsProps['grants']) => synthConstruct((scope) => new AccessBindings(scope, 'Access', { id: ordersId, grants }));
const allows = (rules: Rule[], resource: string, verb: string) => rules.some((r) => r.resources.includes(resource) && r.verbs.includes(verb));

describe('AccessBindings', () => {
  const objects = synth([
    { group: 'orders-sre', role: 'Operator' },
    { group: 'platform-admins', role: 'Administrator' },
    { group: 'dba', role: 'Administrator' },
  ]);

  it('creates the four platform roles as Roles with their rules, whatever is granted', () => {
    const roles = ofKind(objects, 'Role');
    expect(roles.map((r) => r.metadata.name)).toEqual(['orders-viewer', 'orders-operator', 'orders-editor', 'orders-administrator']);
    for (const role of platformRoles) expect(objectNamed(roles, 'Role', platformRoleName(ordersId, role)).rules, role).toEqual(platformRoleRules[role]);
    expect(ofKind(synth([]), 'Role')).toHaveLength(platformRoles.length);
  });

  it('binds only the granted groups, one RoleBinding per granted role, and nothing cluster-wide', () => {
    const bindings = ofKind(objects, 'RoleBinding').map((b) => ({ name: b.metadata.name, roleRef: b.roleRef, subjects: b.subjects }));
    expect(bindings).toEqual([
      {
        name: 'orders-operator',
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'orders-operator' },
        subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'orders-sre' }],
      },
      {
        name: 'orders-administrator',
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'orders-administrator' },
        subjects: [
          { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'platform-admins' },
          { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'dba' },
        ],
      },
    ]);
    expect(objects.filter((o) => /^Cluster(Role|RoleBinding)$/.test(o.kind))).toEqual([]);
    expect(ofKind(synth([]), 'RoleBinding')).toEqual([]);
  });

  it('binds a service account of the namespace when the grant names one', () => {
    const binding = objectNamed(synth([{ serviceAccount: 'backup', role: 'Viewer' }]), 'RoleBinding', 'orders-viewer');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'backup', namespace: 'redis-orders' }]);
  });

  it('never lets Viewer, Operator or Editor read Secrets or exec into a member', () => {
    for (const role of ['viewer', 'operator', 'editor']) {
      const rules = objectNamed(objects, 'Role', `orders-${role}`).rules;
      for (const verb of ['get', 'list', 'watch']) expect(allows(rules, 'secrets', verb), `${role} ${verb} secrets`).toBe(false);
      expect(allows(rules, 'pods/exec', 'create'), `${role} exec`).toBe(false);
    }
    expect(allows(objectNamed(objects, 'Role', 'orders-administrator').rules, 'secrets', 'get')).toBe(true);
  });

  it('labels its objects as the access component', () => {
    for (const o of objects) expect(o.metadata.labels, `${o.kind} ${o.metadata.name}`).toEqual({ 'app.kubernetes.io/component': 'access' });
  });
});
