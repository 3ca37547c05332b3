import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authSecretKeys, tlsSecretKeys } from '../model/secrets.js';
import { PORTAL_CHECK_USER } from '../model/users.js';
import { loadInputs } from '../src/config/load.js';
import { renderForLocalCluster } from '../src/drill/drill.js';
import { WriteLoad } from '../src/drill/write-load.js';
import { readState, type SecretsState } from '../src/secrets/state.js';
import type { RotationRequest, RotationStep } from '../src/secrets/rotations.js';
import { synth } from '../src/synth/synth.js';
import { diagnoseOnFailure, LocalCluster, waitFor, type LocalMember } from './support/local-cluster.js';
import { goTool, missingPrograms, tlsHandshake, unseal } from './support/programs.js';
import { projectRoot, tempDir } from './support/repo.js';

// The rotations of dist/ on real programs: the very Secrets synth seals at each step (opened with the
// real kubeseal and the example cluster's TEST-ONLY key), given to real redis, sentinel and haproxy.

const run = promisify(execFile);
const skip =
  missingPrograms('redis-server', 'redis-sentinel', 'redis-cli', 'haproxy', 'openssl') ?? (goTool('kubeseal') ? undefined : 'kubeseal not built; .ci/run builds it into .tools/');
const folder = 'dist/example/orders';
const stateOf = (repo: string): SecretsState => readState(path.join(repo, 'state/example/orders.json'))!.state;
const rotateStep = (repo: string, request: RotationRequest) => synth(repo, path.join(repo, 'dist'), { rotate: new Map([['orders', request]]) });
const steps = ['start', 'switch', 'finish'] as const satisfies readonly RotationStep[];

/** A copy of the inputs for a whole describe block (tempRepo's folder goes when a test ends), removed after the file. */
const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function blockRepo(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-gitops-rotation-'));
  scratch.push(dir);
  for (const sub of ['clusters', 'deployments', 'state']) cpSync(path.join(projectRoot, sub), path.join(dir, sub), { recursive: true });
  return dir;
}

/** Processes a test started, killed after it. */
const started: ChildProcess[] = [];
function launch(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore', env });
  started.push(child);
  return child;
}
async function stopAll(): Promise<void> {
  for (const child of started.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/** redis-cli over TLS; the reply, or `ERROR ...`. */
async function redisCli(host: string, port: number, caFile: string, ...args: string[]): Promise<string> {
  return run('redis-cli', ['--tls', '--cacert', caFile, '-h', host, '-p', String(port), '--raw', ...args], { timeout: 5000 }).then(
    (r) => r.stdout.trim(),
    (e: { stdout?: string; stderr?: string; message: string }) => `ERROR ${(e.stdout ?? '') + (e.stderr ?? '') || e.message}`.trim(),
  );
}

describe.skipIf(skip)(`a CA rotation on real redis, haproxy and openssl${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  /** The TLS Secret's files at each point: before the rotation, then after start, switch and finish; and the published ca.crt. */
  interface Material {
    ca: string;
    cert: string;
    key: string;
    bundle: string;
    published: string;
  }
  const materials: Material[] = [];
  let oldCa: string;
  let newCa: string;
  const subnet = '127.0.14';
  const REDIS = 16379;
  const PORTAL = 16380;

  beforeAll(async () => {
    const repo = blockRepo();
    const dir = path.join(repo, 'tls');
    await synth(repo, path.join(repo, 'dist'));
    for (const [i, step] of [undefined, ...steps].entries()) {
      if (step) await rotateStep(repo, { ca: step });
      const tls = await unseal(path.join(repo, folder, 'sealedsecret-orders-tls.yaml'));
      const files = Object.fromEntries(
        [...Object.entries(tls), ['published.crt', readFileSync(path.join(repo, folder, 'ca.crt'), 'utf8')]].map(([key, text]) => {
          const file = path.join(dir, `step-${i}`, key!);
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, text!);
          return [key, file];
        }),
      );
      materials.push({ ca: files[tlsSecretKeys.ca]!, cert: files[tlsSecretKeys.cert]!, key: files[tlsSecretKeys.key]!, bundle: files[tlsSecretKeys.bundle]!, published: files['published.crt']! });
    }
    oldCa = path.join(dir, 'old-ca.crt');
    newCa = path.join(dir, 'new-ca.crt');
    writeFileSync(oldCa, readFileSync(materials[0]!.ca));
    writeFileSync(newCa, readFileSync(materials[3]!.ca));
    expect(readFileSync(materials[1]!.ca, 'utf8'), "the servers' ca.crt after start: old and new").toBe(readFileSync(oldCa, 'utf8') + readFileSync(newCa, 'utf8'));
  });
  afterEach(stopAll);

  /** A member's redis on a step's material: the primary, or a replica of `primaryIp`. */
  const member = (ip: string, m: Material, primaryIp?: string) =>
    launch('redis-server', [
      '--port', '0', '--tls-port', String(REDIS), '--bind', ip, '--tls-cert-file', m.cert, '--tls-key-file', m.key, '--tls-ca-cert-file', m.ca,
      '--tls-auth-clients', 'no', '--tls-replication', 'yes', '--save', '', '--appendonly', 'no', '--dir', tempDir(),
      ...(primaryIp ? ['--replicaof', primaryIp, String(REDIS)] : []),
    ]);
  /** A portal's haproxy on a step's material in front of the member at `memberIp`, verifying it as the rendered haproxy.cfg does. */
  const portal = (ip: string, m: Material, memberIp: string) => {
    const cfg = path.join(tempDir(), 'haproxy.cfg');
    writeFileSync(
      cfg,
      [
        'defaults', '  mode tcp', '  timeout connect 2s', '  timeout client 10s', '  timeout server 10s',
        'frontend redis', `  bind ${ip}:${PORTAL} ssl crt ${m.bundle} ssl-min-ver TLSv1.2`, '  default_backend primary',
        'backend primary', `  server member ${memberIp}:${REDIS} ssl verify required ca-file ${m.ca} verifyhost localhost`, '',
      ].join('\n'),
    );
    return launch('haproxy', ['-db', '-f', cfg]);
  };
  const linkUp = async (replicaIp: string, m: Material) => (await redisCli(replicaIp, REDIS, m.ca, 'INFO', 'replication')).includes('master_link_status:up');
  const ip = (n: number) => `${subnet}.${n}`;

  it('lets each step meet the one before it: members replicate both ways, portals verify members, applications with the previous ca.crt connect', async () => {
    for (const k of [0, 1, 2]) {
      for (const [p, r] of [[k, k + 1], [k + 1, k]] as const) {
        const [primary, replica] = [materials[p]!, materials[r]!];
        member(ip(1), primary);
        member(ip(2), replica, ip(1));
        portal(ip(3), materials[k]!, ip(1));
        portal(ip(4), materials[k + 1]!, ip(1));
        await waitFor(`a replica on step ${r} to replicate from a primary on step ${p}`, 20, () => linkUp(ip(2), replica));
        for (const [app, bundle] of [['the previous', materials[k]!.published], ['the new', materials[k + 1]!.published]] as const) {
          for (const via of [ip(3), ip(4)]) {
            expect(await waitFor(`${app} ca.crt through the portal at ${via}`, 10, async () => (await redisCli(via, PORTAL, bundle, 'PING')) === 'PONG' || undefined), `step ${k}→${k + 1}, primary on ${p}`).toBe(true);
          }
        }
        await stopAll();
      }
    }
  });

  it('has openssl clients that trust the old CA alone succeed until the switch, the new CA alone from the switch, the published ca.crt always', async () => {
    for (const [k, m] of materials.entries()) {
      member(ip(1), m);
      portal(ip(3), m, ip(1));
      await waitFor(`the member on step ${k}`, 10, async () => (await redisCli(ip(1), REDIS, m.ca, 'PING')) === 'PONG' || undefined);
      await waitFor(`the portal on step ${k}`, 10, async () => (await redisCli(ip(3), PORTAL, m.published, 'PING')) === 'PONG' || undefined);
      for (const [host, port] of [[ip(1), REDIS], [ip(3), PORTAL]] as const) {
        const at = `step ${k}, ${host}:${port}`;
        expect((await tlsHandshake(host, port, 'tls1_3', oldCa, 'localhost')).verified, `${at}: the old CA alone`).toBe(k < 2);
        expect((await tlsHandshake(host, port, 'tls1_3', newCa, 'localhost')).verified, `${at}: the new CA alone`).toBe(k >= 2);
        expect((await tlsHandshake(host, port, 'tls1_2', m.published, 'localhost')).verified, `${at}: the published ca.crt`).toBe(true);
      }
      await stopAll();
    }
  });

  it('fails without the overlap: a switch that also drops the old CA breaks replication and the portals mid-rollout', async () => {
    // What `rotate --what server` did before: the new certificate and only the new CA, in one step.
    const [before, after] = [materials[0]!, materials[3]!];
    member(ip(1), before);
    member(ip(2), after, ip(1));
    portal(ip(3), after, ip(1));
    await new Promise((r) => setTimeout(r, 4000));
    expect(await linkUp(ip(2), after), 'a replica trusting only the new CA, from a primary presenting the old certificate').toBe(false);
    expect(await redisCli(ip(3), PORTAL, after.published, 'PING'), 'a portal trusting only the new CA, in front of that primary').not.toBe('PONG');
  });
});

describe.skipIf(skip)(`a password rotation on real redis, sentinel and haproxy, rolled out one member at a time under load${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let cluster: LocalCluster;
  let repo: string;
  diagnoseOnFailure(() => cluster);

  /** The unsealed auth Secret (the members' mount) and each application user's password. */
  const secretsOf = async () => ({
    auth: await unseal(path.join(repo, folder, 'sealedsecret-orders-auth.yaml')),
    admin: (await unseal(path.join(repo, folder, 'sealedsecret-orders-user-admin.yaml'))).password!,
  });
  /** What the members' and portals' own processes log in with: the auth Secret's keys. */
  const useServicePasswords = (auth: Record<string, string>) => {
    for (const user of ['replication', 'sentinel', 'member', PORTAL_CHECK_USER, 'exporter']) cluster.passwords[user] = auth[`acl-${user}`]!;
    cluster.passwords[authSecretKeys.sentinelAuth] = auth[authSecretKeys.sentinelAuth]!;
  };

  beforeAll(async () => {
    repo = blockRepo();
    await synth(repo, path.join(repo, 'dist'));
    const inputs = await loadInputs(repo);
    const orders = inputs.deployments.find((d) => d.name === 'orders')!;
    orders.spec.sentinel = { downAfterMilliseconds: 3000, failoverTimeout: 10000 };
    cluster = await LocalCluster.create(await renderForLocalCluster(repo, orders), '127.0.15');
    const { auth, admin } = await secretsOf();
    for (const m of cluster.members) cluster.useSecrets(m, auth);
    useServicePasswords(auth);
    cluster.passwords.admin = admin;
    for (const m of cluster.members) cluster.start(m, 'sentinel');
    for (const m of cluster.dataMembers) cluster.start(m, 'redis');
    await cluster.settled(60);
    for (const p of cluster.portals) cluster.startPortal(p);
    for (const p of cluster.portals) await waitFor(`${p.name} to route`, 30, async () => (await cluster.viaPortal(p, 'admin', 'PING')) === 'PONG');
  });
  afterAll(async () => cluster?.stop());

  /** As the kubelet does on a rolling update, one member at a time, the primary last: the new Secret files, pre-stop hook, SIGTERM, start, until ready. */
  async function rollOut(auth: Record<string, string>): Promise<void> {
    const primary = await cluster.settled(30);
    for (const m of [...cluster.members.filter((x) => x !== primary), primary] as LocalMember[]) {
      if (m.holdsData) {
        await cluster.runPreStopHook(m);
        await cluster.kill(m, 'redis', 'SIGTERM');
      }
      await cluster.kill(m, 'sentinel', 'SIGTERM');
      cluster.useSecrets(m, auth);
      cluster.start(m, 'sentinel');
      if (m.holdsData) cluster.start(m, 'redis');
      await waitFor(`${m.name} to be ready`, 90, () => cluster.isReady(m));
      await cluster.settled(60);
    }
    useServicePasswords(auth);
    for (const p of cluster.portals) {
      await cluster.killPortal(p, 'SIGTERM');
      cluster.startPortal(p);
      await waitFor(`${p.name} to route`, 30, async () => (await cluster.viaPortal(p, 'admin', 'PING')) === 'PONG');
    }
  }

  /** AUTH as `user` with `password` on every member's redis (or, for the sentinels, AUTH with the password alone on each sentinel). */
  const accepted = async (target: 'redis' | 'sentinel', password: string, user?: string) => {
    const members = target === 'redis' ? cluster.dataMembers : cluster.members;
    const replies = await Promise.all(
      members.map((m) =>
        run('redis-cli', ['--no-auth-warning', '--tls', '--cacert', cluster.caFile, '-h', m.ip, '-p', String(target === 'redis' ? 6379 : 26379), ...(user ? ['--user', user] : []), '--pass', password, '--raw', 'PING'], { timeout: 5000 }).then(
          (r) => r.stdout.trim(),
          (e: { stdout?: string }) => e.stdout?.trim() ?? 'ERROR',
        ),
      ),
    );
    return replies.every((r) => r === 'PONG') ? true : replies.every((r) => r !== 'PONG') ? false : `mixed: ${replies.join(', ')}`;
  };

  it('keeps every client and every member working through start, switch and finish, with both passwords accepted until the finish', async () => {
    const before = await secretsOf();
    const oldState = stateOf(repo);
    for (const step of steps) {
      await rotateStep(repo, { passwords: step });
      const now = await secretsOf();
      // Applications keep the password they have until their Secret changes (after the rollout).
      const load = new WriteLoad(cluster, `rotate-${step}`).start();
      await rollOut(now.auth);
      const result = await load.stop();
      expect(result.failed, `${step}: writes that failed beyond the retries (of ${result.attempted})`).toBe(0);
      expect(result.attempted).toBeGreaterThan(0);
      // Then the application Secrets' wave: the application moves to the password it is handed.
      cluster.passwords.admin = now.admin;
      const midway = step !== 'finish';
      expect(await accepted('redis', before.admin, 'admin'), `${step}: the old application password`).toBe(midway);
      expect(await accepted('redis', now.admin, 'admin'), `${step}: the new application password`).toBe(true);
      expect(await accepted('redis', before.auth['acl-replication']!, 'replication'), `${step}: the old replication password`).toBe(midway);
      expect(await accepted('sentinel', before.auth[authSecretKeys.sentinelAuth]!), `${step}: the old sentinel password`).toBe(midway);
      expect(await accepted('sentinel', (step === 'start' ? now.auth[authSecretKeys.sentinelAuthAlso] : now.auth[authSecretKeys.sentinelAuth])!), `${step}: the new sentinel password`).toBe(true);
      expect(await cluster.viaPortal(cluster.portals[0]!, 'admin', 'PING'), `${step}: an application with its new password`).toBe('PONG');
    }
    expect(stateOf(repo).users.admin!.passwordSha256).not.toBe(oldState.users.admin!.passwordSha256);
  });
});
