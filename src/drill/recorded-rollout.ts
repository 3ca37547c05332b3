import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * What the engine tier recorded of one change class rolled out by Argo CD and the rollout Job on the
 * real control plane (test/engine/rollout.engine.test.ts writes it, `RECORD=1`), and what
 * `drill --rollout <file>` replays on real processes. Members are named by their role when the
 * rollout began, since which data member is the primary changes from run to run.
 */
export const memberRoles = ['tiebreaker', 'replica', 'primary'] as const;
export type MemberRole = (typeof memberRoles)[number];

const role = z.enum(memberRoles);
const build = z.string().regex(/^(redis|valkey) \d+\.\d+\.\d+$/, 'expected "<engine> <major.minor.patch>", e.g. "valkey 8.1.1"');

export const recordedRolloutSchema = z
  .object({
    /** The change class, e.g. `config-edit`, `ca-switch`, `upgrade`. */
    class: z.string().regex(/^[a-z0-9.-]+$/),
    /** What the commit changed, as a user made it. */
    change: z.string().min(1),
    /** The build every member ran before the commit. */
    from: build,
    /** The pods the rollout Job deleted, in the order the API server received the deletions. */
    deleted: z.array(role),
    /** What the members' kubelet did, in order: each stop, start (with the build the pod's image named) and readiness. */
    restarts: z.array(z.strictObject({ member: role, what: z.enum(['stopped', 'started', 'ready']), build: build.optional() })),
    /** How often the primary changed (0 or 1). */
    primaryChanges: z.number().int().min(0),
  })
  .strict();

export type RecordedRollout = z.infer<typeof recordedRolloutSchema>;

/** Reads and checks a recorded rollout; the error names the file and what is wrong with it. */
export function readRecordedRollout(file: string): RecordedRollout {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RecordedRolloutError(`${file}: ${(error as Error).message}`);
  }
  const parsed = recordedRolloutSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new RecordedRolloutError(`${file}: not a recorded rollout (test/engine/recorded/*.json): ${issues.join('; ')}`);
  }
  const problem = orderProblem(parsed.data);
  if (problem) throw new RecordedRolloutError(`${file}: ${problem}`);
  return parsed.data;
}

/** A recorded rollout that cannot be replayed: a member started before it stopped, or ready before it started. */
function orderProblem(r: RecordedRollout): string | undefined {
  const state = new Map<MemberRole, 'running' | 'stopped' | 'started'>();
  for (const [i, e] of r.restarts.entries()) {
    const now = state.get(e.member) ?? 'running';
    const expected = { stopped: 'running', started: 'stopped', ready: 'started' }[e.what];
    if (now !== expected) return `restarts.${i}: ${e.what} ${e.member}, but ${e.member} is ${now === 'running' ? 'running' : now}`;
    if (e.what === 'started' && !e.build) return `restarts.${i}: started ${e.member} names no build`;
    state.set(e.member, e.what === 'ready' ? 'running' : e.what);
  }
  const unfinished = [...state].filter(([, s]) => s !== 'running').map(([m]) => m);
  if (unfinished.length) return `restarts: ${unfinished.join(', ')} never ready again`;
  const stops = r.restarts.filter((e) => e.what === 'stopped').map((e) => e.member);
  if (stops.join() !== r.deleted.join()) return `deleted: ${r.deleted.join(', ') || 'none'}, but the members stopped in the order ${stops.join(', ') || '(none)'}`;
  return undefined;
}

export class RecordedRolloutError extends Error {}
