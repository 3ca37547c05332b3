import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarios } from '../src/drill/scenario-ids.js';
import { cliPath, redisGitops, runProgram, type Outcome } from './support/programs.js';
import { projectRoot, snapshotTree, tempDir, tempRepo, writeInput } from './support/repo.js';
import { INDEX_FILE } from '../model/dist-layout.js';

// The exit codes every command shares (src/commands/exit-codes.ts, README "Exit codes"), run as a
// user runs the CLI.

const cli = (...args: string[]) => redisGitops(projectRoot, ...args);

/** A temporary repository synthesized into its dist/. */
async function syncedRepo(): Promise<string> {
  const repo = tempRepo();
  const synth = await redisGitops(repo, 'synth');
  expect(synth.code, synth.stderr).toBe(0);
  return repo;
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);
const noStack = (outcome: Outcome) => expect(outcome.stderr).not.toMatch(/^\s+at /m);

describe('exit 0: done', () => {
  it('drill --help lists every scenario of the registry with its description, in order', async () => {
    for (const args of [['drill', '--help'], ['help', 'drill']]) {
      const help = await cli(...args);
      expect(help.code).toBe(0);
      const listed = help.stdout.split(/^Scenarios .*\n/m)[1]!.trimEnd().split('\n');
      expect(listed).toEqual(scenarios.map((s) => expect.stringMatching(new RegExp(`^  ${s.id} +${s.description.replace(/[()+]/g, '\\$&')}$`))));
    }
  });
});

describe('exit 1: the check found problems', () => {
  it('gate with violations', async () => {
    const gate = await cli('gate', 'test/fixtures/insecure-redis');
    expect(gate.code).toBe(1);
    expect(lastLine(gate.stdout)).toMatch(/^FAIL: \d+ error\(s\)/);
  });

  it('gate --check-synced with files out of step ends with a FAIL line that says why, in every format with a verdict', async () => {
    const repo = await syncedRepo();
    const synced = await redisGitops(repo, 'gate', '--check-synced');
    expect(synced.code, synced.stderr).toBe(0);
    expect(lastLine(synced.stdout)).toMatch(/^PASS: 0 error\(s\)/);

    writeFileSync(path.join(repo, 'dist/example/orders/README.md'), `${readFileSync(path.join(repo, 'dist/example/orders/README.md'), 'utf8')}edited\n`);
    const text = await redisGitops(repo, 'gate', '--check-synced');
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('changed  example/orders/README.md');
    expect(text.stdout).not.toContain('PASS');
    expect(lastLine(text.stdout)).toMatch(/^FAIL: 0 error\(s\), 0 warning\(s\) .*; dist\/ is not what synth makes of the inputs \(1 file\(s\)\)$/);
    const markdown = await redisGitops(repo, 'gate', '--check-synced', '--format', 'markdown');
    expect(markdown.code).toBe(1);
    expect(markdown.stdout).toContain('### Policy gate: failed');
  });
});

describe('exit 2: bad usage or bad input', () => {
  it('an unknown command, option, scenario or rotation, or a missing mandatory option', async () => {
    for (const args of [['deploy'], ['synth', '--colour'], ['gate', 'dist', '--colour'], ['drill', 'orders', '--scenarios', 'kill-primary,meteor'], ['rotate', 'orders'], ['rotate', 'orders', '--what', 'keys'], ['rotate', 'orders', '--what', 'ca', '--step', 'later']]) {
      const outcome = await cli(...args);
      expect(outcome.code, args.join(' ')).toBe(2);
      expect(outcome.stderr, args.join(' ')).toMatch(/^error: /);
    }
    expect((await cli('drill', 'orders', '--scenarios', 'kill-primary,meteor')).stderr).toContain('unknown scenario meteor: choose from baseline,');
    expect((await cli('drill', 'orders', '--skip', 'meteor')).stderr).toContain('unknown scenario meteor: choose from baseline,');
    const nothingLeft = await cli('drill', 'orders', '--scenarios', 'baseline,portals', '--skip', 'portals,baseline');
    expect([nothingLeft.code, nothingLeft.stderr]).toEqual([2, 'drill: --skip leaves no scenario to run\n']);
    expect((await cli('rotate', 'orders', '--what', 'ca,keys')).stderr).toContain('unknown rotation keys: choose from ca, passwords, server');
    expect((await cli('rotate', 'orders', '--what', 'ca', '--step', 'later')).stderr).toContain("argument 'later' is invalid. Allowed choices are start, switch, finish.");
    const together = await cli('rotate', 'orders', '--what', 'ca,server');
    expect([together.code, together.stderr]).toEqual([2, 'rotate: --what ca and --what server are two steps of one CA rotation: take one at a time, each committed and synced before the next\n']);
    const serverStep = await cli('rotate', 'orders', '--what', 'server', '--step', 'finish');
    expect([serverStep.code, serverStep.stderr]).toEqual([2, "rotate: --what server is the CA rotation's switch step (--what ca --step switch) and takes no --step\n"]);
  });

  it('an unknown deployment for diff, rotate and drill, naming its file and the deployments there are', async () => {
    const repo = await syncedRepo();
    const before = readFileSync(path.join(repo, 'dist', INDEX_FILE), 'utf8');
    for (const args of [['diff', 'nosuch'], ['rotate', 'nosuch', '--what', 'ca'], ['drill', 'nosuch']]) {
      const outcome = await redisGitops(repo, ...args);
      expect(outcome.code, args.join(' ')).toBe(2);
      expect(outcome.stderr).toBe(`${args[0]}: deployments/nosuch.yaml: no such deployment (deployments here: orders, sessions)\n`);
      expect(outcome.stdout).toBe('');
    }
    expect(readFileSync(path.join(repo, 'dist', INDEX_FILE), 'utf8')).toBe(before);
  });

  it('input files that do not validate: every mistake with its file, line and field, for synth, diff and gate --check-synced', async () => {
    const repo = await syncedRepo();
    writeInput(repo, 'deployments/orders.yaml', 'cluster: example\nredis: {memory: lots}\npersistence: {size: 10Gi}\nextra: 1\n');
    const mistakes = ['  deployments/orders.yaml:2:9: redis.memory: expected a Kubernetes quantity', '  deployments/orders.yaml:4:1: extra: unknown field'];
    const cases: [string[], string][] = [
      [['synth'], 'synth: 2 problem(s) in the inputs; dist/ and state/ were left unchanged\n'],
      [['diff'], 'diff: 2 problem(s) in the inputs\n'],
      [['diff', 'orders'], 'diff: 2 problem(s) in the inputs\n'],
      [['gate', '--check-synced'], 'gate: 2 problem(s) in the inputs\n'],
    ];
    for (const [args, header] of cases) {
      const outcome = await redisGitops(repo, ...args);
      expect(outcome.code, args.join(' ')).toBe(2);
      expect(outcome.stderr.startsWith(header), outcome.stderr).toBe(true);
      for (const mistake of mistakes) expect(outcome.stderr).toContain(mistake);
      noStack(outcome);
    }
  });

  it('a --root that is no folder, and a root without clusters/ that would empty dist/ (a wrong working folder): exit 2, nothing removed', async () => {
    const repo = await syncedRepo();
    for (const command of ['synth', 'diff', 'rotate orders --what ca', 'drill orders', 'gate --check-synced', 'test-sealing-key example']) {
      const outcome = await redisGitops(repo, ...command.split(' '), '--root', 'nowhere');
      expect([outcome.code, outcome.stderr], command).toEqual([2, "error: option '--root <dir>' argument 'nowhere' is invalid. no such folder nowhere\n"]);
    }
    const before = snapshotTree(path.join(repo, 'dist'));
    const elsewhere = tempDir();
    const wrongFolder = await redisGitops(repo, 'synth', '--root', elsewhere);
    expect(wrongFolder.code).toBe(2);
    expect(wrongFolder.stderr).toBe(
      `synth: 1 problem(s) in the inputs; dist/ and state/ were left unchanged\n  clusters/: no such folder under ${elsewhere}, so synth would remove everything in dist/ (4 folders): ` +
        'run it at the repository root (or give --root); to remove every cluster, keep an empty clusters/ folder\n',
    );
    expect(snapshotTree(path.join(repo, 'dist'))).toEqual(before);
    // Said with an empty clusters/ folder, it is meant: every cluster's files go.
    mkdirSync(path.join(elsewhere, 'clusters'));
    const givenUp = await redisGitops(repo, 'synth', '--root', elsewhere);
    expect(givenUp.code, givenUp.stderr).toBe(0);
    expect(givenUp.stdout).toMatch(/^synth: 0 deployment\(s\) on 0 cluster\(s\).* 90 removed/);
  });

  it('an --out through a file or a symbolic link to nothing: exit 2 naming it, for every command with --out, before anything runs', async () => {
    const repo = await syncedRepo();
    const dir = tempDir();
    writeFileSync(path.join(dir, 'a-file'), '');
    symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'a-dangling-link'));
    const cases: [string, string][] = [
      [path.join(dir, 'a-file'), `${path.join(dir, 'a-file')} is a file, not a folder`],
      [path.join(dir, 'a-file', 'out'), `${path.join(dir, 'a-file')} is a file, not a folder`],
      [path.join(dir, 'a-dangling-link', 'out'), `${path.join(dir, 'a-dangling-link')} is a symbolic link to nothing (${path.join(dir, 'nowhere')})`],
    ];
    for (const [out, message] of cases) {
      for (const command of ['synth', 'schemas', 'diff', 'rotate orders --what ca']) {
        const outcome = await redisGitops(repo, ...command.split(' '), '--out', out);
        expect([outcome.code, outcome.stderr], `${command} --out ${out}`).toEqual([2, `error: option '--out <dir>' argument '${out}' is invalid. ${message}\n`]);
      }
    }
  });

  it('an unreadable manifest for the gate, named with its line', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'notes.yaml'), 'key: [unclosed\n');
    const gate = await cli('gate', dir);
    expect(gate.code).toBe(2);
    expect(gate.stderr).toMatch(new RegExp(`^gate: ${dir}/notes.yaml: invalid YAML at line \\d+`));
    noStack(gate);
  });
});

describe('exit 70: an internal error', () => {
  // A bug cannot be written on purpose into the CLI, so one is put in from outside: a module loaded
  // before it (node --import) makes mkdirSync throw a TypeError for a folder named for the test.
  const bug = `data:text/javascript,${encodeURIComponent(
    `import fs from 'node:fs'; import { syncBuiltinESMExports } from 'node:module';
     const mkdir = fs.mkdirSync;
     fs.mkdirSync = (dir, ...rest) => { if (String(dir).endsWith('a-bug-here')) throw new TypeError('injected for the test'); return mkdir(dir, ...rest); };
     syncBuiltinESMExports();`,
  )}`;
  const buggy = (args: string[], env?: NodeJS.ProcessEnv) => runProgram(process.execPath, ['--import', bug, cliPath, ...args], projectRoot, env && { ...process.env, ...env });

  it('says in one line what failed and that it is a bug; the stack trace only with --verbose or REDIS_GITOPS_VERBOSE=1', async () => {
    const out = path.join(tempDir(), 'a-bug-here');
    const quiet = await buggy(['schemas', '--out', out]);
    expect(quiet.code).toBe(70);
    expect(quiet.stderr).toBe('schemas: internal error: TypeError: injected for the test (this is a bug in redis-gitops; --verbose or REDIS_GITOPS_VERBOSE=1 prints its stack trace)\n');

    for (const verbose of [() => buggy(['schemas', '--out', out, '--verbose']), () => buggy(['--verbose', 'schemas', '--out', out]), () => buggy(['schemas', '--out', out], { REDIS_GITOPS_VERBOSE: '1' })]) {
      const outcome = await verbose();
      expect(outcome.code).toBe(70);
      expect(outcome.stderr).toContain('schemas: internal error: TypeError: injected for the test (this is a bug in redis-gitops; its stack trace follows)\n');
      expect(outcome.stderr).toMatch(/^\s+at .*schemas\.ts/m);
    }
  });
});

describe('exit 70: the system refused a file operation', () => {
  it('an output folder the file system will not make (under /proc) fails at once, naming it, without a stack trace or the word bug', async () => {
    const repo = await syncedRepo();
    const before = snapshotTree(path.join(repo, 'dist'));
    // node's recursive mkdir retried there for ever (synth spun at 100% CPU).
    for (const command of ['synth', 'schemas']) {
      const outcome = await redisGitops(repo, command, '--out', '/proc/redis-gitops/out');
      expect([outcome.code, outcome.stderr.split('\n')[0]], command).toEqual([70, expect.stringMatching(new RegExp(`^${command}: cannot mkdir /proc/redis-gitops: the file system takes no folders there \\(ENOENT\\)`))]);
      expect(outcome.stderr).not.toContain('bug');
      noStack(outcome);
    }
    expect(snapshotTree(path.join(repo, 'dist'))).toEqual(before);
  });
});

describe('options before or after the arguments', () => {
  it('rotate, diff, gate and drill take their options on either side of their arguments', async () => {
    const repo = await syncedRepo();
    for (const args of [
      ['rotate', '--what', 'passwords', 'orders'],
      ['rotate', 'orders', '--what', 'passwords', '--step', 'switch'],
      ['rotate', '--step', 'finish', 'orders', '--what', 'passwords'],
      ['rotate', 'orders', '--what', 'ca,passwords'],
      ['rotate', '--what', 'server', 'orders'],
    ]) {
      const rotate = await redisGitops(repo, ...args);
      expect(rotate.code, `${args.join(' ')}\n${rotate.stderr}`).toBe(0);
      expect(rotate.stdout).toMatch(/^ {2}orders: /m);
    }
    for (const args of [['diff', '--out', 'dist', 'sessions'], ['diff', 'sessions', '--out', 'dist']]) {
      const diff = await redisGitops(repo, ...args);
      expect(diff.code, diff.stderr).toBe(0);
      expect(diff.stdout).toBe('diff: 0 changed, 0 added, 0 removed\n');
    }
    for (const args of [['gate', '--allow-storage-class', 'standard', 'test/fixtures/insecure-redis'], ['gate', 'test/fixtures/insecure-redis', '--allow-storage-class', 'standard']]) {
      const gate = await cli(...args);
      expect(gate.code, gate.stderr).toBe(1);
      expect(gate.stdout).toContain('test/fixtures/insecure-redis/');
    }
    // Parsed whole (the deployment is looked for, not taken as a scenario), before any process starts.
    const drill = await redisGitops(repo, 'drill', '--scenarios', 'baseline', '--format', 'json', 'nosuch');
    expect(drill.code).toBe(2);
    expect(drill.stderr).toContain('no such deployment');
  });
});

async function withEnv<T>(name: string, value: string, body: () => Promise<T>): Promise<T> {
  const before = process.env[name];
  process.env[name] = value;
  try {
    return await body();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}
