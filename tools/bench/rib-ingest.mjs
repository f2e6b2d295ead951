#!/usr/bin/env node
// Adj-RIB-In ingest benchmark: stream reader + UPDATE decode + Adj-RIB-In insert
// of a synthetic full IPv4 table, and the memory the table holds.
//
//   npx tsc -b && node --expose-gc tools/bench/rib-ingest.mjs [prefixes] [prefixesPerUpdate] [attributeSets]
//
// Defaults: 1,000,000 /24s, 500 per UPDATE, 1,000 distinct attribute sets.
// Prints one JSON line so other scripts can collect it.
import { AdjRibIn } from '../../dist/src/bgp/adj-rib-in.js';
import { BgpMessageReader, decodeUpdate } from '../../dist/src/bgp/codec/index.js';
import { buffers } from '../../dist/src/bgp/testing/test-buffers.js';

const prefixCount = Number(process.argv[2] ?? 1_000_000);
const perUpdate = Number(process.argv[3] ?? 500);
const setCount = Number(process.argv[4] ?? 1_000);
const gc = globalThis.gc ?? (() => {});
if (!globalThis.gc) console.error('run with --expose-gc for meaningful memory figures');

function ipv4(n) {
  return `${(n >>> 24) & 0xff}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

// Full-table-like attribute sets: different AS paths, MEDs and communities.
function attributesFor(index) {
  return {
    origin: 'igp',
    asPath: [65010, 3356 + (index % 50), 1000 + index],
    nextHop: '192.0.2.1',
    med: index * 7,
    communities: [`65010:${index % 300}`, '65010:65535'],
  };
}

// Build the wire stream first (not measured): /24s from 1.0.0.0 upwards.
const messages = [];
for (let start = 0, update = 0; start < prefixCount; start += perUpdate, update++) {
  const nlri = [];
  for (let i = start; i < Math.min(prefixCount, start + perUpdate); i++) nlri.push(`${ipv4(0x01000000 + i * 256)}/24`);
  messages.push(buffers.update({ nlri, attrs: attributesFor(update % setCount) }));
}
messages.push(buffers.endOfRib('ipv4-unicast'));
// Cut into 64 KiB "TCP reads" so messages straddle reads as they do on a socket.
const stream = Buffer.concat(messages);
messages.length = 0;
const reads = [];
for (let offset = 0; offset < stream.length; offset += 65536) reads.push(stream.subarray(offset, offset + 65536));

gc();
gc();
const before = process.memoryUsage();
const rib = new AdjRibIn({ localAs: 65001, routerId: '192.0.2.254', fourOctetAs: true });
const reader = new BgpMessageReader();
const options = { fourOctetAs: true, ebgp: true };
const started = process.hrtime.bigint();
let updates = 0;
for (const read of reads) {
  for (const frame of reader.push(read)) {
    rib.apply(decodeUpdate(frame.raw, options));
    updates++;
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
reads.length = 0;
gc();
gc();
const after = process.memoryUsage();
const routes = rib.routeCount();
if (routes !== prefixCount) throw new Error(`expected ${prefixCount} routes, have ${routes}`);

const heapBytes = after.heapUsed - before.heapUsed;
const externalBytes = after.external + after.arrayBuffers - (before.external + before.arrayBuffers);
console.log(
  JSON.stringify({
    benchmark: 'rib-ingest',
    node: process.version,
    prefixes: routes,
    updates,
    attributeSets: rib.attributeSetCount,
    streamBytes: stream.length,
    seconds: Number(seconds.toFixed(3)),
    prefixesPerSecond: Math.round(routes / seconds),
    heapBytesPerPrefix: Number((heapBytes / routes).toFixed(1)),
    externalBytesPerPrefix: Number((externalBytes / routes).toFixed(1)),
    bytesPerPrefix: Number((Math.max(0, heapBytes + externalBytes) / routes).toFixed(1)),
    rssMiB: Math.round(after.rss / 2 ** 20),
  }),
);
