import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeEach } from 'vitest';
import { renderAclFile, systemUserRules } from '../../charts/config/acl.js';
import { scriptNames } from '../../charts/config/member-scripts.js';
import { aclPasswordKey, authSecretKeys, tlsSecretKeys } from '../../charts/secret-keys.js';
import { PORTAL_CHECK_USER, PORTAL_PORT, portalPaths } from '../../charts/portals.js';
import { members, memberHost, memberPaths, REDIS_PORT, SENTINEL_PORT } from '../../charts/sentinel-cluster.js';
import type { Placement } from '../../charts/labels.js';
import { makeTestPki, type TestPki } from './programs.js';
import { loadInputs } from '../../src/config/load.js';
import { projectRoot } from './repo.js';
import { find, renderManifests, type Manifest } from './render.js';

const run = promisify(execFile);

export interface LocalPortal {
  ip: string;
  dir: string;
  haproxy?: ChildProcess;
}

export interface LocalMember {
  name: string;
  ip: string;
  holdsData: boolean;
  dir: string;
  redis?: ChildProcess;
  sentinel?: ChildProcess;
}

/** The deployment's member ConfigMap, as synth renders it, and who it was rendered for. */
export interface RenderedMembers {
  id: Placement;
  files: Record<string, string>;
}

/** Password of the test-only admin user the tests act as (a Manager, in service-role terms). */
const ADMIN = 'admin';

/**
 * The generated member configuration and scripts running on real redis-server and redis-sentinel
 * processes, one loopback address per member so each keeps the ports it has in the cluster. Only
 * host names (→ loopback addresses), mount paths (→ folders of a temporary directory) and a `bind`
 * line differ from what the pods run.
 */
export class LocalCluster {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'redis-gitops-members-'));
  readonly members: LocalMember[];
  readonly passwords: Record<string, string> = {};
  readonly caFile: string;
  readonly portals: LocalPortal[];
  private readonly pki: TestPki;

  constructor(
    private readonly rendered: RenderedMembers,
    /** First three octets of the loopback addresses, e.g. 127.0.1 → 127.0.1.11, .12, .13. */
    subnet: string,
  ) {
    this.members = members.map((m, i) => ({ name: m.name, holdsData: m.holdsData, ip: `${subnet}.${11 + i}`, dir: path.join(this.dir, m.name) }));
    this.portals = [0, 1].map((i) => ({ ip: `${subnet}.${21 + i}`, dir: path.join(this.dir, `portal-${i}`) }));
    const ips = [...this.members.map((m) => m.ip), ...this.portals.map((p) => p.ip)];
    // Addresses stand in for host names, so they are DNS names of the certificate too (HAProxy's
    // verifyhost compares DNS names).
    const pki = makeTestPki(path.join(this.dir, 'pki'), ips, [...ips, 'localhost']);
    this.pki = pki;
    this.caFile = pki.caFile;
    for (const user of [...Object.keys(systemUserRules), ADMIN, 'sentinel-auth']) this.passwords[user] = randomBytes(24).toString('base64url');
    const acl = renderAclFile([
      ...Object.entries(systemUserRules).map(([name, rules]) => ({ name, passwordSha256: sha256(this.passwords[name]!), rules })),
      { name: ADMIN, passwordSha256: sha256(this.passwords[ADMIN]!), rules: '~* &* +@all' },
    ]);
    for (const m of this.members) this.layOut(m, pki, acl);
  }

  private layOut(m: LocalMember, pki: TestPki, acl: string): void {
    const folders = {
      [memberPaths.configDir]: path.join(m.dir, 'config'),
      [memberPaths.secretsDir]: path.join(m.dir, 'secrets'),
      [memberPaths.tlsDir]: path.join(m.dir, 'tls'),
      [memberPaths.runDir]: path.join(m.dir, 'run'),
      [memberPaths.dataDir]: path.join(m.dir, 'data'),
    };
    for (const folder of Object.values(folders)) mkdirSync(folder, { recursive: true });
    for (const [file, text] of Object.entries(this.rendered.files)) {
      let local = this.localise(text, folders);
      if (file === 'redis.conf' || file === 'sentinel.conf') local += `bind ${m.ip}\n`;
      writeFileSync(path.join(folders[memberPaths.configDir]!, file), local);
    }
    const secrets = folders[memberPaths.secretsDir]!;
    writeFileSync(path.join(secrets, authSecretKeys.aclFile), acl);
    writeFileSync(path.join(secrets, authSecretKeys.sentinelAuth), this.passwords['sentinel-auth']!);
    for (const user of Object.keys(systemUserRules)) writeFileSync(path.join(secrets, aclPasswordKey(user)), this.passwords[user]!);
    const tls = folders[memberPaths.tlsDir]!;
    cpSync(pki.caFile, path.join(tls, tlsSecretKeys.ca));
    cpSync(pki.certFile, path.join(tls, tlsSecretKeys.cert));
    cpSync(pki.keyFile, path.join(tls, tlsSecretKeys.key));
  }

  /** Member host names → loopback addresses; pod mount paths → this member's folders. */
  private localise(text: string, folders: Record<string, string>): string {
    let out = text;
    members.forEach((member, i) => {
      out = out.split(memberHost(this.rendered.id, member.name)).join(this.members[i]!.ip);
    });
    // Longest first, so /data/sentinel is not cut at /data.
    for (const [from, to] of Object.entries(folders).sort(([a], [b]) => b.length - a.length)) {
      out = out.replace(new RegExp(`(^|[\\s'"=])${from.replace(/[/.]/g, '\\$&')}(?=[/\\s'"]|$)`, 'gm'), `$1${to}`);
    }
    return out;
  }

  /**
   * Starts portal i on the rendered haproxy.cfg: host names → addresses, mount paths → folders,
   * `bind :port` → `bind <address>:port`.
   */
  startPortal(i: number, haproxyCfg: string): void {
    const portal = this.portals[i]!;
    const folders = { [portalPaths.configDir]: path.join(portal.dir, 'config'), [portalPaths.tlsDir]: path.join(portal.dir, 'tls') };
    for (const folder of Object.values(folders)) mkdirSync(folder, { recursive: true });
    cpSync(this.pki.caFile, path.join(folders[portalPaths.tlsDir]!, tlsSecretKeys.ca));
    cpSync(this.pki.bundleFile, path.join(folders[portalPaths.tlsDir]!, tlsSecretKeys.bundle));
    const cfg = path.join(folders[portalPaths.configDir]!, 'haproxy.cfg');
    writeFileSync(cfg, this.localise(haproxyCfg, folders).replace(/^(\s*bind )(:\d+)/gm, `$1${portal.ip}$2`));
    const log = createWriteStream(path.join(portal.dir, 'haproxy.log'), { flags: 'a' });
    const child = spawn('haproxy', ['-W', '-db', '-f', cfg], {
      env: { ...process.env, PORTAL_CHECK_PASSWORD: this.passwords[PORTAL_CHECK_USER], SENTINEL_PASSWORD: this.passwords['sentinel-auth'] },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    portal.haproxy = child;
  }

  async stopPortal(i: number): Promise<void> {
    const child = this.portals[i]!.haproxy;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  /** redis-cli over TLS through portal i, as the test admin user. */
  async viaPortal(i: number, ...args: string[]): Promise<string> {
    return this.cli(['--user', ADMIN, '-h', this.portals[i]!.ip, '-p', String(PORTAL_PORT)], this.passwords[ADMIN]!, args);
  }

  private env(m: LocalMember): NodeJS.ProcessEnv {
    return { ...process.env, MEMBER_HOST: m.ip, LOCAL_ADDRESS: m.ip, SENTINEL_STATE_DIR: path.join(m.dir, 'data', 'sentinel') };
  }

  private script(m: LocalMember, name: string): string {
    return path.join(m.dir, 'config', name);
  }

  /** Runs one of the member's scripts to completion (a probe, the pre-stop hook). */
  async runScript(m: LocalMember, name: string, ...args: string[]): Promise<{ code: number; output: string }> {
    try {
      const { stdout, stderr } = await run('sh', [this.script(m, name), ...args], { env: this.env(m), timeout: 90_000 });
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, output: e.stdout + e.stderr };
    }
  }

  /** Starts a member's redis or sentinel through its entrypoint script, logging to a file. */
  start(m: LocalMember, program: 'redis' | 'sentinel'): void {
    const name = program === 'redis' ? scriptNames.startRedis : scriptNames.startSentinel;
    const log = createWriteStream(path.join(m.dir, `${program}.log`), { flags: 'a' });
    const child = spawn('sh', [this.script(m, name)], { env: this.env(m), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    m[program] = child;
  }

  /** Sends a signal to the process (the entrypoint has exec'd into redis-server or redis-sentinel). */
  async kill(m: LocalMember, program: 'redis' | 'sentinel', signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = m[program];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') await exited;
  }

  log(m: LocalMember, program: 'redis' | 'sentinel'): string {
    try {
      return readFileSync(path.join(m.dir, `${program}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  /** redis-cli over TLS as the test admin user; the reply, or the error text. */
  async redis(m: LocalMember, ...args: string[]): Promise<string> {
    return this.cli(['--user', ADMIN, '-h', m.ip, '-p', String(REDIS_PORT)], this.passwords[ADMIN]!, args);
  }

  async sentinel(m: LocalMember, ...args: string[]): Promise<string> {
    return this.cli(['-h', m.ip, '-p', String(SENTINEL_PORT)], this.passwords['sentinel-auth']!, args);
  }

  private async cli(target: string[], password: string, args: string[]): Promise<string> {
    try {
      const { stdout } = await run('redis-cli', ['--no-auth-warning', '--tls', '--cacert', this.caFile, ...target, '--raw', ...args], {
        env: { ...process.env, REDISCLI_AUTH: password },
        timeout: 5000,
      });
      return stdout.trim();
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      return `ERROR ${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`.trim();
    }
  }

  /** The address the sentinels that answer name as primary (majority), or undefined. */
  async primaryBySentinels(): Promise<string | undefined> {
    const answers = await Promise.all(this.members.map((m) => this.sentinel(m, 'SENTINEL', 'get-master-addr-by-name', this.rendered.id.deployment)));
    const hosts = answers.map((a) => a.split('\n')[0]).filter((h): h is string => !!h && !h.startsWith('ERROR'));
    const counts = new Map<string, number>();
    for (const h of hosts) counts.set(h, (counts.get(h) ?? 0) + 1);
    return [...counts].find(([, n]) => n >= 2)?.[0];
  }

  /** Each member's role and the end of every log: what a failed test needs to be explained. */
  async diagnose(lines = 25): Promise<string> {
    const out = [`local cluster in ${this.dir}`];
    for (const m of this.members) {
      const role = m.holdsData ? (await this.redis(m, 'ROLE')).split('\n').slice(0, 3).join(' ') : 'no redis';
      out.push(`== ${m.name} (${m.ip}): ROLE ${role}`);
      for (const program of ['redis', 'sentinel'] as const) {
        const tail = this.log(m, program).split('\n').filter((l) => l.trim()).slice(-lines);
        if (tail.length) out.push(`-- ${program}.log`, ...tail);
      }
    }
    return out.join('\n');
  }

  async stop(): Promise<void> {
    for (const i of this.portals.keys()) await this.stopPortal(i);
    for (const m of this.members) {
      await this.kill(m, 'redis');
      await this.kill(m, 'sentinel');
    }
    // KEEP_TEST_CLUSTER=1 keeps the folders (configuration, logs, data) to look at after a failure.
    if (process.env.KEEP_TEST_CLUSTER) console.log(`local cluster kept in ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The example deployment `orders` rendered with fast failure detection (a deployment setting, so the
 * tests take seconds), started as three sentinels and two redis, replication up and known to every
 * sentinel. Returns the cluster and the deployment's rendered manifests.
 */
export async function launchOrders(subnet: string): Promise<{ cluster: LocalCluster; manifests: Map<string, Manifest> }> {
  const inputs = await loadInputs(projectRoot);
  const orders = inputs.deployments.find((d) => d.name === 'orders')!;
  // 3 s, not less: a sentinel that misses PONGs for down-after fails over, and a loaded CI machine
  // stalls processes for over a second; sentinel's own guard (TILT) only covers stalls over 2 s.
  orders.spec.sentinel = { downAfterMilliseconds: 3000, failoverTimeout: 10000 };
  const manifests = await renderManifests(inputs);
  const configMap = find(manifests, 'ConfigMap', 'orders-members');
  const cluster = new LocalCluster({ id: { deployment: 'orders', namespace: 'redis-orders' }, files: configMap.data }, subnet);
  const [data0, data1] = cluster.members as [LocalMember, LocalMember];
  for (const member of cluster.members) cluster.start(member, 'sentinel');
  cluster.start(data0, 'redis');
  cluster.start(data1, 'redis');
  await waitFor('the replica to sync over TLS', 60, async () => (await cluster.redis(data1, 'INFO', 'replication')).includes('master_link_status:up'));
  // Sentinels learn about replicas from the primary's INFO (every 10 s); until they do, they have
  // no replica to promote.
  await waitFor('every sentinel to know the replica', 60, async () => {
    const known = await Promise.all(cluster.members.map((s) => cluster.sentinel(s, 'SENTINEL', 'replicas', 'orders')));
    return known.every((k) => k.includes(data1.ip));
  });
  return { cluster, manifests };
}

/** Registers a hook that prints the cluster's roles and logs when a test of the file fails. */
export function diagnoseOnFailure(cluster: () => LocalCluster | undefined): void {
  beforeEach(({ onTestFailed }) =>
    onTestFailed(async () => {
      const c = cluster();
      if (c) console.error(await c.diagnose());
    }),
  );
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Polls `check` until it returns a value (not undefined/false) or `seconds` pass. */
export async function waitFor<T>(what: string, seconds: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
