import { readObjects, UnreadableInput } from '../../src/gate/documents.js';

/**
 * What the differential tests of the gate's manifest reader share: the gate's reading of one file,
 * and the comparisons with what kubectl (manifest-reader.engine.test.ts) and Argo CD
 * (argocd-reader.engine.test.ts) apply from it.
 */

export type GateRead = { objects: unknown[] } | { refused: string };

/** The objects the gate reads from a file, or its refusal (an exit 2 with a reason). */
export function gateRead(file: string): GateRead {
  try {
    return { objects: readObjects(file).map((s) => s.object) };
  } catch (error) {
    if (error instanceof UnreadableInput) return { refused: error.message };
    throw error;
  }
}

/** Whether `part` is `whole` with some items left out (a reader skips what it cannot decode). */
export function isSubsequence(part: string[], whole: string[]): boolean {
  let i = 0;
  for (const item of whole) if (i < part.length && item === part[i]) i++;
  return i === part.length;
}

/** JSON with keys sorted (Go's encoder sorts them; their order means nothing to Kubernetes). */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
