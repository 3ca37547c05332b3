import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ENGINE,
  DEFAULT_VERSION,
  dataMoveRefusal,
  engineTraits,
  engineVersion,
  engineVersions,
  imagePatch,
  knownVulnerabilities,
  withdrawnVersions,
} from '../model/engines.js';
import { projectRoot } from './support/repo.js';

// The engine table itself: what every row must hold, and what Renovate's manager finds in it.
describe('engine table', () => {
  it('pins every line to its official repository by tag and digest, on a patch without a known vulnerability', () => {
    for (const v of engineVersions) {
      expect(v.image, `${v.engine} ${v.line}`).toMatch(new RegExp(`^${engineTraits[v.engine].officialRepository.replace(/\./g, '\\.')}:${v.line.replace('.', '\\.')}\\.\\d+@sha256:[0-9a-f]{64}$`));
      const patch = Number(imagePatch(v.image).split('.')[2]);
      for (const vuln of knownVulnerabilities.filter((k) => k.engine === v.engine && k.line === v.line)) {
        expect(patch, `${v.engine} ${v.line}: ${vuln.id}`).toBeGreaterThanOrEqual(Number(vuln.fixedIn.split('.')[2]));
      }
      if ('tested' in v) expect(v.tested.version.split('.').slice(0, 2).join('.'), `${v.engine} ${v.line}: the tested build is of its line`).toBe(v.line);
    }
    expect(engineVersion(DEFAULT_ENGINE, DEFAULT_VERSION[DEFAULT_ENGINE]!)).toBeDefined();
    for (const [engine, line] of Object.entries(DEFAULT_VERSION)) expect(engineVersion(engine as 'redis', line), `default ${engine}`).toBeDefined();
    for (const w of withdrawnVersions) expect(engineVersion(w.engine, w.line), `${w.engine} ${w.line} is withdrawn`).toBeUndefined();
  });

  it("is what Renovate's regex manager finds: every image of the table, and nothing else", () => {
    const renovate = JSON.parse(readFileSync(path.join(projectRoot, 'renovate.json'), 'utf8'));
    const [manager] = renovate.customManagers;
    const file = manager.managerFilePatterns[0].slice(1, -1);
    expect('model/engines.ts').toMatch(new RegExp(file));
    const found = [...readFileSync(path.join(projectRoot, 'model/engines.ts'), 'utf8').matchAll(new RegExp(manager.matchStrings[0], 'g'))];
    expect(found.map((m) => `${m.groups!.depName}:${m.groups!.currentValue}@${m.groups!.currentDigest}`)).toEqual(engineVersions.map((v) => v.image));
  });

  it('allows a data move only where the target loads the source format', () => {
    const v = (engine: 'redis' | 'valkey', line: string) => engineVersion(engine, line)!;
    expect(dataMoveRefusal(v('redis', '7.2'), v('valkey', '8.1'))).toBeUndefined();
    expect(dataMoveRefusal(v('redis', '7.2'), v('redis', '8.6'))).toBeUndefined();
    expect(dataMoveRefusal(v('valkey', '8.1'), v('valkey', '9.1'))).toBeUndefined();
    expect(dataMoveRefusal(v('redis', '8.6'), v('valkey', '8.1'))).toMatch(/cannot load .*RDB format 13/);
    expect(dataMoveRefusal(v('valkey', '9.1'), v('valkey', '8.1'))).toMatch(/RDB format 80/);
    expect(dataMoveRefusal(v('valkey', '9.1'), v('redis', '8.6'))).toMatch(/RDB format 80/);
  });
});
