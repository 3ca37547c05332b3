import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { projectRoot, tempDir } from './support/repo.js';

const run = promisify(execFile);

it('a run lists every skipped test with its reason after the summary', async () => {
  const config = path.join(tempDir(), 'vitest.config.mjs');
  writeFileSync(
    config,
    `export default { test: { root: ${JSON.stringify(projectRoot)}, include: ['test/fixtures/skip-reasons/*.fixture.ts'], reporters: ['default', ${JSON.stringify(path.join(projectRoot, 'test/support/skip-reasons.ts'))}] } };\n`,
  );
  const { stdout } = await run(process.execPath, [path.join(projectRoot, 'node_modules/vitest/vitest.mjs'), 'run', '--config', config], { cwd: projectRoot });
  const listed = stdout.slice(stdout.indexOf('Skipped tests and why'));
  expect(listed.trim().split('\n')).toEqual([
    'Skipped tests and why (2):',
    '  test/fixtures/skip-reasons/sample.fixture.ts > needs a program [skipped: no frobnicator on PATH]',
    '  test/fixtures/skip-reasons/sample.fixture.ts > skips itself [skipped: no network here]',
  ]);
});
