// The registry of drill scenarios: the one list of them and of their ids. Light to load (see scenario.ts).
import { backupRestore } from './backup-restore.js';
import { baseline } from './baseline.js';
import { killPrimary } from './kill-primary.js';
import { freezePrimary } from './freeze-primary.js';
import { partitionFlapping } from './partition-flapping.js';
import { partitionPortal } from './partition-portal.js';
import { partitionPrimary } from './partition-primary.js';
import { partitionRestart } from './partition-restart.js';
import { partitionSentinels } from './partition-sentinels.js';
import { partitionTiebreaker } from './partition-tiebreaker.js';
import { portals } from './portals.js';
import { powerCycle } from './power-cycle.js';
import { restartOldPrimary } from './restart-old-primary.js';
import { rollingRestart } from './rolling-restart.js';
import type { Scenario } from './scenario.js';
import { sentinelQuorum } from './sentinel-quorum.js';
import { staleSentinel } from './stale-sentinel.js';

export type { Scenario } from './scenario.js';

/** The drill's scenarios in the order they run: each starts from the state the one before leaves. */
export const scenarios = [
  baseline,
  killPrimary,
  restartOldPrimary,
  portals,
  sentinelQuorum,
  freezePrimary,
  staleSentinel,
  partitionPrimary,
  partitionSentinels,
  partitionPortal,
  partitionRestart,
  partitionFlapping,
  partitionTiebreaker,
  powerCycle,
  rollingRestart,
  backupRestore,
] as const;

export type ScenarioId = (typeof scenarios)[number]['id'];

export const scenarioIds: readonly ScenarioId[] = scenarios.map((s) => s.id);

export function scenarioById(id: ScenarioId): Scenario<ScenarioId> {
  return scenarios.find((s) => s.id === id)!;
}

/** Whether scenario `id` starts from the state `previous` left (rather than from a whole cluster). */
export function continuesFrom(id: ScenarioId, previous: ScenarioId): boolean {
  return scenarioById(id).after === previous;
}

/** The scenarios to run for a selection, in their fixed order, with the ones they start from. */
export function scenariosToRun(selected: readonly ScenarioId[]): ScenarioId[] {
  const wanted = new Set(selected);
  for (const id of selected) {
    const after = scenarioById(id).after as ScenarioId | undefined;
    if (after) wanted.add(after);
  }
  return scenarioIds.filter((id) => wanted.has(id));
}
