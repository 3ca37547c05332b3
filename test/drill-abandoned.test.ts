import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { OWNER_FILE, reclaimAbandonedFolders, running } from '../src/drill/abandoned.js';
import { waitFor } from '../src/drill/waits.js';

const cannot = !existsSync('/proc/self/stat') ? 'Linux only (/proc)' : spawnSync('sh', ['-c', 'command -v script']).status !== 0 ? 'no `script` (util-linux) to give a process a terminal' : undefined;

// What the next drill does with the folder of a drill killed outright (drill.process.test.ts kills a
// real one): the processes it left are killed, the folder removed; a process someone runs in a
// terminal on a file there (`tail -f` of a log) is not theirs to kill.
describe.skipIf(cannot)(`a drill's folder left by a drill that no longer runs${cannot ? ` [skipped: ${cannot}]` : ''}`, () => {
  it('is removed with the processes the drill left running there, and nothing run from a terminal', async () => {
    const dead = spawnSync('true').pid!;
    const folder = mkdtempSync(path.join(tmpdir(), 'redis-gitops-abandoned-'));
    writeFileSync(path.join(folder, OWNER_FILE), String(dead));
    writeFileSync(path.join(folder, 'redis.log'), 'started\n');
    // As the drill leaves them: in a session of their own, no terminal; one by its working folder.
    const left = spawn('sleep', ['300'], { cwd: folder, detached: true, stdio: 'ignore' });
    // Someone's terminal: `script` gives tail a pseudo-terminal; the log's path comes in a variable, so
    // that only tail's own command line names it.
    const watcher = spawn('script', ['-qc', 'exec tail -f "$LOG"', '/dev/null'], { env: { ...process.env, LOG: path.join(folder, 'redis.log') }, stdio: 'ignore' });
    onTestFinished(() => {
      for (const child of [left, watcher]) child.kill('SIGKILL');
      spawnSync('pkill', ['-f', `tail -f ${folder}/`]);
    });
    const tail = () => spawnSync('pgrep', ['-f', `tail -f ${folder}/redis.log`], { encoding: 'utf8' }).stdout.trim();
    await waitFor('tail to run', 10, async () => tail() !== '');

    expect(reclaimAbandonedFolders()).toContain(folder);
    expect(existsSync(folder)).toBe(false);
    await waitFor('the process the drill left to be gone', 10, async () => left.exitCode !== null || left.signalCode !== null);
    expect(left.signalCode).toBe('SIGKILL');
    const spared = tail();
    expect(spared).not.toBe('');
    expect(running(Number(spared))).toBe(true);
  });
});
