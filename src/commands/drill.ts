import { Command, Option } from 'commander';
import { missingPrograms } from '../drill/programs.js';
import { scenarioIds, scenarios, type ScenarioId } from '../drill/scenario-ids.js';
import { parseList, requireDeployment, ROOT_HELP, rootOption } from './common.js';
import { UsageError, type Outcome } from './exit-codes.js';

export interface DrillCommandOptions {
  /** Undefined: every scenario, or none when --rollout names recorded rollouts. */
  scenarios?: ScenarioId[];
  skip: ScenarioId[];
  rollout?: string[];
  format: 'text' | 'json';
  subnet: string;
  keep?: boolean;
  root: string;
}

/** The scenarios, one line each, for --help: from the drill's registry, which loads no cluster or chart module. */
function scenarioList(): string {
  const width = Math.max(...scenarios.map((s) => s.id.length)) + 2;
  return ['', 'Scenarios (they run in this order; --scenarios picks some):', ...scenarios.map((s) => `  ${s.id.padEnd(width)}${s.description}`)].join('\n');
}

export function drillCommand(): Command {
  return new Command('drill')
    .description("run a deployment's generated configuration on local redis, sentinel and haproxy processes, inject faults, report")
    .argument('<deployment>', 'the deployment to drill (deployments/<name>.yaml)')
    .addOption(
      new Option('--scenarios <ids>', 'comma-separated scenarios to run, in their fixed order (default: all of them; none with --rollout)').argParser((value) =>
        parseList(value, 'scenario', scenarioIds),
      ),
    )
    .option(
      '--rollout <files...>',
      'replay recorded rollouts (test/engine/recorded/<class>.json: the order the engine tier saw Argo CD and the rollout Job restart the members) under portal and direct writers, after the scenarios',
    )
    .addOption(
      new Option('--skip <ids>', 'comma-separated scenarios to leave out of those selected')
        .default([], 'none')
        .argParser((value) => parseList(value, 'scenario', scenarioIds)),
    )
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'json']).default('text'))
    .option(
      '--subnet <a.b.c>',
      'first three octets of the loopback addresses to bind (members .11-.13, portals .21-.22); as root, with network namespaces, 198.18.<c> instead',
      '127.0.9',
    )
    .option('--keep', "keep the processes' folder (configuration, logs, data) for a look afterwards")
    .option('--root <dir>', ROOT_HELP, rootOption, '.')
    .addHelpText('after', scenarioList);
}

export async function drillAction(deployment: string, opts: DrillCommandOptions): Promise<Outcome> {
  await requireDeployment(opts.root, deployment);
  const selected = (opts.scenarios ?? (opts.rollout ? [] : [...scenarioIds])).filter((id) => !opts.skip.includes(id));
  if (selected.length === 0 && !opts.rollout) throw new UsageError('--skip leaves no scenario to run');
  const missing = missingPrograms('haproxy', 'openssl');
  if (missing) throw new UsageError(`${missing}; on Debian: apt-get install haproxy openssl`);
  if (selected.includes('backup-restore')) {
    const { missingBackupTools } = await import('../drill/backup-tools.js');
    const tools = missingBackupTools();
    if (tools) throw new UsageError(`scenario backup-restore: ${tools}`);
  }
  const { drill, formatDrillText, MissingServers, AddressesInUse } = await import('../drill/drill.js');
  const { RecordedRolloutError } = await import('../drill/recorded-rollout.js');
  const report = await drill({
    root: opts.root,
    deployment,
    scenarios: selected,
    ...(opts.rollout ? { rollouts: opts.rollout } : {}),
    subnet: opts.subnet,
    keep: !!opts.keep,
    progress: (message) => process.stderr.write(`drill: ${message}\n`),
  }).catch((error: unknown) => {
    // The deployment's engine line has no build here: bad usage for this machine, not a failed drill.
    if (error instanceof MissingServers || error instanceof RecordedRolloutError || error instanceof AddressesInUse) throw new UsageError(error.message);
    throw error;
  });
  process.stdout.write(opts.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatDrillText(report));
  return report.passed ? 'ok' : 'failed';
}
