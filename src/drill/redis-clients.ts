import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import { REDIS_PORT } from '../../model/topology.js';
import { ADMIN_USER } from '../../model/users.js';
import type { LocalCluster, LocalMember } from './cluster.js';

// The drill's redis clients (ioredis): a client that fails fast, and the admin's own connections straight to a member.

/** How long a drill client waits for one reply before that attempt fails (and is retried). */
export const COMMAND_TIMEOUT_MS = 1500;

/** A client that fails fast; `options` override (a client left waiting on a frozen server has no command timeout). */
export function connectClient(cluster: LocalCluster, host: string, port: number, user: string, options: RedisOptions = {}): Redis {
  const client = new Redis({
    host,
    port,
    username: user,
    password: cluster.passwords[user],
    tls: { ca: readFileSync(cluster.caFile) },
    // Fail fast and let the load's own retry decide: no offline queue, no automatic resend.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: 1000,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: () => 200,
    lazyConnect: false,
    ...options,
  });
  // Errors surface on the commands; without a listener ioredis prints every reconnect failure.
  client.on('error', () => undefined);
  return client;
}

/** A ready admin connection straight to a member's redis. */
export async function connectToMember(cluster: LocalCluster, member: LocalMember, options: RedisOptions = {}): Promise<Redis> {
  const client = connectClient(cluster, member.ip, REDIS_PORT, ADMIN_USER, options);
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    setTimeout(() => reject(new Error(`no connection to ${member.name} (${member.ip}) within 5 s`)), 5000);
  });
  return client;
}

/** Keys of `keys` that `member` does not hold (read as the admin, directly, in batches). */
export async function keysMissingOn(cluster: LocalCluster, member: LocalMember, keys: readonly string[]): Promise<string[]> {
  if (keys.length === 0) return [];
  const client = await connectToMember(cluster, member);
  try {
    const missing: string[] = [];
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
      const values = await client.mget(...batch);
      batch.forEach((key, j) => {
        if (values[j] !== key) missing.push(key);
      });
    }
    return missing;
  } finally {
    client.disconnect();
  }
}
