import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { addressesInUse } from '../src/drill/addresses.js';
import { DrillNetwork } from '../src/drill/network.js';
import { ordersCannotRun } from './support/local-cluster.js';
import { redisGitops } from './support/programs.js';
import { projectRoot } from './support/repo.js';

const noNamespaces = DrillNetwork.unavailable();
// The drill checks its programs first: without the deployment's build it stops before its addresses.
const cannot = noNamespaces ?? (await ordersCannotRun('haproxy', 'openssl'));

// What the drill says when its addresses are taken (another drill on the same --subnet, most often),
// rather than timing out a minute later waiting for a primary.
describe('the drill on addresses already in use', () => {
  it('names a listener on one of its loopback addresses, with the process that holds it', async () => {
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.77.12', resolve));
    onTestFinished(() => void server.close());
    const port = (server.address() as { port: number }).port;
    const found = addressesInUse('127.0.77', ['127.0.77.11', '127.0.77.12'], false);
    expect(found).toContain(`address already in use: 127.0.77.12:${port} (`);
    expect(found).toContain(`, process ${process.pid})`);
    expect(found).toContain('probably another drill on --subnet 127.0.77');
    expect(addressesInUse('127.0.78', ['127.0.78.11'], false)).toBeUndefined();
  });

  it.skipIf(cannot)(
    `refuses, exit 2, a subnet another drill's interface holds, naming it and that drill${cannot ? ` [skipped: ${cannot}]` : ''}`,
    async () => {
      // An interface as a running drill names its own (rgd<pid>): this process stands for that drill.
      const link = `rgd${process.pid}`;
      execFileSync('ip', ['link', 'add', link, 'type', 'veth', 'peer', 'name', `${link}p`]);
      onTestFinished(() => void execFileSync('ip', ['link', 'del', link]));
      execFileSync('ip', ['addr', 'add', '198.18.77.1/24', 'dev', link]);
      execFileSync('ip', ['link', 'set', link, 'up']);
      const { code, stderr } = await redisGitops(projectRoot, 'drill', 'orders', '--scenarios', 'baseline', '--subnet', '127.0.77');
      expect(code).toBe(2);
      expect(stderr).toContain(`198.18.77.1 (the drill's subnet 198.18.77.0/24) is already on interface ${link} (another drill, process ${process.pid}: `);
      expect(stderr).toContain('run this drill with another --subnet');
      expect(stderr).not.toContain('timed out');
    },
  );

  it.skipIf(noNamespaces)(
    `removes what a drill killed outright left (its namespaces and observer link), and nothing of a drill that still runs${noNamespaces ? ` [skipped: ${noNamespaces}]` : ''}`,
    () => {
      // A drill that died without disposing: a hub namespace and an observer link holding 198.18.78.1,
      // named after a process id that no longer runs (a child that has exited).
      const dead = spawnSync('true').pid;
      const [hub, link, live] = [`rgd${dead}-hub`, `rgd${dead}`, `rgd${process.pid}-hub`];
      const exists = (...show: string[]) => spawnSync('ip', show).status === 0;
      onTestFinished(() => {
        for (const ns of [hub, live]) if (exists('netns', 'pids', ns)) execFileSync('ip', ['netns', 'del', ns]);
        if (exists('link', 'show', link)) execFileSync('ip', ['link', 'del', link]);
      });
      execFileSync('ip', ['netns', 'add', hub]);
      execFileSync('ip', ['netns', 'add', live]);
      execFileSync('ip', ['link', 'add', link, 'type', 'veth', 'peer', 'name', 'observer', 'netns', hub]);
      execFileSync('ip', ['addr', 'add', '198.18.78.1/24', 'dev', link]);
      expect(addressesInUse('198.18.78', [], true)).toContain(`is already on interface ${link} (left by a drill, process ${dead}, that no longer runs`);

      const removed = DrillNetwork.reclaimAbandoned();
      expect(removed).toContain(hub);
      expect(removed).not.toContain(live);
      expect(exists('netns', 'pids', hub)).toBe(false);
      expect(exists('link', 'show', link)).toBe(false);
      expect(exists('netns', 'pids', live)).toBe(true);
      expect(addressesInUse('198.18.78', [], true)).toBeUndefined();
    },
  );
});
