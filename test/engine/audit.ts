import { readFileSync } from 'node:fs';

/** One write the API server carried out, from its audit log. */
export interface AuditedWrite {
  /** When the API server received it (microseconds in the log). */
  at: string;
  verb: string;
  /** Who asked: the program's user agent, without its version ("argocd-application-controller", "kube-controller-manager/statefulset-controller"). */
  agent: string;
  resource: string;
  namespace: string;
  name: string;
  subresource?: string;
  code: number;
}

interface AuditEvent {
  stage: string;
  annotations?: Record<string, string>;
  verb: string;
  requestURI: string;
  userAgent?: string;
  requestReceivedTimestamp: string;
  objectRef?: { resource?: string; namespace?: string; name?: string; subresource?: string };
  responseStatus?: { code?: number };
  requestObject?: { status?: { operationState?: OperationState } };
  responseObject?: { metadata?: { name?: string } };
}

/** What Argo CD records of one sync operation (the fields the tier reads). */
export interface OperationState {
  phase: string;
  startedAt: string;
  finishedAt?: string;
  message?: string;
  operation?: { sync?: { revision?: string; resources?: { kind: string; name: string }[]; selfHealAttemptsCount?: number } };
  syncResult?: {
    revision?: string;
    resources?: { kind: string; name: string; status?: string; hookType?: string; hookPhase?: string; message?: string }[];
  };
}

/**
 * Every sync operation Argo CD ran on an Application, in the order they started, each as last
 * written (Argo CD patches the Application's operation state as the operation goes, whole each
 * time). The Application itself keeps only the latest: a self-heal sync, which applies only the
 * resources found out of sync and runs no hooks, replaces the results of the sync before it.
 */
export function operationsOf(log: string, namespace: string, name: string): OperationState[] {
  const byStart = new Map<string, OperationState>();
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as AuditEvent;
    const state = e.requestObject?.status?.operationState;
    const code = e.responseStatus?.code ?? 0;
    if (e.stage !== 'ResponseComplete' || code < 200 || code >= 300 || !state?.startedAt) continue;
    if (e.objectRef?.resource !== 'applications' || e.objectRef.namespace !== namespace || e.objectRef.name !== name) continue;
    // The log is in the order the API server received the writes: a later state of an operation
    // replaces the earlier. startedAt is in seconds: a self-heal (a partial sync) starting in the
    // same second as the sync it follows is still told apart.
    byStart.set(`${state.startedAt} ${state.operation?.sync?.resources?.length ? 'partial' : 'full'}`, state);
  }
  return [...byStart.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, state]) => state);
}

/**
 * The writes the API server accepted, in the order it received them, dry runs left out (Argo CD
 * dry-runs every object before it applies any, and those change nothing).
 */
export function auditedWrites(log: string): AuditedWrite[] {
  const writes: AuditedWrite[] = [];
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as AuditEvent;
    if (e.stage !== 'ResponseComplete' || !e.objectRef?.resource) continue;
    if (/[?&]dryRun=/.test(e.requestURI)) continue;
    const code = e.responseStatus?.code ?? 0;
    if (code < 200 || code >= 300) continue;
    writes.push({
      at: e.requestReceivedTimestamp,
      verb: e.verb,
      agent: agentOf(e.userAgent ?? ''),
      resource: e.objectRef.resource,
      // A Namespace is cluster-scoped, but the API server files a request on /namespaces/<name> under it.
      namespace: e.objectRef.resource === 'namespaces' ? '' : (e.objectRef.namespace ?? ''),
      // A create names its object in the response (the request path ends at the collection).
      name: e.objectRef.name ?? e.responseObject?.metadata?.name ?? '',
      ...(e.objectRef.subresource ? { subresource: e.objectRef.subresource } : {}),
      code,
    });
  }
  return writes.sort((a, b) => a.at.localeCompare(b.at));
}

/**
 * The writes the API server refused (status 400 and up), dry runs included (Argo CD dry-runs every
 * object first: a refusal there fails the sync as surely), in the order it received them.
 */
export function refusedWrites(log: string): (AuditedWrite & { dryRun: boolean })[] {
  const refused: (AuditedWrite & { dryRun: boolean })[] = [];
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as AuditEvent;
    const code = e.responseStatus?.code ?? 0;
    if (e.stage !== 'ResponseComplete' || !e.objectRef?.resource || code < 400) continue;
    refused.push({
      at: e.requestReceivedTimestamp,
      verb: e.verb,
      agent: agentOf(e.userAgent ?? ''),
      resource: e.objectRef.resource,
      namespace: e.objectRef.namespace ?? '',
      name: e.objectRef.name ?? '',
      ...(e.objectRef.subresource ? { subresource: e.objectRef.subresource } : {}),
      code,
      dryRun: /[?&]dryRun=/.test(e.requestURI),
    });
  }
  return refused.sort((a, b) => a.at.localeCompare(b.at));
}

/** "kube-controller-manager/v1.28.15 (linux/amd64) kubernetes/$Format/statefulset-controller" → "kube-controller-manager/statefulset-controller". */
function agentOf(userAgent: string): string {
  const program = userAgent.split('/')[0] ?? '';
  const controller = /\/([a-z-]+-controller)$/.exec(userAgent)?.[1];
  return controller && controller !== program ? `${program}/${controller}` : program;
}

/** The API resource (plural, lower case) of a kind, as the audit log names it. */
export function resourceOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  if (lower.endsWith('s')) return `${lower}es`;
  return `${lower}s`;
}

/**
 * What Pod Security admission found against the namespace's `audit` level, per request (dry runs
 * included: Argo CD's dry run is the first time an object meets admission). A workload that breaks
 * the level is let through with a warning; its pods are then refused.
 */
export function podSecurityViolations(log: string): string[] {
  const found: string[] = [];
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as AuditEvent;
    const violation = e.annotations?.['pod-security.kubernetes.io/audit-violations'];
    if (e.stage === 'ResponseComplete' && violation) found.push(`${e.verb} ${e.objectRef?.resource}/${e.objectRef?.namespace}/${e.objectRef?.name ?? ''}: ${violation}`);
  }
  return found;
}
