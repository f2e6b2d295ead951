import { describe, expect, it } from 'vitest';
import { BufferBudget, type BudgetResetReason } from '../../src/bmp/buffer-budget.js';
import { ManualClock } from '../../src/bmp/testing/manual-clock.js';

/** A station as the budget sees it: bytes held, bytes written, and whether it is up (resettable). */
interface Account {
  readonly name: string;
  queued: number;
  written: number;
  up: boolean;
}

function rig(budgetBytes: number, stuckMs = 10_000) {
  const clock = new ManualClock();
  const accounts: Account[] = [];
  const resets: Array<{ name: string; why: BudgetResetReason }> = [];
  const events: string[] = [];
  const budget = new BufferBudget<Account>(budgetBytes, {
    clock,
    stuckMs,
    accounts: () => accounts,
    queuedBytes: (a) => a.queued,
    bytesWritten: (a) => a.written,
    resettable: (a) => a.up,
    reset: (a, why) => {
      resets.push({ name: a.name, why });
      // What the engine does: the queue is dropped, the socket's share stays until it closes.
      a.up = false;
      a.queued = Math.min(a.queued, 10);
    },
    pause: () => events.push('pause'),
    resume: () => events.push('resume'),
  });
  const account = (name: string, queued = 0): Account => {
    const a = { name, queued, written: 0, up: true };
    accounts.push(a);
    return a;
  };
  return { clock, budget, account, accounts, resets, events };
}

describe('BufferBudget (bmp buffer-size)', () => {
  it('pauses at half the budget and resumes at a quarter', () => {
    const r = rig(1000);
    const a = r.account('a');
    a.queued = 499;
    r.budget.check();
    expect(r.events).toEqual([]);
    a.queued = 500;
    r.budget.check();
    expect(r.events).toEqual(['pause']);
    a.queued = 251;
    r.budget.check();
    expect(r.budget.paused).toBe(true);
    a.queued = 250;
    r.budget.check();
    expect(r.events).toEqual(['pause', 'resume']);
  });

  it('admits a message that fits, and resets the largest queue for one that does not', () => {
    const r = rig(1000);
    const a = r.account('a', 100);
    const b = r.account('b', 800);
    expect(r.budget.admit(a, 100)).toBe(true);
    expect(r.resets).toEqual([]);
    expect(r.budget.admit(a, 150)).toBe(true); // b is reset to make room: a keeps everything
    expect(r.resets).toEqual([{ name: 'b', why: 'buffer limit reached' }]);
    expect(b.up).toBe(false);
  });

  it('refuses a message when its own server holds the most: that server is reset', () => {
    const r = rig(1000);
    const a = r.account('a', 900);
    r.account('b', 50);
    expect(r.budget.admit(a, 100)).toBe(false);
    expect(r.resets).toEqual([{ name: 'a', why: 'buffer limit reached' }]);
  });

  it('counts sessions that are closing, and never lets the total pass the budget', () => {
    const r = rig(1000);
    const closing = r.account('closing', 700);
    closing.up = false;
    const a = r.account('a', 200);
    // Only the closing session could free bytes, and it cannot be reset again: a is refused and reset.
    expect(r.budget.admit(a, 200)).toBe(false);
    expect(r.resets).toEqual([{ name: 'a', why: 'buffer limit reached' }]);
    expect(r.budget.used()).toBeLessThanOrEqual(1000);
  });

  it('refuses a message larger than the whole budget and resets its server', () => {
    const r = rig(1000);
    const a = r.account('a');
    expect(r.budget.admit(a, 1001)).toBe(false);
    expect(r.resets).toEqual([{ name: 'a', why: 'message larger than buffer-size' }]);
  });

  it('a new budget applies at once: raising it admits what the old one refused, lowering it pauses', () => {
    const r = rig(1000);
    const a = r.account('a', 400);
    r.budget.bytes = 2000;
    expect(r.budget.admit(a, 900)).toBe(true);
    expect(r.resets).toEqual([]);
    r.budget.bytes = 600;
    expect(r.events).toEqual(['pause']);
  });

  it('while paused, resets the largest queue when it wrote nothing for stuckMs, and leaves one that drains', () => {
    const r = rig(1000, 10_000);
    const slow = r.account('slow', 450);
    const fast = r.account('fast', 100);
    r.budget.check();
    expect(r.events).toEqual(['pause']);
    slow.written = 1; // some progress: left alone
    r.clock.advance(10_000);
    expect(r.resets).toEqual([]);
    r.clock.advance(10_000); // no progress in this period
    expect(r.resets).toEqual([{ name: 'slow', why: 'buffer limit reached' }]);
    expect(fast.up).toBe(true);
    expect(r.events).toEqual(['pause', 'resume']);
  });

  it('stop() resumes and cancels the stuck timer', () => {
    const r = rig(1000);
    r.account('a', 600);
    r.budget.check();
    r.budget.stop();
    expect(r.events).toEqual(['pause', 'resume']);
    expect(r.clock.pending).toBe(0);
  });

  it('counts a retired account until it is closed, then resumes; it is never reset', async () => {
    const r = rig(1000);
    const live = r.account('live', 100);
    const closing = { name: 'closing', queued: 500, written: 0, up: true };
    let closed!: () => void;
    const done = r.budget.retire(closing, new Promise<void>((resolve) => (closed = resolve)));
    r.budget.check();
    expect(r.budget.used()).toBe(600);
    expect(r.events).toEqual(['pause']);
    expect(r.budget.largest()).toBe(live);
    closed();
    await done;
    expect(r.budget.used()).toBe(100);
    expect(r.events).toEqual(['pause', 'resume']);
  });

  it('relief() resolves at once when not paused, and otherwise on resume', async () => {
    const r = rig(1000);
    await r.budget.relief();
    const a = r.account('a', 600);
    r.budget.check();
    let relieved = false;
    const waiting = r.budget.relief().then(() => (relieved = true));
    a.queued = 300;
    r.budget.check();
    await Promise.resolve();
    expect(relieved).toBe(false); // between the marks: still paused
    a.queued = 250;
    r.budget.check();
    await waiting;
    expect(relieved).toBe(true);
  });

  it('stop() releases whoever waits for relief, and check() does nothing after it', async () => {
    const r = rig(1000);
    const a = r.account('a', 600);
    r.budget.check();
    const waiting = r.budget.relief();
    r.budget.stop();
    await waiting;
    a.queued = 900;
    r.budget.check();
    expect(r.events).toEqual(['pause', 'resume']);
    expect(r.budget.paused).toBe(false);
  });
});
