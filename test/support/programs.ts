import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Why real-process tests cannot run here, or undefined when every program they need is installed. */
export function missingPrograms(...programs: string[]): string | undefined {
  const missing = programs.filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);
  return missing.length ? `not installed: ${missing.join(', ')} (.ci/run installs them with apt-get)` : undefined;
}

export interface TestPki {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * A CA and a server certificate for loopback tests, made with the real openssl: the server
 * certificate covers `ips` and `dnsNames`.
 */
export function makeTestPki(dir: string, ips: string[], dnsNames: string[] = ['localhost']): TestPki {
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=redis-gitops test CA', '-keyout', f('ca.key'), '-out', f('ca.crt'),
    '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=redis',
    '-keyout', f('tls.key'), '-out', f('tls.csr'));
  const san = [...ips.map((ip) => `IP:${ip}`), ...dnsNames.map((d) => `DNS:${d}`)].join(',');
  writeFileSync(f('ext.cnf'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:false\n`);
  openssl('x509', '-req', '-in', f('tls.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', f('ext.cnf'), '-out', f('tls.crt'));
  return { caFile: f('ca.crt'), certFile: f('tls.crt'), keyFile: f('tls.key') };
}
