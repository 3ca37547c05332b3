import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Set by bin/compile.mjs in the compiled CLI, whose modules do not live where their sources do.
declare const REDIS_GITOPS_ROOT: string | undefined;
declare const REDIS_GITOPS_COMPILED: string | undefined;

/** The project folder (package.json, policies/, schemas/), whether run from the sources or compiled. */
export const projectRoot = typeof REDIS_GITOPS_ROOT === 'string' ? REDIS_GITOPS_ROOT : fileURLToPath(new URL('..', import.meta.url));

/** How long a cache file under node_modules/.cache/redis-gitops/ that no run uses is kept (another checkout's, a temporary repository's). */
export const CACHE_STALE_MS = 7 * 24 * 3600 * 1000;

export function fromRoot(...parts: string[]): string {
  return path.join(projectRoot, ...parts);
}

/**
 * The module a worker thread loads for a source file of the project (`src/gate/shard.ts`): the
 * source itself, or its compiled form when the CLI runs compiled.
 */
export function moduleOf(source: string): URL {
  return typeof REDIS_GITOPS_COMPILED === 'string' ? pathToFileURL(path.join(REDIS_GITOPS_COMPILED, source.replace(/\.ts$/, '.js'))) : pathToFileURL(fromRoot(source));
}
