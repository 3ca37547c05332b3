import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';
import { threadId } from 'node:worker_threads';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { fromRoot } from '../paths.js';
import { apiServerFindings, apiServerRules, goQuote, type ApiServerFinding } from './apiserver-validation.js';
import type { SourcedObject } from './documents.js';
import { duplicateRules } from './duplicates.js';
import type { RuleInfo, Violation } from './policy.js';


/** Vendored by scripts/refresh-schemas.mjs from the Kubernetes OpenAPI spec and the projects' CRDs. */
export const SCHEMAS = fromRoot('schemas/kubernetes');

export const schemaRules: Record<string, RuleInfo> = {
  'schema.unknown_field': {
    title: 'Every field exists in the API',
    description:
      'The object has a field its kind does not define (Kubernetes 1.28, or the CRD of the kind at the pinned version): ' +
      'a misspelled field is silently dropped by a lenient API server, so the setting never takes effect.',
    severity: 'error',
    remediation: 'Fix the spelling or remove the field; see the kind\'s API reference.',
  },
  'schema.invalid': {
    title: 'Every field has the type and value its kind allows',
    description: 'A field has the wrong type, a value outside its allowed set, or a required field is missing.',
    severity: 'error',
    remediation: 'Give the field a value of the type the kind\'s schema requires.',
  },
  ...apiServerRules,
  ...duplicateRules,
};

/**
 * Strict, offline validation of objects whose kind has a vendored schema; other kinds (a stranger's
 * CRDs) are left to the policies. Validators are compiled once per kind, on first use. Every object,
 * with a schema or not, is also held to what the API server checks beyond the schemas
 * (apiserver-validation.ts).
 */
export function schemaChecker(): (entry: SourcedObject) => Violation[] {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, code: { regExp: goRegExp, source: true } });
  const compiled = new Map<string, ValidateFunction | undefined>();
  const validatorOf = (apiVersion: string, kind: string) => {
    const key = `${apiVersion}/${kind}`;
    if (!compiled.has(key)) {
      const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
      const file = path.join(SCHEMAS, `${group}_${version}_${kind}.json`);
      compiled.set(key, existsSync(file) ? cachedValidator(ajv, readFileSync(file, 'utf8')) : undefined);
    }
    return compiled.get(key);
  };
  return (entry) => {
    const object = withoutNulls(entry.object);
    const resource = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      namespace: object.metadata?.namespace ?? '',
      name: object.metadata?.name ?? '',
    };
    const violation = (rule: string, message: string): Violation => ({ rule, severity: 'error', title: schemaRules[rule]!.title, message, resource, file: entry.file });
    // What the API server refuses beyond its schemas applies to every kind, schema or not.
    const refused = apiServerFindings(object).map((f) => violation(f.rule, apiServerMessage(object.kind, f)));
    const validate = validatorOf(object.apiVersion, object.kind);
    if (!validate) return refused;
    const valid: boolean = validate(object);
    afterFirstUse.get(validate)?.();
    afterFirstUse.delete(validate);
    if (valid) return refused;
    const invalid = relevant(validate.errors ?? []).map((e) => violation(e.keyword === 'additionalProperties' ? 'schema.unknown_field' : 'schema.invalid', describe(e)));
    return [...invalid, ...refused];
  };
}

/**
 * The object as the API server decodes it: a field whose value is null is absent (Go's JSON decoding
 * leaves it unset; for custom resources, structural schemas prune it). Charts write `annotations:`
 * with nothing after it, or `nodePort: null`; these are no mistakes. Nulls in lists stay: an item
 * that is null is a zero value the API server refuses. The object itself when it has no null field.
 */
export function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) {
    const items = value.map(withoutNulls);
    return (items.some((item, i) => item !== value[i]) ? items : value) as T;
  }
  if (typeof value !== 'object' || value === null) return value;
  let changed = false;
  const kept: [string, unknown][] = [];
  for (const [key, item] of Object.entries(value)) {
    if (item === null) {
      changed = true;
      continue;
    }
    const stripped = withoutNulls(item);
    if (stripped !== item) changed = true;
    kept.push([key, stripped]);
  }
  // fromEntries defines each key, __proto__ included, as a plain property.
  return (changed ? Object.fromEntries(kept) : value) as T;
}

/**
 * The API server's own words, and, when what it refuses is not the object but the pods its
 * controller creates, which pod: otherwise the object would seem to be refused when it syncs fine.
 */
function apiServerMessage(kind: string, f: ApiServerFinding): string {
  const refusal =
    f.pod !== undefined
      ? `the API server will refuse the pods the ${kind} controller creates: Pod ${goQuote(f.pod)} is invalid: ${f.message}`
      : f.job !== undefined
        ? `the API server will refuse the Jobs the ${kind} controller creates from spec.jobTemplate: Job.batch ${goQuote(f.job)} is invalid: ${f.message}`
        : f.message;
  return f.note ? `${refusal} (${f.note})` : refusal;
}

/** Compiled validators as JavaScript, reused by later runs: compiling the schemas took half of a small gate. */
const VALIDATOR_CACHE = fromRoot('node_modules/.cache/redis-gitops/validators');
const requireValidator = createRequire(fromRoot('package.json'));
const ajvVersion = (requireValidator('ajv/package.json') as { version: string }).version;
const standaloneCode = (requireValidator('ajv/dist/standalone') as { default: (ajv: Ajv, validate: ValidateFunction) => string }).default;

/**
 * The validator of a schema, loaded from the cache when an earlier run compiled it, else compiled and
 * stored as Ajv standalone code (its patterns made by goPattern). Any trouble with the cache falls
 * back to compiling.
 */
function cachedValidator(ajv: Ajv, schemaText: string): ValidateFunction {
  const compile = () => ajv.compile(JSON.parse(schemaText));
  const file = validatorCacheFile(schemaText);
  try {
    if (existsSync(file)) return loadValidator(file);
  } catch {
    rmSync(file, { force: true });
  }
  const validate = compile();
  try {
    mkdirSync(VALIDATOR_CACHE, { recursive: true });
    writeWhole(file, standaloneCode(ajv, validate));
  } catch {
    // A read-only installation: compile every time.
  }
  return validate;
}

/** Where the validator of a schema is cached (as Ajv standalone code; V8's code cache of it adds `.v8`). */
export function validatorCacheFile(schemaText: string): string {
  return path.join(VALIDATOR_CACHE, `${createHash('sha256').update(`${ajvVersion}\n${goRegExp.code}\n${schemaText}`).digest('hex')}.cjs`);
}

/** What to do once a validator has validated its first object: store V8's code cache of it. */
const afterFirstUse = new Map<ValidateFunction, () => void>();

/**
 * Loads a cached validator as CommonJS, with V8's code cache of it (`<file>.v8`) where an earlier run
 * wrote one that this V8 accepts: the validators are large (0.7 MB for a StatefulSet), and parsing
 * them and compiling the functions a first validation runs took half of a small gate. The code cache
 * is written after the first validation, so that it holds those functions too.
 */
function loadValidator(file: string): ValidateFunction {
  const codeCache = `${file}.v8`;
  const cachedData = existsSync(codeCache) ? readFileSync(codeCache) : undefined;
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`;
  const script = new Script(source, { filename: file, cachedData });
  const module = { exports: {} as ValidateFunction };
  script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file));
  if (!cachedData || script.cachedDataRejected) {
    afterFirstUse.set(module.exports, () => {
      try {
        writeWhole(codeCache, script.createCachedData());
      } catch {
        // Read-only: the validator still works, only without the cache.
      }
    });
  }
  return module.exports;
}

/** Writes a file whole or not at all: other processes and threads may read or write it at once. */
function writeWhole(file: string, content: string | Buffer): void {
  const temporary = `${file}.${process.pid}-${threadId}`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
}

/**
 * CRD patterns are Go (RE2) regular expressions: translate the inline flag `(?i)` JavaScript lacks;
 * a pattern JavaScript still cannot compile is not checked rather than failing the gate.
 */
function goPattern(source: string, flags: string): RegExp {
  // `(?i)` first, or right after `^` (prometheus-operator writes `^(?i)(abort|warn)?$`): the whole pattern is caseless.
  const caseless = /^\^?\(\?i\)/.exec(source)?.[0];
  try {
    return new RegExp(caseless ? `${caseless.startsWith('^') ? '^' : ''}${source.slice(caseless.length)}` : source, caseless ? `${flags}i` : flags);
  } catch {
    return /[\s\S]*/;
  }
}

/**
 * Where the validators' standalone code finds goPattern: a global of the thread, set as this module
 * loads, since the cached validators run in this context (loadValidator). Standalone code with
 * `new RegExp` could not carry `(?i)` patterns, whose schemas (PrometheusRule) were then compiled
 * on every run: ~70 ms of each gate that met one.
 */
const GO_PATTERN = '__redisGitopsGoPattern';
(globalThis as Record<string, unknown>)[GO_PATTERN] = goPattern;
const goRegExp = Object.assign(goPattern, { code: `globalThis.${GO_PATTERN}` });

const fieldPath = (pointer: string) => pointer.slice(1).replaceAll('/', '.') || '(the object)';

function describe(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') {
    const parent = e.instancePath ? `${fieldPath(e.instancePath)}.` : '';
    return `unknown field ${parent}${(e.params as { additionalProperty: string }).additionalProperty}`;
  }
  return `${fieldPath(e.instancePath)}: ${e.message}`;
}

/** One error per place: the alternatives of a oneOf/anyOf explain the same mistake several times. */
function relevant(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') return false;
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
