import { describe, expect, it } from 'vitest';
import type { NeighborConfig, SpeakerConfig } from '../../src/bgp/config.js';
import { neighborConflicts } from '../../src/agent/neighbor-conflicts.js';

function neighbor(address: string, vrf: string | null, updateSource: string | null): NeighborConfig {
  return {
    address, remoteAs: 65001, description: null, updateSource, password: null, passive: false,
    timers: { keepalive: 60, holdTime: 180 }, shutdown: false, addressFamilies: ['ipv4-unicast'],
    vrf: vrf === null ? null : { name: vrf, rd: '65000:1' },
  };
}

function config(...neighbors: NeighborConfig[]): SpeakerConfig {
  return { asNumber: 65000, routerId: '192.0.2.1', listen: { addresses: [], port: 179 }, neighbors };
}

describe('neighbor conflicts across routing instances', () => {
  it('refuses the same peer in two instances bound to the same update-source, naming the second', () => {
    const r = neighborConflicts(config(neighbor('127.0.3.1', null, '127.0.0.9'), neighbor('127.0.3.1', 'red', '127.0.0.9')));
    expect(r.refuse?.path).toBe("/bmpd:bgp/vrf[name='red']/address-family[afi='ipv4']/neighbor[address='127.0.3.1']");
    expect(r.refuse?.message).toContain('the global table and in red');
  });

  it('only warns when neither sets an update-source (the seed has ::2 global and in vrf1)', () => {
    const r = neighborConflicts(config(neighbor('::2', null, null), neighbor('::2', 'vrf1', null)));
    expect(r.refuse).toBeNull();
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain('::2');
  });

  it('accepts the same peer from distinct update-sources', () => {
    const r = neighborConflicts(config(neighbor('127.0.3.1', 'a', '127.0.0.8'), neighbor('127.0.3.1', 'b', '127.0.0.9')));
    expect(r).toEqual({ refuse: null, warnings: [] });
  });
});
