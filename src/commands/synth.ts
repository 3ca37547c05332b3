import { Command } from 'commander';
import type { ChangePlan } from '../synth/change-plan.js';
import type { SynthOptions, SynthResult } from '../synth/synth.js';
import { listOption, outOption, ROOT_HELP, rootOption } from './common.js';
import { withConsequence, type Outcome } from './exit-codes.js';
import { terminalProgress } from '../progress.js';

export interface SynthCommandOptions {
  out: string;
  root: string;
  full?: boolean;
  cache?: boolean;
  acceptChange?: string[];
}

export function synthCommand(): Command {
  return new Command('synth')
    .description('render deployments/*.yaml and clusters/*.yaml into Kubernetes manifests')
    .option('--out <dir>', 'output folder (replaced whole, atomically)', outOption, process.env.CDK8S_OUTDIR ?? 'dist')
    .option('--root <dir>', ROOT_HELP, rootOption, '.')
    .option('--full', 'render every deployment, also those whose inputs did not change since the last synth, and undo hand edits of dist/')
    .option('--no-cache', 'parse every deployment file and resolve every deployment\'s secrets, not only those changed since the last synth (the cache is in node_modules/.cache/redis-gitops/synth/)')
    .option(
      '--accept-change <names>',
      'apply the changes the change plan refuses for these deployments or clusters (comma-separated or repeated), for whoever follows the manual procedure it prints',
      listOption('deployment or cluster'),
    );
}

export async function synthAction(opts: SynthCommandOptions): Promise<Outcome> {
  const { synthCacheFile } = await import('../synth/synth.js');
  const cache = opts.cache === false ? undefined : synthCacheFile(opts.root);
  return runSynth(opts.root, opts.out, { full: !!opts.full, acceptChanges: new Set(opts.acceptChange ?? []), ...(cache ? { cache } : {}) });
}

/** Synth, then what it wrote. Bad input leaves `out` as it was. */
export async function runSynth(root: string, out: string, options?: SynthOptions): Promise<Outcome> {
  const progress = terminalProgress('synth');
  const result = await withConsequence(`${out}/ and state/ were left unchanged`, async () => {
    const { synth } = await import('../synth/synth.js');
    const onWait = (holder: string) => process.stderr.write(`synth: waiting for another synth (${holder}) to finish\n`);
    return synth(root, out, { progress, ...options, lock: { onWait } });
  }).finally(() => progress.end());
  process.stdout.write(describeSynth(result, out));
  return 'ok';
}

function describeSynth(result: SynthResult, out: string): string {
  const c = result.changes;
  const lines = [
    `synth: ${result.deployments} deployment(s) on ${result.clusters} cluster(s), ${result.rendered} rendered, ` +
      `${result.deployments - result.rendered} unchanged → ${out}/ (${result.files} files): ` +
      `${c.added.length} added, ${c.changed.length} changed, ${c.removed.length} removed, ${c.unchanged} unchanged`,
    ...(result.recovered === 'completed' ? ['  first completed the synth a killed run had committed (dist/ and state/ were not in step until now)'] : []),
    ...(result.recovered === 'discarded' ? ['  first removed what a killed run had left unfinished (it had changed nothing)'] : []),
    ...(result.indexProblem ? [`  ${out}/${result.indexProblem}: read every file of ${out}/ and rendered every deployment again; the index is written anew`] : []),
    ...result.notes.map((n) => `  ${n.deployment}: ${n.note}`),
    ...result.statesWritten.map((file) => `  wrote ${file} (commit it with dist/)`),
    ...result.statesRemoved.map((file) => `  removed ${file}: its deployment is no longer declared (git history keeps it)`),
    ...describePlans(result.plans),
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

/** The rollout Job's order, in words: the tie-breaker, then the replica, the primary last. */
function memberOrder(members: ChangePlan['members']): string {
  const data = members.filter((m) => m.holdsData).map((m) => m.name);
  const dataPart =
    data.length > 1 ? `${data.join(' and ')} (the replica first; the primary last, after handing its role over)` : data.length ? `${data[0]} (if it is the primary, after handing its role over)` : '';
  return [...members.filter((m) => !m.holdsData).map((m) => m.name), dataPart].filter(Boolean).join(', then ');
}

/**
 * The change plan, one line per deployment (or cluster) that changes: which workloads restart, which
 * volumes expand online, what changes without a restart, and the refusals (accepted ones, after synth; all of them, for diff).
 */
export function describePlans(plans: readonly ChangePlan[]): string[] {
  return plans.flatMap((p) => {
    const restarts = [
      ...(p.members.length ? [`restarts members one at a time (the rollout Job): ${memberOrder(p.members)}`] : []),
      ...(p.restarts.length ? [`restarts ${p.restarts.join(', ')} (rolling)`] : []),
    ];
    const what = restarts.length ? restarts.join('; ') : 'nothing restarts';
    const expands = p.expands.length ? `; volumes expand online: ${p.expands.join(', ')}` : '';
    const others = p.changes.length ? `; ${p.changes.length} other object(s) change without a restart` : '';
    return [`  plan ${p.folder}: ${what}${expands}${others}`, ...p.refused.map((r) => `    refused: ${r.file}: ${r.field ? `${r.field}: ` : ''}${r.reason}. Instead: ${r.procedure}`)];
  });
}
