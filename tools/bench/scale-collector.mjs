#!/usr/bin/env node
// A counting BMP collector for the scale benchmark, in its own process so its work never
// shares an event loop with the latency probe: listens on --address:--port, counts the paths
// (IPv4 NLRI and MP_REACH_NLRI prefixes) in Route Monitoring messages of every connection,
// and prints JSON lines: {event: 'first'} at the first path, {event: 'done'} when --target
// paths have arrived, {event: 'progress'} every 2 s. Times are Date.now() milliseconds.
// --tee-to address:port --tee-from address: each connection's bytes are also copied to pmbmpd
// there, from --tee-from (tools/bench/pmbmpd.mjs names its output after that address).
//
//   node tools/bench/scale-collector.mjs --address 127.0.0.1 --port 11019 --target N [--tee-to A:P --tee-from A]
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { BmpStreamDecoder, readCommonHeader, MessageType } = await import(path.join(root, 'dist/src/bmp/codec/index.js'));

const { values: args } = parseArgs({
  options: { address: { type: 'string' }, port: { type: 'string' }, target: { type: 'string', default: '0' }, 'tee-to': { type: 'string' }, 'tee-from': { type: 'string' } },
});
const teeTo = args['tee-to']?.split(':');
const target = Number(args.target);
const say = (o) => process.stdout.write(`${JSON.stringify({ ...o, t: Date.now() })}\n`);

/** Prefixes in NLRI-encoded octets [start, end): each a length octet and its significant octets. */
function countPrefixes(buf, start, end) {
  let n = 0;
  for (let at = start; at < end; n++) at += 1 + ((buf[at] + 7) >>> 3);
  return n;
}

/** Paths in one BGP UPDATE: the NLRI field plus MP_REACH_NLRI's (RFC 4760). */
function pathsInUpdate(buf, at) {
  const end = at + buf.readUInt16BE(at + 16);
  let offset = at + 19;
  offset += 2 + buf.readUInt16BE(offset);
  const attributesLength = buf.readUInt16BE(offset);
  offset += 2;
  const attributesEnd = offset + attributesLength;
  let paths = countPrefixes(buf, attributesEnd, end);
  while (offset < attributesEnd) {
    const flags = buf[offset];
    const type = buf[offset + 1];
    const length = flags & 0x10 ? buf.readUInt16BE(offset + 2) : buf[offset + 2];
    const value = offset + (flags & 0x10 ? 4 : 3);
    if (type === 14) {
      const nextHopLength = buf[value + 3];
      paths += countPrefixes(buf, value + 5 + nextHopLength, value + length);
    }
    offset = value + length;
  }
  return paths;
}

let paths = 0;
let first = 0;
let done = false;
const server = net.createServer((socket) => {
  const decoder = new BmpStreamDecoder();
  const copy = teeTo ? net.connect({ host: teeTo[0], port: Number(teeTo[1]), localAddress: args['tee-from'] }) : null;
  copy?.on('error', () => {});
  socket.on('close', () => copy?.end());
  socket.on('data', (chunk) => {
    copy?.write(chunk);
    for (const message of decoder.pushFrames(chunk)) {
      const header = readCommonHeader(message);
      if (header.messageType !== MessageType.routeMonitoring) continue;
      // Common header (6) + per-peer header (42), then the BGP UPDATE.
      const n = pathsInUpdate(message, 48);
      if (n === 0) continue;
      if (paths === 0) {
        first = Date.now();
        say({ event: 'first' });
      }
      paths += n;
      if (!done && target > 0 && paths >= target) {
        done = true;
        say({ event: 'done', paths, ms: Date.now() - first });
      }
    }
  });
  socket.on('error', () => {});
});
server.listen(Number(args.port), args.address, () => say({ event: 'listening' }));
setInterval(() => say({ event: 'progress', paths }), 2000).unref();
process.on('SIGTERM', () => process.exit(0));
