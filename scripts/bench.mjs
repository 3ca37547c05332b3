#!/usr/bin/env node
// `npm run bench`: times synth (cold and warm) and the gate on synthetic fleets of 10, 100 and 1000
// deployments (10000 with --sizes), and compares the gate with `conftest test` running the same Rego
// rules and with the floor: js-yaml alone parsing the same files on the same cores.
// Not part of `npm test`; it asserts no time bound. Every fleet lives in a temporary folder outside the
// repository; each stage runs in a child process (under /usr/bin/time -v where available, for CPU time
// and peak RSS).
//
//   node scripts/bench.mjs [--sizes 10,100,1000] [--clusters 4] [--skip-conftest] [--keep]
//   node scripts/bench.mjs --fleet-only --sizes 10000   (the inputs of a fleet, to profile by hand)
//
// conftest --combine holds every document at once (2 GB at 1000 deployments): it runs up to
// CONFTEST_MAX_SIZE deployments.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The conftest release compared against, pinned. Built from its Go module into .tools/ (git-ignored). */
const CONFTEST_VERSION = 'v0.71.1';
const CONFTEST_MODULE = 'github.com/open-policy-agent/conftest';
const CONFTEST_MAX_SIZE = 1000;

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'bin', 'redis-gitops.mjs');
const conftestBin = path.join(repo, '.tools', 'conftest', CONFTEST_VERSION, 'conftest');
const gnuTime = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-v', 'true']).status === 0 ? '/usr/bin/time' : null;

const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,100,1000' },
    clusters: { type: 'string', default: '4' },
    'skip-conftest': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'fleet-only': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log('usage: node scripts/bench.mjs [--sizes 10,100,1000] [--clusters 4] [--skip-conftest] [--keep]');
  console.log('       node scripts/bench.mjs --fleet-only [--sizes 10000] [--clusters 4]   writes the fleets\' inputs (clusters/, deployments/), times nothing, prints where: to profile by hand');
  process.exit(0);
}
const sizes = opts.sizes.split(',').map((s) => Number.parseInt(s, 10));
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sizes: expected positive integers, got ${opts.sizes}`);
const clusterCount = Number.parseInt(opts.clusters, 10);
const clusterNames = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'].slice(0, clusterCount);

// ---------------------------------------------------------------------------------------------------
// Synthetic fleet

const memories = ['256Mi', '512Mi', '1Gi', '2Gi', '4Gi'];
const modes = ['aof', 'rdb', 'aof+rdb'];
const evictions = ['noeviction', 'allkeys-lru', 'allkeys-lfu', 'volatile-ttl'];
// The roles a deployment file may grant, from its JSON Schema (written from model/ by `npm run schemas`).
const deploymentSchema = JSON.parse(readFileSync(path.join(repo, 'schemas/deployment.schema.json'), 'utf8'));
const platformRoles = deploymentSchema.properties.access.properties.platform.items.properties.role.enum;
const serviceRoles = deploymentSchema.properties.access.properties.service.items.properties.role.enum;
// Engine lines from the same schema: the engine enum, and the versions it completes (each engine takes some of them).
const engines = deploymentSchema.properties.redis.properties.engine.enum;

function deploymentYaml(i, name) {
  const cluster = clusterNames[i % clusterNames.length];
  const lines = [
    `cluster: ${cluster}`,
    'redis:',
    // Either engine, each on a line it offers: valkey 8.1 / 9.1, redis 7.2 / 8.2 / 8.6.
    ...(i % 2 ? [`  engine: ${engines[1]}`, `  version: "${['8.1', '9.1'][i % 4 === 1 ? 0 : 1]}"`] : [`  engine: ${engines[0]}`, `  version: "${['7.2', '8.2', '8.6'][i % 3]}"`]),
    `  memory: ${memories[i % memories.length]}`,
    `  evictionPolicy: ${evictions[i % evictions.length]}`,
    'persistence:',
    `  size: ${5 + (i % 4) * 5}Gi`,
    `  mode: ${modes[i % modes.length]}`,
    'portal:',
    `  serviceType: ${i % 2 ? 'ClusterIP' : 'LoadBalancer'}`,
    `  hostnames: [${Array.from({ length: i % 3 }, (_, k) => `${name}-${k}.redis.example.com`).join(', ')}]`,
    'access:',
    '  platform:',
    `    - group: ${name}-sre`,
    `      role: ${platformRoles[i % platformRoles.length]}`,
    ...(i % 2 ? ['    - group: platform-admins', '      role: Administrator'] : []),
    '  service:',
    ...Array.from({ length: 1 + (i % 3) }, (_, k) => [`    - user: app-${k}`, `      role: ${serviceRoles[(i + k) % serviceRoles.length]}`]).flat(),
  ];
  return `${lines.join('\n')}\n`;
}

async function makeFleet(size) {
  const root = await mkdtemp(path.join(os.tmpdir(), `redis-gitops-bench-${size}-`));
  await mkdir(path.join(root, 'clusters'));
  await mkdir(path.join(root, 'deployments'));
  await copyFile(path.join(repo, 'clusters', 'example.sealing-cert.TEST-ONLY.pem'), path.join(root, 'clusters', 'sealing-cert.TEST-ONLY.pem'));
  const example = await readFile(path.join(repo, 'clusters', 'example.yaml'), 'utf8');
  for (const name of clusterNames) {
    const text = example.replace(/^(\s*certificate:).*$/m, '$1 clusters/sealing-cert.TEST-ONLY.pem');
    await writeFile(path.join(root, 'clusters', `${name}.yaml`), text);
  }
  const width = String(size).length;
  for (let i = 0; i < size; i++) {
    const name = `svc${String(i).padStart(width, '0')}`;
    await writeFile(path.join(root, 'deployments', `${name}.yaml`), deploymentYaml(i, name));
  }
  return root;
}

// ---------------------------------------------------------------------------------------------------
// Measuring a child process

/** Runs a command; wall time from here, user+sys CPU and peak RSS from GNU time -v when available. */
function measure(cmd, args, { cwd = repo, okCodes = [0] } = {}) {
  const full = gnuTime ? [gnuTime, ['-v', cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(full[0], full[1], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const stdout = Buffer.concat(out).toString();
      let stderr = Buffer.concat(err).toString();
      let cpuMs = null;
      let rssMb = null;
      if (gnuTime) {
        const at = stderr.lastIndexOf('\tCommand being timed:');
        const report = at >= 0 ? stderr.slice(at) : '';
        stderr = at >= 0 ? stderr.slice(0, at) : stderr;
        const num = (label) => Number((report.match(new RegExp(`${label}: ([0-9.]+)`)) ?? [])[1]);
        cpuMs = (num('User time \\(seconds\\)') + num('System time \\(seconds\\)')) * 1000;
        rssMb = num('Maximum resident set size \\(kbytes\\)') / 1024;
        const status = report.match(/Exit status: (\d+)/);
        if (status) code = Number(status[1]);
      }
      if (!okCodes.includes(code)) {
        reject(new Error(`${cmd} ${args.join(' ')} exited ${code}\n${stderr.slice(-4000)}\n${stdout.slice(-2000)}`));
      } else {
        resolve({ wallMs, cpuMs, rssMb, code, stdout, stderr });
      }
    });
  });
}

/** YAML documents (objects) under a folder: non-empty documents of every .yaml file. */
async function countObjects(dir) {
  let objects = 0;
  let files = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !/\.ya?ml$/.test(e.name)) continue;
    files++;
    const text = await readFile(path.join(e.parentPath, e.name), 'utf8');
    objects += text.split(/^---[ \t]*$/m).filter((doc) => doc.replace(/^\s*#.*$/gm, '').trim()).length;
  }
  return { objects, files };
}

// ---------------------------------------------------------------------------------------------------
// conftest: build, and a wrapper policy that feeds the rules the same grouped input as the gate

async function ensureConftest() {
  if (existsSync(conftestBin)) return { ok: true };
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.status !== 0) return { ok: false, reason: 'go is not installed, so conftest cannot be built' };
  console.log(`building conftest ${CONFTEST_VERSION} into ${path.relative(repo, conftestBin)} (once) ...`);
  const dl = spawnSync('go', ['mod', 'download', '-json', `${CONFTEST_MODULE}@${CONFTEST_VERSION}`], { encoding: 'utf8', timeout: 600_000 });
  let dir;
  try {
    dir = JSON.parse(dl.stdout).Dir;
  } catch {
    /* reported below */
  }
  if (dl.status !== 0 || !dir) return { ok: false, reason: `go mod download failed: ${(dl.stderr || dl.stdout).trim().slice(-500)}` };
  await mkdir(path.dirname(conftestBin), { recursive: true });
  const build = spawnSync('go', ['build', '-o', conftestBin, '.'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 900_000,
    env: { ...process.env, GOWORK: 'off', GOFLAGS: '-mod=mod' },
  });
  if (build.status !== 0) return { ok: false, reason: `go build failed: ${build.stderr.trim().slice(-500)}` };
  return { ok: true };
}

// conftest --combine gives input = [{path, contents}] for all files at once. This wrapper rebuilds
// the gate's groups (one per namespace per cluster folder, plus the cluster-scoped objects of each
// cluster folder as a group of their own) and evaluates every rule package under each group with
// `with input as`, so the rules see exactly the input shape they were written for.
const WRAPPER = String.raw`package main

import rego.v1

_cluster_kinds := {"APIService", "ClusterRole", "ClusterRoleBinding", "CSIDriver", "CustomResourceDefinition",
	"IngressClass", "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume", "PriorityClass",
	"RuntimeClass", "StorageClass", "ValidatingWebhookConfiguration", "VolumeSnapshotClass"}

_docs(contents) := contents if is_array(contents)
else := [contents]

# Entries as the gate makes them, keyed by [cluster folder (first path segment), namespace]; the
# cluster-scoped objects (Namespace excepted, it joins its own namespace) under [folder, null].
_entries := [{"set": set, "key": [set, _ns(obj)], "cluster": obj.kind in _cluster_kinds, "entry": {"file": f.path, "object": obj}} |
	some f in input
	some obj in _docs(f.contents)
	is_object(obj)
	set := split(trim_prefix(f.path, "./"), "/")[0]
]

_ns(obj) := obj.metadata.name if obj.kind == "Namespace"
else := null if _cluster_kinds[obj.kind]
else := object.get(obj, ["metadata", "namespace"], "default")

_keys := {e.key | some e in _entries}

_cluster_of[set] := [e.entry | some e in _entries; e.set == set; e.cluster] if some set in {e.set | some e in _entries}

# A namespace sees no Namespace object among its cluster_resources (its own is among its resources).
_cluster_resources(key) := _cluster_of[key[0]] if key[1] == null
else := [e | some e in _cluster_of[key[0]]; e.object.kind != "Namespace"]

_inputs contains {"namespace": key[1], "resources": res, "cluster_resources": _cluster_resources(key)} if {
	some key in _keys
	res := [e.entry | some e in _entries; e.key == key]
}

deny contains msg if {
	some group in _inputs
	rules := data.rules with input as group
	some area, name
	some v in rules[area][name].violation
	msg := sprintf("%s.%s: %s: %s/%s: %s", [area, name, v.file, v.resource.kind, v.resource.name, v.msg])
}
`;

// The data the gate gives the rules (the generator's platform roles, ...), from the same TypeScript
// source, so that conftest judges as the gate does.
async function conftestDataDir(parent) {
  const dir = path.join(parent, 'conftest-data');
  await mkdir(dir, { recursive: true });
  const { register } = await import('tsx/esm/api');
  register();
  const { policyData } = await import('../src/gate/policy.ts');
  await writeFile(path.join(dir, 'data.json'), JSON.stringify(policyData()));
  return dir;
}

async function conftestPolicyDir(parent) {
  const dir = path.join(parent, 'conftest-policy');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'wrapper.rego'), WRAPPER);
  for (const sub of ['rules', 'lib']) {
    await cp(path.join(repo, 'policies', sub), path.join(dir, sub), {
      recursive: true,
      filter: (src) => !src.endsWith('_test.rego'),
    });
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------------
// Output

const fmt = (n, digits = 0) => (n === null || Number.isNaN(n) ? 'n/a' : n.toFixed(digits));
const rows = [];

function table(list) {
  const header = ['size', 'stage', 'wall s', 'cpu s', 'cpu/wall', 'peak RSS MB', 'objects', 'objects/s', 'note'];
  const body = list.map((r) => [
    String(r.size),
    r.stage,
    fmt(r.wallMs / 1000, 2),
    fmt(r.cpuMs === null ? null : r.cpuMs / 1000, 2),
    fmt(r.cpuMs === null ? null : r.cpuMs / r.wallMs, 2),
    fmt(r.rssMb, 0),
    String(r.objects),
    fmt(r.objects / (r.wallMs / 1000), 0),
    r.note ?? '',
  ]);
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...body.map((b) => `| ${b.join(' | ')} |`)].join('\n');
}

function machine() {
  const cpuinfo = existsSync('/proc/cpuinfo') ? spawnSync('cat', ['/proc/cpuinfo'], { encoding: 'utf8' }).stdout : '';
  const model = (cpuinfo.match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return {
    nproc: spawnSync('nproc', { encoding: 'utf8' }).stdout?.trim() || String(os.availableParallelism()),
    cpu: model,
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    timer: gnuTime ? 'GNU time -v (user+sys, max RSS of the child)' : 'wall time only (no /usr/bin/time)',
  };
}

// ---------------------------------------------------------------------------------------------------

if (opts['fleet-only']) {
  for (const size of sizes) console.log(await makeFleet(size));
  process.exit(0);
}

const benchStart = Date.now();
const m = machine();
console.log(`machine: ${m.nproc} CPU(s), ${m.cpu}, ${m.memGiB} GiB, Node ${m.node}, ${m.os}; ${m.timer}`);

let conftest = { ok: false, reason: '--skip-conftest given' };
if (!opts['skip-conftest']) {
  try {
    conftest = await ensureConftest();
  } catch (error) {
    conftest = { ok: false, reason: error.message };
  }
  if (!conftest.ok) console.log(`conftest skipped: ${conftest.reason}`);
  else console.log(`conftest ${CONFTEST_VERSION}: ${path.relative(repo, conftestBin)}`);
}

const conftestRatios = [];
// Fleets are deleted once every size is measured, not between sizes: on ext4, files created soon
// after many were deleted cost ~10x the system time (the kernel skips recently deleted inodes,
// reading their tables), which a cold synth right after the smaller fleet's deletion paid.
const made = [];
try {
  for (const size of sizes) {
    const root = await makeFleet(size);
    made.push(root);
    const dist = path.join(root, 'dist');
    console.log(`\n== ${size} deployment(s) over ${clusterNames.length} clusters in ${root} (load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})`);
    try {
      const synthStages = {
        'synth (cold)': { args: [], note: 'secrets generated, every deployment rendered' },
        'synth (full)': { args: ['--full'], note: 'state reused, every deployment rendered' },
        'synth (warm)': { args: [], note: 'nothing changed: no deployment rendered' },
      };
      for (const [stage, { args, note }] of Object.entries(synthStages)) {
        const r = await measure(process.execPath, [cli, 'synth', '--root', root, '--out', dist, ...args]);
        const { objects, files } = await countObjects(dist);
        const first = r.stdout.split('\n')[0];
        rows.push({ size, stage, ...r, objects, files, note });
        console.log(`${stage}: ${fmt(r.wallMs / 1000, 2)} s  ${first}`);
      }
      const { objects } = await countObjects(dist);
      // The floor: js-yaml alone parsing the same files on the same cores.
      const floor = await measure(process.execPath, [path.join(repo, 'scripts', 'yaml-floor.mjs'), dist]);
      const parsed = JSON.parse(floor.stdout);
      rows.push({ size, stage: 'yaml parse floor', ...floor, objects, note: `js-yaml alone, ${parsed.threads} threads, ${(parsed.bytes / 1e6).toFixed(0)} MB of YAML` });
      console.log(`yaml parse floor: ${fmt(floor.wallMs / 1000, 2)} s  ${parsed.files} files, ${(parsed.bytes / 1e6).toFixed(1)} MB, ${parsed.documents} documents`);
      // The gate without its verdict cache (what the first round measured), then with it: a first run
      // (nothing of this fleet cached; it writes the cache) and a run over the unchanged fleet.
      const gateStages = {
        gate: { args: ['--no-cache'], note: 'no verdict cache' },
        'gate (cache cold)': { args: [], note: 'verdicts computed and cached' },
        'gate (unchanged, cached)': { args: [], note: 'every verdict from the cache' },
        // The first gate of the next day: verdicts of namespaces without waivers hold (2026-12-06).
        'gate (unchanged, next day)': { args: ['--today', new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)], note: 'the same, judged as tomorrow' },
      };
      let gate;
      let summary;
      const stage = 'gate';
      for (const [name, { args, note }] of Object.entries(gateStages)) {
        const r = await measure(process.execPath, [cli, 'gate', dist, '--format', 'json', ...args], { okCodes: [0, 1] });
        const s = JSON.parse(r.stdout).summary;
        const row = { size, stage: name, ...r, objects, note: `${note}; ${s.errors} errors, ${s.warnings} warnings, ${s.resources} resources` };
        rows.push(row);
        if (name === stage) [gate, summary] = [r, s];
        console.log(`${name}: ${fmt(r.wallMs / 1000, 2)} s  exit ${r.code}, ${row.note}${name === stage ? `; gate / floor = ${(r.wallMs / floor.wallMs).toFixed(2)}` : ''}`);
      }

      // A commit that changes one deployment: synth (incremental) then the gate of what changed.
      // No automatic gc: committing 32 000 new objects at once would start one in the background,
      // competing with the timed runs for the cores (a real commit adds a handful).
      const git = (...args) =>
        spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@invalid', '-c', 'gc.auto=0', '-c', 'maintenance.auto=false', ...args], { cwd: root, stdio: 'ignore' });
      git('init', '-q');
      git('add', '.');
      git('commit', '-qm', 'fleet');
      const changedFile = path.join(root, 'deployments', (await readdir(path.join(root, 'deployments'))).sort()[0]);
      await writeFile(changedFile, (await readFile(changedFile, 'utf8')).replace(/^(\s*size: )\S+$/m, '$1123Gi'));
      const oneSynth = await measure(process.execPath, [cli, 'synth', '--root', root, '--out', dist]);
      rows.push({ size, stage: 'one changed: synth', ...oneSynth, objects, note: oneSynth.stdout.split('\n')[0].replace(/^.*?, (\d+ rendered).*?: (.*)$/, '$1; $2') });
      const oneGate = await measure(process.execPath, [cli, 'gate', dist, '--changed', '--format', 'json'], { okCodes: [0, 1] });
      const oneSummary = JSON.parse(oneGate.stdout).summary;
      rows.push({ size, stage: 'one changed: gate --changed', ...oneGate, objects: oneSummary.resources, note: `${oneSummary.errors} errors, ${oneSummary.resources} resources gated` });
      const both = oneSynth.wallMs + oneGate.wallMs;
      rows.push({ size, stage: 'one changed: synth + gate', wallMs: both, cpuMs: oneSynth.cpuMs === null ? null : oneSynth.cpuMs + oneGate.cpuMs, rssMb: null, objects: oneSummary.resources, note: 'sum of the two' });
      console.log(`one changed: synth ${fmt(oneSynth.wallMs / 1000, 2)} s + gate --changed ${fmt(oneGate.wallMs / 1000, 2)} s = ${fmt(both / 1000, 2)} s`);
      // The same change, git set up for a large work tree (README, "Large fleets"): its untracked
      // cache, and where watchman is installed, its file system monitor.
      const tuned = tuneGit(root, git);
      if (tuned) {
        // What a user waits for with git set up so: the change, synth, then gate --changed at once. With
        // watchman watching, synth asks it what changed instead of a stat of every input (README, "Large
        // fleets"): the first synth after the watch lists the files once and keeps watchman's clock
        // (untimed), the next ones, after one more change each, are timed. Before each synth, watchman is
        // let finish with what came before (untimed), as it has when a user edits a file seconds after
        // a synth; the gate runs right after the synth, as `synth && gate --changed` runs it, so git
        // sees what synth's writes tell its file system monitor (no `git status` in between refreshes
        // its index). With watchman, the first gate asks git and keeps what it found with watchman's
        // clock (src/gate/changed-record.ts); the timed ones take that and what changed since.
        // One sample of a sub-second figure is mostly noise: three timed rounds, the one of the median
        // sum reported.
        const rounds = [];
        for (const grown of tuned.includes('watchman') ? ['124Gi', '125Gi', '126Gi', '127Gi'] : ['124Gi', '125Gi', '126Gi']) {
          await writeFile(changedFile, (await readFile(changedFile, 'utf8')).replace(/^(\s*size: )\S+$/m, `$1${grown}`));
          if (tuned.includes('watchman')) spawnSync('watchman', ['-j'], { input: JSON.stringify(['clock', root, { sync_timeout: 600_000 }]), stdio: ['pipe', 'ignore', 'ignore'] });
          const synthRun = await measure(process.execPath, [cli, 'synth', '--root', root, '--out', dist]);
          const gateRun = await measure(process.execPath, [cli, 'gate', dist, '--changed', '--format', 'json'], { okCodes: [0, 1] });
          rounds.push({ synthRun, gateRun });
        }
        // With watchman, the first round lists the files once and keeps the gate's first record: untimed.
        const timed = tuned.includes('watchman') ? rounds.slice(1) : rounds;
        timed.sort((a, b) => a.synthRun.wallMs + a.gateRun.wallMs - (b.synthRun.wallMs + b.gateRun.wallMs));
        const { synthRun: tunedSynth, gateRun: r } = timed[Math.floor(timed.length / 2)];
        const s = JSON.parse(r.stdout).summary;
        rows.push({ size, stage: 'one changed: gate --changed, git tuned', ...r, objects: s.resources, note: `${tuned}; ${s.errors} errors, ${s.resources} resources gated` });
        if (tuned.includes('watchman')) rows.push({ size, stage: 'one changed: synth, watchman', ...tunedSynth, objects, note: tunedSynth.stdout.split('\n')[0].replace(/^.*?, (\d+ rendered).*?: (.*)$/, '$1; $2') });
        const sum = tunedSynth.wallMs + r.wallMs;
        rows.push({ size, stage: 'one changed: synth + gate, git tuned', wallMs: sum, cpuMs: tunedSynth.cpuMs === null ? null : tunedSynth.cpuMs + r.cpuMs, rssMb: null, objects: s.resources, note: 'sum of the two (the round of the median sum of three)' });
        console.log(`one changed, git tuned (${tuned}): synth ${fmt(tunedSynth.wallMs / 1000, 2)} s, gate --changed ${fmt(r.wallMs / 1000, 2)} s, together ${fmt(sum / 1000, 2)} s`);
        spawnSync('watchman', ['watch-del', root], { stdio: 'ignore' });
      }

      if (conftest.ok && size > CONFTEST_MAX_SIZE) {
        console.log(`conftest skipped at ${size}: over ${CONFTEST_MAX_SIZE} deployments (--combine holds every document at once: 2 GB at 1000)`);
      } else if (conftest.ok) {
        const policy = await conftestPolicyDir(root);
        const data = await conftestDataDir(root);
        // Run from inside dist/ so that paths start with the cluster folder; only the YAML manifests.
        const args = ['test', '--combine', '--no-color', '--policy', policy, '--data', data, '--namespace', 'main', '--parser', 'yaml',
          '--ignore', '\\.(json|md|crt)$', '.'];
        try {
          const r = await measure(conftestBin, args, { cwd: dist, okCodes: [0, 1] });
          const failures = (r.stdout.match(/^FAIL /gm) ?? []).length;
          rows.push({ size, stage: `conftest ${CONFTEST_VERSION}`, ...r, objects, note: `exit ${r.code}, ${failures} failures (same rules, --combine + wrapper)` });
          const ratio = gate.wallMs / r.wallMs;
          conftestRatios.push({ size, stage, ratio, gateMs: gate.wallMs, conftestMs: r.wallMs, failures, gateErrors: summary.errors + summary.warnings });
          console.log(`conftest: ${fmt(r.wallMs / 1000, 2)} s  exit ${r.code}, ${failures} failures; gate/conftest = ${ratio.toFixed(2)}`);
          if (failures !== summary.errors + summary.warnings) {
            console.log(`  note: conftest reports ${failures} violations, the gate ${summary.errors + summary.warnings} (the gate also checks Kubernetes schemas)`);
          }
        } catch (error) {
          console.log(`conftest failed at size ${size}: ${error.message.split('\n').slice(0, 6).join(' | ')}`);
          conftest = { ok: false, reason: `conftest failed: ${error.message.split('\n')[0]}` };
        }
      }
    } finally {
      if (opts.keep) console.log(`kept ${root}`);
    }
  }
  // One namespace of many objects: the example's orders deployment copied under other names into its
  // one namespace. The gate's time grew with the square of a namespace's objects until 2026-12-05
  // (BENCHMARKS.md): it should double with them.
  console.log('');
  const crowded = [];
  for (const copies of [32, 64]) {
    const dir = await crowdedNamespace(copies);
    made.push(dir);
    const r = await measure(process.execPath, [cli, 'gate', dir, '--no-cache', '--format', 'json'], { okCodes: [0, 1] });
    const { resources } = JSON.parse(r.stdout).summary;
    crowded.push(r);
    console.log(`gate, one namespace of ${resources} objects (orders x ${copies}): ${fmt(r.wallMs / 1000, 2)} s, CPU ${fmt(r.cpuMs / 1000, 2)} s, peak RSS ${fmt(r.rssMb)} MB`);
  }
  console.log(`  growth: time(x64)/time(x32) = ${(crowded[1].wallMs / crowded[0].wallMs).toFixed(2)} (2x the objects)`);
} finally {
  if (!opts.keep) for (const root of made) await rm(root, { recursive: true, force: true });
}

/**
 * A folder holding the example's orders deployment (dist/example/orders) `copies` times in its one
 * namespace, each copy's names changed (orders -> o<i>rders), with the cluster-scoped objects once.
 */
async function crowdedNamespace(copies) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `redis-gitops-bench-namespace-${copies}-`));
  const example = path.join(repo, 'dist', 'example');
  for (const [sub, times] of [['orders', copies], ['_cluster', 1]]) {
    for (const file of (await readdir(path.join(example, sub))).filter((f) => f.endsWith('.yaml'))) {
      const text = await readFile(path.join(example, sub, file), 'utf8');
      for (let i = 0; i < times; i++) {
        const renamed = times === 1 ? text : text.replaceAll('orders', `o${i}rders`).replaceAll(`redis-o${i}rders`, 'redis-orders');
        await writeFile(path.join(dir, `${sub}-${i}-${file}`), renamed);
      }
    }
  }
  return dir;
}

/**
 * Sets the repository at `root` up as the README's "Large fleets" says: feature.manyFiles (the
 * untracked cache, index v4) and, when watchman runs here, git's watchman hook as core.fsmonitor.
 * Runs `git status` until both are filled in (the first run after each setting rebuilds them), untimed.
 * Returns what was set, or undefined when git could not be set up.
 */
function tuneGit(root, git) {
  if (git('config', 'feature.manyFiles', 'true').status !== 0) return undefined;
  let what = 'feature.manyFiles';
  const sample = path.join(spawnSync('git', ['--exec-path'], { encoding: 'utf8' }).stdout.trim(), '..', '..', 'share', 'git-core', 'templates', 'hooks', 'fsmonitor-watchman.sample');
  if (existsSync(sample) && spawnSync('watchman', ['watch-project', root], { stdio: 'ignore' }).status === 0) {
    const hook = path.join(root, '.git', 'hooks', 'fsmonitor-watchman');
    spawnSync('cp', [sample, hook]);
    git('config', 'core.fsmonitor', hook);
    what += ' + core.fsmonitor (watchman)';
  }
  for (let i = 0; i < 3; i++) git('status');
  return what;
}

console.log('');
for (const stage of [...new Set(rows.map((r) => r.stage))]) {
  console.log(`-- ${stage}`);
  console.log(table(rows.filter((r) => r.stage === stage)));
}
const growth = [];
const at = (size, stage) => rows.find((r) => r.size === size && r.stage === stage);
const growthStages = ['synth (cold)', 'synth (full)', 'synth (warm)', 'yaml parse floor', 'gate', 'gate (cache cold)', 'gate (unchanged, cached)', 'gate (unchanged, next day)', `conftest ${CONFTEST_VERSION}`, 'one changed: synth + gate', 'one changed: synth + gate, git tuned'];
for (const [small, large] of [[100, 1000], [1000, 10000]]) {
  for (const stage of growthStages) {
    const [a, b] = [at(small, stage), at(large, stage)];
    if (a && b) growth.push(`${stage}: time(${large})/time(${small}) = ${(b.wallMs / a.wallMs).toFixed(2)} (10x the deployments)`);
  }
}
console.log('\ngrowth:');
console.log(growth.length ? growth.map((g) => `  ${g}`).join('\n') : '  (needs sizes 100 and 1000, or 1000 and 10000)');
console.log('\ngate / yaml parse floor (wall time):');
for (const size of sizes) {
  const [g, f] = [at(size, 'gate'), at(size, 'yaml parse floor')];
  if (g && f) console.log(`  ${size}: ${(g.wallMs / f.wallMs).toFixed(2)} (gate ${fmt(g.wallMs / 1000, 2)} s, floor ${fmt(f.wallMs / 1000, 2)} s)`);
}
console.log('\ngate vs conftest (wall time, gate / conftest):');
if (conftestRatios.length) {
  for (const c of conftestRatios) console.log(`  ${c.size}: ${c.ratio.toFixed(2)} (${c.stage} ${fmt(c.gateMs / 1000, 2)} s, conftest ${fmt(c.conftestMs / 1000, 2)} s)`);
} else {
  console.log(`  skipped: ${conftest.reason}`);
}
console.log(`\nbench took ${((Date.now() - benchStart) / 1000).toFixed(0)} s`);
