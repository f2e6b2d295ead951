#!/usr/bin/env node
// Datastore transaction cost against its size (issue 2): a datastore already holding N
// neighbors takes single-neighbor edit-config (candidate) + commit transactions; prints the
// per-transaction cost at each N. Goal: a cost that does not grow with N. In-process, no
// NETCONF and no engine (the apply hook does nothing), so this is the datastore's own share.
// --runs times over all sizes in this process, each run on fresh datastores; each figure is the
// median (min–max) over the runs of one run's median.
// Needs `npx tsc -b` first.   node tools/bench/datastore-commit.mjs [--sizes 1,1000,10000] [--commits 200] [--runs 5]
import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { config, neighbor, neighborsConfig } from './neighbor-workload.mjs';
import { median, spread, spreadText } from './stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { loadYangModel } = await import(path.join(root, 'dist/src/yang/model.js'));
const { Datastores } = await import(path.join(root, 'dist/src/datastore/datastores.js'));

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1,1000,10000' }, commits: { type: 'string', default: '200' }, runs: { type: 'string', default: '5' } }, strict: false });
const sizes = values.sizes.split(',').map(Number);
const commits = Number(values.commits);
const runs = Math.max(1, Number(values.runs));

const model = await loadYangModel();
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];
const rows = [];
// Warm up the JIT on a throwaway datastore, so the first size is not charged for it.
{
  const ds = await Datastores.open({ context: model.context, stateDir: null });
  await ds.editConfig('candidate', config(`<as-number>65000</as-number>${neighbor(0)}`), {}, 1);
  for (let k = 1; k <= commits; k++) {
    await ds.editConfig('candidate', config(neighbor(k)), {}, 1);
    await ds.commit(1);
  }
  ds.close();
}
/** One run at n neighbors: the medians (and p95) of `commits` one-neighbor transactions, in ms. */
async function measure(n) {
  const ds = await Datastores.open({ context: model.context, stateDir: null });
  await ds.editConfig('candidate', neighborsConfig(n), {}, 1);
  await ds.commit(1);
  const edit = [];
  const commit = [];
  for (let k = 0; k < commits; k++) {
    const t0 = process.hrtime.bigint();
    await ds.editConfig('candidate', config(neighbor(n + k)), {}, 1);
    const t1 = process.hrtime.bigint();
    await ds.commit(1);
    const t2 = process.hrtime.bigint();
    edit.push(Number(t1 - t0) / 1e6);
    commit.push(Number(t2 - t1) / 1e6);
  }
  ds.close();
  const total = edit.map((e, i) => e + commit[i]);
  return { edit: median(edit), commit: median(commit), total: median(total), p95: p95(total) };
}
const perSize = new Map(sizes.map((n) => [n, []]));
for (let run = 0; run < runs; run++) for (const n of sizes) perSize.get(n).push(await measure(n));
for (const n of sizes) {
  const of = (field) => spread(perSize.get(n).map((r) => r[field]));
  rows.push({ n, edit: of('edit'), commit: of('commit'), total: of('total'), p95: of('p95') });
}
console.log(`datastore: ${commits} single-neighbor edit-config (candidate) + commit transactions at each size; ${runs} runs, median (min–max) of each run's median`);
console.log('neighbors   edit ms             commit ms           transaction ms      p95 ms              median vs smallest');
for (const r of rows) {
  console.log(`${String(r.n).padStart(9)}   ${[r.edit, r.commit, r.total, r.p95].map((sp) => spreadText(sp).padEnd(18)).join('  ')}  ${(r.total.median / rows[0].total.median).toFixed(1).padStart(6)}×`);
}
