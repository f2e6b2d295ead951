#!/usr/bin/env node
// bmpd's BGP speaker alone, for the ingest benchmark: one passive neighbor, and a JSON line on
// stdout when its Adj-RIB-In holds --target prefixes:
//   {"event":"listening","port":P}
//   {"event":"done","prefixes":N,"seconds":S,"prefixesPerSecond":R,"idleRssBytes":..,"peakRssBytes":..}
// Time runs from the first UPDATE received to the UPDATE that completed the table.
// Run after `npx tsc -b`: node tools/bench/bgp-speaker-child.mjs --listen 127.0.0.x --port 0 \
//   --as 65001 --neighbor 127.0.0.y --remote-as 65010 --target 1000000
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LOADGEN_SPEAKER_OPTIONS, loadgenSpeakerConfig, procStatus } from './processes.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { BgpSpeaker } = await import(path.join(root, 'dist/src/bgp/speaker.js'));

const { values: args } = parseArgs({
  options: {
    ...LOADGEN_SPEAKER_OPTIONS,
    target: { type: 'string' },
  },
});

const status = (field) => procStatus('self', field);

const target = Number(args.target);
const speaker = new BgpSpeaker(loadgenSpeakerConfig(args));
await speaker.start();
global.gc?.();
const idleRssBytes = status('VmRSS');
console.log(JSON.stringify({ event: 'listening', port: speaker.listenAddresses()[0].port, idleRssBytes }));

let first = 0n;
let announced = 0;
let done = false;
speaker.on('update', (event) => {
  if (done) return;
  if (first === 0n) first = process.hrtime.bigint();
  announced += event.summary.announced;
  if (announced < target && event.summary.endOfRib === null) return;
  const stored = speaker.neighborState(event.neighbor)?.prefixes['ipv4-unicast'] ?? 0;
  if (stored < target && event.summary.endOfRib === null) return;
  done = true;
  const seconds = Number(process.hrtime.bigint() - first) / 1e9;
  console.log(
    JSON.stringify({
      event: 'done',
      at: Date.now(),
      prefixes: stored,
      seconds,
      prefixesPerSecond: Math.round(stored / seconds),
      idleRssBytes,
      peakRssBytes: status('VmHWM'),
      rssBytes: status('VmRSS'),
      heapUsedBytes: process.memoryUsage().heapUsed,
    }),
  );
});
speaker.on('down', (event) => console.log(JSON.stringify({ event: 'down', reason: event.reason.kind })));

const stop = async () => {
  await speaker.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
