import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatReport, gateFails, gateFormats, type GateFormat } from '../gate/report.js';
import { listOption, ROOT_HELP, rootOption } from './common.js';
import type { Outcome } from './exit-codes.js';
import { terminalProgress } from '../progress.js';

export interface GateOptions {
  format: GateFormat;
  strict?: boolean;
  allowStorageClass?: string[];
  checkSynced?: boolean;
  changed?: boolean;
  base: string;
  root: string;
  staged?: boolean;
  threads?: number;
  waiverMaxDays?: number;
  /** The day waivers are judged on (YYYY-MM-DD); today by default. */
  today?: string;
  /** false with --no-cache. */
  cache: boolean;
}

export function gateCommand(): Command {
  return new Command('gate')
    .description('check manifests against the policies (exit 0 pass, 1 error-severity violations or, with --strict, warnings, 2 bad input)')
    .argument('[paths...]', 'files or folders of YAML manifests', ['dist'])
    .addOption(new Option('--format <format>', 'output format').choices(gateFormats).default('text'))
    .option('--strict', 'warnings fail the gate too (exit 1)')
    .option(
      '--allow-storage-class <name>',
      'StorageClasses that exist in the clusters and were reviewed there (claims may use them although no manifest defines them; several: comma-separated or the option repeated)',
      listOption('StorageClass'),
    )
    .option('--waiver-max-days <days>', 'the longest a waiver may run, in days after today (default: docs/POLICIES.md); a waiver expiring later waives nothing', dayCount)
    .option('--today <date>', 'judge waivers as on this day (YYYY-MM-DD, UTC; default: today): which will have run out by a release', calendarDay)
    .option('--check-synced', 'also fail when the first path is not what synth makes of the current inputs')
    .option('--changed', 'gate only the deployments whose files differ from --base (with their clusters\' cluster-scoped objects); the first path is the synth output')
    .option('--base <rev>', 'git revision --changed compares with (a pull request\'s base branch)', 'HEAD')
    .option('--root <dir>', `${ROOT_HELP} (for --check-synced)`, rootOption, '.')
    .option('--staged', "judge what git would commit (the files staged in git's index), not the working tree: the pre-commit hook's check")
    .option('--no-cache', 'judge every file and group anew, without the verdicts earlier runs kept (by content) in node_modules/.cache/redis-gitops/gate/ (and with --changed, ask git what changed, not the record of the last run)')
    .option('--threads <count>', 'worker threads to read and check with, 0 for none (default: one per core from about 4000 files on)', threadCount);
}

export async function gateAction(paths: string[], opts: GateOptions): Promise<Outcome> {
  if (!opts.staged) return judge(paths, opts);
  const { stagedIsWorkTree, stagedTree } = await import('../gate/staged.js');
  // Everything staged as it is in the work tree: the work tree is the staged tree.
  if (await stagedIsWorkTree(opts.root)) return judge(paths, opts, { changedIn: paths[0]!, here: (file) => file });
  // Else the staged tree, written out to a temporary folder and judged there; reported with the work tree's paths.
  const tree = await stagedTree(opts.root);
  try {
    const here = (file: string) => path.relative(process.cwd(), path.join(tree.top, path.relative(tree.dir, file))) || '.';
    return await judge(
      paths.map((p) => tree.at(p)),
      { ...opts, root: tree.at(opts.root) },
      { changedIn: paths[0]!, here },
    );
  } finally {
    await tree.remove();
  }
}

/**
 * Gates `paths` (with --check-synced, --changed). `staged`: the paths are in a staged tree, `changedIn`
 * is the work tree's output folder whose index --changed reads, `here` names a staged file as the user
 * knows it.
 */
async function judge(paths: string[], opts: GateOptions, staged?: { changedIn: string; here: (file: string) => string }): Promise<Outcome> {
  const shown = staged?.here ?? ((file: string) => file);
  const alsoFails: string[] = [];
  if (opts.checkSynced) {
    const { driftFrom } = await import('../synth/compare.js');
    const synthProgress = terminalProgress('gate --check-synced');
    const { changes } = await driftFrom(opts.root, paths[0]!, undefined, { progress: synthProgress }).finally(() => synthProgress.end());
    const differing = [...changes.changed, ...changes.added, ...changes.removed];
    if (differing.length) {
      process.stderr.write(`gate: ${shown(paths[0]!)}/ is not what synth makes of the ${staged ? 'staged ' : ''}inputs (run npm run synth${staged ? ' and stage dist/' : ''}):\n`);
      for (const file of changes.changed) process.stderr.write(`  changed  ${file}\n`);
      for (const file of changes.added) process.stderr.write(`  missing  ${file}\n`);
      for (const file of changes.removed) process.stderr.write(`  extra    ${file}\n`);
      alsoFails.push(`${shown(paths[0]!)}/ is not what synth makes of the ${staged ? 'staged ' : ''}inputs (${differing.length} file(s))`);
    }
  }
  let gated = paths;
  if (opts.changed) {
    const { changedPaths } = await import('../gate/changed.js');
    const { GATE_CACHE } = await import('../gate/cache.js');
    gated = staged ? await changedPaths(staged.changedIn, opts.base, { dist: paths[0]! }) : await changedPaths(paths[0]!, opts.base, undefined, opts.cache ? GATE_CACHE : undefined);
    const what = staged ? 'staged changes' : 'changed';
    process.stderr.write(`gate: ${gated.length ? `${what} since ${opts.base}: ${gated.map(shown).join(', ')}` : `nothing under ${shown(paths[0]!)} ${staged ? 'staged as changed' : 'changed'} since ${opts.base}`}\n`);
    if (gated.length === 0) return alsoFails.length ? 'failed' : 'ok';
  }
  const { runGate } = await import('../gate/gate.js');
  const { GATE_CACHE } = await import('../gate/cache.js');
  // The verdict cache is the fleet's: loading it costs more than gating one change anew (0.13 s of
  // a 0.5 s gate --changed at 1000 deployments, growing with the fleet), so --changed does without.
  const progress = terminalProgress('gate');
  const report = await runGate(gated, {
    allowedStorageClasses: opts.allowStorageClass,
    threads: opts.threads,
    waiverMaxDays: opts.waiverMaxDays,
    today: opts.today,
    cache: opts.cache && !opts.changed ? GATE_CACHE : undefined,
    progress,
  }).finally(() => progress.end());
  if (staged) for (const v of report.violations) v.file = shown(v.file);
  const options = { strict: opts.strict, alsoFails };
  process.stdout.write(formatReport(report, opts.format, options));
  return gateFails(report, options) ? 'failed' : 'ok';
}

function dayCount(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || count < 1 || count > 3660) throw new InvalidArgumentError(`expected a whole number of days from 1 to 3660, got ${value}`);
  return count;
}

function calendarDay(value: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  // A day of the calendar: Date would take 2026-02-30 for March 2nd.
  const day = match && new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  if (!day || day.toISOString().slice(0, 10) !== value) throw new InvalidArgumentError(`expected a day of the calendar as YYYY-MM-DD, got ${value}`);
  return value;
}

function threadCount(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || count > 256) throw new InvalidArgumentError(`expected a whole number of threads from 0 to 256, got ${value}`);
  return count;
}
