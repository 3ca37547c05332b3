import { memberHosts, portalServiceName, type Placement } from './topology.js';

/**
 * What the deployment's Secrets hold: the contract between the workloads that mount them and the
 * secrets generation that fills (and seals) them.
 */

/** `<deployment>-auth`: the ACL file, the sentinels' password and one password per ACL user. */
export const authSecretKeys = {
  aclFile: 'users.acl',
  /** The sentinels' own password: what their clients and the other sentinels log in with. */
  sentinelAuth: 'sentinel-auth',
  /**
   * During a password rotation only: the other password the sentinels accept (the new one before the
   * switch step, the old one after it). Absent otherwise.
   */
  sentinelAuthAlso: 'sentinel-auth-also',
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

/** ConfigMap key (and file beside the manifests) of the published CA certificate(s). */
export const CA_BUNDLE_KEY = 'ca.crt';

/** The deployment's secrets, sealed for its cluster (src/secrets makes them; charts only place them). */
export interface DeploymentSecrets {
  /** Secret name → key → sealed value. */
  sealedSecrets: Record<string, Record<string, string>>;
  /** PEM certificates of the CA(s) applications must trust. */
  caBundle: string;
}

/**
 * Names the server certificate covers: the portal Service in every form a client may use, each
 * member's host name (portal health checks and replication verify them), and the portal's extra
 * host names (`portal.hostnames`).
 */
export function serverCertificateNames(id: Placement, hostnames: readonly string[]): string[] {
  const service = portalServiceName(id);
  const ns = id.namespace;
  return [
    service,
    `${service}.${ns}`,
    `${service}.${ns}.svc`,
    `${service}.${ns}.svc.cluster.local`,
    ...memberHosts(id).map((m) => m.host),
    // The metrics exporters reach their own member's redis and sentinel on localhost.
    'localhost',
    ...hostnames,
  ];
}
