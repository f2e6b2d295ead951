#!/usr/bin/env node
// Datastore transaction cost against its size (issue 2): a datastore already holding N
// neighbors takes single-neighbor edit-config (candidate) + commit transactions; prints the
// per-transaction cost at each N. Goal: a cost that does not grow with N. In-process, no
// NETCONF and no engine (the apply hook does nothing), so this is the datastore's own share.
// Needs `npx tsc -b` first.   node tools/bench/datastore-commit.mjs [--sizes 1,1000,10000] [--commits 200]
import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { config, median, neighbor, neighborsConfig } from './neighbor-workload.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { loadYangModel } = await import(path.join(root, 'dist/src/yang/model.js'));
const { Datastores } = await import(path.join(root, 'dist/src/datastore/datastores.js'));

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1,1000,10000' }, commits: { type: 'string', default: '200' } }, strict: false });
const sizes = values.sizes.split(',').map(Number);
const commits = Number(values.commits);

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
for (const n of sizes) {
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
  rows.push({ n, edit: median(edit), commit: median(commit), total: median(total), p95: p95(total) });
}
console.log(`datastore: ${commits} single-neighbor edit-config (candidate) + commit transactions at each size`);
console.log('neighbors   edit ms   commit ms   transaction ms (median)   p95 ms   vs smallest');
for (const r of rows) {
  console.log(`${String(r.n).padStart(9)}   ${r.edit.toFixed(2).padStart(7)}   ${r.commit.toFixed(2).padStart(9)}   ${r.total.toFixed(2).padStart(23)}   ${r.p95.toFixed(2).padStart(6)}   ${(r.total / rows[0].total).toFixed(1).padStart(6)}×`);
}
