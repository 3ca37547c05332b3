import { sleep } from '../waits.js';
import { defineScenario, noFailedWrites } from './scenario.js';

export const partitionTiebreaker = defineScenario({
  id: 'partition-tiebreaker',
  description: 'Partition: the sentinel-only member cut off, then healed',
  injects: "drop every packet between the sentinel-only member's namespace and the others' for down-after + 5 s, then heal",
  asserts: 'nothing changes: the same primary, no write fails beyond the retries, no confirmed write lost',
  needsNamespaces: true,
  bound: noFailedWrites,
  async perform(run) {
    const tiebreaker = run.cluster.members.find((m) => !m.holdsData)!;
    await run.underPartition('drill:partition-tiebreaker', async (primary, cut) => {
      run.progress(`cutting ${tiebreaker.name} off`);
      cut.isolate(tiebreaker.name);
      await sleep(run.settings.downAfterMilliseconds + 5000);
      run.check((await run.cluster.primaryBySentinels()) === primary.ip, `the primary changed when only ${tiebreaker.name} was cut off`);
      run.progress('healing the partition');
    });
  },
});
