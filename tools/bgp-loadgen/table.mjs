// The load generator's table, shared by the generator (which sends it) and the benchmark
// collectors (which check what arrived against it): IPv4 /24s from --first upwards, --per-update
// prefixes per UPDATE, each UPDATE carrying one of --attr-sets attribute sets shaped like a real
// table. Deterministic, so every receiver in a benchmark gets, and is checked against, the same.
//
// Needs `npx tsc -b` first: the encoder is bmpd's (dist/src/bgp/codec).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from './prng.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { encodePathAttributes, encodeUpdateFromParts, parseIpv4 } = await import(path.join(root, 'dist/src/bgp/codec/index.js'));

/**
 * The attribute content of one set, as plain values (what a collector compares): AS_PATH of
 * 1..8 hops (short paths most common) starting with the generator's AS, drawn from a pool of
 * transit and edge ASes, 0..4 communities, a MED on about a third of them. NEXT_HOP is
 * 198.51.100.x (RFC 5737; GoBGP rejects 127/8 next hops).
 */
function makeAttributeSets(count, localAs) {
  const random = prng(0x5eed);
  const transit = Array.from({ length: 60 }, (_, i) => 64512 + i);
  const edge = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? 4200000000 + i : 1000 + i * 7));
  const lengths = [1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6, 7, 8];
  const sets = [];
  for (let s = 0; s < count; s++) {
    const hops = lengths[Math.floor(random() * lengths.length)];
    const asns = [localAs];
    for (let h = 1; h < hops - 1; h++) asns.push(transit[Math.floor(random() * transit.length)]);
    if (hops > 1) asns.push(edge[Math.floor(random() * edge.length)]);
    const set = { origin: random() < 0.9 ? 0 : 2, asns, nextHop: `198.51.100.${1 + (s % 250)}`, med: null, communities: [] };
    if (random() < 0.35) set.med = Math.floor(random() * 1000);
    const communityCount = Math.floor(random() * 5);
    for (let c = 0; c < communityCount; c++) set.communities.push((((localAs & 0xffff) << 16) | Math.floor(random() * 1000)) >>> 0);
    sets.push(set);
  }
  return sets;
}

function encodeSet(set) {
  const attributes = [
    { kind: 'origin', flags: 0x40, origin: set.origin },
    { kind: 'as-path', flags: 0x40, segments: [{ type: 2, asns: set.asns }] },
    { kind: 'next-hop', flags: 0x40, nextHop: set.nextHop },
  ];
  if (set.med !== null) attributes.push({ kind: 'multi-exit-disc', flags: 0x80, med: set.med });
  if (set.communities.length) attributes.push({ kind: 'communities', flags: 0xc0, communities: set.communities });
  return encodePathAttributes(attributes, true);
}

/**
 * The table's shape and content without its messages: what a collector needs to check a prefix.
 * @param {{ prefixes: number, perUpdate: number, attrSets: number, first?: string, localAs: number }} feed
 */
export function tableShape({ prefixes, perUpdate, attrSets, first = '10.0.0.0', localAs }) {
  const sets = makeAttributeSets(Math.max(1, attrSets), localAs);
  const firstAddress = parseIpv4(first);
  const per = Math.max(1, perUpdate);
  // Spread the attribute sets over the table (a multiplicative hash), not in blocks.
  const setOfChunk = (chunk) => sets[(chunk * 2654435761) % sets.length];
  return {
    prefixes,
    perUpdate: per,
    sets,
    firstAddress,
    setOfChunk,
    /** Index of a /24 in the table, or -1 when the prefix is not one of ours. `address` may be text. */
    indexOf(address, length) {
      if (typeof address === 'string') address = parseIpv4(address);
      const index = ((address - firstAddress) >>> 0) / 256;
      return length === 24 && Number.isInteger(index) && index < prefixes ? index : -1;
    },
    /** The attribute set prefix `index` is sent with. */
    expected(index) {
      return setOfChunk(Math.floor(index / per));
    },
  };
}

/** The whole table as UPDATE messages, generated before a session starts so generation never limits the rate. */
export function makeTable(feed) {
  const shape = tableShape(feed);
  const encoded = new Map();
  const updates = [];
  for (let start = 0, chunk = 0; start < shape.prefixes; start += shape.perUpdate, chunk++) {
    const nlri = [];
    for (let i = start; i < Math.min(shape.prefixes, start + shape.perUpdate); i++) {
      nlri.push({ family: 'ipv4-unicast', length: 24, address: (shape.firstAddress + i * 256) >>> 0 });
    }
    const set = shape.setOfChunk(chunk);
    let attributes = encoded.get(set);
    if (!attributes) encoded.set(set, (attributes = encodeSet(set)));
    updates.push(encodeUpdateFromParts([], attributes, nlri));
  }
  return { ...shape, updates, bytes: updates.reduce((n, u) => n + u.length, 0) };
}
