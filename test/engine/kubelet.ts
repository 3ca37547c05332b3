import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LocalCluster, LocalMember } from '../../src/drill/cluster.js';
import { engineTraits } from '../../model/engines.js';
import { MEMBER_LABEL } from '../../model/labels.js';
import { programsForImage, type ServerPrograms } from '../../src/drill/programs.js';
import { authSecretKeys } from '../../model/secrets.js';
import { objectNames } from '../../model/topology.js';
import type { ControlPlane } from './control-plane.js';
import { type KubeObject, KubeError } from './kube.js';
import { inClusterCommand } from './processes.js';

/** What the stand-in did, in order: the order the cluster actually stopped and started members. */
export interface KubeletEvent {
  at: number;
  member: string;
  what: 'started' | 'ready' | 'stopped';
  /** For `started`: the build it runs (`<engine> <version>`), chosen from the pod's image. */
  build?: string;
}

export interface RolloutRun {
  pod: string;
  exitCode: number;
  output: string;
}

/** The components of a deployment whose pods MemberKubelet runs, rather than kwok (startNodes' `realPods`). */
export const REAL_COMPONENTS = ['member', 'rollout'] as const;

/**
 * The kubelet of one deployment's members and rollout Job, on real processes (kwok plays the kubelet
 * of every other pod, whose containers never run). For each member pod the API server binds to a
 * node, it starts the member's redis and sentinel from the member ConfigMap as the new pod mounts it
 * (LocalCluster.configure), and reports the pod Ready when the member's readiness probes pass. For a
 * member pod being deleted, it runs the pre-stop hook, stops the processes (SIGTERM), and only then
 * removes the pod, as a kubelet does. For the rollout Job's pod it runs the Job's script, from the
 * Job's ConfigMap, with a token of the Job's service account (so its RBAC is the real one), and
 * reports the pod Succeeded or Failed by the script's exit code.
 *
 * What differs from a node: host names are the members' loopback addresses and the certificates and
 * passwords the local cluster's (as in the drill), and the script finds the API server on 127.0.0.1.
 */
export class MemberKubelet {
  readonly events: KubeletEvent[] = [];
  readonly rollouts: RolloutRun[] = [];
  /** Pods it could not run (an image with no build here): a test expects none. */
  readonly problems: string[] = [];
  private readonly running = new Map<string, { member: LocalMember; ready: boolean }>();
  private readonly busy = new Set<string>();
  /** The rollout scripts running now, by pod uid: their output so far (see describe). */
  private readonly inFlight = new Map<string, { pod: string; since: number; output: string[] }>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly dir: string;

  constructor(
    private readonly cp: ControlPlane,
    private readonly cluster: LocalCluster,
    private readonly id: { deployment: string; namespace: string },
  ) {
    this.dir = mkdtempSync(path.join(cluster.dir, 'kubelet-'));
  }

  start(): this {
    this.loop = this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const pods = await this.cp.kube.list(`/api/v1/namespaces/${this.id.namespace}/pods?labelSelector=app.kubernetes.io/instance=${this.id.deployment}`).catch(() => []);
      for (const pod of pods) {
        const uid = pod.metadata.uid!;
        if (this.busy.has(uid)) continue;
        const component = pod.metadata.labels?.['app.kubernetes.io/component'];
        const act = component === 'member' ? this.member(pod) : component === 'rollout' ? this.rollout(pod) : undefined;
        if (!act) continue;
        this.busy.add(uid);
        // Each pod's work runs on its own; a member's restart must not hold up the rollout script.
        void act.finally(() => this.busy.delete(uid));
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private record(member: string, what: KubeletEvent['what'], build?: string): void {
    this.events.push({ at: Date.now(), member, what, ...(build ? { build } : {}) });
  }

  private async member(pod: KubeObject): Promise<void> {
    const uid = pod.metadata.uid!;
    const member = this.cluster.member(pod.metadata.labels![MEMBER_LABEL]!);
    const known = this.running.get(uid);
    if (pod.metadata.deletionTimestamp) {
      if (known) {
        if (member.holdsData) await this.cluster.runPreStopHook(member);
        if (member.holdsData) await this.cluster.kill(member, 'redis', 'SIGTERM');
        await this.cluster.kill(member, 'sentinel', 'SIGTERM');
        this.running.delete(uid);
        this.record(member.name, 'stopped');
      }
      await this.cp.kube.request('DELETE', podPath(pod), { gracePeriodSeconds: 0, preconditions: { uid } }).catch(ignoreGone);
      return;
    }
    if (!known) {
      if (!pod.spec?.nodeName) return;
      // The build the pod's image names (model/engines.ts), as a node would pull that image: during a
      // rolling upgrade the members run two builds, each the one its own pod asks for.
      const programs = podPrograms(pod);
      if (typeof programs === 'string') {
        if (!this.problems.includes(programs)) this.problems.push(programs);
        return;
      }
      this.cluster.usePrograms(member, programs);
      const config = await this.cp.kube.get(`/api/v1/namespaces/${this.id.namespace}/configmaps/${objectNames(this.id.deployment).members}`);
      this.cluster.configure(member, config.data as Record<string, string>);
      this.cluster.start(member, 'sentinel');
      if (member.holdsData) this.cluster.start(member, 'redis');
      this.running.set(uid, { member, ready: false });
      this.record(member.name, 'started', `${programs.engine} ${programs.version}`);
      return;
    }
    if (!known.ready && (await this.cluster.isReady(member))) {
      await this.cp.kube.mergePatch(`${podPath(pod)}/status`, runningStatus(pod, true)).catch(ignoreGone);
      known.ready = true;
      this.record(member.name, 'ready');
    }
  }

  private async rollout(pod: KubeObject): Promise<void> {
    if (pod.metadata.deletionTimestamp) {
      await this.cp.kube.request('DELETE', podPath(pod), { gracePeriodSeconds: 0 }).catch(ignoreGone);
      return;
    }
    if (!pod.spec?.nodeName || pod.status?.phase !== 'Pending' || this.rollouts.some((r) => r.pod === pod.metadata.uid)) return;
    await this.cp.kube.mergePatch(`${podPath(pod)}/status`, runningStatus(pod, false));
    // From here on the pod is Running: whatever goes wrong must end it, or the Job (and the sync
    // waiting on it as a hook) would wait for ever, and the test with them.
    const live = { pod: pod.metadata.name!, since: Date.now(), output: [] as string[] };
    this.inFlight.set(pod.metadata.uid!, live);
    let code: number;
    try {
      code = await this.runRolloutScript(pod, live.output);
    } catch (error) {
      live.output.push(`\nthe kubelet could not run the script: ${(error as Error).stack ?? error}`);
      this.problems.push(`pod ${pod.metadata.name}: ${(error as Error).message}`);
      code = 1;
    } finally {
      this.inFlight.delete(pod.metadata.uid!);
    }
    this.rollouts.push({ pod: pod.metadata.uid!, exitCode: code, output: live.output.join('') });
    await this.cp.kube.mergePatch(`${podPath(pod)}/status`, finishedStatus(pod, code)).catch(ignoreGone);
  }

  /** Runs the rollout Job's script as its pod would, its output appended to `output` as it comes; its exit code. */
  private async runRolloutScript(pod: KubeObject, output: string[]): Promise<number> {
    const container = pod.spec!.containers[0];
    const env = Object.fromEntries((container.env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    const script = await this.cp.kube.get(`/api/v1/namespaces/${this.id.namespace}/configmaps/${objectNames(this.id.deployment).rollout}`);
    const scriptFile = path.join(this.dir, 'rollout.py');
    writeFileSync(scriptFile, (script.data as Record<string, string>)['rollout.py']!);
    const passwordFile = path.join(this.dir, 'sentinel-password');
    writeFileSync(passwordFile, this.cluster.passwords[authSecretKeys.sentinelAuth]!);
    // The Job's own service account: a token the API server issues for it, as a projected volume holds.
    const token = await this.cp.kube.create(`/api/v1/namespaces/${this.id.namespace}/serviceaccounts/${pod.spec!.serviceAccountName}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata.name, uid: pod.metadata.uid } },
    });
    const accountDir = mkdtempSync(path.join(this.dir, 'account-'));
    writeFileSync(path.join(accountDir, 'token'), (token.status as { token: string }).token);
    writeFileSync(path.join(accountDir, 'ca.crt'), readFileSync(this.cp.caFile));
    const members = (JSON.parse(env.MEMBERS!) as { name: string; host: string }[]).map((m) => ({ ...m, host: this.cluster.member(m.name).ip }));
    return inPod(
      accountDir,
      ['python3', scriptFile],
      {
        ...env,
        MEMBERS: JSON.stringify(members),
        CA_FILE: this.cluster.caFile,
        SENTINEL_PASSWORD_FILE: passwordFile,
        KUBERNETES_SERVICE_HOST: '127.0.0.1',
        KUBERNETES_SERVICE_PORT: new URL(this.cp.server).port,
      },
      output,
    );
  }

  /**
   * What the stand-in did and is doing, for a test's failure message: its last events, the problems
   * it met, and the output so far of each rollout script still running (a sync waits for the Job).
   */
  describe(): string {
    const time = (at: number) => new Date(at).toISOString().slice(11, 23);
    const events = this.events.slice(-20).map((e) => `  ${time(e.at)} ${e.member} ${e.what}${e.build ? ` (${e.build})` : ''}`);
    const running = [...this.inFlight.values()].map((r) => `--- rollout script of pod ${r.pod}, running since ${time(r.since)}:\n${r.output.join('') || '(no output yet)'}`);
    return [
      `--- the kubelet's last events:\n${events.join('\n') || '  (none)'}`,
      ...(this.problems.length ? [`--- its problems:\n${this.problems.join('\n')}`] : []),
      ...(running.length ? running : ['--- no rollout script running']),
    ].join('\n');
  }
}

/** The server build for a member pod: from the one engine image its containers name. */
function podPrograms(pod: KubeObject): ServerPrograms | string {
  const official = Object.values(engineTraits).map((t) => `${t.officialRepository}:`);
  const images = [...new Set((pod.spec!.containers as { image: string }[]).map((c) => c.image).filter((i) => official.some((o) => i.startsWith(o))))];
  if (images.length !== 1) return `pod ${pod.metadata.name}: expected one engine image among its containers, found ${images.length ? images.join(', ') : 'none'}`;
  const programs = programsForImage(images[0]!);
  return typeof programs === 'string' ? `pod ${pod.metadata.name}: ${programs}` : programs;
}

function podPath(pod: KubeObject): string {
  return `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
}

function ignoreGone(e: unknown): void {
  if (!(e instanceof KubeError && (e.status === 404 || e.status === 409))) throw e;
}

function runningStatus(pod: KubeObject, ready: boolean): object {
  const now = new Date().toISOString();
  const condition = (type: string, status: boolean) => ({ type, status: status ? 'True' : 'False', lastTransitionTime: now });
  return {
    status: {
      phase: 'Running',
      startTime: now,
      conditions: [condition('Initialized', true), condition('Ready', ready), condition('ContainersReady', ready), condition('PodScheduled', true)],
      containerStatuses: (pod.spec!.containers as { name: string; image: string }[]).map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: now } },
      })),
    },
  };
}

function finishedStatus(pod: KubeObject, exitCode: number): object {
  const now = new Date().toISOString();
  return {
    status: {
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: now }],
      containerStatuses: (pod.spec!.containers as { name: string; image: string }[]).map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: now, finishedAt: now } },
      })),
    },
  };
}

/**
 * Runs a command with the service account of `accountDir`, as the pod's container would
 * (inClusterCommand), its output appended to `output` as it comes; its exit code.
 */
function inPod(accountDir: string, command: string[], env: Record<string, string>, output: string[]): Promise<number> {
  const [program, args] = inClusterCommand(accountDir, command);
  return new Promise((resolve) => {
    const child = spawn(program, args, { env: { PATH: process.env.PATH!, ...env }, timeout: 15 * 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
    child.on('error', (error) => {
      output.push(`\n${program}: ${error.message}`);
      resolve(1);
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}
