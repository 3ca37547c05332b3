import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MEMBER_LIBRARY, scriptNames } from '../charts/config/member-scripts.js';
import { PORTAL_CONFIG_FILE } from '../model/topology.js';
import { waitFor } from '../src/drill/cluster.js';
import { drill, type DrillReport } from '../src/drill/drill.js';
import { DrillNetwork } from '../src/drill/network.js';
import { OWNER_FILE, reclaimAbandonedFolders } from '../src/drill/abandoned.js';
import { cliPath, missingPrograms, redisGitops } from './support/programs.js';
import { exampleCannotRun, ordersCannotRun } from './support/local-cluster.js';
import { engineVersion } from '../model/engines.js';
import { loadInputs } from '../src/config/load.js';
import { projectRoot } from './support/repo.js';

const skip = await ordersCannotRun('haproxy', 'openssl');
const noNamespaces = skip ?? DrillNetwork.unavailable();

describe.skipIf(skip)(`redis-gitops drill on real processes${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  it('passes baseline, kill-primary, restart-old-primary and sentinel-quorum on the example deployment, losing no confirmed write', { timeout: 400_000 }, async () => {
    const scenarios = ['baseline', 'kill-primary', 'restart-old-primary', 'sentinel-quorum'];
    const run = await redisGitops(projectRoot, 'drill', 'orders', '--scenarios', scenarios.join(','), '--format', 'json', '--subnet', '127.0.7');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('drill: [4/4] sentinel-quorum: passed');
    const report = JSON.parse(run.stdout) as DrillReport;
    expect(report.passed).toBe(true);
    // The report names the binaries it ran: the orders deployment's engine line, as its server reported itself.
    const orders = (await loadInputs(projectRoot)).deployments.find((d) => d.name === 'orders')!;
    const tested = engineVersion(orders.spec.redis.engine, orders.spec.redis.version)!;
    expect(report.servers).toEqual({ engine: orders.spec.redis.engine, line: orders.spec.redis.version, version: 'tested' in tested ? tested.tested.version : 'none' });
    expect(report.scenarios.map((s) => s.id)).toEqual(scenarios);
    const byId = Object.fromEntries(report.scenarios.map((s) => [s.id, s]));
    for (const id of ['kill-primary', 'sentinel-quorum']) {
      const s = byId[id]!;
      // A failover really happened: writes failed for a while, within the bound, and came back.
      expect(s.unavailableSeconds, id).toBeGreaterThan(report.settings.downAfterMilliseconds / 1000 / 2);
      expect(s.unavailableSeconds, id).toBeLessThanOrEqual(s.boundSeconds);
      expect(s.confirmed, id).toBeGreaterThan(0);
    }
    for (const s of report.scenarios) {
      expect(s.lostConfirmed, s.id).toBe(0);
      expect(s.problems, s.id).toEqual([]);
    }
    expect(byId['restart-old-primary']!.failed).toBe(0);
    expect(byId.baseline!.notes.join('\n')).toMatch(/TLSv1 and TLSv1.1 refused, TLSv1.2 and TLSv1.3 verified, plaintext refused/);
  });

  it('fails restart-old-primary, saying why, when the entrypoint no longer asks the sentinels first', { timeout: 300_000 }, async () => {
    const progress: string[] = [];
    const report = await drill({
      root: projectRoot,
      deployment: 'orders',
      scenarios: ['restart-old-primary'],
      subnet: '127.0.8',
      keep: false,
      progress: (message) => progress.push(message),
      // The entrypoint as if it took its own word for it, without asking the sentinels: it starts as the primary.
      alter: (rendered) => {
        const script = rendered.memberFiles[scriptNames.startRedis]!;
        expect(script).toContain("primary=''\nwaited=0\n");
        return { ...rendered, memberFiles: { ...rendered.memberFiles, [scriptNames.startRedis]: script.replace("primary=''\nwaited=0\n", 'primary=$MEMBER_HOST\nwaited=0\n') } };
      },
    });
    expect(report.scenarios.map((s) => s.id)).toEqual(['kill-primary', 'restart-old-primary']);
    expect(report.passed).toBe(false);
    const restart = report.scenarios[1]!;
    expect(restart.passed).toBe(false);
    expect(restart.problems.join('\n')).toMatch(/data-0 came back as a primary .*the entrypoint must ask the sentinels/);
  });

  it.skipIf(noNamespaces)(
    `fails the partition scenarios, saying why, without the portals' session cut and with an entrypoint that counts only the sentinels that answer${noNamespaces ? ` [skipped: ${noNamespaces}]` : ''}`,
    { timeout: 400_000 },
    async () => {
      const report = await drill({
        root: projectRoot,
        deployment: 'orders',
        scenarios: ['partition-sentinels', 'partition-restart'],
        subnet: '127.0.14',
        keep: false,
        progress: () => undefined,
        alter: (rendered) => {
          const cfg = rendered.portalFiles[PORTAL_CONFIG_FILE]!;
          const library = rendered.memberFiles[MEMBER_LIBRARY]!;
          const majorityOfAll = 'if [ $((votes * 2)) -gt "$configured" ]; then';
          expect(cfg).toMatch(/^\s*lua-load .*\n/m);
          expect(library).toContain(majorityOfAll);
          return {
            ...rendered,
            // The portals without their Lua task: sessions are cut only when the role check fails.
            portalFiles: { ...rendered.portalFiles, [PORTAL_CONFIG_FILE]: cfg.replace(/^\s*lua-load .*\n/m, '') },
            // A majority of the sentinels that answer, as before: a member cut off hears only its own.
            memberFiles: { ...rendered.memberFiles, [MEMBER_LIBRARY]: library.replace(majorityOfAll, 'if [ $((votes * 2)) -gt "$(printf \'%s\\n\' "$1" | grep -c .)" ]; then') },
          };
        },
      });
      expect(report.scenarios.map((s) => [s.id, s.passed])).toEqual([
        ['partition-sentinels', false],
        ['partition-restart', false],
      ]);
      const [asymmetric, restart] = report.scenarios;
      expect(asymmetric!.problems.join('\n')).toMatch(/a write was routed through a portal to a redis the sentinel majority had stopped naming \d+\.\d s before/);
      expect(asymmetric!.partition!.staleRouted).toBeGreaterThan(0);
      expect(restart!.problems.join('\n')).toMatch(/the member restarted during the partition came up as a primary/);
      // Even so, no write confirmed with WAIT 1 was lost.
      for (const s of report.scenarios) expect(s.lostConfirmed, s.id).toBe(0);
    },
  );

  it('stops every process and removes its folder when interrupted with Ctrl-C', { timeout: 120_000 }, async () => {
    const drill = await drillUntilBaseline('127.0.12');
    expect(existsSync(drill.folder)).toBe(true);
    drill.child.kill('SIGINT');
    expect(await drill.exited).toBe(130);
    expect(drill.stderr()).toContain('SIGINT: stopping every process of the drill');
    expect(existsSync(drill.folder)).toBe(false);
    // With network namespaces (as root), every one of the drill's is gone (named after its process id).
    if (!noNamespaces) expect(execFileSync('ip', ['netns', 'list']).toString()).not.toMatch(new RegExp(`^rgd${drill.child.pid}-`, 'm'));
    await expectNoProcessLeft(drill);
  });

  // Killed outright no exit handler runs: the kernel stops its servers at once (setpriv --pdeathsig),
  // and the next drill kills what is left of it (the entrypoints' background loops) and removes its
  // folder and network (reclaimAbandonedFolders, DrillNetwork.reclaimAbandoned). Before, all of it
  // ran on, and its addresses refused every later drill on its subnet.
  it('leaves nothing running once the next drill has started, when killed outright (SIGKILL)', { timeout: 120_000 }, async () => {
    const drill = await drillUntilBaseline('127.0.17');
    drill.child.kill('SIGKILL');
    expect(await drill.exited).toBe(null);
    expect(existsSync(path.join(drill.folder, OWNER_FILE))).toBe(true);
    expect(reclaimAbandonedFolders()).toContain(drill.folder);
    if (!noNamespaces) expect(DrillNetwork.reclaimAbandoned()).toContain(`rgd${drill.child.pid}-hub`);
    expect(existsSync(drill.folder)).toBe(false);
    await expectNoProcessLeft(drill);
    if (!noNamespaces) expect(execFileSync('ip', ['netns', 'list']).toString()).not.toMatch(new RegExp(`^rgd${drill.child.pid}-`, 'm'));
  });

  it('skips backup-restore, saying why, for a deployment without backup:', { timeout: 300_000 }, async (context) => {
    const why = await exampleCannotRun('sessions', 'haproxy', 'openssl');
    if (why) return context.skip(why);
    const run = await redisGitops(projectRoot, 'drill', 'sessions', '--scenarios', 'backup-restore', '--format', 'json', '--subnet', '127.0.13');
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as DrillReport).scenarios).toEqual([
      expect.objectContaining({ id: 'backup-restore', passed: true, skipped: 'deployment sessions has no backup: in its file' }),
    ]);
  });

  it('names the deployments there are when asked for one that does not exist, and rejects an unknown scenario', async () => {
    const unknown = await redisGitops(projectRoot, 'drill', 'nosuch');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('deployments/nosuch.yaml: no such deployment (deployments here: orders, sessions)');
    const badScenario = await redisGitops(projectRoot, 'drill', 'orders', '--scenarios', 'kill-primary,meteor');
    expect(badScenario.code).toBe(2);
    expect(badScenario.stderr).toContain('unknown scenario meteor');
  });
});

/** The processes below `pid` (its children, theirs, ...), from ps. */
interface RunningDrill {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Its folder (configuration, logs, data), from its progress. */
  folder: string;
  stderr: () => string;
  /** Its descendants once its first scenario has started. */
  launched: number[];
}

/** The CLI's full drill of orders on `subnet`, once its cluster runs and its first scenario has started. */
async function drillUntilBaseline(subnet: string): Promise<RunningDrill> {
  const child = spawn(process.execPath, [cliPath, 'drill', 'orders', '--subnet', subnet], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  const folder = await new Promise<string>((resolve) =>
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const found = /\(folder (\S+)\)/.exec(stderr)?.[1];
      if (found && /\[1\/\d+\] baseline/.test(stderr)) resolve(found);
    }),
  );
  return { child, exited, folder, stderr: () => stderr, launched: descendants(child.pid!) };
}

/**
 * No process of the drill is left (its TLS clients end by themselves within 10 s): none of those it
 * had started when stopped, and none naming its folder (a TLS client started meanwhile names the CA
 * file there). Not by address: another drill on the machine may use the same one; nor by
 * connecting: where the default route leads to a proxy that accepts every connection, as on some CI
 * machines, 198.18.x addresses "answer" from outside the drill's network.
 */
async function expectNoProcessLeft({ launched, folder }: RunningDrill): Promise<void> {
  expect(launched.length).toBeGreaterThan(5);
  const leftovers = () =>
    execFileSync('ps', ['-eo', 'pid=,stat=,args='])
      .toString()
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([pid, stat, ...args]) => pid && !stat!.startsWith('Z') && (launched.includes(Number(pid)) || args.join(' ').includes(folder)))
      .map((fields) => fields.join(' '));
  await waitFor('the drill processes to be gone', 12, async () => leftovers().length === 0).catch(() => undefined);
  expect(leftovers()).toEqual([]);
}

function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const line of execFileSync('ps', ['-eo', 'pid=,ppid=']).toString().split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (child && parent) children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const found: number[] = [];
  for (let queue = [pid]; queue.length; ) {
    const next = children.get(queue.shift()!) ?? [];
    found.push(...next);
    queue.push(...next);
  }
  return found;
}
