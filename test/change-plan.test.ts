import { cpSync, readFileSync } from 'node:fs';
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
  it('a configuration edit restarts the members whose pods change, and says so', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/orders.yaml', 'evictionPolicy: noeviction', 'evictionPolicy: allkeys-lru'));
    const result = await synth(repo, path.join(repo, 'dist'));
    expect(result.plans).toEqual([
      expect.objectContaining({ folder: 'example/orders', refused: [], restarts: ['orders-data-0', 'orders-data-1', 'orders-tiebreaker'] }),
    ]);
  });

  it('a new service user restarts the members (their ACL file) and not the portals', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/sessions.yaml', '    - user: web\n      role: Writer', '    - user: web\n      role: Writer\n    - user: batch\n      role: Reader'));
    const [plan] = (await synth(repo, path.join(repo, 'dist'))).plans;
    expect(plan?.restarts.sort()).toEqual(['sessions-data-0', 'sessions-data-1', 'sessions-tiebreaker']);
    expect(plan?.changes).toEqual(expect.arrayContaining(['+ SealedSecret/redis-sessions/sessions-user-batch']));
  });

  it('a new platform grant restarts nothing', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/sessions.yaml', '    - group: web-team\n      role: Viewer', '    - group: web-team\n      role: Viewer\n    - group: web-oncall\n      role: Operator'));
    const [plan] = (await synth(repo, path.join(repo, 'dist'))).plans;
    expect(plan).toMatchObject({ refused: [], restarts: [] });
    expect(plan?.changes).toEqual(['+ RoleBinding/redis-sessions/sessions-operator']);
  });

  it('refuses growing persistence.size through the claim templates (Kubernetes refuses it), with the procedure', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/orders.yaml', 'size: 20Gi', 'size: 40Gi'));
    expect(await refusals(repo)).toEqual([
      expect.stringMatching(/^deployments\/orders\.yaml: persistence\.size: refused: grows the volumes of orders-data-0 from 20Gi to 40Gi .*Forbidden: updates to statefulset spec .*Instead: expand each existing claim/),
      expect.stringMatching(/^deployments\/orders\.yaml: persistence\.size: refused: grows the volumes of orders-data-1/),
    ]);
  });

  it('refuses shrinking persistence.size', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/orders.yaml', 'size: 20Gi', 'size: 10Gi'));
    expect(await refusals(repo)).toEqual([
      expect.stringMatching(/persistence\.size: refused: shrinks the volumes of orders-data-0 from 20Gi to 10Gi: a volume cannot shrink/),
      expect.stringMatching(/persistence\.size: refused: shrinks the volumes of orders-data-1/),
    ]);
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

  it('refuses changing the storage provider settings: a StorageClass cannot change', async () => {
    const repo = await afterEdit((r) => edited(r, 'clusters/example.yaml', 'profile: 10iops-tier', 'profile: 5iops-tier'));
    expect(await refusals(repo)).toEqual([
      expect.stringMatching(/^clusters\/example\.yaml: storage: refused: changes StorageClass redis-encrypted \(parameters: Forbidden: updates to parameters are forbidden\.\)/),
    ]);
  });

  it('refuses a Redis downgrade', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/orders.yaml', 'version: "7.2"', 'version: "7.0"'));
    expect(await refusals(repo)).toEqual([
      expect.stringMatching(/redis\.version: refused: downgrades orders-data-0 from Redis 7\.2\.5 to 7\.0\.15/),
      expect.stringMatching(/downgrades orders-data-1/),
      expect.stringMatching(/downgrades orders-tiebreaker/),
    ]);
  });

  it('applies a refused change the user accepts (--accept-change), and diff shows the refusal without failing', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/orders.yaml', 'size: 20Gi', 'size: 40Gi'));
    const drift = await driftFrom(repo, path.join(repo, 'dist'));
    expect(drift.plans.flatMap((p) => p.refused.map((r) => r.field))).toEqual(['persistence.size', 'persistence.size']);
    const result = await synth(repo, path.join(repo, 'dist'), { acceptChanges: new Set(['orders']) });
    expect(result.plans[0]?.refused).toHaveLength(2);
    expect(readFileSync(path.join(repo, 'dist/example/orders/statefulset-orders-data-0.yaml'), 'utf8')).toContain('storage: 40Gi');
  });

  it('through the CLI: synth exits 2 naming the field, diff prints the plan, --accept-change applies it', async () => {
    const repo = await afterEdit((r) => edited(r, 'deployments/orders.yaml', 'size: 20Gi', 'size: 40Gi'));
    const refused = await redisGitops(repo, 'synth');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/deployments\/orders\.yaml: persistence\.size: refused: grows the volumes of orders-data-0/);
    const diff = await redisGitops(repo, 'diff', 'orders');
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/plan example\/orders: nothing restarts\n {4}refused: deployments\/orders\.yaml: persistence\.size: grows/);
    const accepted = await redisGitops(repo, 'synth', '--accept-change', 'orders');
    expect(accepted.code, accepted.stderr).toBe(0);
    edited(repo, 'deployments/orders.yaml', 'evictionPolicy: noeviction', 'evictionPolicy: allkeys-lru');
    const edit = await redisGitops(repo, 'synth');
    expect(edit.stdout).toContain('plan example/orders: restarts orders-data-0, orders-data-1, orders-tiebreaker (in one sync wave: together)');
  });

  it('plans nothing on a first synth or an unchanged one', async () => {
    const repo = tempRepo();
    expect((await synth(repo, path.join(repo, 'dist'))).plans).toEqual([]);
    expect((await synth(repo, path.join(repo, 'dist'))).plans).toEqual([]);
  });
});
