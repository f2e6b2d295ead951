// The BMP engine's configuration: a readonly snapshot handed over by the agent (src/agent
// reconciles the YANG datastore into one of these). Like the speaker's snapshot, everything
// is already resolved: peer-group bmp-activate is folded into each neighbor, update-source
// interface names are turned into addresses, defaults are filled in. The engine diffs two
// snapshots and touches only what changed (BmpEngine.applyConfig).
import type { NeighborKey } from '../bgp/config.js';

/** The 'debug ip bgp bmp' topics, in the order of the model's debug-topic enumeration. */
export const DEBUG_TOPICS = ['event', 'neighbor', 'server'] as const;
export type DebugTopic = (typeof DEBUG_TOPICS)[number];

export interface BmpServerConfig {
  /** 'bmp server N'. */
  readonly id: number;
  /** 'activate': connect and report; false = configured only (status 'disabled'). */
  readonly activated: boolean;
  /** Collector address and port; both set whenever `activated` (the YANG model's must). */
  readonly address: string | null;
  readonly port: number | null;
  readonly description: string | null;
  /** Seconds before the first attempt after activation or start. */
  readonly initialDelay: number;
  /** Seconds before reconnecting after a single failure. */
  readonly failureRetryDelay: number;
  /** Seconds before reconnecting after repeated failures. */
  readonly flappingDelay: number;
  /** 'set ip dscp N', 0..63. */
  readonly dscp: number;
  /** Seconds between Statistics Report rounds; 0 = none. */
  readonly statsReportingPeriod: number;
  /** Local address to bind to (the agent resolved the interface name), null = kernel's choice. */
  readonly updateSource: string | null;
}

/** 'bmp initial-refresh': how a server that comes up gets the initial table. */
export type InitialRefresh =
  /** Neither 'delay' nor 'skip' configured: the refresh starts as soon as the first server comes up. */
  | { readonly kind: 'immediate' }
  /** 'bmp initial-refresh delay S': wait S seconds, batching the servers that come up meanwhile. */
  | { readonly kind: 'delay'; readonly seconds: number }
  /** 'bmp initial-refresh skip': no initial table, only live UPDATEs. */
  | { readonly kind: 'skip' };

/** 'neighbor X bmp-activate {all | server N ...}', after peer-group inheritance. */
export interface NeighborActivation {
  readonly neighbor: NeighborKey;
  readonly servers: 'all' | readonly number[];
}

export interface BmpEngineConfig {
  /** 'bmp buffer-size MB': bound on all queued BMP bytes, every server together. */
  readonly bufferSizeMb: number;
  readonly initialRefresh: InitialRefresh;
  readonly servers: readonly BmpServerConfig[];
  /** Only neighbors with bmp-activate; a neighbor absent here is not monitored. */
  readonly neighbors: readonly NeighborActivation[];
}

/** Everything of a snapshot but the neighbors' activations. */
export type BmpEngineSettings = Omit<BmpEngineConfig, 'neighbors'>;

/**
 * A change of some neighbors' activations only (BmpEngine.applyActivationChanges): the new
 * activation of each neighbor that has one, the key of each neighbor that no longer has any
 * (de-activated or removed).
 */
export interface ActivationChanges {
  readonly upserts: readonly NeighborActivation[];
  readonly removals: readonly NeighborKey[];
}

export const DEFAULT_BUFFER_SIZE_MB = 256;
export const MEGABYTE = 1024 * 1024;

export const EMPTY_BMP_CONFIG: BmpEngineConfig = {
  bufferSizeMb: DEFAULT_BUFFER_SIZE_MB,
  initialRefresh: { kind: 'immediate' },
  servers: [],
  neighbors: [],
};

/** The servers a neighbor is activated for ('all' expanded over the configured servers). */
export function activatedServers(activation: NeighborActivation | undefined, servers: readonly BmpServerConfig[]): number[] {
  if (activation === undefined) return [];
  const configured = servers.map((s) => s.id);
  const ids = activation.servers === 'all' ? configured : activation.servers.filter((id) => configured.includes(id));
  return [...new Set(ids)].sort((a, b) => a - b);
}

/** Fields whose change needs a new TCP session (the others are applied to the running session). */
export function needsNewSession(a: BmpServerConfig, b: BmpServerConfig): boolean {
  return a.address !== b.address || a.port !== b.port || a.dscp !== b.dscp || a.updateSource !== b.updateSource;
}
