import type { GateReport } from './gate.js';

export const gateFormats = ['text', 'json'] as const;
export type GateFormat = (typeof gateFormats)[number];

export function formatReport(report: GateReport, format: GateFormat): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  const lines: string[] = [];
  let file = '';
  for (const v of report.violations) {
    if (v.file !== file) {
      file = v.file;
      lines.push(file);
    }
    const r = v.resource;
    const where = r.namespace ? `${r.kind} ${r.namespace}/${r.name}` : `${r.kind} ${r.name}`;
    lines.push(`  ${v.severity.toUpperCase().padEnd(7)} ${v.rule}  ${where}: ${v.message}`);
  }
  const s = report.summary;
  const verdict = s.errors ? 'FAIL' : 'PASS';
  lines.push(
    `${verdict}: ${s.errors} error(s), ${s.warnings} warning(s) in ${s.resources} resources ` +
      `(${s.files} files, ${s.namespaces} namespaces)`,
  );
  return `${lines.join('\n')}\n`;
}
