import { Command } from 'commander';
import { outOption, requireDeployment, ROOT_HELP, rootOption } from './common.js';
import type { Outcome } from './exit-codes.js';
import { terminalProgress } from '../progress.js';

export interface DiffOptions {
  out: string;
  root: string;
}

export function diffCommand(): Command {
  return new Command('diff')
    .description('show, resource by resource, what a synth would change in dist/ (nothing is written)')
    .argument('[deployment]', 'only this deployment')
    .option('--out <dir>', 'the committed output folder', outOption, 'dist')
    .option('--root <dir>', ROOT_HELP, rootOption, '.');
}

/** Prints the patches and a count; exit 0 whether or not something would change (it is a view, not a check). */
export async function diffAction(deployment: string | undefined, opts: DiffOptions): Promise<Outcome> {
  if (deployment !== undefined) await requireDeployment(opts.root, deployment);
  const only = deployment ? (file: string) => file.split('/')[1] === deployment : undefined;
  const { driftFrom } = await import('../synth/compare.js');
  const progress = terminalProgress('diff');
  const { changes: c, patches, plans } = await driftFrom(opts.root, opts.out, only, { progress }).finally(() => progress.end());
  for (const patch of patches.values()) process.stdout.write(patch);
  const { describePlans } = await import('./synth.js');
  for (const line of describePlans(plans)) process.stdout.write(`${line}\n`);
  process.stdout.write(`diff: ${c.changed.length} changed, ${c.added.length} added, ${c.removed.length} removed\n`);
  return 'ok';
}
