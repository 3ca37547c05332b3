import { Command } from 'commander';
import type { SynthOptions, SynthResult } from '../synth/synth.js';
import { ROOT_HELP } from './common.js';
import { withConsequence, type Outcome } from './exit-codes.js';

export interface SynthCommandOptions {
  out: string;
  root: string;
  full?: boolean;
}

export function synthCommand(): Command {
  return new Command('synth')
    .description('render deployments/*.yaml and clusters/*.yaml into Kubernetes manifests')
    .option('--out <dir>', 'output folder (replaced whole, atomically)', process.env.CDK8S_OUTDIR ?? 'dist')
    .option('--root <dir>', ROOT_HELP, '.')
    .option('--full', 'render every deployment, also those whose inputs did not change since the last synth');
}

export async function synthAction(opts: SynthCommandOptions): Promise<Outcome> {
  return runSynth(opts.root, opts.out, { full: !!opts.full });
}

/** Synth, then what it wrote. Bad input leaves `out` as it was. */
export async function runSynth(root: string, out: string, options?: SynthOptions): Promise<Outcome> {
  const result = await withConsequence(`${out}/ was left unchanged`, async () => {
    const { synth } = await import('../synth/synth.js');
    return synth(root, out, options);
  });
  process.stdout.write(describeSynth(result, out));
  return 'ok';
}

function describeSynth(result: SynthResult, out: string): string {
  const c = result.changes;
  const lines = [
    `synth: ${result.deployments} deployment(s) on ${result.clusters} cluster(s), ${result.rendered} rendered, ` +
      `${result.deployments - result.rendered} unchanged → ${out}/ (${result.files} files): ` +
      `${c.added.length} added, ${c.changed.length} changed, ${c.removed.length} removed, ${c.unchanged} unchanged`,
    ...result.notes.map((n) => `  ${n.deployment}: ${n.note}`),
    ...result.statesWritten.map((file) => `  wrote ${file} (commit it with dist/)`),
    ...result.statesRemoved.map((file) => `  removed ${file}: its deployment is no longer declared (git history keeps it)`),
  ];
  const show = (mark: string, list: string[]) => {
    for (const file of list.slice(0, 50)) lines.push(`  ${mark} ${file}`);
    if (list.length > 50) lines.push(`  ${mark} ... and ${list.length - 50} more`);
  };
  show('+', c.added);
  show('~', c.changed);
  show('-', c.removed);
  return `${lines.join('\n')}\n`;
}
