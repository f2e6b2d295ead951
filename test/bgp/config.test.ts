import { describe, expect, it } from 'vitest';
import { neighborKey, parseNeighborKey } from '../../src/bgp/config.js';

describe('neighbor key', () => {
  it('gives back the VRF and address it was made of', () => {
    for (const [vrf, address] of [[null, '127.0.3.1'], ['ABC', '127.0.30.1'], ['A|B', '::1'], [null, '2001:db8::1']] as const) {
      expect(parseNeighborKey(neighborKey(vrf, address))).toEqual({ vrf, address });
    }
  });
});
