import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from './support/repo.js';

/**
 * The rooms of the code and which rooms each may import from. Data flows one way: the model at the
 * bottom (pure facts, no imports), the inputs, the pure renderers, the cdk8s charts, then what
 * reads and writes files (secrets, synth, gate, drill), and the commands on top. A fact a lower room
 * needs from a higher one belongs in the model.
 */
const rooms: { room: string; paths: string[]; mayImport: string[] }[] = [
  { room: 'model', paths: ['model/'], mayImport: [] },
  { room: 'base', paths: ['src/paths.ts', 'src/version.ts', 'src/quick-yaml.ts', 'src/io.ts', 'src/code-fingerprint.ts', 'src/progress.ts', 'src/workers/'], mayImport: ['model'] },
  { room: 'config', paths: ['src/config/'], mayImport: ['model', 'base'] },
  // Pure renderers of configuration files: no cdk8s, so secrets and the drill can use them cheaply.
  { room: 'render', paths: ['charts/config/'], mayImport: ['model'] },
  { room: 'charts', paths: ['charts/'], mayImport: ['model', 'config', 'render'] },
  // Computing and sealing secrets must not load cdk8s.
  { room: 'secrets', paths: ['src/secrets/'], mayImport: ['model', 'base', 'config', 'render'] },
  { room: 'gate', paths: ['src/gate/'], mayImport: ['model', 'base', 'config'] },
  { room: 'synth', paths: ['src/synth/'], mayImport: ['model', 'base', 'config', 'render', 'charts', 'secrets'] },
  { room: 'drill', paths: ['src/drill/'], mayImport: ['model', 'base', 'config', 'render', 'charts', 'secrets', 'synth'] },
  { room: 'commands', paths: ['src/commands/', 'src/cli.ts'], mayImport: ['model', 'base', 'config', 'render', 'charts', 'secrets', 'gate', 'synth', 'drill'] },
];

function roomOf(file: string): string | undefined {
  // The longest matching path wins: charts/config/ before charts/.
  let best: { room: string; length: number } | undefined;
  for (const r of rooms) {
    for (const p of r.paths) {
      if ((file === p || file.startsWith(p)) && (!best || p.length > best.length)) best = { room: r.room, length: p.length };
    }
  }
  return best?.room;
}

function sourceFiles(): string[] {
  return ['model', 'charts', 'src'].flatMap((dir) =>
    (readdirSync(path.join(projectRoot, dir), { recursive: true }) as string[]).filter((f) => /\.(ts|mts|mjs)$/.test(f)).map((f) => `${dir}/${f}`),
  );
}

/** Relative imports of a file (static, re-exports and dynamic), as project paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(projectRoot, file), 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'(\.[^']+)'/gm)].map((m) => m[1]!);
  return specs.map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(file), s)).replace(/\.js$/, '.ts'));
}

/** The imports of `file` that its room may not make. */
function offences(file: string, imports: string[]): string[] {
  const from = roomOf(file)!;
  const allowed = new Set([from, ...rooms.find((r) => r.room === from)!.mayImport]);
  return imports.flatMap((target) => {
    const to = roomOf(target);
    return to && !allowed.has(to) ? [`${file} (${from}) imports ${target} (${to})`] : [];
  });
}

describe('layering', () => {
  it('every source file lives in a room', () => {
    expect(sourceFiles().filter((f) => !roomOf(f))).toEqual([]);
  });

  it('no room imports from a room above it', () => {
    expect(sourceFiles().flatMap((file) => offences(file, importsOf(file)))).toEqual([]);
  });

  it('the model imports nothing, not even a package: it is facts and pure functions', () => {
    const offences = sourceFiles()
      .filter((f) => roomOf(f) === 'model')
      .flatMap((f) => [...readFileSync(path.join(projectRoot, f), 'utf8').matchAll(/\bfrom\s+'([^.][^']*)'/g)].map((m) => `${f} imports ${m[1]}`));
    expect(offences).toEqual([]);
  });

  it('can fail: an import from a higher room is reported', () => {
    expect(offences('charts/config/acl.ts', ['charts/sentinel-cluster.ts'])).toEqual(['charts/config/acl.ts (render) imports charts/sentinel-cluster.ts (charts)']);
    expect(offences('src/secrets/resolve.ts', ['charts/deployment-chart.ts'])).toHaveLength(1);
    expect(offences('src/secrets/resolve.ts', ['model/users.ts', 'charts/config/acl.ts'])).toEqual([]);
  });
});
