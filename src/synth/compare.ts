import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { synth } from './synth.js';
import { compare, hashTree, INDEX_FILE, type DistChanges } from './write-dist.js';

export interface Drift {
  changes: DistChanges;
  /** Unified diffs of the changed, added and removed files, by file. */
  patches: Map<string, string>;
}

/**
 * What a synth of the inputs under `root` would change in `distDir`, computed in a temporary folder:
 * neither distDir nor state/ is touched. `only` keeps the files under one folder (a deployment).
 */
export async function driftFrom(root: string, distDir: string, only?: (file: string) => boolean): Promise<Drift> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'redis-gitops-drift-'));
  try {
    const fresh = path.join(scratch, 'dist');
    await synth(root, fresh, { writeState: false });
    const keep = (file: string) => file !== INDEX_FILE && (!only || only(file));
    const current = new Map([...(await hashTree(distDir))].filter(([file]) => keep(file)));
    const next = Object.fromEntries([...(await hashTree(fresh))].filter(([file]) => keep(file)));
    const changes = compare(current, next);
    const read = async (dir: string, file: string) => readFile(path.join(dir, file), 'utf8').catch(() => '');
    const patches = new Map<string, string>();
    for (const file of [...changes.changed, ...changes.added, ...changes.removed].sort()) {
      patches.set(file, createTwoFilesPatch(`a/${file}`, `b/${file}`, await read(distDir, file), await read(fresh, file), 'committed', 'synth'));
    }
    return { changes, patches };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
