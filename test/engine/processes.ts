import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

/** A program of the engine tier running in the background, its output in `<dir>/<name>.log`. */
export interface Program {
  name: string;
  log: string;
  child: ChildProcess;
  /** Resolves when it has exited. */
  exited: Promise<number | null>;
}

/**
 * Starts `file` with `args`; its stdout and stderr go to a log file (the place to look when a step
 * times out). A program that exits while the tier still needs it is reported by `assertRunning`.
 */
export function startProgram(dir: string, name: string, file: string, args: string[], options: { env?: NodeJS.ProcessEnv; argv0?: string } = {}): Program {
  const log = path.join(dir, `${name}.log`);
  const out = createWriteStream(log);
  const child = spawn(file, args, { env: { ...process.env, ...options.env }, argv0: options.argv0, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, log, child, exited };
}

/** Throws with the end of its log when `program` has exited. */
export function assertRunning(program: Program): void {
  if (program.child.exitCode !== null || program.child.signalCode !== null) {
    throw new Error(`${program.name} exited (${program.child.exitCode ?? program.child.signalCode}); the end of ${program.log}:\n${tail(program.log)}`);
  }
}

export function tail(file: string, lines = 25): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Stops programs in the reverse order of their start: TERM, then KILL after a grace period. */
export async function stopPrograms(programs: Program[], graceMs = 5000): Promise<void> {
  for (const p of [...programs].reverse()) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
    // Detached: each program leads its own process group, so helpers it started go with it.
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-(p.child.pid as number), s);
      } catch {
        // already gone
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), graceMs);
    await p.exited;
    clearTimeout(timer);
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * `command` as a pod's container finds its service account: in a mount namespace of its own where a
 * tmpfs over /run holds the token and CA of `accountDir` at /var/run/secrets/kubernetes.io/serviceaccount
 * (the fixed path in-cluster clients read). Nothing on the machine changes; needs root.
 */
export function inClusterCommand(accountDir: string, command: readonly string[]): [string, string[]] {
  const setUp = [
    'set -e',
    'mount -t tmpfs engine-tier /run',
    'mkdir -p /run/secrets/kubernetes.io/serviceaccount',
    `cp "${accountDir}"/token "${accountDir}"/ca.crt /run/secrets/kubernetes.io/serviceaccount/`,
    'exec "$@"',
  ].join('\n');
  return ['unshare', ['--mount', '--propagation=private', '--', 'sh', '-c', setUp, 'sh', ...command]];
}
