import { Command, Option } from 'commander';
import { rotations, type Rotation } from '../secrets/rotations.js';
import { listOption, requireDeployment, ROOT_HELP } from './common.js';
import type { Outcome } from './exit-codes.js';
import { runSynth } from './synth.js';

export interface RotateOptions {
  what: Rotation[];
  out: string;
  root: string;
}

export function rotateCommand(): Command {
  return new Command('rotate')
    .description('renew secrets of a deployment, then synth (ca: prepare a new CA and server certificate; server: serve them; passwords: new passwords)')
    .argument('<deployment>', 'deployment name (deployments/<name>.yaml)')
    .addOption(
      new Option('--what <what>', `what to renew: ${rotations.join(', ')} (several: comma-separated or the option repeated)`)
        .argParser(listOption('rotation', rotations))
        .makeOptionMandatory(),
    )
    .option('--out <dir>', 'output folder', process.env.CDK8S_OUTDIR ?? 'dist')
    .option('--root <dir>', ROOT_HELP, '.');
}

export async function rotateAction(deployment: string, opts: RotateOptions): Promise<Outcome> {
  await requireDeployment(opts.root, deployment);
  return runSynth(opts.root, opts.out, { rotate: new Map([[deployment, new Set(opts.what)]]) });
}
