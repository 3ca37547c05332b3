import { sleep } from '../waits.js';
import { defineScenario, noFailedWrites } from './scenario.js';

export const powerCycle = defineScenario({
  id: 'power-cycle',
  description: 'Power cycle: every process killed, all started at once',
  injects: 'SIGKILL every process, then start them all at once in random order',
  asserts: 'exactly one primary, watched for 2 × down-after; no confirmed write lost',
  bound: noFailedWrites,
  async perform(run) {
    run.progress('killing every process');
    await Promise.all(run.cluster.processes.map((child) => run.cluster.signal(child, 'SIGKILL')));
    const order = shuffle([
      ...run.cluster.members.map((m) => () => run.cluster.start(m, 'sentinel')),
      ...run.cluster.dataMembers.map((m) => () => run.cluster.start(m, 'redis')),
      ...run.cluster.portals.map((p) => () => run.cluster.startPortal(p)),
    ]);
    run.progress('starting every process at once, in random order');
    for (const start of order) start();
    // The entrypoints wait up to 30 s for a sentinel to name the primary.
    await run.cluster.settled(90);
    // Watch long enough for sentinels to notice and act on a second primary.
    const watchUntil = Date.now() + 2 * run.settings.downAfterMilliseconds;
    while (Date.now() < watchUntil) {
      const primaries = await run.cluster.primaries();
      run.check(primaries.length <= 1, `two primaries at once after the power cycle: ${primaries.map((m) => m.name).join(', ')}`);
      await sleep(200);
    }
    const after = await run.cluster.primaries();
    run.check(after.length === 1, `${after.length} primaries after the power cycle, expected exactly one`);
    run.note(`exactly one primary (${after.map((m) => m.name).join(', ')}) throughout ${(2 * run.settings.downAfterMilliseconds) / 1000} s of watching`);
    await run.underWriteLoad('drill:power-cycle', async () => undefined);
  },
});

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
