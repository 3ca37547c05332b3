#!/usr/bin/env node
// Installs the git pre-commit hook: a commit goes through only when dist/ is what synth makes of the
// inputs and the gate passes the deployments the commit changes. `git commit --no-verify` skips it,
// as with any hook.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const MARK = '# redis-gitops pre-commit hook';
const hooksDir = execFileSync('git', ['rev-parse', '--git-path', 'hooks'], { encoding: 'utf8' }).trim();
const hook = path.join(hooksDir, 'pre-commit');
if (existsSync(hook) && !readFileSync(hook, 'utf8').includes(MARK)) {
  console.error(`${hook} exists and is not ours: add "npx --no-install redis-gitops gate dist --check-synced --changed" to it yourself`);
  process.exit(1);
}
writeFileSync(
  hook,
  `#!/bin/sh
${MARK}: dist/ must be synthesized from the inputs, and the deployments it changes pass the policies.
exec npx --no-install redis-gitops gate dist --check-synced --changed
`,
);
chmodSync(hook, 0o755);
console.log(`installed ${hook}`);
