// The engine's state as the oper model (bgp/bmp/state, server/state, neighbor/state) and the
// IOS-style show commands read it. Plain data, safe to post across a worker boundary.
//
// Queue columns, in bmpd terms (the seed's 'show ip bgp bmp server summary' prints them):
//   TransitionQ  neighbors with a Peer Up or Peer Down still queued for some server (not yet
//                handed to the socket).
//   MonitoringQ  neighbors waiting for their initial table for at least one server (ROUTE-REFRESH
//                not answered yet, replay not finished, the refresh delay still running, or the
//                Adj-RIB-In replay after a buffer reset).
//   ConfigQ      neighbors whose bmp-activate change caused a Peer Up or Peer Down that is still
//                queued for some server (not yet handed to the socket).
//   StatsQ       servers whose Statistics Report round is due but deferred while BMP output is
//                under backpressure (the round runs when the buffer drains).
// Per neighbor:
//   PriQ         Peer Up, Peer Down and End-of-RIB messages of this neighbor queued, all servers.
//   MsgQ         Route Monitoring messages of this neighbor queued, all servers.
import type { NeighborKey } from '../bgp/config.js';
import type { BmpServerConfig, InitialRefresh } from './config.js';
import type { StationStatus } from './engine-station.js';

export type ServerStatus = 'disabled' | StationStatus;

/** The server's configuration as the engine holds it, and its state. */
export interface ServerSnapshot extends BmpServerConfig {
  readonly status: ServerStatus;
  readonly upSince: Date | null;
  /** Seconds up, null when not up. */
  readonly upTimeSeconds: number | null;
  readonly tcb: string;
  readonly localAddress: string | null;
  readonly localPort: number | null;
  readonly messagesSent: number;
  readonly routeMonitoringSent: number;
  readonly statisticsSent: number;
  readonly lastStatsAt: Date | null;
  /** Seconds since the last Statistics Report, null before the first. */
  readonly lastStatsAgeSeconds: number | null;
  readonly connectionAttempts: number;
  readonly flaps: number;
  readonly consecutiveFailures: number;
  readonly nextAttemptSeconds: number | null;
  readonly queuedBytes: number;
  readonly sessionStartup: 'route-refresh' | 'skip';
  readonly lastError: string | null;
  /** Times the engine reset this server because it could not keep up. */
  readonly bufferResets: number;
}

export interface NeighborBmpSnapshot {
  readonly neighbor: NeighborKey;
  readonly established: boolean;
  readonly priQ: number;
  readonly msgQ: number;
  /** 'CfgSvr#': servers the neighbor is activated for ('all' expanded). */
  readonly configuredServers: readonly number[];
  /** 'ActSvr#': configured servers that are up and got this neighbor's Peer Up. */
  readonly activeServers: readonly number[];
  /** 'RM Sent': Route Monitoring messages of this neighbor, summed over servers. */
  readonly routeMonitoringSent: number;
  /** Servers still waiting for this neighbor's initial table. */
  readonly awaitingInitialTable: readonly number[];
}

export interface BmpEngineSnapshot {
  readonly serversConfigured: number;
  readonly neighborsConfigured: number;
  readonly transitionQ: number;
  readonly monitoringQ: number;
  readonly configQ: number;
  readonly statsQ: number;
  readonly refreshInProgress: boolean;
  readonly refreshScheduled: boolean;
  /** The neighbor whose initial table is being requested now. */
  readonly refreshNeighbor: NeighborKey | null;
  readonly initialRefresh: InitialRefresh;
  readonly bufferSizeBytes: number;
  readonly bufferBytesUsed: number;
  /** BGP reading is paused because BMP output is behind. */
  readonly backpressure: boolean;
  readonly servers: readonly ServerSnapshot[];
  readonly neighbors: readonly NeighborBmpSnapshot[];
}
