/**
 * The engines and versions a deployment may run: one table, read by the input schema (which versions
 * exist), the charts (image, program names, configuration names), the change plan (which moves the
 * data files allow), the gate (end of life, known vulnerabilities, digests) and the drill and process
 * tests (which binaries to run). Renovate bumps the `image` strings (see renovate.json).
 *
 * Every image is an official one (Docker's library `redis`, the Valkey project's `valkey/valkey`),
 * pinned by tag AND digest. Each digest was read from a public source, named in `digestSource`:
 * never written from memory. A line without a digest found in public sources is not offered.
 */

export type Engine = 'redis' | 'valkey';
export const engineNames: readonly Engine[] = ['redis', 'valkey'];

/** What differs between the engines themselves, whatever the version. */
export interface EngineTraits {
  /** Program names in the image (and in .tools/<engine>/<version>/bin for the tests). */
  programs: { server: string; sentinel: string; cli: string };
  /**
   * The replica's credentials towards its primary. Valkey renamed masterauth/masteruser to
   * primaryauth/primaryuser (8.0; the old names remain aliases); Redis only knows the old names.
   */
  replicaAuthDirectives: { user: string; password: string };
  /** The RDB file's magic (the first five bytes of dump.rdb, before the 4-digit format version). */
  rdbMagic: string;
  /** Where the official images live: anything else is a third-party or legacy repository. */
  officialRepository: string;
  /** uid the official image runs the server as (pods run as it, never as root). */
  uid: number;
}

export const engineTraits: Record<Engine, EngineTraits> = {
  redis: {
    programs: { server: 'redis-server', sentinel: 'redis-sentinel', cli: 'redis-cli' },
    replicaAuthDirectives: { user: 'masteruser', password: 'masterauth' },
    rdbMagic: 'REDIS',
    officialRepository: 'docker.io/library/redis',
    uid: 999,
  },
  valkey: {
    programs: { server: 'valkey-server', sentinel: 'valkey-sentinel', cli: 'valkey-cli' },
    replicaAuthDirectives: { user: 'primaryuser', password: 'primaryauth' },
    // Valkey 9 writes its own magic with RDB format 80 and up (it reads REDIS files of 11 and older).
    rdbMagic: 'VALKEY',
    officialRepository: 'docker.io/valkey/valkey',
    uid: 999,
  },
};

/** A release of an engine's line that the tests here run (built from a Debian source package). */
export interface TestedBuild {
  /** The exact upstream version built, e.g. 8.6.3: not always the image's patch (see README). */
  version: string;
  /** Debian source package version (apt-get source <engine>=<debian>), and its suite. */
  debian: string;
  suite: 'trixie' | 'trixie-security' | 'sid' | 'experimental';
  /** sha256 of the upstream tarball in that source package (verified before building). */
  tarballSha256: string;
}

export interface EngineVersion {
  engine: Engine;
  /** major.minor, what a deployment names. */
  line: string;
  /** The pinned image: <official repository>:<patch>@sha256:<digest>. */
  image: string;
  /** Where the digest was read. */
  digestSource: string;
  /**
   * End of support (ISO date) as published, or undefined where no date is published; with its source.
   */
  endOfSupport: { date?: string; source: string };
  /** RDB format version this line writes, and the highest it loads (from its sources; tests check it where a build exists). */
  rdb: { writes: number; loadsUpTo: number; loadsForeign?: string };
  /** The build the drill and process tests run for this line; undefined: not tested here. */
  tested?: TestedBuild;
  /** What a user of this line must know (ACL categories, configuration names). */
  notes: string;
}

/** The offered lines. Keys: `<engine>:<line>`. */
export const engineVersions = [
  {
    engine: 'redis',
    line: '7.2',
    image: 'docker.io/library/redis:7.2.16@sha256:0637954999d01b7c9ce9167db2da50656e2590d3b884f1c600c5f63bb6e6773c',
    digestSource: 'docker-library/repo-info repos/redis/remote/7.2.md (REDIS_VERSION=7.2.16, September 2026 build)',
    endOfSupport: { source: 'no date published: redis/redis security policy lists 7.2.x as supported (endoflife.date, 2026)' },
    rdb: { writes: 11, loadsUpTo: 11 },
    notes: 'The last BSD-licensed Redis line; Valkey forked from 7.2.4. No build reachable here: untested.',
  },
  {
    engine: 'redis',
    line: '8.2',
    image: 'docker.io/library/redis:8.2.9@sha256:66b7f4c2f3c6ef1b298bbd7b13c806bc6f71e61f1136a4f58710daf2cb053b21',
    digestSource: 'docker-library/repo-info repos/redis/remote/8.2.md (REDIS_VERSION=8.2.9, September 2026 build)',
    endOfSupport: { source: 'no date published; maintenance only since 8.4 (endoflife.date, 2026)' },
    // Redis 7.4's and 8.0's format; not measured here (no build). 12 or 13, every move it decides is the same.
    rdb: { writes: 12, loadsUpTo: 12 },
    notes:
      'Redis 8 images bundle the query engine, JSON, time series and probabilistic types, whose commands joined ' +
      'the @read, @write, @slow, @fast and @dangerous categories: the service roles deny @write and @dangerous ' +
      'explicitly (Reader) and @admin and @dangerous (Writer), so no role gains a command by that change. No build reachable here: untested.',
  },
  {
    engine: 'redis',
    line: '8.6',
    image: 'docker.io/library/redis:8.6.4@sha256:a051e4f48a5d0ceda6554974f3ad0f5369f4479197f36829332c1325cecad2b7',
    digestSource: 'docker-library/repo-info repos/redis/remote/8.6.md (REDIS_VERSION=8.6.4, July 2026 build)',
    endOfSupport: { source: 'no date published; latest line with a published digest found (endoflife.date, 2026)' },
    // Measured on the tested build (test/engines.process.test.ts): REDIS0013.
    rdb: { writes: 13, loadsUpTo: 13 },
    tested: {
      version: '8.6.3',
      debian: '5:8.6.3-1',
      suite: 'experimental',
      tarballSha256: '58d0d1eb49a1ea6c2179659707fec171b1e2e2b8d5157ed2ec59d1d66ad5a654',
    },
    notes: 'As 8.2 for the ACL categories. Tested on 8.6.3 built without the bundled modules (the image has them).',
  },
  {
    engine: 'valkey',
    line: '8.1',
    image: 'docker.io/valkey/valkey:8.1.10@sha256:640c5e62cea04b6d6f2084232651d0cc70362d31f4f805e7be94dbed6855e8f2',
    digestSource: 'public pins of valkey/valkey:8.1.10 (ocelhq/ocel kvstore images; an ADR pinning it in Compose files)',
    endOfSupport: { date: '2028-03-31', source: 'valkey.io/topics/releases via endoflife.date: maintenance to 2028-03-31, security fixes to 2030-03-31' },
    rdb: { writes: 11, loadsUpTo: 11 },
    tested: {
      version: '8.1.1',
      debian: '8.1.1+dfsg1-3+deb13u3',
      suite: 'trixie-security',
      tarballSha256: 'd9bbd82eecb82f359e649a0007ad3dc1b47cc15afa626348ca86b73c4ae2c7ee',
    },
    notes: 'valkey-server and valkey-sentinel; primaryauth/primaryuser replace masterauth/masteruser. Tested on 8.1.1 (Debian trixie).',
  },
  {
    engine: 'valkey',
    line: '9.1',
    image: 'docker.io/valkey/valkey:9.1.2@sha256:418652cfb58ef879d4978c33553735d7147016032d5aefaa14c828e611eb9dfd',
    digestSource: 'public pins of valkey/valkey:9.1.2 (ocelhq/ocel kvstore images; a Helm release.yaml; a Nix assertion)',
    endOfSupport: { source: 'no date found for 9.1 in the sources checked (valkey.io/topics/releases lists the dates)' },
    // VALKEY080 (valkey-io/valkey#2422; issue #2888 shows the header); measured on the tested build
    // (test/engines.process.test.ts), with the moves to and from the other tested lines.
    rdb: { writes: 80, loadsUpTo: 11, loadsForeign: 'its own format 80 and REDIS files up to 11' },
    tested: {
      version: '9.1.2',
      debian: '9.1.2-1',
      suite: 'sid',
      tarballSha256: '8e8557da7426a51b4e0fb514a65ef6241dc7c85cb408243af389070abf379cec',
    },
    notes: 'As 8.1; writes RDB format 80, which no Redis and no Valkey 8 can load: moving to 9.1 is one-way. Tested on 9.1.2 (Debian sid).',
  },
] as const satisfies readonly EngineVersion[];

export type EngineLine = (typeof engineVersions)[number];
export type VersionOf<E extends Engine> = Extract<EngineLine, { engine: E }>['line'];

/** Lines that were offered and no longer are, with the reason and the way forward (an input naming one is refused with it). */
export const withdrawnVersions: readonly { engine: Engine; line: string; reason: string; upgradePath: string }[] = [
  {
    engine: 'redis',
    line: '7.0',
    reason: 'Redis 7.0 reached end of life on 2024-07-29 and got no fix for CVE-2025-49844 (the Lua use-after-free)',
    upgradePath: 'set redis.version "7.2" (same data format, a rolling restart), then "8.6"; or redis.engine valkey with version "8.1"',
  },
];

/** Default for a deployment that names neither engine nor version (docs/DESIGN.md says why). */
export const DEFAULT_ENGINE: Engine = 'valkey';
export const DEFAULT_VERSION: Record<Engine, string> = { redis: '8.6', valkey: '8.1' };

/**
 * Lines with a known vulnerability, fixed in a later patch: an image below `fixedIn` is flagged by the
 * gate. CVE-2025-49844 ("RediShell", Lua use-after-free): fixed in Redis 7.2.11, 8.0.4, 8.2.2 and
 * Valkey 7.2.11, 8.0.6, 8.1.4.
 */
export const knownVulnerabilities: readonly { engine: Engine; line: string; fixedIn: string; id: string }[] = [
  { engine: 'redis', line: '6.2', fixedIn: '6.2.20', id: 'CVE-2025-49844' },
  { engine: 'redis', line: '7.2', fixedIn: '7.2.11', id: 'CVE-2025-49844' },
  { engine: 'redis', line: '7.4', fixedIn: '7.4.6', id: 'CVE-2025-49844' },
  { engine: 'redis', line: '8.0', fixedIn: '8.0.4', id: 'CVE-2025-49844' },
  { engine: 'redis', line: '8.2', fixedIn: '8.2.2', id: 'CVE-2025-49844' },
  { engine: 'valkey', line: '7.2', fixedIn: '7.2.11', id: 'CVE-2025-49844' },
  { engine: 'valkey', line: '8.0', fixedIn: '8.0.6', id: 'CVE-2025-49844' },
  { engine: 'valkey', line: '8.1', fixedIn: '8.1.4', id: 'CVE-2025-49844' },
];

/**
 * Lines past their end of life (the gate flags an image of one): Redis up to 7.0 and 8.0 (end of life
 * 2026-02-11, endoflife.date), whatever the patch.
 */
export const endOfLifeLines: readonly { engine: Engine; line: string; date: string }[] = [
  { engine: 'redis', line: '6.0', date: '2022-05-31' },
  { engine: 'redis', line: '7.0', date: '2024-07-29' },
  { engine: 'redis', line: '8.0', date: '2026-02-11' },
];

/** Every line of a major below these is past its end of life (Redis 5 and older; Valkey starts at 7.2). */
export const oldestSupportedMajor: Record<Engine, number> = { redis: 6, valkey: 7 };

/** Image repositories that stopped receiving updates (Bitnami moved its versioned images there in 2025). */
export const legacyRepositories: readonly string[] = ['docker.io/bitnamilegacy/redis', 'docker.io/bitnamilegacy/redis-sentinel', 'docker.io/bitnamilegacy/valkey', 'docker.io/bitnamilegacy/valkey-sentinel'];

export function engineVersion(engine: Engine, line: string): EngineLine | undefined {
  return engineVersions.find((v) => v.engine === engine && v.line === line);
}

export function linesOf(engine: Engine): string[] {
  return engineVersions.filter((v) => v.engine === engine).map((v) => v.line);
}

/** The patch release an image reference names (its tag), e.g. 8.6.4. */
export function imagePatch(image: string): string {
  const m = /:(\d+\.\d+\.\d+)@sha256:[0-9a-f]{64}$/.exec(image);
  if (!m) throw new Error(`image ${image}: expected <repository>:<major.minor.patch>@sha256:<digest>`);
  return m[1]!;
}

/**
 * Whether a dataset written by `from` can move to `to` by a rolling restart (the new version loads
 * the old one's RDB file and replicates from it), and why not when it cannot.
 */
export function dataMoveRefusal(from: EngineVersion, to: EngineVersion): string | undefined {
  if (from.engine === to.engine && from.line === to.line) return undefined;
  const writes = from.rdb.writes;
  const loads = writes <= to.rdb.loadsUpTo || (to.rdb.writes >= 80 && writes === to.rdb.writes);
  if (loads) return undefined;
  return `${to.engine} ${to.line} cannot load the data files ${from.engine} ${from.line} writes (RDB format ${writes}; it loads up to ${to.rdb.loadsUpTo}${to.rdb.writes >= 80 ? ' and its own 80' : ''}), and a replica of it could not sync from the primary during the rollout`;
}
