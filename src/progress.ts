/**
 * How far a long run is, for whoever watches it: synth and the gate take minutes on a fleet of
 * thousands (a cold synth of 10,000 deployments, 2.5 min) and printed nothing until the end.
 *
 * Shown as terminal tools show it: one line on stderr, rewritten in place, once the run has lasted
 * a moment (a quick run prints nothing), and only when stderr is a terminal: a pipe, a file or a CI
 * log gets the result alone, as before. The line is cleared at the end, so what the command prints
 * after it is unchanged.
 */
export interface Progress {
  /** A new phase: its label and how many items it works through (0 when not known). */
  phase(label: string, total: number, unit?: string): void;
  /** `count` more items of the phase done. */
  advance(count?: number): void;
  /** Clears the line; nothing is shown after. */
  end(): void;
}

/** Shows nothing. */
export const noProgress: Progress = { phase() {}, advance() {}, end() {} };

export interface ProgressOptions {
  /** How long a run lasts before anything is shown. */
  delayMs?: number;
  /** The least time between two redraws. */
  intervalMs?: number;
  /** The clock, in ms (a test's own). */
  now?: () => number;
}

/** How long a run lasts before its progress shows; REDIS_GITOPS_PROGRESS_DELAY_MS sets it (0: at once). */
const DEFAULT_DELAY_MS = 1000;

/**
 * Progress of `command` on `stream` (stderr by default), when the stream is a terminal; noProgress
 * otherwise.
 */
export function terminalProgress(command: string, stream: Pick<NodeJS.WriteStream, 'isTTY' | 'write'> = process.stderr, options: ProgressOptions = {}): Progress {
  if (!stream.isTTY) return noProgress;
  const fromEnvironment = Number(process.env.REDIS_GITOPS_PROGRESS_DELAY_MS);
  const delayMs = options.delayMs ?? (Number.isFinite(fromEnvironment) && fromEnvironment >= 0 ? fromEnvironment : DEFAULT_DELAY_MS);
  const intervalMs = options.intervalMs ?? 100;
  const now = options.now ?? (() => performance.now());
  const began = now();
  let drawn = false;
  let ended = false;
  let lastDraw = -Infinity;
  let state = { label: '', total: 0, unit: '', done: 0 };
  const draw = (force: boolean) => {
    const at = now();
    if (ended || at - began < delayMs || (!force && at - lastDraw < intervalMs)) return;
    lastDraw = at;
    const { label, total, unit, done } = state;
    const count = total > 0 ? ` ${Math.min(done, total)}/${total}${unit ? ` ${unit}` : ''}` : '';
    // \r and "erase line" (ESC [2K): the line is rewritten in place.
    stream.write(`\r\x1b[2K${command}: ${label}${count} (${Math.round((at - began) / 1000)} s)`);
    drawn = true;
  };
  return {
    phase(label, total, unit = '') {
      state = { label, total, unit, done: 0 };
      draw(true);
    },
    advance(count = 1) {
      state.done += count;
      draw(false);
    },
    end() {
      if (drawn) stream.write('\r\x1b[2K');
      // Nothing after the end, whatever a straggler reports.
      ended = true;
    },
  };
}
