// A route reflector's workload shaped like today's Internet table, seeded and reproducible:
// every peer announces the same IPv4 and IPv6 prefixes, each with its own paths (some shared).
//
//   - IPv4 prefix lengths as in the DFZ (about 60 % /24, most others /16 to /23);
//   - IPv6 of mixed lengths (/48 most common, /32 to /44 next, some /29 to /64);
//   - prefixes grouped into UPDATEs of one attribute set each (mean --prefixes/--attr-sets per group,
//     geometric, as real speakers pack routes that share a path);
//   - attribute sets: AS_PATH of 1 to 10 ASNs (mean about 4) with prepends on about 15 %,
//     0 to 20 communities, large communities on about 10 %, MED on about 30 %, LOCAL_PREF (iBGP:
//     a route reflector's clients), ORIGIN mostly IGP;
//   - `shared` of each peer's groups carry the same path from every peer (a path reflected
//     twice), the rest a path of that peer's own.
//
// Needs `npx tsc -b` first: the encoder is bmpd's (dist/src/bgp/codec). Route content only, nothing
// routes there: IPv4 from 1.0.0.0 up, IPv6 in 2000::/4 (real prefixes' shape, not their owners'),
// next hops 198.51.100.x and 2001:db8::x (RFC 5737, RFC 3849).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from './prng.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { encodePathAttributes, encodeEndOfRib, encodeIpv4Announcement, encodeUpdateFromParts, encodeAttribute, writePrefix, AttributeTypeCode } =
  await import(path.join(root, 'dist/src/bgp/codec/index.js'));

/** Pick from [[value, weight], ...] with a uniform draw u in [0, 1). */
function weighted(table, u) {
  let total = 0;
  for (const [, w] of table) total += w;
  let x = u * total;
  for (const [value, w] of table) {
    if ((x -= w) < 0) return value;
  }
  return table[table.length - 1][0];
}

// Share of each length in the IPv4 DFZ (rounded from public table reports, 2024-2025).
const IPV4_LENGTHS = [[24, 60], [23, 8], [22, 10], [21, 5], [20, 5], [19, 3.5], [18, 2], [17, 1.5], [16, 3], [15, 0.5], [14, 0.5], [13, 0.3], [12, 0.2], [11, 0.1], [10, 0.1], [9, 0.1], [8, 0.2]];
const IPV6_LENGTHS = [[48, 50], [44, 10], [40, 7], [36, 4], [32, 17], [29, 3], [46, 3], [47, 2], [56, 2], [64, 2]];
// AS_PATH length before prepending: mean about 3.9.
const PATH_LENGTHS = [[1, 5], [2, 15], [3, 25], [4, 25], [5, 15], [6, 8], [7, 4], [8, 2], [9, 0.5], [10, 0.5]];

/**
 * Distinct prefixes, in a shuffled order shared by every peer. IPv4 as lengths + addresses
 * (Uint8Array, Uint32Array), IPv6 as lengths + 16 octets each.
 */
function makePrefixes(random, ipv4Count, ipv6Count) {
  const ipv4 = { lengths: new Uint8Array(ipv4Count), addresses: new Uint32Array(ipv4Count) };
  const seen = new Set();
  for (let i = 0; i < ipv4Count; ) {
    const length = weighted(IPV4_LENGTHS, random());
    // 1.0.0.0 to 223.255.255.255, host bits clear.
    const address = ((0x01000000 + Math.floor(random() * 0xde000000)) & (0xffffffff << (32 - length))) >>> 0;
    const key = address * 64 + length;
    if (seen.has(key)) continue;
    seen.add(key);
    ipv4.lengths[i] = length;
    ipv4.addresses[i++] = address;
  }
  seen.clear();
  const ipv6 = { lengths: new Uint8Array(ipv6Count), addresses: Buffer.alloc(16 * ipv6Count) };
  for (let i = 0; i < ipv6Count; ) {
    const length = weighted(IPV6_LENGTHS, random());
    // 2000::/4 then random bits, host bits clear (every length here is ≤ /64: two words).
    const high = (0x20000000 | Math.floor(random() * 0x10000000)) >>> 0;
    const low = Math.floor(random() * 0x100000000) >>> 0;
    const h = length >= 32 ? high : (high & (0xffffffff << (32 - length))) >>> 0;
    const l = length >= 64 ? low : length <= 32 ? 0 : (low & (0xffffffff << (64 - length))) >>> 0;
    const key = `${h}:${l}/${length}`;
    if (seen.has(key)) continue;
    seen.add(key);
    ipv6.lengths[i] = length;
    ipv6.addresses.writeUInt32BE(h, 16 * i);
    ipv6.addresses.writeUInt32BE(l, 16 * i + 4);
    i++;
  }
  return { ipv4, ipv6 };
}

/** Cut `count` prefixes into groups with geometric sizes of mean `mean`: the starts, plus count at the end. */
function makeGroups(random, count, mean) {
  const starts = [0];
  const p = 1 / Math.max(1, mean);
  for (let i = 1; i < count; i++) if (random() < p) starts.push(i);
  starts.push(count);
  return Uint32Array.from(starts);
}

/** One attribute set as codec attribute objects, drawn from `random`. */
function makeAttributes(random, family, nextHopIndex) {
  const hops = weighted(PATH_LENGTHS, random());
  const asns = [];
  for (let h = 0; h < hops; h++) {
    // Transit near the front, edge at the end: 2-octet transit, 2- and 4-octet origins.
    const asn = h < hops - 1 ? 64512 + Math.floor(random() * 400) : random() < 0.3 ? 4200000000 + Math.floor(random() * 100000) : 1 + Math.floor(random() * 64000);
    asns.push(asn);
  }
  if (random() < 0.15) {
    const extra = 1 + Math.floor(random() * 3);
    for (let e = 0; e < extra && asns.length < 10; e++) asns.push(asns[asns.length - 1]);
  }
  const attributes = [
    { kind: 'origin', flags: 0x40, origin: weighted([[0, 90], [2, 8], [1, 2]], random()) },
    { kind: 'as-path', flags: 0x40, segments: [{ type: 2, asns }] },
  ];
  if (family === 'ipv4-unicast') attributes.push({ kind: 'next-hop', flags: 0x40, nextHop: `198.51.100.${1 + nextHopIndex}` });
  if (random() < 0.3) attributes.push({ kind: 'multi-exit-disc', flags: 0x80, med: Math.floor(random() * 5000) });
  attributes.push({ kind: 'local-pref', flags: 0x40, localPref: random() < 0.8 ? 100 : 50 + Math.floor(random() * 200) });
  const communityCount = random() < 0.3 ? 0 : 1 + Math.floor(random() * random() * 20);
  if (communityCount > 0) {
    const communities = new Set();
    while (communities.size < communityCount) communities.add(((((asns[0] & 0xffff) << 16) | Math.floor(random() * 4000)) >>> 0));
    attributes.push({ kind: 'communities', flags: 0xc0, communities: [...communities].sort((a, b) => a - b) });
  }
  if (random() < 0.1) {
    const count = 1 + Math.floor(random() * 3);
    const communities = [];
    for (let c = 0; c < count; c++) communities.push({ globalAdministrator: asns[asns.length - 1], localData1: Math.floor(random() * 1000), localData2: Math.floor(random() * 1000) });
    attributes.push({ kind: 'large-communities', flags: 0xc0, communities });
  }
  return attributes;
}

/** The workload's command-line options (node:util parseArgs), the same in every tool that builds one. */
export const WORKLOAD_OPTIONS = {
  seed: { type: 'string', default: '1' },
  ipv4: { type: 'string', default: '1000000' },
  ipv6: { type: 'string', default: '220000' },
  'attr-sets': { type: 'string', default: '300000' },
  shared: { type: 'string', default: '0.2' },
};

/** The workload parsed WORKLOAD_OPTIONS describe, for `peers` peers. */
export function workloadFromArgs(args, peers) {
  return dfzWorkload({ seed: Number(args.seed), peers, ipv4: Number(args.ipv4), ipv6: Number(args.ipv6), attrSets: Number(args['attr-sets']), shared: Number(args.shared) });
}

/**
 * The workload: `peers` peers, each announcing `ipv4` IPv4 and `ipv6` IPv6 prefixes with about
 * `attrSets` distinct attribute sets, of which `shared` (0..1) are the same for every peer.
 */
export function dfzWorkload({ seed = 1, peers = 1, ipv4 = 1_000_000, ipv6 = 220_000, attrSets = 300_000, shared = 0.2 } = {}) {
  const random = prng(seed);
  const prefixes = makePrefixes(random, ipv4, ipv6);
  const mean = (ipv4 + ipv6) / Math.max(1, attrSets);
  const groups = { ipv4: makeGroups(random, ipv4, mean), ipv6: makeGroups(random, ipv6, mean) };
  return { seed, peers, shared, prefixes, groups, paths: (ipv4 + ipv6) * peers };
}

/**
 * The UPDATEs peer `peer` (0-based) sends, IPv4 then IPv6, each family ended by End-of-RIB
 * (RFC 4724), as wire messages. `fourOctetAs` as negotiated (RFC 6793: AS4 only; a 2-octet
 * session is not what a route reflector's clients speak).
 */
export function* peerUpdates(workload, peer) {
  const { prefixes, groups, shared, seed } = workload;
  for (const family of ['ipv4-unicast', 'ipv6-unicast']) {
    const starts = family === 'ipv4-unicast' ? groups.ipv4 : groups.ipv6;
    for (let g = 0; g + 1 < starts.length; g++) {
      // A shared group's path depends on the group alone; a peer's own on the peer too.
      const mix = Math.imul(g + 1, 0x9e3779b1) ^ seed ^ (family === 'ipv4-unicast' ? 0 : 0x5bd1e995);
      const isShared = prng(mix)() < shared;
      const random = prng(isShared ? mix : mix ^ Math.imul(peer + 1, 0x85ebca6b));
      const attributes = encodePathAttributes(makeAttributes(random, family, isShared ? 0 : 1 + (peer % 250)), true);
      const start = starts[g];
      const end = starts[g + 1];
      if (family === 'ipv4-unicast') {
        // A group fits one UPDATE unless it is huge: split at 500 prefixes (≤ 2.5 KB of NLRI).
        for (let s = start; s < end; s += 500) yield encodeIpv4Announcement(attributes, prefixes.ipv4.lengths, prefixes.ipv4.addresses, s, Math.min(end, s + 500));
      } else {
        for (let s = start; s < end; s += 500) yield ipv6Announcement(attributes, prefixes.ipv6, s, Math.min(end, s + 500), isShared ? 0 : 1 + (peer % 250));
      }
    }
    yield encodeEndOfRib(family);
  }
}

function ipv6Announcement(attributes, ipv6, start, end, nextHopIndex) {
  const nextHop = Buffer.alloc(16);
  nextHop.writeUInt32BE(0x20010db8, 0);
  nextHop.writeUInt16BE(nextHopIndex + 1, 14);
  let nlriLength = 0;
  for (let i = start; i < end; i++) nlriLength += 1 + ((ipv6.lengths[i] + 7) >>> 3);
  const value = Buffer.alloc(5 + 16 + nlriLength);
  value.writeUInt16BE(2, 0);
  value[2] = 1;
  value[3] = 16;
  nextHop.copy(value, 4);
  let offset = 21;
  for (let i = start; i < end; i++) {
    offset = writePrefix(value, offset, { family: 'ipv6-unicast', length: ipv6.lengths[i], address: ipv6.addresses.subarray(16 * i, 16 * i + 16) });
  }
  // RFC 7606 §5.1: MP_REACH_NLRI first.
  const mp = encodeAttribute(AttributeTypeCode.MpReachNlri, 0x80 | 0x10, value);
  return encodeUpdateFromParts([], Buffer.concat([mp, attributes]), []);
}

/** All of a peer's UPDATEs in one Buffer (encode before the clock starts). */
export function peerStream(workload, peer) {
  return Buffer.concat([...peerUpdates(workload, peer)]);
}
