// Waiting for a cluster to reach a state. Only types are imported: the scenario registry uses these,
// and the CLI loads the registry at startup for its list of scenarios.
import type { LocalCluster, LocalMember } from './cluster.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 200 ms until it returns a value (not undefined/false) or `seconds` pass. */
export async function waitFor<T>(what: string, seconds: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await sleep(200);
  }
}

/** Waits up to `seconds` for the sentinels to name a primary other than `old`, and returns it. */
export async function waitForPromotion(cluster: LocalCluster, old: LocalMember, seconds: number): Promise<LocalMember> {
  const ip = await waitFor(`the sentinels to promote a replica of ${old.name}`, seconds, async () => {
    const named = await cluster.primaryBySentinels();
    return named && named !== old.ip ? named : undefined;
  });
  return cluster.member(ip);
}
