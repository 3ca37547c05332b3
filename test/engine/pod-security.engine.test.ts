import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import pMap from 'p-map';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGate } from '../../src/gate/gate.js';
import { missingBinaries } from './binaries.js';
import { type ControlPlane, startControlPlane } from './control-plane.js';
import { Kube, KubeError, until } from './kube.js';
import { random } from './manifest-corpus.js';
import { stopPrograms } from './processes.js';

/**
 * The gate's Pod Security rules (security.pod_hardened, security.no_host_namespaces) against the
 * real PodSecurity admission of kube-apiserver v1.28.15, in namespaces labelled as the generator
 * labels its own (enforce restricted, v1.28): every pod of a corpus (the generator's own pod
 * templates, a hand-written hardened pod, and those mutated by a seeded generator over every field
 * the profile turns on) is created with ?dryRun=All. The server's refusal names the checks that
 * failed ("runAsNonRoot != true", "restricted volume types", ...); the gate's findings on the same
 * pod, mapped to those names, must be the same set, and an accepted pod must have none (nor any
 * schema.* finding: the Pod schema the gate validates against must accept what the server admits).
 *
 * Left out of the corpus, each for a reason: procMount (the ProcMountType feature gate is off in
 * 1.28, so the API server drops the field and admits the pod; the gate still refuses it, as a
 * cluster with the gate on would), spec.os (Windows pods skip some checks; the gate does not, and
 * this product runs no Windows pods, and the API server refuses a Windows host process as invalid
 * before admission), ephemeral containers (cannot be set on create). Privileged containers are drawn,
 * but this API server (as most) runs without --allow-privileged and refuses them as invalid. A pod the API
 * server finds invalid (422) is not compared: it never runs; how many there were is printed, and
 * bounded below.
 *
 * PSA_DIFF_SEED=<n> runs the generator with another seed, PSA_DIFF_COUNT=<n> makes that many pods.
 */

type Obj = Record<string, any>;

/**
 * The pods are spread over this many namespaces, all labelled alike: the gate checks a namespace's
 * objects together, and its time grows faster than linearly with a namespace's size (OPA's wasm
 * allocator and the garbage collector: 300 pods in one namespace took 3.8 s, 1200 took 34 s).
 */
const NAMESPACES = 40;
const namespaceOf = (i: number) => `psa-restricted-${i % NAMESPACES}`;
const SEED = Number(process.env.PSA_DIFF_SEED ?? 0x5eca1128) >>> 0;
const COUNT = Number(process.env.PSA_DIFF_COUNT ?? 1500);
const PROFILE = 'restricted:v1.28';

/** The reasons PodSecurity gives (k8s.io/pod-security-admission v0.28.15 policy/check_*.go ForbiddenReason). */
const REASONS = [
  'allowPrivilegeEscalation != false',
  'forbidden sysctls',
  'host namespaces',
  'hostPath volumes',
  'hostPort',
  'hostProcess',
  'non-default capabilities',
  'privileged',
  'procMount',
  'restricted volume types',
  'runAsNonRoot != true',
  'runAsUser=0',
  'seLinuxOptions',
  'seccompProfile',
  'unrestricted capabilities',
  'forbidden AppArmor profile',
  'forbidden AppArmor profiles',
];

/** The reasons in a refusal's message: `... violates PodSecurity "restricted:v1.28": <reason> (<detail>), <reason> ...`. */
function serverReasons(message: string): string[] {
  const at = message.indexOf(`violates PodSecurity "${PROFILE}": `);
  if (at < 0) throw new Error(`not a PodSecurity refusal: ${message}`);
  const list = message.slice(at + `violates PodSecurity "${PROFILE}": `.length);
  const found = REASONS.filter((r) => new RegExp(`(^|, )${r.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( \\(|,|$)`).test(list));
  return [...new Set(found.map((r) => (r.startsWith('forbidden AppArmor') ? 'forbidden AppArmor profile' : r)))].sort();
}

/** Each problem the gate's messages name, as the PodSecurity check that refuses it. */
const GATE_REASONS: [RegExp, string][] = [
  [/runAsNonRoot is (not true|false)/, 'runAsNonRoot != true'],
  [/allowPrivilegeEscalation is not false/, 'allowPrivilegeEscalation != false'],
  [/capabilities\.(drop does not contain|add holds)/, 'unrestricted capabilities'],
  [/privileged is true/, 'privileged'],
  [/seccompProfile\.type is/, 'seccompProfile'],
  [/runAsUser is 0/, 'runAsUser=0'],
  [/procMount is/, 'procMount'],
  [/hostPort /, 'hostPort'],
  [/seLinuxOptions /, 'seLinuxOptions'],
  [/windowsOptions\.hostProcess/, 'hostProcess'],
  [/sysctls .* are not among/, 'forbidden sysctls'],
  [/volume .* is of type/, 'restricted volume types'],
  [/AppArmor profile/, 'forbidden AppArmor profile'],
  [/sets host(Network|PID|IPC)/, 'host namespaces'],
];

function gateReasons(messages: string[]): string[] {
  const found = new Set<string>();
  for (const m of messages) for (const [pattern, reason] of GATE_REASONS) if (pattern.test(m)) found.add(reason);
  return [...found].sort();
}

// ---------------------------------------------------------------------------------------------
// The corpus.

/** Draws from the seeded generator the other corpora use (mulberry32), so a failing pod can be made again. */
class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = random(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
}

const HARDENED = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };

function handWrittenPod(): Obj {
  return {
    spec: {
      containers: [{ name: 'redis', image: 'redis:7.2.5', securityContext: structuredClone(HARDENED) }],
      initContainers: [{ name: 'init', image: 'busybox:1.36', securityContext: structuredClone(HARDENED) }],
      volumes: [{ name: 'config', configMap: { name: 'c' } }],
    },
  };
}

/** The pod templates of the generator's own output (dist/), as pods: what the gate must pass and the cluster admit. */
function generatorPods(): Obj[] {
  const pods: Obj[] = [];
  const dist = path.resolve('dist');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.yaml')) {
        for (const doc of yaml.loadAll(readFileSync(full, 'utf8')) as Obj[]) {
          const template = doc?.kind === 'CronJob' ? doc.spec?.jobTemplate?.spec?.template : doc?.spec?.template;
          if (!template?.spec?.containers) continue;
          const pod = structuredClone({ metadata: { annotations: template.metadata?.annotations }, spec: template.spec });
          // A StatefulSet's pods mount its claims as the controller adds them.
          const claims = ((doc.kind === 'StatefulSet' && doc.spec.volumeClaimTemplates) || []) as Obj[];
          pod.spec.volumes = [...claims.map((c) => ({ name: c.metadata.name, persistentVolumeClaim: { claimName: `${c.metadata.name}-0` } })), ...(pod.spec.volumes ?? [])];
          pods.push(pod);
        }
      }
    }
  };
  walk(dist);
  for (const pod of pods) {
    // Service accounts of the generator's namespaces do not exist here (the ServiceAccount admission would refuse).
    delete pod.spec.serviceAccountName;
    if (!pod.metadata.annotations) delete pod.metadata.annotations;
  }
  return pods;
}

const containersOf = (pod: Obj): Obj[] => [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];

/** One change of the pod, drawn from what the profile turns on (both the allowed and the forbidden side). */
const MUTATIONS: ((r: Random, pod: Obj) => void)[] = [
  // A container's own securityContext, field by field.
  (r, pod) => {
    const c = r.pick(containersOf(pod));
    const sc = (c.securityContext ??= {});
    const field = r.pick(['runAsNonRoot', 'allowPrivilegeEscalation', 'privileged', 'runAsUser', 'capabilities', 'seccompProfile', 'seLinuxOptions', 'whole']);
    switch (field) {
      case 'runAsNonRoot':
      case 'allowPrivilegeEscalation':
      case 'privileged':
        if (r.int(3) === 0) delete sc[field];
        else sc[field] = r.pick([true, false]);
        break;
      case 'runAsUser':
        if (r.int(3) === 0) delete sc.runAsUser;
        else sc.runAsUser = r.pick([0, 1000, 999]);
        break;
      case 'capabilities':
        sc.capabilities = r.pick([undefined, {}, { drop: ['ALL'] }, { drop: ['all'] }, { drop: ['NET_RAW'] }, { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, { drop: ['ALL'], add: ['SYS_ADMIN'] }, { drop: ['ALL'], add: ['CHOWN'] }, { add: ['NET_BIND_SERVICE'] }, { drop: ['NET_RAW', 'ALL'], add: ['NET_BIND_SERVICE', 'KILL'] }]);
        if (sc.capabilities === undefined) delete sc.capabilities;
        break;
      case 'seccompProfile':
        sc.seccompProfile = r.pick([undefined, { type: 'RuntimeDefault' }, { type: 'Unconfined' }, { type: 'Localhost', localhostProfile: 'profiles/redis.json' }]);
        if (sc.seccompProfile === undefined) delete sc.seccompProfile;
        break;
      case 'seLinuxOptions':
        sc.seLinuxOptions = r.pick([{ type: 'container_t' }, { type: 'spc_t' }, { level: 's0:c123,c456' }, { user: 'system_u' }, { role: 'system_r' }, { type: 'container_init_t', level: 's0' }]);
        break;
      case 'whole':
        delete c.securityContext;
        break;
    }
  },
  // The pod's securityContext.
  (r, pod) => {
    const sc = (pod.spec.securityContext ??= {});
    const field = r.pick(['runAsNonRoot', 'runAsUser', 'seccompProfile', 'seLinuxOptions', 'sysctls']);
    switch (field) {
      case 'runAsNonRoot':
        sc.runAsNonRoot = r.pick([true, false]);
        break;
      case 'runAsUser':
        sc.runAsUser = r.pick([0, 1000]);
        break;
      case 'seccompProfile':
        sc.seccompProfile = r.pick([{ type: 'RuntimeDefault' }, { type: 'Unconfined' }, { type: 'Localhost', localhostProfile: 'profiles/redis.json' }]);
        break;
      case 'seLinuxOptions':
        sc.seLinuxOptions = r.pick([{ type: 'container_t' }, { type: 'unconfined_t' }, { user: 'system_u' }, { level: 's0' }]);
        break;
      case 'sysctls':
        sc.sysctls = r.pick([[{ name: 'net.ipv4.ip_local_port_range', value: '1024 65535' }], [{ name: 'net.core.somaxconn', value: '1024' }], [{ name: 'kernel.shm_rmid_forced', value: '1' }, { name: 'kernel.msgmax', value: '65536' }], [{ name: 'net.ipv4.ip_local_reserved_ports', value: '8080' }]]);
        break;
    }
  },
  // Host namespaces and ports.
  (r, pod) => {
    const what = r.pick(['hostNetwork', 'hostPID', 'hostIPC', 'hostPort']);
    if (what === 'hostPort') {
      const c = r.pick(pod.spec.containers as Obj[]);
      c.ports = [...(c.ports ?? []).filter((p: Obj) => p.containerPort !== 7000), { containerPort: 7000, ...(r.int(2) ? { hostPort: 7000 } : {}) }];
    } else pod.spec[what] = r.pick([true, false]);
  },
  // Volumes of every kind the profile sorts.
  (r, pod) => {
    const name = `v${r.int(1000)}`;
    const source = r.pick([
      { hostPath: { path: '/var/run' } },
      { emptyDir: {} },
      { configMap: { name: 'c' } },
      { secret: { secretName: 's' } },
      { projected: { sources: [{ configMap: { name: 'c' } }] } },
      { downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { persistentVolumeClaim: { claimName: 'data' } },
      { csi: { driver: 'secrets-store.csi.k8s.io' } },
      { ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'x', resources: { requests: { storage: '1Gi' } } } } } },
      { nfs: { server: 'nfs.example.com', path: '/exports' } },
      { iscsi: { targetPortal: '10.0.0.1:3260', iqn: 'iqn.2001-04.com.example:storage', lun: 0 } },
      { gitRepo: { repository: 'https://example.com/r.git' } },
      {},
    ]);
    pod.spec.volumes = [...(pod.spec.volumes ?? []), { name, ...source }];
  },
  // AppArmor, by annotation (the field came in 1.30).
  (r, pod) => {
    const c = r.pick(containersOf(pod));
    pod.metadata.annotations = { ...pod.metadata.annotations, [`container.apparmor.security.beta.kubernetes.io/${c.name}`]: r.pick(['runtime/default', 'unconfined', 'localhost/redis']) };
  },
];

function corpus(seed: number, count: number): { id: string; pod: Obj }[] {
  const r = new Random(seed);
  const bases = [handWrittenPod(), ...generatorPods()];
  const cases: { id: string; pod: Obj }[] = bases.map((b, i) => ({ id: `base#${i}`, pod: structuredClone(b) }));
  for (let i = 0; i < count; i++) {
    const pod = structuredClone(r.pick(bases));
    pod.metadata ??= {};
    // Mostly one or two changes (each side of one check), sometimes many (their mixtures).
    for (let n = r.pick([1, 1, 1, 2, 2, 3, 5]); n > 0; n--) r.pick(MUTATIONS)(r, pod);
    cases.push({ id: `gen#${i}`, pod });
  }
  return cases.map(({ id, pod }, i) => ({ id, pod: { apiVersion: 'v1', kind: 'Pod', ...pod, metadata: { ...pod.metadata, name: `p${i}`, namespace: namespaceOf(i) } } }));
}

// ---------------------------------------------------------------------------------------------

describe(`the gate agrees with PodSecurity admission of kube-apiserver v1.28.15 ("${PROFILE}", dry-run creates)`, () => {
  let dir: string;
  let cp: ControlPlane;
  let kube: Kube;

  beforeAll(async () => {
    const missing = missingBinaries().filter((b) => ['etcd', 'kubeApiserver', 'kubeControllerManager', 'kubeScheduler'].includes(b));
    if (missing.length) throw new Error(`the engine tier's programs are not built (${missing.join(', ')}): run npm run engine:build`);
    dir = mkdtempSync(path.join(tmpdir(), 'redis-gitops-pod-security-'));
    cp = await startControlPlane(dir);
    // Labelled as the generator labels a deployment's namespace (model: namespace labels).
    const labels = { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.28' };
    for (let i = 0; i < NAMESPACES; i++) {
      await cp.kube.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespaceOf(i), labels } });
    }
    // Pods are refused until a namespace's default service account exists (the controller-manager makes it).
    for (let i = 0; i < NAMESPACES; i++) {
      await until(`the ${namespaceOf(i)} namespace's default service account`, 60_000, () => cp.kube.find(`/api/v1/namespaces/${namespaceOf(i)}/serviceaccounts/default`));
    }
    kube = new Kube(cp.server, cp.token, readFileSync(cp.caFile, 'utf8'), { maxSockets: 8 });
  });

  afterAll(async () => {
    kube?.close();
    cp?.kube.close();
    if (cp) await stopPrograms(cp.programs);
    if (dir && !process.env.ENGINE_KEEP) rmSync(dir, { recursive: true, force: true });
  });

  it(`the generator's pods, a hardened pod and ${COUNT} mutations of them (seed ${SEED}): the same checks fail on both sides`, async () => {
    const cases = corpus(SEED, COUNT);
    const files = path.join(dir, 'corpus');
    mkdirSync(files);
    for (const [i, c] of cases.entries()) writeFileSync(path.join(files, `p${i}.yaml`), yaml.dump(c.pod, { noRefs: true }));

    const gateStarted = Date.now();
    const report = await runGate([files], { threads: 0 });
    const gateMs = Date.now() - gateStarted;
    const gateFindings = new Map<string, string[]>();
    // The schema findings (Pod's vendored schema, and what the API server checks beyond it): a pod
    // the server admits must have none.
    const schemaFindings = new Map<string, string[]>();
    for (const v of report.violations) {
      if (v.rule.startsWith('schema.')) {
        const key = path.basename(v.file, '.yaml');
        schemaFindings.set(key, [...(schemaFindings.get(key) ?? []), `${v.rule}: ${v.message}`]);
      }
      if (v.rule !== 'security.pod_hardened' && v.rule !== 'security.no_host_namespaces') continue;
      const key = path.basename(v.file, '.yaml');
      gateFindings.set(key, [...(gateFindings.get(key) ?? []), v.message]);
    }

    const serverStarted = Date.now();
    const answers = await pMap(
      cases,
      async (c) => {
        try {
          await kube.create(`/api/v1/namespaces/${c.pod.metadata.namespace}/pods?dryRun=All`, c.pod);
          return { status: 201, message: '' };
        } catch (e) {
          if (!(e instanceof KubeError)) throw e;
          return { status: e.status, message: String((e.body as Obj | undefined)?.message ?? e.message) };
        }
      },
      { concurrency: 8 },
    );

    const serverMs = Date.now() - serverStarted;
    const tally = { admitted: 0, refused: 0, invalid: 0 };
    const invalidCauses = new Map<string, number>();
    const disagreements: string[] = [];
    const seenReasons = new Set<string>();
    for (const [i, c] of cases.entries()) {
      const answer = answers[i]!;
      if (answer.status === 422) {
        tally.invalid += 1;
        // What made it invalid, without the pod's name and values: to keep the corpus mostly valid.
        for (const cause of answer.message.replace(/^.*? is invalid: \[?/s, '').split(/, (?=spec|metadata)/)) {
          const key = cause.replace(/\[\d+\]/g, '[*]').replace(/: Invalid value: .*?: /, ': ').slice(0, 160);
          invalidCauses.set(key, (invalidCauses.get(key) ?? 0) + 1);
        }
        continue;
      }
      if (answer.status !== 201 && answer.status !== 403) throw new Error(`${c.id}: HTTP ${answer.status}: ${answer.message}`);
      const server = answer.status === 201 ? [] : serverReasons(answer.message);
      if (answer.status === 201) tally.admitted += 1;
      else tally.refused += 1;
      for (const reason of server) seenReasons.add(reason);
      if (answer.status === 201 && schemaFindings.has(`p${i}`)) {
        disagreements.push(`${c.id} p${i}: admitted, but the gate finds ${schemaFindings.get(`p${i}`)!.join(' | ')}\n    pod: ${JSON.stringify(c.pod)}`);
      }
      const messages = gateFindings.get(`p${i}`) ?? [];
      const gate = gateReasons(messages);
      if (server.join('|') !== gate.join('|')) {
        disagreements.push(`${c.id} p${i}: server ${JSON.stringify(server)}, gate ${JSON.stringify(gate)}\n    server: ${answer.message}\n    gate: ${messages.join(' | ')}\n    pod: ${JSON.stringify(c.pod.spec)} ${JSON.stringify(c.pod.metadata.annotations ?? {})}`);
      }
    }
    console.log(`pod security: ${cases.length} pods (seed ${SEED}): ${tally.admitted} admitted, ${tally.refused} refused, ${tally.invalid} invalid (not compared); reasons seen: ${[...seenReasons].sort().join(', ')}; ${disagreements.length} disagreements (gate ${gateMs} ms, API server ${serverMs} ms)`);
    const topInvalid = [...invalidCauses].sort((a, b) => b[1] - a[1]).slice(0, 8);
    if (topInvalid.length) console.log(`invalid pods, by cause:\n${topInvalid.map(([cause, n]) => `  ${n} ${cause}`).join('\n')}`);
    expect(disagreements.length, disagreements.slice(0, 30).join('\n')).toBe(0);
    // The corpus is worth its time only if it lands on both sides, on every check it draws from.
    expect(tally.admitted).toBeGreaterThan(cases.length / 10);
    expect(tally.refused).toBeGreaterThan(cases.length / 3);
    expect(tally.invalid).toBeLessThan(cases.length / 3);
    for (const reason of ['allowPrivilegeEscalation != false', 'forbidden sysctls', 'host namespaces', 'hostPort', 'restricted volume types', 'runAsNonRoot != true', 'runAsUser=0', 'seLinuxOptions', 'seccompProfile', 'unrestricted capabilities', 'forbidden AppArmor profile']) {
      expect(seenReasons, `no pod of the corpus was refused for ${reason}`).toContain(reason);
    }
  });
});
