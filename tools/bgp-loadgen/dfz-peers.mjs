#!/usr/bin/env node
// Route reflector clients for the scale benchmark: peers --first .. --first+--count-1 of a
// dfz-workload (tools/bgp-loadgen/dfz-workload.mjs), each from its own loopback address
// (--local-prefix + (peer + 1)), iBGP in AS --as, IPv4 and IPv6 unicast. Every peer's UPDATEs
// are encoded before the first connects; once Established it writes them as fast as TCP takes them,
// End-of-RIB per family, then keeps the session up with KEEPALIVEs until SIGTERM; a connection
// that fails or closes is tried again a second later. With
// --route-refresh it advertises ROUTE-REFRESH (RFC 2918) and answers each request with its
// table again; without, a BMP station that joins later gets the receiver's Adj-RIB-In replay.
// Several processes can load one receiver at once (split the peers with --first/--count).
//
//   node tools/bgp-loadgen/dfz-peers.mjs --peer ADDR [--port 179] --first 0 --count 4
//        [--local-prefix 127.0.1.] [--as 65001] [--seed 1] [--ipv4 N] [--ipv6 N] [--attr-sets N]
//        [--shared 0.2] [--route-refresh]
//
// Prints JSON lines: {peer, event: 'encoded'|'established'|'sent'|'refresh'|'down', t (ms, Date.now()), ...}.
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { peerStream, WORKLOAD_OPTIONS, workloadFromArgs } from './dfz-workload.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { BgpMessageReader, MessageType, encodeKeepalive, encodeOpen } = await import(path.join(root, 'dist/src/bgp/codec/index.js'));

const { values: args } = parseArgs({
  options: {
    peer: { type: 'string' },
    port: { type: 'string', default: '179' },
    first: { type: 'string', default: '0' },
    count: { type: 'string', default: '1' },
    'local-prefix': { type: 'string', default: '127.0.1.' },
    as: { type: 'string', default: '65001' },
    ...WORKLOAD_OPTIONS,
    peers: { type: 'string', default: '16' },
    'route-refresh': { type: 'boolean', default: false },
  },
});
if (!args.peer) {
  console.error('usage: dfz-peers.mjs --peer ADDR [--port P] --first K --count M');
  process.exit(2);
}
const say = (o) => process.stdout.write(`${JSON.stringify({ ...o, t: Date.now() })}\n`);
const asn = Number(args.as);
const workload = workloadFromArgs(args, Number(args.peers));
const first = Number(args.first);
const sockets = [];
let stopping = false;

/** Write the stream in 1 MiB pieces, each after the last drained; resolves when the kernel has it all. */
async function writeAll(socket, stream) {
  for (let offset = 0; offset < stream.length; offset += 1 << 20) {
    const piece = stream.subarray(offset, offset + (1 << 20));
    if (!socket.write(piece)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  await new Promise((resolve) => socket.write(Buffer.alloc(0), resolve));
}

function runPeer(peer, stream) {
  const local = `${args['local-prefix']}${peer + 1}`;
  const socket = net.connect({ host: args.peer, port: Number(args.port), localAddress: local });
  sockets.push(socket);
  socket.setNoDelay(true);
  const reader = new BgpMessageReader();
  let established = false;
  let keepalives = null;
  let sending = Promise.resolve();
  // The stream goes out in 1 MiB pieces cut anywhere in a message: a KEEPALIVE written between
  // two pieces would land inside an UPDATE and corrupt the framing (the receiver then resets the
  // session, and a table longer to send than the keepalive interval never got through). While a
  // table is being sent its UPDATEs keep the session alive (RFC 4271 §4.4), so no KEEPALIVE then.
  let writingTable = 0;
  const send = () => {
    writingTable++;
    sending = sending.then(async () => {
      const started = Date.now();
      await writeAll(socket, stream);
      say({ peer, event: 'sent', bytes: stream.length, paths: (workload.prefixes.ipv4.lengths.length + workload.prefixes.ipv6.lengths.length), ms: Date.now() - started });
    }).finally(() => { writingTable--; });
  };
  socket.on('connect', () => {
    const capabilities = [
      { kind: 'multiprotocol', afi: 1, safi: 1 },
      { kind: 'multiprotocol', afi: 2, safi: 1 },
      { kind: 'four-octet-as', asn },
    ];
    if (args['route-refresh']) capabilities.push({ kind: 'route-refresh' });
    socket.write(encodeOpen({ version: 4, myAs: asn, holdTime: 180, bgpIdentifier: `192.0.2.${(peer % 250) + 1}`, capabilities }));
  });
  socket.on('data', (chunk) => {
    for (const frame of reader.push(chunk)) {
      if (frame.type === MessageType.Open) socket.write(encodeKeepalive());
      else if (frame.type === MessageType.Keepalive && !established) {
        established = true;
        say({ peer, event: 'established', local });
        keepalives = setInterval(() => { if (writingTable === 0) socket.write(encodeKeepalive()); }, 30_000);
        send();
      } else if (frame.type === MessageType.RouteRefresh) {
        say({ peer, event: 'refresh' });
        send();
      } else if (frame.type === MessageType.Notification) {
        say({ peer, event: 'notification', hex: frame.raw.toString('hex').slice(0, 80) });
      }
    }
  });
  socket.on('error', (err) => say({ peer, event: 'error', message: err.message }));
  socket.on('close', () => {
    clearInterval(keepalives);
    say({ peer, event: 'down' });
    // As a BGP speaker would: try again (ConnectRetry, RFC 4271 §8), the whole table once up.
    if (!stopping) setTimeout(() => runPeer(peer, stream), 1000);
  });
}

// Every table is encoded before the first connection, so encoding never competes with the
// receiver for CPU while it ingests.
const streams = [];
for (let peer = first; peer < first + Number(args.count); peer++) {
  streams.push(peerStream(workload, peer));
  say({ peer, event: 'encoded', bytes: streams[streams.length - 1].length });
}
streams.forEach((stream, i) => runPeer(first + i, stream));
const stop = () => {
  stopping = true;
  for (const socket of sockets) socket.destroy();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
