import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { applySyncWaves, SYNC_WAVE_ANNOTATION, syncWave } from '../../charts/sync-waves.js';
import { synthConstruct } from '../support/constructs.js';

describe('sync waves', () => {
  it('apply the namespace, then secrets and configuration, then services and policies, then workloads, then what watches them', () => {
    expect(syncWave('StorageClass')).toBeLessThan(syncWave('Namespace'));
    expect(syncWave('Namespace')).toBeLessThan(syncWave('SealedSecret'));
    for (const before of ['SealedSecret', 'ConfigMap', 'Role', 'RoleBinding', 'Service', 'NetworkPolicy', 'PodDisruptionBudget']) {
      expect(syncWave(before), before).toBeLessThan(syncWave('StatefulSet'));
      expect(syncWave(before), before).toBeLessThan(syncWave('Deployment'));
    }
    expect(syncWave('SealedSecret')).toBeLessThan(syncWave('Service'));
    expect(syncWave('StatefulSet')).toBeLessThan(syncWave('PodMonitor'));
    expect(syncWave('StatefulSet')).toBeLessThan(syncWave('PrometheusRule'));
  });

  it('put a kind they do not list with the workloads', () => {
    expect(syncWave('CronJob')).toBe(syncWave('StatefulSet'));
  });

  it('annotate every API object under the scope, nested ones too, with the wave of its kind', () => {
    const objects = synthConstruct((scope) => {
      new ApiObject(scope, 'Ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } });
      const nested = new Construct(new Construct(scope, 'Outer'), 'Inner');
      new ApiObject(nested, 'Sts', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'sts', annotations: { kept: 'yes' } } });
      new ApiObject(nested, 'Rule', { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'rule' } });
      applySyncWaves(scope);
    });
    expect(objects.map((o) => [o.kind, o.metadata.annotations])).toEqual([
      ['Namespace', { [SYNC_WAVE_ANNOTATION]: String(syncWave('Namespace')) }],
      ['StatefulSet', { kept: 'yes', [SYNC_WAVE_ANNOTATION]: String(syncWave('StatefulSet')) }],
      ['PrometheusRule', { [SYNC_WAVE_ANNOTATION]: String(syncWave('PrometheusRule')) }],
    ]);
  });
});
