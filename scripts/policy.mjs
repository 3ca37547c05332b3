#!/usr/bin/env node
// The policy toolchain: builds `opa` from its Go module at the version pinned in package.json
// (config.opaVersion) into the git-ignored .tools/opa/<version>/, then
//   build         compiles policies/ into policies/build/policy.wasm and rules.json (both committed)
//   check-fresh   fails when the committed policies/build/ differs from what the sources compile to
//   test          opa fmt --list, opa check --strict, opa test --coverage
//   capabilities  rewrites policies/capabilities.json: the builtins the wasm target can really run
// Synth and the gate need Node only; this script is for whoever changes the policies, and for CI.
// Node builtins only. opa always runs from the project root on relative paths: the wasm embeds the
// file names it was compiled from (for error locations), so an absolute path would make the bytes
// depend on where the checkout lives.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const OPA_MODULE = 'github.com/open-policy-agent/opa';
const ENTRYPOINT = 'gate/violations';
// What the gate computes once per distinct ConfigMap text and hands back as data (lib/memo.rego).
const MEMO_ENTRYPOINT = 'memo/facts';
const POLICIES = 'policies'; // relative to root, see above
const BUILD_DIR = 'policies/build';
const CAPABILITIES = 'policies/capabilities.json';
const BUILD_FILES = ['policy.wasm', 'rules.json'];
// Files under policies/ that are not policy sources (opa would load .json and .yaml files as data).
const NOT_SOURCES = ['--ignore', 'build', '--ignore', 'capabilities.json', '--ignore', 'samples'];
const SDK_BUILTINS = 'node_modules/@open-policy-agent/opa-wasm/src/builtins/index.js';

class Failure extends Error {}
const fail = (message) => {
  throw new Failure(message);
};
const log = (message) => console.log(`policy: ${message}`);
const rel = (file) => path.relative(root, file) || '.';

function opaVersion() {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const version = pkg.config?.opaVersion;
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+$/.test(version)) {
    fail('package.json needs "config": {"opaVersion": "<major.minor.patch>"}, the one place the OPA version is pinned');
  }
  return version;
}

/** Runs a program; returns {status, stdout, stderr}. Fails when it cannot be started. */
function run(program, args, options = {}) {
  const result = spawnSync(program, args, { cwd: root, encoding: 'utf8', maxBuffer: 256 << 20, ...options });
  if (result.error) fail(`cannot run ${program}: ${result.error.message}`);
  return result;
}

/** The pinned opa, built from its Go module the first time (Go's module and build caches make repeats fast). */
function ensureOpa() {
  const version = opaVersion();
  const dir = path.join(root, '.tools', 'opa', version);
  const bin = path.join(dir, 'opa');
  if (!existsSync(bin)) {
    const go = spawnSync('go', ['version'], { encoding: 'utf8' });
    if (go.error) fail(`Go is needed to build opa v${version} (https://go.dev/dl/); synth and the gate need only Node`);
    log(`building opa v${version} from its Go module (first time only)...`);
    const started = Date.now();
    mkdirSync(path.dirname(dir), { recursive: true });
    // Installed into a scratch folder and renamed into place, so an interrupted build leaves no half binary.
    const scratch = mkdtempSync(path.join(path.dirname(dir), `.${version}-`));
    try {
      const install = run('go', ['install', `${OPA_MODULE}@v${version}`], { env: { ...process.env, GOBIN: scratch }, stdio: 'inherit' });
      if (install.status !== 0) fail(`go install ${OPA_MODULE}@v${version} failed (exit ${install.status})`);
      mkdirSync(dir, { recursive: true });
      renameSync(path.join(scratch, 'opa'), bin);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    log(`built ${rel(bin)} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
  const reported = run(bin, ['version']).stdout.match(/^Version: (\S+)$/m)?.[1];
  if (reported !== version) fail(`${rel(bin)} reports version ${reported ?? '(none)'}, not ${version}: delete ${rel(dir)} and run again`);
  return bin;
}

/** Runs opa from the project root; fails with its output unless it exits 0 (or `okStatuses` allows). */
function opa(args, { okStatuses = [0], quiet = false } = {}) {
  const result = run(ensureOpa(), args);
  if (!okStatuses.includes(result.status)) {
    fail(`opa ${args.join(' ')} failed (exit ${result.status}):\n${`${result.stdout}${result.stderr}`.trim()}`);
  }
  if (!quiet && result.stderr.trim()) process.stderr.write(result.stderr);
  return result;
}

// ---------------------------------------------------------------------------------------------
// build

/** The content of one file of a .tar.gz (ustar/GNU); undefined when absent. */
function readTarGzEntry(archive, wanted) {
  const tar = gunzipSync(archive);
  const text = (from, length) => tar.toString('utf8', from, from + length).replace(/\0.*$/s, '');
  let longName;
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = Number.parseInt(text(offset + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156]);
    const prefix = text(offset + 257, 6).startsWith('ustar') ? text(offset + 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${text(offset, 100)}` : text(offset, 100));
    const body = tar.subarray(offset + 512, offset + 512 + size);
    longName = type === 'L' ? body.toString('utf8').replace(/\0.*$/s, '') : undefined;
    if ((type === '0' || type === '\0') && name.replace(/^\.?\//, '') === wanted) return Buffer.from(body);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

/**
 * Rule id → {title, description, severity, remediation} from the package METADATA of every rule
 * package in the bundle (so exactly the packages compiled into the wasm).
 */
function ruleCatalogue(bundle) {
  const inspected = JSON.parse(opa(['inspect', '-a', '--format', 'json', bundle]).stdout);
  const problems = [];
  const packages = new Map(); // id -> file
  for (const [namespace, files] of Object.entries(inspected.namespaces ?? {})) {
    if (!namespace.startsWith('data.rules.') && namespace !== 'data.rules') continue;
    const match = /^data\.rules\.([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$/.exec(namespace);
    const file = files.map((f) => f.replace(/^\//, '')).join(', ');
    if (!match) {
      problems.push(`${file}: package ${namespace.replace(/^data\./, '')} is not rules.<area>.<name> (the gate only sees those)`);
      continue;
    }
    const id = `${match[1]}.${match[2]}`;
    const expected = `policies/rules/${match[1]}/${match[2]}.rego`;
    if (file !== expected) problems.push(`${file}: package rules.${id} must live alone in ${expected}`);
    packages.set(id, file);
  }
  const rules = {};
  for (const entry of inspected.annotations ?? []) {
    const a = entry.annotations ?? {};
    const pkg = (entry.path ?? []).map((p) => p.value).join('.');
    const id = pkg.replace(/^data\.rules\./, '');
    if (a.scope !== 'package' || !packages.has(id)) continue;
    const custom = a.custom ?? {};
    const missing = [
      typeof a.title === 'string' && a.title.trim() ? null : 'title',
      typeof a.description === 'string' && a.description.trim() ? null : 'description',
      ['error', 'warning'].includes(custom.severity) ? null : 'custom.severity (error|warning)',
      typeof custom.remediation === 'string' && custom.remediation.trim() ? null : 'custom.remediation',
    ].filter(Boolean);
    if (missing.length) {
      problems.push(`${packages.get(id)}: the package METADATA lacks ${missing.join(', ')}`);
      continue;
    }
    rules[id] = { title: a.title.trim(), description: a.description.trim(), severity: custom.severity, remediation: custom.remediation.trim() };
  }
  for (const [id, file] of packages) {
    if (!rules[id] && !problems.some((p) => p.startsWith(`${file}:`))) {
      problems.push(`${file}: no package-scope METADATA block (title, description, custom.severity, custom.remediation)`);
    }
  }
  if (problems.length) fail(`rule metadata:\n  ${problems.join('\n  ')}`);
  if (!Object.keys(rules).length) fail('no rule packages (policies/rules/<area>/<name>.rego) were compiled');
  return Object.fromEntries(Object.keys(rules).sort().map((id) => [id, rules[id]]));
}

/** Compiles the policies; returns {"policy.wasm": Buffer, "rules.json": Buffer}. */
function compile() {
  if (!existsSync(path.join(root, CAPABILITIES))) fail(`${CAPABILITIES} is missing: run node scripts/policy.mjs capabilities`);
  const tmp = mkdtempSync(path.join(tmpdir(), 'redis-gitops-policy-'));
  try {
    const bundle = path.join(tmp, 'bundle.tar.gz');
    opa(['build', '-t', 'wasm', '-e', ENTRYPOINT, '-e', MEMO_ENTRYPOINT, '--capabilities', CAPABILITIES, '--ignore', '*_test.rego', ...NOT_SOURCES, '-o', bundle, POLICIES]);
    const wasm = readTarGzEntry(readFileSync(bundle), 'policy.wasm');
    if (!wasm) fail('opa build wrote no /policy.wasm into its bundle');
    const rules = Buffer.from(`${JSON.stringify(ruleCatalogue(bundle), null, 2)}\n`);
    return { 'policy.wasm': wasm, 'rules.json': rules };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function build() {
  const first = compile();
  // A second compile must give the same bytes, or check-fresh would fail at random.
  const second = compile();
  for (const file of BUILD_FILES) {
    if (!first[file].equals(second[file])) fail(`two builds gave different ${file}: the build is not deterministic, do not commit it`);
  }
  mkdirSync(path.join(root, BUILD_DIR), { recursive: true });
  for (const file of BUILD_FILES) writeFileSync(path.join(root, BUILD_DIR, file), first[file]);
  const rules = Object.keys(JSON.parse(first['rules.json'].toString()));
  log(`wrote ${BUILD_DIR}/policy.wasm (${first['policy.wasm'].length} bytes, identical over two builds) and ${BUILD_DIR}/rules.json (${rules.length} rules: ${rules.join(', ')})`);
}

function checkFresh() {
  const fresh = compile();
  const stale = BUILD_FILES.filter((file) => {
    const committed = path.join(root, BUILD_DIR, file);
    return !existsSync(committed) || !readFileSync(committed).equals(fresh[file]);
  });
  if (stale.length) {
    fail(stale.map((file) => `${BUILD_DIR}/${file} is stale: run npm run policy:build and commit it`).join('\n'));
  }
  log(`${BUILD_DIR}/policy.wasm and rules.json match the sources`);
}

// ---------------------------------------------------------------------------------------------
// test

/** policies/rules/<area>/<name>.rego files without their <name>_test.rego. */
function untestedRules() {
  const rulesDir = path.join(root, POLICIES, 'rules');
  if (!existsSync(rulesDir)) return [];
  const files = readdirSync(rulesDir, { recursive: true }).map(String).filter((f) => f.endsWith('.rego'));
  const have = new Set(files);
  return files.filter((f) => !f.endsWith('_test.rego') && !have.has(f.replace(/\.rego$/, '_test.rego'))).map((f) => `policies/rules/${f}`);
}

function test() {
  const unformatted = opa(['fmt', '--list', POLICIES]).stdout.trim();
  if (unformatted) fail(`not formatted (run .tools/opa/${opaVersion()}/opa fmt -w policies):\n  ${unformatted.split('\n').join('\n  ')}`);
  log('opa fmt --list: every file is formatted');

  const untested = untestedRules();
  if (untested.length) fail(`rules without a _test.rego:\n  ${untested.join('\n  ')}`);

  opa(['check', '--strict', '--capabilities', CAPABILITIES, ...NOT_SOURCES, POLICIES]);
  log(`opa check --strict --capabilities ${CAPABILITIES}: no errors`);

  const tested = opa(['test', '--format', 'json', '--fail-on-empty', ...NOT_SOURCES, POLICIES], { okStatuses: [0, 1, 2] });
  let results;
  try {
    results = JSON.parse(tested.stdout);
  } catch {
    fail(`opa test did not run (exit ${tested.status}):\n${`${tested.stdout}${tested.stderr}`.trim()}`);
  }
  const failed = results.filter((r) => r.fail || r.error);
  const skipped = results.filter((r) => r.skip);
  if (failed.length) {
    // The failing tests again, pretty, with the values of the variables on the failing line.
    const only = `^(${failed.map((r) => `${r.package}.${r.name}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`;
    const pretty = run(ensureOpa(), ['test', '--var-values', '-r', only, ...NOT_SOURCES, POLICIES]);
    const lines = `${pretty.stdout}${pretty.stderr}`.split('\n').filter((l) => !/^(PASS|FAIL): \d+\/\d+$/.test(l));
    console.log(lines.join('\n').trim());
  } else {
    const coverage = JSON.parse(opa(['test', '--coverage', '--format', 'json', ...NOT_SOURCES, POLICIES]).stdout);
    const partial = Object.entries(coverage.files ?? {})
      .filter(([, f]) => (f.coverage ?? 100) < 100)
      .map(([file, f]) => `${file} ${f.coverage.toFixed(1)}% (lines not covered: ${(f.not_covered ?? []).map((r) => (r.start.row === r.end.row ? r.start.row : `${r.start.row}-${r.end.row}`)).join(', ')})`);
    log(`opa test --coverage: ${(coverage.coverage ?? 0).toFixed(1)}% of the policy lines covered${partial.length ? `; below 100%:\n  ${partial.join('\n  ')}` : ''}`);
  }
  if (skipped.length) log(`${skipped.length} test(s) skipped: ${skipped.map((r) => r.name).join(', ')}`);
  // One totals line, which scripts/ci-totals.mjs reads.
  console.log(failed.length ? `FAIL: ${failed.length}/${results.length}` : `PASS: ${results.length - skipped.length}/${results.length}`);
  if (failed.length) fail(`${failed.length} of ${results.length} policy tests failed`);
}

// ---------------------------------------------------------------------------------------------
// capabilities

/** The directory of the pinned OPA module's source in Go's module cache (downloaded if needed). */
function opaModuleSource(version) {
  const result = run('go', ['mod', 'download', '-json', `${OPA_MODULE}@v${version}`]);
  const info = result.stdout.trim() ? JSON.parse(result.stdout) : {};
  if (result.status !== 0 || !info.Dir) fail(`go mod download ${OPA_MODULE}@v${version} failed:\n${info.Error ?? result.stderr}`);
  return info.Dir;
}

/** Names of the builtins OPA's wasm compiler implements natively (its builtinsFunctions map, plus IsWasmEnabled's extras). */
function wasmNativeBuiltins(source) {
  const candidates = ['internal/compiler/wasm/wasm.go', 'v1/internal/compiler/wasm/wasm.go'].map((f) => path.join(source, f));
  const wasmGo = candidates.find((f) => existsSync(f));
  if (!wasmGo) fail(`no wasm compiler source in ${source} (looked for ${candidates.map(rel).join(', ')})`);
  const code = readFileSync(wasmGo, 'utf8');
  const mapBody = /var builtinsFunctions = map\[string\]string\{([\s\S]*?)\n\}/.exec(code)?.[1];
  const enabledBody = /func IsWasmEnabled\([\s\S]*?\n\}/.exec(code)?.[0];
  if (!mapBody || !enabledBody) fail(`${wasmGo}: builtinsFunctions or IsWasmEnabled not found (the source layout changed)`);
  const vars = new Set([...`${mapBody}\n${enabledBody}`.matchAll(/\bast\.(\w+)\.Name\b/g)].map((m) => m[1]));

  // ast.X → X's Name, from `var X = &Builtin{ ... Name: "..." ... }` in the ast package wasm.go imports.
  const astImport = /"github\.com\/open-policy-agent\/opa\/((?:v1\/)?ast)"/.exec(code)?.[1] ?? 'v1/ast';
  const astDir = path.join(source, astImport);
  const names = new Map();
  for (const file of readdirSync(astDir).filter((f) => f.endsWith('.go') && !f.endsWith('_test.go'))) {
    const text = readFileSync(path.join(astDir, file), 'utf8');
    for (const m of text.matchAll(/^var (\w+) = &Builtin\{\s*\n([\s\S]*?)\n\}/gm)) {
      const name = /^\s*Name:\s*"([^"]+)"/m.exec(m[2])?.[1];
      if (name) names.set(m[1], name);
    }
  }
  const unresolved = [...vars].filter((v) => !names.has(v));
  if (unresolved.length) fail(`cannot resolve ast.${unresolved.join(', ast.')} to builtin names in ${astDir}`);
  return { file: wasmGo, names: new Set([...vars].map((v) => names.get(v))) };
}

/** Names of the builtins the JS SDK implements (what its builtins/index.js exports, i.e. every builtins/*.js). */
function sdkBuiltins() {
  const file = path.join(root, SDK_BUILTINS);
  if (!existsSync(file)) fail(`${SDK_BUILTINS} not found: run npm ci`);
  return new Set(Object.keys(createRequire(import.meta.url)(file)));
}

function capabilities() {
  const version = opaVersion();
  const source = opaModuleSource(version);
  const native = wasmNativeBuiltins(source);
  const sdk = sdkBuiltins();
  const current = JSON.parse(opa(['capabilities', '--current']).stdout);
  const known = new Set(current.builtins.map((b) => b.name));
  const runnable = new Set([...native.names, ...sdk]);
  const absent = [...runnable].filter((n) => !known.has(n)).sort();
  current.builtins = current.builtins.filter((b) => runnable.has(b.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  writeFileSync(path.join(root, CAPABILITIES), `${JSON.stringify(current, null, 2)}\n`);
  const jsOnly = [...sdk].filter((n) => !native.names.has(n)).sort();
  log(
    `wrote ${CAPABILITIES}: ${current.builtins.length} of ${known.size} builtins of opa v${version} ` +
      `(${native.names.size} compiled natively per ${path.relative(source, native.file)} of the module, ` +
      `${jsOnly.length} from the JS SDK: ${jsOnly.join(', ')})` +
      (absent.length ? `; not in opa capabilities --current, left out: ${absent.join(', ')}` : ''),
  );
}

// ---------------------------------------------------------------------------------------------

const commands = { build, 'check-fresh': checkFresh, test, capabilities };
const command = commands[process.argv[2]];
try {
  if (!command) fail(`usage: node scripts/policy.mjs ${Object.keys(commands).join(' | ')}`);
  command();
} catch (error) {
  if (!(error instanceof Failure)) throw error;
  console.error(`policy: ${error.message}`);
  process.exitCode = 1;
}
