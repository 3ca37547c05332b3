// The CLI runs compiled: esbuild bundles src/ and charts/ into node_modules/.cache/redis-gitops/cli/,
// once per version of the sources (compiling takes a fraction of a second; loading the sources
// through tsx cost every run a quarter of a second, and every worker thread as much again). A changed source
// gives a new hash, so what runs is always what is in src/. Where compiling fails (a read-only
// installation), the CLI runs its sources through tsx as before.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(root, 'node_modules', '.cache', 'redis-gitops', 'cli');

/** The modules that start a program: the CLI and what its worker threads load. */
const ENTRY_POINTS = ['src/cli.ts', 'src/gate/shard.ts', 'src/gate/run-cache.ts', 'src/synth/render-worker.ts'];

/**
 * CommonJS packages the compiled CLI loads with `require`. Imported from an ES module, a CommonJS
 * module is first read by Node, with every module it re-exports, to find its named exports
 * (cjs-module-lexer): cdk8s-plus-28 re-exports its 2.7 MB of generated classes, and that reading cost
 * ~50 ms of every process that renders (the three loaded in 0.20-0.24 s imported, 0.14-0.18 s
 * required, here). esbuild does the interop instead, as for any CommonJS it bundles; the packages
 * stay in node_modules, loaded as Node loads them (see requireCommonJs).
 */
const REQUIRED = ['cdk8s', 'cdk8s-plus-28', 'constructs'];

/** Each import of a REQUIRED package becomes a module that requires it (the chunk's `require`: see the banner). */
const requireCommonJs = {
  name: 'require-commonjs',
  setup(build) {
    // (The names hold no character special in a regular expression.)
    const filter = new RegExp(`^(${REQUIRED.join('|')})$`);
    build.onResolve({ filter }, (args) => (args.namespace === 'required' ? { path: args.path, external: true } : { path: args.path, namespace: 'required' }));
    build.onLoad({ filter: /.*/, namespace: 'required' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/**
 * Compiled builds other than the current one are removed once unused this long (a running CLI may
 * still load modules from the build it started with: worker threads do).
 */
const STALE_MS = 60 * 60 * 1000;

/** The URL of the compiled CLI module (compiling it first when the sources changed), or undefined when it cannot be had. */
export async function compiledCli() {
  try {
    const dir = path.join(CACHE, sourceHash());
    const cli = path.join(dir, 'src', 'cli.js');
    if (existsSync(cli)) {
      markUsed(dir);
    } else {
      await compile(dir);
      removeStale(dir);
    }
    return pathToFileURL(cli).href;
  } catch {
    return undefined;
  }
}

/** A build's modification time says when a CLI last started from it. */
function markUsed(dir) {
  try {
    const now = new Date();
    utimesSync(dir, now, now);
  } catch {
    // A read-only cache: nothing is removed from it either.
  }
}

/** A hash of everything that goes into the compiled CLI: the sources, where they are, esbuild's version and how it is run (this file). */
function sourceHash() {
  const hash = createHash('sha256');
  hash.update(`${root}\n${esbuildVersion()}\n`).update(readFileSync(fileURLToPath(import.meta.url)));
  for (const folder of ['model', 'src', 'charts']) {
    const files = readdirSync(path.join(root, folder), { recursive: true }).filter((f) => /\.[mc]?ts$/.test(f)).sort();
    for (const file of files) hash.update(`${folder}/${file}\n`).update(readFileSync(path.join(root, folder, file))).update('\n');
  }
  hash.update(readFileSync(path.join(root, 'tsconfig.json')));
  return hash.digest('hex').slice(0, 16);
}

function esbuildVersion() {
  return createRequire(import.meta.url)('esbuild/package.json').version;
}

/** Bundles into a staging folder renamed into place: concurrent runs each build, one rename wins. */
async function compile(dir) {
  const { build } = await import('esbuild');
  const staging = `${dir}.staging-${process.pid}`;
  try {
    await build({
      absWorkingDir: root,
      entryPoints: ENTRY_POINTS,
      outdir: staging,
      outbase: root,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      sourcemap: true,
      logLevel: 'silent',
      plugins: [requireCommonJs],
      // What esbuild's own `require` calls on (the REQUIRED packages, see requireCommonJs): an ES
      // module has none of its own.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      define: { REDIS_GITOPS_ROOT: JSON.stringify(root), REDIS_GITOPS_COMPILED: JSON.stringify(dir) },
    });
    try {
      renameSync(staging, dir);
    } catch (error) {
      if (!existsSync(path.join(dir, 'src', 'cli.js'))) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function removeStale(current) {
  for (const name of readdirSync(CACHE)) {
    const dir = path.join(CACHE, name);
    if (dir === current || name.includes('.staging-')) continue;
    try {
      if (Date.now() - statSync(dir).mtimeMs > STALE_MS) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Removed by a concurrent run.
    }
  }
}
