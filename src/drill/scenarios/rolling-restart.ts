import { rolloutOrder } from '../../../model/rollout.js';
import type { LocalMember } from '../cluster.js';
import type { ScenarioRun } from '../scenario-run.js';
import { waitFor } from '../waits.js';
import { defineScenario, noFailedWrites } from './scenario.js';

export const rollingRestart = defineScenario({
  id: 'rolling-restart',
  description: 'Rolling restart of every member and portal, one at a time',
  injects: 'each member in the rollout Job\'s order (the tie-breaker, the replica, the primary last; pre-stop hook, SIGTERM, restart, until ready), then each portal',
  asserts: 'no write fails beyond the retries',
  bound: noFailedWrites,
  async perform(run) {
    await run.underWriteLoad('drill:rolling-restart', async () => {
      const primary = await run.cluster.settled(30);
      // The rollout Job's order: the tie-breaker, the replica, the primary last (one hand-over).
      for (const member of rolloutOrder(run.cluster.members, (m) => m === primary)) await restartMember(run, member);
      for (const portal of run.cluster.portals) {
        run.progress(`restarting ${portal.name}`);
        await run.cluster.killPortal(portal, 'SIGTERM');
        run.cluster.startPortal(portal);
        await waitFor(`${portal.name} to route to the primary`, 30, async () => (await run.cluster.viaPortal(portal, 'admin', 'PING')) === 'PONG');
      }
    });
    run.note('every member and portal restarted as its pod would be');
  },
});

/** As the kubelet does on a rolling update: pre-stop hook, SIGTERM, a new container, until ready. */
async function restartMember(run: ScenarioRun, member: LocalMember): Promise<void> {
  run.progress(`restarting ${member.name}`);
  if (member.holdsData) {
    const hook = await run.cluster.runPreStopHook(member);
    if (hook.output.trim()) run.note(`${member.name} pre-stop: ${hook.output.trim().split('\n').pop()!.replace(/^\S+ /, '')}`);
    await run.cluster.kill(member, 'redis', 'SIGTERM');
  }
  await run.cluster.kill(member, 'sentinel', 'SIGTERM');
  run.cluster.start(member, 'sentinel');
  if (member.holdsData) run.cluster.start(member, 'redis');
  await waitFor(`${member.name} to be ready`, 90, () => run.cluster.isReady(member));
  await run.cluster.settled(60);
}
