import { rmSync } from 'node:fs';
import { App, Testing, type Chart } from 'cdk8s';
import { engineVersion, imagePatch } from '../../model/engines.js';
import type { Identity } from '../../model/labels.js';
import { aclPasswordKey, authSecretKeys, secretNames, tlsSecretKeys, USER_PASSWORD_KEY, type DeploymentSecrets } from '../../model/secrets.js';
import { ADMIN_USER, systemUserRules } from '../../model/users.js';
import type { Cluster } from '../../src/config/load.js';
import { ClusterSchema } from '../../src/config/schema.js';
import type { Manifest } from './render.js';

/**
 * Construct-level tests: one construct built alone in a `Testing.chart()` with small props, and its
 * objects as `Testing.synth` gives them, without loading inputs, resolving secrets or rendering a
 * whole repository.
 */

/** The objects of `chart`; removes the temporary folder `Testing.app()` made for it. */
export function synthChart(chart: Chart): Manifest[] {
  try {
    return Testing.synth(chart) as Manifest[];
  } finally {
    rmSync(App.of(chart).outdir, { recursive: true, force: true });
  }
}

/** Builds what `build` adds to a fresh `Testing.chart()` and returns the chart's objects. */
export function synthConstruct(build: (scope: Chart) => void): Manifest[] {
  const chart = Testing.chart();
  try {
    build(chart);
  } catch (error) {
    rmSync(App.of(chart).outdir, { recursive: true, force: true });
    throw error;
  }
  return synthChart(chart);
}

/** The one object of `kind` named `name` among `objects`. */
export function objectNamed(objects: readonly Manifest[], kind: string, name: string): Manifest {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`${found.length} ${kind} named ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found[0]!;
}

export function ofKind(objects: readonly Manifest[], kind: string): Manifest[] {
  return objects.filter((o) => o.kind === kind);
}

/** A cluster `test` as its file declares `storage`, with the schema's defaults for the rest. */
export function testCluster(storage: Record<string, string> = { provider: 'ibm-vpc-block' }): Cluster {
  const spec = ClusterSchema.parse({
    region: 'test-region',
    zones: ['zone-a', 'zone-b', 'zone-c'],
    storage,
    sealedSecrets: { certificate: 'clusters/test.sealing-cert.pem' },
    argocd: { repoURL: 'https://git.example.com/redis.git' },
  });
  return { name: 'test', file: 'clusters/test.yaml', spec };
}

/** A deployment's identity as the deployment chart makes it: `orders` in `redis-orders`, Redis 8.6. */
export const ordersId: Identity = {
  deployment: 'orders',
  namespace: 'redis-orders',
  redisVersion: imagePatch(engineVersion('redis', '8.6')!.image),
  generatorVersion: '0.0.0-test',
};

/**
 * Fixed stand-ins for a deployment's sealed secrets: the names and keys the workloads mount, with
 * values that are not ciphertext (construct tests never generate or seal anything).
 */
export function fixedSecrets(deployment: string): DeploymentSecrets {
  const names = secretNames(deployment);
  return {
    sealedSecrets: {
      [names.tls]: Object.fromEntries(Object.values(tlsSecretKeys).map((key) => [key, `sealed-${key}`])),
      [names.auth]: Object.fromEntries(
        [...Object.values(authSecretKeys), ...Object.keys(systemUserRules).map(aclPasswordKey)].map((key) => [key, `sealed-${key}`]),
      ),
      [names.user(ADMIN_USER)]: { [USER_PASSWORD_KEY]: `sealed-${ADMIN_USER}` },
    },
    caBundle: '-----BEGIN CERTIFICATE-----\nZml4ZWQgdGVzdCBDQQ==\n-----END CERTIFICATE-----\n',
  };
}

/** Lines of configuration that would hold a password literally (the scripts read them from the mounted Secret). */
export function passwordLines(name: string, data: Record<string, string>): string[] {
  const offences: string[] = [];
  for (const [key, text] of Object.entries(data)) {
    for (const line of text.split('\n')) {
      const literal =
        /^\s*(requirepass|masterauth|sentinel (auth-pass|sentinel-pass))\s+\S/.test(line) ||
        /^\s*user \S+ on .*[>#]/.test(line) ||
        // Lines the scripts append take the password from a file, never a literal.
        (/echo "(masterauth|requirepass|user \S+ on|sentinel (auth-pass|sentinel-pass))/.test(line) && !line.includes('$(cat "$SECRETS_DIR/'));
      if (literal) offences.push(`${name}/${key}: ${line}`);
    }
  }
  return offences;
}
