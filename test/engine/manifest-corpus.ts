/**
 * Manifest texts on which YAML readers disagree, for the differential test of the gate's reader
 * against kubectl's (manifest-reader.engine.test.ts): hand-written cases, one per class of input the
 * gate was once fooled by, and a seeded generator that composes documents from the constructs readers
 * differ on (YAML 1.1 scalars, merge keys, anchors, document markers, line breaks, lists) and then
 * mutates their text.
 */

export interface Case {
  id: string;
  /** The file name's extension: kubectl reads .yaml, .yml and .json. */
  ext: 'yaml' | 'json';
  text: string;
}

const pod = (spec: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n${spec}`;

export const handCases: Case[] = [
  // YAML 1.1 booleans: Kubernetes reads them as true.
  { id: 'yes', ext: 'yaml', text: pod('  hostNetwork: yes\n  containers: [{name: c, image: x, securityContext: {privileged: on}}]\n') },
  { id: 'y-key', ext: 'yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  y: n\n  on: off\n' },
  // Unicode line breaks hide a key inside a comment for YAML 1.2 readers, not for go-yaml.
  { id: 'ls', ext: 'yaml', text: pod('  # note\u2028  hostNetwork: true\n  containers: []\n') },
  { id: 'nel', ext: 'yaml', text: pod('  containers: [] # x\u0085  hostPID: true\n') },
  { id: 'ps-doc', ext: 'yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n# \u2029---\u2029apiVersion: v1\u2029kind: Pod\n' },
  // Merge keys: go-yaml merges, and a merged key overwrites one set before the `<<`.
  { id: 'merge', ext: 'yaml', text: 'base: &b {hostNetwork: true}\n---\n' + pod('  <<: {hostNetwork: true, hostIPC: true}\n  containers: []\n') },
  { id: 'merge-order', ext: 'yaml', text: pod('  hostNetwork: false\n  <<: {hostNetwork: true}\n  containers: []\n') },
  { id: 'merge-alias', ext: 'yaml', text: 'apiVersion: v1\nkind: Pod\nmetadata: &m {name: p, labels: {a: b}}\nspec:\n  <<: [{hostPID: true}, {hostPID: false, hostIPC: true}]\n  containers: []\nx:\n  <<: *m\n  name: q\n' },
  { id: 'merge-quoted', ext: 'yaml', text: pod('  "<<": {hostNetwork: true}\n  containers: []\n') },
  // Lists: any kind with items is a list; items without kind and apiVersion take the list's.
  { id: 'deployment-list', ext: 'yaml', text: 'apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata: {name: d}\n  spec: {template: {spec: {hostNetwork: true, containers: []}}}\n' },
  { id: 'any-list', ext: 'yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec: {hostNetwork: true}\n' },
  { id: 'null-items', ext: 'yaml', text: pod('  hostNetwork: true\n') + 'items: ~\n' },
  { id: 'list-json', ext: 'json', text: '{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"hostNetwork":true}}]}' },
  // Document markers.
  { id: 'sep-comment', ext: 'yaml', text: '--- # first\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\t\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n' },
  { id: 'sep-content', ext: 'yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n--- {apiVersion: v1, kind: Pod, metadata: {name: p}}\n' },
  { id: 'end-marker', ext: 'yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n...\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n' },
  { id: 'crlf', ext: 'yaml', text: 'apiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: a}\r\n---\r\napiVersion: v1\r\nkind: Pod\r\nmetadata: {name: p}\r\n' },
  { id: 'cr-only', ext: 'yaml', text: 'apiVersion: v1\rkind: ConfigMap\rmetadata: {name: a}\r---\rapiVersion: v1\rkind: Pod\rmetadata: {name: p}\r' },
  { id: 'cr-in-line', ext: 'yaml', text: pod('  containers: []\r  hostNetwork: true\n') },
  { id: 'empty-compact-item', ext: 'yaml', text: pod('  x:\n  - -\n  - hostNetwork\n  containers: []\n') },
  { id: 'bom', ext: 'yaml', text: '\ufeffapiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n' },
  // Duplicate keys: the later wins.
  { id: 'dup', ext: 'yaml', text: pod('  hostNetwork: false\n  hostNetwork: true\n  containers: []\n') },
  { id: 'dup-spelling', ext: 'yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  true: a\n  yes: b\n  1: c\n  0x1: d\n' },
  // Numbers.
  { id: 'numbers', ext: 'yaml', text: pod('  terminationGracePeriodSeconds: 0777\n  priority: 0x1F\n  x: [0o17, 0b101, -0b11, 1_000, 08, 09.5, 1e3, .5, -.5, +.5, 1., 1:20, 2001-12-14, +12, -0, 9223372036854775807, 1e400, .inf]\n') },
  // Tags.
  { id: 'tags', ext: 'yaml', text: pod('  hostNetwork: !!str yes\n  x: !!int "5"\n  y: !custom z\n') },
  { id: 'json-dup', ext: 'json', text: '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"hostNetwork":false,"hostNetwork":true}}' },
  { id: 'json-two', ext: 'json', text: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}\n{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}' },
  { id: 'yaml-in-json-file', ext: 'json', text: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n' },
  { id: 'no-apiversion', ext: 'yaml', text: 'kind: Pod\nmetadata: {name: p}\n' },
];

/** mulberry32: a small seeded generator, so a failing case can be made again from its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const scalars = [
  'yes', 'no', 'on', 'off', 'y', 'n', 'Y', 'N', 'YES', 'On', 'OFF', 'true', 'False', 'tRUE', '~', 'null', 'NULL', 'Null', '""', "''",
  '0777', '0o17', '0O17', '0x1F', '0X1f', '0b101', '-0b11', '1_000', '08', '09.5', '1e3', '1E3', '.5', '-.5', '+.5', '1.', '-1.5e-3',
  '.inf', '-.Inf', '.nan', '1:20', '12:30:45', '2001-12-14', '2001-12-14T21:59:43.10-05:00', '+12', '-0', '0', '00', '-', '+',
  '9223372036854775807', '9223372036854775808', '-9223372036854775808', '18446744073709551615', '18446744073709551616', '9007199254740993', '1e400', '0x', '._5',
  'plain text', 'with: colon', 'a #not comment', '"double \\t escaped \\u00e9 \\x41"', "'single ''quoted'''", '"yes"', "'on'", '!!str yes', '!!int "7"',
  '!!bool "yes"', '!custom value', '!!binary aGk=', '!!float 1', '*a', '<<', '"<<"', 'x\ty', '>-\n  folded\n  text', '|\n  literal\n  text\n',
  '|+\n  keep\n\n', '[a, yes, 1]', '{k: on, j: 0x10}', '[]', '{}', '@bad', '`tick', '%x', '&a anchored', '- dash', '? q', 'a: b: c',
];
/** Keys and scalars of ordinary manifests, picked more often than the odd ones so that most documents are read. */
const plainKeys = ['name', 'value', 'image', 'hostNetwork', 'privileged', 'runAsNonRoot', 'data', 'port', 'args'];
const plainScalars = ['x', 'true', 'false', '1', '"quoted"', 'redis:7.2', '6379', 'a b c', "'single'", '"yes"'];
const keys = ['name', 'value', 'hostNetwork', 'privileged', 'yes', 'on', 'y', 'n', 'true', 'null', '~', '1', '0x10', '1.5', '1e3', '"1"', "'yes'", '<<', '"<<"', 'items', 'kind', 'apiVersion', 'a b', '? complex', '[k]', ''];
const kinds = ['Pod', 'ConfigMap', 'List', 'PodList', 'DeploymentList', 'Deployment', 'Secret', 'Foo'];
const apiVersions = ['v1', 'apps/v1', '/v1', 'v1 ', 'yes', '1', '~'];

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

function indent(text: string, by: string): string {
  return text.replace(/\n(?=.)/g, `\n${by}`);
}

/** A value in block style at the given indentation (the text after `key:` or `- `). */
function blockValue(rand: () => number, depth: number, pad: string): string {
  const r = rand();
  if (depth > 2 || r < 0.55) {
    const s = rand() < 0.7 ? pick(rand, plainScalars) : pick(rand, scalars);
    return s.includes('\n') ? ` ${indent(s, pad)}` : ` ${s}`;
  }
  if (r < 0.8) return `\n${blockMap(rand, depth + 1, `${pad}  `)}`;
  const items = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => `${pad}-${blockValue(rand, depth + 1, `${pad}  `)}`);
  return `\n${items.join('\n')}`;
}

function blockMap(rand: () => number, depth: number, pad: string): string {
  const lines: string[] = [];
  for (let i = Math.floor(rand() * 4) + 1; i > 0; i--) {
    const key = rand() < 0.92 ? pick(rand, plainKeys) : pick(rand, keys);
    if (key === '<<' && rand() < 0.5) {
      lines.push(`${pad}<<: ${rand() < 0.5 ? '*a' : `{${pick(rand, keys)}: ${pick(rand, ['1', 'yes', 'x', '*a'])}}`}`);
      continue;
    }
    lines.push(`${pad}${key}:${rand() < 0.15 ? ' &a' : ''}${blockValue(rand, depth, pad)}`);
  }
  return lines.join('\n');
}

/** A document that is mostly a Kubernetes object (so that most are read), with odd parts. */
function document(rand: () => number): string {
  const kind = pick(rand, kinds);
  const head = [
    `apiVersion: ${rand() < 0.85 ? 'v1' : pick(rand, apiVersions)}`,
    `kind: ${kind}`,
    `metadata:\n  name: n${Math.floor(rand() * 5)}${rand() < 0.3 ? `\n  labels:\n  ${indent(blockMap(rand, 2, '  '), '  ')}` : ''}`,
  ];
  const body = rand() < 0.3 && kind.endsWith('List')
    ? `items:\n${Array.from({ length: 1 + Math.floor(rand() * 2) }, () => `- ${rand() < 0.5 ? 'apiVersion: v1\n  kind: Pod\n  ' : ''}metadata: {name: i${Math.floor(rand() * 3)}}\n  spec:\n${blockMap(rand, 1, '    ')}`).join('\n')}`
    : `spec:\n${blockMap(rand, 0, '  ')}`;
  const parts = [...head, body];
  if (rand() < 0.2) parts.splice(Math.floor(rand() * parts.length), 0, `# ${pick(rand, ['comment', 'x: y', '---'])}`);
  return parts.join('\n');
}

const separators = ['---', '--- # c', '---  ', '---\t', '...\n---', '--- x', '----', ' ---', '--- |', '---#'];
const mutations: ((text: string, rand: () => number) => string)[] = [
  (t) => t.replaceAll('\n', '\r\n'),
  (t, r) => {
    const at = Math.floor(r() * t.length);
    return t.slice(0, at) + pick(r, ['\u2028', '\u2029', '\u0085', '\r', '\t', ' ', '#', '"', "'", '\u00a0', '\ufeff', '&a ', '*a', ': ', '\n- ', '\n---\n', '\\']) + t.slice(at);
  },
  (t, r) => {
    const lines = t.split('\n');
    const at = Math.floor(r() * lines.length);
    lines[at] = `${lines[at]} # ${pick(r, ['c', 'hostNetwork: true', '\u2028hostNetwork: true'])}`;
    return lines.join('\n');
  },
  (t) => `\ufeff${t}`,
  (t) => `%YAML 1.1\n---\n${t}`,
];

export function generatedCases(seed: number, count: number): Case[] {
  const rand = random(seed);
  const cases: Case[] = [];
  for (let n = 0; n < count; n++) {
    if (rand() < 0.08) {
      // JSON: an object, sometimes with duplicate keys, lists or numbers JSON and JavaScript read differently.
      const value = pick(rand, ['true', '1e3', '0.1', '1.0', '-0', '9007199254740993', '1e400', 'null', '"\\u2028"', '[1, {"items": null}]']);
      const extra = pick(rand, ['', `, "spec": {"x": ${value}}`, `, "spec": {"a": 1, "a": ${value}}`, `, "items": [{"metadata": {"name": "i"}, "x": ${value}}]`]);
      cases.push({ id: `gen#${n}`, ext: 'json', text: `${pick(rand, ['', ' ', '\n', '\ufeff'])}{"apiVersion": "v1", "kind": "${pick(rand, kinds)}", "metadata": {"name": "j"}${extra}}` });
      continue;
    }
    const docs = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => document(rand));
    let text = docs.map((doc, i) => (i === 0 && rand() < 0.7 ? doc : `${rand() < 0.85 ? '---' : pick(rand, separators)}\n${doc}`)).join('\n');
    if (rand() < 0.5) text += '\n';
    for (let m = rand() < 0.5 ? 0 : Math.floor(rand() * 3); m > 0; m--) text = pick(rand, mutations)(text, rand);
    cases.push({ id: `gen#${n}`, ext: 'yaml', text });
  }
  return cases;
}
