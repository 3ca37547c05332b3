import { execFile } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GATE_CACHE } from '../src/gate/cache.js';
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

describe('junit report', () => {
  it('one suite per rule: a failure per error with its fix, a passing case for a clean rule, XML-escaped', async () => {
    const { report, file } = await brokenReport();
    const xml = formatReport(report, 'junit');
    expect(xml).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="redis-gitops gate" tests="\d+" failures="1" errors="0" skipped="0">/);
    expect(xml.match(/<testsuite /g)).toHaveLength(Object.keys(report.rules).length);
    expect(xml).toContain(`<testsuite name="secrets.no_plaintext_secret" tests="1" failures="1" errors="0" skipped="0">`);
    expect(xml).toContain(`<testcase classname="secrets.no_plaintext_secret" name="Secret redis-orders/leak (${file})" file="${file}"><failure type="error" message="`);
    expect(xml).toContain('How to fix: Seal the Secret (kubeseal --format yaml &lt; secret.yaml &gt; sealedsecret.yaml)');
    expect(xml).toMatch(/<testcase classname="tls\.redis_tls_only" name="[^"]+: no findings"\/>/);
  });

  it('a waived finding is skipped; a warning fails only when strict', () => {
    const rule = { title: 'T', description: 'D', severity: 'warning' as const, remediation: 'R' };
    const base = { rule: 'security.read_only_root_filesystem', severity: 'warning' as const, title: 'T', resource: { apiVersion: 'v1', kind: 'Pod', namespace: 'n', name: 'p' }, file: 'p.yaml' };
    const report = {
      rules: { 'security.read_only_root_filesystem': rule },
      violations: [
        { ...base, message: 'writable "root" & more' },
        { ...base, message: 'waived one', waiver: { reason: 'vendor <image>', expires: '2099-01-01' } },
      ],
      summary: { errors: 0, warnings: 1, waived: 1, files: 1, resources: 1, namespaces: 1 },
    };
    const lenient = formatReport(report, 'junit');
    expect(lenient).toContain('<system-out>warning: writable &quot;root&quot; &amp; more</system-out>');
    expect(lenient).toContain('<skipped message="waived until 2099-01-01: vendor &lt;image&gt;"/>');
    expect(lenient).toContain('failures="0" errors="0" skipped="1"');
    expect(formatReport(report, 'junit', { strict: true })).toContain('<failure type="warning" message="writable &quot;root&quot; &amp; more">');
    expect(formatReport(report, 'text')).toMatch(/WAIVED  security\.read_only_root_filesystem  waived until 2099-01-01 \(vendor <image>\): Pod n\/p: waived one/);
    expect(formatReport(report, 'sarif')).toContain('"status": "accepted"');
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
    expect(text).toContain('gate dist --check-synced --changed --base "origin/$BASE" --format github');
    expect(text).toContain('gate dist --check-synced --format github');
    expect(text).toContain('--format sarif');
    expect(text).toContain('github/codeql-action/upload-sarif');
    expect(text).toContain('GITHUB_STEP_SUMMARY');
  });

  it("keeps the gate's verdicts between runs, restored after npm ci (which empties node_modules/) and before the first gate", () => {
    const text = readFileSync(workflow, 'utf8');
    const restored = text.indexOf('uses: actions/cache@');
    expect(restored).toBeGreaterThan(text.indexOf('run: npm ci'));
    expect(restored).toBeLessThan(text.indexOf('redis-gitops gate'));
    expect(text.slice(restored)).toMatch(new RegExp(`path: ${path.relative(projectRoot, GATE_CACHE)}\\n`));
  });
});
