// Prints CI's one-line totals: vitest's results (its JSON reports: the default suite and the engine
// tier), the OPA unit tests (the "PASS: n/m" or "FAIL: f/m" line of `opa test`) and the drill's
// scenarios (its JSON report, one count per scenario). A run that produced no report counts as failed.
//   node scripts/ci-totals.mjs --vitest suite.json --vitest engine.json --opa policy.log --drill drill.json [--drill drill2.json]
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { vitest: { type: 'string', multiple: true, default: [] }, opa: { type: 'string' }, drill: { type: 'string', multiple: true, default: [] } },
});
let passed = 0;
let failed = 0;
let skipped = 0;
// What failed, by name, printed just above the totals: CI keeps only the end of a long log, and a
// count without a name sends the next person to re-run everything to find it.
const failures = [];
for (const report of values.vitest) {
  if (existsSync(report)) {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    for (const file of r.testResults ?? []) {
      for (const test of file.assertionResults ?? []) {
        if (test.status !== 'failed') continue;
        const why = (test.failureMessages?.[0] ?? '').split('\n')[0].slice(0, 300);
        failures.push(`${relative(process.cwd(), file.name)} > ${test.fullName}: ${why}`);
      }
      // A file that failed to load (a syntax error, a failing beforeAll) has no failed test of its own.
      if (file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed')) {
        failures.push(`${relative(process.cwd(), file.name)}: ${(file.message ?? '').split('\n')[0].slice(0, 300)}`);
      }
    }
  } else {
    console.log(`no vitest report ${report}: the type check, a build or the test runner failed before any test ran`);
    failed += 1;
  }
}
const opa = values.opa && existsSync(values.opa) ? /^(PASS|FAIL): (\d+)\/(\d+)$/m.exec(readFileSync(values.opa, 'utf8')) : null;
if (opa) {
  const [, verdict, count, total] = opa;
  const bad = verdict === 'FAIL' ? Number(count) : 0;
  passed += Number(total) - bad;
  failed += bad;
  if (bad) failures.push(`opa test: ${bad} of ${total} policy tests failed (see the policies step above)`);
}
// One report per drilled deployment (each engine line CI drills).
for (const file of values.drill) {
  let drill;
  try {
    drill = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    console.log(`no drill report in ${file}: the drill stopped before it could report`);
    failed += 1;
  }
  if (drill?.servers) console.log(`drill of ${drill.deployment} ran ${drill.servers.engine} ${drill.servers.version}`);
  for (const scenario of drill?.scenarios ?? []) {
    // A partition scenario where network namespaces cannot be made reports why it was skipped.
    if (scenario.skipped) skipped += 1;
    else if (scenario.passed) passed += 1;
    else {
      failed += 1;
      failures.push(`drill ${file} > ${scenario.id}: ${(scenario.problems ?? []).join('; ').slice(0, 500)}`);
    }
  }
}
if (failures.length) console.log(`failed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
