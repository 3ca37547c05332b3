// Prints CI's one-line totals: vitest's results (its JSON report), the OPA unit tests (the
// "PASS: n/m" or "FAIL: f/m" line of `opa test`) and the drill's scenarios (its JSON report, one
// count per scenario). A run that produced no report counts as failed.
import { existsSync, readFileSync } from 'node:fs';

const [vitestReport, policyLog, drillReport] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
if (vitestReport && existsSync(vitestReport)) {
  const r = JSON.parse(readFileSync(vitestReport, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
} else {
  console.log('no vitest report: the type check or the test runner failed before any test ran');
  failed += 1;
}
const opa = policyLog && existsSync(policyLog) ? /^(PASS|FAIL): (\d+)\/(\d+)$/m.exec(readFileSync(policyLog, 'utf8')) : null;
if (opa) {
  const [, verdict, count, total] = opa;
  const bad = verdict === 'FAIL' ? Number(count) : 0;
  passed += Number(total) - bad;
  failed += bad;
}
if (drillReport) {
  let drill;
  try {
    drill = JSON.parse(readFileSync(drillReport, 'utf8'));
  } catch {
    console.log('no drill report: the drill stopped before it could report');
    failed += 1;
  }
  for (const scenario of drill?.scenarios ?? []) {
    if (scenario.passed) passed += 1;
    else failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
