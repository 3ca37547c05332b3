import { link, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import pMap from 'p-map';
import { synth } from './synth.js';
import { compare, INDEX_FILE, readPrevious, type DistChanges, type DistIndex } from './write-dist.js';

export interface Drift {
  changes: DistChanges;
  /** Unified diffs of the changed, added and removed files, by file. */
  patches: Map<string, string>;
}

/**
 * What a synth of the inputs under `root` would change in `distDir`, computed in a scratch folder
 * beside it: neither distDir nor state/ is touched. The scratch folder starts as hard links to
 * distDir's files, so the synth there renders only the deployments whose inputs changed (or whose
 * files were edited). `only` keeps the files under one folder (a deployment).
 */
export async function driftFrom(root: string, distDir: string, only?: (file: string) => boolean): Promise<Drift> {
  const dist = path.resolve(distDir);
  const scratch = path.join(path.dirname(dist), `.${path.basename(dist)}-drift-${process.pid}`);
  try {
    const fresh = path.join(scratch, 'dist');
    const current = await readPrevious(dist);
    if (current.index) await seed(dist, fresh, [...current.hashes.keys(), INDEX_FILE]);
    await synth(root, fresh, { writeState: false });
    const next = JSON.parse(await readFile(path.join(fresh, INDEX_FILE), 'utf8')) as DistIndex;
    const keep = (file: string) => file !== INDEX_FILE && (!only || only(file));
    const changes = compare(
      new Map([...current.hashes].filter(([file]) => keep(file))),
      Object.fromEntries(Object.entries(next.files).filter(([file]) => keep(file))),
    );
    const read = async (dir: string, file: string) => readFile(path.join(dir, file), 'utf8').catch(() => '');
    const patches = new Map<string, string>();
    for (const file of [...changes.changed, ...changes.added, ...changes.removed].sort()) {
      patches.set(file, createTwoFilesPatch(`a/${file}`, `b/${file}`, await read(dist, file), await read(fresh, file), 'committed', 'synth'));
    }
    return { changes, patches };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Hard links of `files` of `from` in `to`; on a failure (another file system) `to` is left empty, for a full synth. */
async function seed(from: string, to: string, files: string[]): Promise<void> {
  try {
    for (const folder of [...new Set(files.map((f) => path.dirname(path.join(to, f))))].sort()) await mkdir(folder, { recursive: true });
    await pMap(files, (file) => link(path.join(from, file), path.join(to, file)), { concurrency: 64 });
  } catch {
    await rm(to, { recursive: true, force: true });
  }
}
