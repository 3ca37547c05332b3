import { execFile } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runGate } from '../src/gate/gate.js';
import { formatReport } from '../src/gate/report.js';
import { goTool } from './support/programs.js';
import { projectRoot, tempDir } from './support/repo.js';

const run = promisify(execFile);

async function brokenReport() {
  const dir = path.join(tempDir(), 'dist');
  cpSync(path.join(projectRoot, 'dist'), dir, { recursive: true });
  const file = path.join(dir, 'example/orders/secret-leak.yaml');
  writeFileSync(file, 'apiVersion: v1\nkind: Secret\nmetadata: {name: leak, namespace: redis-orders}\nstringData: {password: "a,b:c"}\n');
  return { report: await runGate([dir]), file };
}

describe('gate report formats', () => {
  it('github: one workflow command per violation, with file and rule, escaped', async () => {
    const { report, file } = await brokenReport();
    const lines = formatReport(report, 'github').trim().split('\n');
    expect(lines[0]).toBe(`::error file=${file},title=secrets.no_plaintext_secret::Secret redis-orders/leak: ${report.violations[0]!.message}`);
    expect(lines.at(-1)).toMatch(/^FAIL: 1 error/);
  });

  it('sarif: SARIF 2.1.0 with every rule described and each result located in its file', async () => {
    const { report, file } = await brokenReport();
    const sarif = JSON.parse(formatReport(report, 'sarif'));
    expect(sarif.version).toBe('2.1.0');
    const [runResult] = sarif.runs;
    expect(runResult.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(Object.keys(report.rules).sort());
    expect(runResult.results).toEqual([
      {
        ruleId: 'secrets.no_plaintext_secret',
        ruleIndex: runResult.tool.driver.rules.findIndex((r: { id: string }) => r.id === 'secrets.no_plaintext_secret'),
        level: 'error',
        message: { text: expect.stringContaining('Secret redis-orders/leak') },
        locations: [{ physicalLocation: { artifactLocation: { uri: file } } }],
      },
    ]);
  });

  it('markdown: a results table for the job summary', async () => {
    const { report } = await brokenReport();
    const md = formatReport(report, 'markdown');
    expect(md).toMatch(/^### Policy gate: failed/);
    expect(md).toContain('| error | `secrets.no_plaintext_secret` | Secret redis-orders/leak |');
  });
});

const actionlint = goTool('actionlint');
describe.skipIf(!actionlint)(`the pull-request workflow${actionlint ? '' : ' [skipped: actionlint not built; .ci/run builds it]'}`, () => {
  const workflow = path.join(projectRoot, '.github/workflows/redis-gitops.yml');

  it('passes actionlint, and actionlint does catch a broken workflow', async () => {
    await expect(run(actionlint!, [workflow])).resolves.toBeDefined();
    const broken = path.join(tempDir(), 'broken.yml');
    writeFileSync(broken, readFileSync(workflow, 'utf8').replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latest\n    timeout-minute: 5'));
    const failure = await run(actionlint!, [broken]).then(
      () => 'accepted',
      (e: { stdout: string }) => e.stdout,
    );
    expect(failure).toMatch(/unexpected key "timeout-minute"/);
  });

  it('uploads SARIF and annotates with --format github', () => {
    const text = readFileSync(workflow, 'utf8');
    expect(text).toContain('gate --check-synced --format github');
    expect(text).toContain('--format sarif');
    expect(text).toContain('github/codeql-action/upload-sarif');
    expect(text).toContain('GITHUB_STEP_SUMMARY');
  });
});
