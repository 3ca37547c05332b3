#!/usr/bin/env node
// Installs the git pre-commit hook: a commit goes through only when the dist/ it commits is what synth
// makes of the inputs it commits and the gate passes the deployments the commit changes. It judges the
// staged tree (--staged), not the working tree: an input staged without its dist/ changes, or a file
// fixed in the working tree after a broken version was staged, is judged as it will be committed.
// `git commit --no-verify` skips it, as with any hook. Run again to update an installed hook.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const MARK = '# redis-gitops pre-commit hook';
const hooksDir = execFileSync('git', ['rev-parse', '--git-path', 'hooks'], { encoding: 'utf8' }).trim();
const hook = path.join(hooksDir, 'pre-commit');
if (existsSync(hook) && !readFileSync(hook, 'utf8').includes(MARK)) {
  console.error(`${hook} exists and is not ours: add "npx --no-install redis-gitops gate dist --check-synced --changed --staged" to it yourself`);
  process.exit(1);
}
writeFileSync(
  hook,
  `#!/bin/sh
${MARK}: the staged dist/ must be synthesized from the staged inputs, and the deployments it changes pass the policies.
exec npx --no-install redis-gitops gate dist --check-synced --changed --staged
`,
);
chmodSync(hook, 0o755);
console.log(`installed ${hook}`);
