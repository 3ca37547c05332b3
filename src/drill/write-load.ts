import type { Redis } from 'ioredis';
import { PORTAL_PORT } from '../../model/topology.js';
import { ADMIN_USER } from '../../model/users.js';
import type { LocalCluster } from './cluster.js';
import { connectClient } from './redis-clients.js';
import { sleep } from './waits.js';

/**
 * How long a client retries one operation before it reports a failure. A normal client: ioredis by
 * default retries a command 20 times, reconnecting after 50 ms, 100 ms, ... up to 2 s, about 20 s in all;
 * 10 s here is stricter than that and still rides out a graceful hand-over.
 */
export const RETRY = { forMs: 10_000, backoffMs: 250 } as const;

/** What the load saw; keys are kept to check afterwards that the cluster still has them. */
export interface WriteLoadResult {
  /** Operations started (each retried for up to RETRY.forMs). */
  attempted: number;
  /** SET answered OK and WAIT 1 confirmed a replica has it: the write a careful client relies on. */
  replicated: string[];
  /** SET answered OK but no replica confirmed it in time. */
  written: string[];
  /** Operations that failed after every retry. */
  failed: number;
  /**
   * Longest time from a failed attempt to the next successful write, in seconds; when writes never
   * succeeded again, the time from the first failed attempt to the end of the load.
   */
  unavailableSeconds: number;
  /** Writes were still failing when the load stopped: the service had not recovered. */
  endedUnavailable?: boolean;
  /** With `identify`: every acknowledged write, when it was sent and the address of the redis that took it. */
  acknowledged?: AcknowledgedWrite[];
  /** Each time writes failed, from the first failed attempt to the next successful write (Date.now()). */
  outages?: { from: number; to: number }[];
}

export interface AcknowledgedWrite {
  key: string;
  /** Date.now() when the attempt that succeeded was sent. */
  sentAt: number;
  /** The address of the redis that executed it (CLIENT INFO's laddr, in the same pipeline). */
  by: string;
  confirmed: boolean;
}

export interface WriteLoadOptions {
  /** Where to write (default: the two portals, as an application behind the Service). */
  targets?: readonly { host: string; port: number }[];
  /** Ask, in each write's pipeline, which redis executed it (CLIENT INFO), and keep every acknowledged write. */
  identify?: boolean;
}

/**
 * Writes through the portals, one operation at a time, as an application behind the Service does: a
 * connection per portal (the Service's two endpoints), each SET followed by WAIT 1 so the client
 * knows whether a replica has it. An attempt that fails moves to the other portal and is retried.
 */
export class WriteLoad {
  private readonly clients: Redis[];
  private running = false;
  private loop: Promise<void> | undefined;
  private next = 0;
  private downSince: number | undefined;
  private readonly result: WriteLoadResult = { attempted: 0, replicated: [], written: [], failed: 0, unavailableSeconds: 0, outages: [] };

  constructor(
    cluster: LocalCluster,
    private readonly prefix: string,
    private readonly options: WriteLoadOptions = {},
  ) {
    const targets = options.targets ?? cluster.portals.map((p) => ({ host: p.ip, port: PORTAL_PORT }));
    this.clients = targets.map((t) => connectClient(cluster, t.host, t.port, ADMIN_USER));
    if (options.identify) this.result.acknowledged = [];
  }

  get failed(): number {
    return this.result.failed;
  }

  /** Writes answered OK so far. */
  get acknowledged(): number {
    return this.result.replicated.length + this.result.written.length;
  }

  start(): this {
    this.running = true;
    this.loop = this.run();
    return this;
  }

  async stop(): Promise<WriteLoadResult> {
    this.running = false;
    await this.loop;
    for (const c of this.clients) c.disconnect();
    if (this.downSince !== undefined) {
      this.recovered();
      this.result.endedUnavailable = true;
    }
    return this.result;
  }

  private async run(): Promise<void> {
    let n = 0;
    while (this.running) {
      const key = `${this.prefix}:${String(n++).padStart(6, '0')}`;
      this.result.attempted++;
      const outcome = await this.write(key);
      if (outcome === 'failed') this.result.failed++;
      else this.result[outcome].push(key);
      await sleep(20);
    }
  }

  private async write(key: string): Promise<'replicated' | 'written' | 'failed'> {
    const deadline = Date.now() + RETRY.forMs;
    for (;;) {
      const started = Date.now();
      const client = this.pick();
      try {
        if (!client) throw new Error('no portal connection');
        const pipeline = client.pipeline().set(key, key).wait(1, 250);
        if (this.options.identify) pipeline.call('CLIENT', 'INFO');
        const replies = await pipeline.exec();
        const [setError, set] = replies?.[0] ?? [new Error('no reply')];
        if (setError || set !== 'OK') throw setError ?? new Error(`SET answered ${String(set)}`);
        this.recovered();
        const [, replicas] = replies?.[1] ?? [];
        const confirmed = Number(replicas) >= 1;
        if (this.result.acknowledged) {
          const by = /\bladdr=(\S+):\d+/.exec(String(replies?.[2]?.[1] ?? ''))?.[1] ?? 'unknown';
          this.result.acknowledged.push({ key, sentAt: started, by, confirmed });
        }
        return confirmed ? 'replicated' : 'written';
      } catch {
        this.downSince ??= started;
        this.next++;
        if (Date.now() >= deadline) return 'failed';
        await sleep(RETRY.backoffMs);
      }
    }
  }

  private pick(): Redis | undefined {
    for (let i = 0; i < this.clients.length; i++) {
      const client = this.clients[(this.next + i) % this.clients.length]!;
      if (client.status === 'ready') return client;
    }
    return undefined;
  }

  private recovered(): void {
    if (this.downSince === undefined) return;
    this.result.outages!.push({ from: this.downSince, to: Date.now() });
    this.result.unavailableSeconds = Math.max(this.result.unavailableSeconds, (Date.now() - this.downSince) / 1000);
    this.downSince = undefined;
  }
}
