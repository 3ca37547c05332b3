import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatePolicy, type Policy } from '../src/gate/policy.js';
import { makeTestPki, missingPrograms, type TestPki } from './support/programs.js';

/**
 * The gate's reading of HAProxy configuration (policies/lib/haproxy.rego, rules tls.haproxy_*)
 * against real haproxy running the same text: each configuration of a corpus of lines HAProxy and a
 * naive reader disagree on (comments after a setting, carriage returns, quotes, escapes, environment
 * variables, `no-ssl` later on a line, defaults sections, a second file of the ConfigMap, conditional
 * blocks) is run by haproxy, a client connects to its frontend (does it speak TLS?) and a member
 * behind it records how haproxy connected (plaintext, TLS without checking its certificate, or TLS
 * that refused it: haproxy is given a CA that did not sign the member's certificate). Where haproxy
 * then listens or connects in plaintext, or connects without verifying, the gate must report the
 * configuration; where it runs safely, the gate reports nothing of it but the lines it cannot read
 * (fail closed). A configuration haproxy refuses (`haproxy -c`) is left out: nothing runs.
 */

const skip = missingPrograms('haproxy', 'openssl');

const FRONT = 17301;
const BACK = 17302;
const base = 'defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n';
const frontend = (options: string) => `frontend redis\n  bind 127.0.0.1:${FRONT} ${options}\n  default_backend members\n`;
const backend = (options: string) => `backend members\n  server m1 127.0.0.1:${BACK} ${options}\n`;
const TLS_FRONT = 'ssl crt {CRT}';
const VERIFIED = 'ssl verify required ca-file {CA}';

interface Case {
  /** ConfigMap keys and their text ({CRT}, {CA} and {DIR} stand for the test's files). */
  files: Record<string, string>;
  env?: Record<string, string>;
  /**
   * What the container gives haproxy, `-f` by `-f`: a key of the ConfigMap, or '.' for the folder it
   * is mounted as. Without it, the container is unknown and every way of running the files counts.
   */
  given?: string[];
}
const one = (text: string, env?: Record<string, string>): Case => ({ files: { 'haproxy.cfg': base + text }, env });

const corpus: Record<string, Case> = {
  'safe': one(frontend(TLS_FRONT) + backend(VERIFIED)),
  'bind settings in a comment': one(frontend(`# ${TLS_FRONT}`) + backend(VERIFIED)),
  'bind settings in a comment without a space': one(frontend(`#${TLS_FRONT}`) + backend(VERIFIED)),
  'quoted keywords': one(frontend('"ssl" \'crt\' "{CRT}"') + backend('"ssl" verify \'required\' ca-file "{CA}"')),
  'a hash inside quotes': one(frontend('ssl crt "{DIR}/s#1.pem" # a comment') + backend(VERIFIED)),
  'an escaped hash': one(frontend('ssl crt {DIR}/s\\#1.pem') + backend(VERIFIED)),
  'carriage return ends a bind line': one(`frontend redis\n  bind 127.0.0.1:${FRONT}\r ${TLS_FRONT}\n  default_backend members\n${backend(VERIFIED)}`),
  'carriage return at the end of lines': one((frontend(TLS_FRONT) + backend(VERIFIED)).replaceAll('\n', '\r\n')),
  'tabs between words': one(`frontend redis\n\tbind\t127.0.0.1:${FRONT}\tssl\tcrt\t{CRT}\n\tdefault_backend\tmembers\n${backend(VERIFIED)}`),
  'address from the environment': one(`frontend redis\n  bind "\${FRONT_ADDR}" ${TLS_FRONT}\n  default_backend members\n${backend(VERIFIED)}`, { FRONT_ADDR: `127.0.0.1:${FRONT}` }),
  'certificate from the environment': one(frontend('ssl crt "${CRT_FILE}"') + backend(VERIFIED), { CRT_FILE: '{CRT}' }),
  'no-ssl later on a server line': one(frontend(TLS_FRONT) + backend(`${VERIFIED} no-ssl`)),
  'no-ssl on default-server, ssl on the line': one(`${frontend(TLS_FRONT)}backend members\n  default-server no-ssl\n  server m1 127.0.0.1:${BACK} ${VERIFIED}\n`),
  'ssl on default-server, no-ssl on the line': one(`${frontend(TLS_FRONT)}backend members\n  default-server ${VERIFIED}\n  server m1 127.0.0.1:${BACK} no-ssl\n`),
  'ssl from the defaults section': one(`defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n  default-server ${VERIFIED}\n${frontend(TLS_FRONT)}${backend('')}`),
  'defaults after the backend': one(`${frontend(TLS_FRONT)}${backend('')}defaults\n  mode tcp\n  default-server ${VERIFIED}\n`),
  'a later defaults section replaces the earlier': one(`defaults\n  default-server ${VERIFIED}\n${base}${frontend(TLS_FRONT)}${backend('')}`),
  'a later defaults section without default-server replaces the earlier': one(`${base}  default-server ${VERIFIED}\ndefaults\n${base.replace('defaults\n', '')}${frontend(TLS_FRONT)}${backend('')}`),
  'an empty defaults section replaces the earlier': one(`${base}  default-server ${VERIFIED}\ndefaults\nfrontend redis\n  mode tcp\n  timeout client 5s\n  bind 127.0.0.1:${FRONT} ${TLS_FRONT}\n  default_backend members\nbackend members\n  mode tcp\n  timeout connect 2s\n  timeout server 5s\n  server m1 127.0.0.1:${BACK}\n`),
  'a proxy from a named defaults section without TLS': one(`defaults plain\n${base.replace('defaults\n', '')}defaults tls\n${base.replace('defaults\n', '')}  default-server ${VERIFIED}\n${frontend(TLS_FRONT)}backend members from plain\n  server m1 127.0.0.1:${BACK}\n`),
  'a proxy from a named defaults section with TLS': one(`defaults tls\n${base.replace('defaults\n', '')}  default-server ${VERIFIED}\ndefaults plain\n${base.replace('defaults\n', '')}${frontend(TLS_FRONT)}backend members from tls\n  server m1 127.0.0.1:${BACK}\n`),
  'a proxy without from after a named defaults section': one(`defaults tls\n${base.replace('defaults\n', '')}  default-server ${VERIFIED}\n${frontend(TLS_FRONT)}${backend('')}`),
  'a defaults section from another, adding verification': one(`defaults base\n${base.replace('defaults\n', '')}  default-server ssl verify none\ndefaults tls from base\n  default-server verify required ca-file {CA}\n${frontend(TLS_FRONT)}backend members from tls\n  server m1 127.0.0.1:${BACK}\n`),
  'a defaults section from another, without verification': one(`defaults base\n${base.replace('defaults\n', '')}  default-server ${VERIFIED}\ndefaults tls from base\n  default-server verify none\n${frontend(TLS_FRONT)}backend members from tls\n  server m1 127.0.0.1:${BACK}\n`),
  'verify none': one(frontend(TLS_FRONT) + backend('ssl verify none')),
  'verification in a comment': one(frontend(TLS_FRONT) + backend('ssl verify none # verify required ca-file {CA}')),
  'carriage return ends a server line': one(`${frontend(TLS_FRONT)}backend members\n  server m1 127.0.0.1:${BACK}\r ${VERIFIED}\n`),
  'global ssl-server-verify none': one(`global\n  ssl-server-verify none\n${frontend(TLS_FRONT)}${backend('ssl ca-file {CA}')}`),
  'ssl-server-verify none in a second file': {
    files: { '00-global.cfg': 'global\n  ssl-server-verify none\n', 'haproxy.cfg': base + frontend(TLS_FRONT) + backend('ssl ca-file {CA}') },
  },
  'defaults in a second file': {
    files: { '00-defaults.cfg': `${base}  default-server ${VERIFIED}\n`, 'haproxy.cfg': frontend(TLS_FRONT) + backend('') },
  },
  // Files given with -f in the container's command, in an order other than their names'.
  'defaults given first with -f, verify none': {
    files: { 'a-proxies.cfg': frontend(TLS_FRONT) + backend('ssl ca-file {CA}'), 'b-defaults.cfg': `${base}  default-server verify none\n` },
    given: ['b-defaults.cfg', 'a-proxies.cfg'],
  },
  'defaults given first with -f, verified': {
    files: { 'a-proxies.cfg': frontend(TLS_FRONT) + backend(''), 'b-defaults.cfg': `${base}  default-server ${VERIFIED}\n` },
    given: ['b-defaults.cfg', 'a-proxies.cfg'],
  },
  'a folder given with -f, a file without .cfg in it': {
    files: { 'haproxy.cfg': base + frontend(TLS_FRONT) + backend('ssl ca-file {CA}'), 'global.conf': 'global\n  ssl-server-verify none\n' },
    given: ['.'],
  },
  'a folder given with -f, verify none in a .cfg file': {
    files: { '00-global.cfg': 'global\n  ssl-server-verify none\n', 'haproxy.cfg': base + frontend(TLS_FRONT) + backend('ssl ca-file {CA}') },
    given: ['.'],
  },
  'verification from the environment': one(frontend(TLS_FRONT) + backend('ssl verify "$VERIFY" ca-file {CA}'), { VERIFY: 'none' }),
  'a conditional block': one(`frontend redis\n.if defined(NOT_SET)\n  bind 127.0.0.1:${FRONT} ${TLS_FRONT}\n.else\n  bind 127.0.0.1:${FRONT}\n.endif\n  default_backend members\n${backend(VERIFIED)}`),
  'a plaintext frontend': one(frontend('') + backend(VERIFIED)),
  'a plaintext backend': one(frontend(TLS_FRONT) + backend('')),
};

type Front = 'tls' | 'plaintext';
type Back = 'plaintext' | 'unverified' | 'verified' | 'none';

describe.skipIf(skip)(`HAProxy configuration as real haproxy reads it${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let dir: string;
  let pki: TestPki;
  let otherCa: string;
  let policy: Policy;
  let member: net.Server;
  let lastBack: Back = 'none';
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'haproxy-config-'));
    pki = makeTestPki(path.join(dir, 'pki'), ['127.0.0.1']);
    // haproxy is given this CA: it did not sign the member's certificate, so a haproxy that verifies refuses the member.
    otherCa = makeTestPki(path.join(dir, 'other'), ['127.0.0.1']).caFile;
    copyFileSync(pki.bundleFile, path.join(dir, 's#1.pem'));
    policy = await loadGatePolicy();
    const secureContext = tls.createSecureContext({ cert: readFileSync(pki.certFile), key: readFileSync(pki.keyFile) });
    // The member: tells a TLS client hello (0x16) from plaintext, then whether haproxy completes the handshake with a certificate it could not verify.
    member = net.createServer({ pauseOnConnect: true }, (socket) => {
      socket.on('error', () => {});
      socket.once('readable', () => {
        const first = socket.read(1) as Buffer | null;
        if (!first) return;
        socket.unshift(first);
        if (first[0] !== 0x16) {
          lastBack = 'plaintext';
          socket.destroy();
          return;
        }
        const secure = new tls.TLSSocket(socket, { isServer: true, secureContext });
        secure.on('secure', () => {
          lastBack = 'unverified';
          secure.destroy();
        });
        secure.on('error', () => {
          if (lastBack === 'none') lastBack = 'verified';
          secure.destroy();
        });
      });
      socket.resume();
    });
    await new Promise<void>((resolve) => member.listen(BACK, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => member?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const fill = (text: string) => text.replaceAll('{CRT}', pki.bundleFile).replaceAll('{CA}', otherCa).replaceAll('{DIR}', dir);

  /**
   * How haproxy runs a ConfigMap's files: given the folder they are mounted in (`-f <folder>`, all
   * of them in the order of their names) and each file alone (`-f <file>`): the gate does not know
   * which of these the container does, and judges each. The worst of the runs haproxy accepts:
   * a plaintext frontend over a TLS one, a plaintext or unverified connection to the member over a
   * verified one. Undefined when haproxy refuses every one.
   */
  async function observed(name: string, c: Case): Promise<{ front: Front; back: Back } | undefined> {
    const confDir = path.join(dir, 'conf');
    rmSync(confDir, { recursive: true, force: true });
    mkdirSync(confDir);
    for (const [key, text] of Object.entries(c.files)) writeFileSync(path.join(confDir, key), fill(text));
    const keys = Object.keys(c.files);
    const targets = c.given
      ? [c.given.map((g) => (g === '.' ? confDir : path.join(confDir, g)))]
      : (keys.length === 1 ? [path.join(confDir, keys[0]!)] : [confDir, ...keys.map((key) => path.join(confDir, key))]).map((t) => [t]);
    const runs = [];
    for (const target of targets) runs.push(await run(`${name} (${target.map((t) => path.basename(t)).join(' ')})`, target, c));
    const accepted = runs.filter((r) => r !== undefined);
    if (!accepted.length) return undefined;
    const backRank: Back[] = ['plaintext', 'unverified', 'none', 'verified'];
    return {
      front: accepted.some((r) => r.front === 'plaintext') ? 'plaintext' : 'tls',
      back: backRank.find((b) => accepted.some((r) => r.back === b))!,
    };
  }

  /** One run of haproxy on a file or folder; undefined when haproxy refuses it (or it has no frontend). */
  async function run(name: string, targets: string[], c: Case): Promise<{ front: Front; back: Back } | undefined> {
    const env = { ...process.env, ...Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, fill(v)])) };
    const files = targets.flatMap((t) => ['-f', t]);
    try {
      execFileSync('haproxy', ['-c', '-q', ...files], { env, stdio: 'pipe' });
    } catch {
      return undefined;
    }
    // A file of global settings alone runs no proxy.
    if (targets.length === 1 && targets[0] !== path.join(dir, 'conf') && !/^(frontend|listen) /m.test(readFileSync(targets[0]!, 'utf8'))) return undefined;
    const server = spawn('haproxy', ['-db', ...files], { env, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    try {
      for (let i = 0; i < 200 && server.exitCode === null && !(await accepts()); i++) await new Promise((r) => setTimeout(r, 25));
      if (server.exitCode !== null) throw new Error(`${name}: haproxy passed -c and then exited`);
      lastBack = 'none';
      const front = await handshake();
      if (front === 'plaintext') {
        const socket = net.connect(FRONT, '127.0.0.1', () => socket.write('PING\r\n'));
        socket.on('error', () => {});
        await new Promise((r) => setTimeout(r, 300));
        socket.destroy();
      }
      for (let i = 0; i < 40 && lastBack === 'none'; i++) await new Promise((r) => setTimeout(r, 25));
      return { front, back: lastBack };
    } finally {
      server.kill('SIGKILL');
      await exited;
    }
  }

  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(FRONT, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });

  const handshake = () =>
    new Promise<Front>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port: FRONT, rejectUnauthorized: false, timeout: 1000 }, () => {
        socket.write('PING\r\n');
        // Long enough for haproxy to reach the member.
        setTimeout(() => {
          socket.destroy();
          resolve('tls');
        }, 300);
      });
      socket.on('error', () => resolve('plaintext'));
      socket.on('timeout', () => {
        socket.destroy();
        resolve('plaintext');
      });
    });

  function gateFindings(c: Case): { rule: string; message: string }[] {
    const data = Object.fromEntries(Object.entries(c.files).map(([key, text]) => [key, fill(text)]));
    const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'redis-portal', namespace: 'n' }, data };
    const resources = [{ file: 'c.yaml', object }];
    // The portal that runs them, mounting the ConfigMap at /etc/haproxy.
    if (c.given) {
      const command = ['haproxy', '-W', '-db', ...c.given.flatMap((g) => ['-f', g === '.' ? '/etc/haproxy' : `/etc/haproxy/${g}`])];
      const container = { name: 'haproxy', image: 'haproxy:2.6', command, volumeMounts: [{ name: 'config', mountPath: '/etc/haproxy' }] };
      const spec = { selector: { matchLabels: { app: 'portal' } }, template: { metadata: { labels: { app: 'portal' } }, spec: { containers: [container], volumes: [{ name: 'config', configMap: { name: 'redis-portal' } }] } } };
      resources.push({ file: 'd.yaml', object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'portal', namespace: 'n' }, spec } as never });
    }
    return policy
      .evaluate({ namespace: 'n', resources, cluster_resources: [] }, '2026-06-01')
      .filter((v) => v.rule.startsWith('tls.haproxy_'))
      .map((v) => ({ rule: v.rule, message: v.message }));
  }

  it('reports every configuration haproxy runs insecurely, and nothing wrong of a safe one', async () => {
    const disagreements: string[] = [];
    const outcomes: string[] = [];
    for (const [name, c] of Object.entries(corpus)) {
      const truth = await observed(name, c);
      outcomes.push(`${name}: ${truth ? `${truth.front}, member ${truth.back}` : 'refused'}`);
      if (!truth) continue;
      const findings = gateFindings(c);
      const failClosed = (f: { message: string }) => f.message.includes('the gate cannot read this line as HAProxy does');
      const of = (rule: string) => findings.filter((f) => f.rule === rule);
      if (truth.back === 'none') disagreements.push(`${name}: haproxy never reached the member`);
      if (truth.front === 'plaintext' && of('tls.haproxy_frontend_tls').length === 0) disagreements.push(`${name}: haproxy listens in plaintext; the gate passes it`);
      if (truth.front === 'tls' && of('tls.haproxy_frontend_tls').some((f) => !failClosed(f))) disagreements.push(`${name}: haproxy listens with TLS; the gate reports ${JSON.stringify(of('tls.haproxy_frontend_tls'))}`);
      if ((truth.back === 'plaintext' || truth.back === 'unverified') && of('tls.haproxy_backend_tls').length === 0) disagreements.push(`${name}: haproxy reaches the member ${truth.back}; the gate passes it`);
      if (truth.back === 'verified' && of('tls.haproxy_backend_tls').some((f) => !failClosed(f))) disagreements.push(`${name}: haproxy verifies the member; the gate reports ${JSON.stringify(of('tls.haproxy_backend_tls'))}`);
    }
    expect(disagreements, outcomes.join('\n')).toEqual([]);
    // Nearly all of the corpus runs, with each outcome present: the comparison is not vacuous.
    expect(outcomes.filter((o) => o.endsWith('refused'))).toEqual([]);
    for (const outcome of ['tls, member verified', 'plaintext, member verified', 'tls, member plaintext', 'tls, member unverified']) {
      expect(outcomes.some((o) => o.endsWith(outcome)), outcome).toBe(true);
    }
  });

  // What an init container's script writes into the copy of haproxy.cfg haproxy then reads
  // (tls.haproxy_runtime_settings): each script is run by real sh on a copy of a safe configuration
  // (`$cfg`, its frontend last, so that appended lines land in it), haproxy runs the result, and the
  // gate is given the script as the init container of a portal that copies the mounted file onto an
  // emptyDir and runs haproxy on the copy, as the redis-ha chart does.
  const safeConfig = base + backend(VERIFIED) + frontend(`${TLS_FRONT} ssl-min-ver TLSv1.2`);
  const scripts: Record<string, string> = {
    'a placeholder replaced': 'sed -i "s/timeout client 5s/timeout client 6s/" "$cfg"',
    'ssl taken off the bind': "sed -i 's/ ssl crt [^ ]*//' \"$cfg\"",
    'the bind line replaced': `sed -i "s|bind 127.0.0.1:${FRONT} .*|bind 127.0.0.1:${FRONT}|" "$cfg"`,
    'verify none': "sed -i 's/verify required/verify none/' \"$cfg\"",
    'ssl taken off the server': "sed -i 's/ ssl verify required ca-file [^ ]*//' \"$cfg\"",
    'the file written anew': `cat > "$cfg" <<EOF\n${base}frontend redis\n  bind 127.0.0.1:${FRONT}\n  default_backend members\n${backend(VERIFIED)}EOF`,
    'a plaintext bind appended, its keyword in a variable': `sed -i "s|bind 127.0.0.1:${FRONT} .*|maxconn 100|" "$cfg"\nK=bind\n{\n  echo "  $K 127.0.0.1:${FRONT}"\n} >> "$cfg"`,
    'a TLS bind appended': `sed -i "s|bind 127.0.0.1:${FRONT} .*|maxconn 100|" "$cfg"\necho "  bind 127.0.0.1:${FRONT} ssl crt ${'${PEM}'}" >> "$cfg"`,
    'a comment appended': 'echo "# bind :6380" >> "$cfg"',
  };

  /** One init script run by sh on the safe configuration, then by haproxy, against the gate's verdict: [outcome, disagreement or ""]. */
  async function compareInitScript(name: string, script: string, files: Record<string, string> = {}): Promise<[string, string]> {
    const cfg = path.join(dir, 'runtime.cfg');
    writeFileSync(cfg, fill(safeConfig));
    // The ConfigMap's other keys, where the script finds them as $CONFIG_DIR/<key> (the gate: the
    // init container's environment names the folder the ConfigMap is mounted at).
    const configDir = path.join(dir, 'config');
    mkdirSync(configDir, { recursive: true });
    for (const [key, text] of Object.entries(files)) writeFileSync(path.join(configDir, key), fill(text).replaceAll('${PEM}', pki.bundleFile));
    execFileSync('sh', ['-c', fill(script)], { env: { ...process.env, cfg, PEM: pki.bundleFile, CONFIG_DIR: configDir }, stdio: 'ignore' });
    const truth = await run(name, [cfg], { files: {} });
    const outcome = `${name}: ${truth ? `${truth.front}, member ${truth.back}` : 'refused'}`;
    if (!truth) return [outcome, ''];
    const init = ['#!/bin/sh', 'cfg=/run/haproxy/haproxy.cfg', 'cp /config/haproxy.cfg "$cfg"', fill(script), ''].join('\n');
    const mounts = [{ name: 'run', mountPath: '/run/haproxy' }];
    const spec = {
      selector: { matchLabels: { app: 'portal' } },
      template: {
        metadata: { labels: { app: 'portal' } },
        spec: {
          initContainers: [{ name: 'config', image: 'haproxy:2.6', command: ['sh', '/config/init.sh'], env: [{ name: 'PEM', value: pki.bundleFile }, { name: 'CONFIG_DIR', value: '/config' }], volumeMounts: [...mounts, { name: 'config', mountPath: '/config' }] }],
          containers: [{ name: 'haproxy', image: 'haproxy:2.6', command: ['haproxy', '-db', '-f', '/run/haproxy/haproxy.cfg'], volumeMounts: mounts }],
          volumes: [{ name: 'config', configMap: { name: 'redis-portal' } }, { name: 'run', emptyDir: {} }],
        },
      },
    };
    const resources = [
      { file: 'c.yaml', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'redis-portal', namespace: 'n' }, data: { 'haproxy.cfg': fill(safeConfig), ...files, 'init.sh': init } } },
      { file: 'd.yaml', object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'portal', namespace: 'n' }, spec } },
    ];
    const findings = policy.evaluate({ namespace: 'n', resources, cluster_resources: [] }, '2026-06-01').filter((v) => v.rule.startsWith('tls.haproxy_'));
    const insecure = truth.front === 'plaintext' || truth.back === 'plaintext' || truth.back === 'unverified';
    if (truth.back === 'none') return [outcome, `${name}: haproxy never reached the member`];
    if (insecure && findings.length === 0) return [outcome, `${name}: haproxy runs ${truth.front}, member ${truth.back}; the gate passes it`];
    if (!insecure && findings.some((f) => !/cannot (read|tell)/.test(f.message))) return [outcome, `${name}: haproxy runs safely; the gate reports ${JSON.stringify(findings.map((f) => f.message))}`];
    return [outcome, ''];
  }

  it('judges what init scripts write into the configuration as sh and haproxy run it', async () => {
    const disagreements: string[] = [];
    const outcomes: string[] = [];
    for (const [name, script] of Object.entries(scripts)) {
      const [outcome, disagreement] = await compareInitScript(name, script);
      outcomes.push(outcome);
      if (disagreement) disagreements.push(disagreement);
    }
    expect(disagreements, outcomes.join('\n')).toEqual([]);
    expect(outcomes.filter((o) => o.endsWith('refused'))).toEqual([]);
    for (const outcome of ['tls, member verified', 'plaintext, member verified', 'tls, member plaintext', 'tls, member unverified']) {
      expect(outcomes.some((o) => o.endsWith(outcome)), outcome).toBe(true);
    }
  });

  // Every writer crossed with every naming of the keyword, for a plaintext and a TLS bind that
  // replace the configuration's own (taken out first by a sed the gate reads as harmless): generated,
  // not chosen, as in test/redis-config.process.test.ts.
  const binds: Record<string, string> = { plaintext: `127.0.0.1:${FRONT}`, tls: `127.0.0.1:${FRONT} ssl crt \${PEM}` };
  // How the script names the keyword: [prefix lines, the line as written].
  const keywordNamings: Record<string, (address: string) => [string, string]> = {
    literal: (a) => ['', `bind ${a}`],
    'a variable': (a) => ['K=bind\n', `$K ${a}`],
    'a default': (a) => ['', `\${K:-bind} ${a}`],
    'a command substitution': (a) => ['', `$(printf bind) ${a}`],
    'the whole line in a variable': (a) => [`L="bind ${a}"\n`, '$L'],
  };
  const bindWriters: Record<string, (line: string) => string> = {
    echo: (l) => `echo "  ${l}" >> "$cfg"`,
    'echo, redirection first': (l) => `>>"$cfg" echo "  ${l}"`,
    printf: (l) => `printf "  ${l}\\n" >> "$cfg"`,
    group: (l) => `{\n  echo "  maxconn 200"\n  echo "  ${l}"\n} >>"$cfg"`,
    'here-document': (l) => `cat >> "$cfg" <<EOF\n  ${l}\nEOF`,
    'sed append': (l) => `sed -i "\\$a \\  ${l}" "$cfg"`,
  };

  it('agrees with sh and haproxy on a generated corpus of binds written at run time', async () => {
    const disagreements: string[] = [];
    const outcomes: string[] = [];
    for (const [kind, address] of Object.entries(binds)) {
      for (const [naming, named] of Object.entries(keywordNamings)) {
        for (const [writer, write] of Object.entries(bindWriters)) {
          const [prefix, line] = named(address);
          const script = `sed -i "s|bind 127.0.0.1:${FRONT} .*|maxconn 100|" "$cfg"\n${prefix}${write(line)}`;
          const [outcome, disagreement] = await compareInitScript(`${writer}, ${naming}: a ${kind} bind`, script);
          outcomes.push(outcome);
          if (disagreement) disagreements.push(disagreement);
        }
      }
    }
    expect(disagreements, outcomes.join('\n')).toEqual([]);
    expect(outcomes.filter((o) => o.endsWith('refused')), outcomes.join('\n')).toEqual([]);
    expect(outcomes.filter((o) => o.includes('plaintext bind') && o.endsWith('plaintext, member verified')).length).toBe(outcomes.length / 2);
  });
  // A fragment of the ConfigMap copied into the configuration at run time (its bind lands in the
  // frontend, the configuration's last section), for a plaintext and a TLS bind.
  const fragmentCopiers: Record<string, string> = {
    cat: 'cat "$CONFIG_DIR/extra.cfg" >> "$cfg"',
    'cat in a group': '{\n  echo "  maxconn 200"\n  cat "${CONFIG_DIR}/extra.cfg"\n} >>"$cfg"',
    tee: 'cat "$CONFIG_DIR/extra.cfg" | tee -a "$cfg" >/dev/null',
    'sed printing': 'sed "s/^#x//" "$CONFIG_DIR/extra.cfg" >> "$cfg"',
    'grep without comments': "grep -v '^#' \"$CONFIG_DIR/extra.cfg\" >> \"$cfg\"",
  };

  it('agrees with sh and haproxy on fragments copied into the configuration at run time', async () => {
    const disagreements: string[] = [];
    const outcomes: string[] = [];
    for (const [kind, address] of Object.entries(binds)) {
      for (const [copier, copy] of Object.entries(fragmentCopiers)) {
        const script = `sed -i "s|bind 127.0.0.1:${FRONT} .*|maxconn 100|" "$cfg"\n${copy}`;
        const [outcome, disagreement] = await compareInitScript(`${copier}: a ${kind} bind`, script, { 'extra.cfg': `# copied\n  bind ${address}\n` });
        outcomes.push(outcome);
        if (disagreement) disagreements.push(disagreement);
      }
    }
    expect(disagreements, outcomes.join('\n')).toEqual([]);
    expect(outcomes.filter((o) => o.endsWith('refused')), outcomes.join('\n')).toEqual([]);
    expect(outcomes.filter((o) => o.includes('plaintext bind') && o.endsWith('plaintext, member verified')).length).toBe(outcomes.length / 2);
  });
});
