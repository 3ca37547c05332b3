import { sleep, waitForPromotion } from '../waits.js';
import { defineScenario, failoverBound } from './scenario.js';

export const partitionRestart = defineScenario({
  id: 'partition-restart',
  description: "Partition: the deposed primary's redis restarted while its member is still cut off",
  injects: "cut the primary's member off until the majority promotes the replica, SIGKILL its redis and start it again through its entrypoint, heal 20 s later",
  asserts: 'the restarted member never answers as a primary (its own sentinel still names it); one primary after healing; no confirmed write lost',
  needsNamespaces: true,
  bound: failoverBound,
  async perform(run) {
    let restartedAt = 0;
    let member = '';
    await run.underPartition('drill:partition-restart', async (primary, cut) => {
      member = primary.ip;
      run.progress(`cutting ${primary.name} off from every other member and portal`);
      cut.isolate(primary.name);
      const promoted = await waitForPromotion(run.cluster, primary, run.boundSeconds);
      run.note(`the majority promoted ${promoted.name}`);
      run.progress(`restarting ${primary.name}'s redis through its entrypoint, still cut off`);
      await run.cluster.kill(primary, 'redis');
      restartedAt = Date.now();
      run.cluster.start(primary, 'redis');
      await sleep(20_000);
      run.progress('healing the partition');
    });
    const observer = run.lastObserver;
    run.check(
      !observer?.wasMaster(member, restartedAt),
      `the member restarted during the partition came up as a primary (two primaries for ${observer?.twoPrimariesSeconds(restartedAt).toFixed(1)} s): ` +
        "its entrypoint must count a majority of every configured sentinel, not its own sentinel's stale answer",
    );
  },
});
