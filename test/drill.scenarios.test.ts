import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { scenarioIds as cliScenarioIds } from '../src/drill/scenario-ids.js';
import { continuesFrom, scenarioIds, scenarios, scenariosToRun } from '../src/drill/scenarios/index.js';
import { verdictLine } from '../src/drill/drill.js';
import { projectRoot } from './support/repo.js';

describe('drill scenario registry', () => {
  it('lists each scenario once, saying in one line each what it is, injects and asserts', () => {
    expect(new Set(scenarioIds).size).toBe(scenarios.length);
    expect(cliScenarioIds).toEqual(scenarioIds);
    for (const s of scenarios) {
      for (const text of [s.description, s.injects, s.asserts]) {
        expect(text.trim(), s.id).not.toBe('');
        expect(text, s.id).not.toContain('\n');
      }
      // A scenario that continues another runs just after it.
      if (s.after) expect(scenarioIds.indexOf(s.after as never), s.id).toBe(scenarioIds.indexOf(s.id) - 1);
    }
  });

  it('runs a selection in the fixed order, with the scenario a selected one continues', () => {
    expect(scenariosToRun(['rolling-restart', 'baseline'])).toEqual(['baseline', 'rolling-restart']);
    expect(scenariosToRun(['restart-old-primary'])).toEqual(['kill-primary', 'restart-old-primary']);
    expect(scenariosToRun(['kill-primary', 'restart-old-primary', 'kill-primary'])).toEqual(['kill-primary', 'restart-old-primary']);
    expect(continuesFrom('restart-old-primary', 'kill-primary')).toBe(true);
    expect(continuesFrom('portals', 'restart-old-primary')).toBe(false);
  });

  it('loads no package and nothing outside src/drill and model/ (facts, which import nothing): the CLI loads it at startup', async () => {
    const result = await build({
      absWorkingDir: projectRoot,
      entryPoints: ['src/drill/scenario-ids.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      write: false,
      metafile: true,
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((file) => !file.startsWith('src/drill/') && !file.startsWith('model/'))).toEqual([]);
    const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(imports.filter((p) => !p.startsWith('node:'))).toEqual([]);
  });
});

describe('drill verdict line', () => {
  const result = (passed: boolean, skipped?: string) => ({ passed, skipped }) as unknown as Parameters<typeof verdictLine>[0][number];
  it('says a skipped scenario apart from a passed one', () => {
    expect(verdictLine([result(true), result(true)])).toBe('all 2 scenario(s) passed');
    expect(verdictLine([result(true), result(true, 'no network namespaces')])).toBe('1 scenario(s) passed, 1 skipped (see above why)');
    expect(verdictLine([result(false), result(true, 'no network namespaces'), result(true)])).toBe('1 of 3 scenario(s) failed, 1 skipped');
  });
});
