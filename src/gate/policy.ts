import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import type { PolicyInput } from './documents.js';

/** The compiled policy and its rule catalogue, both built by `npm run policy:build` and committed. */
export const POLICY_WASM = fileURLToPath(new URL('../../policies/build/policy.wasm', import.meta.url));
export const RULE_CATALOGUE = fileURLToPath(new URL('../../policies/build/rules.json', import.meta.url));
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

/** What the Rego rules return; the catalogue adds title and severity. */
interface RawViolation {
  rule: string;
  msg: string;
  resource: Resource;
  file: string;
}

export interface Violation {
  rule: string;
  severity: Severity;
  title: string;
  message: string;
  resource: Resource;
  file: string;
}

export interface Policy {
  rules: Record<string, RuleInfo>;
  evaluate(input: PolicyInput): Violation[];
}

/**
 * Loads the wasm policy once; each evaluate() reuses the instance (the SDK resets its heap to the
 * end of the data segment before every evaluation, so memory stays bounded by the largest input).
 */
export async function loadGatePolicy(wasmFile = POLICY_WASM, catalogueFile = RULE_CATALOGUE): Promise<Policy> {
  const [wasm, catalogue] = await Promise.all([readFile(wasmFile), readFile(catalogueFile, 'utf8')]);
  const rules = JSON.parse(catalogue) as Record<string, RuleInfo>;
  const policy = await loadPolicy(wasm);
  policy.setData({});
  return {
    rules,
    evaluate(input) {
      const [result] = policy.evaluate(input, ENTRYPOINT) as { result: RawViolation[] }[];
      return (result?.result ?? []).map((raw) => {
        const rule = rules[raw.rule];
        if (!rule) throw new Error(`policy returned rule ${raw.rule}, which ${catalogueFile} does not describe: rebuild the policy`);
        return { rule: raw.rule, severity: rule.severity, title: rule.title, message: raw.msg, resource: raw.resource, file: raw.file };
      });
    },
  };
}
