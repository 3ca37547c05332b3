import { renderAclFile } from '../../charts/config/acl.js';
import { deploymentAclUsers, systemUserRules } from '../../model/users.js';
import { aclPasswordKey, authSecretKeys, secretNames, tlsSecretKeys, USER_PASSWORD_KEY } from '../../model/secrets.js';
import type { DeploymentSecrets } from '../../model/secrets.js';
import { InputErrors, type Deployment } from '../config/load.js';
import { newPassword, sha256Hex } from './passwords.js';
import { joinPem } from './pem.js';
import { sealValue, type SealingKey } from './seal.js';
import type { SecretsState, TlsGenerationState } from './state.js';
import type { Rotation } from './rotations.js';
import { issueTls, summarize } from './tls.js';

export { rotations, type Rotation } from './rotations.js';

export interface ResolveInput {
  deployment: Deployment;
  /** Every DNS name the server certificate must cover. */
  subjectNames: readonly string[];
  sealingKey: SealingKey;
  previous: SecretsState | undefined;
  now: Date;
  rotate: ReadonlySet<Rotation>;
}

export interface ResolvedSecrets {
  state: SecretsState;
  secrets: DeploymentSecrets;
  /** What was generated, and warnings (certificates near expiry), for the synth report. */
  notes: string[];
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
    const tls = await issueTls(deployment.name, sans, now);
    return {
      ca: summarize(tls.caCertificate),
      server: summarize(tls.serverCertificate),
      sealed: {
        [tlsSecretKeys.cert]: seal(names.tls, joinPem(tls.serverCertificate)),
        [tlsSecretKeys.key]: seal(names.tls, joinPem(tls.serverKey)),
        [tlsSecretKeys.ca]: seal(names.tls, joinPem(tls.caCertificate)),
        [tlsSecretKeys.bundle]: seal(names.tls, joinPem(tls.serverCertificate, tls.serverKey)),
      },
    };
  };

  let tls = previous?.tls;
  let pendingTls = previous?.pendingTls;
  if (!tls || JSON.stringify(previous?.sans) !== JSON.stringify(sans)) {
    if (tls) notes.push('certificate names changed: new CA and server certificate (applications need the new ca.crt)');
    tls = await issue();
    pendingTls = undefined;
  }
  if (rotate.has('ca')) {
    pendingTls = await issue();
    notes.push('new CA published beside the current one; run `rotate --what server` once applications have it');
  }
  if (rotate.has('server')) {
    if (!pendingTls) {
      throw new InputErrors([
        {
          file: deployment.file,
          field: '',
          message:
            'rotate --what server serves the certificate that rotate --what ca prepared, and there is none: run ' +
            'rotate --what ca first (the CA key is never kept, so a new server certificate comes with a new CA)',
        },
      ]);
    }
    tls = pendingTls;
    pendingTls = undefined;
    notes.push('now serving the certificate of the new CA');
  }
  if (Date.parse(tls.server.notAfter) - now.getTime() < EXPIRY_WARNING_MS) {
    notes.push(`warning: the server certificate expires on ${tls.server.notAfter}: run rotate --what ca, then --what server`);
  }

  const renew = rotate.has('passwords');
  const homeOf = (user: string) => (user in systemUserRules ? names.auth : names.user(user));
  const aclUsers = deploymentAclUsers(deployment.spec.access.service);
  const wanted = aclUsers.map((u) => u.name);
  const users: SecretsState['users'] = {};
  for (const user of wanted) {
    const kept = renew ? undefined : previous?.users[user];
    if (kept) {
      users[user] = kept;
    } else {
      const password = newPassword();
      users[user] = { passwordSha256: sha256Hex(password), sealed: seal(homeOf(user), password) };
    }
  }
  const sentinelAuth = (!renew && previous?.sentinelAuth) || { sealed: seal(names.auth, newPassword()) };
  if (renew) notes.push('all passwords renewed');

  const aclText = renderAclFile(aclUsers.map((u) => ({ ...u, passwordSha256: users[u.name]!.passwordSha256 })));
  const aclSha256 = sha256Hex(aclText);
  const acl = previous?.acl.sha256 === aclSha256 ? previous.acl : { sha256: aclSha256, sealed: seal(names.auth, aclText) };

  const sealedSecrets: DeploymentSecrets['sealedSecrets'] = {
    [names.tls]: tls.sealed,
    [names.auth]: {
      [authSecretKeys.aclFile]: acl.sealed,
      [authSecretKeys.sentinelAuth]: sentinelAuth.sealed,
      ...Object.fromEntries(Object.keys(systemUserRules).map((user) => [aclPasswordKey(user), users[user]!.sealed])),
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
    users,
    sentinelAuth,
    acl,
  };
  return {
    state,
    secrets: {
      sealedSecrets,
      caBundle: joinPem(tls.ca.certificate, ...(pendingTls ? [pendingTls.ca.certificate] : [])),
      checksum: sha256Hex(JSON.stringify(sealedSecrets)),
    },
    notes,
  };
}
