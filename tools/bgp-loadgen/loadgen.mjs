#!/usr/bin/env node
// BGP load generator: connects to a BGP speaker, brings a session to Established and sends a
// generated full table (IPv4 /24s with a realistic spread of path attributes) as fast as TCP
// takes it, then End-of-RIB, then keeps the session up with KEEPALIVEs until SIGTERM/SIGINT
// (or exits at once with --exit-after-eor).
//
// Build first (`npx tsc -b`); the codec comes from dist/src/bgp/codec.
//
//   node tools/bgp-loadgen/loadgen.mjs --peer 127.0.0.x --port 179 --as 65010 \
//        [--local 127.0.0.y] [--router-id 192.0.2.10] [--prefixes 1000000] [--per-update 50] \
//        [--attr-sets 4000] [--first 10.0.0.0] [--hold 180] [--exit-after-eor] [--json]
//
// Route content only (nothing routes there): NEXT_HOP 198.51.100.x (RFC 5737), because GoBGP
// rejects 127/8 next hops. The first AS of every AS_PATH is --as, as eBGP receivers enforce.
import net from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const codec = await import(path.join(root, 'dist/src/bgp/codec/index.js'));
const {
  AS_TRANS,
  BgpMessageReader,
  MessageType,
  decodeOpen,
  decodeNotification,
  encodeEndOfRib,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  encodePathAttributes,
  encodeUpdateFromParts,
} = codec;

const { values: args } = parseArgs({
  options: {
    peer: { type: 'string' },
    port: { type: 'string', default: '179' },
    as: { type: 'string' },
    local: { type: 'string' },
    'router-id': { type: 'string', default: '192.0.2.10' },
    prefixes: { type: 'string', default: '1000000' },
    'per-update': { type: 'string', default: '50' },
    'attr-sets': { type: 'string', default: '4000' },
    first: { type: 'string', default: '10.0.0.0' },
    hold: { type: 'string', default: '180' },
    'exit-after-eor': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
if (!args.peer || !args.as) {
  console.error('usage: loadgen.mjs --peer ADDR --port P --as ASN [--prefixes N] [--per-update N] [--local ADDR]');
  process.exit(2);
}
const localAs = Number(args.as);
const prefixCount = Number(args.prefixes);
const perUpdate = Math.max(1, Number(args['per-update']));
const attrSetCount = Math.max(1, Number(args['attr-sets']));
const holdTime = Number(args.hold);

// ------------------------------------------------------------------ the table

/** Deterministic PRNG (mulberry32) so every run, and every receiver in a bench, gets the same table. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Attribute sets shaped like a real table: AS_PATH of 1..8 hops (short paths most common) drawn
 * from a pool of transit and edge ASes, 0..4 communities, a MED on about a third of them.
 */
function makeAttributeSets() {
  const random = prng(0x5eed);
  const transit = Array.from({ length: 60 }, (_, i) => 64512 + i);
  const edge = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? 4200000000 + i : 1000 + i * 7));
  const lengths = [1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6, 7, 8];
  const sets = [];
  for (let s = 0; s < attrSetCount; s++) {
    const hops = lengths[Math.floor(random() * lengths.length)];
    const asns = [localAs];
    for (let h = 1; h < hops - 1; h++) asns.push(transit[Math.floor(random() * transit.length)]);
    if (hops > 1) asns.push(edge[Math.floor(random() * edge.length)]);
    const attributes = [
      { kind: 'origin', flags: 0x40, origin: random() < 0.9 ? 0 : 2 },
      { kind: 'as-path', flags: 0x40, segments: [{ type: 2, asns }] },
      { kind: 'next-hop', flags: 0x40, nextHop: `198.51.100.${1 + (s % 250)}` },
    ];
    if (random() < 0.35) attributes.push({ kind: 'multi-exit-disc', flags: 0x80, med: Math.floor(random() * 1000) });
    const communityCount = Math.floor(random() * 5);
    if (communityCount > 0) {
      const communities = [];
      for (let c = 0; c < communityCount; c++) communities.push(((localAs & 0xffff) << 16) | Math.floor(random() * 1000));
      attributes.push({ kind: 'communities', flags: 0xc0, communities });
    }
    sets.push(encodePathAttributes(attributes, true));
  }
  return sets;
}

function parseIpv4(text) {
  return text.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) >>> 0;
}

/** All UPDATE messages, generated before the session starts so generation never limits the rate. */
function makeUpdates() {
  const sets = makeAttributeSets();
  const first = parseIpv4(args.first);
  const updates = [];
  for (let start = 0, chunk = 0; start < prefixCount; start += perUpdate, chunk++) {
    const nlri = [];
    for (let i = start; i < Math.min(prefixCount, start + perUpdate); i++) {
      nlri.push({ family: 'ipv4-unicast', length: 24, address: (first + i * 256) >>> 0 });
    }
    // Spread the attribute sets over the table (a multiplicative hash), not in blocks.
    const set = sets[(chunk * 2654435761) % sets.length >>> 0] ?? sets[chunk % sets.length];
    updates.push(encodeUpdateFromParts([], set, nlri));
  }
  return updates;
}

const generatedAt = Date.now();
const updates = makeUpdates();
const bytes = updates.reduce((n, u) => n + u.length, 0);
if (!args.json) {
  console.error(`loadgen: ${prefixCount} prefixes in ${updates.length} UPDATEs (${(bytes / 1e6).toFixed(1)} MB), generated in ${Date.now() - generatedAt} ms`);
}

// ------------------------------------------------------------------ the session

const socket = net.connect({ host: args.peer, port: Number(args.port), ...(args.local ? { localAddress: args.local } : {}) });
socket.setNoDelay(true);
const reader = new BgpMessageReader();
let established = false;
let keepaliveTimer = null;

function fail(message) {
  console.error(`loadgen: ${message}`);
  process.exit(1);
}

socket.on('error', (err) => fail(`socket: ${err.message}`));
socket.on('close', () => {
  if (!stopping) fail('peer closed the connection');
});
socket.on('connect', () => {
  socket.write(
    encodeOpen({
      version: 4,
      myAs: localAs > 0xffff ? AS_TRANS : localAs,
      holdTime,
      bgpIdentifier: args['router-id'],
      capabilities: [
        { kind: 'multiprotocol', afi: 1, safi: 1 },
        { kind: 'route-refresh' },
        { kind: 'four-octet-as', asn: localAs },
      ],
    }),
  );
});

socket.on('data', (chunk) => {
  for (const frame of reader.push(chunk)) {
    switch (frame.type) {
      case MessageType.Open: {
        const open = decodeOpen(frame.raw);
        const hold = Math.min(holdTime, open.holdTime);
        socket.write(encodeKeepalive());
        if (hold > 0) keepaliveTimer = setInterval(() => socket.write(encodeKeepalive()), (hold / 3) * 1000);
        break;
      }
      case MessageType.Keepalive:
        if (!established) {
          established = true;
          void blast();
        }
        break;
      case MessageType.Notification: {
        const n = decodeNotification(frame.raw);
        fail(`NOTIFICATION from peer: code ${n.code} subcode ${n.subcode}`);
        break;
      }
      default:
        break; // UPDATEs (End-of-RIB) and ROUTE-REFRESH: nothing to do
    }
  }
});

async function blast() {
  const started = process.hrtime.bigint();
  if (args.json) console.log(JSON.stringify({ event: 'established', at: Date.now() }));
  for (const update of updates) {
    if (!socket.write(update)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  socket.write(encodeEndOfRib('ipv4-unicast'));
  await new Promise((resolve) => socket.write(Buffer.alloc(0), resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const result = { event: 'sent', at: Date.now(), prefixes: prefixCount, updates: updates.length, bytes, seconds, prefixesPerSecond: Math.round(prefixCount / seconds) };
  if (args.json) console.log(JSON.stringify(result));
  else console.log(`loadgen: sent ${prefixCount} prefixes in ${updates.length} UPDATEs + End-of-RIB in ${seconds.toFixed(2)} s: ${result.prefixesPerSecond} prefixes/s (written to the socket)`);
  if (args['exit-after-eor']) stop();
}

let stopping = false;
function stop() {
  stopping = true;
  if (keepaliveTimer) clearInterval(keepaliveTimer);
  // Cease / Administrative Shutdown (RFC 4486)
  const notification = encodeNotification({ code: 6, subcode: 2, data: Buffer.alloc(0) });
  socket.end(notification, () => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
