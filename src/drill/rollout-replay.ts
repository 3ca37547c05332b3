import { REDIS_PORT } from '../../model/topology.js';
import { ADMIN_USER } from '../../model/users.js';
import type { LocalMember } from './cluster.js';
import { Observer } from './partition-run.js';
import { programsForBuild } from './programs.js';
import type { MemberRole, RecordedRollout } from './recorded-rollout.js';
import { COMMAND_TIMEOUT_MS, keysMissingOn } from './redis-clients.js';
import type { ScenarioRun } from './scenario-run.js';
import type { Scenario } from './scenarios/scenario.js';
import { sleep, waitFor } from './waits.js';
import { RETRY, WriteLoad, type WriteLoadResult } from './write-load.js';

/** The id of the replay of a recorded rollout in the drill's report. */
export type RolloutReplayId = `rollout:${string}`;

/** What a replay measured beyond a scenario's usual figures. */
export interface RolloutReplayFigures {
  class: string;
  /** The members as the replay stopped them, by role when it began. */
  order: MemberRole[];
  /** How often the sentinels' majority named another primary during the replay. */
  primaryChanges: number;
  /** From the primary's pre-stop hook to its member ready again and both portals routing to the new primary (0: the primary did not restart). */
  handOverSeconds: number;
  /** Writes straight to the data members (a client that tries each until one takes writes). */
  direct: { attempted: number; confirmed: number; failed: number; lostConfirmed: number };
}

/**
 * The drill scenario that replays a rollout the engine tier recorded (test/engine/recorded/<class>.json)
 * on real processes: each member stopped (a primary's pre-stop hook first, as its kubelet runs it),
 * started on the build its pod named, and waited for, in exactly the recorded order, as the rollout
 * Job waits for each (ready, and seen by the sentinels) before the next. Clients write through the
 * portals and straight to the data members meanwhile. It passes when the primary changed at most once
 * (as often as recorded), no write confirmed with WAIT 1 is lost, no write fails beyond a client's
 * retries, and writes through the portals failed only while the primary handed over: every outage
 * lies within the primary's hand-over, from its pre-stop hook until both portals route to the new
 * primary (none at all when the primary does not restart).
 */
export function rolloutReplay(recorded: RecordedRollout): Scenario<RolloutReplayId> & { figures?: RolloutReplayFigures } {
  const scenario: Scenario<RolloutReplayId> & { figures?: RolloutReplayFigures } = {
    id: `rollout:${recorded.class}`,
    description: `Replay of the recorded rollout "${recorded.class}" (${recorded.change}): ${recorded.deleted.join(', ') || 'no member'} restarted`,
    injects: 'each member stopped, started and waited for in the recorded order, under portal and direct writers',
    asserts: 'at most one primary change (as recorded), no confirmed write lost, outages only during the hand-over',
    bound: () => 0,
    async perform(run) {
      scenario.figures = await replay(run, recorded);
    },
  };
  return scenario;
}

async function replay(run: ScenarioRun, recorded: RecordedRollout): Promise<RolloutReplayFigures> {
  const { cluster } = run;
  const primary = await cluster.settled(60);
  const running = new Set(cluster.members.map((m) => { const p = cluster.programsOf(m); return `${p.engine} ${p.version}`; }));
  if (running.size !== 1 || !running.has(recorded.from)) {
    throw new Error(`recorded on ${recorded.from}, but the members run ${[...running].join(' and ')}: replay it on a deployment of that build`);
  }
  const byRole: Record<MemberRole, LocalMember> = {
    tiebreaker: cluster.members.find((m) => !m.holdsData)!,
    primary,
    replica: cluster.dataMembers.find((m) => m !== primary)!,
  };
  const observer = new Observer(cluster);
  const portal = new WriteLoad(cluster, `drill:rollout:${recorded.class}:portal`).start();
  const direct = new WriteLoad(cluster, `drill:rollout:${recorded.class}:direct`, { targets: cluster.dataMembers.map((m) => ({ host: m.ip, port: REDIS_PORT })) }).start();
  const order: MemberRole[] = [];
  const handOver = { from: 0, to: 0 };
  let portalLoad: WriteLoadResult;
  let directLoad: WriteLoadResult;
  let replayStart = Date.now();
  try {
    // Both clients connected and writing before the first step: their start is no outage of the rollout.
    await waitFor('the writers to connect and write', 30, async () => portal.acknowledged > 0 && direct.acknowledged > 0);
    await sleep(1000);
    replayStart = Date.now();
    for (const step of recorded.restarts) {
      const member = byRole[step.member];
      if (step.what === 'stopped') {
        run.progress(`stopping the ${step.member} (${member.name})`);
        order.push(step.member);
        if (step.member === 'primary') handOver.from = Date.now();
        if (member.holdsData) {
          const hook = await cluster.runPreStopHook(member);
          if (hook.output.trim()) run.note(`${member.name} pre-stop: ${hook.output.trim().split('\n').pop()!.replace(/^\S+ /, '')}`);
          await cluster.kill(member, 'redis', 'SIGTERM');
        }
        await cluster.kill(member, 'sentinel', 'SIGTERM');
      } else if (step.what === 'started') {
        const programs = programsForBuild(step.build!);
        if (typeof programs === 'string') throw new Error(`cannot start the ${step.member} as recorded: ${programs}`);
        cluster.usePrograms(member, programs);
        run.progress(`starting the ${step.member} (${member.name}) on ${step.build}`);
        cluster.start(member, 'sentinel');
        if (member.holdsData) cluster.start(member, 'redis');
      } else {
        // As the rollout Job waits: the pod ready (its probes), then the member seen by the sentinels.
        await waitFor(`${member.name} to be ready`, 120, () => cluster.isReady(member));
        await cluster.settled(90);
        if (step.member === 'primary') {
          // The hand-over ends when both portals route writes to the new primary.
          await waitFor('both portals to route to the primary', 60, async () =>
            (await Promise.all(cluster.portals.map((p) => cluster.viaPortal(p, ADMIN_USER, 'ROLE')))).every((role) => role.startsWith('master')),
          );
          handOver.to = Date.now();
        }
      }
    }
    await sleep(1000);
  } finally {
    portalLoad = await portal.stop();
    directLoad = await direct.stop();
    await observer.stop();
  }
  run.load = portalLoad;
  const confirmed = [...portalLoad.replicated, ...directLoad.replicated];
  run.confirmedWrites.record(confirmed);
  const now = await cluster.namedPrimary(60);
  const lostPortal = await keysMissingOn(cluster, now, portalLoad.replicated);
  const lostDirect = await keysMissingOn(cluster, now, directLoad.replicated);
  run.lostConfirmed = lostPortal.length + lostDirect.length;
  run.lostUnconfirmed = (await keysMissingOn(cluster, now, portalLoad.written)).length;
  run.check(run.lostConfirmed === 0, `${run.lostConfirmed} confirmed write(s) missing on the primary ${now.name}, first ${[...lostPortal, ...lostDirect][0]}`);
  run.check(directLoad.failed === 0, `${directLoad.failed} direct write(s) failed after a client's retries`);

  const named = observer.samples.map((s) => s.majority).filter((m): m is string => !!m);
  const primaryChanges = named.filter((m, i) => i > 0 && m !== named[i - 1]).length;
  run.check(primaryChanges <= 1, `the primary changed ${primaryChanges} times (at most once per rollout)`);
  run.check(primaryChanges === recorded.primaryChanges, `the primary changed ${primaryChanges} time(s), the recorded rollout ${recorded.primaryChanges}`);
  run.check(JSON.stringify(order) === JSON.stringify(recorded.deleted), `stopped ${order.join(', ')}, recorded ${recorded.deleted.join(', ')}`);

  // Outages only within the primary's hand-over: from its pre-stop hook until it is ready again and
  // both portals route to the new primary. An outage dates from its first failed attempt's sending
  // and ends with the next success: a write sent just before the hook paused writes fails with the
  // pause, and a client notices the new route at its next retry; the window allows one attempt and
  // one retry on either side, and no more.
  const opens = handOver.from - COMMAND_TIMEOUT_MS;
  const closes = handOver.to + RETRY.backoffMs + COMMAND_TIMEOUT_MS;
  const outside = (portalLoad.outages ?? []).filter((o) => o.to > replayStart && !(handOver.from && o.from >= opens && o.to <= closes));
  for (const o of outside) {
    const at = (t: number) => ((t - replayStart) / 1000).toFixed(1);
    const window = handOver.from ? `the hand-over from ${at(handOver.from)} s to ${at(handOver.to)} s` : 'the primary did not restart';
    run.check(false, `writes through the portals failed for ${((o.to - o.from) / 1000).toFixed(1)} s outside the primary's hand-over (from ${at(o.from)} s into the replay; ${window})`);
  }
  // Each data member restarted on the build it was started with, as its server reports itself.
  for (const step of recorded.restarts.filter((e) => e.what === 'started' && byRole[e.member].holdsData)) {
    const [engine, version] = step.build!.split(' ');
    const info = await cluster.redis(byRole[step.member], 'INFO', 'server');
    run.check(info.includes(`${engine}_version:${version}`), `the ${step.member} (${byRole[step.member].name}) does not report ${step.build} after its restart`);
  }
  const handOverSeconds = handOver.from ? Math.round((handOver.to - handOver.from) / 100) / 10 : 0;
  run.note(
    `order: ${order.join(', ') || 'nothing restarted'}; primary changes: ${primaryChanges}; hand-over ${handOverSeconds} s; ` +
      `direct writes: ${directLoad.attempted} (${directLoad.replicated.length} confirmed, ${directLoad.failed} failed, ${lostDirect.length} confirmed lost)`,
  );
  return {
    class: recorded.class,
    order,
    primaryChanges,
    handOverSeconds,
    direct: { attempted: directLoad.attempted, confirmed: directLoad.replicated.length, failed: directLoad.failed, lostConfirmed: lostDirect.length },
  };
}
