import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MEMBER_LIBRARY, MEMBER_SETTINGS, renderMemberScripts, scriptNames, type MemberScriptsInput } from '../charts/config/member-scripts.js';
import { engineTraits } from '../model/engines.js';
import { missingPrograms, runProgram } from './support/programs.js';
import { projectRoot, tempDir } from './support/repo.js';

// The member scripts as shell files: every shell that may run them parses them, shellcheck finds
// nothing, and what the ConfigMap holds is these files, unchanged, plus the rendered settings.
const folder = path.join(projectRoot, 'charts', 'config', 'member-scripts');
const files = readdirSync(folder).filter((f) => f.endsWith('.sh')).sort();
const text = (file: string) => readFileSync(path.join(folder, file), 'utf8');

const input: MemberScriptsInput = {
  primaryName: 'orders',
  memberHosts: ['data-0.example', 'data-1.example', 'tiebreaker.example'],
  redisPort: 6379,
  sentinelPort: 26379,
  quorum: 2,
  paths: { configDir: '/etc/redis', secretsDir: '/secrets', tlsDir: '/tls', runDir: '/run/redis' },
  handOverSeconds: 30,
  engine: engineTraits.valkey,
};

/** `program args... file` for every script; each failure as `file: what the program printed`. */
async function findings(program: string, args: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const file of files) {
    const { code, stdout, stderr } = await runProgram(program, [...args, file], folder);
    if (code !== 0 || stdout || stderr) out.push(`${file}: ${(stdout + stderr).trim() || `exit ${code}`}`);
  }
  return out;
}

describe('member scripts', () => {
  it('are the five scripts and the library they source', () => {
    expect(files).toEqual([MEMBER_LIBRARY, ...Object.values(scriptNames)].sort());
  });

  for (const shell of ['bash', 'dash']) {
    const skip = missingPrograms(shell);
    it.skipIf(skip)(`parse with \`${shell} -n\`${skip ? ` [skipped: ${skip}]` : ''}`, async () => {
      expect(await findings(shell, ['-n'])).toEqual([]);
    });
  }

  const noShellcheck = missingPrograms('shellcheck');
  it.skipIf(noShellcheck)(`pass shellcheck as POSIX sh, with no finding at any severity${noShellcheck ? ` [skipped: ${noShellcheck}]` : ''}`, async () => {
    // --external-sources: a script is checked with the library it sources (the library also on its own).
    expect(await findings('shellcheck', ['--shell=sh', '--severity=style', '--external-sources', '--format=gcc'])).toEqual([]);
  });

  it('disable a shellcheck rule only by number and with a comment saying why on the line before', () => {
    for (const file of files) {
      const lines = text(file).split('\n');
      lines.forEach((line, i) => {
        if (!/#\s*shellcheck\s.*disable=/.test(line)) return;
        expect(line, `${file}:${i + 1}`).toMatch(/disable=SC\d{4}(,SC\d{4})*\s*$/);
        expect(lines[i - 1] ?? '', `${file}:${i + 1} needs a comment saying why`).toMatch(/^\s*#(?!\s*shellcheck)\s*\S/);
      });
    }
  });

  it('are embedded by a module made from the current files (node scripts/embed-member-scripts.mjs)', async () => {
    const check = await runProgram(process.execPath, [path.join(projectRoot, 'scripts', 'embed-member-scripts.mjs'), '--check']);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
  });

  it('reach the ConfigMap unchanged, with the settings they source', () => {
    const rendered = renderMemberScripts(input);
    expect(Object.keys(rendered).sort()).toEqual([...files, MEMBER_SETTINGS].sort());
    for (const file of files) expect(rendered[file], file).toBe(text(file));
  });

  it('read no variable that is neither a setting, nor set by the library, nor required of the container; every setting and function is used', () => {
    const settings = [...renderMemberScripts(input)[MEMBER_SETTINGS]!.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
    // Without comments, which name variables and functions in prose.
    const code = (file: string) => text(file).replace(/(^|\s)#.*$/gm, '$1');
    const library = code(MEMBER_LIBRARY);
    const scripts = files.filter((f) => f !== MEMBER_LIBRARY).map(code);
    const all = [library, ...scripts].join('\n');
    const setByLibrary = [...library.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
    // What a container must set, each checked by the scripts that read it with ${NAME:?why}.
    const required = [...all.matchAll(/\$\{([A-Z][A-Z0-9_]*):\?/g)].map((m) => m[1]!);
    const read = new Set([...all.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
    expect([...read].filter((v) => !settings.includes(v) && !setByLibrary.includes(v) && !required.includes(v))).toEqual([]);
    expect(settings.filter((s) => !read.has(s))).toEqual([]);
    const functions = [...library.matchAll(/^([a-z_]+)\(\)/gm)].map((m) => m[1]!);
    expect(functions.length).toBeGreaterThan(0);
    expect(functions.filter((f) => !scripts.some((s) => new RegExp(`\\b${f}\\b`).test(s)))).toEqual([]);
  });

  it('write settings that the shell reads back exactly, quotes and all', async () => {
    const dir = tempDir();
    const odd = { ...input, primaryName: `it's "odd" $HOME`, memberHosts: ['a', 'b', 'c'] };
    writeFileSync(path.join(dir, MEMBER_SETTINGS), renderMemberScripts(odd)[MEMBER_SETTINGS]!);
    const out = await runProgram('sh', ['-c', `. ./${MEMBER_SETTINGS} && printf '%s|' "$PRIMARY_NAME" "$SENTINELS" "$QUORUM" "$REDIS_PORT" "$RUN_DIR"`], dir);
    expect(out).toEqual({ code: 0, stdout: `it's "odd" $HOME|a b c|2|6379|/run/redis|`, stderr: '' });
  });
});
