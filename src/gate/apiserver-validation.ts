import type { RuleInfo } from './policy.js';
import { DNS_LABEL_MAX, DNS_SUBDOMAIN_MAX, REVISION_HASH_MAX, STATEFULSET_NAME_MAX } from '../../model/kubernetes-names.js';

/**
 * What the kube-apiserver refuses although its OpenAPI schemas allow it: names, labels and
 * annotations, and the names inside pod specs, which the API server checks in Go code that the
 * published schemas do not describe. Ported from Kubernetes v1.28.15, the version the project
 * targets (k8s.io/apimachinery@v0.28.15 pkg/util/validation and pkg/api/validation,
 * k8s.io/kubernetes@v1.28.15 pkg/apis/{core,apps,batch}/validation, pkg/registry and
 * pkg/controller/{statefulset,history}), with the regular expressions and messages copied, so that a
 * finding prints what the API server would. No I/O and no dependencies: the differential test
 * test/engine/apiserver-validation.engine.test.ts feeds the same objects (and a StatefulSet's pods) to
 * a real kube-apiserver v1.28.15 as dry-run creates and requires the same refusals, field by field and
 * message by message.
 *
 * Deliberately not ported: the rest of pod validation (images, probes, env, resources, volume
 * sources, ...), defaulting (the server fills in fields before it validates), admission, and checks
 * of updates; a finding here is always a refusal, but not every refusal is a finding.
 */

/** batch/validation ValidateCronJobCreate: a CronJob's Jobs are named <name>-<scheduled time in minutes>, 11 more characters. */
const CRONJOB_NAME_MAX = DNS_LABEL_MAX - 11;

/** names.SimpleNameGenerator: a generated name is generateName cut to this many bytes, plus 5 random characters. */
const maxGeneratedNameLength = DNS_LABEL_MAX - 5;

export const apiServerRules = {
  'schema.object_name': {
    title: 'Every object has a name its kind accepts',
    description:
      'metadata.name (or generateName) is set and follows the rule the API server applies to the kind (Kubernetes 1.28): ' +
      `a DNS-1123 label (at most ${DNS_LABEL_MAX} lowercase alphanumerics or '-', starting and ending alphanumeric) for Namespaces and StatefulSets; ` +
      `a DNS-1035 label (the same, starting with a letter) for Services; a DNS-1123 subdomain (labels joined by dots, at most ${DNS_SUBDOMAIN_MAX}) ` +
      "for the other workload, configuration, storage and network kinds and for custom resources; no '/' or '%' for RBAC kinds and " +
      `PodDisruptionBudgets. A CronJob name has at most ${CRONJOB_NAME_MAX} characters, as its Jobs append 11; a Job name at most ${DNS_LABEL_MAX}, as it labels the ` +
      "Job's pods (and an Indexed Job's last pod, <name>-<completions - 1>, is a DNS label); a Namespace name is also its " +
      'kubernetes.io/metadata.name label. With generateName, the API server checks the generateName and the name it makes of it ' +
      `(cut to ${maxGeneratedNameLength} bytes, plus 5 random characters). The OpenAPI schemas say nothing of it; the API server refuses the object.`,
    severity: 'error',
    remediation: 'Rename the object as the message says, and whatever refers to it by name.',
  },
  'schema.labels_annotations': {
    title: 'Labels and annotations are well-formed',
    description:
      "Label and annotation keys are qualified names: an optional DNS-1123 subdomain prefix and '/', then at most 63 alphanumerics, " +
      `'-', '_' or '.', starting and ending alphanumeric (annotation keys in any case); label values are empty or at most ${DNS_LABEL_MAX} such ` +
      "characters; an object's annotations, keys and values together, hold at most 256 KiB. Checked on every object and on the pod " +
      "template of workloads (a Job or ReplicationController without labels takes its template's, checked twice); the API server " +
      'refuses the object.',
    severity: 'error',
    remediation: 'Shorten or rename the label or annotation; move large data out of annotations (into a ConfigMap, say).',
  },
  'schema.container_names': {
    title: 'Container names are DNS labels, unique in their pod',
    description:
      `Every container and init container of a pod or pod template has a name that is a DNS-1123 label (at most ${DNS_LABEL_MAX} lowercase ` +
      "alphanumerics or '-'), and no two of them, init containers included, share a name.",
    severity: 'error',
    remediation: 'Rename the container.',
  },
  'schema.port_names': {
    title: 'Container port names are at most 15 characters, lowercase, unique',
    description:
      "A named container port has at most 15 characters, only lowercase alphanumerics and '-', at least one letter, no '-' at " +
      "either end nor two in a row (an IANA service name), and no other port of its container has the same name. The API server " +
      'refuses a workload with such a port, but not a StatefulSet: it does not validate a StatefulSet\'s pod template, and refuses ' +
      'every pod the StatefulSet controller creates instead, so the StatefulSet syncs and never runs a pod.',
    severity: 'error',
    remediation: 'Rename the port (and the Services, probes and monitors that name it).',
  },
  'schema.volume_names': {
    title: 'Volumes have DNS-label names, unique, and every mount names one',
    description:
      'Every volume of a pod or pod template has a name that is a DNS-1123 label, unique among its volumes, and every volumeMount ' +
      "names one of them (in a StatefulSet, one of its volumeClaimTemplates too). As for ports, a StatefulSet's pods are refused " +
      'rather than the StatefulSet.',
    severity: 'error',
    remediation: 'Rename the volume, or make the mount name a volume that exists.',
  },
  'schema.controller_pods': {
    title: "A StatefulSet's pods can be created",
    description:
      'The StatefulSet controller names its pods <name>-<ordinal>, sets that as their hostname and as the label ' +
      'statefulset.kubernetes.io/pod-name, sets spec.serviceName as their subdomain, and labels them controller-revision-hash: ' +
      `<name>-<hash of the pod template>, the hash having up to ${REVISION_HASH_MAX} characters. Each must be a DNS label or label value of at most ` +
      `${DNS_LABEL_MAX} characters, so a StatefulSet name of more than ${STATEFULSET_NAME_MAX} characters can have its pods refused although the API server accepts the ` +
      `StatefulSet (its own limit is ${DNS_LABEL_MAX}).`,
    severity: 'error',
    remediation: `Shorten the StatefulSet name to ${STATEFULSET_NAME_MAX} characters at most, or make spec.serviceName a DNS label.`,
  },
} as const satisfies Record<string, RuleInfo>;

export type ApiServerRule = keyof typeof apiServerRules;

/** One refusal, as the API server words it. */
export interface ApiServerFinding {
  rule: ApiServerRule;
  /** The field as the API server names it: in the object, or in the pod when `pod` is set. */
  field: string;
  /**
   * What the API server prints for it (Go's field.Error.Error(): `<field>: <kind of error>: <value>: <detail>`).
   * Where the value depends on what the gate cannot know (the hash of a StatefulSet revision), `<hash>` stands for it.
   */
  message: string;
  /**
   * Set when the API server accepts the object but refuses the pods its controller creates: the name of
   * the first pod, by ordinal, that is refused (the StatefulSet controller creates them in that order,
   * and by default creates no later one until that one runs).
   */
  pod?: string;
  /**
   * Set when the API server accepts a CronJob but refuses every Job its controller makes of
   * spec.jobTemplate: the name those Jobs have (`<CronJob name>-<minutes>`, the scheduled time).
   */
  job?: string;
  /** Why the refusal follows, where the API server's message alone does not say. */
  note?: string;
}

/** The API server's refusals of one object, as it would create it; [] for anything that is not an object. */
export function apiServerFindings(object: unknown): ApiServerFinding[] {
  if (!isMap(object) || typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') return [];
  const { apiVersion, kind } = object;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  const found = new Findings();
  const metadata = mapOf(object.metadata);
  const name = objectName(metadata);
  checkObjectMeta(found, metadata, nameRuleOf(group, kind), name, `${group}/${kind}` === '/Namespace');
  const spec = mapOf(object.spec);
  switch (`${group}/${kind}`) {
    case '/Pod':
      checkPodSpec(found, spec, 'spec', arrayOf(spec.volumes));
      break;
    case 'apps/Deployment':
    case 'apps/ReplicaSet':
    case 'apps/DaemonSet':
      checkTemplate(found, spec.template, 'spec.template');
      break;
    case '/ReplicationController':
      checkTemplate(found, spec.template, 'spec.template');
      checkSharedLabels(found, metadata, spec);
      break;
    case 'batch/Job': {
      checkTemplate(found, spec.template, 'spec.template');
      const shared = checkSharedLabels(found, metadata, spec);
      if (name) checkJobName(found, name, spec, shared);
      break;
    }
    case 'batch/CronJob': {
      checkTemplate(found, mapOf(mapOf(spec.jobTemplate).spec).template, 'spec.jobTemplate.spec.template');
      // ValidateCronJob leaves spec.jobTemplate.metadata alone (ValidateJobTemplateSpec checks its
      // spec only); the controller copies its labels and annotations into each Job
      // (cronjob/utils.go getJobFromTemplate2), whose metadata the API server then validates: the
      // CronJob syncs, and no Job of it is ever created.
      const jobMetadata = mapOf(mapOf(spec.jobTemplate).metadata);
      const jobs = new Findings(undefined, `${name?.value ?? '<name>'}-<minutes>`);
      checkLabels(jobs, jobMetadata.labels, 'metadata.labels');
      checkAnnotations(jobs, jobMetadata.annotations, 'metadata.annotations');
      found.list.push(...jobs.list);
      // batch/validation ValidateCronJobCreate: the controller names each Job <cronjob>-<scheduled
      // time in minutes> (11 more characters), and a Job name has at most 63.
      if (name && byteLength(name.value) > CRONJOB_NAME_MAX) found.add('schema.object_name', 'metadata.name', invalidQuoted(name.quoted, `must be no more than ${CRONJOB_NAME_MAX} characters`), name.note);
      break;
    }
    case 'apps/StatefulSet':
      checkStatefulSet(found, name, found.list.some((f) => f.field === 'metadata.name' || f.field === 'metadata.generateName'), spec);
      break;
  }
  return found.list;
}

/**
 * What a Job's name must also be (batch/validation ValidateJob, after the registry's generateSelector):
 * unless spec.manualSelector is true, the registry labels the pod template job-name and
 * batch.kubernetes.io/job-name with the Job's name (where the template does not set them), and those
 * labels must be valid, so the name has at most 63 characters; an Indexed Job's pods are named
 * <name>-<index>, and the last one must be a DNS label.
 */
function checkJobName(found: Findings, name: ObjectName, spec: Record<string, unknown>, sharedLabels: boolean): void {
  if (spec.manualSelector !== true) {
    const labels = mapOf(mapOf(mapOf(spec.template).metadata).labels);
    for (const key of ['job-name', 'batch.kubernetes.io/job-name']) {
      if (key in labels) continue;
      for (const msg of isValidLabelValue(name.value)) {
        for (const field of sharedLabels ? ['spec.template.labels', 'metadata.labels'] : ['spec.template.labels']) {
          found.add('schema.object_name', field, invalidQuoted(name.quoted, msg), {
            note: `the API server labels the Job's pod template ${key}: <the Job's name>, which must be a valid label value${sharedLabels ? " (and a Job without labels has its template's)" : ''}`,
          });
        }
      }
    }
  }
  const completions = spec.completions;
  if (spec.completionMode === 'Indexed' && typeof completions === 'number' && Number.isInteger(completions) && completions > 0) {
    const lastHostname = `${name.value}-${completions - 1}`;
    if (isDNS1123Label(lastHostname).length > 0) {
      found.add('schema.object_name', 'metadata.name', invalidQuoted(name.quoted, `will not able to create pod with invalid DNS label: ${name.display}-${completions - 1}`), name.note);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// k8s.io/apimachinery/pkg/util/validation: the formats, their messages and Go's byte lengths
// (len() of a Go string counts UTF-8 bytes, not characters).

const qnameCharFmt = '[A-Za-z0-9]';
const qnameExtCharFmt = '[-A-Za-z0-9_.]';
const qualifiedNameFmt = `(${qnameCharFmt}${qnameExtCharFmt}*)?${qnameCharFmt}`;
const qualifiedNameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const qualifiedNameMaxLength = 63;
const qualifiedNameRegexp = new RegExp(`^${qualifiedNameFmt}$`);

export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  switch (parts.length) {
    case 1:
      name = parts[0]!;
      break;
    case 2: {
      const prefix = parts[0]!;
      name = parts[1]!;
      if (prefix.length === 0) errs.push(`prefix part ${emptyError()}`);
      else errs.push(...isDNS1123Subdomain(prefix).map((msg) => `prefix part ${msg}`));
      break;
    }
    default:
      return [
        ...errs,
        `a qualified name ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      ];
  }
  if (name.length === 0) errs.push(`name part ${emptyError()}`);
  else if (byteLength(name) > qualifiedNameMaxLength) errs.push(`name part ${maxLenError(qualifiedNameMaxLength)}`);
  if (!qualifiedNameRegexp.test(name)) errs.push(`name part ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

const labelValueFmt = `(${qualifiedNameFmt})?`;
const labelValueErrMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelValueMaxLength = DNS_LABEL_MAX;
const labelValueRegexp = new RegExp(`^${labelValueFmt}$`);

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > labelValueMaxLength) errs.push(maxLenError(labelValueMaxLength));
  if (!labelValueRegexp.test(value)) errs.push(regexError(labelValueErrMsg, labelValueFmt, 'MyValue', 'my_value', '12345'));
  return errs;
}

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123LabelErrMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const dns1123LabelMaxLength = DNS_LABEL_MAX;
const dns1123LabelRegexp = new RegExp(`^${dns1123LabelFmt}$`);

export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > dns1123LabelMaxLength) errs.push(maxLenError(dns1123LabelMaxLength));
  if (!dns1123LabelRegexp.test(value)) {
    // A valid subdomain but not a valid label: the length was checked, so it must be dots.
    if (dns1123SubdomainRegexp.test(value)) errs.push('must not contain dots');
    else errs.push(regexError(dns1123LabelErrMsg, dns1123LabelFmt, 'my-name', '123-abc'));
  }
  return errs;
}

const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1123SubdomainErrorMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const dns1123SubdomainMaxLength = DNS_SUBDOMAIN_MAX;
const dns1123SubdomainRegexp = new RegExp(`^${dns1123SubdomainFmt}$`);

export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > dns1123SubdomainMaxLength) errs.push(maxLenError(dns1123SubdomainMaxLength));
  if (!dns1123SubdomainRegexp.test(value)) errs.push(regexError(dns1123SubdomainErrorMsg, dns1123SubdomainFmt, 'example.com'));
  return errs;
}

const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const dns1035LabelErrMsg = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const dns1035LabelMaxLength = DNS_LABEL_MAX;
const dns1035LabelRegexp = new RegExp(`^${dns1035LabelFmt}$`);

export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > dns1035LabelMaxLength) errs.push(maxLenError(dns1035LabelMaxLength));
  if (!dns1035LabelRegexp.test(value)) errs.push(regexError(dns1035LabelErrMsg, dns1035LabelFmt, 'my-name', 'abc-123'));
  return errs;
}

const portNameCharsetRegex = /^[-a-z0-9]+$/;
const portNameOneLetterRegexp = /[a-z]/;

/** IsValidPortName: an IANA service name (RFC 6335), lowercase only. */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (byteLength(port) > 15) errs.push(maxLenError(15));
  if (!portNameCharsetRegex.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!portNameOneLetterRegexp.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

const maxLenError = (length: number) => `must be no more than ${length} characters`;
const emptyError = () => 'must be non-empty';

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  // Joined as Go joins them, two spaces before "or" included: "(e.g. 'my-name',  or '123-abc', regex ...".
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

// ---------------------------------------------------------------------------------------------
// Names per kind: k8s.io/apimachinery pkg/api/validation (generic.go) and path/name.go, and the
// ValidateObjectMeta call in each kind's validation.

type NameRule = (name: string, prefix: boolean) => string[];

/**
 * A generated name gets a suffix: a trailing '-' of the prefix is then inside the name. Go replaces
 * the last two bytes with 'a' (name[:len(name)-2] + "a"): a multi-byte character before the '-' is
 * cut, and its bytes left are not UTF-8, which no rule accepts ('?' stands for each).
 */
function maskTrailingDash(name: string): string {
  if (name.length <= 1 || !name.endsWith('-')) return name;
  const { text, partial } = cutBytes(Buffer.from(name, 'utf8').subarray(0, -2));
  return `${text}${'?'.repeat(partial.length)}a`;
}

/** Bytes cut from UTF-8 text: the text of the whole characters, and the bytes of a character cut at the end. */
function cutBytes(cut: Buffer): { text: string; partial: number[] } {
  let whole = cut.length;
  let lead = cut.length - 1;
  while (lead > 0 && (cut[lead]! & 0xc0) === 0x80) lead--;
  const width = cut[lead]! >= 0xf0 ? 4 : cut[lead]! >= 0xe0 ? 3 : cut[lead]! >= 0xc0 ? 2 : 1;
  if (lead >= 0 && cut.length - lead < width) whole = lead;
  return { text: cut.subarray(0, whole).toString('utf8'), partial: [...cut.subarray(whole)] };
}

const nameIsDNSSubdomain: NameRule = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
const nameIsDNSLabel: NameRule = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
const nameIsDNS1035Label: NameRule = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

/** ValidatePathSegmentName: all the generic registry requires (rest.BeforeCreate) of kinds whose validation checks no name. */
const pathSegmentName: NameRule = (name, prefix) => {
  if (!prefix) {
    for (const illegal of ['.', '..']) if (name === illegal) return [`may not be '${illegal}'`];
  }
  return ['/', '%'].filter((illegal) => name.includes(illegal)).map((illegal) => `may not contain '${illegal}'`);
};

/** `<group>/<kind>` → the name rule of its validation in v1.28.15, for the kinds the gate is likely to see. */
const nameRules: Record<string, NameRule> = {
  '/Namespace': nameIsDNSLabel,
  '/Service': nameIsDNS1035Label,
  '/Pod': nameIsDNSSubdomain,
  '/ConfigMap': nameIsDNSSubdomain,
  '/Secret': nameIsDNSSubdomain,
  '/ServiceAccount': nameIsDNSSubdomain,
  '/PersistentVolumeClaim': nameIsDNSSubdomain,
  '/PersistentVolume': nameIsDNSSubdomain,
  '/Endpoints': nameIsDNSSubdomain,
  '/ReplicationController': nameIsDNSSubdomain,
  '/LimitRange': nameIsDNSSubdomain,
  '/ResourceQuota': nameIsDNSSubdomain,
  // ValidateStatefulSetName: a label, as the pods' hostnames derive from it.
  'apps/StatefulSet': nameIsDNSLabel,
  'apps/Deployment': nameIsDNSSubdomain,
  'apps/ReplicaSet': nameIsDNSSubdomain,
  'apps/DaemonSet': nameIsDNSSubdomain,
  'apps/ControllerRevision': nameIsDNSSubdomain,
  'batch/Job': nameIsDNSSubdomain,
  'batch/CronJob': nameIsDNSSubdomain,
  'autoscaling/HorizontalPodAutoscaler': nameIsDNSSubdomain,
  'networking.k8s.io/NetworkPolicy': nameIsDNSSubdomain,
  'networking.k8s.io/Ingress': nameIsDNSSubdomain,
  'storage.k8s.io/StorageClass': nameIsDNSSubdomain,
  'scheduling.k8s.io/PriorityClass': nameIsDNSSubdomain,
  'coordination.k8s.io/Lease': nameIsDNSSubdomain,
  // ValidatePodDisruptionBudget checks no metadata: only the registry's path-segment rule applies.
  'policy/PodDisruptionBudget': pathSegmentName,
  // ValidateRBACName (role names like system:controller:... are common).
  'rbac.authorization.k8s.io/Role': pathSegmentName,
  'rbac.authorization.k8s.io/ClusterRole': pathSegmentName,
  'rbac.authorization.k8s.io/RoleBinding': pathSegmentName,
  'rbac.authorization.k8s.io/ClusterRoleBinding': pathSegmentName,
};

/** The API groups kube-apiserver v1.28 serves itself; any other group is a custom resource's. */
const builtInGroups = new Set([
  '',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'apps',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
]);

/**
 * A custom resource's name is a DNS subdomain (apiextensions-apiserver's customresource validator).
 * A built-in kind missing from the table is left unchecked rather than held to a guess: the rules
 * differ by kind, and the message would not be the API server's.
 */
function nameRuleOf(group: string, kind: string): NameRule | undefined {
  return nameRules[`${group}/${kind}`] ?? (builtInGroups.has(group) ? undefined : nameIsDNSSubdomain);
}

// ---------------------------------------------------------------------------------------------
// Object metadata: ValidateObjectMetaAccessor, ValidateLabels, ValidateAnnotations.

const totalAnnotationSizeLimitB = 256 * (1 << 10);

/**
 * An object's name as the API server validates it: metadata.name, or the name the registry generates
 * from metadata.generateName before it validates (names.SimpleNameGenerator: generateName cut to 58
 * bytes, then 5 random lowercase letters and digits).
 */
interface ObjectName {
  /** What the rules are checked on; for a generated name, 5 letters stand for the random ones (no rule's verdict depends on which). */
  value: string;
  /** How the API server quotes it in a message (Go's %q); `<random>` stands for the random characters. */
  quoted: string;
  /** How it prints unquoted (with `<random>`). */
  display: string;
  /** For a generated name, what a finding on it says about it. */
  note?: { note: string };
}

const randomSuffix = '<random>';

function objectName(metadata: Record<string, unknown>): ObjectName | undefined {
  const name = stringOf(metadata.name);
  if (name) return { value: name, quoted: goQuote(name), display: name };
  const generateName = stringOf(metadata.generateName);
  if (name !== '' || !generateName) return undefined;
  const note = { note: `the API server names the object generateName (cut to ${maxGeneratedNameLength} bytes) and 5 random characters, and validates that name` };
  const bytes = Buffer.from(generateName, 'utf8');
  // The name is the server's: a lone surrogate reached it (through JSON) as U+FFFD.
  const wellFormed = generateName.replace(/[\ud800-\udfff]/gu, '\ufffd');
  if (bytes.length <= maxGeneratedNameLength) return { value: `${generateName}bcdfg`, quoted: goQuote(`${generateName}${randomSuffix}`), display: `${wellFormed}${randomSuffix}`, note };
  // Go cuts bytes: a character cut in two leaves bytes that are not UTF-8, which no rule accepts,
  // which %q prints as \xNN, and which reach the client (through JSON) as U+FFFD each.
  const { text, partial } = cutBytes(bytes.subarray(0, maxGeneratedNameLength));
  return {
    value: `${text}${'?'.repeat(partial.length)}bcdfg`,
    quoted: `${goQuote(text).slice(0, -1)}${partial.map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}${randomSuffix}"`,
    display: `${text}${'\ufffd'.repeat(partial.length)}${randomSuffix}`,
    note,
  };
}

/** The label the registry gives every Namespace (namespace strategy PrepareForCreate), replacing any of that key. */
const namespaceNameLabel = 'kubernetes.io/metadata.name';

function checkObjectMeta(found: Findings, metadata: Record<string, unknown>, nameRule: NameRule | undefined, name: ObjectName | undefined, namespace: boolean): void {
  const generateName = stringOf(metadata.generateName);
  if (nameRule && generateName) {
    for (const msg of nameRule(generateName, true)) found.add('schema.object_name', 'metadata.generateName', invalid(generateName, msg));
  }
  // The registry generates the name from generateName before it validates, and validates both.
  if (stringOf(metadata.name) === '' && !generateName) found.add('schema.object_name', 'metadata.name', required('name or generateName is required'));
  else if (nameRule && name) for (const msg of nameRule(name.value, false)) found.add('schema.object_name', 'metadata.name', invalidQuoted(name.quoted, msg), name.note);
  const explicitName = stringOf(metadata.name);
  if (namespace && explicitName) {
    // Defaulting labels a Namespace kubernetes.io/metadata.name: <its name> before validation, so its
    // name is a label value too. Not a generated name: that is not known yet when defaults are set,
    // and the label is set after validation (namespace strategy Canonicalize), unchecked.
    const { [namespaceNameLabel]: _replaced, ...labels } = mapOf(metadata.labels);
    checkLabels(found, labels, 'metadata.labels');
    for (const msg of isValidLabelValue(explicitName)) {
      found.add('schema.object_name', 'metadata.labels', invalid(explicitName, msg), { note: `the API server labels every Namespace ${namespaceNameLabel}: <its name>` });
    }
  } else {
    checkLabels(found, metadata.labels, 'metadata.labels');
  }
  checkAnnotations(found, metadata.annotations, 'metadata.annotations');
}

function checkLabels(found: Findings, labels: unknown, field: string, extra: { note?: string } = {}): void {
  if (!isMap(labels)) return;
  for (const [key, value] of Object.entries(labels)) {
    for (const msg of isQualifiedName(key)) found.add('schema.labels_annotations', field, invalid(key, msg), extra);
    // A value of another type is schema.invalid's to report.
    if (typeof value === 'string') for (const msg of isValidLabelValue(value)) found.add('schema.labels_annotations', field, invalid(value, msg), extra);
  }
}

/**
 * Defaulting gives a ReplicationController or a Job that has no labels its pod template's labels
 * (core/v1 and batch/v1 defaults.go: obj.Labels = obj.Spec.Template.Labels, where the template has
 * labels): the same Go map, so they are validated as metadata.labels too, and so are the labels the
 * registry then adds to a Job's template. Returns whether the labels are shared.
 */
function checkSharedLabels(found: Findings, metadata: Record<string, unknown>, spec: Record<string, unknown>): boolean {
  const templateLabels = mapOf(mapOf(spec.template).metadata).labels;
  const own = metadata.labels;
  if (!isMap(templateLabels) || (own !== undefined && own !== null && !(isMap(own) && Object.keys(own).length === 0))) return false;
  checkLabels(found, templateLabels, 'metadata.labels', { note: "an object without labels is given its pod template's labels before validation" });
  return true;
}

function checkAnnotations(found: Findings, annotations: unknown, field: string): void {
  if (!isMap(annotations)) return;
  let size = 0;
  for (const [key, value] of Object.entries(annotations)) {
    // The rule is a qualified name, but case does not matter; the key is shown as written.
    for (const msg of isQualifiedName(goToLower(key))) found.add('schema.labels_annotations', field, invalid(key, msg));
    size += byteLength(key) + (typeof value === 'string' ? byteLength(value) : 0);
  }
  if (size > totalAnnotationSizeLimitB) found.add('schema.labels_annotations', field, `Too long: must have at most ${totalAnnotationSizeLimitB} bytes`);
}

// ---------------------------------------------------------------------------------------------
// Pod specs: ValidatePodTemplateSpec, ValidatePodSpec, ValidateVolumes, validateContainers,
// validateInitContainers, validateContainerCommon, validateContainerPorts, ValidateVolumeMounts.

/**
 * A workload's template as ValidatePodTemplateSpec checks it. Its labels and annotations are named
 * `<template>.labels`, not `<template>.metadata.labels`: that is how the API server prints them.
 */
function checkTemplate(found: Findings, template: unknown, at: string): void {
  if (!isMap(template)) return;
  const metadata = mapOf(template.metadata);
  checkLabels(found, metadata.labels, `${at}.labels`);
  checkAnnotations(found, metadata.annotations, `${at}.annotations`);
  const spec = mapOf(template.spec);
  checkPodSpec(found, spec, `${at}.spec`, arrayOf(spec.volumes));
}

/** `volumes` is the pod's list, which for a StatefulSet's pods is not the template's. */
function checkPodSpec(found: Findings, spec: Record<string, unknown>, at: string, volumes: unknown[]): void {
  const defined = checkVolumes(found, volumes, `${at}.volumes`);
  const containers = arrayOf(spec.containers);
  const names = new Set<string>();
  for (const [i, container] of containers.entries()) {
    const name = checkContainer(found, container, `${at}.containers[${i}]`, defined);
    if (name === undefined) continue;
    // Collisions with init containers are reported on the init container.
    if (names.has(name)) found.add('schema.container_names', `${at}.containers[${i}].name`, duplicate(name));
    else names.add(name);
  }
  const all = new Set(containers.filter(isMap).map((c) => stringOf(c.name)).filter((n) => n !== undefined));
  for (const [i, container] of arrayOf(spec.initContainers).entries()) {
    const name = checkContainer(found, container, `${at}.initContainers[${i}]`, defined);
    if (name === undefined) continue;
    if (all.has(name)) found.add('schema.container_names', `${at}.initContainers[${i}].name`, duplicate(name));
    else if (name.length > 0) all.add(name);
  }
}

/**
 * The names a mount may refer to. A volume with an error is not one of them (a mount naming it is
 * also "not found"), as in ValidateVolumes; the errors of its source, which this does not check,
 * would exclude it too.
 */
function checkVolumes(found: Findings, volumes: unknown[], at: string): Set<string> {
  const defined = new Set<string>();
  for (const [i, volume] of volumes.entries()) {
    const name = stringOf(mapOf(volume).name);
    if (!isMap(volume) || name === undefined) continue;
    const field = `${at}[${i}].name`;
    const errors = name === '' ? [required()] : isDNS1123Label(name).map((msg) => invalid(name, msg));
    if (defined.has(name)) errors.push(duplicate(name));
    if (errors.length === 0) defined.add(name);
    for (const error of errors) found.add('schema.volume_names', field, error);
  }
  return defined;
}

/** validateContainerCommon's name, ports and volume mounts; returns the container's name (undefined when not a string). */
function checkContainer(found: Findings, container: unknown, at: string, volumes: Set<string>): string | undefined {
  if (!isMap(container)) return undefined;
  const name = stringOf(container.name);
  if (name === '') found.add('schema.container_names', `${at}.name`, required());
  else if (name !== undefined) for (const msg of isDNS1123Label(name)) found.add('schema.container_names', `${at}.name`, invalid(name, msg));

  const portNames = new Set<string>();
  for (const [i, port] of arrayOf(container.ports).entries()) {
    const portName = stringOf(mapOf(port).name);
    if (!portName) continue;
    const field = `${at}.ports[${i}].name`;
    const msgs = isValidPortName(portName);
    if (msgs.length > 0) for (const msg of msgs) found.add('schema.port_names', field, invalid(portName, msg));
    else if (portNames.has(portName)) found.add('schema.port_names', field, duplicate(portName));
    else portNames.add(portName);
  }

  for (const [i, mount] of arrayOf(container.volumeMounts).entries()) {
    const mountName = stringOf(mapOf(mount).name);
    if (mountName === undefined) continue;
    const field = `${at}.volumeMounts[${i}].name`;
    if (mountName === '') found.add('schema.volume_names', field, required());
    if (!volumes.has(mountName)) found.add('schema.volume_names', field, notFound(mountName));
  }
  return name;
}

// ---------------------------------------------------------------------------------------------
// StatefulSets. Their validation (apps/validation ValidatePodTemplateSpecForStatefulSet) checks the
// template's labels and annotations but not its spec, so the API server accepts a StatefulSet whose
// pods it will refuse; the controller's pods are what is checked here, as the controller makes them
// (statefulset/stateful_set_utils.go newVersionedStatefulSetPod).

/** The longest hash ControllerRevisionName appends: FNV-32 printed in decimal (then only re-lettered). */
const revisionHashMaxLength = REVISION_HASH_MAX;

function checkStatefulSet(found: Findings, stsName: ObjectName | undefined, nameRefused: boolean, spec: Record<string, unknown>): void {
  const template = mapOf(spec.template);
  const templateMeta = mapOf(template.metadata);
  checkLabels(found, templateMeta.labels, 'spec.template.labels');
  checkAnnotations(found, templateMeta.annotations, 'spec.template.annotations');

  if (!stsName) return;
  // A generated name (from generateName) prints with <random> for its random characters.
  const { value: name, display } = stsName;
  const start = naturalOf(mapOf(spec.ordinals).start) ?? 0;
  const replicas = naturalOf(spec.replicas) ?? 1;
  const pods = new Findings(`${display}-${start}`);

  // A name (or generateName) the API server refuses makes every pod name invalid, or the pods moot:
  // that is object_name's to say.
  const nameAccepted = !nameRefused && isDNS1123Label(name).length === 0;
  // The pod's controller-revision-hash label is the revision's name, <name>-<hash>.
  if (nameAccepted && byteLength(name) + 1 + revisionHashMaxLength > labelValueMaxLength) {
    const room = Math.max(labelValueMaxLength - byteLength(name) - 1, 0);
    pods.add('schema.controller_pods', 'metadata.labels', invalid(`${display}-<hash>`, maxLenError(labelValueMaxLength)), {
      note:
        `the controller labels each pod controller-revision-hash: <StatefulSet name>-<hash of the pod template>, a hash of up to ` +
        `${revisionHashMaxLength} characters, ${revisionHashMaxLength} for about 3 templates in 4; this name leaves room for ${room}, ` +
        `and a StatefulSet name can have at most ${STATEFULSET_NAME_MAX} characters`,
    });
  }

  // The pod name is the pod's hostname and its statefulset.kubernetes.io/pod-name label: the first
  // ordinal of each length (replicas 0 still names the pod a scale-up creates) decides.
  const last = start + Math.max(replicas, 1) - 1;
  const ordinals = [start];
  for (let power = 10; power <= last; power *= 10) if (power > start) ordinals.push(power);
  for (const ordinal of nameAccepted ? ordinals : []) {
    const podName = `${name}-${ordinal}`;
    const shown = `${display}-${ordinal}`;
    const podFound = new Findings(shown);
    for (const msg of isValidLabelValue(podName)) podFound.add('schema.controller_pods', 'metadata.labels', invalid(shown, msg));
    for (const msg of isDNS1123Label(podName)) podFound.add('schema.controller_pods', 'spec.hostname', invalid(shown, msg));
    if (podFound.list.length > 0) {
      pods.list.push(...podFound.list);
      break;
    }
  }

  // The controller puts a volume for each volumeClaimTemplate first (in Go map order, so with several
  // claims their indices vary from pod to pod), then the template's volumes that no claim replaces.
  const claims = arrayOf(spec.volumeClaimTemplates)
    .map((claim) => stringOf(mapOf(mapOf(claim).metadata).name))
    .filter((claim): claim is string => claim !== undefined);
  const claimSet = new Set(claims);
  const volumes = [
    ...[...claimSet].map((claim) => ({ name: claim })),
    ...arrayOf(mapOf(template.spec).volumes).filter((volume) => !claimSet.has(stringOf(mapOf(volume).name) ?? '\0')),
  ];
  checkPodSpec(pods, mapOf(template.spec), 'spec', volumes);

  const serviceName = stringOf(spec.serviceName);
  if (serviceName) for (const msg of isDNS1123Label(serviceName)) pods.add('schema.controller_pods', 'spec.subdomain', invalid(serviceName, msg));
  found.list.push(...pods.list);
}

// ---------------------------------------------------------------------------------------------
// k8s.io/apimachinery/pkg/util/validation/field: how an error prints.

class Findings {
  readonly list: ApiServerFinding[] = [];
  constructor(
    private readonly pod?: string,
    private readonly job?: string,
  ) {}

  add(rule: ApiServerRule, field: string, body: string, extra: { note?: string } = {}): void {
    this.list.push({ rule, field, message: `${field}: ${body}`, ...(this.pod === undefined ? {} : { pod: this.pod }), ...(this.job === undefined ? {} : { job: this.job }), ...extra });
  }
}

const invalid = (value: string, detail: string) => invalidQuoted(goQuote(value), detail);
const invalidQuoted = (quoted: string, detail: string) => `Invalid value: ${quoted}: ${detail}`;
const required = (detail = '') => (detail ? `Required value: ${detail}` : 'Required value');
const duplicate = (value: string) => `Duplicate value: ${goQuote(value)}`;
const notFound = (value: string) => `Not found: ${goQuote(value)}`;

const goEscapes: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };
const goPrintable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go's %q of a string (strconv.Quote): printable characters as they are, the rest escaped. */
export function goQuote(value: string): string {
  let quoted = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (goEscapes[ch]) quoted += goEscapes[ch];
    else if (goPrintable.test(ch)) quoted += ch;
    // A lone surrogate reaches Go (through JSON) as U+FFFD, which is printable.
    else if (code >= 0xd800 && code <= 0xdfff) quoted += '\ufffd';
    else if (code < 0x20 || code === 0x7f) quoted += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code < 0x10000) quoted += `\\u${code.toString(16).padStart(4, '0')}`;
    else quoted += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${quoted}"`;
}

/** Go's strings.ToLower maps each character on its own (İ to i), where JavaScript's may give two. */
function goToLower(value: string): string {
  let lower = '';
  for (const ch of value) lower += String.fromCodePoint(ch.toLowerCase().codePointAt(0)!);
  return lower;
}

const byteLength = (value: string) => Buffer.byteLength(value, 'utf8');

// ---------------------------------------------------------------------------------------------
// Reading objects of any shape: a field of the wrong type is schema.invalid's to report; here it is
// skipped, and an absent or null one is Go's zero value.

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const mapOf = (value: unknown): Record<string, unknown> => (isMap(value) ? value : {});
const arrayOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const stringOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : value === undefined || value === null ? '' : undefined);
const naturalOf = (value: unknown): number | undefined => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined);
