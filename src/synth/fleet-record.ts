import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The fleet as the last synth left it, for the next one to take every deployment nothing changed for
 * since then from here, without listing, reading, parsing or hashing it: at 10,000 deployments, a
 * synth after one change spent ~0.5 s on passes over every deployment (the cache's entries, each
 * deployment's name, namespace, state signature and inputs hash), which grew with the fleet. With the
 * record, a synth reads the few files the file monitor says changed, and the index.
 *
 * Kept beside the synth cache (see synthCacheFile), written by each synth that knew what would change
 * after it began (a file monitor's mark, see file-monitor.ts), after its output and state were
 * committed; removed by a synth that did not. Trusted only while everything a deployment's files and
 * secrets depend on besides its own files is as it was: the generator (its fingerprint), the index
 * (as this record's synth wrote it, by its sha256), the clusters (their part of every inputs hash,
 * see clusterKey in synth.ts, and no change under clusters/), the time (before any kept deployment's
 * secrets would resolve otherwise); and for the deployments, only while no deployment file was added
 * or removed and no state file other than a known deployment's changed. Anything else: the whole
 * fleet is read as ever (synth.ts plan).
 */
export interface FleetRecord {
  format: typeof FORMAT;
  /** The generator's fingerprint (see fingerprint.ts). */
  fingerprint: string;
  /** The file monitor's mark taken before the synth read its inputs: what changed since is what to read. */
  mark: string;
  /** sha256 of the text of the index.json it wrote. */
  index: string;
  /** How many files that index records (its folders' SUMS_FILEs aside): how many the output holds. */
  files: number;
  /** Each cluster, in the inputs' order: its name and the digest of its part of its deployments' inputs hashes. */
  clusters: [name: string, key: string][];
  /** Each deployment, in the inputs' order. */
  deployments: RecordedDeployment[];
}

/**
 * A deployment as the synth found it: name, file, cluster, namespace, until when resolving its secrets
 * again gives the same (ms since the epoch, see ResolvedSecrets.sameUntil), and the notes that gave.
 */
export type RecordedDeployment = [name: string, file: string, cluster: string, namespace: string, sameUntil: number, notes: string[]];

const FORMAT = 2;

/** Where the record of the synth cache `cache` is kept. */
export function fleetRecordFile(cache: string): string {
  return `${cache.replace(/\.json$/, '')}.fleet.json`;
}

/** The record in `file` made by the generator of `fingerprint`; undefined when there is none, or not one this code wrote. */
export function readFleetRecord(file: string, fingerprint: string): FleetRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as FleetRecord;
    const fits =
      record.format === FORMAT &&
      record.fingerprint === fingerprint &&
      typeof record.mark === 'string' &&
      typeof record.index === 'string' &&
      typeof record.files === 'number' &&
      Array.isArray(record.clusters) &&
      record.clusters.every((c) => Array.isArray(c) && c.length === 2 && c.every((part) => typeof part === 'string')) &&
      Array.isArray(record.deployments) &&
      record.deployments.every(isRecordedDeployment);
    return fits ? record : undefined;
  } catch {
    return undefined;
  }
}

function isRecordedDeployment(d: unknown): d is RecordedDeployment {
  if (!Array.isArray(d) || d.length !== 6) return false;
  const [name, file, cluster, namespace, sameUntil, notes] = d as unknown[];
  return typeof name === 'string' && typeof file === 'string' && typeof cluster === 'string' && typeof namespace === 'string' && typeof sameUntil === 'number' && Array.isArray(notes) && notes.every((n) => typeof n === 'string');
}

/** Writes `record` (whole, then renamed into place), or removes the record when there is none to keep. Failing costs the next synth only its speed. */
export function keepFleetRecord(file: string, record: Omit<FleetRecord, 'format'> | undefined): void {
  try {
    if (!record) {
      rmSync(file, { force: true });
      return;
    }
    mkdirSync(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ format: FORMAT, ...record }));
    renameSync(temporary, file);
  } catch {
    // Read-only: the next synth reads the whole fleet. (A record left from before stays right: it is
    // trusted only with the index it was made with, and what changed since its mark is read.)
  }
}
