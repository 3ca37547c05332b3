import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { platformRoleNameSuffix, platformRoleRules, type PlatformRole, type Rule } from '../../model/platform-roles.js';
import { ROLLOUT_NAME_SUFFIX, rolloutRoleRules } from '../../model/rollout.js';
import { customerKeyParameter, ENCRYPTION_ANNOTATION, encryptionKeyStates, encryptionRequirement, providerStorage } from '../../model/storage-providers.js';
import { endOfLifeLines, knownVulnerabilities, legacyRepositories, oldestSupportedMajor } from '../../model/engines.js';
import { fromRoot } from '../paths.js';
import type { PolicyInput } from './documents.js';

/** The compiled policy and its rule catalogue, both built by `npm run policy:build` and committed. */
export const POLICY_WASM = fromRoot('policies/build/policy.wasm');
export const RULE_CATALOGUE = fromRoot('policies/build/rules.json');
const ENTRYPOINT = 'gate/violations';
const MEMO_ENTRYPOINT = 'memo/facts';

export type Severity = 'error' | 'warning';

export interface RuleInfo {
  title: string;
  description: string;
  severity: Severity;
  remediation: string;
}

export interface Resource {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/**
 * The annotation that holds an object's waivers (policies/lib/waivers.rego `annotation`): the one
 * thing in an input that makes its verdict depend on the day (see cache.ts judgedOnTheDay).
 */
export const WAIVERS_ANNOTATION = 'redis-gitops.dev/waivers';

/** A waiver in force for a finding (the annotation WAIVERS_ANNOTATION on its object). */
export interface Waiver {
  reason: string;
  expires: string;
}

/** What the Rego rules return; the catalogue adds title and severity. */
interface RawViolation {
  rule: string;
  msg: string;
  resource: Resource;
  file: string;
  waiver?: Waiver;
}

export interface Violation {
  rule: string;
  severity: Severity;
  title: string;
  message: string;
  resource: Resource;
  file: string;
  /** Present when the finding is waived: it is reported, but counts as neither error nor warning. */
  waiver?: Waiver;
}

export interface Policy {
  rules: Record<string, RuleInfo>;
  /** `today` (YYYY-MM-DD) decides which waivers have expired: the wasm engine has no clock. */
  evaluate(input: PolicyInput, today: string): Violation[];
}

/** How long a waiver may run by default (the policy's own default, lib/waivers.rego, is the same). */
export const WAIVER_MAX_DAYS = 90;

export interface PolicyData {
  /** StorageClasses that exist in the clusters and were reviewed there (encryption.storage_class_encrypted). */
  allowedStorageClasses?: string[];
  /** The longest a waiver may run, in days after the day the gate runs (lib/waivers.rego; 90 by default). */
  waiverMaxDays?: number;
}

/**
 * The data the rules read besides their input, derived from the definitions synth renders with (so a
 * fact the generator holds is never restated in Rego): the generator's platform roles, each with
 * the suffix platformRoleName gives its Role and its rules (iam.generator_roles_only); the storage
 * provisioners whose encryption the gate knows, CSI and in-tree, each with its provider and the
 * parameters that must switch encryption on, none where the provider always encrypts
 * (encryption.storage_class_encrypted); the annotation by which the generator states a class's
 * encryption, its customer-key value, and the parameter each provisioner takes a customer key in
 * (encryption.customer_key_used); the StorageClass allow-list; the longest a waiver may run; and the
 * rule ids, which waivers may name.
 */
/** What stands for the deployment's name in workload_roles' resource names (the Rego fills it in). */
const DEPLOYMENT_PLACEHOLDER = '{deployment}';

export function policyData(options: PolicyData = {}, catalogue: Record<string, RuleInfo> = loadRuleCatalogue()): object {
  const platformRoles = Object.fromEntries(
    (Object.entries(platformRoleRules) as [PlatformRole, Rule[]][]).map(([role, rules]) => [role.toLowerCase(), { name_suffix: platformRoleNameSuffix(role), rules }]),
  );
  const providers = Object.values(providerStorage);
  const storageProvisioners = Object.fromEntries(
    providers.flatMap((p) => {
      const facts = { provider: p.title, encryption_parameters: encryptionRequirement(p) };
      return [p.provisioner, ...(p.inTreeProvisioner ? [p.inTreeProvisioner] : [])].map((name) => [name, facts]);
    }),
  );
  const customerKeyParameters = Object.fromEntries(providers.map((p) => [p.provisioner, customerKeyParameter(p)]));
  return {
    redis_gitops: {
      platform_roles: platformRoles,
      // The generator's own workloads' Roles; `{deployment}` stands for the deployment's name.
      workload_roles: { rollout: { name_suffix: ROLLOUT_NAME_SUFFIX, rules: rolloutRoleRules(DEPLOYMENT_PLACEHOLDER) } },
      storage_provisioners: storageProvisioners,
      encryption_annotation: ENCRYPTION_ANNOTATION,
      customer_managed_key: encryptionKeyStates.customer,
      customer_key_parameters: customerKeyParameters,
      allowed_storage_classes: options.allowedStorageClasses ?? [],
      waiver_max_days: options.waiverMaxDays ?? WAIVER_MAX_DAYS,
      rule_ids: Object.keys(catalogue).sort(),
      server_images: serverImageFacts(),
    },
  };
}

/**
 * What security.server_image_supported knows of Redis and Valkey lines, from the engine table
 * (model/engines.ts): lines past their end of life, patches with a known vulnerability, repositories
 * that stopped receiving updates, and the oldest major of each engine still supported.
 */
function serverImageFacts(): object {
  const repository = (image: string) => image.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '');
  return {
    end_of_life: endOfLifeLines.map((l) => ({ engine: l.engine, line: l.line, date: l.date })),
    vulnerable: knownVulnerabilities.map((v) => ({ engine: v.engine, line: v.line, fixed_in: v.fixedIn, id: v.id })),
    legacy_repositories: legacyRepositories.map(repository),
    oldest_major: oldestSupportedMajor,
  };
}

/** The rules' titles, severities and fixes, as the policy build took them from their METADATA. */
export function loadRuleCatalogue(catalogueFile = RULE_CATALOGUE): Record<string, RuleInfo> {
  return JSON.parse(readFileSync(catalogueFile, 'utf8')) as Record<string, RuleInfo>;
}

/**
 * The policy's wasm memory when instantiated, in 64 KiB pages: 2 GiB, reserved rather than used (a
 * page takes memory once written: the gate's peak RSS on a fleet is the same). OPA's allocator
 * grows its memory by a page or two at a time as an evaluation needs more, and V8 runs a full
 * garbage collection at most of those grows: one namespace of 3,000 objects takes ~740 MiB of the
 * policy's heap (~0.25 MiB an object; a fleet's namespaces ~10 MiB each), and took 18.5 s gated
 * from opa-wasm's 5 pages, 2.9 s from 1 GiB; one of 6,000 objects (~1.5 GiB) 411 s from 1 GiB,
 * 6.1 s from 2 GiB (measured; test/policy-memory.test.ts checks that a large namespace does not
 * grow it). Not 4 GiB: the allocator's heap top, an unsigned 32-bit count of bytes, wraps.
 */
const POLICY_MEMORY_PAGES = 32_768;

/** The policy instantiated with POLICY_MEMORY_PAGES, or with opa-wasm's default where the system will not commit that much (strict overcommit). */
export async function instantiatePolicy(wasm: Buffer): Promise<Awaited<ReturnType<typeof loadPolicy>>> {
  try {
    return await loadPolicy(wasm, POLICY_MEMORY_PAGES);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
  }
  try {
    return await loadPolicy(wasm);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    // V8 reserves ~10 GiB of address space for any WebAssembly memory (guard regions around it):
    // under a lower `ulimit -v` none can be made, whatever its size. The system's refusal, not a bug.
    throw Object.assign(new Error(error.message), { code: 'ENOMEM', syscall: "reserve the policy's WebAssembly memory" });
  }
}

/**
 * Loads the wasm policy once; each evaluate() reuses the instance (the SDK resets its heap to the
 * end of the data segment before every evaluation, so memory stays bounded by the largest input).
 *
 * Each ConfigMap text seen in a second input has what the rules read of it computed once, by the
 * policy itself (lib/memo.rego), and handed to every later evaluation as data.text_facts: a fleet's
 * deployments share their scripts byte for byte, and reading them was a fifth of each evaluation.
 * The facts are the functions the rules call where the memo lacks a text, so the verdicts are the
 * same (test/gate-memo.test.ts); `memo: false` evaluates without it.
 */
export async function loadGatePolicy(data: PolicyData = {}, wasmFile = POLICY_WASM, catalogueFile = RULE_CATALOGUE, options: { memo?: boolean } = {}): Promise<Policy> {
  const wasm = await readFile(wasmFile);
  const rules = loadRuleCatalogue(catalogueFile);
  const policy = await instantiatePolicy(wasm);
  const base = policyData(data, rules);
  policy.setData(base);
  const memo = options.memo === false ? undefined : new TextMemo((texts) => {
    const [result] = policy.evaluate({ texts }, MEMO_ENTRYPOINT) as { result: Record<string, unknown> }[];
    return result?.result ?? {};
  }, (facts) => policy.setData({ ...base, text_facts: facts }));
  return {
    rules,
    evaluate(input, today) {
      memo?.see(input);
      const [result] = policy.evaluate({ ...input, today }, ENTRYPOINT) as { result: RawViolation[] }[];
      return (result?.result ?? []).map((raw) => {
        const rule = rules[raw.rule];
        if (!rule) throw new Error(`policy returned rule ${raw.rule}, which ${catalogueFile} does not describe: rebuild the policy`);
        const violation: Violation = { rule: raw.rule, severity: rule.severity, title: rule.title, message: raw.msg, resource: raw.resource, file: raw.file };
        if (raw.waiver) violation.waiver = raw.waiver;
        return violation;
      });
    },
  };
}

/**
 * The texts of ConfigMaps (their `data` values, as the rules read them) seen in more than one input,
 * with their facts. Texts seen once are known by a digest only, so that a large fleet's texts are not
 * all kept alive; a text seen again has its facts computed (one evaluation for all such texts of an
 * input) and the policy's data set anew, which happens a few times per run, when a new shared text appears.
 */
export class TextMemo {
  private readonly seen = new Set<string>();
  private readonly facts: Record<string, unknown> = {};
  private bytes = 0;

  constructor(
    private readonly compute: (texts: string[]) => Record<string, unknown>,
    private readonly publish: (facts: Record<string, unknown>) => void,
  ) {}

  see(input: PolicyInput): void {
    // Full: every publish hands the policy the whole memo again, so a fleet of many texts each shared
    // by a few namespaces would pay for it over and over; texts past the bound are read each time.
    if (this.bytes >= MEMO_MAX_BYTES) return;
    const again: string[] = [];
    for (const text of configMapTexts(input)) {
      if (Object.hasOwn(this.facts, text)) continue;
      const digest = createHash('sha1').update(text).digest('base64');
      if (this.seen.has(digest)) again.push(text);
      else this.seen.add(digest);
    }
    if (!again.length) return;
    Object.assign(this.facts, this.compute(again));
    this.bytes += again.reduce((sum, text) => sum + text.length, 0);
    this.publish(this.facts);
  }
}

/**
 * The texts a memo holds at most, in characters: a fleet's shared scripts are ~27 KB; the bound
 * keeps the policy's data, set anew at each publish, small.
 */
const MEMO_MAX_BYTES = 1 << 20;

/** The distinct texts of an input's ConfigMaps (lib/k8s.rego config_map_files, without binaryData). */
function configMapTexts(input: PolicyInput): Set<string> {
  const texts = new Set<string>();
  for (const { object } of input.resources) {
    if (object.kind !== 'ConfigMap' || typeof object.data !== 'object' || object.data === null) continue;
    for (const value of Object.values(object.data as Record<string, unknown>)) if (typeof value === 'string' && value.length >= MEMO_MIN_LENGTH) texts.add(value);
  }
  return texts;
}

/** Texts shorter than this are read by the policy itself: looking one up costs about what reading it does. */
const MEMO_MIN_LENGTH = 256;
