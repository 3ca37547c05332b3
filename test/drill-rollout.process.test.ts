import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { drill, type DrillReport } from '../src/drill/drill.js';
import { readRecordedRollout } from '../src/drill/recorded-rollout.js';
import { serverPrograms } from '../src/drill/programs.js';
import { missingPrograms, redisGitops } from './support/programs.js';
import { projectRoot, tempDir } from './support/repo.js';

// drill --rollout: the order the engine tier recorded (test/engine/recorded/) replayed on real
// processes under portal and direct writers. The sessions deployment runs Valkey 8.1, the build the
// tier's deployment ran before each change.
const skip =
  missingPrograms('haproxy', 'openssl') ??
  [serverPrograms('valkey', '8.1'), serverPrograms('valkey', '9.1')].find((p): p is string => typeof p === 'string');
const recorded = (c: string) => path.join(projectRoot, 'test', 'engine', 'recorded', `${c}.json`);

describe.skipIf(skip)(`drill --rollout on real processes${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  it('replays a configuration edit and the upgrade to Valkey 9.1 in the recorded order: one primary change each, nothing confirmed lost', { timeout: 600_000 }, async () => {
    // The upgrade named first: the drill replays it last (it leaves the members on 9.1).
    const run = await redisGitops(projectRoot, 'drill', 'sessions', '--rollout', recorded('upgrade'), recorded('config-edit'), '--format', 'json', '--subnet', '127.0.33');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as DrillReport;
    expect(report.scenarios.map((s) => s.id)).toEqual(['rollout:config-edit', 'rollout:upgrade']);
    for (const s of report.scenarios) {
      const file = readRecordedRollout(recorded(s.rollout!.class));
      expect(s.problems, s.id).toEqual([]);
      expect(s.rollout!.order, s.id).toEqual(file.deleted);
      expect(s.rollout!.primaryChanges, s.id).toBe(1);
      expect(s.rollout!.handOverSeconds, s.id).toBeGreaterThan(0);
      expect(s.confirmed, s.id).toBeGreaterThan(0);
      expect(s.rollout!.direct.confirmed, s.id).toBeGreaterThan(0);
      expect(s.lostConfirmed, s.id).toBe(0);
      expect(s.failed, s.id).toBe(0);
    }
    expect(run.stderr).toMatch(/starting the primary \(data-\d\) on valkey 9\.1\.2/);
  });

  it('fails a replay whose order hands the primary role over twice, saying so', { timeout: 300_000 }, async () => {
    // The primary restarted first, then the replica (now the primary): two hand-overs.
    const file = readRecordedRollout(recorded('config-edit'));
    const swap = (role: string) => (role === 'primary' ? 'replica' : role === 'replica' ? 'primary' : role);
    const twice = { ...file, deleted: file.deleted.map(swap), restarts: file.restarts.map((e) => ({ ...e, member: swap(e.member) })) };
    const tampered = path.join(tempDir(), 'primary-first.json');
    writeFileSync(tampered, JSON.stringify(twice));
    const report: DrillReport = await drill({ root: projectRoot, deployment: 'sessions', scenarios: [], rollouts: [tampered], subnet: '127.0.33', keep: false, progress: () => undefined });
    expect(report.passed).toBe(false);
    expect(report.scenarios[0]!.problems.join('\n')).toMatch(/the primary changed 2 times \(at most once per rollout\)/);
  });

  it('refuses, before starting anything, a recorded rollout of another build or a malformed one', async () => {
    const other = await redisGitops(projectRoot, 'drill', 'orders', '--rollout', recorded('config-edit'));
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/config-edit\.json: recorded on valkey 8\.1\.1, but orders runs redis 8\.6\.3: replay it on a deployment of that build/);
    const broken = path.join(tempDir(), 'broken.json');
    writeFileSync(broken, readFileSync(recorded('config-edit'), 'utf8').replace('"primaryChanges": 1', '"primaryChanges": "one"'));
    const bad = await redisGitops(projectRoot, 'drill', 'sessions', '--rollout', broken);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/broken\.json: not a recorded rollout .*primaryChanges/);
  });
});
