// What the BMP engine needs from the BGP speaker, and nothing more. The real BgpSpeaker
// (src/bgp/speaker.ts) satisfies it through speakerForBmp(); unit tests drive the engine
// with a small in-memory double.
import type { EventEmitter } from 'node:events';
import type { AddressFamily, NeighborKey } from '../bgp/config.js';
import type { EstablishedEvent, SpeakerEvents } from '../bgp/events.js';
import type { BgpSpeaker } from '../bgp/speaker.js';

/** RFC 7854 §4.8 counters the Adj-RIB-In can really count for one neighbor. */
export interface NeighborStatistics {
  /** Type 0: prefixes rejected by inbound policy (bmpd has none: a true 0). */
  readonly prefixesRejected?: number;
  /** Type 1: advertisements of a prefix already in the Adj-RIB-In with the same attributes. */
  readonly duplicatePrefixAdvertisements?: number;
  /** Type 2: withdrawals of prefixes not in the Adj-RIB-In. */
  readonly duplicateWithdraws?: number;
  /** Types 3, 4, 5: UPDATEs ignored for a CLUSTER_LIST, AS_PATH or ORIGINATOR_ID loop. */
  readonly clusterListLoops?: number;
  readonly asPathLoops?: number;
  readonly originatorIdLoops?: number;
  /** Type 7: routes in the Adj-RIB-In (pre-policy). */
  readonly adjRibInRoutes: number;
  /** Type 9: the same per AFI/SAFI. */
  readonly adjRibInRoutesPerFamily: Readonly<Partial<Record<AddressFamily, number>>>;
  /** Type 11: UPDATEs handled as withdraw (RFC 7606). */
  readonly updatesTreatedAsWithdraw?: number;
  /** Type 12: prefixes in those UPDATEs. */
  readonly prefixesTreatedAsWithdraw?: number;
  /** Type 13: UPDATEs that changed nothing in the Adj-RIB-In. */
  readonly duplicateUpdates?: number;
}

export type SpeakerEventName = keyof SpeakerEvents;

export interface MonitoredSpeaker {
  on<E extends SpeakerEventName>(event: E, listener: (...args: SpeakerEvents[E]) => void): unknown;
  off<E extends SpeakerEventName>(event: E, listener: (...args: SpeakerEvents[E]) => void): unknown;
  /** ROUTE-REFRESH (RFC 2918) for one family; false when the neighbor did not negotiate route-refresh or is not up. */
  sendRouteRefresh(neighbor: NeighborKey, afi: number, safi: number): boolean;
  /**
   * The neighbor's Adj-RIB-In as UPDATE PDUs (BGP header included), End-of-RIB markers last.
   * With `pauses`, empty Buffers between parts of the work that send nothing: the consumer
   * gives the event loop a turn there.
   */
  replayAdjRibIn(neighbor: NeighborKey, options?: { readonly pauses?: boolean }): Iterable<Buffer>;
  /** Stop reading from every BGP socket (TCP then pushes back on the neighbors). */
  pauseReading(): void;
  resumeReading(): void;
  /** Neighbors in Established now, with what their Peer Up needs. */
  establishedNeighbors(): Iterable<EstablishedEvent>;
  statistics(neighbor: NeighborKey): NeighborStatistics | null;
}

/**
 * The real speaker as the engine sees it. BgpSpeaker has no list of Established sessions with
 * their OPENs, so this adapter keeps one from the events: make it before speaker.start().
 */
export function speakerForBmp(speaker: BgpSpeaker): MonitoredSpeaker {
  const established = new Map<NeighborKey, EstablishedEvent>();
  speaker.on('established', (e) => established.set(e.neighbor, e));
  speaker.on('down', (e) => established.delete(e.neighbor));
  return {
    // The generic signatures of EventEmitter<T> do not unify with MonitoredSpeaker's; same events.
    on: (event, listener) => (speaker as EventEmitter).on(event, listener as (...args: unknown[]) => void),
    off: (event, listener) => (speaker as EventEmitter).off(event, listener as (...args: unknown[]) => void),
    sendRouteRefresh: (key, afi, safi) => speaker.sendRouteRefresh(key, afi, safi),
    replayAdjRibIn: (key, options) => speaker.replayAdjRibIn(key, options),
    pauseReading: () => speaker.pauseReading(),
    resumeReading: () => speaker.resumeReading(),
    establishedNeighbors: () => established.values(),
    statistics(key) {
      const s = speaker.adjRibInStatistics(key);
      if (!s) return null;
      return {
        prefixesRejected: s.prefixesRejected,
        duplicatePrefixAdvertisements: s.duplicatePrefixAdvertisements,
        duplicateWithdraws: s.duplicateWithdraws,
        clusterListLoops: s.clusterListLoops,
        asPathLoops: s.asPathLoops,
        originatorIdLoops: s.originatorIdLoops,
        adjRibInRoutes: s.routes,
        adjRibInRoutesPerFamily: s.routesPerFamily,
        updatesTreatedAsWithdraw: s.updatesTreatAsWithdraw,
        prefixesTreatedAsWithdraw: s.prefixesTreatAsWithdraw,
        duplicateUpdates: s.duplicateUpdates,
      };
    },
  };
}
