import { renderAclFile } from '../../charts/config/acl.js';
import { deploymentAclUsers, systemUserRules } from '../../model/users.js';
import { aclPasswordKey, authSecretKeys, secretNames, tlsSecretKeys, USER_PASSWORD_KEY } from '../../model/secrets.js';
import type { DeploymentSecrets } from '../../model/secrets.js';
import { InputErrors, type Deployment } from '../config/load.js';
import { newPassword, sha256Hex } from './passwords.js';
import { joinPem } from './pem.js';
import { sealValue, type SealingKey } from './seal.js';
import type { SecretsState, TlsGenerationState } from './state.js';
import { beforeNextStep, nextStep, rotationNames, rotationSteps, stepCommand, stepEffects, stepRefusal, underWayNote, type RotationKind, type RotationRequest, type RotationStep } from './rotations.js';

export type { RotationRequest } from './rotations.js';

export interface ResolveInput {
  deployment: Deployment;
  /** Every DNS name the server certificate must cover. */
  subjectNames: readonly string[];
  sealingKey: SealingKey;
  previous: SecretsState | undefined;
  now: Date;
  /** The rotation steps to take now. */
  rotate: RotationRequest;
}

export interface ResolvedSecrets {
  state: SecretsState;
  secrets: DeploymentSecrets;
  /** What was generated, and warnings (certificates near expiry), for the synth report. */
  notes: string[];
  /**
   * Until when (ms since the epoch) resolving the same inputs again gives the same state and notes: the
   * moment the expiry warning starts. Nothing else here depends on the time once the state is there
   * (`now` dates only certificates issued now), so a synth may reuse this resolution until then (see
   * synth.ts, steadySecrets).
   */
  sameUntil: number;
}

const EXPIRY_WARNING_MS = 30 * 24 * 3600 * 1000;

/**
 * The deployment's secrets: reused from the previous state where it still fits, generated and sealed
 * where it does not (no state, another namespace or sealing key, changed names) or where a rotation
 * asks for it. Plain values exist only in memory, long enough to be sealed.
 */
export async function resolveSecrets(input: ResolveInput): Promise<ResolvedSecrets> {
  const { deployment, sealingKey, now, rotate } = input;
  const names = secretNames(deployment.name);
  const notes: string[] = [];
  const seal = (secret: string, value: string) => sealValue(sealingKey, deployment.namespace, secret, value);
  const previous =
    input.previous?.namespace === deployment.namespace && input.previous.sealingCertificate === sealingKey.fingerprint ? input.previous : undefined;
  if (input.previous && !previous) notes.push('namespace or sealing certificate changed: all secrets generated anew');

  const sans = [...input.subjectNames].sort();
  const issue = async (): Promise<TlsGenerationState> => {
    // The ASN.1 libraries load only to issue a certificate (~50 ms, most synths issue none).
    const { issueTls } = await import('./tls.js');
    const tls = await issueTls(deployment.name, sans, now);
    return {
      ca: tls.ca,
      server: tls.server,
      sealed: {
        [tlsSecretKeys.cert]: seal(names.tls, joinPem(tls.serverCertificate)),
        [tlsSecretKeys.key]: seal(names.tls, joinPem(tls.serverKey)),
        [tlsSecretKeys.ca]: seal(names.tls, joinPem(tls.caCertificate)),
        [tlsSecretKeys.bundle]: seal(names.tls, joinPem(tls.serverCertificate, tls.serverKey)),
      },
    };
  };

  const done = (kind: RotationKind, step: RotationStep) => {
    const next = nextStep(step);
    const before = beforeNextStep[kind][step];
    notes.push(
      `${rotationNames[kind]}, step ${rotationSteps.indexOf(step) + 1} of ${rotationSteps.length} (${step}): ${stepEffects[kind][step]}` +
        (next ? `. Commit state/ with dist/ and let Argo CD sync; next, once ${before}: ${stepCommand(deployment.name, kind, next)}` : ''),
    );
  };

  // TLS: `tls` is what the servers present; during a CA rotation `pendingTls` (after start) or
  // `retiringCa` (after switch) is the other CA that every trust file holds.
  let tls = previous?.tls;
  let pendingTls = previous?.pendingTls;
  let retiringCa = previous?.retiringCa;
  if (!tls || JSON.stringify(previous?.sans) !== JSON.stringify(sans)) {
    if (tls) {
      notes.push(
        'certificate names changed: new CA and server certificate at once (applications need the new ca.crt)' +
          (pendingTls || retiringCa ? '; the CA rotation that was under way is abandoned' : ''),
      );
    }
    tls = await issue();
    pendingTls = undefined;
    retiringCa = undefined;
  }
  const caStep = caRotationStep(pendingTls, retiringCa);
  const check = (kind: RotationKind, done: RotationStep | undefined) => {
    const step = rotate[kind];
    const refusal = step && stepRefusal(deployment.name, kind, step, done);
    if (refusal) throw new InputErrors([{ file: deployment.file, field: '', message: refusal }]);
  };
  check('ca', caStep);
  switch (rotate.ca) {
    case 'start':
      pendingTls = await issue();
      break;
    case 'switch':
      retiringCa = tls.ca;
      tls = pendingTls!;
      pendingTls = undefined;
      break;
    case 'finish':
      retiringCa = undefined;
      break;
  }
  if (rotate.ca) done('ca', rotate.ca);
  if (!rotate.ca && caStep) notes.push(underWayNote(deployment.name, 'ca', caStep));
  const warnFrom = Date.parse(tls.server.notAfter) - EXPIRY_WARNING_MS;
  if (now.getTime() >= warnFrom) {
    notes.push(`warning: the server certificate expires on ${tls.server.notAfter}: rotate the CA (${stepCommand(deployment.name, 'ca', 'start')})`);
  }
  // Oldest first: the text stays the same from the start step to the finish step's eve.
  const trusted = [retiringCa, tls.ca, pendingTls?.ca].filter((c): c is NonNullable<typeof c> => !!c);
  const caText = joinPem(...trusted.map((c) => c.certificate));
  let caFile: SecretsState['caFile'];
  if (trusted.length > 1) {
    const sha256 = sha256Hex(caText);
    caFile = previous?.caFile?.sha256 === sha256 ? previous.caFile : { sha256, sealed: seal(names.tls, caText) };
  }

  // Passwords: `users` holds each user's newest password; during a rotation `previous` the ones it
  // replaces. Both are in the ACL file. Applications are handed the newest from the start step; the
  // service's own components (whose Secret keys the members and portals read) only from the switch.
  const homeOf = (user: string) => (user in systemUserRules ? names.auth : names.user(user));
  const aclUsers = deploymentAclUsers(deployment.spec.access.service);
  const wanted = aclUsers.map((u) => u.name);
  const keptRotation = previous?.passwordRotation;
  let rotation: SecretsState['passwordRotation'] = keptRotation && {
    step: keptRotation.step,
    previous: { users: pick(keptRotation.previous.users, wanted), sentinelAuth: keptRotation.previous.sentinelAuth },
  };
  const kept = pick(previous?.users ?? {}, wanted);
  let sentinelAuth = previous?.sentinelAuth;
  let renew = false;
  check('passwords', rotation?.step);
  switch (rotate.passwords) {
    case 'start':
      renew = true;
      if (sentinelAuth) rotation = { step: 'start', previous: { users: kept, sentinelAuth } };
      else notes.push('no passwords yet: generated (nothing to overlap)');
      break;
    case 'switch':
      rotation = { ...rotation!, step: 'switch' };
      break;
    case 'finish':
      rotation = undefined;
      break;
  }
  if (rotate.passwords && (rotation || rotate.passwords === 'finish')) done('passwords', rotate.passwords);
  if (!rotate.passwords && rotation) notes.push(underWayNote(deployment.name, 'passwords', rotation.step));
  const users: SecretsState['users'] = {};
  for (const user of wanted) {
    const reuse = renew ? undefined : kept[user];
    if (reuse) {
      users[user] = reuse;
    } else {
      const password = newPassword();
      users[user] = { passwordSha256: sha256Hex(password), sealed: seal(homeOf(user), password) };
      // A user added to the deployment, or a password gone from its state file (a bad merge, a hand
      // edit): either way what logged in as this user before is refused from this sync on.
      if (!renew && previous) notes.push(`user ${user}: no password in the state file, generated one (Secret ${homeOf(user)}): right for a user just added; otherwise whatever logs in as ${user} must take the new one`);
    }
  }
  if (!renew && previous && !sentinelAuth) notes.push(`no sentinel password in the state file, generated one (Secret ${names.auth}): the members and sentinels take it as they restart`);
  if (renew || !sentinelAuth) sentinelAuth = { sealed: seal(names.auth, newPassword()) };
  // What the service's own components log in with: the previous passwords until the switch step.
  const inUse = rotation?.step === 'start' ? rotation.previous : undefined;
  const systemPassword = (user: string) => inUse?.users[user]?.sealed ?? users[user]!.sealed;
  const otherSentinelAuth = rotation && (rotation.step === 'start' ? sentinelAuth : rotation.previous.sentinelAuth);

  const aclText = renderAclFile(
    aclUsers.map((u) => ({ ...u, passwordSha256: users[u.name]!.passwordSha256, previousPasswordSha256: rotation?.previous.users[u.name]?.passwordSha256 })),
  );
  const aclSha256 = sha256Hex(aclText);
  const acl = previous?.acl.sha256 === aclSha256 ? previous.acl : { sha256: aclSha256, sealed: seal(names.auth, aclText) };

  const sealedSecrets: DeploymentSecrets['sealedSecrets'] = {
    [names.tls]: caFile ? { ...tls.sealed, [tlsSecretKeys.ca]: caFile.sealed } : tls.sealed,
    [names.auth]: {
      [authSecretKeys.aclFile]: acl.sealed,
      [authSecretKeys.sentinelAuth]: (inUse?.sentinelAuth ?? sentinelAuth).sealed,
      ...(otherSentinelAuth ? { [authSecretKeys.sentinelAuthAlso]: otherSentinelAuth.sealed } : {}),
      ...Object.fromEntries(Object.keys(systemUserRules).map((user) => [aclPasswordKey(user), systemPassword(user)])),
    },
    ...Object.fromEntries(wanted.filter((u) => !(u in systemUserRules)).map((user) => [names.user(user), { [USER_PASSWORD_KEY]: users[user]!.sealed }])),
  };
  const state: SecretsState = {
    version: 1,
    namespace: deployment.namespace,
    sealingCertificate: sealingKey.fingerprint,
    sans,
    tls,
    ...(pendingTls ? { pendingTls } : {}),
    ...(retiringCa ? { retiringCa } : {}),
    ...(caFile ? { caFile } : {}),
    users,
    sentinelAuth,
    ...(rotation ? { passwordRotation: rotation } : {}),
    acl,
  };
  return {
    state,
    secrets: {
      sealedSecrets,
      caBundle: caText,
    },
    notes,
    sameUntil: warnFrom,
  };
}

/** The step a CA rotation has done, if one is under way. */
function caRotationStep(pending: unknown, retiring: unknown): 'start' | 'switch' | undefined {
  if (retiring) return 'switch';
  return pending ? 'start' : undefined;
}

/** The entries of `record` whose keys are in `keys`, in the order of `keys`. */
function pick<T>(record: Readonly<Record<string, T>>, keys: readonly string[]): Record<string, T> {
  return Object.fromEntries(keys.filter((k) => k in record).map((k) => [k, record[k]!]));
}
