// Builds every engine line model/engines.ts marks as tested (its `tested` build) into
// .tools/<engine>/<version>/bin, once per version, through scripts/build-server.sh:
//   npm run servers:build
// Cold: about 3 to 5 minutes per release on 2 cores (jemalloc, Lua and the server); a built version
// returns at once. The drill and the process tests run these binaries, never the machine's own.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineVersions } from '../model/engines.js';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'build-server.sh');
let failed = 0;
for (const line of engineVersions) {
  if (!('tested' in line)) continue;
  const { version, debian, tarballSha256 } = line.tested;
  const result = spawnSync('bash', [script, line.engine, version, debian, tarballSha256], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
