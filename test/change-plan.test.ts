import { cpSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputErrors } from '../src/config/load.js';
import { driftFrom } from '../src/synth/compare.js';
import { synth } from '../src/synth/synth.js';
import { redisGitops } from './support/programs.js';
import { projectRoot, snapshotTree, tempRepo, writeInput } from './support/repo.js';

/**
 * Day-2 changes as a user makes them: edit an input of the committed example, synth. Each class of
 * change gives its plan (which workloads restart), or is refused with the input field, the reason and
 * the manual procedure, leaving dist/ and state/ as they were, unless the user accepts it.
 */
async function afterEdit(edit: (repo: string) => void) {
  const repo = tempRepo();
  cpSync(path.join(projectRoot, 'dist'), path.join(repo, 'dist'), { recursive: true });
  edit(repo);
  return repo;
}

const edited = (repo: string, file: string, from: string | RegExp, to: string) => {
  const text = readFileSync(path.join(repo, file), 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`${file}: nothing to replace`);
  writeInput(repo, file, next);
};

async function refusals(repo: string): Promise<string[]> {
  const before = snapshotTree(path.join(repo, 'dist'));
  const state = snapshotTree(path.join(repo, 'state'));
  const error = await synth(repo, path.join(repo, 'dist')).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'synth refuses').toBeInstanceOf(InputErrors);
  // Nothing lost, nothing half-written.
  expect(snapshotTree(path.join(repo, 'dist'))).toEqual(before);
  expect(snapshotTree(path.join(repo, 'state'))).toEqual(state);
  return (error as InputErrors).errors.map((e) => `${e.file}: ${e.field}: ${e.message}`);
}

describe('change plan', () => {
  it('a redis configuration edit restarts the data members only, one at a time', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/orders.yaml', 'evictionPolicy: noeviction', 'evictionPolicy: allkeys-lru'));
    const result = await synth(repo, path.join(repo, 'dist'));
    const data = (name: string) => ({ name, holdsData: true });
    expect(result.plans).toEqual([expect.objectContaining({ folder: 'example/orders', refused: [], members: [data('orders-data-0'), data('orders-data-1')], restarts: [] })]);
  });

  it('a sentinel setting restarts every member, the tie-breaker first', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/orders.yaml', 'persistence:', 'sentinel:\n  downAfterMilliseconds: 4000\npersistence:'));
    const [plan] = (await synth(repo, path.join(repo, 'dist'))).plans;
    expect(plan?.members.map((m) => m.name)).toEqual(['orders-tiebreaker', 'orders-data-0', 'orders-data-1']);
  });

  it('a new service user restarts the data members (their ACL file), not the tie-breaker or the portals', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/sessions.yaml', '    - user: web\n      role: Writer', '    - user: web\n      role: Writer\n    - user: batch\n      role: Reader'));
    const [plan] = (await synth(repo, path.join(repo, 'dist'))).plans;
    expect(plan?.members.map((m) => m.name)).toEqual(['sessions-data-0', 'sessions-data-1']);
    expect(plan?.restarts).toEqual([]);
    expect(plan?.changes).toEqual(expect.arrayContaining(['+ SealedSecret/redis-sessions/sessions-user-batch']));
  });

  it('a new platform grant restarts nothing', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/sessions.yaml', '    - group: web-team\n      role: Viewer', '    - group: web-team\n      role: Viewer\n    - group: web-oncall\n      role: Operator'));
    const [plan] = (await synth(repo, path.join(repo, 'dist'))).plans;
    expect(plan).toMatchObject({ refused: [], members: [], restarts: [] });
    expect(plan?.changes).toEqual(['+ RoleBinding/redis-sessions/sessions-operator']);
  });

  it('grows persistence.size online: the declared claims expand, nothing restarts, the StatefulSets change only where Argo CD leaves them as they are', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/orders.yaml', 'size: 20Gi', 'size: 40Gi'));
    const result = await synth(repo, path.join(repo, 'dist'));
    expect(result.plans).toEqual([
      { folder: 'example/orders', refused: [], members: [], restarts: [], expands: ['data-orders-data-0-0 20Gi → 40Gi', 'data-orders-data-1-0 20Gi → 40Gi'], changes: [] },
    ]);
    const claim = readFileSync(path.join(repo, 'dist/example/orders/persistentvolumeclaim-data-orders-data-1-0.yaml'), 'utf8');
    expect(claim).toContain('storage: 40Gi');
    // A new member is made at the declared size; the live template is left as it is (IGNORED_DIFFERENCES).
    expect(readFileSync(path.join(repo, 'dist/example/orders/statefulset-orders-data-1.yaml'), 'utf8')).toContain('storage: 40Gi');
    expect(readFileSync(path.join(repo, 'dist/example/orders/persistentvolumeclaim-data-orders-tiebreaker-0.yaml'), 'utf8')).toContain('storage: 1Gi');
  });

  it('grows the claims a previous generator left to the StatefulSets (no declared claims yet): they are taken over at the new size', async () => {
    const repo = await afterEdit((r) => {
      for (const f of readdirSync(path.join(r, 'dist/example/orders')).filter((f) => f.startsWith('persistentvolumeclaim-'))) rmSync(path.join(r, 'dist/example/orders', f));
      edited(r, 'deployments/orders.yaml', 'size: 20Gi', 'size: 40Gi');
    });
    const [plan] = (await driftFrom(repo, path.join(repo, 'dist'))).plans;
    expect(plan).toMatchObject({ refused: [], restarts: [], expands: ['data-orders-data-0-0 20Gi → 40Gi', 'data-orders-data-1-0 20Gi → 40Gi'] });
    // The tie-breaker's claim keeps its size: taken over, with the generator's labels.
    expect(plan?.changes).toEqual(['~ PersistentVolumeClaim/redis-orders/data-orders-tiebreaker-0']);
  });

  it('refuses shrinking persistence.size: the file, the field, why, and what to do instead', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/orders.yaml', 'size: 20Gi', 'size: 10Gi'));
    const refused = await refusals(repo);
    expect(refused).toHaveLength(2);
    expect(refused[0]).toBe(
      'deployments/orders.yaml: persistence.size: refused: shrinks the volume data-orders-data-0-0 from 20Gi to 10Gi: a volume cannot shrink ' +
        '(the API server refuses it: spec.resources.requests.storage: Forbidden: field can not be less than previous value, and the sync would fail on every retry). ' +
        'Instead: keep persistence.size at 20Gi or more; to move to smaller volumes, declare a new deployment with the smaller size, copy the data to it ' +
        '(a replica of this one, or a backup), move the applications, then remove this deployment. (To apply it anyway, knowing this: synth --accept-change orders)',
    );
    expect(refused[1]).toMatch(/^deployments\/orders\.yaml: persistence\.size: refused: shrinks the volume data-orders-data-1-0 from 20Gi to 10Gi/);
  });

  it('refuses a shrink written in other units (19.5Gi is less than 20Gi)', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/orders.yaml', 'size: 20Gi', 'size: 19968Mi'));
    expect(await refusals(repo)).toEqual([expect.stringMatching(/shrinks the volume data-orders-data-0-0 from 20Gi to 19968Mi/), expect.stringMatching(/data-orders-data-1-0/)]);
  });

  it('refuses moving a deployment to another namespace: its volumes would stay behind', async () => {
    const repo = await afterEdit((r) => writeInput(r, 'deployments/sessions.yaml', `${readFileSync(path.join(r, 'deployments/sessions.yaml'), 'utf8')}namespace: cache-sessions\n`));
    expect(await refusals(repo)).toEqual([expect.stringMatching(/^deployments\/sessions\.yaml: namespace: refused: moves the deployment from namespace redis-sessions to cache-sessions: its volumes/)]);
  });

  it('refuses changing the cluster\'s zones: zonal volumes cannot follow their members', async () => {
    const repo = await afterEdit((r) => edited(r, 'clusters/example.yaml', 'zones: [us-south-1, us-south-2, us-south-3]', 'zones: [us-south-1, us-south-3, us-south-2]'));
    const refused = await refusals(repo);
    expect(refused).toHaveLength(4);
    expect(refused).toEqual(expect.arrayContaining([expect.stringMatching(/^clusters\/example\.yaml: zones: refused: moves member orders-data-1 from zone us-south-2 to us-south-3: its volume/)]));
  });

  it('refuses renaming the cluster\'s StorageClass: a claim\'s class cannot change', async () => {
    const repo = await afterEdit((r) => edited(r, 'clusters/example.yaml', 'profile: 10iops-tier', 'profile: 10iops-tier\n  storageClassName: redis-encrypted-2'));
    const refused = await refusals(repo);
    expect(refused).toHaveLength(6);
    expect(refused).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^clusters\/example\.yaml: storage\.storageClassName: refused: moves the volume data-orders-data-0-0 from StorageClass redis-encrypted to redis-encrypted-2: a claim's class cannot change .*Instead: keep the storageClassName of an existing cluster/),
      ]),
    );
  });

  it('refuses changing the storage provider settings: a StorageClass cannot change', async () => {
    const repo = await afterEdit((r) => edited(r, 'clusters/example.yaml', 'profile: 10iops-tier', 'profile: 5iops-tier'));
    expect(await refusals(repo)).toEqual([
      expect.stringMatching(/^clusters\/example\.yaml: storage: refused: changes StorageClass redis-encrypted \(parameters: Forbidden: updates to parameters are forbidden\.\)/),
    ]);
  });

  it('refuses a Redis downgrade', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/orders.yaml', 'version: "8.6"', 'version: "8.2"'));
    expect(await refusals(repo)).toEqual([
      expect.stringMatching(/redis\.version: refused: downgrades orders-data-0 from redis 8\.6\.4 to 8\.2\.9/),
      expect.stringMatching(/downgrades orders-data-1/),
      expect.stringMatching(/downgrades orders-tiebreaker/),
    ]);
  });

  it('refuses a move to an engine line that cannot load the data files (Redis 8.6 to Valkey 8.1), naming the way to move', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/orders.yaml', /engine: redis\n  version: "8\.6"/, 'engine: valkey\n  version: "8.1"'));
    const found = await refusals(repo);
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/redis\.engine: refused: moves orders-data-0 from redis 8\.6\.4 to valkey 8\.1\.10: valkey 8\.1 cannot load the data files redis 8\.6 writes \(RDB format 13; it loads up to 11\).*Instead: keep redis 8\.6; to move, create a new deployment/);
  });

  it('rolls an engine move the new line can load (Valkey 8.1 to 9.1) out like any upgrade', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/sessions.yaml', 'version: "8.1"', 'version: "9.1"'));
    const result = await synth(repo, path.join(repo, 'dist'));
    expect(result.plans.flatMap((p) => p.refused)).toEqual([]);
    expect(readFileSync(path.join(repo, 'dist/example/sessions/statefulset-sessions-data-0.yaml'), 'utf8')).toContain('docker.io/valkey/valkey:9.1.2@sha256:');
  });

  it('plans the upgrade Valkey 8.1 to 9.1 as a restart of every member, and diff shows the way back refused with the data format', async () => {
    const repo = await afterEdit(() => undefined);
    edited(repo, 'deployments/sessions.yaml', 'version: "8.1"', 'version: "9.1"');
    const up = await redisGitops(repo, 'diff', 'sessions');
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('plan example/sessions: restarts members one at a time (the rollout Job): sessions-tiebreaker, then sessions-data-0 and sessions-data-1 (the replica first; the primary last, after handing its role over)');
    expect((await redisGitops(repo, 'synth')).code).toBe(0);
    edited(repo, 'deployments/sessions.yaml', 'version: "9.1"', 'version: "8.1"');
    const down = await redisGitops(repo, 'diff', 'sessions');
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(
      /plan example\/sessions: nothing restarts.*\n {4}refused: deployments\/sessions\.yaml: redis\.version: downgrades sessions-data-0 from valkey 9\.1\.2 to 8\.1\.10: an older server cannot be trusted to load the data files a newer one wrote \(valkey 8\.1 cannot load the data files valkey 9\.1 writes \(RDB format 80; it loads up to 11\).*Instead: keep the version/,
    );
    expect(down.stdout.match(/refused: /g)).toHaveLength(3);
    expect((await redisGitops(repo, 'synth')).code).toBe(2);
  });

  it('refuses a restore declared on a deployment that already runs: the members would keep their data', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/orders.yaml', /^backup:/m, 'restore: {backup: 20261202T030000Z}\nbackup:'));
    expect(await refusals(repo)).toEqual([
      expect.stringMatching(/restore: refused: restores backup orders\/20261202T030000Z into orders-data-0, which already runs: .* empty volume.*Instead: restore into a new deployment/),
    ]);
  });

  it('applies a refused change the user accepts (--accept-change), and diff shows the refusal without failing', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/orders.yaml', 'version: "8.6"', 'version: "8.2"'));
    const drift = await driftFrom(repo, path.join(repo, 'dist'));
    expect(drift.plans.flatMap((p) => p.refused.map((r) => r.field))).toEqual(['redis.version', 'redis.version', 'redis.version']);
    const result = await synth(repo, path.join(repo, 'dist'), { acceptChanges: new Set(['orders']) });
    expect(result.plans[0]?.refused).toHaveLength(3);
    expect(readFileSync(path.join(repo, 'dist/example/orders/statefulset-orders-data-0.yaml'), 'utf8')).toContain(':8.2.');
  });

  it('through the CLI: synth exits 2 naming the field, diff prints the plan, --accept-change applies it', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/orders.yaml', 'size: 20Gi', 'size: 10Gi'));
    const refused = await redisGitops(repo, 'synth');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/deployments\/orders\.yaml: persistence\.size: refused: shrinks the volume data-orders-data-0-0 from 20Gi to 10Gi: a volume cannot shrink/);
    const diff = await redisGitops(repo, 'diff', 'orders');
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/plan example\/orders: nothing restarts\n {4}refused: deployments\/orders\.yaml: persistence\.size: shrinks the volume data-orders-data-0-0/);
    edited(repo, 'deployments/orders.yaml', 'size: 10Gi', 'size: 40Gi');
    const grown = await redisGitops(repo, 'diff', 'orders');
    expect(grown.code).toBe(0);
    expect(grown.stdout).toContain('plan example/orders: nothing restarts; volumes expand online: data-orders-data-0-0 20Gi → 40Gi, data-orders-data-1-0 20Gi → 40Gi\n');
    const synthGrown = await redisGitops(repo, 'synth');
    expect(synthGrown.code, synthGrown.stderr).toBe(0);
    expect(synthGrown.stdout).toContain('plan example/orders: nothing restarts; volumes expand online: data-orders-data-0-0 20Gi → 40Gi, data-orders-data-1-0 20Gi → 40Gi\n');
    edited(repo, 'deployments/orders.yaml', 'evictionPolicy: noeviction', 'evictionPolicy: allkeys-lru');
    const edit = await redisGitops(repo, 'synth');
    expect(edit.stdout).toContain(
      'plan example/orders: restarts members one at a time (the rollout Job): orders-data-0 and orders-data-1 (the replica first; the primary last, after handing its role over)',
    );
    edited(repo, 'deployments/orders.yaml', 'version: "8.6"', 'version: "8.2"');
    expect((await redisGitops(repo, 'synth')).code).toBe(2);
    const accepted = await redisGitops(repo, 'synth', '--accept-change', 'orders');
    expect(accepted.code, accepted.stderr).toBe(0);
  });

  it('plans nothing on a first synth or an unchanged one', async () => {
    const repo = tempRepo();
    expect((await synth(repo, path.join(repo, 'dist'))).plans).toEqual([]);
    expect((await synth(repo, path.join(repo, 'dist'))).plans).toEqual([]);
  });
});
