#!/usr/bin/env node
// Adj-RIB-In memory per path on a route reflector's workload (tools/bgp-loadgen/dfz-workload.mjs):
// N neighbors' Adj-RIBs-In sharing one attribute set pool, as the speaker builds them, each fed
// the full real-shaped table (stream reader + UPDATE decode + insert), then the bytes per path
// the tables hold and how that changes as neighbors are added.
//
//   npx tsc -b && node --expose-gc tools/bench/rib-memory.mjs [--peers 1,4] [--ipv4 1000000]
//        [--ipv6 220000] [--attr-sets 300000] [--shared 0.2] [--seed 1]
//
// Prints one JSON line per neighbor count, with how long each neighbor's clear() took (its
// session going down: the last clear drops every set, the earlier ones mostly references to sets
// other neighbors still hold), in wall and process CPU time, and the longest 64 KiB read of the
// ingest (a route table's or the pool's growth steps show there: the data-plane thread is held
// that long). Memory is the V8 heap plus external and ArrayBuffer
// memory after full collections, minus the same before the first table (the generator's encoded
// streams are built first and kept out of the figure by being measured in the baseline).
import { parseArgs } from 'node:util';
import { AdjRibIn } from '../../dist/src/bgp/adj-rib-in.js';
import { AttributeSetPool } from '../../dist/src/bgp/attribute-set-pool.js';
import { BgpMessageReader, decodeUpdate } from '../../dist/src/bgp/codec/index.js';
import { peerStream, WORKLOAD_OPTIONS, workloadFromArgs } from '../bgp-loadgen/dfz-workload.mjs';

const { values: args } = parseArgs({
  options: {
    peers: { type: 'string', default: '1,4' },
    ...WORKLOAD_OPTIONS,
  },
});
const gc = globalThis.gc;
if (!gc) {
  console.error('run with node --expose-gc: the memory figures need full collections');
  process.exit(2);
}
const counts = args.peers.split(',').map(Number);
const maxPeers = Math.max(...counts);
const workload = workloadFromArgs(args, maxPeers);

function settled() {
  gc();
  gc();
  const m = process.memoryUsage();
  return { total: m.heapUsed + m.external + m.arrayBuffers, rss: m.rss };
}

/** Each neighbor's session going down in turn, timed: ms per clear(), wall and process CPU. */
function clearAll(ribs, pool) {
  const ms = [];
  const cpuMs = [];
  for (const rib of ribs) {
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    rib.clear();
    const used = process.cpuUsage(cpu);
    ms.push(Number((Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)));
    cpuMs.push(Number(((used.user + used.system) / 1000).toFixed(1)));
  }
  if (pool.size !== 0) throw new Error(`${pool.size} attribute sets left after every neighbor's clear()`);
  return { ms, cpuMs };
}

for (const peers of counts) {
  // One stream at a time, made before the clock starts and dropped after: the figure is the RIBs'.
  const pool = new AttributeSetPool({ localAs: 65001, routerId: '192.0.2.254', fourOctetAs: true });
  const ribs = [];
  let seconds = 0;
  let streamBytes = 0;
  let longestReadMs = 0;
  let before = settled();
  for (let peer = 0; peer < peers; peer++) {
    let stream = peerStream(workload, peer);
    streamBytes += stream.length;
    const streamSize = stream.length;
    if (peer === 0) before = settled();
    const rib = new AdjRibIn({ localAs: 65001, routerId: '192.0.2.254', fourOctetAs: true, families: ['ipv4-unicast', 'ipv6-unicast'], attributeSets: pool });
    const reader = new BgpMessageReader();
    const options = { fourOctetAs: true, ebgp: false };
    const started = process.hrtime.bigint();
    // 64 KiB "TCP reads", as a socket delivers them.
    for (let offset = 0; offset < stream.length; offset += 65536) {
      const read = performance.now();
      for (const frame of reader.push(stream.subarray(offset, offset + 65536))) rib.apply(decodeUpdate(frame.raw, options, pool));
      longestReadMs = Math.max(longestReadMs, performance.now() - read);
    }
    seconds += Number(process.hrtime.bigint() - started) / 1e9;
    ribs.push(rib);
    stream = null;
    // Peer 0's stream is in `before`; take it out again once it is gone.
    if (peer === 0) before.total -= streamSize;
  }
  const after = settled();
  const paths = ribs.reduce((n, rib) => n + rib.routeCount(), 0);
  const expected = peers * (Number(args.ipv4) + Number(args.ipv6));
  if (paths !== expected) throw new Error(`expected ${expected} paths, have ${paths}`);
  const bytes = after.total - before.total;
  const clears = clearAll(ribs, pool);
  console.log(
    JSON.stringify({
      benchmark: 'rib-memory',
      node: process.version,
      peers,
      paths,
      attributeSets: pool.size,
      streamMiB: Math.round(streamBytes / 2 ** 20),
      ingestPathsPerSecond: Math.round(paths / seconds),
      routeTableBytesPerPath: Number((ribs.reduce((n, rib) => n + rib.routeTableBytes, 0) / paths).toFixed(1)),
      bytesPerPath: Number((bytes / paths).toFixed(1)),
      rssMiB: Math.round(after.rss / 2 ** 20),
      longestReadMs: Number(longestReadMs.toFixed(1)),
      clearMs: clears.ms,
      clearCpuMs: clears.cpuMs,
    }),
  );
  ribs.length = 0;
}
