import { beforeEach } from 'vitest';
import { LocalCluster } from '../../src/drill/cluster.js';
import { renderForLocalCluster } from '../../src/drill/drill.js';
import { loadInputs } from '../../src/config/load.js';
import { projectRoot } from './repo.js';
import { renderManifests, type Manifest } from './render.js';

export { LocalCluster, waitFor, type LocalMember } from '../../src/drill/cluster.js';

/**
 * The example deployment `orders` with fast failure detection (a deployment setting, so the tests
 * take seconds), started as three sentinels and two redis (portals are the tests' to start),
 * replication up and known to every sentinel. Returns the cluster and the deployment's manifests.
 */
export async function launchOrders(subnet: string): Promise<{ cluster: LocalCluster; manifests: Map<string, Manifest> }> {
  const inputs = await loadInputs(projectRoot);
  const orders = inputs.deployments.find((d) => d.name === 'orders')!;
  // 3 s, not less: a sentinel that misses PONGs for down-after fails over, and a loaded CI machine
  // stalls processes for over a second; sentinel's own guard (TILT) only covers stalls over 2 s.
  orders.spec.sentinel = { downAfterMilliseconds: 3000, failoverTimeout: 10000 };
  const cluster = await LocalCluster.create(await renderForLocalCluster(projectRoot, orders), subnet);
  for (const member of cluster.members) cluster.start(member, 'sentinel');
  for (const member of cluster.dataMembers) cluster.start(member, 'redis');
  await cluster.settled(60);
  return { cluster, manifests: await renderManifests(inputs) };
}

/** Registers a hook that prints the cluster's roles and logs when a test of the file fails. */
export function diagnoseOnFailure(cluster: () => LocalCluster | undefined): void {
  beforeEach(({ onTestFailed }) =>
    onTestFailed(async () => {
      const c = cluster();
      if (c) console.error(await c.diagnose());
    }),
  );
}
