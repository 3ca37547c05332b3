import { connect as connectTcp } from 'node:net';
import { tlsHandshake, type TlsVersion } from '../tls.js';
import { defineScenario, noFailedWrites } from './scenario.js';

export const baseline = defineScenario({
  id: 'baseline',
  description: 'Baseline: TLS on every listener, plaintext refused, ACL roles',
  injects: 'TLSv1, 1.1, 1.2, 1.3 and plaintext on every listener; the default user and each service role through a portal',
  asserts: 'old TLS and plaintext refused, 1.2/1.3 verify against the CA, roles allow what they should and no more',
  bound: noFailedWrites,
  async perform(run) {
    const { listeners } = run.cluster;
    for (const l of listeners) {
      for (const { version, accepted } of TLS_VERSIONS) {
        const result = await tlsHandshake(l.ip, l.port, version, run.cluster.caFile);
        run.check(result.connected === accepted, `${l.name} (${l.ip}:${l.port}) ${accepted ? 'refused' : 'accepted'} ${version}`);
        if (accepted) run.check(result.verified, `${l.name}: the certificate does not verify against the CA handed to applications`);
      }
      run.check(!(await answersPlaintext(l.ip, l.port)), `${l.name} (${l.ip}:${l.port}) answered a plaintext PING`);
    }
    run.note(`${listeners.length} listeners: TLSv1 and TLSv1.1 refused, TLSv1.2 and TLSv1.3 verified, plaintext refused`);

    const portal = run.cluster.portals[0]!;
    const anonymous = await run.cluster.viaPortal(portal, undefined, 'GET', 'drill:acl');
    run.check(/NOAUTH|WRONGPASS|NOPERM|ERROR/.test(anonymous), `the default user could run GET: ${anonymous}`);
    const allowed = (reply: string) => !/NOPERM|NOAUTH|WRONGPASS|^ERROR/.test(reply);
    for (const grant of run.settings.serviceGrants) {
      for (const [command, expected] of ROLE_EXPECTATIONS[grant.role]!) {
        const reply = await run.cluster.viaPortal(portal, grant.user, ...command);
        run.check(allowed(reply) === expected, `${grant.role} ${grant.user}: ${command.join(' ')} was ${expected ? 'refused' : 'allowed'} (${reply})`);
      }
    }
    run.note(`default user refused; ${run.settings.serviceGrants.map((g) => `${g.user} (${g.role})`).join(', ') || 'no service users'} as their roles allow`);
  },
});

const TLS_VERSIONS: { version: TlsVersion; accepted: boolean }[] = [
  { version: 'tls1', accepted: false },
  { version: 'tls1_1', accepted: false },
  { version: 'tls1_2', accepted: true },
  { version: 'tls1_3', accepted: true },
];

/** Commands each service role must be allowed (true) or refused (false) through a portal. */
const ROLE_EXPECTATIONS: Record<string, [command: string[], allowed: boolean][]> = {
  Reader: [[['GET', 'drill:acl'], true], [['SET', 'drill:acl', 'x'], false], [['CONFIG', 'GET', 'maxmemory'], false]],
  Writer: [[['SET', 'drill:acl', 'x'], true], [['GET', 'drill:acl'], true], [['FLUSHALL'], false], [['CONFIG', 'GET', 'maxmemory'], false]],
  Manager: [[['CONFIG', 'GET', 'maxmemory'], true]],
};

/** True when the listener answers a plaintext PING (it must not: TLS only). */
function answersPlaintext(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host, port });
    let received = '';
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(2000, () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (received.includes('+PONG') || received.includes('-NOAUTH')) done(true);
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(/\+PONG|-NOAUTH/.test(received)));
  });
}
