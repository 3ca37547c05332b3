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
 *
 * Its text is a line of JSON (the head), then a line per deployment: a synth after one change finds
 * and replaces the lines of the deployments it read, and neither parses nor serializes the others
 * (the whole record, 835 KB at 10,000 deployments, cost ~40 ms of such a synth to read, look up and
 * write again).
 */
export interface FleetRecordHead {
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
  /** How many deployments the lines below hold. */
  count: number;
  /** No deployment's sameUntil is earlier (it may be later: a bound, kept when the deployment holding it changes). */
  earliest: number;
}

/**
 * A deployment as the synth found it: name, file, cluster, namespace, until when resolving its secrets
 * again gives the same (ms since the epoch, see ResolvedSecrets.sameUntil), and the notes that gave.
 */
export type RecordedDeployment = [name: string, file: string, cluster: string, namespace: string, sameUntil: number, notes: string[]];

const FORMAT = 3;

/** Where the record of the synth cache `cache` is kept. */
export function fleetRecordFile(cache: string): string {
  return `${cache.replace(/\.json$/, '')}.fleet.json`;
}

/** A record's text: its head, then each deployment (in the inputs' order) on a line of its own. */
export function fleetRecordText(head: Omit<FleetRecordHead, 'format' | 'count' | 'earliest'>, deployments: readonly RecordedDeployment[]): string {
  let earliest = Infinity;
  for (const d of deployments) earliest = Math.min(earliest, d[4]);
  const full: FleetRecordHead = { format: FORMAT, ...head, count: deployments.length, earliest: Number.isFinite(earliest) ? earliest : 0 };
  return [JSON.stringify(full), ...deployments.map((d) => JSON.stringify(d))].join('\n') + '\n';
}

/** A record read (see readFleetRecord): its head, and its deployments found by name without parsing the others. */
export class FleetRecord {
  private constructor(
    readonly head: FleetRecordHead,
    private readonly text: string,
  ) {}

  /** The record in `file` made by the generator of `fingerprint`; undefined when there is none, or not one this code wrote whole. */
  static read(file: string, fingerprint: string): FleetRecord | undefined {
    try {
      const text = readFileSync(file, 'utf8');
      const head = JSON.parse(text.slice(0, text.indexOf('\n'))) as FleetRecordHead;
      const fits =
        head.format === FORMAT &&
        head.fingerprint === fingerprint &&
        typeof head.mark === 'string' &&
        typeof head.index === 'string' &&
        typeof head.files === 'number' &&
        typeof head.count === 'number' &&
        typeof head.earliest === 'number' &&
        Array.isArray(head.clusters) &&
        head.clusters.every((c) => Array.isArray(c) && c.length === 2 && c.every((part) => typeof part === 'string'));
      // A line per deployment, each ending with its line break: a record cut short has fewer.
      let lines = 0;
      for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines++;
      return fits && lines === head.count + 1 ? new FleetRecord(head, text) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Where the line of deployment `name` lies ([start, end)), undefined when there is none. */
  private find(name: string): [number, number] | undefined {
    // Names are unique, and no line break is raw inside JSON: a line starting so is that deployment's.
    const at = this.text.indexOf(`\n[${JSON.stringify(name)},`);
    return at < 0 ? undefined : [at + 1, this.text.indexOf('\n', at + 1)];
  }

  /** The deployment named `name` with its line's position (the inputs' order), undefined when there is none (or its line is not one). */
  deployment(name: string): { deployment: RecordedDeployment; at: number } | undefined {
    const found = this.find(name);
    if (!found) return undefined;
    const deployment = parseLine(this.text.slice(...found));
    return deployment && { deployment, at: found[0] };
  }

  /** Every deployment's notes, in the inputs' order; undefined when a line holding some is not one this code wrote. */
  notes(): { deployment: string; note: string }[] | undefined {
    const notes: { deployment: string; note: string }[] = [];
    for (let start = this.text.indexOf('\n') + 1; start < this.text.length; start = this.text.indexOf('\n', start) + 1) {
      const end = this.text.indexOf('\n', start);
      // Most lines end with no notes: only the others are parsed.
      if (this.text.startsWith(',[]]', end - 4)) continue;
      const d = parseLine(this.text.slice(start, end));
      if (!d) return undefined;
      for (const note of d[5]) notes.push({ deployment: d[0], note });
    }
    return notes;
  }

  /**
   * The text of this record with `head`'s fields and the lines of `deployments` (each one this record
   * holds, by name) replaced; the earliest sameUntil lowered to theirs where it is lower.
   */
  with(head: Pick<FleetRecordHead, 'mark' | 'index' | 'files'>, deployments: readonly RecordedDeployment[]): string {
    const spans = deployments.map((d): [number, number, string] => [...this.find(d[0])!, JSON.stringify(d)]).sort(([a], [b]) => a - b);
    const earliest = Math.min(this.head.earliest, ...deployments.map((d) => d[4]));
    let text = JSON.stringify({ ...this.head, ...head, earliest });
    let from = this.text.indexOf('\n');
    for (const [start, end, line] of spans) {
      text += this.text.slice(from, start) + line;
      from = end;
    }
    return text + this.text.slice(from);
  }
}

function parseLine(line: string): RecordedDeployment | undefined {
  try {
    const d = JSON.parse(line) as unknown;
    if (!Array.isArray(d) || d.length !== 6) return undefined;
    const [name, file, cluster, namespace, sameUntil, notes] = d as unknown[];
    const fits = typeof name === 'string' && typeof file === 'string' && typeof cluster === 'string' && typeof namespace === 'string' && typeof sameUntil === 'number' && Array.isArray(notes) && notes.every((n) => typeof n === 'string');
    return fits ? (d as RecordedDeployment) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the record `text` (whole, then renamed into place), or removes the record when there is none to keep. Failing costs the next synth only its speed. */
export function keepFleetRecord(file: string, text: string | undefined): void {
  try {
    if (text === undefined) {
      rmSync(file, { force: true });
      return;
    }
    mkdirSync(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, text);
    renameSync(temporary, file);
  } catch {
    // Read-only: the next synth reads the whole fleet. (A record left from before stays right: it is
    // trusted only with the index it was made with, and what changed since its mark is read.)
  }
}
