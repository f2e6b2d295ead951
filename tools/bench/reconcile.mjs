#!/usr/bin/env node
// The agent's share of a NETCONF transaction against the size of running (issues 2 and 3): a
// datastore holding N neighbors takes single-neighbor edit-config (candidate) + commit
// transactions, and the apply hook runs the agent's Reconciler on a real speaker and BMP engine
// (the speaker is not started, so no session connects; the BMP server is not activated). Prints
// the median ms of one reconcile at each N, read in full (the path every commit took before)
// and through the neighbor path. Goal: the neighbor path's cost does not grow with N.
// --runs times over all sizes in this process (fresh datastore, speaker and engine each time); each
// figure is the median (min–max) over the runs of one run's median. Beside the wall time, the
// process's CPU time (user + system) per reconcile: on a shared machine the wall time also counts
// the waits for a core, which the CPU time does not.
// Needs `npx tsc -b` first.   node tools/bench/reconcile.mjs [--sizes 1000,10000] [--commits 100] [--runs 5]
import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';

import { config, neighbor, neighborsConfig } from './neighbor-workload.mjs';
import { median, spread, spreadText } from './stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { loadYangModel } = await import(path.join(root, 'dist/src/yang/model.js'));
const { Datastores } = await import(path.join(root, 'dist/src/datastore/datastores.js'));
const { Reconciler, IDLE_SPEAKER } = await import(path.join(root, 'dist/src/agent/reconciler.js'));
const { BgpSpeaker } = await import(path.join(root, 'dist/src/bgp/speaker.js'));
const { BmpEngine } = await import(path.join(root, 'dist/src/bmp/engine.js'));
const { speakerForBmp } = await import(path.join(root, 'dist/src/bmp/engine-speaker.js'));
const { realStations } = await import(path.join(root, 'dist/src/bmp/engine-station.js'));

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1000,10000' }, commits: { type: 'string', default: '100' }, runs: { type: 'string', default: '5' } }, strict: false });
const sizes = values.sizes.split(',').map(Number);
const commits = Number(values.commits);
const runs = Math.max(1, Number(values.runs));
const silent = pino({ level: 'silent' });

const model = await loadYangModel();

/** Median ms of the Reconciler alone, per single-neighbor commit, at n neighbors. */
async function measure(n, neighborPath, count) {
  const speaker = new BgpSpeaker(IDLE_SPEAKER);
  const engine = new BmpEngine({ speaker: speakerForBmp(speaker), logger: silent, stations: realStations(), sysName: 'bench', sysDescr: 'bench' });
  const reconciler = new Reconciler({ speaker, engine }, silent, { neighborPath });
  const times = [];
  const cpuTimes = [];
  const taken = new Set();
  let timing = false;
  const ds = await Datastores.open({
    context: model.context,
    stateDir: null,
    apply: async (change) => {
      const t0 = process.hrtime.bigint();
      const cpu0 = process.cpuUsage();
      await reconciler.reconcile(change);
      if (timing) {
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        const cpu = process.cpuUsage(cpu0);
        cpuTimes.push((cpu.user + cpu.system) / 1000);
        taken.add(reconciler.lastPath);
      }
    },
  });
  await ds.editConfig('candidate', neighborsConfig(n), {}, 1);
  await ds.commit(1);
  timing = true;
  for (let k = 0; k < count; k++) {
    await ds.editConfig('candidate', config(neighbor(n + k)), {}, 1);
    await ds.commit(1);
  }
  ds.close();
  await engine.stop();
  await speaker.stop();
  return { ms: median(times), cpuMs: median(cpuTimes), taken: [...taken].join(',') };
}

const runsAt = new Map(sizes.map((n) => [n, []]));
for (let run = 0; run < runs; run++) {
  for (const n of sizes) {
    const full = await measure(n, false, Math.max(10, Math.min(commits, Math.round(300_000 / n))));
    const incremental = await measure(n, true, commits);
    runsAt.get(n).push({ full, incremental });
  }
}
const rows = sizes.map((n) => {
  const of = (path, figure = 'ms') => spread(runsAt.get(n).map((r) => r[path][figure]));
  return { n, full: of('full'), fullCpu: of('full', 'cpuMs'), incremental: of('incremental'), incrementalCpu: of('incremental', 'cpuMs'),
    taken: [...new Set(runsAt.get(n).map((r) => r.incremental.taken))].join(',') };
});
console.log(`reconcile: the agent's share of a single-neighbor edit-config (candidate) + commit, ms per reconcile; ${runs} runs, median (min–max) of each run's median`);
console.log('neighbors   full path ms (wall / CPU)                        neighbor path ms (wall / CPU)          (path taken)   neighbor path vs smallest (medians)');
for (const r of rows) {
  console.log(`${String(r.n).padStart(9)}   ${`${spreadText(r.full, 3)} / ${spreadText(r.fullCpu, 3)}`.padEnd(47)}  ${`${spreadText(r.incremental, 3)} / ${spreadText(r.incrementalCpu, 3)}`.padEnd(37)}  ${`(${r.taken})`.padStart(12)}   ${(r.incremental.median / rows[0].incremental.median).toFixed(2).padStart(6)}×`);
}
