import { App } from 'cdk8s';
import { objectNames } from '../../model/topology.js';
import { deploymentAclUsers } from '../../model/users.js';
import { RedisDeploymentChart } from '../../charts/deployment-chart.js';
import { InputErrors, loadInputs, type Deployment } from '../config/load.js';
import { resolveAllSecrets } from '../synth/synth.js';
import { generator } from '../version.js';
import { LocalCluster, type EnvVar, type RenderedBackup, type RenderedDeployment } from './cluster.js';
import { addressesInUse } from './addresses.js';
import { reclaimAbandonedFolders } from './abandoned.js';
import { restoreInitContainer } from '../../charts/backups.js';
import { backupObjectNames } from '../../model/backup.js';
import { serverPrograms } from './programs.js';
import { ConfirmedWrites } from './confirmed-writes.js';
import { DrillNetwork } from './network.js';
import { runScenario, type DrillContext, type DrillSettings, type ScenarioResult } from './scenario-run.js';
import { continuesFrom, scenarioById, scenariosToRun, type ScenarioId } from './scenarios/index.js';
import { readRecordedRollout, RecordedRolloutError, type RecordedRollout } from './recorded-rollout.js';
import { rolloutReplay } from './rollout-replay.js';

export interface DrillOptions {
  /** Repository root holding clusters/ and deployments/. */
  root: string;
  deployment: string;
  scenarios: readonly ScenarioId[];
  /**
   * First three octets of the loopback addresses the processes bind (127.a.b). With network namespaces
   * the cluster runs on 198.18.b.0/24 instead (RFC 2544's range for network tests), its own bridge.
   */
  subnet: string;
  /** Run members and portals in network namespaces (default: wherever they can be made, as root on Linux). */
  namespaces?: boolean;
  /** Keep the folder (configuration, logs, data) after the run. */
  keep: boolean;
  progress: (message: string) => void;
  /** Changes the rendered deployment before it runs: how a test breaks it on purpose. */
  alter?: (rendered: RenderedDeployment) => RenderedDeployment;
  /** Recorded rollouts (test/engine/recorded/<class>.json) to replay after the scenarios, in this order. */
  rollouts?: readonly string[];
}

export interface DrillReport {
  deployment: string;
  /** The binaries the drill ran: engine, line, and the version the server reported. */
  servers: { engine: string; line: string; version: string };
  settings: Omit<DrillSettings, 'serviceGrants'>;
  scenarios: ScenarioResult[];
  passed: boolean;
  /** The folder kept with --keep. */
  kept?: string;
}

/** The deployment named `name` under `root`, or an input error listing the ones there are. */
export async function findDeployment(root: string, name: string): Promise<Deployment> {
  const inputs = await loadInputs(root);
  const deployment = inputs.deployments.find((d) => d.name === name);
  if (!deployment) {
    const known = inputs.deployments.map((d) => d.name).join(', ') || 'none';
    throw new InputErrors([{ file: `deployments/${name}.yaml`, field: '', message: `no such deployment (deployments here: ${known})` }]);
  }
  return deployment;
}

/** The deployment's member and portal configuration exactly as synth renders it (nothing is written): a local cluster's inputs. */
export async function renderForLocalCluster(root: string, deployment: Deployment): Promise<RenderedDeployment> {
  const { secrets } = await resolveAllSecrets(root, { clusters: [deployment.cluster], deployments: [deployment] }, { writeState: false });
  const chart = new RedisDeploymentChart(new App(), deployment.name, { deployment, generatorVersion: generator.version, secrets: secrets.get(deployment.name)! });
  const objects = chart.toJson() as { kind: string; metadata: { name: string; namespace: string }; data?: Record<string, string> }[];
  const configMap = (name: string) => {
    const found = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
    if (!found?.data) throw new Error(`the rendered deployment has no ConfigMap ${name}`);
    return found.data;
  };
  const names = objectNames(deployment.name);
  const { engine, version } = deployment.spec.redis;
  const programs = serverPrograms(engine, version);
  if (typeof programs === 'string') throw new MissingServers(programs);
  return {
    programs,
    id: { deployment: deployment.name, namespace: deployment.namespace },
    memberFiles: configMap(names.members),
    portalFiles: configMap(names.portal),
    aclUsers: deploymentAclUsers(deployment.spec.access.service),
    ...(deployment.spec.backup ? { backup: renderedBackup(deployment, objects) } : {}),
  };
}

/**
 * The backup ConfigMap and the upload container's environment as the chart rendered them; the
 * restore init container's environment from the same function the chart uses for a declared restore.
 */
function renderedBackup(deployment: Deployment, objects: { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: any }[]): RenderedBackup {
  const names = backupObjectNames(deployment.name);
  const files = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === names.backup)?.data;
  const cronJob = objects.find((o) => o.kind === 'CronJob' && o.metadata.name === names.backup);
  const upload: { env: EnvVar[] } | undefined = cronJob?.spec.jobTemplate.spec.template.spec.containers[0];
  if (!files || !upload) throw new Error(`the rendered deployment has no backup ConfigMap and CronJob ${names.backup}`);
  const backup = deployment.spec.backup!;
  const target = { ...backup.target, prefix: backup.target.prefix ?? deployment.name };
  const id = { deployment: deployment.name, namespace: deployment.namespace, redisVersion: '', generatorVersion: generator.version };
  return {
    files,
    uploadEnv: upload.env,
    restoreEnv: (backupId) => restoreInitContainer({ id, target, prefix: target.prefix, backup: backupId, dataVolume: 'data' }).container.env as EnvVar[],
  };
}

/** The deployment's engine line has no build to run here (not tested, or not built yet). */
export class MissingServers extends Error {}

/** The drill's addresses are taken (another drill on the same subnet, or another program): which, and by whom. */
export class AddressesInUse extends Error {}

/**
 * Runs the deployment on local processes through the selected scenarios. Every process and the
 * temporary folder go away at the end, on failure, and on Ctrl-C.
 */
export async function drill(options: DrillOptions): Promise<DrillReport> {
  const deployment = await findDeployment(options.root, options.deployment);
  const rendered = await renderForLocalCluster(options.root, deployment);
  // Every file checked before anything starts: a bad one is bad input, not a failed drill.
  const read = (options.rollouts ?? []).map((file) => ({ file, recorded: readRecordedRollout(file) }));
  // A replay that moves the members to another build (an upgrade) leaves them there: those run last.
  const movesBuild = (r: RecordedRollout) => r.restarts.some((e) => e.build !== undefined && e.build !== r.from);
  const rollouts = [...read.filter((r) => !movesBuild(r.recorded)), ...read.filter((r) => movesBuild(r.recorded))].map((r) => r.recorded);
  const runs = `${rendered.programs.engine} ${rendered.programs.version}`;
  const foreign = read.find((r) => r.recorded.from !== runs);
  if (foreign) throw new RecordedRolloutError(`${foreign.file}: recorded on ${foreign.recorded.from}, but ${deployment.name} runs ${runs}: replay it on a deployment of that build`);
  const upgrades = read.filter((r) => movesBuild(r.recorded));
  if (upgrades.length > 1) throw new RecordedRolloutError(`${upgrades.map((r) => r.file).join(', ')}: each moves the members to another build; replay one per drill`);
  const settings: DrillSettings = {
    downAfterMilliseconds: deployment.spec.sentinel.downAfterMilliseconds,
    failoverTimeout: deployment.spec.sentinel.failoverTimeout,
    minReplicasToWrite: deployment.spec.redis.minReplicasToWrite,
    serviceGrants: deployment.spec.access.service,
  };
  const namespacesUnavailable = options.namespaces === false ? 'network namespaces not asked for' : DrillNetwork.unavailable();
  const subnet = namespacesUnavailable ? options.subnet : `198.18.${options.subnet.split('.')[2]}`;
  // Their processes first (they may hold the addresses), then their networks.
  const reclaimed = [...reclaimAbandonedFolders(), ...(namespacesUnavailable ? [] : DrillNetwork.reclaimAbandoned())];
  if (reclaimed.length > 0) options.progress(`removed what drills that no longer run left behind: ${reclaimed.join(', ')}`);
  const taken = addressesInUse(subnet, LocalCluster.addresses(subnet), !namespacesUnavailable);
  if (taken) throw new AddressesInUse(taken);
  const cluster = await LocalCluster.create(options.alter ? options.alter(rendered) : rendered, subnet, { namespaces: !namespacesUnavailable });
  const cleanUp = () => cluster.stopNow(options.keep);
  const interrupted = (signal: NodeJS.Signals) => {
    options.progress(`${signal}: stopping every process of the drill`);
    cleanUp();
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  process.once('exit', cleanUp);
  const results: ScenarioResult[] = [];
  try {
    options.progress(
      `starting ${deployment.name} on ${rendered.programs.engine} ${rendered.programs.version}: 3 sentinels, 2 servers, 2 portals on ${subnet}.x, ` +
        `${namespacesUnavailable ? `loopback (partition scenarios skipped: ${namespacesUnavailable})` : 'each in a network namespace'} (folder ${cluster.dir})`,
    );
    await cluster.launch();
    const context: DrillContext = {
      cluster,
      settings,
      confirmedWrites: new ConfirmedWrites(cluster),
      progress: options.progress,
      ...(namespacesUnavailable ? { namespacesUnavailable } : {}),
    };
    const order = scenariosToRun(options.scenarios);
    const total = order.length + rollouts.length;
    for (const [i, id] of order.entries()) {
      // A scenario that continues another starts from what that one left; the rest from a whole cluster.
      if (i > 0 && !continuesFrom(id, order[i - 1]!)) await restore(cluster);
      options.progress(`[${i + 1}/${total}] ${id}`);
      const result = await runScenario(context, scenarioById(id));
      const verdict = result.skipped ? `skipped: ${result.skipped}` : result.passed ? 'passed' : `FAILED: ${result.problems.join('; ')}`;
      options.progress(`[${i + 1}/${total}] ${id}: ${verdict}`);
      results.push(result);
    }
    // Each replay starts from a whole cluster, on the build the one before left (an upgrade's replay last).
    for (const [j, recorded] of rollouts.entries()) {
      const i = order.length + j;
      if (i > 0) await restore(cluster);
      const scenario = rolloutReplay(recorded);
      options.progress(`[${i + 1}/${total}] ${scenario.id}`);
      const result = await runScenario(context, scenario);
      options.progress(`[${i + 1}/${total}] ${scenario.id}: ${result.passed ? 'passed' : `FAILED: ${result.problems.join('; ')}`}`);
      results.push(result);
    }
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    process.off('exit', cleanUp);
    await cluster.stop(options.keep);
  }
  return {
    deployment: deployment.name,
    servers: { engine: rendered.programs.engine, line: rendered.programs.line, version: rendered.programs.version },
    settings: { downAfterMilliseconds: settings.downAfterMilliseconds, failoverTimeout: settings.failoverTimeout, minReplicasToWrite: settings.minReplicasToWrite },
    scenarios: results,
    passed: results.every((r) => r.passed),
    ...(options.keep ? { kept: cluster.dir } : {}),
  };
}

/** Starts whatever a scenario left stopped (through the entrypoints, as Kubernetes would) and waits for a settled cluster. */
async function restore(cluster: LocalCluster): Promise<void> {
  cluster.network?.heal();
  for (const m of cluster.members) {
    if (!cluster.isRunning(m.sentinel)) cluster.start(m, 'sentinel');
    if (m.holdsData && !cluster.isRunning(m.redis)) cluster.start(m, 'redis');
  }
  for (const p of cluster.portals) if (!cluster.isRunning(p.haproxy)) cluster.startPortal(p);
  await cluster.settled(90);
}

/** The report as a table, with what failed and what was seen below it. */
/** The last line of a drill's text report: a skipped scenario counts as passed, but is said apart. */
export function verdictLine(scenarios: ScenarioResult[]): string {
  const failed = scenarios.filter((r) => !r.passed).length;
  const skipped = scenarios.filter((r) => r.skipped).length;
  if (failed) return `${failed} of ${scenarios.length} scenario(s) failed${skipped ? `, ${skipped} skipped` : ''}`;
  if (skipped) return `${scenarios.length - skipped} scenario(s) passed, ${skipped} skipped (see above why)`;
  return `all ${scenarios.length} scenario(s) passed`;
}

export function formatDrillText(report: DrillReport): string {
  const header = ['scenario', 'unavailable s', 'bound s', 'writes', 'confirmed', 'unconfirmed', 'failed', 'lost confirmed', 'lost unconfirmed', 'verdict'];
  const rows = report.scenarios.map((r) => [
    r.id,
    r.unavailableSeconds.toFixed(1),
    r.boundSeconds === 0 ? '-' : String(r.boundSeconds),
    String(r.attempted),
    String(r.confirmed),
    String(r.unconfirmed),
    String(r.failed),
    String(r.lostConfirmed),
    String(r.lostUnconfirmed),
    r.skipped ? 'skip' : r.passed ? 'pass' : 'FAIL',
  ]);
  const out = [
    `drill of ${report.deployment} on ${report.servers.engine} ${report.servers.version} (line ${report.servers.line}; down-after ${report.settings.downAfterMilliseconds} ms, failover-timeout ${report.settings.failoverTimeout} ms, ` +
      `min-replicas-to-write ${report.settings.minReplicasToWrite})`,
    '',
    ...table(header, rows),
    '',
  ];
  const partitions = report.scenarios.filter((r) => r.partition);
  if (partitions.length) {
    const partitionHeader = ['partition', 'portal acked', 'confirmed', 'lost', 'direct acked', 'confirmed', 'lost', 'stale-routed', 'latest s', 'two primaries s', 'after heal s'];
    const partitionRows = partitions.map(({ id, partition: p }) =>
      [id, p!.portal.acknowledged, p!.portal.confirmed, p!.portal.lost, p!.direct.acknowledged, p!.direct.confirmed, p!.direct.lost, p!.staleRouted]
        .map(String)
        .concat([p!.staleRoutedLatestSeconds.toFixed(1), p!.twoPrimariesSeconds.toFixed(1), p!.twoPrimariesAfterHealSeconds.toFixed(1)]),
    );
    out.push(...table(partitionHeader, partitionRows), '');
  }
  const replays = report.scenarios.filter((r) => r.rollout);
  if (replays.length) {
    const replayHeader = ['rollout', 'members stopped, in order', 'primary changes', 'hand-over s', 'unavailable s', 'portal writes', 'direct writes', 'lost confirmed'];
    const replayRows = replays.map(({ rollout: f, ...r }) => [
      f!.class,
      f!.order.join(' > ') || '-',
      String(f!.primaryChanges),
      f!.handOverSeconds.toFixed(1),
      r.unavailableSeconds.toFixed(1),
      String(r.attempted),
      String(f!.direct.attempted),
      String(r.lostConfirmed),
    ]);
    out.push(...table(replayHeader, replayRows), '');
  }
  for (const r of report.scenarios) {
    out.push(`${r.id}: ${r.title}`);
    if (r.skipped) out.push(`  skipped: ${r.skipped}`);
    for (const p of r.problems) out.push(`  FAIL ${p}`);
    for (const n of r.notes) out.push(`  ${n}`);
  }
  out.push('', verdictLine(report.scenarios));
  if (report.kept) out.push(`processes' folder kept in ${report.kept}`);
  return `${out.join('\n')}\n`;
}

/** Rows under a header, the first column left-aligned and the others right-aligned. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
