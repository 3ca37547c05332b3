import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Command, Option } from 'commander';
import { rotateWhat, rotationSteps, type RotateWhat, type RotationRequest, type RotationStep } from '../secrets/rotations.js';
import { listOption, outOption, requireDeployment, ROOT_HELP, rootOption } from './common.js';
import { UsageError, type Outcome } from './exit-codes.js';
import { runSynth } from './synth.js';
import { terminalProgress } from '../progress.js';

const run = promisify(execFile);

export interface RotateOptions {
  what: RotateWhat[];
  step?: RotationStep;
  dryRun?: boolean;
  out: string;
  root: string;
}

export function rotateCommand(): Command {
  return new Command('rotate')
    .description(
      'rotate the CA or the passwords of a deployment in three steps, each its own commit and sync, old and new both valid in between: ' +
        'start (the new one is accepted everywhere beside the old), switch (its users move to the new one), finish (the old one is dropped); then synth',
    )
    .argument('<deployment>', 'deployment name (deployments/<name>.yaml)')
    .addOption(
      new Option('--what <what>', `what to rotate: ca, passwords (several: comma-separated or the option repeated); server is the CA rotation's switch step`)
        .argParser(listOption('rotation', rotateWhat))
        .makeOptionMandatory(),
    )
    .addOption(new Option('--step <step>', 'the step to take (default: start)').choices(rotationSteps))
    .option('--dry-run', 'show what the step would change and restart, as diff does, and write nothing')
    .option('--out <dir>', 'output folder', outOption, process.env.CDK8S_OUTDIR ?? 'dist')
    .option('--root <dir>', ROOT_HELP, rootOption, '.');
}

export async function rotateAction(deployment: string, opts: RotateOptions): Promise<Outcome> {
  await requireDeployment(opts.root, deployment);
  const request = rotationRequest(opts.what, opts.step);
  const rotate = new Map([[deployment, request]]);
  if (opts.dryRun) {
    const { driftFrom } = await import('../synth/compare.js');
    const { describePlans } = await import('./synth.js');
    const only = (file: string) => file.split('/')[1] === deployment;
    const progress = terminalProgress('rotate --dry-run');
    const { changes: c, patches, plans, notes } = await driftFrom(opts.root, opts.out, only, { rotate, progress }).finally(() => progress.end());
    for (const patch of patches.values()) process.stdout.write(patch);
    for (const line of [...notes.map((n) => `  ${n.deployment}: ${n.note}`), ...describePlans(plans)]) process.stdout.write(`${line}\n`);
    process.stdout.write(`rotate --dry-run: ${c.changed.length} changed, ${c.added.length} added, ${c.removed.length} removed; nothing written\n`);
    return 'ok';
  }
  const steps = Object.values(request).filter((step) => step !== 'start');
  if (steps.length) process.stdout.write(`${await previousStepCommitted(opts.root, deployment)}\n`);
  return runSynth(opts.root, opts.out, { rotate });
}

/** The steps `--what` and `--step` ask for; a usage error for combinations that make no sense. */
export function rotationRequest(what: readonly RotateWhat[], step: RotationStep | undefined): RotationRequest {
  if (what.includes('server')) {
    if (step) throw new UsageError(`--what server is the CA rotation's switch step (--what ca --step switch) and takes no --step`);
    if (what.includes('ca')) {
      throw new UsageError('--what ca and --what server are two steps of one CA rotation: take one at a time, each committed and synced before the next');
    }
  }
  const request: RotationRequest = {};
  for (const w of what) {
    if (w === 'server') request.ca = 'switch';
    else request[w] = step ?? 'start';
  }
  return request;
}

/**
 * Each step must reach the cluster on its own: two steps in one commit are one change, which is
 * what the steps exist to avoid. Refuses a step after the first while the deployment's state file
 * (which every step changes) differs from git's HEAD; says what it checked, and what it cannot
 * (that the commit was pushed and synced, that applications took it up).
 */
async function previousStepCommitted(root: string, deployment: string): Promise<string> {
  const git = (...args: string[]) => run('git', args, { cwd: root });
  try {
    await git('rev-parse', '--is-inside-work-tree');
  } catch {
    return `rotate: not checked that the previous step is committed: ${path.resolve(root)} is not in a git work tree`;
  }
  const { stdout } = await git('status', '--porcelain', '--untracked-files=all', '--', 'state');
  const pending = stdout
    .split('\n')
    .map((line) => line.slice(3))
    .filter((file) => path.basename(file) === `${deployment}.json`);
  if (pending.length) {
    throw new UsageError(
      `${pending.join(', ')} has changes that are not committed: commit the previous step (state/ with dist/), push it and let Argo CD sync it ` +
        `before the next step; two steps in one sync are one change, and clients would meet a server that does not accept them. ` +
        `(To undo an uncommitted step instead: git checkout -- state dist)`,
    );
  }
  return `rotate: checked that the previous step is committed (state/ of ${deployment} as in git's HEAD); not checked: that it was pushed, that Argo CD synced it (Synced and Healthy), and what the previous step's note said to wait for`;
}
