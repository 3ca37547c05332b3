import { sleep } from '../waits.js';
import { defineScenario, noFailedWrites } from './scenario.js';

export const partitionPortal = defineScenario({
  id: 'partition-portal',
  description: 'Partition: one portal cut off from every member, then healed',
  injects: "drop every packet between portal-0's namespace and the members' for down-after + 5 s, then heal",
  asserts: 'no write fails beyond the retries (clients move to the other portal); the primary does not change',
  needsNamespaces: true,
  bound: noFailedWrites,
  async perform(run) {
    await run.underPartition('drill:partition-portal', async (primary, cut) => {
      const portal = run.cluster.portals[0]!;
      run.progress(`cutting ${portal.name} off from the members`);
      cut.isolate(portal.name);
      await sleep(run.settings.downAfterMilliseconds + 5000);
      run.check((await run.cluster.primaryBySentinels()) === primary.ip, `the primary changed when only ${portal.name} was cut off`);
      run.progress('healing the partition');
    });
  },
});
