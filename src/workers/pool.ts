import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';

const entry = new URL('./entry.mjs', import.meta.url).href;

/**
 * Runs `name` (an exported function of `module`, taking one chunk) over `chunks` in worker threads, at
 * most one per core, and returns the results in chunk order. Each worker loads its modules once, so
 * a chunk should hold enough work to pay for that (about half a second for tsx and cdk8s).
 */
export async function inWorkers<I, O>(module: URL, name: string, chunks: readonly I[]): Promise<O[]> {
  const threads = Math.max(1, Math.min(availableParallelism(), chunks.length));
  const pool = new Piscina({ filename: entry, minThreads: threads, maxThreads: threads });
  try {
    return await Promise.all(chunks.map((input) => pool.run({ module: module.href, name, input }) as Promise<O>));
  } finally {
    await pool.destroy();
  }
}

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
