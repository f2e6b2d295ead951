// The BMP engine: which neighbors go to which servers and what each server is sent when.
// Stations (src/bmp/station.ts) move bytes and run the connection timers; the speaker
// (src/bgp/speaker.ts, through MonitoredSpeaker) supplies the BGP events. The engine never
// touches a socket.
//
// Lifecycle of one server, as the seed document and RFC 7854 §3.3 have it:
//   station up (Initiation sent by the station)
//   → Peer Up for every Established neighbor activated for it, in establishment order
//   → the initial table (unless 'bmp initial-refresh skip'): after the initial-refresh delay,
//     ROUTE-REFRESH to one neighbor at a time in establishment order (refresh-queue.ts), or an
//     Adj-RIB-In replay for a neighbor without route-refresh; End-of-RIB closes each table
//   → Route Monitoring of every UPDATE as received, Statistics Reports every period,
//     Peer Down when a neighbor drops or is de-activated for this server
//   → Termination when the server is de-activated (reason 0), removed (reason 4), reset by the
//     operator (reason 0, connecting again at once) or the agent stops (reason 0).
//
// Memory: every BMP byte held for the servers counts against one budget (buffer-size, all
// servers together, sessions still closing included; buffer-budget.ts). Above half of it the
// engine pauses reading from the BGP sockets; a server that keeps the budget above that mark
// for `stuckMs`, or that would push it over the budget, is reset with Termination reason 2 (out
// of resources). The loss is bmpd's, not the collector's: the server connects again at once (no
// failure timer, no flap) and gets Initiation, Peer Up and a complete replay of every
// Adj-RIB-In, 'initial-refresh skip' or not. No message is ever dropped for a server that stays
// connected.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { encodeEndOfRib } from '../bgp/codec/serializer.js';
import type { AddressFamily, NeighborKey } from '../bgp/config.js';
import type { DownEvent, DownReason, EstablishedEvent, UpdateEvent } from '../bgp/events.js';
import {
  TerminationReason,
  type BmpMessage,
  type PeerDownReason,
  type PerPeerHeader,
  type TerminationReasonCode,
} from './codec/messages.js';
import { globalDistinguisher, partsLength, routeDistinguisher, routeMonitoringHeader, serializeParts, timestampFromMillis } from './codec/serializer.js';
import {
  activatedServers,
  EMPTY_BMP_CONFIG,
  MEGABYTE,
  needsNewSession,
  type ActivationChanges,
  type BmpEngineConfig,
  type BmpEngineSettings,
  type BmpServerConfig,
  DEBUG_TOPICS,
  type DebugTopic,
  type InitialRefresh,
  type NeighborActivation,
} from './config.js';
import { BufferBudget, type BudgetResetReason } from './buffer-budget.js';
import type { MonitoredSpeaker } from './engine-speaker.js';
import { realStations, stationConfig, systemClock, type EngineClock, type StationDown, type StationFactory, type StationPort } from './engine-station.js';
import { RefreshQueue, type RefreshTarget } from './refresh-queue.js';
import type { BmpEngineSnapshot, NeighborBmpSnapshot, ServerSnapshot } from './snapshot.js';
import { statisticsEntries } from './statistics.js';

export interface BmpEngineOptions {
  readonly speaker: MonitoredSpeaker;
  readonly logger: Logger;
  /** Builds the station session of one server; default realStations() (StationSession over TCP). */
  readonly stations?: StationFactory;
  readonly clock?: EngineClock;
  /** Initiation sysName / sysDescr (RFC 7854 §4.3, both mandatory). */
  readonly sysName: string;
  readonly sysDescr: string;
  /**
   * A ROUTE-REFRESH (RFC 2918) has no end marker unless the neighbor sends End-of-RIB or uses
   * enhanced refresh (RFC 7313), so a neighbor's refresh also ends after this long without an
   * UPDATE from it. Default 3 s.
   */
  readonly refreshQuietMs?: number;
  /** Hard bound on one neighbor's refresh, so a silent neighbor cannot stall the queue. Default 120 s. */
  readonly refreshTimeoutMs?: number;
  /** A server that keeps BMP output under backpressure this long is reset. Default 10 s. */
  readonly stuckMs?: number;
}

export interface ServerUpEvent {
  readonly id: number;
  readonly address: string;
  readonly port: number;
}

export interface ServerDownEvent {
  readonly id: number;
  /** 'connection closed', 'deactivated', 'removed', 'buffer limit reached', 'reset', 'stopped', ... */
  readonly reason: string;
}

/** What resetServer did: a configured server that is not activated is left alone (the model's reset-bmp-server). */
export type ResetServerResult = 'reset' | 'not-activated' | 'not-configured';

export interface BmpEngineEvents {
  'server-up': [ServerUpEvent];
  'server-down': [ServerDownEvent];
}

/** 'config': a Peer Up or Peer Down caused by a bmp-activate change (ConfigQ as well as TransitionQ). */
type QueueKind = 'transition' | 'config' | 'endOfRib' | 'monitoring';

type Outstanding = Record<QueueKind, number>;

interface ServerEntry {
  config: BmpServerConfig;
  station: StationPort | null;
  /** Bumped for every new station or reset, so late callbacks of an old one are ignored. */
  generation: number;
  up: boolean;
  routeMonitoringSent: number;
  statisticsSent: number;
  lastStatsAt: Date | null;
  statsTimer: unknown;
  /** The period elapsed while under backpressure: the round runs on relief (StatsQ). */
  statsDeferred: boolean;
  bufferResets: number;
  /** Reset for bmpd's own buffer: the next session gets every Adj-RIB-In replayed, whatever initial-refresh says. */
  resyncOwed: boolean;
  lastError: string | null;
  /** Messages queued at this station and not yet written, per neighbor (PriQ / MsgQ / TransitionQ). */
  outstanding: Map<NeighborKey, Outstanding>;
}

interface NeighborEntry {
  readonly key: NeighborKey;
  established: EstablishedEvent | null;
  /** Establishment order: the refresh queue serves neighbors by it. */
  seq: number;
  distinguisher: Buffer;
  /** 'CfgSvr#'. */
  configured: number[];
  /** Servers that got this neighbor's Peer Up and receive its Route Monitoring ('ActSvr#'). */
  peerUp: Set<number>;
  /** Servers still waiting for this neighbor's initial table. */
  awaitingTable: Set<number>;
  /** Servers being resynchronised from this neighbor's Adj-RIB-In after a buffer reset. */
  resyncing: Set<number>;
  routeMonitoringSent: number;
}

function peerDownReason(reason: DownReason): PeerDownReason {
  switch (reason.kind) {
    case 'local-notification':
      return { reason: 'localNotification', notification: reason.pdu };
    case 'local-no-notification':
      return { reason: 'localNoNotification', fsmEvent: reason.fsmEvent };
    case 'remote-notification':
      return { reason: 'remoteNotification', notification: reason.pdu };
    case 'remote-closed':
      return { reason: 'remoteNoData' };
    case 'deconfigured':
      return { reason: 'peerDeconfigured' };
  }
}

export class BmpEngine extends EventEmitter<BmpEngineEvents> {
  private readonly speaker: MonitoredSpeaker;
  private readonly clock: EngineClock;
  private readonly stationFactory: StationFactory;
  private readonly sysName: string;
  private readonly sysDescr: string;
  private readonly log: Record<DebugTopic, Logger>;
  private readonly offLevel: string;
  private topicChildren: Record<DebugTopic, WeakRef<Logger>[]> = { event: [], neighbor: [], server: [] };
  private config: BmpEngineSettings = EMPTY_BMP_CONFIG;
  /** bmp-activate by neighbor: a change of one neighbor's activation touches one entry, never all. */
  private activations = new Map<NeighborKey, NeighborActivation>();
  private readonly servers = new Map<number, ServerEntry>();
  private readonly neighbors = new Map<NeighborKey, NeighborEntry>();
  private readonly refresh: RefreshQueue;
  private establishSeq = 0;
  private readonly budget: BufferBudget<StationPort>;
  private stopped = false;
  private readonly speakerListeners: { established: (e: EstablishedEvent) => void; update: (e: UpdateEvent) => void; down: (e: DownEvent) => void };

  constructor(options: BmpEngineOptions) {
    super();
    this.speaker = options.speaker;
    this.clock = options.clock ?? systemClock;
    this.stationFactory = options.stations ?? realStations();
    this.sysName = options.sysName;
    this.sysDescr = options.sysDescr;
    this.budget = new BufferBudget<StationPort>(EMPTY_BMP_CONFIG.bufferSizeMb * MEGABYTE, {
      clock: this.clock,
      stuckMs: options.stuckMs ?? 10_000,
      accounts: () => this.stations(),
      queuedBytes: (station) => station.queuedBytes,
      bytesWritten: (station) => station.bytesWritten,
      resettable: (station) => this.serverOf(station)?.up === true,
      reset: (station, why, used) => {
        const server = this.serverOf(station);
        if (server) this.bufferReset(server, used, why);
      },
      pause: (used) => {
        this.speaker.pauseReading();
        this.log.event.debug({ bufferBytesUsed: used }, 'BMP output behind: pausing BGP reading');
      },
      resume: (used) => {
        this.speaker.resumeReading();
        this.log.event.debug({ bufferBytesUsed: used }, 'BMP output drained: resuming BGP reading');
        if (this.stopped) return;
        for (const s of this.servers.values()) if (s.statsDeferred && s.up) this.statisticsRound(s);
      },
    });
    // One child logger per 'debug ip bgp bmp' topic; off (info) until setDebug() turns it on.
    this.log = {
      event: options.logger.child({ topic: 'event' }),
      neighbor: options.logger.child({ topic: 'neighbor' }),
      server: options.logger.child({ topic: 'server' }),
    };
    // Off = the level the agent gave (never below info: debug lines are what the topics switch).
    const base = options.logger.level;
    this.offLevel = base === 'debug' || base === 'trace' ? 'info' : base;
    for (const topic of DEBUG_TOPICS) {
      const log = this.log[topic];
      log.level = this.offLevel;
      // pino copies the level into a child when it is made: remember the children (the stations
      // make theirs from the 'server' logger) so setDebug() reaches them too.
      log.onChild = (child) => this.topicChildren[topic].push(new WeakRef(child));
    }
    this.refresh = new RefreshQueue({
      clock: this.clock,
      log: { event: this.log.event, neighbor: this.log.neighbor },
      quietMs: options.refreshQuietMs ?? 3_000,
      timeoutMs: options.refreshTimeoutMs ?? 120_000,
      candidates: () => this.refreshCandidates(),
      sendRouteRefresh: (key, afi, safi) => this.speaker.sendRouteRefresh(key, afi, safi),
      replay: (target, isCurrent) => this.replay(target.neighbor, () => this.stillAwaiting(target), isCurrent),
      finished: (target, families) => this.initialTableDone(target, families),
    });
    this.speakerListeners = {
      established: (e) => this.onEstablished(e),
      update: (e) => this.onUpdate(e),
      down: (e) => this.onDown(e),
    };
    this.speaker.on('established', this.speakerListeners.established);
    this.speaker.on('update', this.speakerListeners.update);
    this.speaker.on('down', this.speakerListeners.down);
    const already = [...this.speaker.establishedNeighbors()].sort((a, b) => a.establishedAt.getTime() - b.establishedAt.getTime());
    for (const e of already) this.onEstablished(e);
  }

  // ---- debug topics ('debug ip bgp bmp event|neighbor|server') ----

  setDebug(topic: DebugTopic, on: boolean): void {
    const level = on ? 'debug' : this.offLevel;
    this.log[topic].level = level;
    this.topicChildren[topic] = this.topicChildren[topic].filter((ref) => {
      const child = ref.deref();
      if (child) child.level = level;
      return child !== undefined;
    });
  }

  debugTopics(): DebugTopic[] {
    return DEBUG_TOPICS.filter((t) => this.log[t].isLevelEnabled('debug'));
  }

  // ---- configuration ----

  /** Diff-apply a new snapshot: only the servers and neighbors that changed are touched. */
  async applyConfig(next: BmpEngineConfig): Promise<void> {
    if (this.stopped) throw new Error('BMP engine stopped');
    const previous = this.config;
    this.config = next;
    const stops: Promise<void>[] = [];

    if (previous.bufferSizeMb !== next.bufferSizeMb) {
      this.log.event.debug({ bufferSizeMb: next.bufferSizeMb }, 'buffer size changed');
      // Every station reads the budget at each message: open sessions get the new bound too.
      this.budget.bytes = next.bufferSizeMb * MEGABYTE;
    }
    if (!sameInitialRefresh(previous.initialRefresh, next.initialRefresh)) this.initialRefreshChanged(next.initialRefresh);

    // Neighbor activation first, against the servers of the new snapshot: a server that goes
    // away gets a Termination below, one that stays gets Peer Down reason 5 / Peer Up here.
    const nextIds = new Set(next.servers.map((s) => s.id));
    this.activations = new Map(next.neighbors.map((a) => [a.neighbor, a]));
    const keys = new Set([...this.neighbors.keys(), ...this.activations.keys()]);
    for (const key of keys) this.reconcileActivation(key, nextIds);
    this.refresh.schedule(this.refreshDelayMs());

    for (const [id, server] of this.servers) {
      if (!nextIds.has(id)) {
        this.servers.delete(id);
        // RFC 7854 §4.5 reason 4: the collector should not expect this router back.
        stops.push(this.closeServer(server, 'removed', TerminationReason.permanentlyAdminClose));
      }
    }
    for (const config of next.servers) {
      const server = this.servers.get(config.id);
      if (!server) {
        const entry = this.newServer(config);
        this.servers.set(config.id, entry);
        if (config.activated) this.openServer(entry);
        continue;
      }
      const old = server.config;
      server.config = config;
      if (!config.activated) {
        if (old.activated) stops.push(this.closeServer(server, 'deactivated'));
      } else if (!old.activated) {
        this.openServer(server);
      } else if (needsNewSession(old, config)) {
        const closing = this.closeServer(server, 'reconfigured');
        stops.push(closing);
        this.openServer(server);
      } else {
        server.station?.updateConfig(stationConfig(config));
        if (old.statsReportingPeriod !== config.statsReportingPeriod && server.up) this.armStats(server);
      }
    }
    await Promise.all(stops);
  }

  /**
   * What applyConfig does for the given neighbors only, the servers and the rest as they are (the
   * agent's path for a commit that adds, changes or removes neighbors and nothing else): Peer Down
   * reason 5 to each server a neighbor lost, Peer Up and its initial table to each server it gained.
   */
  async applyActivationChanges(changes: ActivationChanges): Promise<void> {
    if (this.stopped) throw new Error('BMP engine stopped');
    for (const key of changes.removals) this.activations.delete(key);
    for (const a of changes.upserts) this.activations.set(a.neighbor, a);
    const nextIds = new Set(this.config.servers.map((s) => s.id));
    // Neighbors the engine already holds first, as applyConfig takes them.
    const keys = new Set([...changes.removals, ...changes.upserts.map((a) => a.neighbor)]);
    const ordered = [...keys].filter((k) => this.neighbors.has(k)).concat([...keys].filter((k) => !this.neighbors.has(k)));
    let tables = false;
    for (const key of ordered) if (this.reconcileActivation(key, nextIds)) tables = true;
    // Only a Peer Up that asks for a table can give the refresh queue something new to schedule;
    // asking it otherwise would walk every neighbor for nothing.
    if (tables) this.refresh.schedule(this.refreshDelayMs());
  }

  /**
   * One neighbor's activation against what its servers were told; true when a server got its
   * Peer Up with an initial table to follow.
   */
  private reconcileActivation(key: NeighborKey, nextIds: ReadonlySet<number>): boolean {
    const configured = activatedServers(this.activations.get(key), this.config.servers);
    let n = this.neighbors.get(key);
    if (!n) {
      if (configured.length === 0) return false;
      n = this.newNeighbor(key);
    }
    const entry = n;
    const removed = entry.configured.filter((id) => !configured.includes(id));
    const added = configured.filter((id) => !entry.configured.includes(id));
    entry.configured = configured;
    for (const id of removed) {
      if (!nextIds.has(id)) continue; // the Termination says it all
      const server = this.servers.get(id);
      if (server && entry.peerUp.has(id)) this.peerDown(server, entry, { reason: 'peerDeconfigured' }, 'config');
    }
    let tables = false;
    for (const id of added) {
      const server = this.servers.get(id);
      if (server?.up && entry.established) {
        this.peerUp(server, entry, { needsTable: true, kind: 'config' });
        tables = true;
      }
    }
    if (!entry.established && entry.configured.length === 0) this.neighbors.delete(key);
    return tables;
  }

  /**
   * 'clear ip bgp bmp server N': Termination (administratively closed) and connect again at once,
   * without the delay timers and without counting a flap; a server waiting for its next attempt
   * makes it now. A server that is not activated is left alone.
   */
  resetServer(id: number): ResetServerResult {
    const server = this.servers.get(id);
    if (!server) return 'not-configured';
    if (!server.station) return 'not-activated';
    this.log.server.debug({ server: id }, `BMP server ${id} reset by operator`);
    this.resetStation(server, TerminationReason.adminClose, 'reset by operator', 'reset');
    return 'reset';
  }

  /**
   * 'clear-bmp-counters': zero the Route Monitoring, Statistics Report, message, connection-attempt
   * and flap counters of one server (false when it is not configured), or of every server and every
   * neighbor. Sessions, queues and timers are not touched.
   */
  clearCounters(serverId?: number): boolean {
    const servers = serverId === undefined ? [...this.servers.values()] : [this.servers.get(serverId)].filter((s) => s !== undefined);
    if (servers.length === 0 && serverId !== undefined) return false;
    for (const server of servers) {
      server.routeMonitoringSent = 0;
      server.statisticsSent = 0;
      server.station?.clearCounters();
    }
    if (serverId === undefined) for (const n of this.neighbors.values()) n.routeMonitoringSent = 0;
    this.log.event.debug({ server: serverId ?? 'all' }, 'BMP counters cleared by operator');
    return true;
  }

  /** Termination (administratively closed) to every server, flush, close; the speaker is left running. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.budget.stop();
    this.speaker.off('established', this.speakerListeners.established);
    this.speaker.off('update', this.speakerListeners.update);
    this.speaker.off('down', this.speakerListeners.down);
    this.refresh.cancel();
    const stops = [...this.servers.values()].map((s) => this.closeServer(s, 'stopped'));
    await Promise.all(stops);
  }

  // ---- servers ----

  private newServer(config: BmpServerConfig): ServerEntry {
    return {
      config,
      station: null,
      generation: 0,
      up: false,
      routeMonitoringSent: 0,
      statisticsSent: 0,
      lastStatsAt: null,
      statsTimer: null,
      statsDeferred: false,
      bufferResets: 0,
      resyncOwed: false,
      lastError: null,
      outstanding: new Map(),
    };
  }

  private openServer(server: ServerEntry): void {
    if (server.config.address === null || server.config.port === null) {
      // The model's must forbids it; stay disabled rather than throw halfway through a commit.
      server.lastError = 'no address/port-number configured';
      this.log.server.warn({ server: server.config.id }, `BMP server ${server.config.id} activated without address/port-number`);
      return;
    }
    server.generation++;
    const station = this.stationFactory(stationConfig(server.config), {
      logger: this.log.server,
      clock: this.clock,
      sysName: this.sysName,
      sysDescr: this.sysDescr,
      budgetBytes: () => this.budget.bytes,
      onOverflow: () => {
        if (server.station === station && server.up) this.bufferReset(server, this.budget.used(), 'buffer limit reached');
      },
    });
    server.station = station;
    station.on('up', () => {
      if (server.station === station) this.stationUp(server);
    });
    station.on('down', (down: StationDown) => {
      if (server.station !== station) return;
      if (server.up) server.lastError = down.reason;
      this.stationDown(server, down.reason);
    });
    station.start();
  }

  /** Termination (administratively closed unless told otherwise) and forget the station; its bytes count until it closed. */
  private closeServer(server: ServerEntry, why: string, code: TerminationReasonCode = TerminationReason.adminClose): Promise<void> {
    const station = server.station;
    server.station = null;
    server.generation++;
    server.resyncOwed = false;
    this.stationDown(server, why);
    if (!station) return Promise.resolve();
    this.log.server.debug({ server: server.config.id, reason: why, terminationReason: code }, `BMP server ${server.config.id} closing - ${why}`);
    return this.budget.retire(station, station.stop(code, why));
  }

  private stationUp(server: ServerEntry): void {
    const { id, address, port } = server.config;
    if (server.up) return;
    server.up = true;
    // The station logged "up, invoke refresh event"; this is that event.
    const order = [...this.neighbors.values()].filter((n) => n.established && n.configured.includes(id)).sort((a, b) => a.seq - b.seq);
    const resync = server.resyncOwed;
    for (const n of order) this.peerUp(server, n, { needsTable: !resync, kind: 'transition' });
    this.log.event.debug({ server: id, neighbors: order.length, resync }, `BMP server ${id} up: Peer Up sent for ${order.length} neighbors`);
    if (resync) void this.resync(server);
    else this.refresh.schedule(this.refreshDelayMs());
    this.armStats(server);
    this.emit('server-up', { id, address: address ?? '', port: port ?? 0 });
  }

  /** Forget everything the server was told; it starts from Initiation when it reconnects. */
  private stationDown(server: ServerEntry, reason: string): void {
    const wasUp = server.up;
    server.up = false;
    server.statsDeferred = false;
    if (server.statsTimer !== null) this.clock.clearTimeout(server.statsTimer);
    server.statsTimer = null;
    server.outstanding.clear();
    const id = server.config.id;
    for (const n of this.neighbors.values()) {
      n.peerUp.delete(id);
      n.awaitingTable.delete(id);
      n.resyncing.delete(id);
    }
    if (wasUp) {
      this.log.server.debug({ server: id, reason }, `BMP server ${id} connection down - ${reason}`);
      this.emit('server-down', { id, reason });
    }
    this.budget.check();
  }

  private resetStation(server: ServerEntry, code: TerminationReasonCode, text: string, why: string): void {
    const station = server.station;
    if (!station) return;
    server.generation++;
    this.stationDown(server, why);
    server.lastError = text;
    // The same station object connects again at once and says 'up' again.
    station.reset(code, text);
  }

  // ---- neighbors ----

  private newNeighbor(key: NeighborKey): NeighborEntry {
    const n: NeighborEntry = {
      key,
      established: null,
      seq: 0,
      distinguisher: globalDistinguisher(),
      configured: [],
      peerUp: new Set(),
      awaitingTable: new Set(),
      resyncing: new Set(),
      routeMonitoringSent: 0,
    };
    this.neighbors.set(key, n);
    return n;
  }

  private onEstablished(e: EstablishedEvent): void {
    let n = this.neighbors.get(e.neighbor);
    if (!n) {
      n = this.newNeighbor(e.neighbor);
      n.configured = activatedServers(this.activations.get(e.neighbor), this.config.servers);
    }
    n.established = e;
    n.seq = ++this.establishSeq;
    n.distinguisher = globalDistinguisher();
    if (e.rd !== null) {
      try {
        n.distinguisher = routeDistinguisher(e.rd);
      } catch (err) {
        // The model validates RDs; should one slip through, report the peer with a zero RD.
        this.log.neighbor.warn({ neighbor: e.neighbor, rd: e.rd, err: (err as Error).message }, `BMP: invalid RD ${e.rd} for neighbor ${e.neighbor}`);
      }
    }
    // Established after monitoring began: no refresh, its initial UPDATEs arrive live (seed).
    for (const id of n.configured) {
      const server = this.servers.get(id);
      if (server?.up) this.peerUp(server, n, { needsTable: false, kind: 'transition' });
    }
  }

  private onUpdate(e: UpdateEvent): void {
    const n = this.neighbors.get(e.neighbor);
    if (!n || !n.established) return;
    this.refresh.updateReceived(e.neighbor, e.summary.endOfRib);
    if (n.peerUp.size === 0) return;
    this.routeMonitoring(n, e.raw, e.receivedAt, [...n.peerUp], 'monitoring');
    this.budget.check();
  }

  private onDown(e: DownEvent): void {
    const n = this.neighbors.get(e.neighbor);
    if (!n) return;
    const reason = peerDownReason(e.reason);
    for (const id of [...n.peerUp]) {
      const server = this.servers.get(id);
      if (server) this.peerDown(server, n, reason);
    }
    n.established = null;
    n.awaitingTable.clear();
    n.resyncing.clear();
    this.refresh.neighborGone(e.neighbor);
    if (n.configured.length === 0) this.neighbors.delete(e.neighbor);
  }

  private peerHeader(n: NeighborEntry, atMs: number): PerPeerHeader {
    const e = n.established!;
    return {
      peerType: e.rd === null ? 0 : 1,
      distinguisher: n.distinguisher,
      address: e.peerAddress,
      postPolicy: false, // pre-policy Adj-RIB-In: the UPDATE as received
      legacyAsPath: !e.capabilities.fourOctetAs, // the UPDATE then carries 2-octet AS_PATH (RFC 6793)
      asn: e.peerAs,
      bgpId: e.peerBgpId,
      timestamp: timestampFromMillis(atMs),
    };
  }

  /** One Route Monitoring message to each of `serverIds`: one header and the UPDATE Buffer for all, no copy, no re-encoding. */
  private routeMonitoring(n: NeighborEntry, update: Buffer, atMs: number, serverIds: readonly number[], kind: Exclude<QueueKind, 'transition'>): void {
    const parts = [routeMonitoringHeader(this.peerHeader(n, atMs), update.length), update];
    for (const id of serverIds) {
      const server = this.servers.get(id);
      // Counted once written (route-monitoring-sent, 'RM Sent'), like messages-sent.
      if (server) {
        this.deliver(server, n, parts, kind, true, () => {
          server.routeMonitoringSent++;
          n.routeMonitoringSent++;
        });
      }
    }
  }

  private peerUp(server: ServerEntry, n: NeighborEntry, options: { needsTable: boolean; kind: 'transition' | 'config' }): void {
    const e = n.established!;
    const id = server.config.id;
    const msg: BmpMessage = {
      type: 'peerUp',
      peer: this.peerHeader(n, e.establishedAt.getTime()),
      localAddress: e.localAddress,
      localPort: e.localPort,
      remotePort: e.remotePort,
      sentOpen: e.sentOpen,
      receivedOpen: e.receivedOpen,
      information: [],
    };
    if (!this.deliver(server, n, serializeParts(msg), options.kind)) return;
    n.peerUp.add(id);
    if (options.needsTable && this.config.initialRefresh.kind !== 'skip') n.awaitingTable.add(id);
    this.log.neighbor.debug({ server: id, neighbor: n.key }, `BMP Peer Up sent for neighbor ${n.key} to server ${id}`);
  }

  private peerDown(server: ServerEntry, n: NeighborEntry, reason: PeerDownReason, kind: 'transition' | 'config' = 'transition'): void {
    const id = server.config.id;
    n.peerUp.delete(id);
    n.awaitingTable.delete(id);
    n.resyncing.delete(id);
    if (!n.established) return;
    const msg: BmpMessage = { type: 'peerDown', peer: this.peerHeader(n, this.clock.now()), down: reason };
    if (!this.deliver(server, n, serializeParts(msg), kind)) return;
    this.log.neighbor.debug({ server: id, neighbor: n.key, reason: reason.reason }, `BMP Peer Down sent for neighbor ${n.key} to server ${id}`);
  }

  // ---- initial table ----

  private refreshDelayMs(): number | null {
    const r = this.config.initialRefresh;
    if (r.kind === 'skip') return null;
    return r.kind === 'delay' ? r.seconds * 1000 : 0;
  }

  private initialRefreshChanged(next: InitialRefresh): void {
    this.log.event.debug({ initialRefresh: next }, 'initial refresh changed');
    if (next.kind !== 'skip') return;
    this.refresh.cancel();
    for (const n of this.neighbors.values()) n.awaitingTable.clear();
  }

  private refreshCandidates(): RefreshTarget[] {
    const out: RefreshTarget[] = [];
    for (const n of this.neighbors.values()) {
      if (!n.established || n.awaitingTable.size === 0) continue;
      out.push({ neighbor: n.key, seq: n.seq, servers: [...n.awaitingTable], capabilities: n.established.capabilities });
    }
    return out;
  }

  /** The servers of a refresh turn that still wait for the neighbor's table. */
  private stillAwaiting(target: RefreshTarget): number[] {
    const n = this.neighbors.get(target.neighbor);
    return n ? target.servers.filter((id) => n.awaitingTable.has(id)) : [];
  }

  /**
   * Replay a neighbor's Adj-RIB-In (End-of-RIB included) to the servers `recipients()` names at
   * each UPDATE, waiting while BGP reading is paused; stops once isCurrent() is false.
   */
  private async replay(key: NeighborKey, recipients: () => readonly number[], isCurrent: () => boolean): Promise<void> {
    const n = this.neighbors.get(key);
    if (!n) return;
    let sent = 0;
    for (const update of this.speaker.replayAdjRibIn(key, { pauses: true })) {
      // The Adj-RIB-In ordering its table by attribute set: nothing to send yet, others' turn.
      if (update.length === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (!isCurrent() || !n.established) return;
        continue;
      }
      while (this.budget.paused && isCurrent() && !this.stopped) await this.budget.relief();
      if (!isCurrent() || !n.established) return;
      const servers = recipients();
      if (servers.length === 0) return;
      this.routeMonitoring(n, update, this.clock.now(), servers, 'monitoring');
      this.budget.check();
      // Yield now and then so a large table never starves the event loop (and the BGP keepalives).
      if (++sent % 256 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * After a buffer reset: every neighbor this server monitors is replayed from its Adj-RIB-In, one
   * at a time in establishment order, End-of-RIB included: the loss was bmpd's, so the collector
   * gets the complete table whatever 'initial-refresh' says, and no neighbor is asked for a
   * ROUTE-REFRESH. Another reset meanwhile starts it over on the next session.
   */
  private async resync(server: ServerEntry): Promise<void> {
    const id = server.config.id;
    const generation = server.generation;
    const current = (): boolean => server.generation === generation && server.up && !this.stopped;
    const order = [...this.neighbors.values()].filter((n) => n.peerUp.has(id)).sort((a, b) => a.seq - b.seq);
    for (const n of order) n.resyncing.add(id);
    this.log.event.debug({ server: id, neighbors: order.length }, `BMP server ${id} resynchronising ${order.length} neighbors from Adj-RIB-In`);
    for (const n of order) {
      if (!current()) return;
      if (!n.resyncing.has(id)) continue; // went down or was de-activated meanwhile
      await this.replay(n.key, () => (n.resyncing.has(id) ? [id] : []), () => current() && n.resyncing.has(id));
      n.resyncing.delete(id);
    }
    if (!current()) return;
    server.resyncOwed = false;
    this.log.event.debug({ server: id }, `BMP server ${id} resynchronised`);
    this.budget.check();
  }

  /**
   * The neighbor's initial table has been sent to `target.servers`. End-of-RIB for the families
   * the neighbor did not close itself (`families`; a replay brings its own End-of-RIB markers).
   */
  private initialTableDone(target: RefreshTarget, families: readonly AddressFamily[]): void {
    const n = this.neighbors.get(target.neighbor);
    if (!n) return;
    for (const id of target.servers) {
      if (!n.awaitingTable.delete(id)) continue;
      const server = this.servers.get(id);
      if (!server?.up || !n.peerUp.has(id)) continue;
      for (const family of families) this.routeMonitoring(n, encodeEndOfRib(family), this.clock.now(), [id], 'endOfRib');
    }
    this.budget.check();
  }

  // ---- statistics ----

  private armStats(server: ServerEntry): void {
    if (server.statsTimer !== null) this.clock.clearTimeout(server.statsTimer);
    server.statsTimer = null;
    const period = server.config.statsReportingPeriod;
    if (period <= 0 || !server.up) return;
    server.statsTimer = this.clock.setTimeout(() => {
      server.statsTimer = null;
      if (!server.up) return;
      if (this.budget.paused) server.statsDeferred = true;
      else this.statisticsRound(server);
      this.armStats(server);
    }, period * 1000);
  }

  /** One Statistics Report per neighbor this server monitors (seed: 10 neighbors → 10 reports). */
  private statisticsRound(server: ServerEntry): void {
    server.statsDeferred = false;
    const id = server.config.id;
    const neighbors = [...this.neighbors.values()].filter((n) => n.peerUp.has(id) && n.established).sort((a, b) => a.seq - b.seq);
    for (const n of neighbors) {
      const stats = this.speaker.statistics(n.key);
      if (!stats) continue;
      const msg: BmpMessage = {
        type: 'statisticsReport',
        peer: this.peerHeader(n, this.clock.now()),
        stats: statisticsEntries(stats, n.established!.capabilities.families),
      };
      this.deliver(server, n, serializeParts(msg), 'transition', false, () => server.statisticsSent++);
    }
    server.lastStatsAt = new Date(this.clock.now());
    this.log.server.debug({ server: id, reports: neighbors.length }, `BMP server ${id} statistics sent for ${neighbors.length} neighbors`);
    this.budget.check();
  }

  // ---- the byte budget (buffer-budget.ts) ----

  /** The stations of configured servers (those closing, the budget keeps count of itself). */
  private *stations(): Iterable<StationPort> {
    for (const s of this.servers.values()) if (s.station) yield s.station;
  }

  private serverOf(station: StationPort): ServerEntry | undefined {
    for (const s of this.servers.values()) if (s.station === station) return s;
    return undefined;
  }

  /**
   * Queue one message for one server, within the budget: when it does not fit, the server holding
   * the most queued bytes is reset (it is the one not keeping up) until it does; if that is
   * `server` itself, nothing is queued and false is returned (the server resynchronises).
   */
  private deliver(server: ServerEntry, n: NeighborEntry, parts: readonly Buffer[], kind: QueueKind, counted = true, onSent?: () => void): boolean {
    const station = server.station;
    if (!station || !server.up) return false;
    if (!this.budget.admit(station, partsLength(parts))) return false;
    const generation = server.generation;
    let o = server.outstanding.get(n.key);
    if (!o) {
      o = { transition: 0, config: 0, endOfRib: 0, monitoring: 0 };
      server.outstanding.set(n.key, o);
    }
    const slot = o;
    const queued = station.send(parts, (written) => {
      if (counted && server.generation === generation) slot[kind]--;
      if (written) onSent?.();
      // Bytes reached the kernel: maybe below the low-water mark now.
      if (this.budget.paused) this.budget.check();
    });
    if (queued && counted) slot[kind]++;
    return queued;
  }

  private bufferReset(server: ServerEntry, used: number, why: BudgetResetReason): void {
    const id = server.config.id;
    server.bufferResets++;
    this.log.server.warn(
      { server: id, queuedBytes: server.station?.queuedBytes ?? 0, bufferBytesUsed: used, bufferSizeBytes: this.budget.bytes, reason: why },
      `BMP server ${id} cannot keep up: ${why}, resetting the session and resynchronising it`,
    );
    server.resyncOwed = true;
    this.resetStation(server, TerminationReason.outOfResources, why, why);
  }


  // ---- state ----

  /** One neighbor's messages queued and not yet written, summed over servers. */
  private outstandingOf(key: NeighborKey): Outstanding {
    const sum: Outstanding = { transition: 0, config: 0, endOfRib: 0, monitoring: 0 };
    for (const s of this.servers.values()) {
      const o = s.outstanding.get(key);
      if (!o) continue;
      sum.transition += o.transition;
      sum.config += o.config;
      sum.endOfRib += o.endOfRib;
      sum.monitoring += o.monitoring;
    }
    return sum;
  }

  snapshot(): BmpEngineSnapshot {
    const now = this.clock.now();
    const servers: ServerSnapshot[] = [...this.servers.values()]
      .sort((a, b) => a.config.id - b.config.id)
      .map((s) => {
        const st = s.station?.state();
        const upSince = s.up ? (st?.upSince ?? null) : null;
        const c = s.config;
        return {
          ...c,
          status: !c.activated || !st ? 'disabled' : s.up ? 'up' : st.status === 'up' ? 'connecting' : st.status,
          upSince,
          upTimeSeconds: upSince ? Math.max(0, Math.floor((now - upSince.getTime()) / 1000)) : null,
          tcb: st?.tcb ?? '0x0',
          localAddress: st?.localAddress ?? null,
          localPort: st?.localPort ?? null,
          messagesSent: st?.messagesSent ?? 0,
          routeMonitoringSent: s.routeMonitoringSent,
          statisticsSent: s.statisticsSent,
          lastStatsAt: s.lastStatsAt,
          lastStatsAgeSeconds: s.lastStatsAt ? Math.max(0, Math.floor((now - s.lastStatsAt.getTime()) / 1000)) : null,
          connectionAttempts: st?.connectionAttempts ?? 0,
          flaps: st?.flaps ?? 0,
          consecutiveFailures: st?.consecutiveFailures ?? 0,
          nextAttemptSeconds: st?.nextAttemptInMs == null ? null : Math.ceil(st.nextAttemptInMs / 1000),
          queuedBytes: s.station?.queuedBytes ?? 0,
          sessionStartup: this.config.initialRefresh.kind === 'skip' ? 'skip' : 'route-refresh',
          lastError: st?.lastError ?? s.lastError,
          bufferResets: s.bufferResets,
        };
      });
    const neighbors: NeighborBmpSnapshot[] = [...this.neighbors.values()]
      .filter((n) => n.configured.length > 0)
      .map((n) => {
        const o = this.outstandingOf(n.key);
        return {
          neighbor: n.key,
          established: n.established !== null,
          priQ: o.transition + o.config + o.endOfRib,
          msgQ: o.monitoring,
          configuredServers: [...n.configured],
          activeServers: [...n.peerUp].sort((a, b) => a - b),
          routeMonitoringSent: n.routeMonitoringSent,
          awaitingInitialTable: [...new Set([...n.awaitingTable, ...n.resyncing])].sort((a, b) => a - b),
        };
      });
    const queued = [...this.neighbors.keys()].map((key) => this.outstandingOf(key));
    return {
      serversConfigured: this.config.servers.length,
      neighborsConfigured: this.activations.size,
      transitionQ: queued.filter((o) => o.transition + o.config > 0).length,
      monitoringQ: [...this.neighbors.values()].filter((n) => n.awaitingTable.size > 0 || n.resyncing.size > 0).length,
      configQ: queued.filter((o) => o.config > 0).length,
      statsQ: [...this.servers.values()].filter((s) => s.statsDeferred).length,
      refreshInProgress: this.refresh.inProgress,
      refreshScheduled: this.refresh.scheduled,
      refreshNeighbor: this.refresh.current,
      initialRefresh: this.config.initialRefresh,
      bufferSizeBytes: this.budget.bytes,
      bufferBytesUsed: this.budget.used(),
      backpressure: this.budget.paused,
      servers,
      neighbors,
    };
  }
}

function sameInitialRefresh(a: InitialRefresh, b: InitialRefresh): boolean {
  return a.kind === b.kind && (a.kind !== 'delay' || b.kind !== 'delay' || a.seconds === b.seconds);
}
