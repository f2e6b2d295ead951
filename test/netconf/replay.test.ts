// The NETCONF stream's replay buffer (RFC 5277 :replay): bounded by events and by bytes, the
// aged time of the newest event dropped, and a replay that stops where live delivery takes over;
// the replay sent in slices that wait for a slow reader (replayInSlices), and the bound on held events.
import { describe, expect, it } from 'vitest';
import { HeldEvents, MAX_HELD_BYTES, MAX_HELD_EVENTS, REPLAY_PAUSE_QUEUED_BYTES, REPLAY_POLL_MS, REPLAY_SLICE_MS, ReplayBuffer, replayInSlices } from '../../src/netconf/replay.js';
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

/** Busy for `ms`: the cost of one event's NACM check and framing, exaggerated. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}

describe('replayInSlices', () => {
  it('yields to the event loop after about REPLAY_SLICE_MS of sending', async () => {
    const entries = Array.from({ length: 600 }, (_, i) => i);
    let turns = 0;
    let sentThisTurn = 0;
    let mostInOneTurn = 0;
    let ticking = true;
    const tick = () => { turns++; mostInOneTurn = Math.max(mostInOneTurn, sentThisTurn); sentThisTurn = 0; if (ticking) setImmediate(tick); };
    setImmediate(tick);
    const sent = await replayInSlices(entries, {
      queuedOutputBytes: 0,
      deliver: () => { busy(0.25); sentThisTurn++; },
      active: () => true,
    });
    ticking = false;
    expect(sent).toBe(600);
    // 150 ms of sending in all; one turn sends at most a slice (8 ms / 0.25 ms) plus the 16 between looks at the clock.
    expect(turns).toBeGreaterThan(600 / (REPLAY_SLICE_MS / 0.25 + 16));
    expect(mostInOneTurn).toBeLessThanOrEqual(REPLAY_SLICE_MS / 0.25 + 16);
  });

  it('waits while the session holds more than REPLAY_PAUSE_QUEUED_BYTES unread, and goes on once it is read', async () => {
    const target = { queuedOutputBytes: REPLAY_PAUSE_QUEUED_BYTES + 1, delivered: [] as number[],
      deliver(n: number) { this.delivered.push(n); }, active: () => true };
    const done = replayInSlices([1, 2, 3], target);
    await new Promise((r) => setTimeout(r, 5 * REPLAY_POLL_MS));
    expect(target.delivered).toEqual([]);
    target.queuedOutputBytes = 0;
    expect(await done).toBe(3);
    expect(target.delivered).toEqual([1, 2, 3]);
  });

  it('stops when the target is no longer active (session closed), also while waiting for a reader', async () => {
    let active = true;
    const delivered: number[] = [];
    expect(await replayInSlices(Array.from({ length: 100 }, (_, i) => i), {
      queuedOutputBytes: 0, deliver: (n) => { delivered.push(n); if (n === 40) active = false; }, active: () => active,
    })).toBeNull();
    expect(delivered.length).toBe(41);
    const waiting = { queuedOutputBytes: REPLAY_PAUSE_QUEUED_BYTES + 1, active: true };
    const stopped = replayInSlices([1], { get queuedOutputBytes() { return waiting.queuedOutputBytes; }, deliver: () => { throw new Error('sent'); }, active: () => waiting.active });
    waiting.active = false;
    expect(await stopped).toBeNull();
  });

  it('sends what is added to the list while it runs (held live events), in order', async () => {
    const list = [0, 1, 2];
    const delivered: number[] = [];
    const sent = await replayInSlices(list, { queuedOutputBytes: 0, deliver: (n) => { delivered.push(n); if (n < 50) list.push(n + 3); }, active: () => true });
    expect(sent).toBe(list.length);
    expect(delivered).toEqual(list);
  });
});

describe('HeldEvents', () => {
  it('holds at most MAX_HELD_EVENTS events and MAX_HELD_BYTES of event text', () => {
    const held = new HeldEvents();
    let taken = 0;
    for (let i = 0; i < MAX_HELD_EVENTS; i++) if (held.hold(at(0), event(i, 0))) taken++;
    expect(taken).toBe(MAX_HELD_EVENTS);
    expect(held.hold(at(0), event(0, 0))).toBe(false);
    const big = new HeldEvents();
    expect(big.hold(at(0), event(0, MAX_HELD_BYTES - 100))).toBe(true);
    expect(big.hold(at(0), event(1, 100))).toBe(false);
    expect(big.entries.length).toBe(1);
  });
});
