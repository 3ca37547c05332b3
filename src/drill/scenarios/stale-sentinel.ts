import { REDIS_PORT } from '../../../model/topology.js';
import { sleep, waitFor } from '../waits.js';
import { defineScenario } from './scenario.js';

/**
 * What a sentinel that missed a failover can do when it reaches the members again. Seen in the drill
 * (partition-primary right after freeze-primary, about one run in four): the cut-off member's sentinel,
 * still in the old epoch, found the new primary answering master in its last INFO from before the cut,
 * so its own 8 s wait had long passed, and sent it REPLICAOF of the deposed primary 0.5 s after the
 * heal; it learned of the new epoch 0.8 s later. Sentinel never undoes that: each data member was the
 * other's replica until the sentinels failed over again 35 s later. Injected here directly, so that it
 * happens on every run rather than when the timing allows.
 */
export const staleSentinel = defineScenario({
  id: 'stale-sentinel',
  description: 'A sentinel still in an older epoch makes the primary a replica of the old one',
  injects: "REPLICAOF <its replica> sent to the primary: each data member the other's replica",
  asserts: 'the primary the majority names is primary again within 2 × down-after, without a failover; no confirmed write lost',
  // The sentinels' own reaction takes down-after, their INFO periods and a whole failover (35 s measured).
  bound: (s) => (2 * s.downAfterMilliseconds) / 1000,
  async perform(run) {
    const primary = await run.cluster.settled(30);
    const replica = run.cluster.dataMembers.find((m) => m !== primary)!;
    await run.underWriteLoad('drill:stale-sentinel', async () => {
      run.progress(`making ${primary.name} a replica of ${replica.name}, as a sentinel in an older epoch does`);
      const answer = await run.cluster.redis(primary, 'REPLICAOF', replica.ip, String(REDIS_PORT));
      run.check(answer.startsWith('OK'), `REPLICAOF was refused by ${primary.name}: ${answer}`);
      const sent = Date.now();
      await waitFor(`${primary.name} to be primary again`, 60, async () => (await run.cluster.redis(primary, 'ROLE')).startsWith('master'));
      run.note(`${primary.name} was a replica of ${replica.name} for ${((Date.now() - sent) / 1000).toFixed(1)} s`);
      await sleep(2000);
    });
    const named = await run.cluster.namedPrimary(10);
    run.check(named === primary, `the sentinels failed over to ${named.name} instead of ${primary.name} becoming primary again`);
    run.note(`writes failed for ${run.load.unavailableSeconds.toFixed(1)} s; ${run.lostUnconfirmed} unconfirmed write(s) lost`);
  },
});
