#!/usr/bin/env node
// What one evaluation worker (src/netconf/evaluation-pool.ts) costs in memory, to choose how many the
// agent starts by default (issue 10: a third worker keeps one free for reads while a long write and an
// expensive filter hold the others). Each worker holds its own libyang context and its copies of the
// datastores it was asked about: running always (the pool loads it into idle workers), candidate once
// a commit, validate or read of candidate ran there. For each size, one child process per worker count
// opens the datastores with that many neighbors in running and candidate, starts the pool, and has
// every worker load running, then candidate; the process's RSS is read at each step. The cost of a
// worker is the RSS difference between the counts, divided by the difference in workers.
//   node tools/bench/evaluation-worker-memory.mjs [--sizes 10000,100000] [--workers 1,3]
// Needs `npx tsc -b` first.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../../dist/src');
const { values } = parseArgs({ options: { sizes: { type: 'string', default: '10000,100000' }, workers: { type: 'string', default: '1,3' }, child: { type: 'string' } } });
const MiB = 2 ** 20;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;

/** RSS once it has stopped growing (within 1 MiB over a second): the workers' loads are done. */
async function settled() {
  let last = rss();
  for (;;) {
    await sleep(1000);
    const now = rss();
    if (Math.abs(now - last) < MiB) return now;
    last = now;
  }
}

async function child(size, workers) {
  const { loadYangModel } = await import(path.join(dist, 'yang/model.js'));
  const { Datastores } = await import(path.join(dist, 'datastore/datastores.js'));
  const { EvaluationPool } = await import(path.join(dist, 'netconf/evaluation-pool.js'));
  const { pino } = await import('pino');
  const model = await loadYangModel();
  const ds = await Datastores.open({ context: model.context, stateDir: null });
  const entries = [];
  for (let i = 0; i < size; i++) {
    entries.push(`<neighbor><address>127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}</address><remote-as>${64512 + (i % 1000)}</remote-as><shutdown/></neighbor>`);
  }
  await ds.editConfig('running', `<bgp xmlns="urn:bmpd:yang:bmpd"><as-number>65000</as-number>${entries.join('')}</bgp>`, {}, 1);
  // The main thread's prints for the workers, made once before the pool starts so every count pays them alike.
  ds.print('running');
  ds.print('candidate');
  global.gc?.();
  const figures = { before: rss() };
  const pool = new EvaluationPool({ datastores: ds, logger: pino({ level: 'silent' }), workers });
  await pool.start();
  const everyWorker = (source) => Promise.all(Array.from({ length: workers }, () =>
    pool.evaluate({ source, state: [], filter: { xpath: null }, mode: 'explicit', access: null })));
  // The pool has every idle worker load running once started; then RSS settles.
  await everyWorker('running');
  figures.running = await settled();
  // Requests made at once go to as many idle workers.
  await everyWorker('candidate');
  figures.candidate = await settled();
  await pool.close();
  process.stdout.write(JSON.stringify(figures));
  process.exit(0);
}

if (values.child !== undefined) {
  const [size, workers] = values.child.split(',').map(Number);
  await child(size, workers);
} else {
  const counts = values.workers.split(',').map(Number);
  console.log(`Evaluation worker memory (RSS of one process per row; ${counts.join(' vs ')} workers)`);
  console.log('| neighbors | workers | RSS: no pool | + pool, running loaded | + candidate loaded |');
  console.log('|---|---|---|---|---|');
  for (const size of values.sizes.split(',').map(Number)) {
    const rows = counts.map((workers) => {
      const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', `${size},${workers}`], { encoding: 'utf8', maxBuffer: 1 << 20 });
      const f = JSON.parse(out);
      console.log(`| ${size} | ${workers} | ${Math.round(f.before / MiB)} MiB | ${Math.round(f.running / MiB)} MiB | ${Math.round(f.candidate / MiB)} MiB |`);
      return { workers, ...f };
    });
    const [a, b] = [rows[0], rows.at(-1)];
    const per = (key) => Math.round((b[key] - a[key]) / (b.workers - a.workers) / MiB);
    console.log(`| ${size} | per worker | | ${per('running')} MiB | ${per('candidate')} MiB |`);
  }
}
