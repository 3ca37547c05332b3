#!/usr/bin/env node
// The CLI is written in TypeScript and run through tsx, so `npx redis-gitops` works right after
// `npm ci` with no build step to remember.
import { register } from 'tsx/esm/api';

register();
// `redis-gitops diff | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv);
