#!/usr/bin/env node
// NETCONF under load: the agent with 1,000 neighbors and 4 BMP servers configured; times
// <get> of the full operational state (goal: well under a second), <get-data> of the
// operational datastore beside it (plain and with-origin, as ratios to <get>), get-config, and
// the commit of one more neighbor, with ncclient as the client. Needs `npx tsc -b` first.
//   node tools/bench/netconf-get.mjs [--neighbors N] [--servers S] [--rounds R]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { killPid, procStatus } from './processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { values } = parseArgs({
  options: { neighbors: { type: 'string', default: '1000' }, servers: { type: 'string', default: '4' }, rounds: { type: 'string', default: '10' } },
  strict: false,
});

const stateDir = mkdtempSync(path.join(tmpdir(), 'bmpd-bench-nc-'));
const agent = spawn(process.execPath, [path.join(root, 'dist/src/main.js'), '--state-dir', stateDir, '--netconf-port', '0', '--log-level', 'info'],
  { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('agent not ready in 30 s')), 30_000);
    createInterface({ input: agent.stdout }).on('line', (line) => {
      try {
        const e = JSON.parse(line);
        if (e.msg === 'bmpd ready') { clearTimeout(timer); resolve(e.port); }
      } catch { /* not a log line */ }
    });
    agent.once('exit', (code) => reject(new Error(`agent exited ${code}`)));
  });
  const r = spawnSync('/usr/bin/python3', [path.join(here, 'netconf_get.py'), String(port), values.neighbors, values.servers, values.rounds],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`netconf_get.py failed: ${r.stderr}`);
  const res = JSON.parse(r.stdout.trim().split('\n').pop());
  const rss = procStatus(agent.pid, 'VmHWM');
  console.log(`bmpd NETCONF, ${res.neighbors} neighbors and ${res.servers} BMP servers configured`);
  console.log(`  bulk edit-config + commit of all of it: ${res.bulk_commit_ms} ms`);
  console.log(`  <get> full state (${(res.get_bytes / 1024).toFixed(0)} KiB, ${res.neighbor_states} neighbor states): median ${res.get_full.median_ms} ms, max ${res.get_full.max_ms} ms`);
  const ratio = (x) => (x / res.get_full.median_ms).toFixed(2);
  console.log(`  <get-data> operational: median ${res.get_data_operational.median_ms} ms (${ratio(res.get_data_operational.median_ms)}x <get>), ` +
    `with-origin (${(res.get_data_with_origin_bytes / 1024).toFixed(0)} KiB): median ${res.get_data_with_origin.median_ms} ms (${ratio(res.get_data_with_origin.median_ms)}x <get>)`);
  console.log(`  <get-config> running: median ${res.get_config.median_ms} ms, max ${res.get_config.max_ms} ms`);
  console.log(`  edit-config + commit of one more neighbor: median ${res.commit_one_neighbor.median_ms} ms, max ${res.commit_one_neighbor.max_ms} ms`);
  console.log(`  agent peak RSS: ${(rss / 1024 / 1024).toFixed(0)} MiB`);
} finally {
  await killPid(agent.pid, 5000);
  rmSync(stateDir, { recursive: true, force: true });
}
