import { sleep, waitForPromotion } from '../waits.js';
import { defineScenario, failoverBound } from './scenario.js';

export const partitionPrimary = defineScenario({
  id: 'partition-primary',
  description: "Partition: the primary's member cut off from every other member and portal, then healed",
  injects: "drop every packet between the primary's namespace and the others' beyond the failover, then heal",
  asserts: 'failover within the bound; no confirmed write lost; nothing stale-routed over 1 s; one primary after healing, both portals on it',
  needsNamespaces: true,
  bound: failoverBound,
  async perform(run) {
    await run.underPartition('drill:partition-primary', async (primary, cut) => {
      run.progress(`cutting ${primary.name} off from every other member and portal`);
      cut.isolate(primary.name);
      const promoted = await waitForPromotion(run.cluster, primary, run.boundSeconds);
      run.note(`the majority promoted ${promoted.name}; ${primary.name} kept running on its side`);
      // Long enough for min-replicas-max-lag (10 s) to show on the isolated primary.
      await sleep(12_000);
      run.progress('healing the partition');
    });
  },
});
