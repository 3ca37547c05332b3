import { appliedObjects, type Placed, type Superseded } from './documents.js';
import type { RuleInfo, Violation } from './policy.js';

/**
 * Objects defined twice. kubectl applies every document in turn, so the later definition is what
 * stays; Argo CD keeps only the last of each identity (gitops-engine's DeduplicateTargetObjects) and
 * marks the application with a RepeatedResourceWarning. Both run the later one, so the gate judges the
 * later one only (documents.ts appliedObjects), and says so of the earlier: a reviewer reading it, or
 * a waiver on it, is about an object that never runs as written.
 */
export const duplicateRules = {
  'schema.duplicate_object': {
    title: 'Each object is defined once',
    description:
      'Two documents define the same object (API group, kind, namespace and name). kubectl applies both in turn and Argo CD keeps the ' +
      'later one (reporting RepeatedResourceWarning), so the later definition is what runs: the gate judges it alone. The earlier one ' +
      'is reported, since what it says (its waivers included) does not apply.',
    severity: 'error',
    remediation: 'Remove one of the two definitions, keeping what should run.',
  },
} as const satisfies Record<string, RuleInfo>;

/** A finding on each object a later one replaces, naming where the later one is (file and position in it). */
export function duplicateFindings(objects: Placed[], inputPaths: string[] = []): Violation[] {
  return supersededFindings(objects, appliedObjects(objects, inputPaths).superseded);
}

/** duplicateFindings of what appliedObjects found superseded among `objects`. */
export function supersededFindings<T extends Placed>(objects: T[], superseded: Superseded<T>[]): Violation[] {
  if (superseded.length === 0) return [];
  const position = new Map<Placed, number>();
  const counts = new Map<string, number>();
  for (const sourced of objects) {
    const n = (counts.get(sourced.file) ?? 0) + 1;
    counts.set(sourced.file, n);
    position.set(sourced, n);
  }
  const rule = duplicateRules['schema.duplicate_object'];
  return superseded.map(({ object: earlier, by }) => {
    const { file, object } = earlier;
    const namespace = object.metadata?.namespace ?? '';
    const name = object.metadata?.name ?? '';
    const later = by.file === file ? `object ${position.get(by)} of this file` : `object ${position.get(by)} of ${by.file}`;
    return {
      rule: 'schema.duplicate_object',
      severity: rule.severity,
      title: rule.title,
      message:
        `${object.kind} ${name} (object ${position.get(earlier)} of this file) is defined again later, as ${later}: ` +
        'kubectl and Argo CD apply the later definition, so the gate judges that one, and this one (its waivers included) applies to nothing',
      resource: { apiVersion: object.apiVersion, kind: object.kind, namespace, name },
      file,
    };
  });
}
