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

/** A waiver in force for a finding (the annotation redis-gitops.dev/waivers on its object). */
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
 * Loads the wasm policy once; each evaluate() reuses the instance (the SDK resets its heap to the
 * end of the data segment before every evaluation, so memory stays bounded by the largest input).
 */
export async function loadGatePolicy(data: PolicyData = {}, wasmFile = POLICY_WASM, catalogueFile = RULE_CATALOGUE): Promise<Policy> {
  const wasm = await readFile(wasmFile);
  const rules = loadRuleCatalogue(catalogueFile);
  const policy = await loadPolicy(wasm);
  policy.setData(policyData(data, rules));
  return {
    rules,
    evaluate(input, today) {
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
