/**
 * redis.conf for a data member: TLS only, ACL users from a mounted file, memory bounded below the
 * container limit. A pure function so tests (and the failover drill) can run the same text on a real
 * redis-server.
 */
export interface RedisConfigInput {
  deployment: string;
  port: number;
  /** Bytes of the container memory limit. */
  memoryLimitBytes: number;
  evictionPolicy: string;
  persistence: 'aof' | 'rdb' | 'aof+rdb';
  /** 1 refuses writes while no replica is connected: no lost writes, but no writes with one member down. */
  minReplicasToWrite: 0 | 1;
  paths: TlsPaths & { dataDir: string; aclFile: string };
}

export interface TlsPaths {
  certFile: string;
  keyFile: string;
  caFile: string;
}

/** TLS 1.2 ciphers: forward secrecy with AEAD only. */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');
export const TLS13_CIPHERSUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

/**
 * Share of the container limit Redis may fill with data. The rest covers replication and client
 * buffers, allocator fragmentation and the copy-on-write pages of a background save or AOF rewrite,
 * which otherwise get the container OOM-killed right when it is persisting.
 */
export const MAXMEMORY_RATIO = 0.7;

export function maxmemoryBytes(memoryLimitBytes: number): number {
  const mib = 2 ** 20;
  return Math.floor((memoryLimitBytes * MAXMEMORY_RATIO) / mib) * mib;
}

export function tlsDirectives(port: number, tls: TlsPaths): string[] {
  return [
    'port 0',
    `tls-port ${port}`,
    `tls-cert-file ${tls.certFile}`,
    `tls-key-file ${tls.keyFile}`,
    `tls-ca-cert-file ${tls.caFile}`,
    // Clients authenticate with ACL passwords; they verify the server, the server does not ask them.
    'tls-auth-clients no',
    'tls-protocols "TLSv1.2 TLSv1.3"',
    `tls-ciphers ${TLS12_CIPHERS}`,
    `tls-ciphersuites ${TLS13_CIPHERSUITES}`,
    'tls-prefer-server-ciphers yes',
  ];
}

export function renderRedisConfig(input: RedisConfigInput): string {
  const aof = input.persistence !== 'rdb';
  const rdb = input.persistence !== 'aof';
  const lines = [
    `# redis.conf of deployment ${input.deployment}, rendered by redis-gitops: edit the deployment file instead.`,
    ...tlsDirectives(input.port, input.paths),
    'tls-replication yes',
    `dir ${input.paths.dataDir}`,
    `aclfile ${input.paths.aclFile}`,
    `maxmemory ${maxmemoryBytes(input.memoryLimitBytes)}`,
    `maxmemory-policy ${input.evictionPolicy}`,
    `appendonly ${aof ? 'yes' : 'no'}`,
    'appendfsync everysec',
    rdb ? 'save 3600 1 300 100 60 10000' : 'save ""',
    `min-replicas-to-write ${input.minReplicasToWrite}`,
    'min-replicas-max-lag 10',
  ];
  return `${lines.join('\n')}\n`;
}
