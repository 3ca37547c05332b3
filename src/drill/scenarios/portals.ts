import { sleep, waitFor } from '../waits.js';
import { defineScenario, noFailedWrites } from './scenario.js';

export const portals = defineScenario({
  id: 'portals',
  description: 'Kill one portal, then the other',
  injects: 'SIGKILL one portal, restart it, then the other',
  asserts: 'no write fails beyond the retries',
  bound: noFailedWrites,
  async perform(run) {
    await run.underWriteLoad('drill:portals', async () => {
      for (const portal of run.cluster.portals) {
        run.progress(`killing ${portal.name}`);
        await run.cluster.killPortal(portal);
        await sleep(3000);
        run.cluster.startPortal(portal);
        await waitFor(`${portal.name} to route to the primary`, 30, async () => (await run.cluster.viaPortal(portal, 'admin', 'SET', 'drill:portal', portal.name)) === 'OK');
      }
    });
    run.note('clients moved to the other portal and back');
  },
});
