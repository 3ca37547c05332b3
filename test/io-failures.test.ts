import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { synth } from '../src/synth/synth.js';
import { cliPath, runProgram } from './support/programs.js';
import { leftInTransaction, snapshotTree, tempDir, tempRepo, writeInput } from './support/repo.js';

// The system refusing a write (a full disk, a missing permission) while synth writes: one line that
// names the file and says that dist/ and state/ were left as they were (exit 70), and they were.

const isRoot = process.getuid?.() === 0;
const works = (file: string, args: string[]) => {
  try {
    execFileSync(file, args, { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
};
const canMount = isRoot && works('unshare', ['-m', 'true']);
const canSwitchUser = isRoot && works('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true']);

/** A synthesized repository with one more deployment to add: a synth that must write new files and a new state. */
async function repoWithNewDeployment(): Promise<string> {
  const repo = tempRepo();
  await synth(repo, path.join(repo, 'dist'));
  writeInput(repo, 'deployments/carts.yaml', 'cluster: example\nredis: {memory: 1Gi}\npersistence: {size: 10Gi}\n');
  return repo;
}

const distAndState = (repo: string) => ({ dist: snapshotTree(path.join(repo, 'dist')), state: snapshotTree(path.join(repo, 'state')) });

describe('synth when the system refuses a write', () => {
  it.skipIf(!canMount)(
    `a full disk (a small tmpfs in a mount namespace of its own): exit 70 naming the file, dist/ and state/ unchanged${canMount ? '' : ' (skipped: needs root and unshare -m)'}`,
    async () => {
      const repo = await repoWithNewDeployment();
      const mount = tempDir();
      const script = path.join(tempDir(), 'full-disk.sh');
      // The repository copied onto a tmpfs just larger than it, then synth; the verdict is printed
      // from inside the namespace (the tmpfs goes with it).
      writeFileSync(
        script,
        `set -e
mount -t tmpfs -o size=8m tmpfs "$1"
cp -a "$2/." "$1/"
used=$(df -k "$1" | awk 'NR==2 {print $3}')
mount -o remount,size=$((used + 24))k "$1"
cd "$1"
sums() { find dist state -type f | sort | xargs sha256sum; }
before=$(sums)
set +e
"$3" "$4" synth >/dev/null 2>"$5/stderr"
echo "exit $?"
set -e
[ "$before" = "$(sums)" ] && echo "dist/ and state/ unchanged" || echo "dist/ and state/ changed"
ls -A
`,
      );
      // synth's stderr goes to a folder of this test's own (beside the mount it was /tmp/stderr,
      // which another test run at the same time overwrote).
      const errors = tempDir();
      const result = await runProgram('unshare', ['-m', 'bash', script, mount, repo, process.execPath, cliPath, errors], repo);
      expect(result.code, result.stderr).toBe(0);
      // dist.transaction/ is the earlier synth's, kept (empty) between runs (src/synth/transaction.ts).
      expect(result.stdout).toBe('exit 70\ndist/ and state/ unchanged\nclusters\ndeployments\ndist\ndist.transaction\nstate\n');
      const stderr = readFileSync(path.join(errors, 'stderr'), 'utf8');
      expect(stderr).toMatch(new RegExp(`^synth: cannot (write|open|mkdir) ${mount}/\\S+: no space left on the device \\(ENOSPC\\); dist/ and state/ were left unchanged\\n$`));
    },
    300_000,
  );

  // nobody must be able to read the checkout itself (a clone under a 0700 folder of root's is not).
  const nobodyCanRunTheCli =
    canSwitchUser && works('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', `require('node:fs').accessSync(${JSON.stringify(cliPath)})`]);
  it.skipIf(!nobodyCanRunTheCli)(
    `a dist/ the user may not write (synth run as nobody): exit 70 naming the folder, dist/ and state/ unchanged${nobodyCanRunTheCli ? '' : ' (skipped: needs root, setpriv to run as another user, and a checkout that user can read)'}`,
    async () => {
      const repo = await repoWithNewDeployment();
      const before = distAndState(repo);
      // The repository's own folder is writable (the lock, the transaction folder); dist/ and state/ are
      // root's, and so is the (empty) transaction folder root's synth left: made again as nobody's.
      execFileSync('chmod', ['-R', 'a+rX', repo]);
      chmodSync(repo, 0o777);
      const result = await runProgram('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cliPath, 'synth'], repo);
      expect(result.code, result.stderr).toBe(70);
      expect(result.stderr).toBe(`synth: cannot mkdir ${repo}/dist/example/carts: permission denied (EACCES); dist/ and state/ were left unchanged\n`);
      expect(distAndState(repo)).toEqual(before);
      expect(readdirSync(repo).filter((name) => name !== 'dist.transaction').sort()).toEqual(['clusters', 'deployments', 'dist', 'state']);
      expect(leftInTransaction(path.join(repo, 'dist'))).toEqual([]);
    },
    300_000,
  );

  it('what a killed run left in the transaction folder is deleted first, and synth says so', async () => {
    const repo = await repoWithNewDeployment();
    // A file where the transaction folder must be: the staging fails, as a refusal would.
    mkdirSync(path.join(repo, 'dist.transaction'), { recursive: true });
    writeFileSync(path.join(repo, 'dist.transaction', 'dist'), 'in the way');
    const before = distAndState(repo);
    const result = await runProgram(process.execPath, [cliPath, 'synth'], repo);
    // A run finds a transaction folder without a journal: a killed run's, deleted first.
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('first removed what a killed run had left unfinished');
    expect(distAndState(repo)).not.toEqual(before);
    expect(leftInTransaction(path.join(repo, 'dist'))).toEqual([]);
  });
});

describe('file modes', () => {
  it('synth writes files 0644 and folders 0755 whatever the umask (here 000)', async () => {
    const repo = tempRepo();
    rmSync(path.join(repo, 'state/example/orders.json'));
    const result = await runProgram('sh', ['-c', `umask 000 && exec "${process.execPath}" "${cliPath}" synth`], repo);
    expect(result.code, result.stderr).toBe(0);
    const modes = new Map<string, string>();
    for (const top of ['dist', 'state']) {
      for (const name of readdirSync(path.join(repo, top), { recursive: true }) as string[]) {
        const stat = statSync(path.join(repo, top, name));
        const mode = (stat.mode & 0o777).toString(8);
        modes.set(mode, `${top}/${name}`);
        expect(mode, `${top}/${name}`).toBe(stat.isDirectory() ? '755' : '644');
      }
    }
    // New state was written (orders' was removed) and new folders made.
    expect([...modes.keys()].sort()).toEqual(['644', '755']);
  });
});
