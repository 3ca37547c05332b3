import { sleep, waitForPromotion } from '../waits.js';
import { defineScenario, failoverBound } from './scenario.js';

export const killPrimary = defineScenario({
  id: 'kill-primary',
  description: 'Kill the primary (SIGKILL)',
  injects: "SIGKILL the primary's redis",
  asserts: 'writes resume within down-after + failover-timeout; no confirmed write lost',
  bound: failoverBound,
  async perform(run) {
    const primary = await run.cluster.settled(30);
    await run.underWriteLoad('drill:kill-primary', async () => {
      run.progress(`killing the primary ${primary.name}`);
      await run.cluster.kill(primary, 'redis');
      const promoted = await waitForPromotion(run.cluster, primary, run.boundSeconds);
      run.note(`sentinels promoted ${promoted.name}`);
      await sleep(1000);
    });
    run.note(`writes failed for ${run.load.unavailableSeconds.toFixed(1)} s`);
  },
});
