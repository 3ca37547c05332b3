import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * What watchman (https://facebook.github.io/watchman/), when it already watches the repository, says
 * changed in the folders synth reads since the clock a previous synth kept: the synth cache then takes
 * the stat signature it recorded for every other file instead of a stat of each (20,000 at 10,000
 * deployments), as git's core.fsmonitor spares git the lstat of every tracked file. Nothing here
 * starts watchman or adds a watch (`watchman watch-project .` does, see README "Large fleets"): without
 * it, every file is stat'ed, as always.
 *
 * Trusted only as far as it has shown it sees these folders: a clock is kept (see `markToKeep`) only
 * after watchman listed every file this run stat'ed (a folder watchman ignores, through ignore_dirs or
 * a symbolic link it does not follow, lists nothing), and a run whose changes include a symbolic link
 * or one of the folders themselves stats everything (a link's target can change without the link).
 */
export class FileMonitor {
  private constructor(
    /** Where watchman watches, the repository's path in that watch, and its clock: what is kept for the next run. */
    private readonly mark: string,
    /** Repository paths of the files and folders changed since the previous mark; undefined: every file may have (no mark, or a new watchman instance). */
    private readonly changed: ReadonlySet<string> | undefined,
    /** When `changed` is undefined: every file watchman lists in the folders, to verify against the files stat'ed. */
    private readonly listed: ReadonlySet<string> | undefined,
  ) {}

  /** Folders (repository paths) whose files synth stats: deployment files, clusters and state files. */
  static readonly FOLDERS = ['clusters', 'deployments', 'state'];

  /**
   * Asks watchman what changed under `root` since `previous` (a mark a previous run kept), in
   * `folders` (repository paths) and in files named one of `names` anywhere under `root`; undefined
   * when watchman is not installed, not running, does not watch `root` or fails (then every file is
   * stat'ed). Never starts the watchman server (`--no-spawn`).
   */
  static query(root: string, previous: string | undefined, { folders = FileMonitor.FOLDERS, names = [] }: { folders?: readonly string[]; names?: readonly string[] } = {}): FileMonitor | undefined {
    const found = watchOf(root);
    if (!found) return undefined;
    const { watch, repository, left } = found;
    const relative = path.relative(watch, repository);
    const since = previous ? parseMark(previous, watch, relative) : undefined;
    const answer = watchman(['query', watch, {
      ...(relative ? { relative_root: relative } : {}),
      // With a clock, the files changed since (watchman goes through those alone, a few after one
      // change); without, every file in the folders (walking those alone, not dist/'s 400,000).
      ...(since
        ? { since, expression: ['anyof', ...folders.flatMap((folder) => [['dirname', folder], ['name', folder, 'wholename']]), ...(names.length ? [['name', names, 'basename']] : [])] }
        : { path: folders }),
      fields: ['name', 'type', 'exists'],
      // Answer only once watchman has seen every change made before the query (see waitMs).
      sync_timeout: left(),
    }], left()) as { clock?: string; is_fresh_instance?: boolean; files?: { name: string; type?: string; exists?: boolean }[] } | undefined;
    if (!answer?.clock || !Array.isArray(answer.files)) return undefined;
    const mark = JSON.stringify([watch, relative, answer.clock]);
    if (!since || answer.is_fresh_instance) {
      const linked = answer.files.some((f) => f.type === 'l');
      return new FileMonitor(mark, undefined, linked ? new Set() : new Set(answer.files.filter((f) => f.type === 'f' && f.exists !== false).map((f) => f.name)));
    }
    // A link changed (a file, a cluster's state folder or one of the folders made one): what lies behind it is not watched.
    if (answer.files.some((f) => f.type === 'l')) return new FileMonitor(mark, undefined, new Set());
    return new FileMonitor(mark, new Set(answer.files.map((f) => f.name)), undefined);
  }

  /**
   * A mark of what is under `root` now (once watchman has seen every change made before), for a later
   * query of what changed since; undefined without watchman (see query).
   */
  static mark(root: string): string | undefined {
    const found = watchOf(root);
    if (!found) return undefined;
    const { watch, repository, left } = found;
    const answer = watchman(['clock', watch, { sync_timeout: left() }], left()) as { clock?: string } | undefined;
    return answer?.clock ? JSON.stringify([watch, path.relative(watch, repository), answer.clock]) : undefined;
  }

  /**
   * The repository paths (files and folders) changed since the previous mark, with this run's mark;
   * undefined when watchman cannot tell (no previous mark, a new watchman instance, a link changed).
   */
  changes(): { changed: ReadonlySet<string>; mark: string } | undefined {
    return this.changed && { changed: this.changed, mark: this.mark };
  }

  /** Whether `file` (a repository path) is as it was when the previous mark was taken. */
  unchanged(file: string): boolean {
    return this.changed !== undefined && !this.changed.has(file);
  }

  /**
   * The mark to keep for the next run, given the files this run stat'ed: this run's clock when
   * watchman answered what changed since a trusted mark, or listed every file stat'ed (and no link);
   * undefined when it did not, so the next run stats every file again.
   */
  markToKeep(statted: Iterable<string>): string | undefined {
    if (this.changed) return this.mark;
    for (const file of statted) if (!this.listed!.has(file)) return undefined;
    return this.listed!.size ? this.mark : undefined;
  }
}

/**
 * How long synth waits for watchman's answers, in all; undefined: watchman is not asked
 * (REDIS_GITOPS_WATCHMAN=off, or the wait in ms). Idle, watchman answers in a few ms; busy, it makes
 * queries wait: watchman 4.9 crawls a folder again when a folder is renamed into it, as synth's
 * transaction renames a deployment's folder into dist/<cluster>/ (at 10,000 deployments, a query
 * right after a synth waited ~4 s). A stat of every input costs ~0.1 s at 10,000: waiting longer than
 * half a second is worse than doing without, so past it every file is stat'ed.
 */
function waitMs(): number | undefined {
  const setting = process.env.REDIS_GITOPS_WATCHMAN;
  if (setting === 'off') return undefined;
  return setting && /^[1-9][0-9]*$/.test(setting) ? Number(setting) : 500;
}

/**
 * The watch holding `root` (see watchRoot), its path, and the time left of the wait for watchman's
 * answers (see waitMs) for each command; undefined when watchman is not asked or watches no folder of it.
 */
function watchOf(root: string): { watch: string; repository: string; left: () => number } | undefined {
  const wait = waitMs();
  if (wait === undefined) return undefined;
  const deadline = performance.now() + wait;
  const left = () => Math.max(1, Math.ceil(deadline - performance.now()));
  const repository = path.resolve(root);
  const watch = watchRoot(repository, left());
  return watch ? { watch, repository, left } : undefined;
}

/** The folder watchman watches that holds `repository` (itself or a parent, as `watch-project` chose); undefined when none. */
function watchRoot(repository: string, timeoutMs: number): string | undefined {
  const answer = watchman(['watch-list'], timeoutMs) as { roots?: string[] } | undefined;
  const roots = (answer?.roots ?? []).filter((r) => r === repository || repository.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
  return roots.sort((a, b) => b.length - a.length)[0];
}

/** A previous mark's clock when it was taken in the same watch of the same repository path. */
function parseMark(mark: string, watch: string, relative: string): string | undefined {
  try {
    const [markWatch, markRelative, clock] = JSON.parse(mark) as [string, string, string];
    return markWatch === watch && markRelative === relative && typeof clock === 'string' ? clock : undefined;
  } catch {
    return undefined;
  }
}

/** One watchman command through its command line (JSON in and out); undefined on any failure, or past `timeoutMs`. */
function watchman(command: unknown[], timeoutMs: number): unknown {
  try {
    // A listing of 10,000 deployments' files is a few MB of JSON (spawnSync's default buffer is 1 MB).
    const run = spawnSync('watchman', ['--no-spawn', '--no-pretty', '-j'], { input: JSON.stringify(command), encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 30 });
    if (run.status !== 0 || !run.stdout) return undefined;
    const answer = JSON.parse(run.stdout) as { error?: string };
    return answer.error ? undefined : answer;
  } catch {
    return undefined;
  }
}
