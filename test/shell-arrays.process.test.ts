import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { random } from './engine/manifest-corpus.js';
import { projectRoot } from './support/repo.js';

/**
 * The gate's reading of the options a start script passes to redis-server through an array
 * (policies/lib/redis.rego, `ARGS+=(...)` then `exec redis-server "${ARGS[@]}"`, as Bitnami's chart
 * writes it; the program named too by a variable of the script or of the container's environment)
 * against real bash running the same script, as a redis container mounting it runs it, with a redis-server on its PATH that prints
 * the arguments it was given. Every variable the script names is set to its own name (`${X}` for X),
 * so bash's words and the gate's compare as text. For each script of a generated corpus, either the
 * gate reads exactly the arguments bash passes, or it reports the expansion as one it cannot resolve.
 * The Rego is evaluated by the pinned opa (the real toolchain), from the sources.
 *
 * SHELL_DIFF_SEED=<n> and SHELL_DIFF_COUNT=<n> change the corpus.
 */

const SEED = Number(process.env.SHELL_DIFF_SEED ?? 0x5a11) >>> 0;
const COUNT = Number(process.env.SHELL_DIFF_COUNT ?? 400);

const opa = (() => {
  const { opaVersion } = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { config: { opaVersion: string } }).config;
  const bin = path.join(projectRoot, '.tools/opa', opaVersion, 'opa');
  return existsSync(bin) ? bin : undefined;
})();
const bash = ['/bin/bash', '/usr/bin/bash'].find((b) => existsSync(b));

const VARIABLES = ['REDIS_PORT', 'REDIS_TLS_PORT', 'REDIS_TLS_CERT_FILE', 'EXTRA'];
/** The variables the container sets (its `env`), which bash's environment holds too. */
const CONTAINER_ENV = { ENV_SERVER: 'redis-server' };

/** A start script: array assignments (some in places the gate must not follow), other lines, the exec. */
function generateScript(next: () => number): string {
  const pick = <T,>(items: T[]): T => items[Math.floor(next() * items.length)]!;
  const word = () =>
    pick([
      () => pick(['--port', '--tls-port', '--tls-replication', '--include']),
      () => pick(['0', '6379', 'yes', 'no', '/etc/redis.conf']),
      () => `\${${pick(VARIABLES)}}`,
    ])();
  const quoted = (w: string) => pick([`"${w}"`, `'${w}'`, w.includes('$') ? `"${w}"` : w]);
  const assignment = () => `ARGS${pick(['=', '+=', '+='])}(${Array.from({ length: 1 + Math.floor(next() * 3) }, () => quoted(word())).join(pick([' ', ' ', '\t', '  ']))})`;
  const plain = [assignment, assignment, assignment, () => pick(['echo starting', 'cp /dev/null "$ARGS_OUT"', '# ARGS are built below', 'set -e', 'X=1'])];
  // Half the scripts only build the array as the gate reads it; the others may also do what it must not follow.
  const tricky = next() < 0.5;
  const lines: string[] = ['#!/bin/bash'];
  const n = 1 + Math.floor(next() * 5);
  for (let i = 0; i < n; i++) {
    lines.push(
      pick([
        ...plain,
        ...(tricky ? [] : plain),
        () => `if [ -n "$EXTRA" ]; then\n  ${assignment()}\nfi`,
        () => `[ -n "$EXTRA" ] && ${assignment()}`,
        () => `add() {\n${assignment()}\n}`,
        () => `${assignment()} # a note`,
        () => `ARGS+=(\n  ${quoted(word())}\n)`,
        () => `ARGS+=("${word()} ${word()}")`,
      ].slice(0, tricky ? undefined : plain.length * 2))(),
    );
  }
  lines.push(
    pick([
      'exec redis-server "${ARGS[@]}"',
      'redis-server "${ARGS[@]}"',
      'exec /usr/local/bin/redis-server "${ARGS[@]}" --sentinel',
      // The program named by a variable the script sets, a line of its own at the top level.
      'SERVER=redis-server\nexec "$SERVER" "${ARGS[@]}"',
      'SERVER="/usr/local/bin/redis-server"\n${SERVER} "${ARGS[@]}"',
      'export SERVER=redis-server\nexec "$SERVER" "${ARGS[@]}"',
      "readonly SERVER='/usr/local/bin/redis-server'\n\"${SERVER}\" \"${ARGS[@]}\"",
      // The program named by a variable of the container's environment (ENV_SERVER, see CONTAINER_ENV).
      'exec "$ENV_SERVER" "${ARGS[@]}"',
      '${ENV_SERVER} "${ARGS[@]}"',
    ]),
  );
  return `${lines.join('\n')}\n`;
}

describe.skipIf(!opa || !bash)(`the gate reads a start script's option array as bash passes it${!opa ? ' [skipped: opa not built; npm run policy:test builds it]' : !bash ? ' [skipped: no bash]' : ''}`, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'shell-arrays-'));
    mkdirSync(path.join(dir, 'bin'));
    // The redis-server bash runs: writes its arguments, each ended by a NUL, to $ARGS_OUT.
    const stub = path.join(dir, 'bin', 'redis-server');
    writeFileSync(stub, `#!/bin/bash\nprintf '%s\\0' "$@" >"$ARGS_OUT"\n`);
    chmodSync(stub, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The arguments bash gives redis-server when it runs the script. */
  function bashArguments(script: string): string[] {
    const file = path.join(dir, 'start.sh');
    writeFileSync(file, script.replaceAll('/usr/local/bin/redis-server', 'redis-server'));
    const out = path.join(dir, 'args');
    rmSync(out, { force: true });
    const env = { PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin`, ARGS_OUT: out, ...Object.fromEntries(VARIABLES.map((v) => [v, `\${${v}}`])), ...CONTAINER_ENV };
    try {
      execFileSync(bash!, [file], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      throw new Error(`bash failed on ${JSON.stringify(script)}: ${(error as { stderr?: Buffer }).stderr?.toString()}`);
    }
    return readFileSync(out, 'utf8').split('\0').slice(0, -1);
  }

  /**
   * The gate's reading of each script, run by a redis container (with CONTAINER_ENV) of a pod that
   * mounts it from a ConfigMap: its invocations' arguments, and those it cannot resolve.
   */
  function gateReadings(scripts: string[]): { args: string[]; unresolved: string[] }[][] {
    const input = path.join(dir, 'input.json');
    const container = {
      name: 'redis',
      image: 'redis:7.2.5',
      command: ['bash', '/scripts/start.sh'],
      env: Object.entries(CONTAINER_ENV).map(([name, value]) => ({ name, value })),
      volumeMounts: [{ name: 'scripts', mountPath: '/scripts' }],
    };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'node' }, spec: { containers: [container], volumes: [{ name: 'scripts', configMap: { name: 'scripts' } }] } };
    writeFileSync(input, JSON.stringify({ scripts, pod, container }));
    const query = [
      '[[{"args": inv.args, "unresolved": data.lib.redis.unresolved_arguments(inv.args)} | some inv in invs] |',
      '  some t in input.scripts',
      '  resources := [{"object": input.pod}, {"object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "scripts"}, "data": {"start.sh": t}}}]',
      '  invs := data.lib.redis.workload_invocations(input.pod, input.container) with input.resources as resources',
      ']',
    ].join('\n');
    const out = execFileSync(opa!, ['eval', '--format', 'raw', '-d', path.join(projectRoot, 'policies/lib'), '--ignore', '*_test.rego', '-i', input, query], { encoding: 'utf8', maxBuffer: 64 << 20 });
    return JSON.parse(out) as { args: string[]; unresolved: string[] }[][];
  }

  it(`on ${COUNT} generated scripts (seed ${SEED})`, () => {
    const next = random(SEED);
    const scripts = Array.from({ length: COUNT }, () => generateScript(next));
    const readings = gateReadings(scripts);
    const problems: string[] = [];
    let resolved = 0;
    let reported = 0;
    scripts.forEach((script, i) => {
      const [reading] = readings[i]!;
      if (!reading) return void problems.push(`${JSON.stringify(script)}: the gate sees no redis-server`);
      if (reading.unresolved.length > 0) return void reported++;
      resolved++;
      const theirs = bashArguments(script).filter((a) => a !== '--sentinel');
      const ours = reading.args.filter((a) => a !== '--sentinel');
      // The gate keeps quotes on words it does not read as options (the rules trim them); compare as bash sees them.
      const unquoted = ours.map((a) => a.replace(/^(["'])(.*)\1$/s, '$2'));
      if (JSON.stringify(unquoted) !== JSON.stringify(theirs)) problems.push(`${JSON.stringify(script)}\n  bash passes ${JSON.stringify(theirs)}\n  the gate reads ${JSON.stringify(ours)}`);
    });
    console.log(`shell arrays: ${resolved} scripts read as bash runs them, ${reported} reported as unresolved`);
    expect(problems.slice(0, 20).join('\n\n')).toBe('');
    // Not vacuous: both kinds are common in the corpus.
    expect(resolved).toBeGreaterThan(COUNT / 5);
    expect(reported).toBeGreaterThan(COUNT / 5);
  });
});
