import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { InputErrors, formatInputError } from './config/errors.js';
import { scenarioIds, type ScenarioId } from './drill/scenario-ids.js';
import { missingPrograms } from './drill/programs.js';
import { UnreadableInput } from './gate/documents.js';
import { formatReport, gateFails, gateFormats, type GateFormat } from './gate/report.js';
import { rotations, type Rotation } from './secrets/rotations.js';
import type { SynthOptions, SynthResult } from './synth/synth.js';
import { generator } from './version.js';

// Each command loads its own modules when it runs: a gate of one deployment need not load cdk8s,
// nor a synth the policy engine (a third of a short run's time went to loading modules).

/** Exit codes shared by every command: 0 fine, 1 the input or manifests fail, 2 bad usage or unreadable input. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('redis-gitops')
    .description('Generate and gate GitOps manifests for highly available Redis on Kubernetes')
    .version(generator.version)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

  program
    .command('synth')
    .description('render deployments/*.yaml and clusters/*.yaml into Kubernetes manifests')
    .option('--out <dir>', 'output folder (replaced whole, atomically)', process.env.CDK8S_OUTDIR ?? 'dist')
    .option('--root <dir>', 'repository root holding clusters/ and deployments/', '.')
    .option('--full', 'render every deployment, also those whose inputs did not change since the last synth')
    .action(async (opts: { out: string; root: string; full?: boolean }) => {
      exitCode = await runSynth(opts.root, opts.out, { full: !!opts.full });
    });

  program
    .command('rotate')
    .description('renew secrets of a deployment, then synth (ca: prepare a new CA and server certificate; server: serve them; passwords: new passwords)')
    .argument('<deployment>', 'deployment name (deployments/<name>.yaml)')
    .addOption(new Option('--what <what...>', 'what to renew').choices(rotations).makeOptionMandatory())
    .option('--out <dir>', 'output folder', process.env.CDK8S_OUTDIR ?? 'dist')
    .option('--root <dir>', 'repository root holding clusters/ and deployments/', '.')
    .action(async (deployment: string, opts: { what: Rotation[]; out: string; root: string }) => {
      exitCode = await runSynth(opts.root, opts.out, { rotate: new Map([[deployment, new Set(opts.what)]]) });
    });

  program
    .command('gate')
    .description('check manifests against the policies (exit 0 pass, 1 error-severity violations or, with --strict, warnings, 2 bad input)')
    .argument('[paths...]', 'files or folders of YAML manifests', ['dist'])
    .addOption(new Option('--format <format>', 'output format').choices(gateFormats).default('text'))
    .option('--strict', 'warnings fail the gate too (exit 1)')
    .option('--allow-storage-class <name...>', 'StorageClasses that exist in the clusters and were reviewed there (claims may use them although no manifest defines them)')
    .option('--check-synced', 'also fail when the first path is not what synth makes of the current inputs')
    .option('--changed', 'gate only the deployments whose files differ from --base (with their clusters\' cluster-scoped objects); the first path is the synth output')
    .option('--base <rev>', 'git revision --changed compares with (a pull request\'s base branch)', 'HEAD')
    .option('--root <dir>', 'repository root holding clusters/ and deployments/ (for --check-synced)', '.')
    .option('--threads <count>', 'worker threads to read and check with, 0 for none (default: one per core from about 4000 files on)', threadCount)
    .action(async (paths: string[], opts: { format: GateFormat; strict?: boolean; allowStorageClass?: string[]; checkSynced?: boolean; changed?: boolean; base: string; root: string; threads?: number }) => {
      try {
        if (opts.checkSynced) {
          const { driftFrom } = await import('./synth/compare.js');
          const { changes } = await driftFrom(opts.root, paths[0]!);
          const differing = [...changes.changed, ...changes.added, ...changes.removed];
          if (differing.length) {
            process.stderr.write(`gate: ${paths[0]}/ is not what synth makes of the inputs (run npm run synth):\n`);
            for (const file of changes.changed) process.stderr.write(`  changed  ${file}\n`);
            for (const file of changes.added) process.stderr.write(`  missing  ${file}\n`);
            for (const file of changes.removed) process.stderr.write(`  extra    ${file}\n`);
            exitCode = EXIT.failed;
          }
        }
        let gated = paths;
        if (opts.changed) {
          const { changedPaths } = await import('./gate/changed.js');
          gated = await changedPaths(paths[0]!, opts.base);
          process.stderr.write(`gate: ${gated.length ? `changed since ${opts.base}: ${gated.join(', ')}` : `nothing under ${paths[0]} changed since ${opts.base}`}\n`);
          if (gated.length === 0) return;
        }
        const { runGate } = await import('./gate/gate.js');
        const report = await runGate(gated, { allowedStorageClasses: opts.allowStorageClass, threads: opts.threads });
        process.stdout.write(formatReport(report, opts.format, { strict: opts.strict }));
        if (gateFails(report, { strict: opts.strict })) exitCode = EXIT.failed;
      } catch (error) {
        if (error instanceof UnreadableInput) {
          process.stderr.write(`gate: ${error.message}\n`);
          exitCode = EXIT.usage;
        } else if (error instanceof InputErrors) {
          process.stderr.write(`gate: the inputs do not synth:\n${error.message}\n`);
          exitCode = EXIT.failed;
        } else {
          throw error;
        }
      }
    });

  program
    .command('diff')
    .description('show, resource by resource, what a synth would change in dist/ (nothing is written)')
    .argument('[deployment]', 'only this deployment')
    .option('--out <dir>', 'the committed output folder', 'dist')
    .option('--root <dir>', 'repository root holding clusters/ and deployments/', '.')
    .action(async (deployment: string | undefined, opts: { out: string; root: string }) => {
      const only = deployment ? (file: string) => file.split('/')[1] === deployment : undefined;
      const { driftFrom } = await import('./synth/compare.js');
      const { changes, patches } = await driftFrom(opts.root, opts.out, only);
      for (const patch of patches.values()) process.stdout.write(patch);
      const c = changes;
      process.stdout.write(`diff: ${c.changed.length} changed, ${c.added.length} added, ${c.removed.length} removed\n`);
    });

  program
    .command('drill')
    .description("run a deployment's generated configuration on local redis, sentinel and haproxy processes, inject faults, report")
    .argument('<deployment>', 'the deployment to drill (deployments/<name>.yaml)')
    .addOption(new Option('--scenarios <ids>', 'comma-separated scenarios to run, in their fixed order').default([...scenarioIds], 'all of them').argParser(parseScenarios))
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'json']).default('text'))
    .option('--subnet <a.b.c>', 'first three octets of the loopback addresses to bind (members .11-.13, portals .21-.22)', '127.0.9')
    .option('--keep', "keep the processes' folder (configuration, logs, data) for a look afterwards")
    .option('--root <dir>', 'repository root holding clusters/ and deployments/', '.')
    .action(async (deployment: string, opts: { scenarios: ScenarioId[]; format: 'text' | 'json'; subnet: string; keep?: boolean; root: string }) => {
      const missing = missingPrograms('redis-server', 'redis-sentinel', 'redis-cli', 'haproxy', 'openssl');
      if (missing) {
        process.stderr.write(`drill: ${missing}; on Debian: apt-get install redis-server redis-sentinel haproxy openssl\n`);
        exitCode = EXIT.usage;
        return;
      }
      try {
        const { drill, formatDrillText } = await import('./drill/drill.js');
        const report = await drill({
          root: opts.root,
          deployment,
          scenarios: opts.scenarios,
          subnet: opts.subnet,
          keep: !!opts.keep,
          progress: (message) => process.stderr.write(`drill: ${message}\n`),
        });
        process.stdout.write(opts.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatDrillText(report));
        if (!report.passed) exitCode = EXIT.failed;
      } catch (error) {
        if (!(error instanceof InputErrors)) throw error;
        for (const e of error.errors) process.stderr.write(`drill: ${formatInputError(e)}\n`);
        exitCode = EXIT.usage;
      }
    });

  program
    .command('schemas')
    .description('write the JSON Schemas of the input files (for editors) into a folder')
    .option('--out <dir>', 'output folder', 'schemas')
    .action(async (opts: { out: string }) => {
      await mkdir(opts.out, { recursive: true });
      const { inputJsonSchemas } = await import('./config/json-schema.js');
      for (const [name, content] of Object.entries(inputJsonSchemas())) {
        await writeFile(path.join(opts.out, name), content);
        process.stdout.write(`wrote ${path.join(opts.out, name)}\n`);
      }
    });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }
  return exitCode;
}

function threadCount(value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || count > 256) throw new InvalidArgumentError(`expected a whole number of threads from 0 to 256, got ${value}`);
  return count;
}

function parseScenarios(value: string): ScenarioId[] {
  const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !(scenarioIds as readonly string[]).includes(id));
  if (unknown.length || ids.length === 0) {
    throw new InvalidArgumentError(`unknown scenario ${unknown.join(', ') || '(none given)'}: choose from ${scenarioIds.join(', ')}`);
  }
  return ids as ScenarioId[];
}

async function runSynth(root: string, out: string, options?: SynthOptions): Promise<number> {
  try {
    const { synth } = await import('./synth/synth.js');
    process.stdout.write(describeSynth(await synth(root, out, options), out));
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof InputErrors)) throw error;
    process.stderr.write(`synth: ${error.errors.length} problem(s) in the inputs; ${out}/ was left unchanged\n`);
    for (const e of error.errors) process.stderr.write(`  ${formatInputError(e)}\n`);
    return EXIT.failed;
  }
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
