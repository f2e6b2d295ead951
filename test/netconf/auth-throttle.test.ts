import { describe, expect, it } from 'vitest';
import { AuthThrottle, StartupLimiter, clientText, parseStartupLimit } from '../../src/netconf/ssh-preauth.js';

const SOURCE = '192.0.2.1';

describe('failed-login throttle', () => {
  it('blocks a user from an address at the 5th failure within 60 s, for 60 s; other users and addresses stay free', () => {
    const throttle = new AuthThrottle();
    const t0 = 1_000_000;
    for (let i = 0; i < 4; i++) {
      const attempt = throttle.begin(SOURCE, 'guest', t0 + i * 1000);
      expect('blocked' in attempt).toBe(false);
      expect((attempt as { failed(now: number): unknown }).failed(t0 + i * 1000)).toBeUndefined();
    }
    const fifth = throttle.begin(SOURCE, 'guest', t0 + 4000);
    expect('failed' in fifth && fifth.failed(t0 + 4000)).toBe('user');
    expect(throttle.isBlocked(SOURCE, 'guest', t0 + 4001)).toBe(true);
    expect(throttle.isBlocked(SOURCE, 'admin', t0 + 4001)).toBe(false);
    expect(throttle.isBlocked('192.0.2.2', 'guest', t0 + 4001)).toBe(false);
    expect(throttle.isBlocked(SOURCE, 'guest', t0 + 64_000)).toBe(false);
  });

  it('counts attempts in flight: of 50 parallel attempts only the budget is admitted', () => {
    const throttle = new AuthThrottle();
    const attempts = Array.from({ length: 50 }, () => throttle.begin(SOURCE, 'admin', 0));
    expect(attempts.filter((a) => !('blocked' in a))).toHaveLength(5);
    expect(attempts.filter((a) => 'blocked' in a && a.blocked === 'user')).toHaveLength(45);
  });

  it('blocks the whole address after 20 failures across user names', () => {
    const throttle = new AuthThrottle();
    for (let i = 0; i < 20; i++) {
      const attempt = throttle.begin(SOURCE, `user${i}`, i);
      if ('blocked' in attempt) throw new Error(`attempt ${i} refused early`);
      attempt.failed(i);
    }
    expect(throttle.begin(SOURCE, 'admin', 21)).toEqual({ blocked: 'source' });
    expect('blocked' in throttle.begin('192.0.2.9', 'admin', 21)).toBe(false);
  });

  it('forgets failures older than the window and a user\'s failures after its success', () => {
    const throttle = new AuthThrottle();
    for (let i = 0; i < 4; i++) (throttle.begin(SOURCE, 'bob', i * 20_000) as { failed(n: number): unknown }).failed(i * 20_000);
    // failures at 0, 20, 40, 60 s: only three are within 60 s of the fifth at 61 s
    expect((throttle.begin(SOURCE, 'bob', 61_000) as { failed(n: number): unknown }).failed(61_000)).toBeUndefined();
    (throttle.begin(SOURCE, 'bob', 61_500) as { succeeded(): void }).succeeded();
    for (let i = 0; i < 4; i++) expect((throttle.begin(SOURCE, 'bob', 62_000 + i) as { failed(n: number): unknown }).failed(62_000 + i)).toBeUndefined();
  });

  it('tracks a bounded number of sources and users', () => {
    const throttle = new AuthThrottle({ maxFailuresPerUser: 1, maxTracked: 100 });
    for (let i = 0; i < 1000; i++) (throttle.begin(`fd00::${i.toString(16)}`, 'x', 0) as { failed(n: number): unknown }).failed(0);
    expect(throttle.isBlocked('fd00::3e7', 'x', 1)).toBe(true);
    expect(throttle.isBlocked('fd00::0', 'x', 1)).toBe(false); // the oldest gave way
  });
});

describe('unauthenticated connection limit (MaxStartups start:rate:full)', () => {
  it('admits up to start, drops with rate% from there, and everything at full', () => {
    let roll = 0;
    const limiter = new StartupLimiter({ perSource: { start: 2, rate: 50, full: 4 }, total: { start: 100, rate: 30, full: 100 }, random: () => roll });
    const held = [limiter.admit(SOURCE), limiter.admit(SOURCE)];
    expect(held.every((a) => a.admitted)).toBe(true);
    roll = 0.49; // below 50 %: dropped
    expect(limiter.admit(SOURCE)).toEqual({ admitted: false, limit: 'per-source' });
    roll = 0.5;
    expect(limiter.admit(SOURCE).admitted).toBe(true);
    roll = 0.74; // 3 held: 75 %
    expect(limiter.admit(SOURCE).admitted).toBe(false);
    roll = 0.99;
    expect(limiter.admit(SOURCE).admitted).toBe(true);
    expect(limiter.admit(SOURCE)).toEqual({ admitted: false, limit: 'per-source' }); // full
    expect(limiter.admit('192.0.2.2').admitted).toBe(true);
    const first = held[0]!;
    if (first.admitted) { first.release(); first.release(); }
    expect(limiter.unauthenticated(SOURCE)).toBe(3);
  });

  it('parses OpenSSH syntax', () => {
    expect(parseStartupLimit('10:30:100')).toEqual({ start: 10, rate: 30, full: 100 });
    expect(parseStartupLimit('8')).toEqual({ start: 8, rate: 100, full: 8 });
    expect(() => parseStartupLimit('10:30:5')).toThrow(RangeError);
    expect(() => parseStartupLimit('x')).toThrow(RangeError);
  });
});

describe('client text in logs', () => {
  it('cuts long client strings and says how long they were', () => {
    expect(clientText('admin')).toBe('admin');
    const long = clientText('a'.repeat(20_000_000));
    expect(long.length).toBeLessThan(160);
    expect(long).toContain('(20000000 chars)');
  });
});
