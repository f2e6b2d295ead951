import { describe, expect, it } from 'vitest';
import { AuthThrottle, StartupLimiter, clientText, parseStartupLimit } from '../../src/netconf/ssh-preauth.js';

const SOURCE = '192.0.2.1';

type Attempt = { failed(now?: number): unknown; succeeded(): void };
/** An attempt the throttle admits at once (it must not be blocked nor have to wait). */
async function admitted(throttle: AuthThrottle, source: string, user: string, now: number): Promise<Attempt> {
  const attempt = await Promise.race([throttle.begin(source, user, now), new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 50))]);
  if (attempt === 'waiting' || 'blocked' in attempt) throw new Error(`attempt of ${user} from ${source} not admitted: ${JSON.stringify(attempt)}`);
  return attempt;
}

describe('failed-login throttle', () => {
  it('blocks a user from an address at the 5th failure within 60 s, for 60 s; other users and addresses stay free', async () => {
    const throttle = new AuthThrottle();
    const t0 = 1_000_000;
    for (let i = 0; i < 4; i++) {
      expect((await admitted(throttle, SOURCE, 'guest', t0 + i * 1000)).failed(t0 + i * 1000)).toBeUndefined();
    }
    const fifth = await throttle.begin(SOURCE, 'guest', t0 + 4000);
    expect('failed' in fifth && fifth.failed(t0 + 4000)).toBe('user');
    expect(throttle.isBlocked(SOURCE, 'guest', t0 + 4001)).toBe(true);
    expect(throttle.isBlocked(SOURCE, 'admin', t0 + 4001)).toBe(false);
    expect(throttle.isBlocked('192.0.2.2', 'guest', t0 + 4001)).toBe(false);
    expect(throttle.isBlocked(SOURCE, 'guest', t0 + 64_000)).toBe(false);
  });

  it('counts attempts in flight: of 50 parallel wrong passwords only the budget is checked', async () => {
    const throttle = new AuthThrottle();
    let checked = 0;
    const outcomes = await Promise.all(Array.from({ length: 50 }, async () => {
      const attempt = await throttle.begin(SOURCE, 'admin', 0);
      if ('blocked' in attempt) return attempt.blocked;
      checked += 1;
      await new Promise((r) => setTimeout(r, 5)); // the password hash
      attempt.failed(0);
      return 'checked';
    }));
    expect(checked).toBe(5);
    expect(outcomes.filter((o) => o === 'user')).toHaveLength(45);
  });

  it('parallel right passwords all get in, the budget at a time', async () => {
    const throttle = new AuthThrottle();
    let inFlight = 0;
    let most = 0;
    const outcomes = await Promise.all(Array.from({ length: 30 }, async () => {
      const attempt = await throttle.begin(SOURCE, 'admin');
      if ('blocked' in attempt) return 'blocked';
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight -= 1;
      attempt.succeeded();
      return 'in';
    }));
    expect(outcomes.every((o) => o === 'in')).toBe(true);
    expect(most).toBe(5);
  });

  it('blocks the whole address after 20 failures across user names', async () => {
    const throttle = new AuthThrottle();
    for (let i = 0; i < 20; i++) (await admitted(throttle, SOURCE, `user${i}`, i)).failed(i);
    expect(await throttle.begin(SOURCE, 'admin', 21)).toEqual({ blocked: 'source' });
    await admitted(throttle, '192.0.2.9', 'admin', 21);
  });

  it('forgets failures older than the window and a user\'s failures after its success', async () => {
    const throttle = new AuthThrottle();
    for (let i = 0; i < 4; i++) (await admitted(throttle, SOURCE, 'bob', i * 20_000)).failed(i * 20_000);
    // failures at 0, 20, 40, 60 s: only three are within 60 s of the fifth at 61 s
    expect((await admitted(throttle, SOURCE, 'bob', 61_000)).failed(61_000)).toBeUndefined();
    (await admitted(throttle, SOURCE, 'bob', 61_500)).succeeded();
    for (let i = 0; i < 4; i++) expect((await admitted(throttle, SOURCE, 'bob', 62_000 + i)).failed(62_000 + i)).toBeUndefined();
  });

  it('tracks a bounded number of sources and users', async () => {
    const throttle = new AuthThrottle({ maxFailuresPerUser: 1, maxTracked: 100 });
    for (let i = 0; i < 1000; i++) (await admitted(throttle, `fd00::${i.toString(16)}`, 'x', 0)).failed(0);
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
