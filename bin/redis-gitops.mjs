#!/usr/bin/env node
// The CLI is written in TypeScript and run through tsx, so `npx redis-gitops` works right after
// `npm ci` with no build step to remember.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv);
