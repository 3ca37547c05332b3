import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_ENGINE, DEFAULT_VERSION, engineNames, engineVersions, linesOf, withdrawnVersions, type Engine } from '../../model/engines.js';
import { platformRoles } from '../../model/platform-roles.js';
import { DNS_LABEL_MAX, DNS_SUBDOMAIN_MAX, isSystemNamespace, LABEL_VALUE } from '../../model/kubernetes-names.js';
import { providerStorage, storageProviders } from '../../model/storage-providers.js';
import { reservedUserNames, serviceRoles, type ServiceRole } from '../../model/users.js';
import { parseQuantity } from './quantity.js';
import { BackupSchema, RestoreSchema, urlCredentials } from './backup-schema.js';

/**
 * The input schemas. They are the single source for validation (zod) and for the JSON Schema files
 * editors use (`npm run schemas` writes them to schemas/), so the two can never disagree.
 */

const dnsLabel = (maxLength: number) =>
  z
    .string()
    .max(maxLength, { error: `expected at most ${maxLength} characters` })
    .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, {
      error: "expected a DNS label: lower-case letters, digits and '-', starting with a letter",
      abort: true,
    });

const quantity = (min: string) =>
  z
    .string({ error: `expected a Kubernetes quantity such as ${min} or 2Gi` })
    .regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti)$/, {
      error: `expected a Kubernetes quantity in binary units such as ${min} or 2Gi`,
      abort: true,
    })
    .refine((value) => parseQuantity(value) >= parseQuantity(min), {
      error: `expected at least ${min}`,
    })
    // Bytes past 2^53 are not exact here: maxmemory came out as 76965813174661020000 (redis refuses it)
    // and a shrink of the volume could pass unseen.
    .refine((value) => parseQuantity(value) <= Number.MAX_SAFE_INTEGER, {
      error: 'expected at most 8191Ti',
    });

/** A value Kubernetes puts in a label (a node's topology.kubernetes.io/region and zone). */
const labelValue = (what: string) =>
  z
    .string()
    .min(1, { error: `expected ${what}` })
    .max(DNS_LABEL_MAX, { error: `expected at most ${DNS_LABEL_MAX} characters (a Kubernetes label value)` })
    .regex(LABEL_VALUE, { error: `expected ${what} as Kubernetes labels nodes with it: letters, digits, '-', '_' and '.'` });

/**
 * A repository Argo CD may read from. Its AppProject lists it in sourceRepos, where Argo CD reads
 * `*`, `?` and `[...]` as globs: `*` would let the project's Applications sync from any repository.
 */
const repoURL = z
  .string()
  .min(1)
  .refine((url) => !/[*?[\]{}!]/.test(url), { error: 'expected one repository URL, not a pattern (Argo CD reads * ? [ ] as wildcards in the AppProject\'s sourceRepos)', abort: true })
  .refine((url) => /^(https?|ssh|git|file):\/\/[^\s]+$/.test(url) && URL.canParse(url) || /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$/.test(url), {
    error: 'expected a git repository URL: https://host/path.git, ssh://git@host/path.git, git@host:path.git or file:///path',
  })
  // Written into the Argo CD objects of dist/ (see urlCredentials).
  .refine((url) => !urlCredentials(url, { userIsOne: /^https?:/i.test(url) }), {
    error: "credentials in the repository URL would reach git in the clear (dist/'s Argo CD objects): give Argo CD the repository's credentials in its own repository Secret",
  });

/**
 * What git refuses in a ref name (`git check-ref-format --allow-onelevel`, its documented rules), or
 * undefined: a branch, a tag or a commit id Argo CD could check out. test/config.test.ts holds it
 * against git itself.
 */
export function gitRefProblem(ref: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) return "a space, a control character or one of ~ ^ : ? * [ \\";
  if (ref.includes('..')) return '..';
  if (ref.includes('@{')) return '@{';
  if (ref === '@') return 'the single character @';
  // git branch refuses these names, and git check-ref-format cannot even be given one: an option.
  if (ref.startsWith('-')) return 'a - at its start (git would read it as an option)';
  if (ref.startsWith('/') || ref.endsWith('/') || ref.includes('//')) return 'a / at its start or end, or two in a row';
  if (ref.endsWith('.')) return 'a . at its end';
  if (ref.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))) return 'a part starting with . or ending with .lock';
  return undefined;
}

/** An IPv4 or IPv6 address range in CIDR notation, as the API server parses loadBalancerSourceRanges. */
const cidr = z.string().refine(
  (range) => {
    const match = /^([^/]+)\/(\d{1,3})$/.exec(range);
    const family = match ? isIP(match[1]!) : 0;
    return family !== 0 && Number(match![2]) <= (family === 4 ? 32 : 128);
  },
  { error: 'expected an address range in CIDR notation, such as 10.0.0.0/8 or 2001:db8::/32' },
);

// A name the server certificate carries: labels of at most 63 characters, 253 in all (RFC 1035), which
// clients and the API server (an Ingress host) hold to; a wildcard only as the whole first label.
const hostname = z
  .string()
  .max(DNS_SUBDOMAIN_MAX, { error: `expected a DNS name of at most ${DNS_SUBDOMAIN_MAX} characters` })
  .regex(new RegExp(`^(\\*\\.)?([a-z0-9]([-a-z0-9]{0,${DNS_LABEL_MAX - 2}}[a-z0-9])?\\.)+[a-z]{2,${DNS_LABEL_MAX}}$`), {
    error: `expected a fully qualified DNS name such as redis.example.com (lower case, each label at most ${DNS_LABEL_MAX} characters)`,
  });


export const ClusterSchema = z
  .strictObject({
    region: labelValue('a region name').describe('Cloud region the cluster runs in, e.g. us-south.'),
    zones: z
      .array(labelValue('a zone name'), { error: 'expected a list of three zone names' })
      .length(3, { error: 'expected exactly three availability zones (one per cluster member)', abort: true })
      .refine((zones) => new Set(zones).size === 3, { error: 'expected three different zones' })
      .describe('The three availability zones; member i runs in zones[i] (topology.kubernetes.io/zone).'),
    storage: z
      .strictObject({
        provider: z.enum(storageProviders).describe('Block-storage CSI driver of the cluster.'),
        storageClassName: dnsLabel(63)
          .default('redis-encrypted')
          .describe('Name of the encrypted StorageClass the generator creates. Default: redis-encrypted.'),
        customerKey: z
          .string()
          .min(1)
          .optional()
          .describe(
            'Customer-managed key: IBM key CRN (encryptionKey), AWS KMS key id or ARN (kmsKeyId), GCP KMS key ' +
              '(disk-encryption-kms-key), Azure disk encryption set id (diskEncryptionSetID). ' +
              'Default: provider-managed keys (AWS: the account default KMS key).',
          ),
        profile: z
          .string()
          .min(1)
          .optional()
          .describe(
            'Volume profile/type: IBM profile (default 10iops-tier), AWS type (gp3), GCP type (pd-balanced), ' +
              'Azure skuName (Premium_LRS).',
          ),
      })
      .describe('Encrypted block storage for the data members.'),
    sealedSecrets: z
      .strictObject({
        certificate: z
          .string()
          .min(1)
          .describe('Path (relative to the repository root) of the public sealing certificate (kubeseal --fetch-cert).'),
        controllerNamespace: dnsLabel(63).default('kube-system'),
        controllerName: dnsLabel(63).default('sealed-secrets-controller'),
      })
      .describe('The cluster\'s Sealed Secrets controller, for sealing secrets that only it can open.'),
    argocd: z
      .strictObject({
        namespace: dnsLabel(63).default('argocd'),
        destinationServer: z
          .url({ error: 'expected a URL such as https://kubernetes.default.svc' })
          .default('https://kubernetes.default.svc'),
        repoURL: repoURL.describe('Git repository Argo CD reads dist/ from.'),
        targetRevision: z
          .string()
          .min(1)
          .superRefine((ref, ctx) => {
            const problem = gitRefProblem(ref);
            if (problem) ctx.addIssue({ code: 'custom', message: `expected a branch, tag or commit git can name: ${JSON.stringify(ref)} has ${problem}, which git refuses in a ref name` });
          })
          .default('main')
          .describe('The branch, tag or commit of repoURL that Argo CD syncs.'),
      })
      .describe('Argo CD destination for this cluster.'),
    monitoring: z
      .strictObject({
        namespace: dnsLabel(63)
          .default('monitoring')
          .describe('Namespace of the Prometheus that scrapes the deployments (their NetworkPolicies let it reach the metrics ports). Default: monitoring.'),
      })
      .default({ namespace: 'monitoring' })
      .describe('The cluster\'s Prometheus.'),
  })
  .superRefine((cluster, ctx) => {
    // A customer key in its provider's format: a placeholder such as `crn:v1:...` fails here.
    const key = cluster.storage?.customerKey;
    const provider = providerStorage[cluster.storage?.provider];
    if (key === undefined || !provider) return;
    if (!provider.customerKey.pattern.test(key)) {
      ctx.addIssue({ code: 'custom', path: ['storage', 'customerKey'], message: `expected ${provider.customerKey.what}, such as ${provider.customerKey.example}` });
    }
  })
  .describe('A Kubernetes cluster that runs Redis deployments (clusters/<name>.yaml).');

export const evictionPolicies = [
  'noeviction',
  'allkeys-lru',
  'allkeys-lfu',
  'allkeys-random',
  'volatile-lru',
  'volatile-lfu',
  'volatile-random',
  'volatile-ttl',
] as const;

const platformGrant = z
  .strictObject({
    group: z
      .string()
      .min(1)
      .refine((group) => !group.startsWith('system:'), {
        error: 'Kubernetes system groups (system:authenticated, system:unauthenticated, ...) cannot be granted a role: name an identity-provider group',
      })
      .optional()
      .describe('Identity-provider group bound to the role.'),
    serviceAccount: dnsLabel(63).optional().describe('A service account of the deployment namespace.'),
    role: z.enum(platformRoles),
  })
  .refine((grant) => (grant.group === undefined) !== (grant.serviceAccount === undefined), {
    error: 'a platform grant names exactly one subject: group or serviceAccount (users are not allowed)',
  });

const serviceGrant = z.strictObject({
  user: dnsLabel(32)
    .refine((name) => !reservedUserNames.includes(name), {
      error: `reserved for the service itself (${reservedUserNames.join(', ')}): choose another user name`,
    })
    .describe('Redis ACL user name an application authenticates as.'),
  role: z.enum(serviceRoles as [ServiceRole, ...ServiceRole[]]),
});

/**
 * Flags repeated entries. Runs even when some entries are invalid (zod skips refinements of a value
 * with issues by default) so that a user sees every mistake of a file at once.
 */
function noDuplicates<T>(key: (item: Partial<T>) => string, what: string) {
  const check = (items: T[], ctx: z.RefinementCtx) => {
    // Runs on whatever the file holds (see above): a value that is no list has its own issue already.
    if (!Array.isArray(items)) return;
    const seen = new Map<string, number>();
    items.forEach((item, index) => {
      if (typeof item !== 'object' || item === null) return;
      const k = key(item);
      const first = seen.get(k);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [index], message: `duplicate ${what} (same as entry ${first})` });
      } else {
        seen.set(k, index);
      }
    });
  };
  return [check, { when: () => true }] as const;
}

type PlatformGrant = z.output<typeof platformGrant>;
type ServiceGrant = z.output<typeof serviceGrant>;

const offeredLines = [...new Set(engineVersions.map((v) => v.line))].sort() as [string, ...string[]];

/** The engine a deployment file means: the one it names; redis when it names only a version (written when redis was the only engine). */
function engineOf(redis: { engine?: Engine | undefined; version?: string | undefined }): Engine {
  return redis.engine ?? (redis.version !== undefined ? 'redis' : DEFAULT_ENGINE);
}

/** Why `version` is not offered for `engine`, and what to use instead. */
function versionMessage(engine: Engine, version: string): string {
  const withdrawn = withdrawnVersions.find((w) => w.line === version && w.engine === engine);
  if (withdrawn) return `${withdrawn.engine} ${version} is no longer offered: ${withdrawn.reason}. Upgrade path: ${withdrawn.upgradePath}`;
  return `expected ${engine} ${linesOf(engine).map((l) => `"${l}"`).join(', ')} (redis.engine is ${engine}${engine === 'redis' ? ', the default for a file that names a version' : ''})`;
}

export const DeploymentSchema = z
  .strictObject({
    cluster: dnsLabel(63).describe('Name of the cluster file (clusters/<cluster>.yaml).'),
    namespace: dnsLabel(63)
      .refine((ns) => !isSystemNamespace(ns), { error: "a namespace of the cluster itself (default, kube-*): choose the deployment's own" })
      .optional()
      .describe('Namespace of the deployment. Default: redis-<deployment name>.'),
    redis: z
      .strictObject({
        engine: z
          .enum(engineNames as [Engine, ...Engine[]])
          .optional()
          .describe(
            `Server engine: redis or valkey. Default: ${DEFAULT_ENGINE}, except that a file naming a version without an engine ` +
              '(written when redis was the only engine) means redis.',
          ),
        version: z
          // Checked against the engine below, where a withdrawn line (7.0) is refused with its upgrade
          // path; editors complete every offered line of either engine (the JSON Schema's enum).
          .string()
          .meta({ enum: offeredLines })
          .optional()
          .describe(
            `major.minor of the engine: ${(['redis', 'valkey'] as const).map((e) => `${e} ${linesOf(e).join(' | ')}`).join('; ')}. ` +
              `Default: ${Object.entries(DEFAULT_VERSION).map(([e, v]) => `${v} (${e})`).join(', ')}.`,
          ),
        memory: quantity('256Mi').describe(
          'Memory limit of each data member\'s redis container; maxmemory is derived from it.',
        ),
        evictionPolicy: z.enum(evictionPolicies).default('noeviction'),
        minReplicasToWrite: z
          .union([z.literal(0), z.literal(1)])
          .default(0)
          .describe(
            'Refuse writes unless a replica is connected (min-replicas-to-write). Default 0. With 1, no write ' +
              'acknowledged by an isolated primary can be lost, but every write fails while either data member ' +
              'is down (NOREPLICAS), so losing one member no longer leaves the service writable.',
          ),
      })
      // A version written, even empty, is checked as written: only an absent one takes the default.
      .superRefine((redis, ctx) => {
        const engine = engineOf(redis);
        if (redis.version !== undefined && !linesOf(engine).includes(redis.version)) {
          ctx.addIssue({ code: 'custom', path: ['version'], message: versionMessage(engine, redis.version) });
        }
      })
      .transform((redis) => ({ ...redis, engine: engineOf(redis), version: redis.version ?? DEFAULT_VERSION[engineOf(redis)]! }))
      .describe('The data members: which engine and version, memory, eviction.'),
    sentinel: z
      .strictObject({
        downAfterMilliseconds: z
          .number()
          .int()
          .min(1000)
          .max(60000)
          .default(5000)
          .describe('Time a member must be unreachable before sentinels consider it down. Default 5000.'),
        failoverTimeout: z
          .number()
          .int()
          .min(10000)
          .max(600000)
          .default(60000)
          .describe('Sentinel failover-timeout in milliseconds. Default 60000.'),
      })
      .default({ downAfterMilliseconds: 5000, failoverTimeout: 60000 })
      .describe('Failure detection and failover timing.'),
    persistence: z
      .strictObject({
        size: quantity('1Gi').describe('Size of each data member\'s volume.'),
        mode: z
          .enum(['aof', 'rdb', 'aof+rdb'])
          .default('aof+rdb')
          .describe('aof: append-only file (fsync every second); rdb: snapshots; aof+rdb: both. Default: aof+rdb.'),
      })
      .describe('Data volumes (encrypted block storage).'),
    portal: z
      .strictObject({
        serviceType: z.enum(['ClusterIP', 'LoadBalancer']).default('ClusterIP'),
        loadBalancer: z
          .strictObject({
            internal: z
              .boolean()
              .default(false)
              .describe("An internal load balancer, reachable only from the cluster's private network (the cloud's annotation, by the cluster's storage provider)."),
            sourceRanges: z
              .array(cidr)
              .default([])
              .describe('Client address ranges the load balancer admits (spec.loadBalancerSourceRanges); default: any.'),
          })
          .optional()
          .describe('Options of the LoadBalancer Service (serviceType LoadBalancer only).'),
        hostnames: z
          .array(hostname)
          // A name twice would be a change of the certificate's names, and so of its CA, for nothing.
          .superRefine((names, ctx) =>
            names.forEach((name, index) => {
              const first = names.indexOf(name);
              if (first < index) ctx.addIssue({ code: 'custom', path: [index], message: `duplicate hostname (same as entry ${first})` });
            }),
          )
          .default([])
          .describe('Extra DNS names applications use; added to the server certificate.'),
      })
      .refine((portal) => portal.loadBalancer === undefined || portal.serviceType === 'LoadBalancer', {
        path: ['loadBalancer'],
        error: 'load balancer options need serviceType: LoadBalancer (the Service is a ClusterIP one)',
      })
      .default({ serviceType: 'ClusterIP', hostnames: [] })
      .describe('The HAProxy portals: the TLS endpoint applications connect to.'),
    access: z
      .strictObject({
        platform: z
          .array(platformGrant)
          .default([])
          .superRefine(...noDuplicates<PlatformGrant>((g) => `${g.group ?? g.serviceAccount}/${g.role}`, 'platform grant'))
          .describe('Platform roles: Kubernetes RBAC in the deployment namespace.'),
        service: z
          .array(serviceGrant)
          .default([])
          .superRefine(...noDuplicates<ServiceGrant>((g) => String(g.user), 'service user'))
          .describe('Service roles: Redis ACL users.'),
      })
      .default({ platform: [], service: [] })
      .describe('IAM-style access grants.'),
    backup: BackupSchema.optional(),
    restore: RestoreSchema.optional(),
  })
  .refine((spec) => spec.restore === undefined || spec.backup !== undefined, {
    path: ['restore'],
    error: 'a restore reads the backup with backup.target and backup.credentials (the key that encrypted it): declare backup: too',
  })
  .describe('A highly available Redis deployment (deployments/<name>.yaml).');

export type ClusterSpec = z.output<typeof ClusterSchema>;
export type DeploymentSpec = z.output<typeof DeploymentSchema>;
