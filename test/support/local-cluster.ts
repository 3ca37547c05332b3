import { beforeEach } from 'vitest';
import { LocalCluster } from '../../src/drill/cluster.js';
import { renderForLocalCluster } from '../../src/drill/drill.js';
import { loadInputs } from '../../src/config/load.js';
import { missingPrograms, serverPrograms } from '../../src/drill/programs.js';
import { projectRoot } from './repo.js';
import { renderManifests, type Manifest } from './render.js';

export { LocalCluster, waitFor, type LocalMember } from '../../src/drill/cluster.js';

/**
 * Why an example deployment cannot run here (its engine line has no build, or a program is
 * missing), or undefined: the process tests skip with this reason.
 */
export async function exampleCannotRun(deployment: string, ...otherPrograms: string[]): Promise<string | undefined> {
  const missing = missingPrograms(...otherPrograms);
  if (missing) return missing;
  const example = (await loadInputs(projectRoot)).deployments.find((d) => d.name === deployment)!;
  const programs = serverPrograms(example.spec.redis.engine, example.spec.redis.version);
  return typeof programs === 'string' ? programs : undefined;
}

/** Why the example deployment `orders` cannot run here, or undefined. */
export const ordersCannotRun = (...otherPrograms: string[]): Promise<string | undefined> => exampleCannotRun('orders', ...otherPrograms);

/**
 * The example deployment `orders` with fast failure detection (a deployment setting, so the tests
 * take seconds), started as three sentinels and two servers of its engine line (portals are the tests' to start),
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
