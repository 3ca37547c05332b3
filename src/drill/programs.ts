import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { engineTraits, engineVersion, engineVersions, linesOf, type Engine } from '../../model/engines.js';
import { fromRoot } from '../paths.js';

/** Which of `programs` are not on the PATH, as a sentence; undefined when all are. */
export function missingPrograms(...programs: string[]): string | undefined {
  const missing = programs.filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);
  return missing.length ? `not installed: ${missing.join(', ')}` : undefined;
}

let parentDeathPrefix: readonly string[] | undefined;

/**
 * The command prefix that has the kernel kill a process the drill starts when the drill dies:
 * `setpriv --pdeathsig KILL` (util-linux; the setting survives the exec into the program). A drill
 * killed outright (SIGKILL, a CI runner's timeout) runs no exit handler: its redis, sentinels and
 * haproxy ran on, holding their addresses, and the next drill on that --subnet was refused. Empty
 * where setpriv is missing (the processes then outlive such a drill, as before).
 */
export function dieWithDrill(): readonly string[] {
  parentDeathPrefix ??= missingPrograms('setpriv') ? [] : ['setpriv', '--pdeathsig', 'KILL', '--'];
  return parentDeathPrefix;
}

/** The server, sentinel and CLI of one engine line as built for the tests, in one folder. */
export interface ServerPrograms {
  engine: Engine;
  line: string;
  /** The version the server reports (`--version`), e.g. 8.6.3. */
  version: string;
  /** The folder holding them: put first on the PATH of whatever runs the member scripts. */
  binDir: string;
  server: string;
  sentinel: string;
  cli: string;
}

/**
 * The programs the drill and the process tests run for `engine` `line`: the build of that line that
 * model/engines.ts names (`tested`), from .tools/<engine>/<version>/bin (npm run servers:build
 * builds it). A sentence saying why not when there is none: the line is not tested here, or not built.
 */
export function serverPrograms(engine: Engine, line: string): ServerPrograms | string {
  const entry = engineVersion(engine, line);
  if (!entry) return `${engine} ${line} is not an offered line (model/engines.ts)`;
  if (!('tested' in entry)) return `${engine} ${line} is not tested here: no build of it is reachable (model/engines.ts)`;
  const binDir = fromRoot('.tools', engine, entry.tested.version, 'bin');
  const { programs } = engineTraits[engine];
  const missing = Object.values(programs).filter((p) => !existsSync(path.join(binDir, p)));
  if (missing.length) return `${engine} ${entry.tested.version} not built (${missing.join(', ')} missing in ${binDir}): run npm run servers:build`;
  const reported = spawnSync(path.join(binDir, programs.server), ['--version'], { encoding: 'utf8' }).stdout;
  const version = /v=(\d+\.\d+\.\d+)/.exec(reported)?.[1] ?? 'unknown';
  return { engine, line, version, binDir, ...programs };
}

/**
 * The programs of the engine line whose pinned image is `image` (a pod's container image, as synth
 * writes it from model/engines.ts), or why there are none: the build a pod of that image runs here.
 */
export function programsForImage(image: string): ServerPrograms | string {
  const entry = engineVersions.find((v) => v.image === image);
  if (!entry) return `image ${image} is not the pinned image of any line in model/engines.ts`;
  return serverPrograms(entry.engine, entry.line);
}

/** The programs of a tested build named `<engine> <version>` (as `started` events of a recorded rollout name it), or why there are none. */
export function programsForBuild(build: string): ServerPrograms | string {
  const [engine, version] = build.split(' ');
  const entry = engineVersions.find((v) => v.engine === engine && 'tested' in v && v.tested.version === version);
  if (!entry) return `${build} is the tested build of no line in model/engines.ts`;
  return serverPrograms(entry.engine, entry.line);
}

/** The environment `env` with `programs` first on its PATH. */
export function withPrograms(env: NodeJS.ProcessEnv, programs: ServerPrograms): NodeJS.ProcessEnv {
  return { ...env, PATH: `${programs.binDir}${path.delimiter}${env.PATH ?? ''}` };
}

/** Every offered line with a build, and those without, for the tests that run each. */
export function testedLines(): { built: ServerPrograms[]; missing: string[] } {
  const built: ServerPrograms[] = [];
  const missing: string[] = [];
  for (const engine of ['redis', 'valkey'] as const) {
    for (const line of linesOf(engine)) {
      const found = serverPrograms(engine, line);
      if (typeof found === 'string') missing.push(found);
      else built.push(found);
    }
  }
  return { built, missing };
}
