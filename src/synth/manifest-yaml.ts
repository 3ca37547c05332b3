import { Document, stringify } from 'yaml';

/**
 * How manifests are written. No directives: a manifest has none to write. No aliases: an object
 * cdk8s hands over twice is written twice, not as an anchor and an alias (which the gate's fast
 * reader leaves to its slow one). YAML 1.1: Argo CD and kubectl read manifests with
 * sigs.k8s.io/yaml (YAML 1.1), where an unquoted off, on, yes or no is a boolean, so the string
 * "off" (rclone's filename_encryption) written by a 1.2 writer reached the API server as false.
 */
export const MANIFEST_YAML_OPTIONS = { lineWidth: 0, version: '1.1', directives: false, aliasDuplicateObjects: false } as const;

/**
 * `stringify(manifest, MANIFEST_YAML_OPTIONS)` of the yaml library, byte for byte, about 4x as fast.
 *
 * Why: writing YAML was half of rendering a deployment (BENCHMARKS.md, cold synth), most of it the
 * library building a node for every value and walking options meant for documents that carry
 * comments, anchors and flow collections, none of which a manifest has. This writes the block layout
 * the library writes for plain JSON values, and decides each one-line string exactly as the library's
 * stringifyString does (its tests for plain scalars, and the YAML 1.1 schema's own tag tests for what
 * must be quoted). Anything else is handed to the library: a string holding a line break or a
 * character the library escapes is rendered by it at the same indentation, and a document holding a
 * value of any other kind (a float, a Date, undefined in a list...) is rendered by it whole.
 * test/manifest-yaml.test.ts holds it to the library's output on every generated manifest and on
 * generated documents of hostile strings.
 */
export function manifestYaml(manifest: unknown): string {
  if (!isPlainObject(manifest) || Object.keys(manifest).length === 0) return stringify(manifest, MANIFEST_YAML_OPTIONS);
  try {
    return `${mapBody(manifest, '')}\n`;
  } catch (error) {
    if (error !== UNSUPPORTED) throw error;
    return stringify(manifest, MANIFEST_YAML_OPTIONS);
  }
}

/** Thrown (and caught by manifestYaml) where a value is not one this writer renders itself. */
const UNSUPPORTED = Symbol('unsupported by the fast writer');

/** Indentation step: the library's default `indent: 2`. */
const STEP = '  ';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

/** The pairs of a non-empty map whose items sit at `indent`, joined as stringifyBlockCollection joins them. */
function mapBody(map: Record<string, unknown>, indent: string): string {
  const valueIndent = indent + STEP;
  let out = '';
  let first = true;
  for (const key in map) {
    if (!Object.prototype.hasOwnProperty.call(map, key)) continue;
    const value = map[key];
    // The library leaves out a pair whose value is undefined (keepUndefined: false).
    if (value === undefined) continue;
    const pair = `${keyScalar(key)}:${afterIndicator(value, valueIndent, true)}`;
    out += first ? pair : `\n${indent}${pair}`;
    first = false;
  }
  if (first) throw UNSUPPORTED; // every value undefined: left to the library
  return out;
}

/** The items of a non-empty list; `indent` is the list's own (its items' values sit one step in). */
function seqBody(seq: unknown[], indent: string): string {
  const itemIndent = indent + STEP;
  let out = '';
  for (let i = 0; i < seq.length; i++) {
    // Holes and undefined become nulls in the library: not worth copying.
    if (!(i in seq) || seq[i] === undefined) throw UNSUPPORTED;
    const item = `-${afterIndicator(seq[i], itemIndent, false)}`;
    out += i === 0 ? item : `\n${indent}${item}`;
  }
  return out;
}

/**
 * What follows `key:` or `-`: a space and a scalar or an empty collection, or a non-empty collection.
 * `indent` is the value's (ctx.indent in the library). A map's collection value starts on the next
 * line (`newLine`), a list item's on the dash's line.
 */
function afterIndicator(value: unknown, indent: string, newLine: boolean): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return ' []';
    return newLine ? `\n${indent}${seqBody(value, indent)}` : ` ${seqBody(value, indent)}`;
  }
  if (isPlainObject(value)) {
    if (Object.keys(value).length === 0) return ' {}';
    return newLine ? `\n${indent}${mapBody(value, indent)}` : ` ${mapBody(value, indent)}`;
  }
  return ` ${scalar(value, indent)}`;
}

function scalar(value: unknown, indent: string): string {
  switch (typeof value) {
    case 'string':
      return stringValue(value, indent);
    case 'number':
      // The YAML 1.1 int tag writes an integer with toString(10); floats take other paths.
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) return String(value);
      throw UNSUPPORTED;
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      if (value === null) return 'null';
      throw UNSUPPORTED;
  }
}

// From the yaml library's stringifyString (2.x): the characters that force double quotes, what a
// plain scalar may not hold, and the document markers a plain scalar may not start a line with.
const FORCE_DOUBLE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;

/**
 * From the library's YAML 1.1 schema: the tests of the tags that would read a plain scalar as
 * something other than a string (such a string is quoted), and the tags other than the string tag
 * that claim a string when writing (the merge key `<<`: written by that tag, left to the library).
 */
const { OTHER_TAGS, CLAIMING_TAGS } = (() => {
  const { schema } = new Document(null, { version: '1.1' });
  const tags = [...schema.tags, ...((schema as { compat?: typeof schema.tags }).compat ?? [])].filter((t) => t.tag !== 'tag:yaml.org,2002:str');
  return { OTHER_TAGS: tags.filter((t) => t.default && t.test).map((t) => t.test!), CLAIMING_TAGS: tags.filter((t) => t.identify) };
})();

/** Keys longer than this become explicit keys (`? key`) in the library. */
const MAX_IMPLICIT_KEY = 1024;

function keyScalar(key: string): string {
  if (key.includes('\n') || FORCE_DOUBLE.test(key)) throw UNSUPPORTED;
  const text = oneLine(key);
  if (text.length > MAX_IMPLICIT_KEY) throw UNSUPPORTED;
  return text;
}

function stringValue(value: string, indent: string): string {
  if (value.includes('\n') || FORCE_DOUBLE.test(value)) return byLibrary(value, indent);
  return oneLine(value);
}

/**
 * What oneLine gave for each short string seen (keys and many values repeat across manifests);
 * emptied when full. Longer ones (sealed values, checksums: each seen once) are decided each time:
 * remembering them cost more (hashing, and keeping them alive) than deciding again.
 */
const decided = new Map<string, string | typeof UNSUPPORTED>();
const DECIDED_MAX = 50_000;
const DECIDED_MAX_LENGTH = 48;

/** A string without line breaks or forced escapes, as plainString and quotedString write it (keys and values alike). */
function oneLine(value: string): string {
  let text = value.length > DECIDED_MAX_LENGTH ? undefined : decided.get(value);
  if (text === undefined) {
    text = decide(value);
    if (value.length <= DECIDED_MAX_LENGTH) {
      if (decided.size >= DECIDED_MAX) decided.clear();
      decided.set(value, text);
    }
  }
  if (text === UNSUPPORTED) throw UNSUPPORTED;
  return text;
}

function decide(value: string): string | typeof UNSUPPORTED {
  if (CLAIMING_TAGS.some((tag) => tag.identify!(value))) return UNSUPPORTED;
  if (NOT_PLAIN.test(value) || OTHER_TAGS.some((test) => test.test(value))) return quoted(value);
  // A line break is excluded before, so a document marker can only be at the start; the library
  // quotes it only at the root or in a first-level key, and otherwise writes it plain.
  if (DOCUMENT_MARKER.test(value)) return UNSUPPORTED;
  return value;
}

/** quotedString with singleQuote unset: single quotes for a string holding only double ones, else double. */
function quoted(value: string): string {
  if (value.includes('"') && !value.includes("'")) return `'${value}'`;
  // doubleQuotedString rewrites only JSON's \u escapes and \n, of characters excluded before this.
  return JSON.stringify(value);
}

/**
 * The library's own rendering of a string at `indent` (a block scalar, or quotes with escapes): it
 * writes the string as the value of a map nested so that the value sits at the same indentation,
 * and takes the text after the known prefix.
 */
function byLibrary(value: string, indent: string): string {
  const depth = indent.length / STEP.length;
  let wrapped: unknown = value;
  let prefix = '';
  for (let i = 0; i < depth; i++) wrapped = { k: wrapped };
  for (let i = 0; i < depth; i++) prefix += i === depth - 1 ? `${STEP.repeat(i)}k: ` : `${STEP.repeat(i)}k:\n`;
  const text = stringify(wrapped, MANIFEST_YAML_OPTIONS);
  if (!text.startsWith(prefix) || !text.endsWith('\n')) throw new Error(`manifest-yaml: the library wrote an unexpected layout for ${JSON.stringify(value.slice(0, 40))}`);
  return text.slice(prefix.length, -1);
}
