import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';

export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';
/** Argo CD never prunes or deletes what carries it: for anything holding data. */
export const KEEP_DATA_SYNC_OPTIONS = { 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false' };

/**
 * The order Argo CD applies a deployment in: the namespace, then what pods mount or need to be
 * allowed (secrets, configuration, access), then services and policies, then the workloads, and last
 * what watches them. Kinds not listed go with the workloads.
 */
const waves: Record<string, number> = {
  StorageClass: -3,
  Namespace: -2,
  SealedSecret: -1,
  ConfigMap: -1,
  Role: -1,
  RoleBinding: -1,
  ServiceAccount: -1,
  Service: 0,
  PodDisruptionBudget: 0,
  NetworkPolicy: 0,
  // A member's claim with its StatefulSet: the claim of a WaitForFirstConsumer class is Pending (for
  // Argo CD, Progressing) until its pod is scheduled, so in an earlier wave it would wait for ever.
  PersistentVolumeClaim: 1,
  StatefulSet: 1,
  Deployment: 1,
  PodMonitor: 2,
  PrometheusRule: 2,
};

export function syncWave(kind: string): number {
  return waves[kind] ?? 1;
}

/**
 * The rollout Job (a Sync hook, charts/rollout.ts) runs once the workloads are applied: Argo CD moves
 * to the next wave only when it has restarted every outdated member, one at a time.
 */
export const ROLLOUT_WAVE = Math.max(syncWave('StatefulSet'), syncWave('Deployment')) + 1;

/**
 * The Secrets applications read (their users' passwords) come after the rollout: in a password
 * rotation's start step, Argo CD hands an application its new password only once every member has
 * restarted with the ACL file that accepts it (the auth Secret, applied before them), never while a
 * member still knows only the old one. Their SealedSecrets carry it; applySyncWaves keeps it.
 */
export const APPLICATION_SECRET_WAVE = ROLLOUT_WAVE + 1;

/** Annotates every API object under `scope` with its kind's sync wave, unless it has one of its own. */
export function applySyncWaves(scope: Construct): void {
  for (const child of scope.node.findAll()) {
    if (child instanceof ApiObject && child.metadata.toJson().annotations?.[SYNC_WAVE_ANNOTATION] === undefined) {
      child.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(syncWave(child.kind)));
    }
  }
}
