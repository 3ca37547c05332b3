import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { renderAclFile } from '../charts/config/acl.js';
import { dataMoveRefusal, engineTraits, engineVersion, engineVersions } from '../model/engines.js';
import { ADMIN_USER, serviceRoleRules } from '../model/users.js';
import { sha256Hex } from '../src/secrets/passwords.js';
import { testedLines, type ServerPrograms } from '../src/drill/programs.js';
import { tempDir } from './support/repo.js';

// Each engine line the table marks as tested, on its real server (.tools/<engine>/<version>/bin):
// the service roles against every command the server knows, by ACL category; the data file format
// the table states; and which moves of a data file between lines work, against dataMoveRefusal.
const { built, missing } = testedLines();
const tested = engineVersions.filter((v) => 'tested' in v);
const skip = built.length ? undefined : `no engine build here (${missing.join('; ')}); npm run servers:build builds them`;

const servers: ChildProcess[] = [];
afterAll(() => {
  for (const s of servers) s.kill('SIGKILL');
});

let nextAddress = 1;
/** Starts `p`'s server on a loopback address of its own, with `args`; a connected admin client. */
async function startServer(p: ServerPrograms, dir: string, args: string[], password?: string): Promise<{ client: Redis; log: () => string }> {
  const host = `127.0.4.${nextAddress++}`;
  const logFile = path.join(dir, 'server.log');
  const server = spawn(path.join(p.binDir, p.server), ['--port', '16400', '--bind', host, '--dir', dir, '--logfile', logFile, ...args], { stdio: 'ignore' });
  servers.push(server);
  const client = new Redis({ host, port: 16400, username: password ? ADMIN_USER : undefined, password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // Refused connections while the server starts are expected: connect() rejects and is retried below.
  client.on('error', () => {});
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  for (let i = 0; ; i++) {
    try {
      await client.connect();
      // A server loading its data answers LOADING until it is done.
      if ((await client.ping()) === 'PONG') break;
    } catch (error) {
      client.disconnect();
      if (i >= 50 || server.exitCode !== null) return { client, log };
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { client, log };
}

describe.skipIf(skip)(`engine lines on their real servers${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  it('has a build of every line the table marks as tested, reporting the version the table names', () => {
    expect(missing.filter((m) => !/not tested here/.test(m))).toEqual([]);
    for (const line of tested) {
      const b = built.find((x) => x.engine === line.engine && x.line === line.line);
      expect(b?.version, `${line.engine} ${line.line}`).toBe(line.tested.version);
    }
  });

  for (const p of built) {
    describe(`${p.engine} ${p.version} (line ${p.line})`, () => {
      it('runs no command of @write, @admin or @dangerous as a Reader, and none of @admin or @dangerous as a Writer, of all it knows', async () => {
        const dir = tempDir();
        const users = { [ADMIN_USER]: serviceRoleRules.Manager, reader: serviceRoleRules.Reader, writer: serviceRoleRules.Writer };
        const aclFile = path.join(dir, 'users.acl');
        writeFileSync(aclFile, renderAclFile(Object.entries(users).map(([name, rules]) => ({ name, passwordSha256: sha256Hex(`${name}-pw`), rules }))));
        const { client } = await startServer(p, dir, ['--aclfile', aclFile, '--save', ''], `${ADMIN_USER}-pw`);
        try {
          const commands = await everyCommand(client);
          expect(commands.length).toBeGreaterThan(200);
          const dryRun = async (user: string, argv: string[]) => String(await client.call('ACL', 'DRYRUN', user, ...argv).catch((e: Error) => e.message));
          const denied = { reader: ['write', 'admin', 'dangerous'], writer: ['admin', 'dangerous'] } as const;
          const wrong: string[] = [];
          for (const c of commands) {
            for (const [user, categories] of Object.entries(denied)) {
              if (!c.categories.some((k) => (categories as readonly string[]).includes(k))) continue;
              const answer = await dryRun(user, c.argv);
              if (answer === 'OK') wrong.push(`${user} may run ${c.name} (${c.categories.join(' ')})`);
            }
          }
          expect(wrong).toEqual([]);
          // And each still does its job.
          expect(await dryRun('reader', ['GET', 'k'])).toBe('OK');
          expect(await dryRun('reader', ['SET', 'k', 'v'])).toMatch(/no permissions|NOPERM/i);
          expect(await dryRun('writer', ['SET', 'k', 'v'])).toBe('OK');
          expect(await dryRun('writer', ['EVAL', 'return 1', '0'])).toBe('OK');
        } finally {
          client.disconnect();
        }
      });

      it(`writes the data file format the table states`, async () => {
        const dir = tempDir();
        const { client } = await startServer(p, dir, ['--save', '']);
        try {
          await client.set('k', 'v');
          await client.save();
        } finally {
          client.disconnect();
        }
        const header = readFileSync(path.join(dir, 'dump.rdb')).subarray(0, 16).toString('latin1');
        const entry = engineVersion(p.engine, p.line)!;
        // REDIS0011 (5 + 4 characters); VALKEY080 (6 + 3) from format 80 on.
        const expected = entry.rdb.writes >= 80 ? `${engineTraits[p.engine].rdbMagic}${String(entry.rdb.writes).padStart(3, '0')}` : `REDIS${String(entry.rdb.writes).padStart(4, '0')}`;
        expect(header.startsWith(expected), header.slice(0, 10)).toBe(true);
      });
    });
  }

  it.skipIf(built.length < 2)(`moves a data file between lines exactly where dataMoveRefusal allows it${built.length < 2 ? ` [skipped: needs two engine lines built, ${built.length} built]` : ''}`, async () => {
    const dumps = new Map<ServerPrograms, string>();
    for (const p of built) {
      const dir = tempDir();
      const { client } = await startServer(p, dir, ['--save', '']);
      try {
        await client.set('moved', `from ${p.engine} ${p.version}`);
        await client.hset('h', 'f', 'v');
        await client.save();
      } finally {
        client.disconnect();
      }
      dumps.set(p, path.join(dir, 'dump.rdb'));
    }
    const outcomes: string[] = [];
    for (const [from, dump] of dumps) {
      for (const to of built) {
        if (to === from) continue;
        const dir = tempDir();
        mkdirSync(dir, { recursive: true });
        copyFileSync(dump, path.join(dir, 'dump.rdb'));
        const { client, log } = await startServer(to, dir, ['--save', '', '--appendonly', 'no']);
        const loaded = await client
          .get('moved')
          .then((v) => v === `from ${from.engine} ${from.version}`)
          .catch(() => false);
        client.disconnect();
        const refusal = dataMoveRefusal(engineVersion(from.engine, from.line)!, engineVersion(to.engine, to.line)!);
        outcomes.push(`${from.engine} ${from.line} -> ${to.engine} ${to.line}: ${loaded ? 'loads' : 'refuses'}`);
        expect(loaded, `${from.engine} ${from.line} -> ${to.engine} ${to.line}: table says ${refusal ?? 'it loads'}; server log:\n${log().split('\n').slice(-5).join('\n')}`).toBe(refusal === undefined);
      }
    }
    console.log(outcomes.join('\n'));
  });
});

/** Every command and subcommand the server knows, with its ACL categories and an argument list of its arity. */
async function everyCommand(client: Redis): Promise<{ name: string; categories: string[]; argv: string[] }[]> {
  const docs = (await client.call('COMMAND')) as unknown[][];
  const out: { name: string; categories: string[]; argv: string[] }[] = [];
  const add = (entry: unknown[], parent?: string) => {
    const name = String(entry[0]);
    const arity = Number(entry[1]);
    const categories = ((entry[6] as unknown[]) ?? []).map((c) => String(c).replace(/^@/, ''));
    const words = parent ? [parent, name.split('|')[1]!] : [name];
    const needed = Math.max(Math.abs(arity) - 1 - (parent ? 1 : 0), 0);
    out.push({ name, categories, argv: [...words, ...Array.from({ length: needed }, () => 'x')] });
    for (const sub of (entry[9] as unknown[][] | undefined) ?? []) add(sub, name);
  };
  for (const entry of docs) add(entry);
  return out;
}
