#!/usr/bin/env node
// The longest single add to an attribute set pool (src/bgp/attribute-set-pool.ts) while it grows
// to --sets distinct sets of --octets octets each: the stall a new set can cause the data-plane
// thread when the pool's storage grows (16 full-table neighbors hold about 4 M sets).
//
//   npx tsc -b && node tools/bench/attribute-set-growth.mjs [--sets 4000000] [--octets 100]
//
// Prints one JSON line: every add of 20 ms or more (which set, how long), the longest, the total.
import { parseArgs } from 'node:util';
import { AttributeSetPool } from '../../dist/src/bgp/attribute-set-pool.js';

const { values: args } = parseArgs({ options: { sets: { type: 'string', default: '4000000' }, octets: { type: 'string', default: '100' } } });
const pool = new AttributeSetPool({ localAs: 65001, routerId: '192.0.2.254', fourOctetAs: true });
const attributes = Buffer.alloc(Number(args.octets), 7);
const none = Buffer.alloc(0);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const slow = [];
const started = now();
for (let i = 0; i < Number(args.sets); i++) {
  // Distinct octets per set (not valid attributes: the pool stores octets; only loop flags read them).
  attributes.writeUInt32BE(i, 10);
  attributes.writeUInt32BE(Math.imul(i, 7) >>> 0, 50);
  const before = now();
  pool.intern('ipv4-unicast', attributes, none);
  const ms = now() - before;
  if (ms >= 20) slow.push({ set: i, ms: Math.round(ms) });
}
console.log(JSON.stringify({
  benchmark: 'attribute-set-growth', node: process.version, sets: pool.size, octets: Number(args.octets),
  longestAddMs: Math.max(0, ...slow.map((s) => s.ms)), addsOver20Ms: slow, totalMs: Math.round(now() - started),
}));
