// Test pieces for the BMP engine: a real TCP collector that decodes what it receives with the
// BMP stream decoder, and an in-memory double of the BGP speaker (the only double: stations and
// collectors are real). The engine's and the stations' timers run on
// src/bmp/testing/manual-clock.ts (advanceAsync).
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { AddressFamily, NeighborKey } from '../../../src/bgp/config.js';
import type { DownReason, EstablishedEvent, SpeakerEvents, UpdateSummary } from '../../../src/bgp/events.js';
import { BmpStreamDecoder, type BmpMessage } from '../../../src/bmp/codec/index.js';
import type { BmpServerConfig } from '../../../src/bmp/config.js';
import type { MonitoredSpeaker, NeighborStatistics } from '../../../src/bmp/engine-speaker.js';
import { bgpOpen } from '../../../src/bmp/testing/test-buffers.js';
import { sleep, waitFor } from '../../bgp/integration/daemons.js';

export { sleep };

/** waitFor with this file's defaults: 10 s, polled every 10 ms (the collectors are in-process). */
export function eventually<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
  return waitFor(what, probe, timeoutMs, 10);
}

/** A 'bmp server N' with the tests' short delays (1 s initial, 2 s retry, 10 s flapping); `over` overrides. */
export function bmpServer(id: number, address: string, port: number, over: Partial<BmpServerConfig> = {}): BmpServerConfig {
  return {
    id,
    activated: true,
    address,
    port,
    description: `SERVER${id}`,
    initialDelay: 1,
    failureRetryDelay: 2,
    flappingDelay: 10,
    dscp: 0,
    statsReportingPeriod: 0,
    updateSource: null,
    ...over,
  };
}

/** A BMP collector on a real TCP socket; every connection's messages in arrival order. */
export class Collector {
  readonly messages: BmpMessage[] = [];
  readonly connections: net.Socket[] = [];
  /** Index in `messages` where each connection's first message landed. */
  readonly sessionStarts: number[] = [];
  /** Each connection's messages alone (a reset session may still drain while the next one runs). */
  readonly sessions: BmpMessage[][] = [];
  closedSessions = 0;
  private constructor(
    private readonly server: net.Server,
    readonly host: string,
    readonly port: number,
  ) {}

  static async start(host: string): Promise<Collector> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const c = new Collector(server, host, (server.address() as net.AddressInfo).port);
    server.on('connection', (socket) => {
      c.connections.push(socket);
      c.sessionStarts.push(c.messages.length);
      const session: BmpMessage[] = [];
      c.sessions.push(session);
      const decoder = new BmpStreamDecoder();
      socket.on('data', (chunk) => {
        for (const m of decoder.push(chunk)) {
          c.messages.push(m);
          session.push(m);
        }
      });
      socket.on('close', () => c.closedSessions++);
      socket.on('error', () => undefined);
    });
    return c;
  }

  /** Stop reading: the kernel buffers fill and the station's queue grows. */
  pauseReading(): void {
    for (const s of this.connections) s.pause();
  }
  resumeReading(): void {
    for (const s of this.connections) s.resume();
  }
  ofType<T extends BmpMessage['type']>(type: T): Extract<BmpMessage, { type: T }>[] {
    return this.messages.filter((m): m is Extract<BmpMessage, { type: T }> => m.type === type);
  }
  types(): string[] {
    return this.messages.map((m) => m.type);
  }
  async waitFor(what: string, probe: (c: Collector) => boolean, timeoutMs = 10_000): Promise<void> {
    await eventually(`${what} at collector ${this.host}:${this.port} (got ${this.types().join(',')})`, () => probe(this), timeoutMs);
  }
  async close(): Promise<void> {
    for (const s of this.connections) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface DoubleNeighbor {
  key: NeighborKey;
  address: string;
  asn: number;
  bgpId: string;
  routeRefresh: boolean;
  fourOctetAs?: boolean;
  families?: AddressFamily[];
  vrf?: { name: string; rd: string };
  /** Replayed on replayAdjRibIn (End-of-RIB markers included by the caller). */
  table?: Buffer[];
}

/** The BGP speaker's events and calls, in memory. */
export class SpeakerDouble extends EventEmitter implements MonitoredSpeaker {
  readonly refreshes: Array<{ neighbor: NeighborKey; afi: number; safi: number }> = [];
  readonly replays: NeighborKey[] = [];
  paused = false;
  pauseCount = 0;
  private readonly up = new Map<NeighborKey, EstablishedEvent>();
  private readonly tables = new Map<NeighborKey, Buffer[]>();
  stats = new Map<NeighborKey, NeighborStatistics>();

  establish(n: DoubleNeighbor, at = new Date()): EstablishedEvent {
    const families = n.families ?? ['ipv4-unicast'];
    const e: EstablishedEvent = {
      neighbor: n.key,
      vrf: n.vrf?.name ?? null,
      rd: n.vrf?.rd ?? null,
      peerAddress: n.address,
      peerAs: n.asn,
      peerBgpId: n.bgpId,
      localAddress: n.address.includes(':') ? '::1' : '127.0.8.100',
      localPort: 179,
      remotePort: 40000,
      sentOpen: bgpOpen({ asn: 65000, bgpId: '127.0.8.100' }),
      receivedOpen: bgpOpen({ asn: n.asn, bgpId: n.bgpId }),
      capabilities: { families, routeRefresh: n.routeRefresh, enhancedRouteRefresh: false, fourOctetAs: n.fourOctetAs ?? true },
      negotiated: { holdTime: 90, keepaliveTime: 30 },
      establishedAt: at,
    };
    this.up.set(n.key, e);
    this.tables.set(n.key, n.table ?? []);
    this.emit('established', e);
    return e;
  }
  update(key: NeighborKey, raw: Buffer, summary: Partial<UpdateSummary> = {}): void {
    this.emit('update', {
      neighbor: key,
      raw,
      summary: { families: ['ipv4-unicast'], announced: 1, withdrawn: 0, endOfRib: null, treatAsWithdraw: false, ...summary },
      receivedAt: new Date(),
    });
  }
  drop(key: NeighborKey, reason: DownReason): void {
    this.up.delete(key);
    this.emit('down', { neighbor: key, reason, at: new Date() });
  }

  override on<E extends keyof SpeakerEvents>(event: E, listener: (...args: SpeakerEvents[E]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }
  override off<E extends keyof SpeakerEvents>(event: E, listener: (...args: SpeakerEvents[E]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
  sendRouteRefresh(neighbor: NeighborKey, afi: number, safi: number): boolean {
    const e = this.up.get(neighbor);
    if (!e?.capabilities.routeRefresh) return false;
    this.refreshes.push({ neighbor, afi, safi });
    return true;
  }
  replayAdjRibIn(neighbor: NeighborKey): Iterable<Buffer> {
    this.replays.push(neighbor);
    return this.tables.get(neighbor) ?? [];
  }
  pauseReading(): void {
    this.paused = true;
    this.pauseCount++;
  }
  resumeReading(): void {
    this.paused = false;
  }
  establishedNeighbors(): Iterable<EstablishedEvent> {
    return this.up.values();
  }
  statistics(neighbor: NeighborKey): NeighborStatistics | null {
    return this.stats.get(neighbor) ?? (this.up.has(neighbor) ? { adjRibInRoutes: 0, adjRibInRoutesPerFamily: {} } : null);
  }
}
