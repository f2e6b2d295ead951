// bmpd's side of the integration tests' BGP sessions: a speaker neighbor with the defaults every
// test file shares (active, hold time 30 s, IPv4 unicast, global table); `extra` overrides.
import type { NeighborConfig } from '../../../src/bgp/config.js';

export function neighborConfig(address: string, remoteAs: number, extra: Partial<NeighborConfig> = {}): NeighborConfig {
  return {
    address,
    remoteAs,
    description: null,
    updateSource: null,
    password: null,
    passive: false,
    timers: { keepalive: 0, holdTime: 30 },
    shutdown: false,
    addressFamilies: ['ipv4-unicast'],
    vrf: null,
    ...extra,
  };
}
