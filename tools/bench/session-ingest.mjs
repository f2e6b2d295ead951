#!/usr/bin/env node
// BGP session ingest in one process: bmpd's speaker (dist/src/bgp/speaker.js: socket reads, the
// receive turns, the FSM, UPDATE decoding, the Adj-RIB-In and the 'update' event the BMP engine
// listens to) with one passive iBGP neighbor, fed a real-shaped full table by the load generator
// (tools/bgp-loadgen/dfz-peers.mjs, a process of its own). No BMP engine, no NETCONF: what one
// received UPDATE costs the data-plane thread before it is exported. Loopback: the speaker on
// 127.0.26.100, the generator from 127.0.26.1.
//
//   npx tsc -b && node tools/bench/session-ingest.mjs [--runs 3] [--ipv4 1000000] [--ipv6 220000]
//        [--attr-sets 300000] [--seed 1]
//
// Per run, from the neighbor's Established to the last path announced: paths/s, this process's
// CPU time per UPDATE (user + system, µs: less at the mercy of other processes on a shared machine
// than the rate) and its garbage collections (minor count per 1,000 UPDATEs, ms by kind). One
// JSON line per run, then the medians.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WORKLOAD_OPTIONS } from '../bgp-loadgen/dfz-workload.mjs';
import { killPid } from './processes.mjs';
import { median } from './stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { BgpSpeaker } = await import(path.join(root, 'dist/src/bgp/speaker.js'));

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '3' }, ...WORKLOAD_OPTIONS } });
const LISTEN = '127.0.26.100';
/** dfz-peers.mjs's peer 0 connects from --local-prefix + 1. */
const LOCAL_PREFIX = '127.0.26.';
const NEIGHBOR = `${LOCAL_PREFIX}1`;
const ASN = 65001;
const paths = Number(args.ipv4) + Number(args.ipv6);

const GC_KINDS = { [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental' };

async function run() {
  const speaker = new BgpSpeaker({
    asNumber: ASN,
    routerId: '192.0.2.254',
    listen: { addresses: [LISTEN], port: 0 },
    neighbors: [{
      address: NEIGHBOR, remoteAs: ASN, description: 'dfz peer 0', updateSource: null, password: null, passive: true,
      timers: { keepalive: 0, holdTime: 180 }, shutdown: false, addressFamilies: ['ipv4-unicast', 'ipv6-unicast'], vrf: null,
    }],
  });
  await speaker.start();
  const port = speaker.listenAddresses()[0].port;
  const generator = spawn(process.execPath, [
    path.join(root, 'tools/bgp-loadgen/dfz-peers.mjs'), '--peer', LISTEN, '--port', String(port), '--first', '0', '--count', '1', '--peers', '1',
    '--local-prefix', LOCAL_PREFIX, '--as', String(ASN), '--seed', args.seed, '--ipv4', args.ipv4, '--ipv6', args.ipv6,
    '--attr-sets', args['attr-sets'], '--shared', args.shared,
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  createInterface({ input: generator.stdout }).on('line', () => {});
  const gc = {};
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS[entry.detail?.kind] ?? 'other';
      const tally = (gc[kind] ??= { count: 0, ms: 0 });
      tally.count++;
      tally.ms += entry.duration;
    }
  });
  try {
    const result = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no full table within 300 s')), 300_000);
      generator.on('exit', (code) => reject(new Error(`generator exited ${code}`)));
      let started = null;
      let cpu = null;
      let announced = 0;
      let updates = 0;
      speaker.on('established', () => {
        started = process.hrtime.bigint();
        cpu = process.cpuUsage();
        observer.observe({ entryTypes: ['gc'] });
      });
      speaker.on('update', (event) => {
        updates++;
        announced += event.summary.announced;
        if (announced < paths) return;
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const used = process.cpuUsage(cpu);
        clearTimeout(timer);
        resolve({ seconds, cpuMs: (used.user + used.system) / 1000, updates });
      });
    });
    observer.disconnect();
    const round = (n) => Math.round(n * 10) / 10;
    return {
      benchmark: 'session-ingest',
      node: process.version,
      paths,
      updates: result.updates,
      seconds: round(result.seconds),
      pathsPerSecond: Math.round(paths / result.seconds),
      cpuMicrosecondsPerUpdate: round((result.cpuMs * 1000) / result.updates),
      minorGcPerThousandUpdates: round(((gc.minor?.count ?? 0) * 1000) / result.updates),
      gcMs: Object.fromEntries(Object.entries(gc).map(([kind, t]) => [kind, Math.round(t.ms)])),
    };
  } finally {
    await killPid(generator.pid);
    await speaker.stop();
  }
}

const results = [];
for (let i = 0; i < Number(args.runs); i++) {
  const result = await run();
  console.log(JSON.stringify(result));
  results.push(result);
}
const of = (field) => median(results.map((r) => r[field]));
console.log(JSON.stringify({
  benchmark: 'session-ingest', summary: 'median', runs: results.length, pathsPerSecond: of('pathsPerSecond'),
  cpuMicrosecondsPerUpdate: of('cpuMicrosecondsPerUpdate'), minorGcPerThousandUpdates: of('minorGcPerThousandUpdates'),
}));
process.exit(0);
