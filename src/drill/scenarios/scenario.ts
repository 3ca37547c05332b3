// What a drill scenario is. The registry (index.ts) and every scenario file load no cluster, client
// or chart module (only types of them): the CLI loads the registry at startup to list the scenarios.
import type { DrillSettings, ScenarioRun } from '../scenario-run.js';

export interface Scenario<Id extends string = string> {
  readonly id: Id;
  /** One line: what the scenario does (the report's title). */
  readonly description: string;
  /** The faults it injects, in a few words. */
  readonly injects: string;
  /** What must hold for it to pass, in a few words. */
  readonly asserts: string;
  /** Seconds it may leave writes failing; 0: no write may fail beyond a client's retries. */
  readonly bound: (settings: DrillSettings) => number;
  /** It cuts network links: it runs only where the members and portals have network namespaces, and is skipped (with the reason) elsewhere. */
  readonly needsNamespaces?: boolean;
  /** It drills the deployment's `backup:`: skipped (with the reason) for a deployment that declares none. */
  readonly needsBackup?: boolean;
  /** The scenario that must run just before this one (it leaves the state this one starts from). */
  readonly after?: string;
  /** Injects the faults and checks what must hold, through `run` (its cluster, write load and checks). */
  perform(run: ScenarioRun): Promise<void>;
}

/** A scenario, its id kept as a literal type (the registry derives the type of scenario ids from them). */
export function defineScenario<const Id extends string>(scenario: Scenario<Id>): Scenario<Id> {
  return scenario;
}

/** Detection within down-after, then a failover sentinel gives failover-timeout to complete. */
export const failoverBound = (s: DrillSettings): number => (s.downAfterMilliseconds + s.failoverTimeout) / 1000;

/**
 * With two sentinels left, both may start a failover within the same few milliseconds and each vote
 * for itself: neither gets 2 votes, and each tries again only after 2 × failover-timeout (sentinel's
 * rule; seen in the drill with both sentinels in their own network namespace). One such retry is
 * allowed for.
 */
export const twoSentinelFailoverBound = (s: DrillSettings): number => (s.downAfterMilliseconds + 3 * s.failoverTimeout) / 1000;

/** No write may fail beyond a client's retries. */
export const noFailedWrites = (): number => 0;
