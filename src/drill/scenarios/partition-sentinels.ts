import { sleep, waitForPromotion } from '../waits.js';
import { defineScenario, failoverBound } from './scenario.js';

export const partitionSentinels = defineScenario({
  id: 'partition-sentinels',
  description: "Asymmetric partition: the primary's member loses the other sentinels, keeps its replica and the portals",
  injects: "drop the sentinels' packets to and from the primary's member (its redis keeps the replica link and the portals), then heal",
  asserts: 'failover within the bound; portals stop routing to the deposed primary within 1 s of the majority moving; no confirmed write lost; one primary after',
  needsNamespaces: true,
  bound: failoverBound,
  async perform(run) {
    await run.underPartition('drill:partition-sentinels', async (primary, cut) => {
      run.progress(`cutting ${primary.name} off from the other sentinels (redis links stay)`);
      cut.cutSentinels(primary);
      const promoted = await waitForPromotion(run.cluster, primary, run.boundSeconds);
      run.note(`the majority promoted ${promoted.name} while ${primary.name} still reached the portals`);
      await sleep(12_000);
      run.progress('healing the partition');
    });
  },
});
