#!/usr/bin/env node
// BMP export benchmark (issue 5): the same generated table (tools/bgp-loadgen) fed to three
// exporters in turn on loopback — bmpd (speaker + BMP engine in a child process), Debian's
// gobgpd (bmp-servers, pre-policy) and FRR bgpd -M bmp (bmp targets, pre-policy, with the
// soft-reconfiguration inbound it needs for it) — each reporting to a counting collector in
// this process (BmpStreamDecoder frames; IPv4 NLRI counted in Route Monitoring), measuring
//   live  = N / (collector connected before the table: first -> N-th prefix in Route Monitoring)
//   dump  = N / (the collector is closed after the table and a new one listens on the same port;
//           the exporter reconnects and sends its table: first -> N-th prefix)
//   RSS   = the exporter's peak RSS (VmHWM) at the end, and its idle RSS before the table.
// The lab's method (bench_export.py + bmp_sink.py), with our generator instead of an MRT preload.
//
//   npx tsc -b && node tools/bench/bmp-export.mjs [--prefixes 500000,1000000] [--only bmpd,gobgpd,frr] [--cpu-prof]
// --cpu-prof runs bmpd's child under `node --cpu-prof` and prints its top self-time functions.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { killPid as killAfter, procStatus, spawnJson as spawnJsonWith, spawnLoadgen, startFrrBgpd, startGobgpd } from './processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { BmpStreamDecoder, readCommonHeader, MessageType } = await import(path.join(root, 'dist/src/bmp/codec/index.js'));

const { values: args } = parseArgs({
  options: {
    prefixes: { type: 'string', default: '500000,1000000' },
    'per-update': { type: 'string', default: '50' },
    only: { type: 'string', default: 'bmpd,gobgpd,frr' },
    'timeout-s': { type: 'string', default: '300' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const timeoutMs = Number(args['timeout-s']) * 1000;
const killPid = (pid) => killAfter(pid, 5000);
const spawnJson = (script, scriptArgs, nodeFlags = []) => spawnJsonWith(script, scriptArgs, { nodeFlags, timeoutMs });

// Loopback only (127.0.17.x); one exporter at a time. Every run takes fresh ports: a daemon
// killed with connections open leaves TIME_WAIT behind.
const GENERATOR = '127.0.17.100';
const COLLECTOR = '127.0.17.1';
const GENERATOR_AS = 65010;
const EXPORTER_AS = 65001;
const ADDR = { bmpd: '127.0.17.101', gobgpd: '127.0.17.102', frr: '127.0.17.103' };
let PORT = 17279;

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

const startLoadgen = (receiver, n) =>
  spawnLoadgen({ peer: receiver, port: PORT, local: GENERATOR, as: GENERATOR_AS, prefixes: n, perUpdate: args['per-update'] }, { timeoutMs });

// ------------------------------------------------------------------ the counting collector

/** IPv4 NLRI in the UPDATE of a Route Monitoring frame (RFC 7854 §4.6: 6 + 42 header bytes first). */
function nlriCount(frame) {
  const u = 48;
  if (frame.length < u + 23 || frame[u + 18] !== 2) return 0;
  const end = u + frame.readUInt16BE(u + 16);
  let p = u + 21 + frame.readUInt16BE(u + 19);
  p += 2 + frame.readUInt16BE(p);
  let n = 0;
  while (p < end) {
    p += 1 + ((frame[p] + 7) >> 3);
    n++;
  }
  return n;
}

/** A BMP collector that counts: prefixes in Route Monitoring, messages, bytes, first/target times. */
class CountingCollector {
  prefixes = 0;
  routeMonitoring = 0;
  messages = 0;
  bytes = 0;
  connections = 0;
  connectedAt = 0;
  firstPrefixAt = 0;
  targetAt = 0;
  /** The same two moments on CLOCK_MONOTONIC in µs, the clock of a child's --cpu-prof samples. */
  window = { fromUs: 0, toUs: 0 };
  #sockets = new Set();
  #waiters = [];

  constructor(target) {
    this.target = target;
    this.server = net.createServer((socket) => this.#accept(socket));
  }

  listen(host, port) {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, exclusive: true }, resolve);
    });
  }

  #accept(socket) {
    this.connections++;
    this.connectedAt ||= performance.now();
    this.#sockets.add(socket);
    const decoder = new BmpStreamDecoder();
    socket.on('data', (chunk) => {
      const now = performance.now();
      this.bytes += chunk.length;
      for (const frame of decoder.pushFrames(chunk)) {
        this.messages++;
        if (readCommonHeader(frame).messageType !== MessageType.routeMonitoring) continue;
        this.routeMonitoring++;
        const n = nlriCount(frame);
        if (n === 0) continue;
        if (!this.firstPrefixAt) {
          this.firstPrefixAt = now;
          this.window.fromUs = monotonicUs();
        }
        this.prefixes += n;
        if (!this.targetAt && this.prefixes >= this.target) {
          this.targetAt = now;
          this.window.toUs = monotonicUs();
          for (const w of this.#waiters.splice(0)) w();
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.#sockets.delete(socket));
  }

  /** Resolves when the target count is reached; rejects after timeoutMs with what arrived. */
  reached(what) {
    if (this.targetAt) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push(resolve);
      setTimeout(
        () => reject(new Error(`${what}: ${this.prefixes} of ${this.target} prefixes after ${timeoutMs / 1000} s (${this.connections} connections)`)),
        timeoutMs,
      ).unref();
    });
  }

  get seconds() {
    return (this.targetAt - this.firstPrefixAt) / 1000;
  }

  summary() {
    return { prefixes: this.prefixes, seconds: this.seconds, routeMonitoring: this.routeMonitoring, bytes: this.bytes, window: this.window };
  }

  async close() {
    for (const s of this.#sockets) s.destroy();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * The two phases against an exporter that reports to COLLECTOR:collectorPort: `start()` brings
 * it up (the live collector already listens), `feed()` starts the generator; then the live
 * collector is closed and a fresh one awaits the dump.
 */
async function measure(n, collectorPort, { start, feed, pid }) {
  let live = new CountingCollector(n);
  await live.listen(COLLECTOR, collectorPort);
  let dump = null;
  try {
    await start();
    const idleRss = procStatus(pid(), 'VmRSS');
    await feed();
    await live.reached('live export');
    const liveResult = live.summary();
    await live.close();
    live = null;
    dump = new CountingCollector(n);
    await dump.listen(COLLECTOR, collectorPort);
    await dump.reached('dump');
    const dumpResult = dump.summary();
    return { live: liveResult, dump: dumpResult, idleRss, peakRss: procStatus(pid(), 'VmHWM') };
  } finally {
    await live?.close();
    await dump?.close();
  }
}

// ------------------------------------------------------------------ exporters

async function benchBmpd(n, collectorPort) {
  const profDir = args['cpu-prof'] ? mkdtempSync(path.join(os.tmpdir(), 'bench-bmpd-prof-')) : null;
  const child = spawnJson(
    path.join(here, 'bmp-export-child.mjs'),
    [
      '--listen', ADDR.bmpd, '--port', String(PORT), '--as', String(EXPORTER_AS),
      '--neighbor', GENERATOR, '--remote-as', String(GENERATOR_AS),
      '--collector', COLLECTOR, '--collector-port', String(collectorPort), '--target', String(n),
    ],
    profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [],
  );
  let loadgen = null;
  try {
    const result = await measure(n, collectorPort, {
      start: async () => {
        await child.next('listening');
        await child.next('server-up');
      },
      feed: async () => {
        loadgen = startLoadgen(ADDR.bmpd, n).child;
      },
      pid: () => child.child.pid,
    });
    return { exporter: 'bmpd', ...result, profDir };
  } finally {
    await killPid(loadgen?.pid);
    await killPid(child.child.pid);
  }
}

async function benchGobgpd(n, collectorPort) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-gobgpd-'));
  let gobgpd = null;
  let loadgen = null;
  try {
    const result = await measure(n, collectorPort, {
      start: async () => {
        // gobgpd never reads from its BMP socket: it notices a closed collector only when a write
        // fails, so the dump phase waits for its Statistics Reports (15 s is the least it accepts).
        gobgpd = await startGobgpd({
          dir, asn: EXPORTER_AS, address: ADDR.gobgpd, port: PORT, apiPort: PORT + 33000, generator: GENERATOR, generatorAs: GENERATOR_AS,
          extraToml: `[[bmp-servers]]
  [bmp-servers.config]
    address = "${COLLECTOR}"
    port = ${collectorPort}
    route-monitoring-policy = "pre-policy"
    statistics-timeout = 15
`,
        });
      },
      feed: async () => {
        loadgen = startLoadgen(ADDR.gobgpd, n).child;
      },
      pid: () => gobgpd.pid,
    });
    return { exporter: 'gobgpd', ...result };
  } finally {
    await killPid(loadgen?.pid);
    await killPid(gobgpd?.pid);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchFrr(n, collectorPort) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-frr-'));
  let pid = 0;
  let loadgen = null;
  try {
    const result = await measure(n, collectorPort, {
      start: async () => {
        // FRR 8.4 sends pre-policy Route Monitoring only from an Adj-RIB-In copy: without
        // soft-reconfiguration inbound they go out as withdrawals (lab pitfall).
        ({ pid } = await startFrrBgpd({
          dir, asn: EXPORTER_AS, address: ADDR.frr, port: PORT, generator: GENERATOR, generatorAs: GENERATOR_AS, modules: ['bmp'],
          extraConfig: ` !
 bmp targets collector
  bmp monitor ipv4 unicast pre-policy
  bmp connect ${COLLECTOR} port ${collectorPort} min-retry 100 max-retry 1000
 exit
 !
 address-family ipv4 unicast
  neighbor ${GENERATOR} activate
  neighbor ${GENERATOR} soft-reconfiguration inbound
 exit-address-family
`,
        }));
      },
      feed: async () => {
        loadgen = startLoadgen(ADDR.frr, n).child;
      },
      pid: () => pid,
    });
    return { exporter: 'frr', ...result };
  } finally {
    await killPid(loadgen?.pid);
    await killPid(pid);
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ the profile

/**
 * Top self-time functions of a .cpuprofile within a window of CLOCK_MONOTONIC µs (V8 stamps
 * its samples on that clock: startTime plus the running sum of timeDeltas).
 */
function topSelfTime(profile, window, count = 12) {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byFunction = new Map();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (t < window.fromUs || t > window.toUs) continue;
    const { functionName, url, lineNumber } = frames.get(profile.samples[i]);
    const where = url ? `${path.relative(root, url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + delta);
    total += delta;
  }
  return [...byFunction.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, ms: Math.round(us / 1000), share: us / Math.max(1, total) }));
}

// ------------------------------------------------------------------ main

const benches = { bmpd: benchBmpd, gobgpd: benchGobgpd, frr: benchFrr };
const sizes = args.prefixes.split(',').map(Number);
const results = [];
console.log(`bmp-export: IPv4 /24s, ${args['per-update']} per UPDATE, from ${GENERATOR} (tools/bgp-loadgen); collector ${COLLECTOR}`);
for (const n of sizes) {
  for (const name of args.only.split(',')) {
    const bench = benches[name];
    if (!bench) throw new Error(`unknown exporter ${name}`);
    PORT++;
    process.stdout.write(`  ${name} ${n} ...`);
    const startedAt = Date.now();
    try {
      const r = await bench(n, PORT + 500);
      r.n = n;
      r.liveRate = n / r.live.seconds;
      r.dumpRate = n / r.dump.seconds;
      results.push(r);
      console.log(` live ${Math.round(r.liveRate)}/s, dump ${Math.round(r.dumpRate)}/s (${((Date.now() - startedAt) / 1000).toFixed(0)} s)`);
    } catch (err) {
      results.push({ exporter: name, n, error: err.message });
      console.log(` failed: ${err.message}`);
    }
  }
}

const mib = (b) => (b / 1048576).toFixed(0);
const pad = (s, w) => String(s).padStart(w);
const k = (rate) => `${Math.round(rate / 1000)}k`;
console.log('');
console.log(`${'exporter'.padEnd(9)}${pad('prefixes', 9)}${pad('live/s', 9)}${pad('live RMs', 10)}${pad('dump/s', 9)}${pad('dump RMs', 10)}${pad('idle MiB', 10)}${pad('peak MiB', 10)}`);
for (const r of results) {
  if (r.error) {
    console.log(`${r.exporter.padEnd(9)}${pad(r.n, 9)}  failed: ${r.error}`);
    continue;
  }
  console.log(
    `${r.exporter.padEnd(9)}${pad(r.n, 9)}${pad(k(r.liveRate), 9)}${pad(r.live.routeMonitoring, 10)}${pad(k(r.dumpRate), 9)}${pad(r.dump.routeMonitoring, 10)}${pad(mib(r.idleRss), 10)}${pad(mib(r.peakRss), 10)}`,
  );
}
console.log('');
for (const n of sizes) {
  const bmpd = results.find((r) => r.exporter === 'bmpd' && r.n === n && !r.error);
  if (!bmpd) continue;
  for (const other of results.filter((r) => r.exporter !== 'bmpd' && r.n === n && !r.error)) {
    console.log(
      `${n} bmpd/${other.exporter}: live x${(bmpd.liveRate / other.liveRate).toFixed(2)}, dump x${(bmpd.dumpRate / other.dumpRate).toFixed(2)}, peak RSS x${(bmpd.peakRss / other.peakRss).toFixed(2)}`,
    );
  }
  const frr = results.find((r) => r.exporter === 'frr' && r.n === n && !r.error);
  const goals = [`live >= 1,000,000/s: ${bmpd.liveRate >= 1e6 ? 'met' : 'NOT met'} (${Math.round(bmpd.liveRate)})`];
  if (frr) {
    goals.push(`dump >= 2x FRR: ${bmpd.dumpRate >= 2 * frr.dumpRate ? 'met' : 'NOT met'} (x${(bmpd.dumpRate / frr.dumpRate).toFixed(2)})`);
    goals.push(`RSS <= 0.35x FRR: ${bmpd.peakRss <= 0.35 * frr.peakRss ? 'met' : 'NOT met'} (x${(bmpd.peakRss / frr.peakRss).toFixed(2)})`);
  }
  console.log(`${n} goals: ${goals.join('; ')}`);
}
for (const r of results.filter((x) => x.profDir)) {
  const file = readdirSync(r.profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) continue;
  const profile = JSON.parse(readFileSync(path.join(r.profDir, file), 'utf8'));
  for (const phase of ['live', 'dump']) {
    console.log(`\nbmpd ${r.n} ${phase} (first to last prefix at the collector): top self time in the child (node --cpu-prof)`);
    for (const f of topSelfTime(profile, r[phase].window)) console.log(`  ${pad(f.ms, 7)} ms ${pad((f.share * 100).toFixed(1), 5)}%  ${f.name}`);
  }
  rmSync(r.profDir, { recursive: true, force: true });
  delete r.profDir;
}
console.log(JSON.stringify({ bench: 'bmp-export', results }));
