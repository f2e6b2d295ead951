#!/usr/bin/env node
// BGP ingest benchmark: the same generated full table (tools/bgp-loadgen) sent to three receivers
// in turn on loopback — bmpd's BgpSpeaker (alone in a child process), Debian's gobgpd and FRR
// bgpd (standalone, -Z -S) — measuring
//   ingest rate = prefixes / (load generator Established and sending -> receiver holds all of them)
//   memory      = receiver's peak RSS (VmHWM) minus its idle RSS, per stored prefix.
// bmpd reports its own completion time; gobgpd and FRR are polled (gobgp CLI / vtysh JSON) every
// --poll-ms, which can only make them look a little slower than they are.
//
//   npx tsc -b && node tools/bench/bgp-ingest.mjs [--prefixes 1000000] [--per-update 50] [--runs 1] [--only bmpd,gobgpd,frr]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { killPid as killAfter, procStatus, sleep, spawnJson as spawnJsonWith, spawnLoadgen, startFrrBgpd, startGobgpd } from './processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

const { values: args } = parseArgs({
  options: {
    prefixes: { type: 'string', default: '1000000' },
    'per-update': { type: 'string', default: '50' },
    only: { type: 'string', default: 'bmpd,gobgpd,frr' },
    'poll-ms': { type: 'string', default: '50' },
    'timeout-s': { type: 'string', default: '600' },
    /** Runs per receiver; the table shows the run with the median rate (the machine may be shared). */
    runs: { type: 'string', default: '1' },
  },
});
const N = Number(args.prefixes);
const pollMs = Number(args['poll-ms']);
const timeoutMs = Number(args['timeout-s']) * 1000;
const killPid = (pid) => killAfter(pid, 3000);
const spawnJson = (script, scriptArgs) => spawnJsonWith(script, scriptArgs, { timeoutMs });

// Loopback only; one receiver at a time. Each run takes the next port: a receiver killed with
// connections open leaves TIME_WAIT behind, and gobgpd cannot bind over it.
const GENERATOR = '127.0.4.100';
const GENERATOR_AS = 65010;
const RECEIVER_AS = 65001;
let PORT = 17179;
const ADDR = { bmpd: '127.0.4.101', gobgpd: '127.0.4.102', frr: '127.0.4.103' };

const startLoadgen = (receiver) =>
  spawnLoadgen({ peer: receiver, port: PORT, local: GENERATOR, as: GENERATOR_AS, prefixes: N, perUpdate: args['per-update'] }, { timeoutMs });

/** Poll until count() reaches N; returns the Date.now() of the first poll that saw N. */
async function pollUntilComplete(count) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await count().catch(() => 0);
    if (n >= N) return Date.now();
    if (Date.now() > deadline) throw new Error(`receiver holds ${n} of ${N} prefixes after ${timeoutMs / 1000} s`);
    await sleep(pollMs);
  }
}

async function benchBmpd() {
  const speaker = spawnJson(path.join(here, 'bgp-speaker-child.mjs'), [
    '--listen', ADDR.bmpd, '--port', String(PORT), '--as', String(RECEIVER_AS),
    '--neighbor', GENERATOR, '--remote-as', String(GENERATOR_AS), '--target', String(N),
  ]);
  const loadgen = { child: null };
  try {
    const listening = await speaker.next('listening');
    const gen = startLoadgen(ADDR.bmpd);
    loadgen.child = gen.child;
    const established = await gen.next('established');
    const done = await speaker.next('done');
    return {
      receiver: 'bmpd',
      seconds: (done.at - established.at) / 1000,
      idleRss: listening.idleRssBytes,
      peakRss: done.peakRssBytes,
      stored: done.prefixes,
    };
  } finally {
    await killPid(loadgen.child?.pid);
    await killPid(speaker.child.pid);
  }
}

async function benchGobgpd() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-gobgpd-'));
  let gobgpd = null;
  let loadgen = null;
  try {
    // A fresh API port per run too (the CLI's connections leave TIME_WAIT on gobgpd's side).
    gobgpd = await startGobgpd({ dir, asn: RECEIVER_AS, address: ADDR.gobgpd, port: PORT, apiPort: PORT + 33000, generator: GENERATOR, generatorAs: GENERATOR_AS });
    const { cli } = gobgpd;
    const idleRss = procStatus(gobgpd.pid, 'VmRSS');
    const gen = startLoadgen(ADDR.gobgpd);
    loadgen = gen.child;
    const established = await gen.next('established');
    const doneAt = await pollUntilComplete(async () => {
      const peers = JSON.parse(await cli('neighbor', '-j'));
      const peer = peers.find((p) => p.conf?.neighbor_address === GENERATOR) ?? peers[0];
      const afi = peer?.afi_safis?.find((a) => a.state?.family?.afi === 1) ?? peer?.afi_safis?.[0];
      return Number(afi?.state?.accepted ?? afi?.state?.received ?? 0);
    });
    return {
      receiver: 'gobgpd',
      seconds: (doneAt - established.at) / 1000,
      idleRss,
      peakRss: procStatus(gobgpd.pid, 'VmHWM'),
      stored: N,
    };
  } finally {
    await killPid(loadgen?.pid);
    await killPid(gobgpd?.pid);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchFrr() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-frr-'));
  let pid = 0;
  let loadgen = null;
  try {
    const frr = await startFrrBgpd({ dir, asn: RECEIVER_AS, address: ADDR.frr, port: PORT, generator: GENERATOR, generatorAs: GENERATOR_AS });
    pid = frr.pid;
    const { vtysh } = frr;
    const idleRss = procStatus(pid, 'VmRSS');
    const gen = startLoadgen(ADDR.frr);
    loadgen = gen.child;
    const established = await gen.next('established');
    const doneAt = await pollUntilComplete(async () => {
      const summary = JSON.parse(await vtysh('show bgp ipv4 unicast summary json'));
      return Number(summary.peers?.[GENERATOR]?.pfxRcd ?? 0);
    });
    return { receiver: 'frr', seconds: (doneAt - established.at) / 1000, idleRss, peakRss: procStatus(pid, 'VmHWM'), stored: N };
  } finally {
    await killPid(loadgen?.pid);
    await killPid(pid);
    rmSync(dir, { recursive: true, force: true });
  }
}

const benches = { bmpd: benchBmpd, gobgpd: benchGobgpd, frr: benchFrr };
const results = [];
console.log(`bgp-ingest: ${N} IPv4 /24s, ${args['per-update']} per UPDATE, from ${GENERATOR} (tools/bgp-loadgen)`);
for (const name of args.only.split(',')) {
  const bench = benches[name];
  if (!bench) throw new Error(`unknown receiver ${name}`);
  process.stdout.write(`  ${name} ...`);
  const runs = [];
  for (let i = 0; i < Number(args.runs); i++) {
    PORT++;
    const r = await bench();
    r.rate = r.stored / r.seconds;
    r.bytesPerPrefix = (r.peakRss - r.idleRss) / r.stored;
    runs.push(r);
    process.stdout.write(` ${Math.round(r.rate)}`);
  }
  runs.sort((a, b) => a.rate - b.rate);
  const median = runs[Math.floor(runs.length / 2)];
  median.runs = runs.map((r) => Math.round(r.rate));
  results.push(median);
  console.log(' prefixes/s');
}

const mib = (b) => (b / 1048576).toFixed(1);
const pad = (s, n) => String(s).padStart(n);
console.log('');
console.log(`${'receiver'.padEnd(10)}${pad('seconds', 9)}${pad('prefixes/s', 12)}${pad('idle MiB', 10)}${pad('peak MiB', 10)}${pad('B/prefix', 10)}`);
for (const r of results) {
  console.log(
    `${r.receiver.padEnd(10)}${pad(r.seconds.toFixed(2), 9)}${pad(Math.round(r.rate), 12)}${pad(mib(r.idleRss), 10)}${pad(mib(r.peakRss), 10)}${pad(r.bytesPerPrefix.toFixed(0), 10)}`,
  );
}
const bmpd = results.find((r) => r.receiver === 'bmpd');
if (bmpd) {
  console.log('');
  for (const other of results.filter((r) => r !== bmpd)) {
    console.log(
      `bmpd/${other.receiver}: ingest rate x${(bmpd.rate / other.rate).toFixed(2)}, bytes per prefix x${(bmpd.bytesPerPrefix / other.bytesPerPrefix).toFixed(2)}`,
    );
  }
  console.log(
    `goals: >= 1,000,000 prefixes/s: ${bmpd.rate >= 1e6 ? 'met' : 'NOT met'} (${Math.round(bmpd.rate)}); <= 150 bytes per prefix: ${bmpd.bytesPerPrefix <= 150 ? 'met' : 'NOT met'} (${bmpd.bytesPerPrefix.toFixed(0)})`,
  );
}
console.log(JSON.stringify({ bench: 'bgp-ingest', prefixes: N, results }));
