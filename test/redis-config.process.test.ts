import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatePolicy, type Policy } from '../src/gate/policy.js';
import { makeTestPki, missingPrograms, type TestPki } from './support/programs.js';
import { testedLines } from '../src/drill/programs.js';
import { fromRoot } from '../src/paths.js';
import { random } from './engine/manifest-corpus.js';

/**
 * The gate's reading of redis configuration (policies/lib/redisconf.rego, rule tls.redis_tls_only)
 * against real redis-server reading the same text: each configuration of a corpus of lines redis
 * and a naive reader split differently (quotes, escapes inside them, carriage returns and other
 * whitespace, case, repeated directives) is loaded by redis-server, and `CONFIG GET` says what it
 * applied. Where redis then listens in plaintext, lacks a TLS port, replicates in plaintext or allows
 * TLSv1/TLSv1.1, the gate must report the configuration; where redis applied a configuration that
 * is safe, the gate reports nothing, or the lines it cannot read (fail closed).
 * A configuration redis refuses to start with is left out (nothing listens).
 */

const skip = missingPrograms('redis-server', 'redis-cli', 'openssl');
// redis-py, installed by .ci/run at the version package.json pins (config.redisPyVersion).
const redisPy = fromRoot(`.tools/redis-py/${(JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { config: { redisPyVersion: string } }).config.redisPyVersion}`);
const noRedisPy = existsSync(path.join(redisPy, 'redis', '__init__.py')) ? undefined : `redis-py not installed in ${redisPy} (.ci/run installs it)`;

const tls = 'port 0\ntls-port 6380\ntls-replication yes\n';
const corpus: Record<string, string> = {
  'safe': tls,
  'escaped space in quotes': `${tls}tls-protocols "TLSv1.2\\x20TLSv1"\n`,
  'escaped letter in quotes': `${tls}tls-protocols "\\x54LSv1.1"\n`,
  'escaped tab in quotes': `${tls}tls-protocols "TLSv1.2\\tTLSv1"\n`,
  'quoted protocols': `${tls}tls-protocols "TLSv1.2 TLSv1"\n`,
  'single-quoted protocols': `${tls}tls-protocols 'TLSv1.2 TLSv1.1'\n`,
  'lower-case protocols': `${tls}tls-protocols "tlsv1.2 tlsv1"\n`,
  'modern protocols': `${tls}tls-protocols "TLSv1.2 TLSv1.3"\n`,
  'empty protocols': `${tls}tls-protocols ""\n`,
  'double space in protocols': `${tls}tls-protocols "TLSv1.2  TLSv1.3"\n`,
  'quoted port': 'port "0"\ntls-port 6380\ntls-replication yes\n',
  'single-quoted port': "port '0'\ntls-port '6380'\ntls-replication 'yes'\n",
  'quoted directive': '"port" 6379\ntls-port 6380\ntls-replication yes\n',
  'escaped port': 'port "\\x30"\ntls-port 6380\ntls-replication yes\n',
  'escaped plaintext port': 'port "6\\x33379"\ntls-port 6380\ntls-replication yes\n',
  'upper-case directive': 'PORT 0\nTls-Port 6380\ntls-replication yes\n',
  'upper-case yes': 'port 0\ntls-port 6380\ntls-replication YES\n',
  'plaintext port': 'port 6379\ntls-port 6380\ntls-replication yes\n',
  'no port': 'tls-port 6380\ntls-replication yes\n',
  'last port wins': 'port 0\ntls-port 6380\ntls-replication yes\nport 6379\n',
  'last port wins, closed': 'port 6379\ntls-port 6380\ntls-replication yes\nport 0\n',
  'commented port': '# port 0\ntls-port 6380\ntls-replication yes\n',
  'indented comment': '   # port 0\ntls-port 6380\ntls-replication yes\n',
  'CRLF': 'port 0\r\ntls-port 6380\r\ntls-replication yes\r\n',
  'carriage return inside a line': 'port 0\ntls-port 6380\rport 6379\ntls-replication yes\n',
  'carriage return between arguments': 'port\r0\ntls-port 6380\ntls-replication yes\n',
  'tab between arguments': 'port\t0\ntls-port\t6380\ntls-replication\tyes\n',
  'vertical tab at the end': 'port 0\u000b\ntls-port 6380\ntls-replication yes\n',
  'form feed between arguments': 'port\f6379\ntls-port 6380\ntls-replication yes\n',
  'trailing spaces': 'port 0   \ntls-port 6380 \t\ntls-replication yes  \n',
  'no tls-port': 'port 0\ntls-replication yes\n',
  'tls-port 0': 'port 0\ntls-port 0\ntls-replication yes\n',
  'plaintext replication': 'port 0\ntls-port 6380\ntls-replication no\n',
  'replication set twice': 'port 0\ntls-port 6380\ntls-replication yes\ntls-replication no\n',
  'comment after a value': 'port 0 # closed\ntls-port 6380\ntls-replication yes\n',
  'non-breaking space': 'port 0\n\u00a0port 6379\ntls-port 6380\ntls-replication yes\n',
  'quote inside a word': 'port 0\ntls-port 6380\ntls-replication yes\ntls-protocols TLSv1.2" "TLSv1\n',
};

interface Applied {
  port: string;
  'tls-port': string;
  'tls-replication': string;
  'tls-protocols': string;
}

describe.skipIf(skip)(`redis configuration as real redis-server reads it${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let dir: string;
  let pki: TestPki;
  let policy: Policy;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'redis-config-'));
    pki = makeTestPki(path.join(dir, 'pki'), ['127.0.0.1']);
    policy = await loadGatePolicy();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** What redis-server (or `program`) applied of a configuration and options, or undefined when it refused to start. */
  async function applied(
    name: string,
    text: string,
    options: string[] = [],
    program = 'redis-server',
    after?: (socket: string) => void,
    /** What the server reads on its standard input (a `-` argument reads configuration there). */
    input = '',
  ): Promise<Applied | undefined> {
    const socket = path.join(dir, 'redis.sock');
    rmSync(socket, { force: true });
    // Our lines come first: the text under test overrides them, as it would override redis's defaults.
    const ours = `bind 127.0.0.1\nunixsocket ${socket}\ndir ${dir}\nsave ""\ntls-cert-file ${pki.certFile}\ntls-key-file ${pki.keyFile}\ntls-ca-cert-file ${pki.caFile}\n`;
    const file = path.join(dir, 'redis.conf');
    writeFileSync(file, ours + text);
    const server = spawn(program, [file, ...options], { stdio: ['pipe', 'ignore', 'ignore'] });
    server.stdin.on('error', () => {}); // a server that exits at once (a bad option) closes it unread
    server.stdin.end(input);
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    try {
      for (let i = 0; i < 200 && server.exitCode === null && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 25));
      if (!existsSync(socket)) {
        if (server.exitCode === null) throw new Error(`${name}: redis-server neither started nor exited`);
        return undefined;
      }
      const cli = program.includes('/') ? path.join(path.dirname(program), path.basename(program).replace(/-server$/, '-cli')) : 'redis-cli';
      // The socket exists a moment before the server answers on it.
      let out: string[] = [];
      for (let i = 0; ; i++) {
        try {
          out = execFileSync(cli, ['-s', socket, '--raw', 'CONFIG', 'GET', 'port', 'tls-port', 'tls-replication', 'tls-protocols'], { encoding: 'utf8', stdio: 'pipe' }).split('\n');
          break;
        } catch (error) {
          if (server.exitCode !== null) return undefined;
          if (i === 40) throw new Error(`${name}: ${(error as Error).message}`);
          await new Promise((r) => setTimeout(r, 25));
        }
      }
      if (after) {
        after(socket);
        out = execFileSync(cli, ['-s', socket, '--raw', 'CONFIG', 'GET', 'port', 'tls-port', 'tls-replication', 'tls-protocols'], { encoding: 'utf8', stdio: 'pipe' }).split('\n');
      }
      const values: Record<string, string> = {};
      for (let i = 0; i + 1 < out.length; i += 2) values[out[i]!] = out[i + 1]!;
      return values as unknown as Applied;
    } finally {
      server.kill('SIGKILL');
      await exited;
    }
  }

  function insecure(a: Applied): string[] {
    const problems: string[] = [];
    if (a.port !== '0') problems.push(`listens in plaintext on ${a.port}`);
    if (a['tls-port'] === '0') problems.push('has no TLS port');
    if (a['tls-replication'] !== 'yes') problems.push('replicates in plaintext');
    const legacy = a['tls-protocols'].split(' ').filter((p) => ['tlsv1', 'tlsv1.1'].includes(p.toLowerCase()));
    if (legacy.length) problems.push(`allows ${legacy.join(', ')}`);
    return problems;
  }

  function gateFindings(text: string): string[] {
    const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'members', namespace: 'n' }, data: { 'redis.conf': text } };
    return policy
      .evaluate({ namespace: 'n', resources: [{ file: 'c.yaml', object }], cluster_resources: [] }, '2026-06-01')
      .filter((v) => v.rule === 'tls.redis_tls_only')
      .map((v) => v.message);
  }

  it('reports every configuration redis applies insecurely, and no wrong value of a safe one', async () => {
    const disagreements: string[] = [];
    let compared = 0;
    for (const [name, text] of Object.entries(corpus)) {
      const truth = await applied(name, text);
      if (!truth) continue;
      compared++;
      const problems = insecure(truth);
      const findings = gateFindings(text);
      const failClosed = (m: string) => m.includes('redis decodes or splits at');
      if (problems.length && findings.length === 0) disagreements.push(`${name}: redis ${problems.join(', ')}; the gate passes it`);
      // A configuration with a line the gate cannot read is refused whole; it must be rewritten anyway.
      if (!problems.length && findings.length && !findings.some(failClosed)) disagreements.push(`${name}: redis applies it safely (${JSON.stringify(truth)}); the gate reports ${JSON.stringify(findings)}`);
    }
    expect(disagreements).toEqual([]);
    // Most of the corpus starts: the comparison is not vacuous.
    expect(compared).toBeGreaterThan(Object.keys(corpus).length / 2);
  });
  // Options are configuration lines redis reads after the file (redis.c main: `--name value` become
  // `name value` lines appended to it): a container's options can reopen what its file closed.
  const optionCases: string[][] = [
    [],
    ['--port', '6379'],
    ['--port', '0'],
    ['--tls-port', '0'],
    ['--tls-port', '6390'],
    ['--tls-replication', 'no'],
    ['--tls-replication', 'YES'],
    ['--tls-protocols', 'TLSv1.1 TLSv1.2'],
    ['--tls-protocols', 'TLSv1.2 TLSv1.3'],
    ['--port', '0', '--port', '6379'],
    ['--port', '6379', '--port', '0'],
    ['--PORT', '6379'],
    ['--port 6379'],
    ['--tls-replication', 'no', '--tls-replication', 'yes'],
    ['--save', '', '--port', '6380'],
    ['--appendonly', 'yes', '--tls-port', '0', '--tls-port', '6391'],
    // A file of the ConfigMap given with --include ({EXTRA}: `port 6379`) is read where the option stands.
    ['--include', '{EXTRA}'],
    ['--include', '{EXTRA}', '--port', '0'],
    ['--port', '0', '--include', '{EXTRA}'],
  ];
  const EXTRA = 'port 6379\n';

  it('reads command-line options after the configuration file, as redis-server and valkey-server do', async () => {
    const programs = [
      { program: 'redis-server', image: 'docker.io/library/redis:7.2.5' },
      ...testedLines().built.filter((p) => p.engine === 'valkey').slice(0, 1).map((p) => ({ program: path.join(p.binDir, p.server), image: 'docker.io/valkey/valkey:8.1.10' })),
    ];
    const disagreements: string[] = [];
    let compared = 0;
    for (const { program, image } of programs) {
      const name = path.basename(program);
      for (const options of optionCases) {
        writeFileSync(path.join(dir, 'extra.conf'), EXTRA);
        const truth = await applied(`${name} ${options.join(' ')}`, tls, options.map((o) => o.replace('{EXTRA}', path.join(dir, 'extra.conf'))), program);
        if (!truth) continue;
        compared++;
        const problems = insecure(truth);
        const container = { name: 'server', image, command: [name, '/etc/redis/redis.conf', ...options.map((o) => o.replace('{EXTRA}', '/etc/redis/extra.conf'))], volumeMounts: [{ name: 'config', mountPath: '/etc/redis' }] };
        const workload = {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'cache', namespace: 'n' },
          spec: { template: { metadata: { labels: { app: 'cache' } }, spec: { containers: [container], volumes: [{ name: 'config', configMap: { name: 'members' } }] } } },
        };
        const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'members', namespace: 'n' }, data: { 'redis.conf': tls, ...(options.includes('{EXTRA}') ? { 'extra.conf': EXTRA } : {}) } };
        const findings = policy
          .evaluate({ namespace: 'n', resources: [{ file: 'c.yaml', object: workload }, { file: 'c.yaml', object: configMap }], cluster_resources: [] }, '2026-06-01')
          .filter((v) => v.rule === 'tls.redis_tls_only' || v.rule === 'tls.redis_args_tls_only')
          .map((v) => v.message);
        const line = `${name} ${JSON.stringify(options)}`;
        if (problems.length && findings.length === 0) disagreements.push(`${line}: ${name} ${problems.join(', ')}; the gate passes it`);
        if (!problems.length && findings.length) disagreements.push(`${line}: ${name} applies it safely (${JSON.stringify(truth)}); the gate reports ${JSON.stringify(findings)}`);
      }
    }
    expect(disagreements).toEqual([]);
    // Most cases start the server on every program there is (the valkey build only where it is built).
    expect(compared).toBeGreaterThan((programs.length * optionCases.length) / 2);
  });
  // The options a shell passes: a command line (`sh -c`) or a start script whose words the shell
  // unquotes before redis-server sees them (`--p""ort`, `\--port`, `"--port 6379"`, `redis-"server"`).
  // Each line of a generated corpus is run by real sh with a redis-server on its PATH that records
  // its arguments; real redis-server then starts with those arguments after the TLS-only file, and
  // `CONFIG GET` says what it applied. The gate judges the same line as a container's command line
  // and as the start script it runs; failing closed (a word it cannot read) is no disagreement.
  const SHELL_OPTIONS_SEED = Number(process.env.SHELL_OPTIONS_SEED ?? 0x0071) >>> 0;
  const SHELL_OPTIONS_COUNT = Number(process.env.SHELL_OPTIONS_COUNT ?? 160);

  /**
   * A command line that starts redis-server on the mounted TLS-only file, its words quoted as a
   * generator picks, maybe inside a shell construct (a subshell, a substitution, a case branch...),
   * maybe with settings fed on its standard input; bash runs what dash cannot (`exec -a`).
   */
  function shellOptionLine(next: () => number): { line: string; shell: 'sh' | 'bash'; input: string } {
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const program = pick(['redis-server', '"redis-server"', "'redis-server'", 'redis-"server"', 'r\\edis-server', "redis-'ser'ver", '\\redis-server']);
    const settings: [string, string][] = [
      ['port', '0'], ['port', '6379'], ['tls-port', '6381'], ['tls-port', '0'], ['tls-replication', 'no'],
      ['tls-replication', 'yes'], ['appendonly', 'yes'], ['tls-protocols', 'TLSv1.2 TLSv1.3'], ['tls-protocols', 'TLSv1.1 TLSv1.2'],
    ];
    const value = (v: string) => (v.includes(' ') ? pick([`"${v}"`, `'${v}'`, v.replace(' ', '\\ ')]) : pick([v, `"${v}"`, `'${v}'`, `${v[0]}""${v.slice(1)}`]));
    const option = ([name, v]: [string, string]): string =>
      pick([
        () => `--${name} ${value(v)}`,
        () => `"--${name}" ${value(v)}`,
        () => `'--${name}' ${value(v)}`,
        () => `--"${name}" ${value(v)}`,
        () => `-""-${name} ${value(v)}`,
        () => `--${name[0]}""${name.slice(1)} ${value(v)}`,
        () => `--'${name.slice(0, 2)}'${name.slice(2)} ${value(v)}`,
        () => `\\--${name} ${value(v)}`,
        () => `--${name[0]}\\${name.slice(1)} ${value(v)}`,
        () => `--${name.toUpperCase()} ${value(v)}`,
        // One argument holding the name and the value: redis reads it as the line `name value`.
        () => (v.includes(' ') ? `--${name} ${value(v)}` : `--${name}\\ ${v}`),
        () => (v.includes(' ') ? `--${name} ${value(v)}` : `"--${name} ${v}"`),
      ])();
    const options = Array.from({ length: 1 + Math.floor(next() * 3) }, () => option(pick(settings)));
    // A program that runs the server as its command (gosu as the official image's entrypoint does; a stub here).
    // And one the gate has never heard of (`launch`, a stub like gosu): it must say it cannot tell.
    const runner = pick(['', '', '', 'nice -n 5 ', 'timeout 1d ', 'env A=1 ', 'setsid ', 'stdbuf -oL ', 'ionice -c 3 ', 'nice timeout 1d ', 'gosu redis ', 'launch -v ']);
    const file = pick(['/etc/redis/redis.conf', '"/etc/redis/redis.conf"']);
    // Or the options fed through xargs, which the gate cannot read (it must say so).
    if (next() < 0.1) return { line: `echo ${options.join(' ')} | xargs ${program} ${file}`, shell: 'sh', input: '' };
    // Settings read from standard input (`-`, the last argument), which the gate cannot read either.
    const stdin = next() < 0.08 ? pick(['port 6379', 'port 0', 'tls-replication no']) : '';
    const start = pick(['exec ', '', '', 'exec -- ', 'command ', 'command -- ', 'nohup -- ', 'exec -a redis ', 'exec -l ']);
    const command = `${stdin ? '' : start}${runner}${program} ${file} ${options.join(' ')}${stdin ? ' -' : ''}`;
    const construct = pick([
      (c: string) => c, (c: string) => c, (c: string) => c,
      (c: string) => `(${c})`, (c: string) => `( ${c} )`, (c: string) => `{ ${c}; }`, (c: string) => `true && ${c}`,
      (c: string) => `true&&${c}`, (c: string) => `false||${c}`, (c: string) => `echo|${c}`, (c: string) => `X=$(${c})`,
      (c: string) => `X=\`${c}\``, (c: string) => `case x in x) ${c};; esac`, (c: string) => `if true; then ${c}; fi`,
      (c: string) => `${c} 2>&1 >/dev/null`, (c: string) => `${c}&&true`,
    ]);
    const line = construct(command);
    return {
      line: stdin ? `printf '${stdin}\\n' | ${line}` : line,
      shell: /exec -[-al]/.test(line) ? 'bash' : 'sh', // dash's exec takes no options
      input: stdin ? `${stdin}\n` : '',
    };
  }

  it('agrees with sh and redis-server on the options a shell passes, however its words are quoted', async () => {
    const bin = path.join(dir, 'recording-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, 'redis-server'), `#!/bin/sh\nprintf '%s\\0' "$@" >"$ARGS_OUT"\n`, { mode: 0o755 });
    writeFileSync(path.join(bin, 'gosu'), '#!/bin/sh\nshift\nexec "$@"\n', { mode: 0o755 });
    writeFileSync(path.join(bin, 'launch'), '#!/bin/sh\nshift\nexec "$@"\n', { mode: 0o755 });
    const next = random(SHELL_OPTIONS_SEED);
    const generated = new Map(Array.from({ length: SHELL_OPTIONS_COUNT }, () => shellOptionLine(next)).map((l) => [l.line, l]));
    const lines = [...generated.values()];
    const disagreements: string[] = [];
    let compared = 0;
    let insecureCount = 0;
    for (const { line, shell, input } of lines) {
      // The arguments the shell gives redis-server (the file's path first, replaced by the file under test).
      const out = path.join(dir, 'args');
      rmSync(out, { force: true });
      execFileSync(shell, ['-c', line], { env: { PATH: `${bin}:/usr/bin:/bin`, ARGS_OUT: out }, stdio: 'ignore' });
      const [file, ...options] = readFileSync(out, 'utf8').split('\0').slice(0, -1);
      if (file !== '/etc/redis/redis.conf') throw new Error(`${line}: ${shell} passed ${JSON.stringify(file)} as the file`);
      const truth = await applied(line, tls, options, undefined, undefined, input);
      if (!truth) continue;
      compared++;
      const problems = insecure(truth);
      if (problems.length) insecureCount++;
      for (const [form, command, script] of [['command line', [shell, '-c', line], undefined], ['start script', [shell, '/etc/redis/start.sh'], `#!/bin/${shell}\n${line}\n`]] as const) {
        const container = { name: 'redis', image: 'docker.io/library/redis:7.2.5', command, volumeMounts: [{ name: 'config', mountPath: '/etc/redis' }] };
        const workload = {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'cache', namespace: 'n' },
          spec: { template: { metadata: { labels: { app: 'cache' } }, spec: { containers: [container], volumes: [{ name: 'config', configMap: { name: 'members' } }] } } },
        };
        const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'members', namespace: 'n' }, data: { 'redis.conf': tls, ...(script ? { 'start.sh': script } : {}) } };
        const findings = policy
          .evaluate({ namespace: 'n', resources: [{ file: 'c.yaml', object: workload }, { file: 'c.yaml', object: configMap }], cluster_resources: [] }, '2026-06-01')
          .filter((v) => v.rule.startsWith('tls.redis_'))
          .map((v) => v.message);
        const what = `${form} ${JSON.stringify(line)} (redis-server ${JSON.stringify(options)})`;
        if (problems.length && findings.length === 0) disagreements.push(`${what}: redis ${problems.join(', ')}; the gate passes it`);
        if (!problems.length && findings.some((m) => !/cannot (read|tell)/.test(m))) disagreements.push(`${what}: redis applies it safely (${JSON.stringify(truth)}); the gate reports ${JSON.stringify(findings)}`);
      }
    }
    console.log(`shell options: ${compared} of ${lines.length} lines started redis (${insecureCount} insecure), each judged in 2 forms`);
    expect(disagreements.slice(0, 15).join('\n')).toBe('');
    // Not vacuous: most lines start redis, and both outcomes are common.
    expect(compared).toBeGreaterThan(lines.length / 2);
    expect(insecureCount).toBeGreaterThan(compared / 5);
    expect(compared - insecureCount).toBeGreaterThan(compared / 5);
  });

  // What a start script writes into its copy of the configuration, or sets on the running server, at
  // run time (tls.redis_runtime_settings): each script of a corpus is run by real sh on a copy of a
  // TLS-only file (`$conf`), redis-server loads what it wrote, then the script's `--after` part (its
  // CONFIG SET) is run through real redis-cli against the running server; the gate is given the
  // script as a member's start script that copies the mounted file to `$conf` and appends, as the
  // generator's own members do. A finding that says the gate cannot read a value is failing closed.
  const scripts: Record<string, { script: string; after?: string; shell?: string }> = {
    'announce only': { script: 'echo "replica-announce-ip 10.0.0.1" >> "$conf"' },
    'append a plaintext port': { script: 'echo "port 6379" >> "$conf"' },
    'append a closed port': { script: 'echo "port 0" >> "$conf"' },
    'upper-case directive': { script: "echo 'PORT 6379' >> \"$conf\"" },
    'group on one line': { script: '{ echo "replica-announce-ip x"; echo "port 6379"; } >> "$conf"' },
    'group on lines': { script: '{\n  echo "replica-announce-ip x"\n  echo tls-replication no\n} >>"$conf"' },
    'redirection first': { script: '>>"$conf" echo "port 6379"' },
    'printf lines': { script: "printf 'tls-port 6381\\ntls-replication no\\n' >> \"$conf\"" },
    'printf format': { script: "printf 'port %s\\n' 6379 >> \"$conf\"" },
    'here-document': { script: 'cat >> "$conf" <<EOF\ntls-protocols "TLSv1 TLSv1.2"\nEOF' },
    'here-document, tabs stripped': { script: 'cat >> "$conf" <<-EOF\n\tport 6379\n\tEOF' },
    'here-document, quoted delimiter': { script: "cat >> \"$conf\" <<'EOF'\ntls-replication no\nEOF" },
    'here-document, safe': { script: 'cat >> "$conf" <<EOF\nreplica-announce-ip x\nEOF' },
    'sed substitution': { script: "sed -i 's/^tls-replication yes/tls-replication no/' \"$conf\"" },
    'sed with another delimiter': { script: "sed -i 's|^port 0|port 6379|' \"$conf\"" },
    'sed, safe edit': { script: "sed -i 's/^tls-port 6380/tls-port 6381/' \"$conf\"" },
    'sed append': { script: "sed -i '$a port 6379' \"$conf\"" },
    'sed change with a pattern address': { script: "sed -i -e '/^tls-replication/c tls-replication no' \"$conf\"" },
    'sed insert before a line': { script: "sed -i \"1i tls-protocols TLSv1.1\" \"$conf\"" },
    'unquoted echo': { script: 'echo port 6379 >> "$conf"' },
    'echo of two words': { script: 'echo "port" "6379" >> "$conf"' },
    'printf of a whole line, no line break': { script: 'printf "%s" "port 6379" >> "$conf"' },
    'printf format, closed port': { script: "printf 'port %s\\n' 0 >> \"$conf\"" },
    'printf of a whole line': { script: "printf '%s\\n' 'port 6379' >> \"$conf\"" },
    'tee': { script: 'echo "port 6379" | tee -a "$conf" > /dev/null' },
    'standard error only': { script: 'echo "port 6379" >&2' },
    '/dev/null only': { script: 'echo "port 6379" > /dev/null' },
    'commented out': { script: '# echo "port 6379" >> "$conf"' },
    'CONFIG SET': { script: '', after: 'redis-cli config set tls-replication no' },
    'CONFIG SET, upper case': { script: '', after: 'redis-cli CONFIG SET tls-protocols "TLSv1 TLSv1.2"' },
    'CONFIG SET, safe': { script: '', after: 'redis-cli config set maxmemory-policy noeviction' },
    'CONFIG SET in a subshell': { script: '', after: '(redis-cli config set tls-replication no)' },
    'CONFIG SET, quotes inside its words': { script: '', after: `redis-cli con'fig' s""et tls-''replication no` },
    'echo, quotes inside the name': { script: `echo 'po''rt 6379' >> "$conf"` },
    'directive name in a variable, in a group': { script: 'D=port\n{\n  echo "$D 6379"\n} >>"$conf"' },
    'directive name in a variable, safe': { script: 'D=replica-announce-ip\n{\n  echo "$D x"\n} >>"$conf"' },
    'directive name in braces': { script: "D='tls-port'\necho \"${D} 0\" >> \"$conf\"" },
    'directive name in a printf format': { script: 'D=tls-replication\nprintf "$D %s\\n" no >> "$conf"' },
    'directive name in a here-document': { script: 'export D=port\ncat >> "$conf" <<EOF\n$D 6379\nEOF' },
    'directive name as a default': { script: 'echo "${D:-port} 6379" >> "$conf"' },
    'directive name as a safe default': { script: 'echo "${D:-replica-announce-ip} x" >> "$conf"' },
    'directive name from a command substitution': { script: 'echo "$(printf tls-port) 0" >> "$conf"' },
    'directive name as a function argument': { script: 'set_conf() {\n  echo "$1 $2" >> "$conf"\n}\nset_conf tls-replication no' },
    'two redirections first': { script: '2>/dev/null >>"$conf" echo "port 6379"' },
    'sed takes port 0 out': { script: "sed -i 's/^port 0$//' \"$conf\"" },
    'sed deletes the TLS port': { script: "sed -i '/^tls-port/d' \"$conf\"" },
    'sed deletes a line of its own': { script: "sed -i '/^replica-announce-ip/d' \"$conf\"" },
    'printf into another file': { script: "printf 'PORT=%s\\n' 6379 > \"$conf.env\"" },
    'a whole line in a variable': { script: 'LINE="port 6379"\necho "$LINE" >> "$conf"' },
    'a loop over lines': { script: 'for l in "port 6379" "maxmemory-policy noeviction"; do\n  echo "$l"\ndone >> "$conf"' },
    'echo -e with a tab': { script: 'echo -e "port\\t6379" >> "$conf"' },
    'printf with a tab': { script: "printf 'port\\t6379\\n' >> \"$conf\"" },
    'a one-line group': { script: '{ echo port 6379; } >> "$conf"' },
    'quotes joined': { script: 'echo "po""rt 6379" >> "$conf"' },
    'a here-string': { script: 'cat >> "$conf" <<< "port 6379"', shell: 'bash' },
    'a here-string with escapes': { script: "tee -a \"$conf\" >/dev/null <<< $'maxmemory 1gb\\ntls-port 0'", shell: 'bash' },
    'a here-string of a whole line': { script: 'L="tls-replication no"\ncat >> "$conf" <<< "$L"', shell: 'bash' },
    'a here-string to the output': { script: 'cat <<< "port 6379 stays closed"', shell: 'bash' },
    // Edits the gate does not read, of the configuration: reported, whatever they leave of it.
    'sed deletes line 1': { script: "sed -i '1d' \"$conf\"" },
    'sed deletes the last line': { script: "sed -i '$d' \"$conf\"" },
    'sed substitution at an address': { script: "sed -i -e '/^port/s/0/6379/' \"$conf\"" },
    'perl edits in place': { script: "perl -pi -e 's/^port 0/port 6379/' \"$conf\"" },
    'ed deletes line 1': { script: "printf '%s\\n' 1d w | ed -s \"$conf\"" },
    'python appends': { script: "python3 -c \"open('$conf', 'a').write('port 6379\\n')\"" },
    'emptied, then written': { script: ": > \"$conf\"\necho 'tls-port 6380' >> \"$conf\"" },
    'echo replaces the file': { script: "echo 'tls-port 6380' > \"$conf\"" },
    'removed, then written': { script: "rm -f \"$conf\"\necho 'tls-port 6380' >> \"$conf\"" },
    'tee replaces the file': { script: "echo 'tls-port 6380' | tee \"$conf\" > /dev/null" },
    'filtered, then copied back on one line': { script: "grep -v '^port' \"$conf\" > /tmp/rg-filtered; cat /tmp/rg-filtered > \"$conf\"" },
    'perl edits another file': { script: "echo a > \"$conf.notes\"; perl -pi -e 's/a/b/' \"$conf.notes\"" },
    'python reads the configuration': { script: "python3 -c \"print(open('$conf').read())\" > /dev/null" },
    'sed appends a line of its own at the end': { script: "sed -i '$a replica-announce-ip 10.0.0.1' \"$conf\"" },
  };

  /**
   * One script of the run-time corpus: run by real sh on a TLS-only copy (`$conf`), loaded by
   * redis-server, its `after` part run through real redis-cli; then the gate's verdict on it as a
   * member's start script. Undefined when redis refused what the script wrote (nothing runs), else
   * the disagreement, if any ("" for none).
   */
  async function compareScript(name: string, script: string, after?: string, files: Record<string, string> = {}, shell = 'sh'): Promise<string | undefined> {
    const conf = path.join(dir, 'run.conf');
    // The scripts' redis-cli talks to the server under test: a wrapper ahead of the real one in PATH.
    const shim = path.join(dir, 'bin');
    if (!existsSync(path.join(shim, 'redis-cli'))) {
      mkdirSync(shim, { recursive: true });
      const realCli = execFileSync('sh', ['-c', 'command -v redis-cli'], { encoding: 'utf8' }).trim();
      writeFileSync(path.join(shim, 'redis-cli'), `#!/bin/sh\nexec ${realCli} -s "$SOCKET" "$@"\n`, { mode: 0o755 });
    }
    writeFileSync(conf, tls);
    // The ConfigMap's keys, where the script finds them as $CONFIG_DIR/<key> (the gate: the
    // container's environment names the folder the ConfigMap is mounted at).
    const configDir = path.join(dir, 'config');
    mkdirSync(configDir, { recursive: true });
    for (const [key, text] of Object.entries({ 'redis.conf': tls, ...files })) writeFileSync(path.join(configDir, key), text);
    execFileSync(shell, ['-c', script], { env: { ...process.env, conf, CONFIG_DIR: configDir }, stdio: ['ignore', 'ignore', 'ignore'] });
    const run = (socket: string) => execFileSync('sh', ['-c', after!], { env: { ...process.env, PATH: `${shim}:${process.env.PATH}`, SOCKET: socket, PYTHONPATH: redisPy }, stdio: 'ignore' });
    const truth = await applied(name, readFileSync(conf, 'utf8'), [], 'redis-server', after ? run : undefined);
    if (!truth) return undefined;
    const problems = insecure(truth);
    const start = ['#!/bin/sh', 'conf=/run/redis/redis.conf', 'cp /etc/redis/redis.conf "$conf"', script, after ?? '', 'exec "$SERVER" "$conf"', ''].join('\n');
    const container = {
      name: 'redis',
      image: 'docker.io/library/redis:7.2.5',
      command: [shell, '/etc/redis/start.sh'],
      env: [{ name: 'CONFIG_DIR', value: '/etc/redis' }],
      volumeMounts: [{ name: 'config', mountPath: '/etc/redis' }],
    };
    const workload = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'cache', namespace: 'n' },
      spec: { template: { metadata: { labels: { app: 'cache' } }, spec: { containers: [container], volumes: [{ name: 'config', configMap: { name: 'members' } }] } } },
    };
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'members', namespace: 'n' }, data: { 'redis.conf': tls, ...files, 'start.sh': start } };
    const findings = policy
      .evaluate({ namespace: 'n', resources: [{ file: 'c.yaml', object: workload }, { file: 'c.yaml', object: configMap }], cluster_resources: [] }, '2026-06-01')
      .filter((v) => v.rule.startsWith('tls.redis_'))
      .map((v) => v.message);
    if (problems.length && findings.length === 0) return `${name}: redis ${problems.join(', ')}; the gate passes it`;
    // Failing closed (a value or name the gate cannot read, an edit whose outcome it cannot tell) is no disagreement.
    if (!problems.length && findings.some((m) => !/cannot (read|tell)/.test(m))) return `${name}: redis applies it safely (${JSON.stringify(truth)}); the gate reports ${JSON.stringify(findings)}`;
    return '';
  }

  // CONFIG SET through a client library (redis-py, as a Job's or a script's Python would send it),
  // against the server it reaches.
  const clientCalls: Record<string, string> = {
    'positional arguments': "config_set('tls-replication', 'no')",
    'keyword arguments': "config_set(name='port', value=6379)",
    'a safe setting': "config_set('maxmemory-policy', 'noeviction')",
    'execute_command': "execute_command('CONFIG', 'SET', 'tls-port', '0')",
  };

  /** compareScript over many scripts: the disagreements, and how many of them redis ran (compared) of how many. */
  async function compareScripts(cases: Parameters<typeof compareScript>[]): Promise<{ disagreements: string[]; compared: number; total: number }> {
    const disagreements: string[] = [];
    let compared = 0;
    for (const args of cases) {
      const outcome = await compareScript(...args);
      if (outcome === undefined) continue;
      compared++;
      if (outcome) disagreements.push(outcome);
    }
    return { disagreements, compared, total: cases.length };
  }

  it.skipIf(noRedisPy)(`judges CONFIG SET through redis-py as the server applies it${noRedisPy ? ` [skipped: ${noRedisPy}]` : ''}`, async () => {
    const { disagreements, compared, total } = await compareScripts(
      Object.entries(clientCalls).map(([name, call]) => [`redis-py, ${name}`, '', `python3 -c "import os, redis; redis.Redis(unix_socket_path=os.environ['SOCKET']).${call.replaceAll('"', '\\"')}"`]),
    );
    expect(disagreements).toEqual([]);
    expect(compared).toBe(total); // redis ran every one
  });

  it('judges what start scripts write and set at run time as sh, redis-server and redis-cli apply it', async () => {
    const { disagreements, compared, total } = await compareScripts(Object.entries(scripts).map(([name, { script, after, shell }]) => [name, script, after, {}, shell]));
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThan(total / 2);
  });

  // Every way of writing a directive the gate reads, crossed with every way of naming it and with
  // safe and unsafe values: a corpus generated, not chosen, so that a writer or a naming the gate
  // reads in one form and not in another shows up.
  const settings: [string, string][] = [
    ['port', '0'], ['port', '6379'], ['tls-port', '0'], ['tls-port', '6381'],
    ['tls-replication', 'no'], ['tls-replication', 'yes'], ['tls-protocols', 'TLSv1.1'], ['replica-announce-ip', 'x'],
  ];
  // How the script names the directive: [prefix lines, the line as written].
  const namings: Record<string, (name: string, value: string) => [string, string]> = {
    literal: (n, v) => ['', `${n} ${v}`],
    'upper case': (n, v) => ['', `${n.toUpperCase()} ${v}`],
    'a variable': (n, v) => [`D=${n}\n`, `$D ${v}`],
    'an exported variable in braces': (n, v) => [`export D='${n}'\n`, `\${D} ${v}`],
    'a default': (n, v) => ['', `\${D:-${n}} ${v}`],
    'a command substitution': (n, v) => ['', `$(printf ${n}) ${v}`],
    'the whole line in a variable': (n, v) => [`L='${n} ${v}'\n`, '$L'],
    // The shell joins the parts of a word (`"po""rt 6379"` is `port 6379`); redis refuses the quotes
    // a here-document keeps.
    'quotes inside the name': (n, v) => ['', `${n.slice(0, 2)}""${n.slice(2)} ${v}`],
  };
  const writers: Record<string, (line: string) => string> = {
    echo: (l) => `echo "${l}" >> "$conf"`,
    'echo, redirection first': (l) => `>>"$conf" echo "${l}"`,
    printf: (l) => `printf "${l}\\n" >> "$conf"`,
    'printf arguments': (l) => `printf '%s %s\\n' ${l.split(' ').map((w) => `"${w}"`).join(' ')} >> "$conf"`,
    group: (l) => `{\n  echo "replica-announce-ip y"\n  echo "${l}"\n} >>"$conf"`,
    'here-document': (l) => `cat >> "$conf" <<EOF\n${l}\nEOF`,
    'sed append': (l) => `sed -i "\\$a ${l}" "$conf"`,
    'sed replacement': (l) => `sed -i "s/^tls-replication yes$/tls-replication yes\\n${l}/" "$conf"`,
  };

  it('agrees with sh and redis-server on a generated corpus of run-time writes', async () => {
    const { disagreements, compared, total } = await compareScripts(
      settings.flatMap(([name, value]) =>
        Object.entries(namings).flatMap(([naming, named]) =>
          Object.entries(writers).map(([writer, write]): Parameters<typeof compareScript> => {
            const [prefix, written] = named(name, value);
            return [`${writer}, ${naming}: ${name} ${value}`, `${prefix}${write(written)}`];
          }),
        ),
      ),
    );
    expect(disagreements).toEqual([]);
    // Nearly every script gives redis a configuration it runs.
    expect(compared).toBeGreaterThan(total * 0.8);
  });

  // Files copied or filtered into the configuration at run time (a ConfigMap key holding the
  // setting, or the TLS-only configuration itself through a filter), crossed with the settings.
  const copiers: Record<string, string> = {
    cat: 'cat "$CONFIG_DIR/extra" >> "$conf"',
    'cat in a group': '{\n  echo "replica-announce-ip y"\n  cat "${CONFIG_DIR}/extra"\n} >>"$conf"',
    'cat of two files': 'cat "$CONFIG_DIR/redis.conf" "$CONFIG_DIR/extra" > "$conf"',
    tee: 'cat "$CONFIG_DIR/extra" | tee -a "$conf" >/dev/null',
    'sed printing': 'sed "s/^#x//" "$CONFIG_DIR/extra" >> "$conf"',
    'grep without comments': "grep -v '^#' \"$CONFIG_DIR/extra\" >> \"$conf\"",
    'grep of user lines': "grep '^user ' \"$CONFIG_DIR/extra\" >> \"$conf\" || true",
    'grep -v of the configuration': "grep -v '^tls-replication' \"$CONFIG_DIR/redis.conf\" > \"$conf\"",
    'head of the configuration': 'head -n 1 "$CONFIG_DIR/redis.conf" > "$conf"',
  };

  it('agrees with sh and redis-server on files copied or filtered into the configuration', async () => {
    const { disagreements, compared, total } = await compareScripts(
      settings.flatMap(([name, value]) =>
        Object.entries(copiers).map(([copier, script]): Parameters<typeof compareScript> => [
          `${copier}: ${name} ${value}`, script, undefined, { extra: `# copied\nmaxmemory-policy noeviction\n${name} ${value}\n` },
        ]),
      ),
    );
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThan(total * 0.8);
  });
});
