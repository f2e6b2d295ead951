#!/usr/bin/env node
// `npm run bench`: build, then run each benchmark in turn (they share loopback addresses, so never
// in parallel). Arguments after `--` go to bmp-export, the ingest/export/dump/RSS benchmark of the
// agent beside gobgpd and FRR (e.g. `npm run bench -- --prefixes 200000 --runs 5`); the others
// run with their defaults. On a shared machine run it under `flock /tmp/bmpd-bench.lock`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const benches = [
  { script: 'bmp-export.mjs', nodeFlags: [], args: process.argv.slice(2) },
  { script: 'rib-ingest.mjs', nodeFlags: ['--expose-gc'], args: [] },
  { script: 'datastore-commit.mjs', nodeFlags: [], args: [] },
  { script: 'netconf-get.mjs', nodeFlags: [], args: [] },
  { script: 'netconf-transactions.mjs', nodeFlags: [], args: [] },
  { script: 'reconcile.mjs', nodeFlags: [], args: [] },
  { script: 'nacm.mjs', nodeFlags: [], args: [] },
].filter((b) => existsSync(path.join(here, b.script)));

const build = spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
let failed = 0;
for (const bench of benches) {
  console.log(`\n== ${bench.script}`);
  const result = spawnSync(process.execPath, [...bench.nodeFlags, path.join(here, bench.script), ...bench.args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
