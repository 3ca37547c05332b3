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
  process.setSourceMapsEnabled(true);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = '../src/cli.ts';
}
const { main } = await import(cli);
process.exitCode = await main(process.argv);
