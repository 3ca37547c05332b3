#!/usr/bin/env node
// The floor under any gate: the time js-yaml alone needs to read and parse every YAML file under a
// folder, on every core (one worker thread per core, files split evenly by size). Run by
// `npm run bench` beside the gate, on the same files. Prints one line of JSON: files, bytes, documents.
//
//   node scripts/yaml-floor.mjs <folder>
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { CORE_SCHEMA, loadAll } from 'js-yaml';

if (isMainThread) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: node scripts/yaml-floor.mjs <folder>');
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
  const count = Math.min(availableParallelism(), Math.max(1, files.length));
  // Round-robin by size, largest first: shares within a file of each other.
  const shares = Array.from({ length: count }, () => ({ files: [], bytes: 0 }));
  for (const [file, size] of files.map((f) => [f, statSync(f).size]).sort((a, b) => b[1] - a[1])) {
    const least = shares.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    least.files.push(file);
    least.bytes += size;
  }
  const results = await Promise.all(
    shares.map(
      (share) =>
        new Promise((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), { workerData: share.files });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  const total = results.reduce((a, r) => ({ bytes: a.bytes + r.bytes, documents: a.documents + r.documents }), { bytes: 0, documents: 0 });
  console.log(JSON.stringify({ files: files.length, threads: count, ...total }));
} else {
  let bytes = 0;
  let documents = 0;
  for (const file of workerData) {
    const text = readFileSync(file, 'utf8');
    bytes += text.length;
    documents += loadAll(text, undefined, { schema: CORE_SCHEMA }).length;
  }
  parentPort.postMessage({ bytes, documents });
}
