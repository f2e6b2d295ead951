import type { NeighborConfig, SpeakerConfig } from '../bgp/config.js';
import { neighborPath } from './config-snapshot.js';

export interface NeighborConflicts {
  readonly refuse: { readonly path: string; readonly message: string } | null;
  readonly warnings: string[];
}

/**
 * The same peer address in two routing instances, both bound to the same
 * explicit update-source: their connections would share a local and a remote
 * address, so neither the speaker nor the neighbor could tell them apart
 * (src/bgp/README.md). YANG cannot express this, so the commit is refused
 * here, before anything is touched. Without an explicit update-source the
 * outgoing connections are distinct and only an incoming one is ambiguous:
 * that is reported as a problem, and the commit goes through (the seed's
 * own example configures 2001:DB8::2002 globally and in vrf1).
 */
export function neighborConflicts(config: SpeakerConfig): NeighborConflicts {
  const { refuse, warnings } = conflictsAmong(config.neighbors);
  return { refuse: refuse === null ? null : { path: refuse.path, message: refuse.message }, warnings };
}

/**
 * Neighbors that can conflict share this: the same address and the same update-source. A commit
 * that changes a few neighbors need only look at their groups (src/agent/running-index.ts).
 */
export function conflictGroup(n: NeighborConfig): string {
  return `${n.address} via ${n.updateSource ?? '*'}`;
}

/** The check over neighbors in snapshot order; the refusal names the neighbor it is about. */
export function conflictsAmong(neighbors: Iterable<NeighborConfig>): {
  refuse: { path: string; message: string; neighbor: NeighborConfig } | null;
  warnings: string[];
} {
  const seen = new Map<string, string | null>();
  const warnings: string[] = [];
  const where = (vrf: string | null) => vrf ?? 'the global table';
  for (const n of neighbors) {
    const key = conflictGroup(n);
    const other = seen.get(key);
    if (other !== undefined) {
      const both = `neighbor ${n.address} is configured in ${where(other)} and in ${where(n.vrf?.name ?? null)}`;
      if (n.updateSource === null) {
        warnings.push(`${both} without update-source: an incoming connection from it goes to the first; give each a distinct update-source`);
      } else {
        const path = neighborPath(n.vrf === null
          ? { kind: 'global', address: n.address }
          : { kind: 'vrf', vrf: n.vrf.name, afi: n.address.includes(':') ? 'ipv6' : 'ipv4', address: n.address });
        const message = `${both} with the same update-source ${n.updateSource}: their connections could not be told apart; give each a distinct update-source address`;
        return { refuse: { path, message, neighbor: n }, warnings };
      }
    }
    seen.set(key, n.vrf?.name ?? null);
  }
  return { refuse: null, warnings };
}
