/**
 * What the deployment's two Secrets hold: the contract between the workloads that mount them and the
 * secrets generation that fills (and seals) them.
 */

/** `<deployment>-auth`: the ACL file, the sentinels' password and one password per ACL user. */
export const authSecretKeys = {
  aclFile: 'users.acl',
  /** The sentinels' own password (requirepass of the sentinel port). */
  sentinelAuth: 'sentinel-auth',
} as const;

/** Key of an ACL user's password in the auth Secret. */
export function aclPasswordKey(user: string): string {
  return `acl-${user}`;
}

/** `<deployment>-tls`: the server certificate and key, the CA, and both joined for HAProxy. */
export const tlsSecretKeys = {
  cert: 'tls.crt',
  key: 'tls.key',
  ca: 'ca.crt',
  /** Certificate then key in one PEM file, as HAProxy's `crt` wants them. */
  bundle: 'server.pem',
} as const;

/** Names of the deployment's Secrets (each arrives as a SealedSecret of the same name). */
export function secretNames(deployment: string) {
  return {
    tls: `${deployment}-tls`,
    auth: `${deployment}-auth`,
    /** One per application user and one for the admin user: key `password`. */
    user: (user: string) => `${deployment}-user-${user}`,
  };
}

/** Key of an application or admin user's password in its own Secret. */
export const USER_PASSWORD_KEY = 'password';
