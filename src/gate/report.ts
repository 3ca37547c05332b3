import type { GateReport } from './gate.js';
import type { Violation } from './policy.js';
import { generator } from '../version.js';

export const gateFormats = ['text', 'json', 'github', 'sarif', 'markdown', 'junit'] as const;
export type GateFormat = (typeof gateFormats)[number];

export interface ReportOptions {
  /** Warnings fail the gate too. */
  strict?: boolean;
  /** Why the gate fails besides the findings, a clause each (`dist/ is not what synth makes of the inputs`). */
  alsoFails?: readonly string[];
}

/** Whether the gate fails: errors always do, warnings only when strict, any reason in alsoFails; waived findings never. */
export function gateFails(report: GateReport, { strict = false, alsoFails = [] }: ReportOptions = {}): boolean {
  return report.summary.errors > 0 || (strict && report.summary.warnings > 0) || alsoFails.length > 0;
}

/**
 * text: for people, grouped by file, with each rule's fix; json: the stable contract ({violations,
 * summary}); github: workflow commands that annotate the pull request; sarif: SARIF 2.1.0 for code
 * scanning; markdown: a job summary table; junit: JUnit XML for CI test reports (a suite per rule).
 * Waived findings are listed in every format, marked as waived, and never fail the gate.
 */
export function formatReport(report: GateReport, format: GateFormat, options: ReportOptions = {}): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({ violations: report.violations, summary: report.summary }, null, 2)}\n`;
    case 'github':
      return report.violations.map((v) => `::${v.waiver ? 'notice' : v.severity} file=${escapeProperty(v.file)},title=${escapeProperty(v.rule)}::${escapeData(`${waivedPrefix(v)}${where(v)}: ${v.message}`)}\n`).join('') + `${verdict(report, options)}\n`;
    case 'sarif':
      return `${JSON.stringify(sarif(report), null, 2)}\n`;
    case 'markdown':
      return markdown(report, options);
    case 'junit':
      return junit(report, options);
    case 'text':
      return text(report, options);
  }
}

function waivedPrefix(v: Violation): string {
  return v.waiver ? `waived until ${v.waiver.expires} (${v.waiver.reason}): ` : '';
}

function where(v: Violation): string {
  const r = v.resource;
  return r.namespace ? `${r.kind} ${r.namespace}/${r.name}` : `${r.kind} ${r.name}`;
}

function verdict(report: GateReport, options: ReportOptions): string {
  const s = report.summary;
  return (
    `${gateFails(report, options) ? 'FAIL' : 'PASS'}: ${s.errors} error(s), ${s.warnings} warning(s) in ${s.resources} resources ` +
    `(${s.files} files, ${s.namespaces} namespaces)${s.waived ? `; ${s.waived} waived` : ''}${options.strict ? '; strict: warnings fail' : ''}` +
    (options.alsoFails ?? []).map((reason) => `; ${reason}`).join('')
  );
}

function label(v: Violation): string {
  return v.waiver ? 'WAIVED' : v.severity.toUpperCase();
}

function text(report: GateReport, options: ReportOptions): string {
  const lines: string[] = [];
  let file = '';
  for (const v of report.violations) {
    if (v.file !== file) {
      file = v.file;
      lines.push(file);
    }
    lines.push(`  ${label(v).padEnd(7)} ${v.rule}  ${waivedPrefix(v)}${where(v)}: ${v.message}`);
  }
  // Each rule's fix once, rather than after every finding of it.
  const failing = [...new Set(report.violations.filter((v) => !v.waiver).map((v) => v.rule))].sort();
  if (failing.length) {
    lines.push('', 'How to fix:');
    for (const rule of failing) lines.push(`  ${rule}: ${report.rules[rule]?.remediation ?? ''}`);
    lines.push('');
  }
  lines.push(verdict(report, options));
  return `${lines.join('\n')}\n`;
}

function markdown(report: GateReport, options: ReportOptions): string {
  const cell = (value: string) => value.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [`### Policy gate: ${gateFails(report, options) ? 'failed' : 'passed'}`, '', verdict(report, options), ''];
  if (report.violations.length) {
    lines.push('| severity | rule | resource | message | file |', '|---|---|---|---|---|');
    for (const v of report.violations) lines.push(`| ${v.waiver ? 'waived' : v.severity} | \`${v.rule}\` | ${cell(where(v))} | ${cell(`${waivedPrefix(v)}${v.message}`)} | ${cell(v.file)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * One testsuite per rule of the catalogue, so that a CI test report shows every rule checked: a
 * finding is a testcase that fails (errors, and warnings under --strict), is skipped (waived), or
 * passes with the warning in its output; a rule without findings has one passing testcase.
 */
function junit(report: GateReport, options: ReportOptions): string {
  const suites: string[] = [];
  let [tests, failures, skipped] = [0, 0, 0];
  for (const rule of Object.keys(report.rules).sort()) {
    const info = report.rules[rule]!;
    const findings = report.violations.filter((v) => v.rule === rule);
    const cases = findings.map((v) => {
      const name = `${where(v)} (${v.file})`;
      const body = v.waiver
        ? `<skipped message="${xml(`waived until ${v.waiver.expires}: ${v.waiver.reason}`)}"/>`
        : v.severity === 'error' || options.strict
          ? `<failure type="${v.severity}" message="${xml(v.message)}">${xml(`${v.message}\n\nHow to fix: ${info.remediation}`)}</failure>`
          : `<system-out>${xml(`warning: ${v.message}`)}</system-out>`;
      return `    <testcase classname="${xml(rule)}" name="${xml(name)}" file="${xml(v.file)}">${body}</testcase>`;
    });
    if (!cases.length) cases.push(`    <testcase classname="${xml(rule)}" name="${xml(`${info.title}: no findings`)}"/>`);
    const suiteFailures = cases.filter((c) => c.includes('<failure ')).length;
    const suiteSkipped = cases.filter((c) => c.includes('<skipped ')).length;
    [tests, failures, skipped] = [tests + cases.length, failures + suiteFailures, skipped + suiteSkipped];
    suites.push(
      `  <testsuite name="${xml(rule)}" tests="${cases.length}" failures="${suiteFailures}" errors="0" skipped="${suiteSkipped}">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="${xml(`${generator.name} gate`)}" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}">\n` +
    `${suites.join('\n')}\n</testsuites>\n`
  );
}

// XML 1.0 forbids most control characters even escaped; they cannot occur in a useful message.
function xml(value: string): string {
  return value
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function sarif(report: GateReport) {
  const ids = Object.keys(report.rules).sort();
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: generator.name,
            version: generator.version,
            rules: ids.map((id) => {
              const rule = report.rules[id]!;
              return {
                id,
                name: id,
                shortDescription: { text: rule.title },
                fullDescription: { text: rule.description },
                help: { text: rule.remediation },
                defaultConfiguration: { level: rule.severity },
              };
            }),
          },
        },
        results: report.violations.map((v) => ({
          ruleId: v.rule,
          ruleIndex: ids.indexOf(v.rule),
          level: v.severity,
          message: { text: `${where(v)}: ${v.message}` },
          locations: [{ physicalLocation: { artifactLocation: { uri: v.file } } }],
          // SARIF's own way to say "found, but accepted": code scanning shows it as dismissed.
          ...(v.waiver ? { suppressions: [{ kind: 'inSource', status: 'accepted', justification: `${v.waiver.reason} (until ${v.waiver.expires})` }] } : {}),
        })),
      },
    ],
  };
}

// GitHub workflow commands: https://docs.github.com/actions/reference/workflow-commands-for-github-actions
function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
