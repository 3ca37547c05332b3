import { Command } from 'commander';
import { diffAction, diffCommand } from './commands/diff.js';
import { drillAction, drillCommand } from './commands/drill.js';
import { EXIT, VERBOSE_ENV, exitCodeFor, type Outcome } from './commands/exit-codes.js';
import { gateAction, gateCommand } from './commands/gate.js';
import { rotateAction, rotateCommand } from './commands/rotate.js';
import { schemasAction, schemasCommand } from './commands/schemas.js';
import { synthAction, synthCommand } from './commands/synth.js';
import { testSealingKeyAction, testSealingKeyCommand } from './commands/test-sealing-key.js';
import { generator } from './version.js';

// One module per command in src/commands/: its definition and its action. Each action loads its own
// modules when it runs: a gate of one deployment need not load cdk8s, nor a synth the policy engine
// (a third of a short run's time went to loading modules). What an action returns or throws becomes
// an exit code in one place, src/commands/exit-codes.ts.

export { EXIT } from './commands/exit-codes.js';

export async function main(argv: string[]): Promise<number> {
  // Files and folders the commands write (dist/, state/, the drill's) are 0644 and 0755 whatever the
  // user's umask: under umask 000 they were world-writable, and git records the executable bit.
  process.umask(0o022);
  let outcome = 'ok' as Outcome;
  let running = 'redis-gitops';
  const program = new Command('redis-gitops')
    .description('Generate and gate GitOps manifests for highly available Redis on Kubernetes')
    .version(generator.version)
    .option('--verbose', `print the stack trace of an internal error (or set ${VERBOSE_ENV}=1)`)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

  const add = <Args extends unknown[]>(command: Command, action: (...args: Args) => Promise<Outcome>) => {
    command.copyInheritedSettings(program);
    command.action(async (...args: unknown[]) => {
      outcome = await action(...(args as Args));
    });
    program.addCommand(command);
  };
  program.hook('preSubcommand', (_, command) => {
    running = command.name();
  });
  add(synthCommand(), synthAction);
  add(rotateCommand(), rotateAction);
  add(gateCommand(), gateAction);
  add(diffCommand(), diffAction);
  add(drillCommand(), drillAction);
  add(schemasCommand(), schemasAction);
  add(testSealingKeyCommand(), testSealingKeyAction);

  try {
    await program.parseAsync(argv);
  } catch (error) {
    const verbose = !!program.opts().verbose || !!process.env[VERBOSE_ENV];
    return exitCodeFor(error, { command: running, verbose, write: (text) => process.stderr.write(text) });
  }
  return outcome === 'failed' ? EXIT.failed : EXIT.ok;
}
