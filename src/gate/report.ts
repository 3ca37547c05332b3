import type { GateReport } from './gate.js';
import type { Violation } from './policy.js';
import { generator } from '../version.js';

export const gateFormats = ['text', 'json', 'github', 'sarif', 'markdown'] as const;
export type GateFormat = (typeof gateFormats)[number];

/**
 * text: for people; json: the stable contract ({violations, summary}); github: workflow commands that
 * annotate the pull request; sarif: SARIF 2.1.0 for code scanning; markdown: a job summary table.
 */
export function formatReport(report: GateReport, format: GateFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({ violations: report.violations, summary: report.summary }, null, 2)}\n`;
    case 'github':
      return report.violations.map((v) => `::${v.severity} file=${escapeProperty(v.file)},title=${escapeProperty(v.rule)}::${escapeData(`${where(v)}: ${v.message}`)}\n`).join('') + `${verdict(report)}\n`;
    case 'sarif':
      return `${JSON.stringify(sarif(report), null, 2)}\n`;
    case 'markdown':
      return markdown(report);
    case 'text':
      return text(report);
  }
}

function where(v: Violation): string {
  const r = v.resource;
  return r.namespace ? `${r.kind} ${r.namespace}/${r.name}` : `${r.kind} ${r.name}`;
}

function verdict(report: GateReport): string {
  const s = report.summary;
  return (
    `${s.errors ? 'FAIL' : 'PASS'}: ${s.errors} error(s), ${s.warnings} warning(s) in ${s.resources} resources ` +
    `(${s.files} files, ${s.namespaces} namespaces)`
  );
}

function text(report: GateReport): string {
  const lines: string[] = [];
  let file = '';
  for (const v of report.violations) {
    if (v.file !== file) {
      file = v.file;
      lines.push(file);
    }
    lines.push(`  ${v.severity.toUpperCase().padEnd(7)} ${v.rule}  ${where(v)}: ${v.message}`);
  }
  lines.push(verdict(report));
  return `${lines.join('\n')}\n`;
}

function markdown(report: GateReport): string {
  const cell = (value: string) => value.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [`### Policy gate: ${report.summary.errors ? 'failed' : 'passed'}`, '', verdict(report), ''];
  if (report.violations.length) {
    lines.push('| severity | rule | resource | message | file |', '|---|---|---|---|---|');
    for (const v of report.violations) lines.push(`| ${v.severity} | \`${v.rule}\` | ${cell(where(v))} | ${cell(v.message)} | ${cell(v.file)} |`);
  }
  return `${lines.join('\n')}\n`;
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
