import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { renderAclFile, type AclUser } from '../../charts/config/acl.js';
import { scriptNames } from '../../charts/config/member-scripts.js';
import { aclPasswordKey, authSecretKeys, tlsSecretKeys } from '../../model/secrets.js';
import {
  memberConfigFiles,
  memberEnv,
  memberHost,
  memberPaths,
  members,
  PORTAL_CONFIG_FILE,
  PORTAL_PORT,
  portalEnv,
  portalPaths,
  REDIS_PORT,
  SENTINEL_PORT,
  type Placement,
} from '../../model/topology.js';
import { ADMIN_USER, PORTAL_CHECK_USER } from '../../model/users.js';
import { joinPem } from '../secrets/pem.js';
import { issueTls } from '../secrets/tls.js';
import { DrillNetwork } from './network.js';
import { waitFor } from './waits.js';

export { sleep, waitFor } from './waits.js';

import { dieWithDrill, withPrograms, type ServerPrograms } from './programs.js';
import { OWNER_FILE } from './abandoned.js';

const run = promisify(execFile);

/** What a deployment runs, as synth renders it: the inputs of a local cluster. */
export interface RenderedDeployment {
  id: Placement;
  /** The member ConfigMap: redis.conf, sentinel.conf and the entrypoint, probe and pre-stop scripts. */
  memberFiles: Record<string, string>;
  /** The portal ConfigMap: haproxy.cfg and the Lua file it loads. */
  portalFiles: Record<string, string>;
  /** Every ACL user of the deployment with its rules (passwords are made up for the run). */
  aclUsers: Omit<AclUser, 'passwordSha256'>[];
  /** The server, sentinel and CLI of the deployment's engine and line, as built for the tests. */
  programs: ServerPrograms;
  /** The backup ConfigMap and containers' environment, when the deployment declares `backup:`. */
  backup?: RenderedBackup;
}

/** What the backup CronJob and the restore init container run, as synth renders them. */
export interface RenderedBackup {
  /** The backup ConfigMap: the scripts and backup.env. */
  files: Record<string, string>;
  /** Environment of the CronJob's upload container (the rclone remotes). */
  uploadEnv: EnvVar[];
  /** Environment of the restore init container for a backup of this deployment. */
  restoreEnv: (backup: string) => EnvVar[];
}

/** A container's environment variable: a value, or a key of a Secret. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

export type Program = 'redis' | 'sentinel';

/** The signals that stop a process: SIGKILL at once, SIGTERM letting it shut down. */
export type StopSignal = 'SIGKILL' | 'SIGTERM';

export interface LocalMember {
  name: string;
  ip: string;
  /**
   * With network namespaces, a second address its sentinel connects from (`bind-source-addr`), so
   * that a partition can cut the sentinels' links and leave redis' replication link alone.
   */
  sentinelSource?: string;
  holdsData: boolean;
  dir: string;
  redis?: ChildProcess;
  sentinel?: ChildProcess;
}

export interface LocalPortal {
  name: string;
  ip: string;
  dir: string;
  haproxy?: ChildProcess;
}

/**
 * A deployment's generated configuration and scripts running on real redis-server, redis-sentinel
 * and haproxy processes, one loopback address per member and portal so each keeps the ports it has
 * in the cluster. Only host names (→ loopback addresses), mount paths (→ folders of a temporary
 * directory) and a `bind` line differ from what the pods run; the certificates come from the
 * generator's own issuer, for the loopback addresses instead of the cluster's DNS names.
 */
export class LocalCluster {
  readonly members: LocalMember[];
  readonly portals: LocalPortal[];
  readonly passwords: Record<string, string> = {};
  readonly caFile: string;
  /**
   * Where a backup scenario's S3 server listens, its certificate (the cluster's CA signed it), and the
   * command prefix that runs it there: with network namespaces a node of its own on the bridge (an
   * address in the root namespace would be reachable from neither the bridge nor the members).
   */
  readonly s3: { ip: string; certFile: string; keyFile: string; exec: string[] };
  /** Members that run another build than the deployment's (usePrograms): a rolling upgrade under way. */
  private readonly memberPrograms = new Map<string, ServerPrograms>();

  private constructor(
    readonly rendered: RenderedDeployment,
    /** First three octets of the addresses: members .11-.13, portals .21-.22 (sentinels' sources .111-.113). */
    subnet: string,
    readonly dir: string,
    tls: { ca: string; cert: string; key: string },
    /** Each member and portal in a network namespace of its own (see network.ts); loopback addresses without. */
    readonly network?: DrillNetwork,
  ) {
    this.members = members.map((m, i) => ({
      name: m.name,
      holdsData: m.holdsData,
      ip: `${subnet}.${11 + i}`,
      ...(network ? { sentinelSource: `${subnet}.${111 + i}` } : {}),
      dir: path.join(dir, m.name),
    }));
    this.portals = [0, 1].map((i) => ({ name: `portal-${i}`, ip: `${subnet}.${21 + i}`, dir: path.join(dir, `portal-${i}`) }));
    this.caFile = path.join(dir, 'ca.crt');
    writeFileSync(this.caFile, tls.ca);
    this.s3 = { ip: s3Address(subnet), certFile: path.join(dir, 's3.crt'), keyFile: path.join(dir, 's3.key'), exec: network ? network.exec(S3_NODE) : [] };
    writeFileSync(this.s3.certFile, tls.cert);
    writeFileSync(this.s3.keyFile, tls.key, { mode: 0o600 });
    for (const user of [...rendered.aclUsers.map((u) => u.name), authSecretKeys.sentinelAuth]) this.passwords[user] = randomBytes(24).toString('base64url');
    const acl = renderAclFile(rendered.aclUsers.map((u) => ({ ...u, passwordSha256: sha256(this.passwords[u.name]!) })));
    for (const m of this.members) this.layOutMember(m, tls, acl);
    for (const p of this.portals) this.layOutPortal(p, tls);
  }

  /**
   * Lays out a cluster on `subnet` (a.b.c). With `namespaces`, every member and portal gets a network
   * namespace of its own on a bridge (the caller checks DrillNetwork.unavailable() first); `stop`
   * removes them.
   */
  /** The addresses the members (.11-.13), portals (.21-.22) and S3 server bind on `subnet`. */
  static addresses(subnet: string): string[] {
    return [...members.map((_, i) => `${subnet}.${11 + i}`), `${subnet}.21`, `${subnet}.22`, s3Address(subnet)];
  }

  static async create(rendered: RenderedDeployment, subnet: string, options: { namespaces?: boolean } = {}): Promise<LocalCluster> {
    const dir = mkdtempSync(path.join(tmpdir(), `redis-gitops-${rendered.id.deployment}-`));
    writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
    const ips = LocalCluster.addresses(subnet);
    const issued = await issueTls(rendered.id.deployment, [...ips, 'localhost'], new Date());
    const tls = { ca: joinPem(issued.caCertificate), cert: joinPem(issued.serverCertificate), key: joinPem(issued.serverKey) };
    const network = options.namespaces
      ? DrillNetwork.create(subnet, [
          ...members.map((m, i) => ({ name: m.name, addresses: [`${subnet}.${11 + i}`, `${subnet}.${111 + i}`] })),
          ...[0, 1].map((i) => ({ name: `portal-${i}`, addresses: [`${subnet}.${21 + i}`] })),
          { name: S3_NODE, addresses: [s3Address(subnet)] },
        ])
      : undefined;
    return new LocalCluster(rendered, subnet, dir, tls, network);
  }

  private layOutMember(m: LocalMember, tls: { ca: string; cert: string; key: string }, acl: string): void {
    const folders = this.memberFolders(m);
    for (const folder of Object.values(folders)) mkdirSync(folder, { recursive: true });
    this.configure(m, this.rendered.memberFiles);
    const secrets = folders[memberPaths.secretsDir]!;
    writeFileSync(path.join(secrets, authSecretKeys.aclFile), acl);
    writeFileSync(path.join(secrets, authSecretKeys.sentinelAuth), this.passwords[authSecretKeys.sentinelAuth]!);
    for (const user of this.rendered.aclUsers) writeFileSync(path.join(secrets, aclPasswordKey(user.name)), this.passwords[user.name]!);
    this.writeTls(folders[memberPaths.tlsDir]!, tls);
  }

  /**
   * Writes a member's configuration folder from the member ConfigMap's files (as its pod mounts them),
   * localised: what a restarted member reads. The engine tier gives it the ConfigMap a new pod mounts.
   */
  configure(m: LocalMember, memberFiles: Record<string, string>): void {
    const folders = this.memberFolders(m);
    for (const [file, text] of Object.entries(memberFiles)) {
      let local = this.localise(text, folders);
      if (file === memberConfigFiles.redis) local += `bind ${m.ip}\n`;
      if (file === memberConfigFiles.sentinel) local += `bind ${m.ip}\n${m.sentinelSource ? `bind-source-addr ${m.sentinelSource}\n` : ''}`;
      writeFileSync(path.join(folders[memberPaths.configDir]!, file), local);
    }
  }

  private memberFolders(m: LocalMember): Record<string, string> {
    return {
      [memberPaths.configDir]: path.join(m.dir, 'config'),
      [memberPaths.secretsDir]: path.join(m.dir, 'secrets'),
      [memberPaths.tlsDir]: path.join(m.dir, 'tls'),
      [memberPaths.runDir]: path.join(m.dir, 'run'),
      [memberPaths.dataDir]: path.join(m.dir, 'data'),
    };
  }

  private layOutPortal(p: LocalPortal, tls: { ca: string; cert: string; key: string }): void {
    const folders = { [portalPaths.configDir]: path.join(p.dir, 'config'), [portalPaths.tlsDir]: path.join(p.dir, 'tls') };
    for (const folder of Object.values(folders)) mkdirSync(folder, { recursive: true });
    this.writeTls(folders[portalPaths.tlsDir]!, tls);
    for (const [file, text] of Object.entries(this.rendered.portalFiles)) {
      let local = this.localise(text, folders);
      if (file === PORTAL_CONFIG_FILE) local = local.replace(/^(\s*bind )(:\d+)/gm, `$1${p.ip}$2`);
      writeFileSync(path.join(folders[portalPaths.configDir]!, file), local);
    }
  }

  private writeTls(dir: string, tls: { ca: string; cert: string; key: string }): void {
    writeFileSync(path.join(dir, tlsSecretKeys.ca), tls.ca);
    writeFileSync(path.join(dir, tlsSecretKeys.cert), tls.cert);
    writeFileSync(path.join(dir, tlsSecretKeys.key), tls.key, { mode: 0o600 });
    writeFileSync(path.join(dir, tlsSecretKeys.bundle), joinPem(tls.cert, tls.key), { mode: 0o600 });
  }

  /** Member host names → loopback addresses; pod mount paths → the given folders. */
  localise(text: string, folders: Record<string, string>): string {
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
   * Replaces what a member's auth Secret mount holds with `files` (key → content), as the kubelet
   * does when the Secret changes: a process reads them when it starts. For a rotation rehearsed with
   * the very Secrets synth made (unsealed), instead of the run's own passwords.
   */
  useSecrets(m: LocalMember, files: Readonly<Record<string, string>>): void {
    const dir = path.join(m.dir, 'secrets');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [key, text] of Object.entries(files)) writeFileSync(path.join(dir, key), text, { mode: 0o600 });
  }

  member(name: string): LocalMember {
    const found = this.members.find((m) => m.name === name || m.ip === name);
    if (!found) throw new Error(`no member ${name}`);
    return found;
  }

  get dataMembers(): LocalMember[] {
    return this.members.filter((m) => m.holdsData);
  }

  /** Every listener of the cluster (each data member's redis, each member's sentinel, each portal): all TLS only. */
  get listeners(): { name: string; ip: string; port: number }[] {
    return [
      ...this.dataMembers.map((m) => ({ name: `${m.name} redis`, ip: m.ip, port: REDIS_PORT })),
      ...this.members.map((m) => ({ name: `${m.name} sentinel`, ip: m.ip, port: SENTINEL_PORT })),
      ...this.portals.map((p) => ({ name: p.name, ip: p.ip, port: PORTAL_PORT })),
    ];
  }

  /**
   * Makes `m` run `programs` from its next start on (its pod's image names another engine line than
   * the one the cluster was laid out with: a rolling upgrade, one member at a time).
   */
  usePrograms(m: LocalMember, programs: ServerPrograms): void {
    this.memberPrograms.set(m.name, programs);
  }

  /** The build a member runs (and its scripts call by name). */
  programsOf(m: LocalMember): ServerPrograms {
    return this.memberPrograms.get(m.name) ?? this.rendered.programs;
  }

  private env(m: LocalMember): NodeJS.ProcessEnv {
    // The member scripts call the engine's programs by name: the member's build comes first on the PATH.
    return { ...withPrograms(process.env, this.programsOf(m)), [memberEnv.host]: m.ip, LOCAL_ADDRESS: m.ip, [memberEnv.sentinelStateDir]: path.join(m.dir, 'data', 'sentinel') };
  }

  private script(m: LocalMember, name: string): string {
    return path.join(m.dir, 'config', name);
  }

  /** Starts a member's redis or sentinel through its entrypoint script, logging to a file. */
  start(m: LocalMember, program: Program): void {
    const name = program === 'redis' ? scriptNames.startRedis : scriptNames.startSentinel;
    m[program] = this.spawnLogged(m.name, 'sh', [this.script(m, name)], this.env(m), path.join(m.dir, `${program}.log`));
  }

  /** Starts portal i on its localised haproxy.cfg. */
  startPortal(p: LocalPortal): void {
    const env = { ...process.env, [portalEnv.checkUserPassword]: this.passwords[PORTAL_CHECK_USER], [portalEnv.sentinelPassword]: this.passwords[authSecretKeys.sentinelAuth] };
    p.haproxy = this.spawnLogged(p.name, 'haproxy', ['-W', '-db', '-f', path.join(p.dir, 'config', PORTAL_CONFIG_FILE)], env, path.join(p.dir, 'haproxy.log'));
  }

  /**
   * Each process leads a process group of its own, so that a signal reaches what it forked too:
   * haproxy's worker (it runs master-worker, as in the pod), redis' background-save child.
   */
  private spawnLogged(node: string, command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
    const log = createWriteStream(logFile, { flags: 'a' });
    // `ip netns exec` enters the namespace and execs the program: the child is still the program.
    const [file, ...rest] = [...this.inNamespace(node), ...dieWithDrill(), command, ...args];
    const child = spawn(file!, rest, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    return child;
  }

  /** The command prefix that runs a program where a member or portal runs (nothing on loopback). */
  inNamespace(node: string): string[] {
    return this.network ? this.network.exec(node) : [];
  }

  /** Runs one of the member's scripts to completion (a probe, the pre-stop hook). */
  async runScript(m: LocalMember, name: string, ...args: string[]): Promise<{ code: number; output: string }> {
    try {
      const [file, ...rest] = [...this.inNamespace(m.name), 'sh', this.script(m, name), ...args];
      const { stdout, stderr } = await run(file!, rest, { env: this.env(m), timeout: 90_000 });
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, output: e.stdout + e.stderr };
    }
  }

  /** Runs a data member's pre-stop hook, as the kubelet does before it stops the redis container. */
  async runPreStopHook(m: LocalMember): Promise<{ code: number; output: string }> {
    return this.runScript(m, scriptNames.stopRedis);
  }

  /** Whether the member's readiness probes pass: its sentinel's, and its redis' when it holds data. */
  async isReady(m: LocalMember): Promise<boolean> {
    if ((await this.runScript(m, scriptNames.probeSentinel)).code !== 0) return false;
    return !m.holdsData || (await this.runScript(m, scriptNames.probeRedis, 'ready')).code === 0;
  }

  /**
   * Signals a process (the entrypoints exec into redis-server and redis-sentinel). SIGKILL and
   * SIGTERM wait for the exit; SIGSTOP and SIGCONT freeze and thaw it, a partition seen from outside.
   */
  async signal(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    signalGroup(child, signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') await exited;
  }

  /** Stops a member's program and waits for the exit: SIGKILL, or SIGTERM as the kubelet stops a container. */
  async kill(m: LocalMember, program: Program, signal: StopSignal = 'SIGKILL'): Promise<void> {
    await this.signal(m[program], signal);
  }

  /** Stops a portal's haproxy and waits for the exit (SIGKILL, or SIGTERM). */
  async killPortal(p: LocalPortal, signal: StopSignal = 'SIGKILL'): Promise<void> {
    await this.signal(p.haproxy, signal);
  }

  /** Freezes a member's program (SIGSTOP): alive but silent, as a partition looks from the other side. */
  async freeze(m: LocalMember, program: Program): Promise<void> {
    await this.signal(m[program], 'SIGSTOP');
  }

  /** Lets a frozen program run again (SIGCONT). */
  async thaw(m: LocalMember, program: Program): Promise<void> {
    await this.signal(m[program], 'SIGCONT');
  }

  isRunning(child: ChildProcess | undefined): boolean {
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  log(m: LocalMember, program: Program): string {
    try {
      return readFileSync(path.join(m.dir, `${program}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  /** The engine's CLI (redis-cli or valkey-cli) of the build the cluster runs. */
  get cliPath(): string {
    return path.join(this.rendered.programs.binDir, this.rendered.programs.cli);
  }

  /** The engine's CLI over TLS to a member's redis as the admin user; the reply, or `ERROR <what redis-cli printed>`. */
  async redis(m: LocalMember, ...args: string[]): Promise<string> {
    return this.cli(m.ip, REDIS_PORT, { user: ADMIN_USER, password: this.passwords[ADMIN_USER]! }, args);
  }

  async sentinel(m: LocalMember, ...args: string[]): Promise<string> {
    return this.cli(m.ip, SENTINEL_PORT, { password: this.passwords[authSecretKeys.sentinelAuth]! }, args);
  }

  /** The engine's CLI over TLS through a portal, as `user` (undefined: without authenticating). */
  async viaPortal(p: LocalPortal, user: string | undefined, ...args: string[]): Promise<string> {
    return this.cli(p.ip, PORTAL_PORT, user === undefined ? undefined : { user, password: this.passwords[user]! }, args);
  }

  private async cli(host: string, port: number, auth: { user?: string; password: string } | undefined, args: string[]): Promise<string> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (auth) env.REDISCLI_AUTH = auth.password;
    try {
      const { stdout } = await run(
        this.cliPath,
        ['--no-auth-warning', '--tls', '--cacert', this.caFile, ...(auth?.user ? ['--user', auth.user] : []), '-h', host, '-p', String(port), '--raw', ...args],
        { env, timeout: 5000 },
      );
      return stdout.trim();
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      return `ERROR ${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`.trim();
    }
  }

  /** The address most of the answering sentinels (at least 2) name as primary, or undefined. */
  async primaryBySentinels(): Promise<string | undefined> {
    const answers = await Promise.all(this.members.map((m) => this.sentinel(m, 'SENTINEL', 'get-master-addr-by-name', this.rendered.id.deployment)));
    const hosts = answers.map((a) => a.split('\n')[0]).filter((h): h is string => !!h && !h.startsWith('ERROR'));
    const counts = new Map<string, number>();
    for (const h of hosts) counts.set(h, (counts.get(h) ?? 0) + 1);
    return [...counts].find(([, n]) => n >= 2)?.[0];
  }

  /** Waits for the sentinels to name a primary. */
  async namedPrimary(seconds: number): Promise<LocalMember> {
    return waitFor('a primary named by the sentinels', seconds, async () => {
      const ip = await this.primaryBySentinels();
      return ip ? this.member(ip) : undefined;
    });
  }

  /** Data members whose redis answers ROLE with master. */
  async primaries(): Promise<LocalMember[]> {
    const roles = await Promise.all(this.dataMembers.map(async (m) => ({ m, role: await this.redis(m, 'ROLE') })));
    return roles.filter((r) => r.role.startsWith('master')).map((r) => r.m);
  }

  /** Starts sentinels, then redis, then portals, and waits until replication is up and known to every sentinel. */
  async launch(): Promise<void> {
    for (const m of this.members) this.start(m, 'sentinel');
    for (const m of this.dataMembers) this.start(m, 'redis');
    for (const p of this.portals) this.startPortal(p);
    await this.settled(60);
  }

  /**
   * Waits until one primary is named by the sentinels, its replica's link is up, and every sentinel
   * lists the replica (sentinels learn of replicas from the primary's INFO, every 10 s; until they
   * do, they have none to promote).
   */
  async settled(seconds: number): Promise<LocalMember> {
    const primary = await this.namedPrimary(seconds);
    const replica = this.dataMembers.find((m) => m !== primary)!;
    await waitFor(`${replica.name} to replicate from ${primary.name}`, seconds, async () =>
      (await this.redis(replica, 'INFO', 'replication')).includes(`master_host:${primary.ip}`) &&
      (await this.redis(replica, 'INFO', 'replication')).includes('master_link_status:up'),
    );
    await waitFor('every sentinel to know the replica', seconds, async () => {
      const known = await Promise.all(this.members.map((s) => this.sentinel(s, 'SENTINEL', 'replicas', this.rendered.id.deployment)));
      return known.every((k) => k.includes(replica.ip));
    });
    return primary;
  }

  /** Each member's role and the end of every log: what a failure needs to be explained. */
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

  /** Every process of the cluster, for a power cut or the end of a run. */
  get processes(): ChildProcess[] {
    return [...this.portals.map((p) => p.haproxy), ...this.members.flatMap((m) => [m.redis, m.sentinel])].filter(
      (c): c is ChildProcess => this.isRunning(c),
    );
  }

  /** Kills every process (thawing frozen ones first) and removes the folder unless `keep`. */
  async stop(keep = false): Promise<void> {
    for (const child of this.processes) {
      signalGroup(child, 'SIGCONT');
      await this.signal(child, 'SIGKILL');
    }
    this.network?.dispose();
    this.leave(keep);
  }

  /** Removes the folder, or with `keep` the file that would have the next drill remove it (abandoned.ts). */
  private leave(keep: boolean): void {
    rmSync(keep ? path.join(this.dir, OWNER_FILE) : this.dir, { recursive: true, force: true });
  }

  /** The same, synchronously: for a process `exit` handler, where nothing asynchronous runs. */
  stopNow(keep = false): void {
    for (const child of this.processes) {
      signalGroup(child, 'SIGCONT');
      signalGroup(child, 'SIGKILL');
    }
    this.network?.dispose();
    this.leave(keep);
  }
}

/** Signals the process group `child` leads (see spawnLogged); a group already gone is no error. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // ESRCH: every process of the group has exited.
  }
}

/** The drill network's node (namespace) of the S3 server. */
const S3_NODE = 's3';

/** The address of the drill's S3 server (loopback, or its namespace's on the bridge): beside the members (.11-.13) and portals (.21-.22). */
function s3Address(subnet: string): string {
  return `${subnet}.31`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
