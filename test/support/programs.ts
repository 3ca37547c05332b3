import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { joinPem } from '../../src/secrets/pem.js';
export { tlsHandshake } from '../../src/drill/tls.js';
export { missingPrograms } from '../../src/drill/programs.js';

export interface TestPki {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** Certificate then key, as HAProxy loads them. */
  bundleFile: string;
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
  writeFileSync(f('server.pem'), joinPem(readFileSync(f('tls.crt'), 'utf8'), readFileSync(f('tls.key'), 'utf8')));
  return { caFile: f('ca.crt'), certFile: f('tls.crt'), keyFile: f('tls.key'), bundleFile: f('server.pem') };
}

/**
 * A Go tool that .ci/run builds from its Go module, at the version pinned in package.json config,
 * into .tools/<name>/<version>/<name>; undefined when it has not been built here.
 */
export function goTool(name: 'kubeseal' | 'promtool' | 'redis_exporter' | 'actionlint'): string | undefined {
  const dir = fileURLToPath(new URL(`../../.tools/${name}`, import.meta.url));
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir)
    .map((version) => path.join(dir, version, name))
    .find(existsSync);
}

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end and reports its exit code and output, whether it failed or not. */
export function runProgram(file: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The example cluster's TEST-ONLY private sealing key. */
export const testSealingKey = fileURLToPath(new URL('../../clusters/example.sealing-key.TEST-ONLY-DO-NOT-USE.pem', import.meta.url));

/** Opens one SealedSecret file with the real kubeseal and the test-only private key: the Secret's data, as text. */
export async function unseal(file: string): Promise<Record<string, string>> {
  const kubeseal = goTool('kubeseal');
  if (!kubeseal) throw new Error('kubeseal is not built (.ci/run builds it into .tools/)');
  const { stdout } = await runProgram(kubeseal, ['--recovery-unseal', '--recovery-private-key', testSealingKey, '-f', file, '-o', 'json']);
  const secret = JSON.parse(stdout) as { data: Record<string, string> };
  return Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
}

export const cliPath = fileURLToPath(new URL('../../bin/redis-gitops.mjs', import.meta.url));

/** The redis-gitops CLI as a user runs it, in `cwd`. */
export function redisGitops(cwd: string, ...args: string[]): Promise<Outcome> {
  return runProgram(process.execPath, [cliPath, ...args], cwd);
}
