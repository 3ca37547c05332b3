import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { fromRoot } from '../paths.js';

const entry = pathToFileURL(fromRoot('src/workers/entry.mjs')).href;

function abandoned(): void {}

/** Splits `items` into `count` chunks of consecutive items, as equal as can be. */
export function chunked<T>(items: readonly T[], count: number): T[][] {
  const size = Math.ceil(items.length / Math.max(1, count));
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** Worker threads a job of `items` is worth: none below `threshold` (or on one core), else one per core. */
export function workersFor(items: number, threshold: number): number {
  return items >= threshold && availableParallelism() > 1 ? availableParallelism() : 0;
}

/**
 * Worker threads that keep their state between tasks, each addressed by its index: a task can go to
 * the thread that already holds what it needs (the gate's threads keep the manifests they parsed).
 */
export class Threads {
  private readonly pools: Piscina[];
  /** Tasks sent to each thread and not yet returned (see submit). */
  private readonly queued: number[];

  /**
   * `heapMb`: the most each thread's V8 old generation may grow to; `youngMb`: the size of its young
   * generation (V8's defaults otherwise).
   */
  constructor(
    count: number,
    private readonly module: URL,
    heapMb?: number,
    youngMb?: number,
  ) {
    const resourceLimits = heapMb === undefined && youngMb === undefined ? undefined : { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: youngMb };
    this.pools = Array.from({ length: count }, () => new Piscina({ filename: entry, minThreads: 1, maxThreads: 1, resourceLimits }));
    this.queued = this.pools.map(() => 0);
  }

  get count(): number {
    return this.pools.length;
  }

  /** Runs `name` of the module on one thread; tasks sent to the same thread run in order. */
  run<I, O>(thread: number, name: string, input: I): Promise<O> {
    return this.pools[thread]!.run({ module: this.module.href, name, input }) as Promise<O>;
  }

  /**
   * Runs `name` on the thread with the fewest tasks waiting: for work handed over as it becomes ready
   * (synth renders deployments while it still resolves the secrets of others).
   */
  async submit<I, O>(name: string, input: I): Promise<O> {
    const thread = this.queued.indexOf(Math.min(...this.queued));
    this.queued[thread]!++;
    try {
      return await this.run<I, O>(thread, name, input);
    } finally {
      this.queued[thread]!--;
    }
  }

  /**
   * Runs `name` over `inputs`, each on the first thread free; results in input order, with the thread
   * that made each. `onDone` hears of each input as its result comes back.
   */
  async spread<I, O>(name: string, inputs: readonly I[], onDone?: (index: number) => void): Promise<{ thread: number; output: O }[]> {
    const results: { thread: number; output: O }[] = new Array(inputs.length);
    let next = 0;
    const drain = async (thread: number) => {
      while (next < inputs.length) {
        const index = next++;
        results[index] = { thread, output: await this.run<I, O>(thread, name, inputs[index]!) };
        onDone?.(index);
      }
    };
    await Promise.all(this.pools.map((_, thread) => drain(thread)));
    return results;
  }

  async destroy(): Promise<void> {
    // A task still running when the threads are torn down (another task failed first) may post its
    // result after Piscina closed the thread's port and forgot the task (piscina 5.3.2,
    // worker_pool.destroy): Piscina then emits 'error' ("Unexpected message from Worker"), and
    // without a listener that is an uncaught exception. Seen once under load: the gate's refusal of
    // its memory ended in a stack trace (exit 1) instead of its own message (exit 70). The result
    // is abandoned by then, so the message is dropped.
    for (const pool of this.pools) pool.on('error', abandoned);
    await Promise.all(this.pools.map((pool) => pool.destroy()));
  }
}
