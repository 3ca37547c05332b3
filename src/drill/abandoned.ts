import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * What a drill killed outright leaves, and how the next one takes it back. A drill (or a test's
 * local cluster) runs its processes from a folder of its own under the system's temporary folder,
 * with a file naming the process that runs it; a drill killed with SIGKILL (a CI runner's timeout)
 * runs no exit handler, and its folder, its entrypoints' background loops and, where setpriv is
 * missing, its servers stayed (the network: DrillNetwork.reclaimAbandoned).
 */

/** The folder's file naming the process whose drill it is: there while it runs (a kept folder has none). */
export const OWNER_FILE = 'drill.pid';

/** Whether a process of this id runs (signal 0 checks without sending; EPERM: it runs, as another user). */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Kills every process that runs from the folder of a drill that no longer runs (its command line or
 * its working folder in it) and removes the folder. Returns the folders removed.
 */
export function reclaimAbandonedFolders(): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('redis-gitops-')) continue;
    const dir = path.join(tmpdir(), name);
    let owner: number;
    try {
      owner = Number(readFileSync(path.join(dir, OWNER_FILE), 'utf8'));
    } catch {
      continue; // not a drill's, or kept (--keep)
    }
    if (!(owner > 0) || running(owner)) continue;
    for (const pid of processesIn(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/**
 * The processes whose command line names a file in `dir`, or whose working folder is in it (Linux:
 * /proc), and that have no controlling terminal: the drill starts its processes in sessions of their
 * own (detached), while someone's `tail -f` of a log there runs in a terminal and is left alone.
 */
function processesIn(dir: string): number[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  const inside = (file: string) => file === dir || file.startsWith(`${dir}/`);
  return pids.map(Number).filter((pid) => {
    try {
      if (terminalOf(pid) !== 0) return false;
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => arg.includes(`${dir}/`))) return true;
      return inside(readlinkSync(`/proc/${pid}/cwd`));
    } catch {
      return false; // exited, or not ours to look into
    }
  });
}

/** A process' controlling terminal (tty_nr of /proc/<pid>/stat; 0 for none), read after its name, which may hold blanks and parentheses. */
function terminalOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[4]);
}
