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
// `npm run bench -- NAME [args]` runs the one benchmark NAME (a script here without .mjs, e.g.
// `scale --peers 1,4` or `netconf-fairness`) with the arguments that follow. The long ones (scale,
// netconf-fairness, rib-memory, session-ingest, attribute-set-growth) run only by name.
const all = [
  { script: 'bmp-export.mjs', nodeFlags: [] },
  { script: 'rib-ingest.mjs', nodeFlags: ['--expose-gc'] },
  { script: 'datastore-commit.mjs', nodeFlags: [] },
  { script: 'netconf-get.mjs', nodeFlags: [] },
  { script: 'netconf-transactions.mjs', nodeFlags: [] },
  { script: 'reconcile.mjs', nodeFlags: [] },
  { script: 'nacm.mjs', nodeFlags: [] },
  { script: 'netconf-fairness.mjs', nodeFlags: [], byNameOnly: true },
  { script: 'scale.mjs', nodeFlags: [], byNameOnly: true },
  { script: 'rib-memory.mjs', nodeFlags: ['--expose-gc'], byNameOnly: true },
  { script: 'session-ingest.mjs', nodeFlags: [], byNameOnly: true },
  { script: 'attribute-set-growth.mjs', nodeFlags: [], byNameOnly: true },
  { script: 'yang-push.mjs', nodeFlags: [], byNameOnly: true },
].filter((b) => existsSync(path.join(here, b.script)));
const [first, ...rest] = process.argv.slice(2);
const named = first !== undefined && !first.startsWith('-') ? all.find((b) => b.script === `${first}.mjs`) : undefined;
if (first !== undefined && !first.startsWith('-') && named === undefined) {
  console.error(`bench: no benchmark named ${first}; one of ${all.map((b) => b.script.replace(/\.mjs$/, '')).join(', ')}`);
  process.exit(2);
}
const benches = named !== undefined
  ? [{ ...named, args: rest }]
  : all.filter((b) => !b.byNameOnly).map((b) => ({ ...b, args: b.script === 'bmp-export.mjs' ? process.argv.slice(2) : [] }));

const build = spawnSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
let failed = 0;
for (const bench of benches) {
  console.log(`\n== ${bench.script}`);
  const result = spawnSync(process.execPath, [...bench.nodeFlags, path.join(here, bench.script), ...bench.args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
