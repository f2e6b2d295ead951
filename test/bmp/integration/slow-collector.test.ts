// A collector that stops reading (issue 5): bmpd's real BgpSpeaker, fed a table by the load
// generator (tools/bgp-loadgen, a child process), exports through a BmpEngine to two real TCP
// collectors. A reads normally; B stops reading at once. The engine must keep every queued
// BMP byte within buffer-size, reset B with Termination reason 2 (out of resources) instead of
// holding its backlog, give A every prefix, and give B the complete table once it reads again.
// Addresses: 127.0.16.x only (this file), ephemeral ports.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BgpSpeaker } from '../../../src/bgp/speaker.js';
import type { BmpEngineConfig, BmpServerConfig } from '../../../src/bmp/config.js';
import { MEGABYTE } from '../../../src/bmp/config.js';
import { BmpStreamDecoder, parseMessage, readCommonHeader } from '../../../src/bmp/codec/index.js';
import { MessageType } from '../../../src/bmp/codec/messages.js';
import { BmpEngine, type ServerDownEvent } from '../../../src/bmp/engine.js';
import { speakerForBmp, type MonitoredSpeaker } from '../../../src/bmp/engine-speaker.js';
import { realStations } from '../../../src/bmp/engine-station.js';
import { killPid } from '../../bgp/integration/daemons.js';
import { neighborConfig } from '../../bgp/integration/neighbor-config.js';
import { bmpServer, eventually, sleep } from './harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const BMPD = '127.0.16.1';
const GENERATOR = '127.0.16.2';
const COLLECTOR_A = '127.0.16.10';
const COLLECTOR_B = '127.0.16.11';
const LOCAL_AS = 65000;
const GENERATOR_AS = 65016;
const PREFIXES = 200_000;
/**
 * One prefix per UPDATE: 200,000 Route Monitoring messages of ~115 bytes, ~23 MB for each
 * collector — several times the budget plus what the loopback socket buffers of B can absorb.
 */
const PER_UPDATE = 1;
const BUFFER_SIZE_MB = 8;
/**
 * RSS this test process may grow by on top of buffer-size: receiving and exporting 200,000
 * single-prefix UPDATEs to two collectors (the speaker's Adj-RIB-In, the collectors' prefix
 * sets, V8's heap pages, which it keeps once grown) measured 82-115 MiB with a full GC every
 * 200 ms. For scale: with the bound lifted (buffer-size 1024, no stuck timer) the same run
 * holds B's backlog of ~20 MB of BMP bytes plus their objects and grows by ~197 MiB.
 */
const FIXED_OVERHEAD_BYTES = 128 * MEGABYTE;

/** A BMP collector that keeps counts, not messages: each session's distinct IPv4 prefixes. */
class CountingCollector {
  readonly sessions: Array<{ socket: net.Socket; prefixes: Set<number>; nlri: number; terminations: number[]; closed: boolean }> = [];
  private reading = true;
  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(host: string): Promise<CountingCollector> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const c = new CountingCollector(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (socket) => c.accept(socket));
    return c;
  }

  private accept(socket: net.Socket): void {
    const session = { socket, prefixes: new Set<number>(), nlri: 0, terminations: [] as number[], closed: false };
    this.sessions.push(session);
    if (!this.reading) socket.pause();
    const decoder = new BmpStreamDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.pushFrames(chunk)) {
        const { messageType } = readCommonHeader(frame);
        if (messageType === MessageType.routeMonitoring) {
          // Common header (6) + per-peer header (42), then the BGP UPDATE as bmpd received it.
          session.nlri += countIpv4Nlri(frame.subarray(48), session.prefixes);
        } else if (messageType === MessageType.termination) {
          const m = parseMessage(frame);
          if (m.type === 'termination') for (const tlv of m.information) if (tlv.kind === 'reason') session.terminations.push(tlv.reason);
        }
      }
    });
    socket.on('close', () => (session.closed = true));
    socket.on('error', () => undefined);
  }

  /** Stop reading on every connection, present and future: the kernel buffers fill, then bmpd's queue. */
  pauseReading(): void {
    this.reading = false;
    for (const s of this.sessions) s.socket.pause();
  }
  resumeReading(): void {
    this.reading = true;
    for (const s of this.sessions) s.socket.resume();
  }
  get current(): CountingCollector['sessions'][number] | undefined {
    return this.sessions[this.sessions.length - 1];
  }
  async close(): Promise<void> {
    for (const s of this.sessions) s.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** IPv4 NLRI of one UPDATE (RFC 4271 §4.3), each added to `into` as its address; returns how many. */
function countIpv4Nlri(update: Buffer, into: Set<number>): number {
  if (update.length < 23 || update[18] !== 2) return 0;
  const end = update.readUInt16BE(16);
  const withdrawnLength = update.readUInt16BE(19);
  let p = 21 + withdrawnLength;
  const attributesLength = update.readUInt16BE(p);
  p += 2 + attributesLength;
  let n = 0;
  while (p < end) {
    const bits = update[p]!;
    let address = 0;
    for (let i = 0; i < 4; i++) address = address * 256 + (i < Math.ceil(bits / 8) ? update[p + 1 + i]! : 0);
    into.add(address);
    p += 1 + Math.ceil(bits / 8);
    n++;
  }
  return n;
}

function server(id: number, address: string, port: number): BmpServerConfig {
  return bmpServer(id, address, port, { description: `COLLECTOR-${id}`, failureRetryDelay: 1, flappingDelay: 1, updateSource: BMPD });
}

describe('a BMP collector that stops reading', () => {
  let speaker: BgpSpeaker | null = null;
  let engine: BmpEngine | null = null;
  let loadgen: ChildProcess | null = null;
  const collectors: CountingCollector[] = [];

  beforeAll(() => {
    // The load generator runs on the compiled codec.
    if (!existsSync(path.join(root, 'dist/src/bgp/codec/index.js'))) execFileSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
  });

  afterAll(async () => {
    if (loadgen?.pid) await killPid(loadgen.pid);
    await engine?.stop();
    await speaker?.stop();
    for (const c of collectors) await c.close();
  });

  it('bounds memory, resets the stalled station with Termination reason 2, and B gets the whole table after it reads again', async () => {
    const a = await CountingCollector.start(COLLECTOR_A);
    const b = await CountingCollector.start(COLLECTOR_B);
    collectors.push(a, b);
    b.pauseReading();

    speaker = new BgpSpeaker({
      asNumber: LOCAL_AS,
      routerId: BMPD,
      listen: { addresses: [BMPD], port: 0 },
      connectRetrySeconds: 1,
      neighbors: [
        neighborConfig(GENERATOR, GENERATOR_AS, {
          description: 'load generator',
          updateSource: BMPD,
          passive: true,
          timers: { keepalive: 0, holdTime: 180 },
        }),
      ],
    });
    // The load generator advertises route-refresh but does not answer a ROUTE-REFRESH, so the
    // engine is told the request could not be sent: it then replays the Adj-RIB-In, which is
    // what a reconnecting station needs here. Everything else is the real speaker.
    const real = speakerForBmp(speaker);
    const monitored: MonitoredSpeaker = { ...real, sendRouteRefresh: () => false };
    const downs: ServerDownEvent[] = [];
    engine = new BmpEngine({
      speaker: monitored,
      logger: pino({ level: 'warn' }),
      stations: realStations({ closeTimeoutMs: 1000, flapWindowMs: 500, stablePeriodMs: 500 }),
      sysName: 'bmpd-slow-collector',
      sysDescr: 'bmpd slow collector test',
      stuckMs: 2000,
      refreshQuietMs: 500,
    });
    engine.on('server-down', (e) => downs.push(e));
    await speaker.start();
    const config: BmpEngineConfig = {
      bufferSizeMb: BUFFER_SIZE_MB,
      initialRefresh: { kind: 'immediate' },
      servers: [server(1, COLLECTOR_A, a.port), server(2, COLLECTOR_B, b.port)],
      neighbors: [{ neighbor: GENERATOR, servers: 'all' }],
    };
    await engine.applyConfig(config);
    const eng = engine;
    // Both stations up before the table arrives: A's count is then exactly the live stream.
    await eventually(
      'both BMP servers up',
      () => eng.snapshot().servers.every((s) => s.status === 'up') && a.sessions.length === 1 && b.sessions.length === 1,
      10_000,
    );

    const budget = BUFFER_SIZE_MB * MEGABYTE;
    let maxUsed = 0;
    const baselineRss = process.memoryUsage.rss();
    let peakRss = baselineRss;
    // A full collection every 200 ms: RSS then follows what is alive (the Adj-RIB-In, the
    // queues) rather than when V8 chose to collect the garbage of 200,000 UPDATE events.
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    let tick = 0;
    const sampler = setInterval(() => {
      if (++tick % 4 === 0) gc();
      maxUsed = Math.max(maxUsed, eng.snapshot().bufferBytesUsed);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }, 50);

    try {
      const port = speaker.listenAddresses()[0]!.port;
      loadgen = spawn(
        process.execPath,
        [
          path.join(root, 'tools/bgp-loadgen/loadgen.mjs'),
          ...['--peer', BMPD, '--port', String(port), '--local', GENERATOR, '--as', String(GENERATOR_AS)],
          ...['--prefixes', String(PREFIXES), '--per-update', String(PER_UPDATE), '--json'],
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let sent = false;
      readline.createInterface({ input: loadgen.stdout! }).on('line', (line) => {
        if (line.includes('"event":"sent"')) sent = true;
      });

      // B is reset for being out of resources, while A keeps up.
      await eventually('B reset for its buffer', () => downs.some((d) => d.id === 2 && d.reason === 'buffer limit reached'), 60_000);
      await eventually('the generator sent the whole table', () => sent, 60_000);
      await eventually(`A holds ${PREFIXES} prefixes`, () => a.current!.prefixes.size >= PREFIXES, 60_000);
      expect(downs.filter((d) => d.id === 1)).toEqual([]);
      expect(a.sessions).toHaveLength(1);
      expect(a.current!.nlri).toBe(PREFIXES);
      expect(a.current!.prefixes.size).toBe(PREFIXES);
      expect(speaker.neighborState(GENERATOR)?.prefixes['ipv4-unicast']).toBe(PREFIXES);

      // B reads again: the Termination (reason 2, out of resources) of its first session is
      // there behind the last complete message, or the session was cut; then a later session
      // gets Initiation, Peer Up and the replayed table.
      b.resumeReading();
      await eventually('B holds the complete table', () => b.current?.prefixes.size === PREFIXES && !b.current.closed, 60_000);
      const first = b.sessions[0]!;
      await eventually("B's first session ended", () => first.closed, 10_000);
      expect(first.terminations.length === 0 || first.terminations.includes(2)).toBe(true);
      expect(first.terminations).not.toContain(0);
      expect(b.sessions.length).toBeGreaterThan(1);
      expect(b.current!.prefixes.size).toBe(a.current!.prefixes.size);
      const snapshot = eng.snapshot();
      expect(snapshot.servers.find((s) => s.id === 2)!.bufferResets).toBeGreaterThan(0);
      expect(snapshot.servers.find((s) => s.id === 1)!.bufferResets).toBe(0);
    } finally {
      clearInterval(sampler);
    }

    expect(maxUsed).toBeGreaterThan(0);
    expect(maxUsed).toBeLessThanOrEqual(budget);
    console.log(
      `slow-collector: buffer used max ${(maxUsed / MEGABYTE).toFixed(1)} MiB of ${BUFFER_SIZE_MB}; ` +
        `RSS growth ${((peakRss - baselineRss) / MEGABYTE).toFixed(1)} MiB (bound ${BUFFER_SIZE_MB} + ${FIXED_OVERHEAD_BYTES / MEGABYTE}); ` +
        `B: ${b.sessions.length} sessions, Termination reasons seen on the first: [${b.sessions[0]!.terminations.join(',')}]`,
    );
    expect(peakRss - baselineRss).toBeLessThanOrEqual(budget + FIXED_OVERHEAD_BYTES);
  }, 180_000);
});
