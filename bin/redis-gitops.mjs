#!/usr/bin/env node
// The CLI is written in TypeScript. It runs compiled (see compile.mjs), else through tsx, so
// `npx redis-gitops` works right after `npm ci` with no build step to remember.
import { compiledCli } from './compile.mjs';

// `redis-gitops diff | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
let cli = await compiledCli();
if (cli) {
  // Stack traces of the compiled CLI name the TypeScript sources (compile.mjs writes source maps).
  // Only where one may be printed (--verbose, or its variable: src/cli.ts): node reads the map of
  // every module as it loads it, ~80 ms of each run at 10,000 deployments (measured), and the one
  // line an internal error prints without them names no source.
  if (process.argv.slice(2).includes('--verbose') || process.env.REDIS_GITOPS_VERBOSE) process.setSourceMapsEnabled(true);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = '../src/cli.ts';
}
const { main } = await import(cli);
process.exitCode = await main(process.argv);
