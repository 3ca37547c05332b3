import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { UsageError } from './exit-codes.js';

/** The help of the --root option most commands have. */
export const ROOT_HELP = 'repository root holding clusters/ and deployments/';

/** The parser of --root: a folder that is not there is a usage error (exit 2), not a failed lock file. */
export function rootOption(value: string): string {
  if (!statSync(value, { throwIfNoEntry: false })?.isDirectory()) throw new InvalidArgumentError(`no such folder ${value}`);
  return value;
}

/**
 * The parser of --out: a folder, or one that can be made where the path leads (its deepest existing
 * part is a folder). A file or a symbolic link to nothing on the way is a usage error (exit 2) said
 * before anything runs; a place that takes no folders (/proc) is found only by trying, and mkdir's
 * refusal says so then (exit 70).
 */
export function outOption(value: string): string {
  for (let at = path.resolve(value); ; at = path.dirname(at)) {
    let stats;
    try {
      stats = statSync(at, { throwIfNoEntry: false });
    } catch (error) {
      // ENOTDIR: a file further up; said when the walk gets there.
      if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
      throw error;
    }
    if (stats?.isDirectory()) return value;
    if (stats) throw new InvalidArgumentError(`${at} is a file, not a folder`);
    if (lstatSync(at, { throwIfNoEntry: false })?.isSymbolicLink()) throw new InvalidArgumentError(`${at} is a symbolic link to nothing (${readlinkSync(at)})`);
    if (path.dirname(at) === at) return value;
  }
}

/**
 * Fails with a usage error naming the file when `name` is not a deployment under `root` (a
 * deployment is a file deployments/<name>.yaml or .yml), listing the deployments there are.
 */
export async function requireDeployment(root: string, name: string): Promise<void> {
  const names = (await readdir(path.join(root, 'deployments')).catch(() => [] as string[]))
    .filter((file) => /\.ya?ml$/.test(file))
    .map((file) => file.replace(/\.ya?ml$/, ''));
  if (names.includes(name)) return;
  throw new UsageError(`deployments/${name}.yaml: no such deployment (deployments here: ${[...new Set(names)].sort().join(', ') || 'none'})`);
}

/**
 * A comma-separated option value as a list, each item one of `choices` when given: a parse error
 * (exit 2) names the unknown ones and the choices.
 */
export function parseList<T extends string>(value: string, noun: string, choices?: readonly T[]): T[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = choices ? items.filter((item) => !(choices as readonly string[]).includes(item)) : [];
  if (unknown.length || items.length === 0) {
    const among = choices ? `: choose from ${choices.join(', ')}` : '';
    throw new InvalidArgumentError(`unknown ${noun} ${unknown.join(', ') || '(none given)'}${among}`);
  }
  return items as T[];
}

/**
 * The parser of a list option given as `--opt a,b` or `--opt a --opt b`. Not a variadic option
 * (`--opt a b`): that one takes the command's arguments after it as its values, so options could not
 * come before arguments.
 */
export function listOption<T extends string>(noun: string, choices?: readonly T[]): (value: string, previous: T[] | undefined) => T[] {
  return (value, previous) => [...new Set([...(previous ?? []), ...parseList(value, noun, choices)])];
}
