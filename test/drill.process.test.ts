import { describe, expect, it } from 'vitest';
import { scriptNames } from '../charts/config/member-scripts.js';
import { drill, type DrillReport } from '../src/drill/drill.js';
import { missingPrograms, redisGitops } from './support/programs.js';
import { projectRoot } from './support/repo.js';

const skip = missingPrograms('redis-server', 'redis-sentinel', 'redis-cli', 'haproxy', 'openssl');

describe.skipIf(skip)(`redis-gitops drill on real processes${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  it('passes baseline, kill-primary, restart-old-primary and sentinel-quorum on the example deployment, losing no confirmed write', { timeout: 400_000 }, async () => {
    const scenarios = ['baseline', 'kill-primary', 'restart-old-primary', 'sentinel-quorum'];
    const run = await redisGitops(projectRoot, 'drill', 'orders', '--scenarios', scenarios.join(','), '--format', 'json', '--subnet', '127.0.7');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('drill: [4/4] sentinel-quorum: passed');
    const report = JSON.parse(run.stdout) as DrillReport;
    expect(report.passed).toBe(true);
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
      // The entrypoint as if its wait for the sentinels had already run out: it follows the designated first primary.
      alter: (rendered) => {
        const script = rendered.memberFiles[scriptNames.startRedis]!;
        expect(script).toContain('waited=0\nwhile [ -z "$primary" ]');
        return { ...rendered, memberFiles: { ...rendered.memberFiles, [scriptNames.startRedis]: script.replace('waited=0\nwhile', 'waited=30\nwhile') } };
      },
    });
    expect(report.scenarios.map((s) => s.id)).toEqual(['kill-primary', 'restart-old-primary']);
    expect(report.passed).toBe(false);
    const restart = report.scenarios[1]!;
    expect(restart.passed).toBe(false);
    expect(restart.problems.join('\n')).toMatch(/data-0 came back as a primary .*the entrypoint must ask the sentinels/);
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
