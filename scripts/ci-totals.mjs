// Prints CI's one-line totals: vitest's results (its JSON report) plus the OPA unit tests
// (the "PASS: n/m" or "FAIL: f/m" line of `opa test`). A run that produced no report counts as failed.
import { existsSync, readFileSync } from 'node:fs';

const [vitestReport, policyLog] = process.argv.slice(2);
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
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
