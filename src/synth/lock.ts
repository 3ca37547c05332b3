import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/** The lock file of a repository: one synth at a time writes its dist/ and state/. */
export const LOCK_FILE = '.synth.lock';

/** Another synth (or diff, or gate --check-synced) holds the repository's lock. */
export class RepositoryBusy extends Error {
  constructor(
    readonly lockFile: string,
    readonly holder: string,
  ) {
    super(`${lockFile}: another synth (${holder}) is still writing dist/ and state/ of this repository; nothing was changed, try again once it has finished`);
    this.name = 'RepositoryBusy';
  }
}

export interface LockOptions {
  /** How long to wait for another holder, in ms (default 10 minutes; 0: fail at once). */
  wait?: number;
  /** Called once when the lock is held by another process, before waiting for it. */
  onWait?: (holder: string) => void;
}

/**
 * Runs `action` holding the lock of the repository at `root`, after waiting for the holder of the
 * moment to finish: a file created with O_EXCL that names the holder's process and host. A lock
 * whose process no longer runs on this host (a synth killed with SIGKILL) is stale and is taken
 * over. Not proper-lockfile: it finds stale locks by an mtime its holder refreshes from a timer, and
 * synth keeps its event loop busy rendering for seconds at a time (synchronous cdk8s), so a live
 * synth would lose its lock to a second one.
 */
export async function withRepositoryLock<T>(root: string, action: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const file = path.join(root, LOCK_FILE);
  const release = await acquire(file, options);
  try {
    return await action();
  } finally {
    release();
  }
}

interface Holder {
  pid: number;
  host: string;
}

const describe = (h: Holder) => `process ${h.pid} on ${h.host}`;

async function acquire(file: string, { wait = 10 * 60_000, onWait }: LockOptions): Promise<() => void> {
  const me: Holder = { pid: process.pid, host: hostname() };
  const text = `${JSON.stringify(me)}\n`;
  const started = Date.now();
  let told = false;
  for (;;) {
    if (createExclusive(file, text)) {
      return () => {
        // Only our own lock: never one a second process took over after deciding ours was stale.
        if (readHolder(file)?.text === text) unlinkQuietly(file);
      };
    }
    const held = readHolder(file);
    if (held === undefined) continue; // released meanwhile
    if (stale(file, held.holder)) {
      if (!breakStale(file, held.text)) await new Promise((resolve) => setTimeout(resolve, 10));
      continue;
    }
    const holder = held.holder ? describe(held.holder) : 'a process that has not written its name into the lock yet';
    if (Date.now() - started >= wait) throw new RepositoryBusy(file, holder);
    if (!told && held.holder) onWait?.(holder);
    told ||= !!held.holder;
    await new Promise((resolve) => setTimeout(resolve, held.holder ? 100 : 10));
  }
}

/** Creates `file` (O_EXCL) holding `text`; false when it exists already. */
function createExclusive(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The lock's text and holder (undefined holder: unreadable, e.g. a holder killed before it wrote). */
function readHolder(file: string): { text: string; holder: Holder | undefined } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const holder = JSON.parse(text) as Holder;
    return { text, holder: Number.isInteger(holder.pid) && typeof holder.host === 'string' ? holder : undefined };
  } catch {
    return { text, holder: undefined };
  }
}

/** Whether the holder still runs. A lock of another host (a shared file system) is never taken over. */
function running(holder: Holder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a lock (or breaker) file is left over: its holder is gone, or it names none and is older
 * than a holder takes to write its name (the moment between creating the file and writing it).
 */
function stale(file: string, holder: Holder | undefined): boolean {
  if (holder) return !running(holder);
  try {
    return Date.now() - statSync(file).mtimeMs > 2000;
  } catch {
    return false;
  }
}

/**
 * Removes a stale lock, unless another process replaced it meanwhile. Two processes that both found
 * it stale must not both remove it (the second would remove the first's new lock): removing takes a
 * second O_EXCL file, held for the few microseconds of a read and an unlink.
 */
function breakStale(file: string, staleText: string): boolean {
  const breaker = `${file}.break`;
  if (!createExclusive(breaker, `${JSON.stringify({ pid: process.pid, host: hostname() })}\n`)) {
    // Another process is breaking it now; or one died doing so (a microsecond window): clear that.
    const held = readHolder(breaker);
    if (held && stale(breaker, held.holder)) unlinkQuietly(breaker);
    return false;
  }
  try {
    if (readHolder(file)?.text === staleText) unlinkQuietly(file);
    return true;
  } finally {
    unlinkQuietly(breaker);
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
