import { waitFor } from '../waits.js';
import { killPrimary } from './kill-primary.js';
import { defineScenario, noFailedWrites } from './scenario.js';

export const restartOldPrimary = defineScenario({
  id: 'restart-old-primary',
  description: 'Restart the old primary: back as a replica',
  injects: 'restart the primary kill-primary killed, through its entrypoint',
  asserts: 'its first answer is role:slave (never a second primary), it resyncs, no confirmed write lost',
  // It restarts the member kill-primary left stopped.
  after: killPrimary.id,
  bound: noFailedWrites,
  async perform(run) {
    const down = run.cluster.dataMembers.find((m) => !run.cluster.isRunning(m.redis));
    if (!down) throw new Error('no stopped data member to restart');
    await run.underWriteLoad('drill:restart-old-primary', async () => {
      run.progress(`restarting ${down.name} through its entrypoint`);
      run.cluster.start(down, 'redis');
      // The entrypoint may wait up to 30 s for the sentinels before redis answers.
      const firstRole = await waitFor(`${down.name} to answer`, 45, async () => {
        const role = await run.cluster.redis(down, 'ROLE');
        return role.startsWith('ERROR') || role.startsWith('LOADING') ? undefined : role;
      });
      run.check(
        firstRole.startsWith('slave'),
        `${down.name} came back as a primary (its first ROLE: ${firstRole.split('\n')[0]}): two primaries at once, and writes routed to it are lost ` +
          'when the sentinels demote it; the entrypoint must ask the sentinels who the primary is before it starts',
      );
      await waitFor(`${down.name} to resync`, 60, async () => (await run.cluster.redis(down, 'INFO', 'replication')).includes('master_link_status:up'));
      run.note(`${down.name} came back as a replica and resynced`);
    });
    const lost = await run.confirmedWrites.missingOn(down);
    run.check(lost.length === 0, `${lost.length} confirmed write(s) missing on the rejoined ${down.name}`);
  },
});
