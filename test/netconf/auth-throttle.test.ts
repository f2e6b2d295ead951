import { describe, expect, it } from 'vitest';
import { AuthThrottle } from '../../src/netconf/ssh-transport.js';

describe('failed-login throttle', () => {
  it('blocks an address at the 5th failure within 60 s, for 60 s', () => {
    const throttle = new AuthThrottle();
    const t0 = 1_000_000;
    for (let i = 0; i < 4; i++) expect(throttle.recordFailure('192.0.2.1', t0 + i * 1000)).toBe(false);
    expect(throttle.isBlocked('192.0.2.1', t0 + 4000)).toBe(false);
    expect(throttle.recordFailure('192.0.2.1', t0 + 4000)).toBe(true);
    expect(throttle.isBlocked('192.0.2.1', t0 + 4001)).toBe(true);
    expect(throttle.isBlocked('192.0.2.2', t0 + 4001)).toBe(false);
    expect(throttle.isBlocked('192.0.2.1', t0 + 64_000)).toBe(false);
  });

  it('forgets failures older than the window and after a success', () => {
    const throttle = new AuthThrottle();
    for (let i = 0; i < 4; i++) throttle.recordFailure('192.0.2.1', i * 20_000);
    // failures at 0, 20 s, 40 s, 60 s: only three are within 60 s of the fifth at 61 s
    expect(throttle.recordFailure('192.0.2.1', 61_000)).toBe(false);
    throttle.recordSuccess('192.0.2.1');
    for (let i = 0; i < 4; i++) expect(throttle.recordFailure('192.0.2.1', 62_000 + i)).toBe(false);
  });

  it('tracks a bounded number of addresses', () => {
    const throttle = new AuthThrottle(1, 60_000, 60_000, 100);
    for (let i = 0; i < 1000; i++) throttle.recordFailure(`fd00::${i.toString(16)}`, 0);
    expect(throttle.isBlocked('fd00::3e7', 1)).toBe(true);
    expect(throttle.isBlocked('fd00::0', 1)).toBe(false); // the oldest gave way
  });
});
