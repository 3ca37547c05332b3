import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecordedRollout } from '../src/drill/recorded-rollout.js';
import { projectRoot, tempDir } from './support/repo.js';

// The files the engine tier records and the drill replays (drill --rollout): the committed ones are
// well formed, and a broken one is refused naming the file and what is wrong, before anything runs.
const RECORDED = path.join(projectRoot, 'test', 'engine', 'recorded');

const valid = {
  class: 'config-edit',
  change: 'redis.evictionPolicy noeviction → allkeys-lru',
  from: 'valkey 8.1.1',
  deleted: ['replica', 'primary'],
  restarts: [
    { member: 'replica', what: 'stopped' },
    { member: 'replica', what: 'started', build: 'valkey 8.1.1' },
    { member: 'replica', what: 'ready' },
    { member: 'primary', what: 'stopped' },
    { member: 'primary', what: 'started', build: 'valkey 8.1.1' },
    { member: 'primary', what: 'ready' },
  ],
  primaryChanges: 1,
};

function written(content: unknown): string {
  const file = path.join(tempDir(), 'rollout.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('recorded rollouts', () => {
  it('every committed one reads, one per change class the engine tier applies', () => {
    const files = readdirSync(RECORDED).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(
      ['ca-finish', 'ca-start', 'ca-switch', 'config-edit', 'memory', 'passwords-finish', 'passwords-start', 'passwords-switch', 'platform-grant', 'sentinel-setting', 'service-user', 'upgrade'].map((c) => `${c}.json`),
    );
    for (const f of files) expect(readRecordedRollout(path.join(RECORDED, f)).class).toBe(f.replace(/\.json$/, ''));
  });

  it('reads a well-formed one', () => {
    expect(readRecordedRollout(written(valid))).toEqual(valid);
  });

  it.each([
    ['not JSON', '{', /rollout\.json: .*JSON/],
    ['an unknown role', { ...valid, deleted: ['leader'] }, /not a recorded rollout .*deleted\.0: Invalid option/],
    ['a build without its engine', { ...valid, from: '8.1.1' }, /from: expected "<engine> <major\.minor\.patch>"/],
    ['a start before the stop', { ...valid, restarts: valid.restarts.slice(1) }, /restarts\.0: started replica, but replica is running/],
    ['a member never ready again', { ...valid, restarts: valid.restarts.slice(0, 5) }, /restarts: primary never ready again/],
    ['deletions that are not the stops', { ...valid, deleted: ['primary', 'replica'] }, /deleted: primary, replica, but the members stopped in the order replica, primary/],
  ])('refuses %s, naming the file and the field', (_, content, message) => {
    expect(() => readRecordedRollout(written(content))).toThrow(message);
  });
});
