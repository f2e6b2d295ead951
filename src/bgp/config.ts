// The BGP speaker's configuration: a readonly snapshot handed over by the agent
// (src/agent reconciles the YANG datastore into one of these). Peer groups are
// already resolved by the caller: every NeighborConfig carries its effective
// values, so the speaker never needs to know that a peer-group existed.
import type { AddressFamily } from './codec/messages.js';

/** The families the codec decodes are the ones a neighbor can be configured with. */
export type { AddressFamily };

export interface NeighborTimers {
  /** Seconds between KEEPALIVEs we send; 0 = derive from the negotiated hold time (hold / 3). */
  readonly keepalive: number;
  /** Hold time we offer in our OPEN (0 or 3..65535, RFC 4271 §4.2). */
  readonly holdTime: number;
}

/** A VRF neighbor's routing instance; BMP reports it as peer type 1 with `rd` as Peer Distinguisher. */
export interface VrfRef {
  readonly name: string;
  /** Route distinguisher as written in the config, e.g. "65000:1" or "192.0.2.1:7". */
  readonly rd: string;
}

export interface NeighborConfig {
  /** Peer IPv4 or IPv6 address (the neighbor's key together with `vrf`). */
  readonly address: string;
  readonly remoteAs: number;
  readonly description: string | null;
  /**
   * Local IP address to bind outgoing connections to (the caller resolves an interface
   * name to its address). VRF neighbors that share a peer address with another neighbor
   * MUST each have a distinct update-source: that is how an incoming connection is told apart.
   */
  readonly updateSource: string | null;
  /** TCP MD5 signature key (RFC 2385), null = none. */
  readonly password: string | null;
  /** Never connect out; only accept the neighbor's connection. */
  readonly passive: boolean;
  readonly timers: NeighborTimers;
  /** Administratively shut down: no session, NOTIFICATION Cease/2 when it was up. */
  readonly shutdown: boolean;
  readonly addressFamilies: readonly AddressFamily[];
  readonly vrf: VrfRef | null;
  /** TCP port of the neighbor (179 unless a lab peer listens elsewhere). */
  readonly remotePort?: number;
}

export interface SpeakerConfig {
  /** Local AS (4-octet capable, RFC 6793). */
  readonly asNumber: number;
  /** BGP Identifier, dotted quad. */
  readonly routerId: string;
  /** Where the speaker accepts BGP connections; an empty address list = no listener (active only). */
  readonly listen: { readonly addresses: readonly string[]; readonly port: number };
  readonly neighbors: readonly NeighborConfig[];
  /** ConnectRetryTime, RFC 4271 §10 suggests 120 s; tests use a short one. */
  readonly connectRetrySeconds?: number;
}

/** Everything of a snapshot but its neighbors (what a change of some neighbors leaves alone). */
export type SpeakerSettings = Omit<SpeakerConfig, 'neighbors'>;

/**
 * A change of some neighbors only, the rest of the snapshot as it is (BgpSpeaker.applyNeighborChanges):
 * the effective configuration of each neighbor added or changed, the key of each neighbor removed.
 */
export interface NeighborChanges {
  readonly upserts: readonly NeighborConfig[];
  readonly removals: readonly NeighborKey[];
}

export const DEFAULT_BGP_PORT = 179;
export const DEFAULT_CONNECT_RETRY_SECONDS = 120;

/** The neighbor's key: unique across the global table and all VRFs (see src/bgp/README.md). */
export type NeighborKey = string;

export function neighborKey(vrf: string | null, address: string): NeighborKey {
  return vrf === null ? address : `${vrf}|${address}`;
}

/** A NeighborKey's parts again: an address holds no '|', so the last one ends the VRF name. */
export function parseNeighborKey(key: NeighborKey): { readonly vrf: string | null; readonly address: string } {
  const bar = key.lastIndexOf('|');
  return bar < 0 ? { vrf: null, address: key } : { vrf: key.slice(0, bar), address: key.slice(bar + 1) };
}

export function neighborKeyOf(neighbor: NeighborConfig): NeighborKey {
  return neighborKey(neighbor.vrf?.name ?? null, neighbor.address);
}
