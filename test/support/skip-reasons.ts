import type { Reporter, TestModule } from 'vitest/node';

/**
 * Lists, after the summary, every test that was skipped and why: vitest's default reporter counts
 * skipped tests per file but names none, so a tier that did not run (no haproxy, no root, no opa
 * built) went unseen. Each skipIf in the suite puts its reason in the test's name ("[skipped: ...]");
 * a reason given to ctx.skip(note) is shown too. Tests left out by a name filter (-t) or by .only
 * are not skips of this kind, and are not listed.
 */
export default class SkipReasons implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const lines: string[] = [];
    for (const module of modules) {
      for (const test of module.children.allTests('skipped')) {
        const { note } = test.result() as { note?: string };
        if (test.options.mode !== 'skip' && note === undefined) continue;
        const reasonInName = /[[(]skipped: /.test(test.fullName);
        if (this.filtered && !reasonInName && note === undefined) continue;
        lines.push(`  ${module.relativeModuleId} > ${test.fullName}${note ? ` [skipped: ${note}]` : reasonInName ? '' : ' (no reason given)'}`);
      }
    }
    if (lines.length) process.stdout.write(`\nSkipped tests and why (${lines.length}):\n${lines.join('\n')}\n`);
  }

  /** Whether this run selects tests by name (-t): the tests it leaves out are marked skipped too. */
  private filtered = process.argv.some((a) => a === '-t' || a.startsWith('--testNamePattern'));
}
