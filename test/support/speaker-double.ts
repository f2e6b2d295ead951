// The BGP speaker as the BMP engine sees it (MonitoredSpeaker), in memory: the tests' one double
// of it. Stations and collectors stay real; the speaker's events are driven by hand.
import { EventEmitter } from 'node:events';
import type { AddressFamily, NeighborKey } from '../../src/bgp/config.js';
import type { DownReason, EstablishedEvent, SpeakerEvents, UpdateSummary } from '../../src/bgp/events.js';
import type { MonitoredSpeaker, NeighborStatistics } from '../../src/bmp/engine-speaker.js';
import { bgpOpen } from '../../src/bmp/testing/test-buffers.js';

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
      receivedAt: Date.now(),
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
