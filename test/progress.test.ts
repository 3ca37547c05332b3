import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { terminalProgress } from '../src/progress.js';
import { cliPath } from './support/programs.js';
import { projectRoot, tempRepo } from './support/repo.js';

/** A stream that records what is written, a terminal or not, and a clock the test moves. */
function fakeTerminal(isTTY: boolean) {
  const written: string[] = [];
  let now = 0;
  return {
    stream: { isTTY, write: (text: string) => written.push(text) > 0 },
    written,
    at: (ms: number) => (now = ms),
    now: () => now,
  };
}

describe('progress of a long run', () => {
  it('shows nothing where stderr is no terminal (a pipe, a file, a CI log)', () => {
    const t = fakeTerminal(false);
    const p = terminalProgress('synth', t.stream, { delayMs: 0, now: t.now });
    p.phase('rendering', 10, 'deployments');
    p.advance(5);
    p.end();
    expect(t.written).toEqual([]);
  });

  it('on a terminal: nothing for a quick run, then one line rewritten in place, at most every interval, cleared at the end', () => {
    const t = fakeTerminal(true);
    const p = terminalProgress('synth', t.stream, { delayMs: 1000, intervalMs: 100, now: t.now });
    p.phase('resolving secrets', 4, 'deployments');
    t.at(500);
    p.advance();
    expect(t.written).toEqual([]);
    t.at(1000);
    p.advance();
    t.at(1050);
    p.advance(); // within the interval: not drawn
    t.at(2600);
    p.phase('rendering', 4, 'deployments'); // a new phase is drawn at once
    t.at(3000);
    p.phase('writing 120 files', 0);
    p.end();
    p.advance(); // a straggler after the end
    expect(t.written).toEqual([
      '\r\x1b[2Ksynth: resolving secrets 2/4 deployments (1 s)',
      '\r\x1b[2Ksynth: rendering 0/4 deployments (3 s)',
      '\r\x1b[2Ksynth: writing 120 files (3 s)',
      '\r\x1b[2K',
    ]);
  });

  const script = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));
  it.skipIf(!script)(`synth shows its phases on a real terminal, and only there${script ? '' : ' [skipped: no script(1) to make a terminal]'}`, () => {
    const repo = tempRepo();
    const synth = `${process.execPath} ${cliPath} synth --root ${repo} --out ${path.join(repo, 'dist')}`;
    // script(1) runs the command on a pseudo-terminal and copies what it shows; REDIS_GITOPS_PROGRESS_DELAY_MS=0 shows progress at once.
    const shown = execFileSync(script!, ['-qec', synth, '/dev/null'], { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, REDIS_GITOPS_PROGRESS_DELAY_MS: '0' } });
    expect(shown).toMatch(/synth: resolving secrets \d+\/\d+ deployments/);
    expect(shown).toMatch(/synth: rendering \d+\/\d+ deployments/);
    expect(shown).toMatch(/synth: writing \d+ files/);
    // Cleared before the result: the summary line starts on a clean line.
    expect(shown).toMatch(/\r\x1b\[2Ksynth: \d+ deployment\(s\) on/);
    // Through a pipe (as in CI), the output is what it always was: no progress.
    const piped = execFileSync(process.execPath, [cliPath, 'synth', '--root', repo, '--out', path.join(repo, 'dist'), '--full'], { encoding: 'utf8', env: { ...process.env, REDIS_GITOPS_PROGRESS_DELAY_MS: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(piped).not.toContain('\x1b[2K');
  });

  it.skipIf(!script)(`diff shows the synth it works out on a real terminal, cleared before its patches${script ? '' : ' [skipped: no script(1) to make a terminal]'}`, () => {
    const repo = tempRepo();
    // Nothing synthesized yet: every deployment is rendered to be compared.
    const diff = `${process.execPath} ${cliPath} diff --root ${repo} --out ${path.join(repo, 'dist')}`;
    const shown = execFileSync(script!, ['-qec', diff, '/dev/null'], { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, REDIS_GITOPS_PROGRESS_DELAY_MS: '0' } });
    expect(shown).toMatch(/diff: rendering \d+\/\d+ deployments/);
    // Cleared before the first patch (the diff library starts each with a line of =).
    expect(shown).toMatch(/\r\x1b\[2K=+\r\n--- a\//);
    expect(shown).toMatch(/diff: \d+ changed, \d+ added, 0 removed/);
  });
});
