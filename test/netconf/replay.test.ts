// The NETCONF stream's replay buffer (RFC 5277 :replay): bounded by events and by bytes, the
// aged time of the newest event dropped, and a replay that stops where live delivery takes over.
import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from '../../src/netconf/replay.js';
import type { NotificationEvent } from '../../src/netconf/notifications.js';

const event = (n: number, size = 10): NotificationEvent => ({ namespace: 'urn:x', name: 'e', xml: `<e xmlns="urn:x">${n}${'x'.repeat(size)}</e>` });
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

describe('ReplayBuffer', () => {
  it('keeps the newest events up to its size and reports when it dropped the last one', () => {
    const b = new ReplayBuffer(3);
    for (let i = 0; i < 5; i++) b.record(at(i), event(i));
    expect(b.size).toBe(3);
    expect(b.agedAt).toEqual(at(1));
    expect(b.oldest).toEqual(at(2));
    expect(b.between(at(0), null, b.lastSeq).map((e) => e.at.getUTCSeconds())).toEqual([2, 3, 4]);
  });

  it('replays from startTime, before stopTime, and up to the last event before the subscription', () => {
    const b = new ReplayBuffer(100);
    for (let i = 0; i < 10; i++) b.record(at(i), event(i));
    const upTo = b.lastSeq;
    b.record(at(10), event(10));
    expect(b.between(at(3), at(6), upTo).map((e) => e.at.getUTCSeconds())).toEqual([3, 4, 5]);
    expect(b.between(at(8), null, upTo).map((e) => e.at.getUTCSeconds())).toEqual([8, 9]);
  });

  it('holds no more bytes than its budget, whatever its size in events', () => {
    const b = new ReplayBuffer(1000, 10_000);
    for (let i = 0; i < 100; i++) b.record(at(i % 60), event(i, 1000));
    expect(b.size).toBeLessThanOrEqual(10);
    expect(b.size).toBeGreaterThan(0);
  });

  it('resize drops the oldest at once; 0 keeps nothing', () => {
    const b = new ReplayBuffer(10);
    for (let i = 0; i < 10; i++) b.record(at(i), event(i));
    b.resize(2);
    expect(b.between(at(0), null, b.lastSeq).map((e) => e.at.getUTCSeconds())).toEqual([8, 9]);
    b.resize(0);
    b.record(at(11), event(11));
    expect(b.size).toBe(0);
  });
});
