#!/usr/bin/env node
// BGP load generator: connects to a BGP speaker, brings a session to Established and sends a
// generated full table (IPv4 /24s with a realistic spread of path attributes) as fast as TCP
// takes it (many UPDATEs per socket write, see WRITE_BATCH_BYTES), then End-of-RIB, then keeps the session up with KEEPALIVEs until SIGTERM/SIGINT
// (or exits at once with --exit-after-eor). It advertises route-refresh and answers a ROUTE-REFRESH
// for IPv4 unicast as a router does (RFC 2918 §4): the whole table again, then End-of-RIB;
// --no-route-refresh leaves the capability out, so a receiver must keep what it was sent.
//
// Build first (`npx tsc -b`); the codec comes from dist/src/bgp/codec.
//
//   node tools/bgp-loadgen/loadgen.mjs --peer 127.0.0.x --port 179 --as 65010 \
//        [--local 127.0.0.y] [--router-id 192.0.2.10] [--prefixes 1000000] [--per-update 50] \
//        [--attr-sets 4000] [--first 10.0.0.0] [--hold 180] [--exit-after-eor] [--no-route-refresh] [--json]
//
// --json prints one JSON line per event: established, sent (the table and its End-of-RIB are
// written), refresh (a ROUTE-REFRESH arrived), refresh-sent (the table went out again).
//
// Route content only (nothing routes there): NEXT_HOP 198.51.100.x (RFC 5737), because GoBGP
// rejects 127/8 next hops. The first AS of every AS_PATH is --as, as eBGP receivers enforce.
import net from 'node:net';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { makeTable } from './table.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const codec = await import(path.join(root, 'dist/src/bgp/codec/index.js'));
const { AS_TRANS, BgpMessageReader, MessageType, decodeOpen, decodeNotification, decodeRouteRefresh, encodeEndOfRib, encodeKeepalive, encodeNotification, encodeOpen } = codec;

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
    'no-route-refresh': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
if (!args.peer || !args.as) {
  console.error('usage: loadgen.mjs --peer ADDR --port P --as ASN [--prefixes N] [--per-update N] [--local ADDR]');
  process.exit(2);
}
const localAs = Number(args.as);
const prefixCount = Number(args.prefixes);
const holdTime = Number(args.hold);

// ------------------------------------------------------------------ the table

const generatedAt = Date.now();
const { updates, bytes } = makeTable({
  prefixes: prefixCount,
  perUpdate: Number(args['per-update']),
  attrSets: Number(args['attr-sets']),
  first: args.first,
  localAs,
});
/**
 * The table as the socket writes it: UPDATEs joined into buffers of about this size. One write per
 * UPDATE capped the generator at 110k-140k prefixes/s with 1 prefix per UPDATE (a syscall and a
 * libuv request per 60-byte message), so that benchmark row measured the generator, not the receiver.
 * TCP sees the same byte stream; only the number of writes changes.
 */
const WRITE_BATCH_BYTES = 64 * 1024;
const writeBatches = [];
for (let i = 0; i < updates.length; ) {
  let size = 0;
  const start = i;
  while (i < updates.length && (i === start || size + updates[i].length <= WRITE_BATCH_BYTES)) size += updates[i++].length;
  writeBatches.push(i - start === 1 ? updates[start] : Buffer.concat(updates.slice(start, i), size));
}
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
        ...(args['no-route-refresh'] ? [] : [{ kind: 'route-refresh' }]),
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
          void sendTable('sent');
        }
        break;
      case MessageType.RouteRefresh: {
        const refresh = decodeRouteRefresh(frame.raw);
        if (args.json) console.log(JSON.stringify({ event: 'refresh', at: Date.now(), afi: refresh.afi, safi: refresh.safi }));
        // Only a request (subtype 0; RFC 7313's BoRR/EoRR are markers) for IPv4 unicast, the one
        // family we send, has anything to answer.
        if (!args['no-route-refresh'] && refresh.subtype === 0 && refresh.afi === 1 && refresh.safi === 1) void sendTable('refresh-sent');
        break;
      }
      case MessageType.Notification: {
        const n = decodeNotification(frame.raw);
        fail(`NOTIFICATION from peer: code ${n.code} subcode ${n.subcode}`);
        break;
      }
      default:
        break; // UPDATEs (End-of-RIB): nothing to do
    }
  }
});

/** One sending of the table at a time: a refresh that arrives meanwhile waits for the one under way. */
let sending = Promise.resolve();

function sendTable(event) {
  sending = sending.then(() => writeTable(event));
  return sending;
}

async function writeTable(event) {
  const started = process.hrtime.bigint();
  if (event === 'sent' && args.json) console.log(JSON.stringify({ event: 'established', at: Date.now() }));
  // Backpressure: after a write the kernel did not take, wait for 'drain' before the next batch.
  for (const batch of writeBatches) {
    if (!socket.write(batch)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  socket.write(encodeEndOfRib('ipv4-unicast'));
  await new Promise((resolve) => socket.write(Buffer.alloc(0), resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const result = { event, at: Date.now(), prefixes: prefixCount, updates: updates.length, bytes, seconds, prefixesPerSecond: Math.round(prefixCount / seconds) };
  if (args.json) console.log(JSON.stringify(result));
  else console.log(`loadgen: ${event === 'sent' ? 'sent' : 're-sent (ROUTE-REFRESH)'} ${prefixCount} prefixes in ${updates.length} UPDATEs + End-of-RIB in ${seconds.toFixed(2)} s: ${result.prefixesPerSecond} prefixes/s (written to the socket)`);
  if (event === 'sent' && args['exit-after-eor']) stop();
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
