import { sleep, waitFor, waitForPromotion } from '../waits.js';
import { defineScenario, failoverBound } from './scenario.js';

export const freezePrimary = defineScenario({
  id: 'freeze-primary',
  description: 'Freeze the primary (SIGSTOP beyond down-after), then let it return',
  injects: "SIGSTOP the primary's redis beyond down-after, then SIGCONT; 20 writes sent straight to it meanwhile",
  asserts: 'failover within down-after + failover-timeout; no confirmed write lost; reports what the isolated primary accepted',
  bound: failoverBound,
  async perform(run) {
    const primary = await run.cluster.settled(30);
    // An application on the primary's side of the partition, connected to it directly: its writes
    // wait in the socket while the primary is cut off and run when it returns, before it is demoted.
    const direct = await run.connectToMember(primary, { commandTimeout: undefined, enableOfflineQueue: true });
    const isolatedKeys = Array.from({ length: 20 }, (_, i) => `drill:freeze:isolated:${i}`);
    let accepted: string[] = [];
    await run.underWriteLoad('drill:freeze', async () => {
      run.progress(`freezing the primary ${primary.name} (SIGSTOP)`);
      await run.cluster.freeze(primary, 'redis');
      const replies = isolatedKeys.map((key) => direct.set(key, key).then(() => key));
      try {
        const promoted = await waitForPromotion(run.cluster, primary, run.boundSeconds);
        run.note(`sentinels promoted ${promoted.name}`);
        await sleep(1000);
      } finally {
        run.progress(`thawing ${primary.name} (SIGCONT)`);
        await run.cluster.thaw(primary, 'redis');
      }
      accepted = (await Promise.allSettled(replies)).flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      await waitFor(`${primary.name} to rejoin as a replica`, 60, async () => {
        const info = await run.cluster.redis(primary, 'INFO', 'replication');
        return info.includes('role:slave') && info.includes('master_link_status:up');
      });
    });
    direct.disconnect();
    const lostIsolated = await run.keysMissingOn(await run.cluster.namedPrimary(10), accepted);
    run.note(
      `the isolated primary accepted ${accepted.length} of ${isolatedKeys.length} direct write(s) sent to it while cut off; ` +
        `${lostIsolated.length} of them were lost when it rejoined as a replica (min-replicas-to-write ${run.settings.minReplicasToWrite})`,
      `through the portals: writes failed for ${run.load.unavailableSeconds.toFixed(1)} s; ${run.lostUnconfirmed} unconfirmed write(s) lost`,
    );
  },
});
