import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { planInStep, type SynthOptions, type SynthResult } from './synth.js';
import { INDEX_FILE, LEGACY_INDEX_FILE } from '../../model/dist-layout.js';
import type { ChangePlan } from './change-plan.js';
import { compare, isSumsFile, keptOf, type DistChanges } from './write-dist.js';

export interface Drift {
  changes: DistChanges;
  /** What the change does to each running deployment (refusals included: diff shows them, synth stops on them). */
  plans: ChangePlan[];
  /** Unified diffs of the changed, added and removed files, by file. */
  patches: Map<string, string>;
  /** Per deployment: secrets that would be generated or rotated, rotations under way. */
  notes: SynthResult['notes'];
}

/**
 * What a synth of the inputs under `root` would change in `distDir`, worked out without writing
 * anything (neither distDir nor state/): only the deployments whose inputs changed, or whose files
 * were edited, are rendered. `only` keeps the files under one folder (a deployment). `options.rotate`
 * shows what rotation steps would do.
 */
export async function driftFrom(root: string, distDir: string, only?: (file: string) => boolean, options: Pick<SynthOptions, 'rotate' | 'progress'> = {}): Promise<Drift> {
  // With verify, every kept folder is listed in `kept` (see SynthPlan.kept).
  const { previous, output, kept, plans, notes } = await planInStep(root, distDir, { ...options, writeState: false, refuse: false, verify: true });
  // index.json and the SHA256SUMS are bookkeeping: what differs is the files (and a stale list is rewritten by the next synth).
  const keep = (file: string) => file !== INDEX_FILE && file !== LEGACY_INDEX_FILE && !isSumsFile(file) && (!only || only(file));
  const all = compare(previous.hashes, output.hashes, only ? keptOf(new Map([...kept.folders].filter(([folder]) => only(`${folder}/`)))) : kept);
  const changes = { added: all.added.filter(keep), changed: all.changed.filter(keep), removed: all.removed.filter(keep), unchanged: all.unchanged };
  const files = output.files;
  const current = async (file: string) => readFile(path.join(distDir, file), 'utf8').catch(() => '');
  const patches = new Map<string, string>();
  for (const file of [...changes.changed, ...changes.added, ...changes.removed].sort()) {
    patches.set(file, createTwoFilesPatch(`a/${file}`, `b/${file}`, await current(file), files.get(file) ?? '', 'committed', 'synth'));
  }
  return { changes, patches, plans: only ? plans.filter((p) => only(`${p.folder}/`)) : plans, notes: only ? notes.filter((n) => only(`_/${n.deployment}/`)) : notes };
}
