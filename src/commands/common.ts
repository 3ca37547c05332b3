import { statSync } from 'node:fs';
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
