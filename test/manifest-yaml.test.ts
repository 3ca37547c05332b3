import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { MANIFEST_YAML_OPTIONS, manifestYaml } from '../src/synth/manifest-yaml.js';
import { random } from './engine/manifest-corpus.js';
import { renderManifests } from './support/render.js';

/** The yaml library's own writing: manifestYaml must give it byte for byte. */
const byLibrary = (value: unknown) => stringify(value, MANIFEST_YAML_OPTIONS);

// Pieces of strings that steer a YAML writer: indicators, what YAML 1.1 reads as another type
// (booleans, nulls, numbers in every base, sexagesimals, timestamps, merge keys), document
// markers, quotes, escapes, line breaks and spaces around them, control and non-ASCII characters
// (Unicode line separators, next-line, an unpaired surrogate), and ordinary words.
const PIECES = [
  'redis', 'app.kubernetes.io/name', 'x', 'A', '6379', '0', '-1', '+1', '1_000', '0x1F', '0o17', '017', '0b101', '1:20', '1:20.5', '3.14', '1e3', '.5', '.inf', '-.Inf', '.NaN',
  'yes', 'No', 'ON', 'off', 'y', 'n', 'true', 'False', 'null', 'Null', '~', '', '<<', '=', '2001-12-14', '2001-12-14t21:59:43.10-05:00',
  ' ', '  ', '\t', '\n', '\n\n', ' \n', '\n ', ':', ': ', ' :', '#', ' #', '# ', '-', '- ', '?', '? ', ',', '[', ']', '{', '}', '&a', '*a', '!tag', '|', '>', "'", '"', '%', '@', '`',
  '---', '...', '--- x', '\\', '\\n', '\r', '\r\n', '\x00', '\x07', '\x1b', '\x7f', '\x85', '\xa0', '\u2028', '\u2029', '\ufeff', 'é', '漢字', '😀', '\ud800',
  'exec redis-server "$@"', '--port 0', 'key: value', 'a b', 'a  b', 'http://x:80/y', '$(VAR)', '${VAR}',
];

function generated(seed: number): unknown {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const text = (): string => Array.from({ length: Math.floor(next() * 4) }, () => pick(PIECES)).join('');
  const scalar = (): unknown => {
    const r = next();
    if (r < 0.6) return text();
    if (r < 0.7) return pick([0, 1, -1, 42, 6379, 2 ** 53 - 1, -(2 ** 53) + 1, 2 ** 60, 1.5, -0.25, 1e21, 1e-7, -0, Number.NaN, Number.POSITIVE_INFINITY]);
    if (r < 0.8) return next() < 0.5;
    if (r < 0.9) return null;
    return next() < 0.5 ? undefined : pick([{}, []]);
  };
  const value = (depth: number): unknown => {
    const r = next();
    if (depth > 4 || r < 0.45) return scalar();
    if (r < 0.75) {
      const map: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 5); i > 0; i--) map[next() < 0.7 ? pick(PIECES.slice(0, 12)) + text() : text()] = value(depth + 1);
      return map;
    }
    return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
  };
  const doc: Record<string, unknown> = { apiVersion: 'v1', kind: 'ConfigMap' };
  for (let i = 1 + Math.floor(next() * 4); i > 0; i--) doc[text() || 'data'] = value(1);
  return doc;
}

describe('manifestYaml: what the yaml library writes, byte for byte', () => {
  it('for every manifest the example deployments render to', async () => {
    const manifests = [...(await renderManifests()).values()];
    expect(manifests.length).toBeGreaterThan(50);
    for (const manifest of manifests) expect(manifestYaml(manifest)).toBe(byLibrary(manifest));
  });

  it('for 5000 generated documents of hostile strings, numbers, nulls and nested collections', () => {
    const differing: number[] = [];
    for (let seed = 1; seed <= 5000; seed++) {
      const doc = generated(seed);
      if (manifestYaml(doc) !== byLibrary(doc)) differing.push(seed);
    }
    // A differing seed is shown with both texts (generated(seed) makes its document again).
    const first = differing[0];
    if (first !== undefined) expect({ seed: first, mine: manifestYaml(generated(first)) }).toEqual({ seed: first, mine: byLibrary(generated(first)) });
    expect(differing).toEqual([]);
  });

  it('for strings at every depth of maps and lists, as keys and as values', () => {
    for (const piece of PIECES) {
      for (const s of [piece, `${piece}x`, `x${piece}`, `x${piece}x`, `${piece}\n${piece}`]) {
        const docs = [{ [s]: s }, { a: { b: [s, { [s]: [s] }] } }, { a: [[s, [s]], { b: { c: s } }] }, { a: [{ b: s, c: [{ d: s }] }] }];
        for (const doc of docs) expect(manifestYaml(doc)).toBe(byLibrary(doc));
      }
    }
  });
});
