import { CommanderError } from 'commander';
import { InputErrors, formatInputError, type InputError } from '../config/errors.js';
import { UnreadableInput } from '../gate/documents.js';
import { describeRefusal, isSystemRefusal, SystemRefusal } from '../io.js';
import { RepositoryBusy } from '../synth/lock.js';

/**
 * The exit codes of every command, decided here and nowhere else (README: "Exit codes"):
 *
 * - 0: done; the check passed.
 * - 1: the command ran and found problems: gate violations, a failed drill scenario, a dist/ that is
 *   not what synth makes of the inputs (`gate --check-synced`).
 * - 2: bad usage or bad input: an unknown command, option, deployment or scenario, input files that
 *   do not validate (each mistake with its file, line and field), an unreadable manifest, a program
 *   the command needs that is not installed.
 * - 70: the command could not finish: the system refused a file operation (a full disk, a missing
 *   permission; one line names the file and says what was left as it was) or the gate the memory of
 *   its policy (a low `ulimit -v`: src/gate/policy.ts), or an exception nobody
 *   expected, which is a bug (70 is EX_SOFTWARE of sysexits.h).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 70 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What a command's action returns when it did not throw: whether what it checked or ran found problems. */
export type Outcome = 'ok' | 'failed';

/** The variable that shows the stack trace of an internal error, like --verbose. */
export const VERBOSE_ENV = 'REDIS_GITOPS_VERBOSE';

/** Bad usage the parser cannot see (a deployment that does not exist, a program that is missing): exit 2, the message alone. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Input files that do not validate, with what the command did about it (`dist/ and state/ were left unchanged`): exit 2. */
export class BadInput extends Error {
  constructor(
    readonly errors: readonly InputError[],
    readonly consequence?: string,
  ) {
    super(errors.map(formatInputError).join('\n'));
    this.name = 'BadInput';
  }
}

/** Runs `action`, adding `consequence` to the message of bad input or of a system refusal it throws. */
export async function withConsequence<T>(consequence: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof InputErrors) throw new BadInput(error.errors, consequence);
    if (isSystemRefusal(error)) throw new SystemRefusal(error, consequence);
    throw error;
  }
}

export interface Failure {
  /** The command that ran, for the messages' prefix. */
  command: string;
  /** Print an internal error's stack trace. */
  verbose: boolean;
  write: (text: string) => void;
}

/** Reports an error a command threw, and says which exit code it means. Every command's errors end here. */
export function exitCodeFor(error: unknown, { command, verbose, write }: Failure): ExitCode {
  // The parser has printed its message already (or the help, or the version: exit code 0).
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof UsageError || error instanceof UnreadableInput || error instanceof RepositoryBusy) {
    write(`${command}: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof InputErrors || error instanceof BadInput) {
    const consequence = error instanceof BadInput && error.consequence ? `; ${error.consequence}` : '';
    write(`${command}: ${error.errors.length} problem(s) in the inputs${consequence}\n`);
    for (const e of error.errors) write(`  ${formatInputError(e)}\n`);
    return EXIT.usage;
  }
  if (error instanceof SystemRefusal || isSystemRefusal(error)) {
    write(`${command}: ${error instanceof SystemRefusal ? error.message : describeRefusal(error)}\n`);
    return EXIT.internal;
  }
  const summary = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).split('\n')[0];
  const stack = verbose && error instanceof Error ? error.stack : undefined;
  const hint = stack ? 'its stack trace follows' : `--verbose or ${VERBOSE_ENV}=1 prints its stack trace`;
  write(`${command}: internal error: ${summary} (this is a bug in redis-gitops; ${hint})\n`);
  if (stack) write(`${stack}\n`);
  return EXIT.internal;
}
