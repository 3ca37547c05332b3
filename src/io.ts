import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The operating system refusing a file operation: a full disk, a missing permission, a read-only
 * file system; or memory (ENOMEM: the gate's policy, src/gate/policy.ts). Not a bug of
 * redis-gitops, and not bad input either: the command says which file and why, and what it left as
 * it was (exit 70, README "Exit codes").
 */
const REFUSALS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EMFILE: 'too many open files in this process',
  ENFILE: 'too many open files on this system',
  ENOMEM: 'not enough memory or address space (is `ulimit -v` set?)',
};

/**
 * A folder the file system will not make where it was asked for: `--out` under /proc, under a file,
 * or through a symbolic link to nothing. The output folders are made by makeFolder, which makes the
 * missing parents first, and the caches' and the drill's with mkdir's recursive option, so from
 * mkdir these codes say the place takes no folder. From any other call they mean a file the code
 * expected is missing: that is a bug, and stays an internal error.
 */
const MKDIR_REFUSALS: Record<string, string> = {
  ENOENT: 'the file system takes no folders there',
  ENOTDIR: 'a parent is a file, not a folder',
  EEXIST: 'something that is no folder is in the way (a file, or a symbolic link to nothing)',
};

function refusalReason(error: NodeJS.ErrnoException): string | undefined {
  const code = error.code ?? '';
  return Object.hasOwn(REFUSALS, code) ? REFUSALS[code] : error.syscall === 'mkdir' && Object.hasOwn(MKDIR_REFUSALS, code) ? MKDIR_REFUSALS[code] : undefined;
}

/** Whether `error` is the system refusing a file operation (see REFUSALS and MKDIR_REFUSALS). */
export function isSystemRefusal(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && refusalReason(error as NodeJS.ErrnoException) !== undefined;
}

/** "cannot open dist/x.yaml: permission denied (EACCES)" */
export function describeRefusal(error: NodeJS.ErrnoException): string {
  const what = error.syscall ? `cannot ${error.syscall}` : 'failed';
  const dest = (error as { dest?: string }).dest;
  const where = error.path ? ` ${error.path}${dest ? ` to ${dest}` : ''}` : '';
  return `${what}${where}: ${refusalReason(error) ?? error.message} (${error.code})`;
}

/** A system refusal, with what the command left as it was or what completes it. */
export class SystemRefusal extends Error {
  constructor(
    readonly error: NodeJS.ErrnoException,
    readonly consequence: string,
  ) {
    super(`${describeRefusal(error)}; ${consequence}`);
    this.name = 'SystemRefusal';
  }
}

/**
 * mkdirSync(folder, { recursive: true }), one folder at a time from the deepest one that exists:
 * node's recursive mkdir retries for ever where a parent exists but takes no folders (under /proc,
 * `synth --out /proc/x/y` spun at 100% CPU). Here the file system's own error is thrown instead
 * (ENOENT, ENOTDIR, EEXIST for a symbolic link to nothing). Returns the topmost folder it made.
 */
export function makeFolder(folder: string): string | undefined {
  const missing: string[] = [];
  for (let at = path.resolve(folder); !existsSync(at); at = path.dirname(at)) {
    missing.push(at);
    if (path.dirname(at) === at) break;
  }
  // A file where the folder should be: mkdir says so, as the recursive one does.
  if (!missing.length && !statSync(folder).isDirectory()) mkdirSync(folder);
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (error) {
      // Made meanwhile by another process: as good.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !existsSync(dir) || !statSync(dir).isDirectory()) throw error;
    }
  }
  return missing[0];
}
