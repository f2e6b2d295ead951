#!/usr/bin/env node
// NETCONF under load: the agent with 1,000 neighbors and 4 BMP servers configured; times
// <get> of the full operational state (goal: well under a second), <get-data> of the
// operational datastore beside it (plain and with-origin, as ratios to <get>), get-config, and
// the commit of one more neighbor, with ncclient as the client. --runs times, each on a fresh
// agent; each figure is the median (min–max) over the runs of one run's median of --rounds.
// Needs `npx tsc -b` first.
//   node tools/bench/netconf-get.mjs [--neighbors N] [--servers S] [--rounds R] [--runs 5]
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { killPid, procStatus, startBenchAgent } from './processes.mjs';
import { spread, spreadText } from './stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { values } = parseArgs({
  options: {
    neighbors: { type: 'string', default: '1000' }, servers: { type: 'string', default: '4' }, rounds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '5' },
  },
  strict: false,
});
const runs = Math.max(1, Number(values.runs));

/** One run on a fresh agent: netconf_get.py's figures and the agent's peak RSS. */
async function oneRun() {
  const { agent, port, stateDir } = await startBenchAgent(root, { dirPrefix: 'bmpd-bench-nc-' });
  try {
    const r = spawnSync('/usr/bin/python3', [path.join(here, 'netconf_get.py'), String(port), values.neighbors, values.servers, values.rounds],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`netconf_get.py failed: ${r.stderr}`);
    return { ...JSON.parse(r.stdout.trim().split('\n').pop()), rss: procStatus(agent.pid, 'VmHWM') };
  } finally {
    await killPid(agent.pid, 5000);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const results = [];
for (let i = 1; i <= runs; i++) {
  const r = await oneRun();
  console.error(`run ${i} of ${runs}: <get> median ${r.get_full.median_ms} ms, <get-data> ${r.get_data_operational.median_ms} ms`);
  results.push(r);
}
const of = (pick) => spread(results.map(pick));
const ms = (pick) => `${spreadText(of(pick), 1)} ms`;
const ratio = (pick) => spreadText(of((r) => pick(r) / r.get_full.median_ms), 2);
const last = results.at(-1);
console.log(`bmpd NETCONF, ${last.neighbors} neighbors and ${last.servers} BMP servers configured; ${runs} runs of ${values.rounds} rounds on a fresh agent each;`
  + ` median (min–max) over the runs of each run's median; ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)} at the end`);
console.log(`  bulk edit-config + commit of all of it: ${ms((r) => r.bulk_commit_ms)}`);
console.log(`  <get> full state (${(last.get_bytes / 1024).toFixed(0)} KiB, ${last.neighbor_states} neighbor states): ${ms((r) => r.get_full.median_ms)}; slowest round ${ms((r) => r.get_full.max_ms)}`);
console.log(`  <get-data> operational: ${ms((r) => r.get_data_operational.median_ms)} (${ratio((r) => r.get_data_operational.median_ms)}x <get>), `
  + `with-origin (${(last.get_data_with_origin_bytes / 1024).toFixed(0)} KiB): ${ms((r) => r.get_data_with_origin.median_ms)} (${ratio((r) => r.get_data_with_origin.median_ms)}x <get>)`);
console.log(`  <get-config> running: ${ms((r) => r.get_config.median_ms)}`);
console.log(`  edit-config + commit of one more neighbor: ${ms((r) => r.commit_one_neighbor.median_ms)}`);
console.log(`  agent peak RSS: ${spreadText(of((r) => r.rss / 1048576), 0)} MiB`);
