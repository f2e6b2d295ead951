#!/usr/bin/env node
// `npm run bench`: build, then run each benchmark in turn (they share loopback addresses, so never
// in parallel). Arguments after `--` go to every benchmark, e.g. `npm run bench -- --prefixes 200000`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const benches = ['bgp-ingest.mjs', 'rib-ingest.mjs', 'netconf-get.mjs'].filter((b) => existsSync(path.join(here, b)));

const build = spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
let failed = 0;
for (const bench of benches) {
  console.log(`\n== ${bench}`);
  const result = spawnSync(process.execPath, [path.join(here, bench), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
