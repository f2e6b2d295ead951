#!/usr/bin/env node
// bmpd as a BMP exporter, for the export benchmark: the BGP speaker with one passive neighbor
// and the BMP engine with one server (pre-policy Route Monitoring, 'bmp initial-refresh'
// immediate, failure-retry-delay 1 s), in a process of its own so its RSS is its own.
//   {"event":"listening","port":P,"idleRssBytes":..}
//   {"event":"server-up","id":1,"at":ms} / {"event":"server-down","id":1,"reason":..,"at":ms}
//   {"event":"table","prefixes":N,"at":ms}     (the Adj-RIB-In holds --target prefixes)
// Run after `npx tsc -b`: node tools/bench/bmp-export-child.mjs --listen 127.0.0.x --port P \
//   --as 65001 --neighbor 127.0.0.y --remote-as 65010 --collector 127.0.0.z --collector-port Q --target N
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LOADGEN_SPEAKER_OPTIONS, loadgenSpeakerConfig, procStatus } from './processes.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { BgpSpeaker } = await import(path.join(root, 'dist/src/bgp/speaker.js'));
const { BmpEngine } = await import(path.join(root, 'dist/src/bmp/engine.js'));
const { speakerForBmp } = await import(path.join(root, 'dist/src/bmp/engine-speaker.js'));
const { pino } = await import('pino');

const { values: args } = parseArgs({
  options: {
    ...LOADGEN_SPEAKER_OPTIONS,
    collector: { type: 'string' },
    'collector-port': { type: 'string' },
    target: { type: 'string' },
    'buffer-size-mb': { type: 'string', default: '256' },
  },
});

const status = (field) => procStatus('self', field);

const emit = (event) => console.log(JSON.stringify({ ...event, at: Date.now() }));

const speaker = new BgpSpeaker(loadgenSpeakerConfig(args));

// The load generator advertises route-refresh but never answers a ROUTE-REFRESH (it sends its
// table once). A new station's table therefore comes from the Adj-RIB-In replay, the path the
// engine takes for a neighbor without route-refresh — the same source gobgpd and FRR dump from.
const monitored = { ...speakerForBmp(speaker), sendRouteRefresh: () => false };
const engine = new BmpEngine({
  speaker: monitored,
  logger: pino({ level: 'warn' }, pino.destination(2)),
  sysName: 'bmpd-bench',
  sysDescr: 'bmpd export benchmark',
});
engine.on('server-up', (e) => emit({ event: 'server-up', id: e.id }));
engine.on('server-down', (e) => emit({ event: 'server-down', id: e.id, reason: e.reason }));

await speaker.start();
await engine.applyConfig({
  bufferSizeMb: Number(args['buffer-size-mb']),
  initialRefresh: { kind: 'immediate' },
  servers: [
    {
      id: 1,
      activated: true,
      address: args.collector,
      port: Number(args['collector-port']),
      description: 'bench collector',
      initialDelay: 0,
      failureRetryDelay: 1,
      flappingDelay: 1,
      dscp: 0,
      statsReportingPeriod: 0,
      updateSource: null,
    },
  ],
  neighbors: [{ neighbor: args.neighbor, servers: 'all' }],
});
global.gc?.();
emit({ event: 'listening', port: speaker.listenAddresses()[0].port, idleRssBytes: status('VmRSS') });

const target = Number(args.target);
let announced = 0;
let told = false;
speaker.on('update', (event) => {
  if (told) return;
  announced += event.summary.announced;
  if (announced < target) return;
  told = true;
  emit({ event: 'table', prefixes: speaker.neighborState(args.neighbor)?.prefixes['ipv4-unicast'] ?? 0 });
});

const stop = async () => {
  await engine.stop();
  await speaker.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
