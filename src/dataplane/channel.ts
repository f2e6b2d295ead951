// The one message channel between the management plane (NETCONF, datastores, the agent: the main
// thread) and the data plane (BGP speaker, BMP engine and all their sockets: a worker thread, or
// the same thread in inline mode). SPEC §1: a full-table burst must never stall NETCONF, so the
// management plane never touches the speaker or the engine, only these messages.
//
// Three kinds of message, all structured-cloneable (no class instances, no functions):
//   - a request (management → data plane) carries an `id`; exactly one reply carries the same id;
//   - a reply (data plane → management) is the request's value or its error;
//   - an event (data plane → management) reports what happened on its own (a session up or down).
// Replies and events travel on one port, so their order is the order the data plane produced
// them: a neighbor's `neighbor-established` event arrives before the reply of any request the
// data plane handled after the session came up.
//
// Cost: a request is per commit (a few for a large one: NEIGHBORS_PER_MESSAGE), RPC or <get>,
// never per prefix; events are per session change.
// The table itself never crosses the channel.
import type { NeighborChanges, NeighborConfig, NeighborKey, SpeakerConfig } from '../bgp/config.js';
import type { DownReason } from '../bgp/events.js';
import type { ActivationChanges, BmpEngineConfig, DebugTopic } from '../bmp/config.js';
import type { ResetServerResult } from '../bmp/engine.js';
import type { BmpdRunningView } from '../agent/config-snapshot.js';

/**
 * Neighbors per message of a speaker configuration (stage-speaker-neighbors). A message is
 * serialised on the sending thread in one piece: 100,000 neighbors in one took about 300 ms
 * (17 MiB), while another session's request waited; 4,096 take about 12 ms.
 */
export const NEIGHBORS_PER_MESSAGE = 4096;

/** What the management plane asks; each request's reply value is DataPlaneResults[op]. */
export type DataPlaneRequest =
  /**
   * The speaker's whole configuration (BgpSpeaker.applyConfig): throws to refuse it. With `staged`,
   * its neighbors are the `staged` ones the stage-speaker-neighbors requests before it brought
   * (config.neighbors is then empty): see applySpeakerConfig (data-plane.ts).
   */
  | { readonly op: 'apply-speaker-config'; readonly config: SpeakerConfig; readonly staged?: number }
  /** A slice of the next apply-speaker-config's neighbors, the first of them its `at`-th (from 0). */
  | { readonly op: 'stage-speaker-neighbors'; readonly at: number; readonly neighbors: readonly NeighborConfig[] }
  /** Neighbor entries added, changed or removed (BgpSpeaker.applyNeighborChanges). */
  | { readonly op: 'apply-neighbor-changes'; readonly changes: NeighborChanges }
  /** The engine's whole configuration (BmpEngine.applyConfig). */
  | { readonly op: 'apply-engine-config'; readonly config: BmpEngineConfig }
  /** Neighbor activations added, changed or removed (BmpEngine.applyActivationChanges). */
  | { readonly op: 'apply-activation-changes'; readonly changes: ActivationChanges }
  /**
   * The config-false XML of the bmpd module for <get> (src/agent/oper-state.ts), built by the
   * data plane from its own snapshots. `running` is running's view when it changed since the
   * last oper-state request, null when the data plane's copy is still current.
   */
  | { readonly op: 'oper-state'; readonly running: BmpdRunningView | null }
  /** reset-bgp-neighbor: 'clear ip bgp X' (hard) or 'clear ip bgp X soft in'. */
  | { readonly op: 'reset-neighbor'; readonly neighbor: NeighborKey; readonly soft: boolean }
  /** reset-bmp-server: 'clear ip bgp bmp server N'. */
  | { readonly op: 'reset-server'; readonly server: number }
  /** clear-bmp-counters: one server's, or every server's when `server` is absent. */
  | { readonly op: 'clear-counters'; readonly server?: number }
  /** debug-bmp: topics switched off, then on; the reply is the topics on afterwards. */
  | { readonly op: 'set-debug'; readonly enable: readonly DebugTopic[]; readonly disable: readonly DebugTopic[] }
  /** SIGTERM: Termination to every BMP server, Cease to every neighbor, every socket closed. */
  | { readonly op: 'stop' };

export type DataPlaneOp = DataPlaneRequest['op'];

/** Each request's reply value. */
export interface DataPlaneResults {
  'apply-speaker-config': null;
  'stage-speaker-neighbors': null;
  'apply-neighbor-changes': null;
  'apply-engine-config': null;
  'apply-activation-changes': null;
  /** '' when there is nothing to report. */
  'oper-state': string;
  /** False: no such neighbor (or, soft, not up with route-refresh). */
  'reset-neighbor': boolean;
  'reset-server': ResetServerResult;
  /** False: the server named is not configured. */
  'clear-counters': boolean;
  'set-debug': DebugTopic[];
  stop: null;
}

/** What the data plane reports on its own. */
export type DataPlaneEvent =
  /** The data plane is up; `threadId` is the thread it runs on (worker_threads threadId; the process's main thread is 0). */
  | { readonly kind: 'ready'; readonly threadId: number }
  /** A BMP server's TCP session came up. */
  | { readonly kind: 'server-up'; readonly id: number; readonly address: string; readonly port: number }
  /** A BMP server's session went down (or could not be set up). */
  | { readonly kind: 'server-down'; readonly id: number; readonly reason: string }
  /** A BGP neighbor entered Established. */
  | { readonly kind: 'neighbor-established'; readonly address: string; readonly vrf: string | null }
  /**
   * A BGP neighbor left Established. `address` and `vrf` are resolved by the data plane, which
   * still knows a neighbor just removed from the configuration. A NOTIFICATION `pdu` in `reason`
   * arrives as a Uint8Array (structured clone drops Buffer's class).
   */
  | { readonly kind: 'neighbor-down'; readonly address: string; readonly vrf: string | null; readonly reason: DownReason };

/** A request on the wire: `id` pairs it with its reply. */
export interface RequestMessage {
  readonly id: number;
  readonly request: DataPlaneRequest;
}

/** An error that crossed the channel: what the data plane threw, as text. */
export interface ErrorPayload {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/** Data plane → management: a reply to request `id`, or an event. */
export type DataPlaneMessage =
  | { readonly kind: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly kind: 'reply'; readonly id: number; readonly ok: false; readonly error: ErrorPayload }
  | { readonly kind: 'event'; readonly event: DataPlaneEvent };

export function errorPayload(err: unknown): ErrorPayload {
  if (err instanceof Error) return { name: err.name, message: err.message, ...(err.stack !== undefined ? { stack: err.stack } : {}) };
  return { name: 'Error', message: String(err) };
}

/** The Error the management plane sees for a request the data plane refused or failed. */
export class DataPlaneError extends Error {
  constructor(readonly op: DataPlaneOp, payload: ErrorPayload) {
    super(payload.message);
    this.name = payload.name === 'Error' ? 'DataPlaneError' : payload.name;
    if (payload.stack !== undefined) this.stack = payload.stack;
  }
}

/** The two ends' ports: a worker_threads MessagePort, a Worker (its parent's side) or parentPort. */
export interface ChannelPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}
