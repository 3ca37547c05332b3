import { sleep, waitForPromotion } from '../waits.js';
import { defineScenario, twoSentinelFailoverBound } from './scenario.js';

export const sentinelQuorum = defineScenario({
  id: 'sentinel-quorum',
  description: 'Kill the sentinel-only member, then the primary: two sentinels fail over',
  injects: "SIGKILL the sentinel-only member's sentinel, then the primary's redis",
  asserts: 'nothing changes until the primary goes; two sentinels fail over within down-after + 3 × failover-timeout (one split vote)',
  bound: twoSentinelFailoverBound,
  async perform(run) {
    const tiebreaker = run.cluster.members.find((m) => !m.holdsData)!;
    const primary = await run.cluster.settled(30);
    await run.underWriteLoad('drill:sentinel-quorum', async () => {
      run.progress(`killing ${tiebreaker.name}'s sentinel`);
      await run.cluster.kill(tiebreaker, 'sentinel');
      await sleep(run.settings.downAfterMilliseconds + 1000);
      run.check((await run.cluster.primaryBySentinels()) === primary.ip, `the primary changed when only ${tiebreaker.name} was lost`);
      run.check(run.failedSoFar === 0, `${run.failedSoFar} write(s) failed while only ${tiebreaker.name} was lost`);
      run.progress(`killing the primary ${primary.name} with two sentinels left`);
      await run.cluster.kill(primary, 'redis');
      const promoted = await waitForPromotion(run.cluster, primary, run.boundSeconds);
      run.note(`two sentinels promoted ${promoted.name}`);
      await sleep(1000);
    });
    run.note(`writes failed for ${run.load.unavailableSeconds.toFixed(1)} s`);
  },
});
