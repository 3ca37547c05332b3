import { FAILSAFE_SCHEMA, loadAll, Type } from 'js-yaml';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Document, type Node } from 'yaml';

/**
 * Reads a manifest file's text as kubectl (k8s.io/cli-runtime v0.28) and Argo CD do, or says why the
 * gate cannot be sure it reads it the same way. Their reading, ported here step by step (the engine
 * tier's test/engine/manifest-reader.engine.test.ts compares this with theirs on a fuzzed corpus):
 *
 * 1. k8s.io/apimachinery's YAMLOrJSONDecoder: a text whose first non-space character is `{` is a
 *    stream of JSON values; anything else is cut into documents at lines starting `---` (on `\n`
 *    only; a separator followed by anything but a comment is an error), each document read alone.
 * 2. sigs.k8s.io/yaml over gopkg.in/yaml.v2, a YAML 1.1 reader: `yes`, `on`, `y` are true; `0777` is
 *    octal, `0x1F` hex; merge keys `<<`; the later of two equal keys wins; keys become JSON strings.
 * 3. k8s.io/apimachinery's unstructured decoder: an object with an `items` field is a list, whatever
 *    its kind, and its items without kind and apiVersion take the list's (`kind: DeploymentList`
 *    holds Deployments); kubectl applies each item.
 *
 * What these readers do that the gate does not model is refused (UnreadableError), never guessed:
 * Unicode line breaks (NEL, U+2028, U+2029) and a carriage return alone (go-yaml breaks lines there,
 * the document splitter and YAML 1.2 readers do not), YAML tags but `!!str`, text after a document end marker, keys that are not strings, integers
 * or booleans, numbers a JavaScript number cannot hold exactly, invalid UTF-8.
 */
export class UnreadableError extends Error {}

/** A document of a manifest: its JSON value, its number in the file (from 1) and the line it starts on. */
export interface KubeDocument {
  value: unknown;
  index: number;
  line: number;
}

/** The documents of a manifest text, each a JSON value as kubectl decodes it (null documents left out). */
export function kubernetesDocuments(text: string): KubeDocument[] {
  const odd = /[\u0085\u2028\u2029]|\r(?!\n)/.exec(text);
  if (odd) {
    const what = odd[0] === '\r' ? 'a carriage return not followed by a line feed' : `a Unicode line break (U+${odd[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`;
    throw new UnreadableError(
      `line ${lineAt(text, odd.index)}: ${what}: Kubernetes' YAML reader breaks lines there and its document splitter does not, so what it applies cannot be read reliably; replace it`,
    );
  }
  if (jsonStream(text)) return jsonDocuments(text);
  const documents: KubeDocument[] = [];
  for (const [i, chunk] of yamlChunks(text).entries()) {
    let value: unknown;
    try {
      value = quickValue(chunk.text) ?? preciseValue(chunk.text, chunk.line);
    } catch (error) {
      // A syntax error names its own line and column.
      if (error instanceof UnreadableError && !error.message.startsWith('invalid YAML')) throw new UnreadableError(`document ${i + 1} (line ${chunk.line}): ${error.message}`);
      throw error;
    }
    if (value !== null) documents.push({ value, index: i + 1, line: chunk.line });
  }
  return documents;
}

// Go's unicode.IsSpace: what YAMLOrJSONDecoder skips before looking for `{`.
const goSpace = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*/;

function jsonStream(text: string): boolean {
  return text[goSpace.exec(text)![0].length] === '{';
}

/** A JSON text: one object (kubectl reads a stream of them; the gate refuses more than one). */
function jsonDocuments(text: string): KubeDocument[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UnreadableError(`invalid JSON (the gate reads one JSON object per .json file): ${(error as Error).message}`);
  }
  checkNumbers(value, 1);
  return [{ value, index: 1, line: 1 }];
}

/**
 * How deep the gate reads a JSON document. Go's encoding/json (sigs.k8s.io/json, what the API server and
 * kubectl decode with) stops at 10,000 levels ("exceeded max depth"); the gate's own walks (schema,
 * policy input) stop short of that, and no manifest comes near either: deeper is refused, not crashed
 * on. (A YAML document's parser stops at a few hundred levels, also with exit 2.)
 */
const MAX_JSON_DEPTH = 1_000;

function checkNumbers(document: unknown, line: number): void {
  // A stack of its own, not recursion: a document nested thousands of levels deep must get an answer, not a stack overflow.
  const pending: [value: unknown, depth: number][] = [[document, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, depth] = next;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new UnreadableError(`document at line ${line}: a number JSON cannot hold (Kubernetes refuses it)`);
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) throw new UnreadableError(`document at line ${line}: the integer ${value} is beyond what the gate reads exactly (2^53)`);
    } else if (typeof value === 'object' && value !== null) {
      if (depth > MAX_JSON_DEPTH) throw new UnreadableError(`document at line ${line}: nested more than ${MAX_JSON_DEPTH} levels deep, more than the gate reads (Kubernetes stops at 10,000; no manifest comes near)`);
      for (const item of Array.isArray(value) ? value : Object.values(value)) pending.push([item, depth + 1]);
    }
  }
}

/** apimachinery's YAMLReader: documents separated by lines that start with `---`. */
export function yamlChunks(text: string): { text: string; line: number }[] {
  const chunks: { text: string; line: number }[] = [];
  // Only the lines that start with --- matter; the text between them is taken whole.
  let start = 0; // where the current chunk starts
  let startLine = 1;
  let line = 1; // the line number of `at`
  let lineAt = 0; // where counting lines got to
  for (let at = text.startsWith('---') ? 0 : text.indexOf('\n---'); at !== -1; at = text.indexOf('\n---', at + 1)) {
    const begin = at === 0 && text.startsWith('---') ? 0 : at + 1;
    for (let i = text.indexOf('\n', lineAt); i !== -1 && i < begin; i = text.indexOf('\n', i + 1)) line++;
    lineAt = begin;
    const end = text.indexOf('\n', begin);
    const separator = text.slice(begin, end === -1 ? text.length : end);
    const rest = separator.slice(3).trim();
    if (rest !== '' && !rest.startsWith('#')) {
      throw new UnreadableError(`line ${line}: "${separator.trimEnd()}": Kubernetes refuses anything but a comment after a document separator`);
    }
    if (begin > start) {
      chunks.push({ text: text.slice(start, begin), line: startLine });
      // The separator line ends this chunk and is dropped; the next starts after it.
      start = end === -1 ? text.length : end + 1;
      startLine = line + 1;
    }
    // A separator that starts the text (or follows one) opens the chunk, as the reader keeps it.
  }
  if (start < text.length) chunks.push({ text: text.slice(start), line: startLine });
  return chunks;
}

// gopkg.in/yaml.v2's resolve(): how a plain (unquoted, untagged) scalar is typed.
const goYamlMap = new Map<string, unknown>([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((s) => [s, true] as const),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((s) => [s, false] as const),
  ...['', '~', 'null', 'Null', 'NULL'].map((s) => [s, null] as const),
  ...['.nan', '.NaN', '.NAN'].map((s) => [s, Number.NaN] as const),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((s) => [s, Number.POSITIVE_INFINITY] as const),
  ...['-.inf', '-.Inf', '-.INF'].map((s) => [s, Number.NEGATIVE_INFINITY] as const),
]);
const yamlStyleFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const goParseFloatDot = /^\.[0-9]+([eE][-+]?[0-9]+)?$/;

type Resolved = { tag: 'null' | 'bool' | 'str'; value: unknown } | { tag: 'int' | 'float'; value: number };

/** The value and type gopkg.in/yaml.v2 gives a plain scalar. */
export function resolvePlain(text: string): Resolved {
  const first = text[0] ?? '';
  const hint = text === '' ? 'N' : /[-+0-9]/.test(first) ? 'D' : 'yYnNtTfFoO~'.includes(first) ? 'M' : first === '.' ? '.' : '';
  if (!hint) return { tag: 'str', value: text };
  if (goYamlMap.has(text)) {
    const value = goYamlMap.get(text);
    return value === null ? { tag: 'null', value } : typeof value === 'boolean' ? { tag: 'bool', value } : { tag: 'float', value: value as number };
  }
  if (hint === '.') {
    if (goParseFloatDot.test(text)) {
      const value = Number(text);
      if (Number.isFinite(value)) return { tag: 'float', value };
    }
  } else if (hint === 'D') {
    const plain = text.replaceAll('_', '');
    const int = goParseInt(plain);
    if (int !== undefined) return { tag: 'int', value: safe(int, text) };
    if (yamlStyleFloat.test(plain)) {
      const value = Number(plain);
      if (Number.isFinite(value)) return { tag: 'float', value };
    }
  }
  return { tag: 'str', value: text };
}

function safe(int: bigint, text: string): number {
  if (int > BigInt(Number.MAX_SAFE_INTEGER) || int < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new UnreadableError(`the integer ${text} is beyond what the gate reads exactly (2^53)`);
  }
  return Number(int);
}

/** Go's strconv.ParseInt(s, 0, 64), and ParseUint(s, 0, 64) when that fails; undefined on error. */
function goParseInt(s: string): bigint | undefined {
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const [, sign, digits] = m as unknown as [string, string, string];
  const body = /^0[0-7]/.test(digits) ? `0o${digits.slice(1)}` : digits;
  const magnitude = BigInt(body.replace(/^0([XOB])/, (_, p: string) => `0${p.toLowerCase()}`));
  const value = sign === '-' ? -magnitude : magnitude;
  if (value >= -(2n ** 63n) && value < 2n ** 63n) return value;
  if (sign === '' && value < 2n ** 64n) return value; // ParseUint
  return undefined;
}

/** js-yaml's types for gopkg.in/yaml.v2's plain scalars (js-yaml resolves implicit types of plain scalars only). */
const goPlainTypes = (['bool', 'int', 'float'] as const).map(
  (tag) =>
    new Type(`tag:yaml.org,2002:${tag}`, {
      kind: 'scalar',
      resolve: (data: string | null) => data !== null && (data === '' || hinted[data.charCodeAt(0)] === 1) && lastResolved(data).tag === tag,
      construct: (data: string | null) => (data === null ? null : lastResolved(data).value),
    }),
);

// The first characters of the scalars go-yaml may type (its resolveTable): any other is a string.
const hinted = new Uint8Array(128);
for (const c of '+-0123456789yYnNtTfFoO~.') hinted[c.charCodeAt(0)] = 1;

// js-yaml asks each type in turn about the same scalar, then constructs it: resolve it once.
let last: { text: string; resolved: Resolved } = { text: '', resolved: { tag: 'null', value: null } };
function lastResolved(text: string): Resolved {
  if (last.text !== text) last = { text, resolved: resolvePlain(text) };
  return last.resolved;
}
// js-yaml resolves an empty plain scalar through the null type with data null.
const goNull = new Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (data: string | null) => data === null || data === '' || (hinted[data.charCodeAt(0)] === 1 && lastResolved(data).tag === 'null'),
  construct: () => null,
});
const goSchema = FAILSAFE_SCHEMA.extend({ implicit: [goNull, ...goPlainTypes] });

const emptyCompactItem = /^[ \t]*(?:-[ \t]+)+-[ \t]*\r?$/m;

/**
 * One document read fast with js-yaml, or undefined when the precise reader must read it: anything
 * with anchors, merge keys, tags it does not know, several documents, duplicate keys, keys that are not plain words,
 * or numbers out of range.
 */
function quickValue(text: string): unknown {
  // js-yaml reads an empty item of a compact nested sequence (`- -` ending a line) into the wrong list.
  if (text.includes('<<') || (/-[ \t]+-/.test(text) && emptyCompactItem.test(text))) return undefined;
  let anchored = false;
  let docs: unknown[];
  try {
    docs = loadAll(text, undefined, {
      schema: goSchema,
      listener: (event, state) => {
        if (event === 'close' && typeof (state as { anchor?: unknown }).anchor === 'string') anchored = true;
      },
    });
  } catch {
    return undefined;
  }
  if (anchored || docs.length > 1) return undefined;
  const value = docs[0] ?? null;
  return plainTree(value) ? value : undefined;
}

/** No number out of range and no key that might have been a number or null in the YAML. */
function plainTree(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && (!Number.isInteger(value) || Number.isSafeInteger(value));
  if (Array.isArray(value)) return value.every(plainTree);
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (/^[-+.0-9~]|^(null|Null|NULL)$|^$/.test(key) || !plainTree(item)) return false;
    }
  }
  return true;
}

/** Nodes and aliases expanded per document before the gate refuses it (the "billion laughs" attack). */
const MAX_NODES = 1_000_000;
const MAX_ALIASES = 10_000;

/** One document read with the yaml library's syntax tree and gopkg.in/yaml.v2's semantics. */
function preciseValue(text: string, firstLine: number): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocumentsOf(text, lineCounter, firstLine);
  if (!doc) return null;
  let nodes = 0;
  let aliases = 0;
  const where = (node: Node | null | undefined) => `line ${lineCounter.linePos(node?.range?.[0] ?? 0).line + firstLine - 1}`;
  const convert = (node: Node | null | undefined, depth: number): unknown => {
    if (++nodes > MAX_NODES || depth > 1000) throw new UnreadableError(`Excessive alias count: the document expands past ${MAX_NODES} nodes (at ${where(node)})`);
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      if (++aliases > MAX_ALIASES) throw new UnreadableError(`Excessive alias count: more than ${MAX_ALIASES} aliases expanded (at ${where(node)})`);
      return convert(node.resolve(doc) as Node | undefined, depth + 1);
    }
    if (node.tag !== undefined && node.tag !== 'tag:yaml.org,2002:str' && node.tag !== '!!str') {
      throw new UnreadableError(`${where(node)}: the YAML tag ${node.tag}: the gate reads untagged YAML (and !!str) only`);
    }
    if (isScalar(node)) return scalarValue(node, where);
    if (isSeq(node)) return node.items.map((item) => convert(item as Node, depth + 1));
    if (isMap(node)) {
      const object: Record<string, unknown> = {};
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        if (isScalar(key) && key.type === 'PLAIN' && key.value === '<<' && key.tag === undefined) {
          merge(object, pair.value as Node | null, depth);
          continue;
        }
        Object.defineProperty(object, keyString(key, where, (n) => convert(n, depth + 1)), { value: convert(pair.value as Node, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return object;
    }
    throw new UnreadableError(`${where(node)}: a YAML node the gate does not read`);
  };
  // gopkg.in/yaml.v2 merges into the map as it goes: a merged key overwrites one set before the `<<`.
  const merge = (object: Record<string, unknown>, node: Node | null, depth: number) => {
    const target = isAlias(node) ? (node.resolve(doc) as Node | undefined) : node;
    const maps = isSeq(target) && !isAlias(node) ? [...target.items].reverse() : [node];
    for (const item of maps) {
      const value = convert(item as Node, depth + 1);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UnreadableError(`${where(node)}: a merge key << whose value is not a mapping`);
      for (const [k, v] of Object.entries(value)) Object.defineProperty(object, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  };
  const value = convert(doc.contents as Node | null, 0);
  checkNumbers(value, firstLine);
  return value;
}

function parseDocumentsOf(text: string, lineCounter: LineCounter, firstLine: number): Document | undefined {
  // parseDocument keeps the first document and reports more as an error, as go-yaml reads only the first.
  const doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: false, lineCounter, strict: true, prettyErrors: false });
  const [error] = doc.errors;
  if (error) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    // The YAML parser recurses: a document nested some hundreds of levels deep ends its stack.
    const why = /Maximum call stack size exceeded/.test(error.message) ? 'nested deeper than the gate reads (no manifest comes near)' : error.message.split('\n')[0];
    throw new UnreadableError(`invalid YAML at line ${line + firstLine - 1}, column ${col}: ${why}`);
  }
  return doc.contents === null ? undefined : doc;
}

function scalarValue(node: Scalar, where: (node: Node) => string): unknown {
  const text = node.value as string | null;
  if (node.type !== 'PLAIN' || node.tag !== undefined) return text ?? '';
  const resolved = resolvePlain(text ?? '');
  if (resolved.tag === 'float' && !Number.isFinite(resolved.value)) throw new UnreadableError(`${where(node)}: ${text}: a number JSON cannot hold (Kubernetes refuses it)`);
  return resolved.value;
}

/** sigs.k8s.io/yaml's JSON key of a mapping key: strings, integers and booleans; the gate refuses the others. */
function keyString(key: Node | null, where: (node: Node) => string, convert: (node: Node) => unknown): string {
  if (isScalar(key) || isAlias(key)) {
    const value = convert(key);
    const resolved = isScalar(key) && key.type === 'PLAIN' && key.tag === undefined ? resolvePlain((key.value as string | null) ?? '') : undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'boolean') return String(value);
    if (typeof value === 'number' && resolved?.tag === 'int') return String(value);
  }
  throw new UnreadableError(`${key ? where(key) : 'a mapping'}: a mapping key that is not a string, an integer or a boolean (Kubernetes' YAML reader refuses or rewrites it)`);
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
