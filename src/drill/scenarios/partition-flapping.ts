import { sleep } from '../waits.js';
import { defineScenario, failoverBound } from './scenario.js';

export const partitionFlapping = defineScenario({
  id: 'partition-flapping',
  description: "Flapping link: the primary's member cut off and healed again and again",
  injects: "cut the primary's member off for 2 s then heal for 2 s, 8 times (each cut shorter than down-after)",
  asserts: 'no confirmed write lost; nothing stale-routed over 1 s; exactly one primary afterwards, both portals on it',
  needsNamespaces: true,
  bound: failoverBound,
  async perform(run) {
    await run.underPartition('drill:partition-flapping', async (primary, cut) => {
      run.progress(`flapping ${primary.name}'s link: 8 × (2 s cut, 2 s healed)`);
      for (let i = 0; i < 8; i++) {
        cut.isolate(primary.name);
        await sleep(2000);
        cut.heal();
        await sleep(2000);
      }
    });
  },
});
