import { createServer } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LocalCluster } from '../src/drill/cluster.js';
import { RETRY, WriteLoad } from '../src/drill/write-load.js';
import { ADMIN_USER } from '../model/users.js';
import { projectRoot } from './support/repo.js';

/** A loopback port nothing listens on: taken from the kernel, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("the drill's write load", () => {
  it('reports writes that never succeeded again as unavailable until it stopped, not as 0 s', async () => {
    // WriteLoad reads only the CA file and the password from the cluster: the target refuses every connection.
    const cluster = { caFile: path.join(projectRoot, 'clusters/example.sealing-cert.TEST-ONLY.pem'), passwords: { [ADMIN_USER]: 'unused' } } as unknown as LocalCluster;
    const load = new WriteLoad(cluster, 'test', { targets: [{ host: '127.0.0.1', port: await closedPort() }] }).start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const result = await load.stop();
    expect(result.endedUnavailable).toBe(true);
    expect(result.failed).toBe(1);
    expect(result.unavailableSeconds).toBeGreaterThanOrEqual(RETRY.forMs / 1000);
  }, 30_000);
});
