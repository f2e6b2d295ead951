// The engine's byte budget ('bmp buffer-size'): every BMP byte bmpd holds for its servers, all
// servers together, and the backpressure that keeps it there. Accounts are the stations: those
// up, and those closing after a reset or a removal (their Termination and what their socket
// still holds count until the socket is closed, so the bound is hard).
//
//   used ≥ budget / 2           pause: the engine stops reading from the BGP sockets
//   used ≤ budget / 4           resume
//   paused for stuckMs, and the largest resettable account wrote nothing meanwhile
//                               that account is reset (the engine sends Termination reason 2)
//   a message that does not fit the largest resettable accounts are reset until it does; a
//                               message larger than the whole budget is refused (its server
//                               is reset too: a collector never silently misses one)
//
// The budget is read at every admission, so a buffer-size changed at run time applies at once.
// Work that waits for room (an Adj-RIB-In replay) awaits relief(): it resolves on resume.
import type { EngineClock } from './engine-station.js';

export interface BufferBudgetOptions<A> {
  readonly clock: EngineClock;
  /** How long the budget may stay paused while the largest account writes nothing. */
  readonly stuckMs: number;
  /** The accounts of configured servers holding bytes now; those closing are retire()d here. */
  accounts(): Iterable<A>;
  queuedBytes(account: A): number;
  /** Bytes the account has written so far (grows while it makes progress). */
  bytesWritten(account: A): number;
  /** Whether resetting the account frees its queue (a session that is up; never one retired). */
  resettable(account: A): boolean;
  /** Reset the account: its queue is dropped and its session resynchronised. */
  reset(account: A, why: BudgetResetReason, usedBytes: number): void;
  pause(usedBytes: number): void;
  resume(usedBytes: number): void;
}

export type BudgetResetReason = 'buffer limit reached' | 'message larger than buffer-size';

export class BufferBudget<A> {
  private budget: number;
  private isPaused = false;
  private stuckTimer: unknown = null;
  private stopped = false;
  /** Accounts closing (Termination being flushed): their bytes count until they are closed. */
  private readonly retired = new Set<A>();
  private reliefWaiters: Array<() => void> = [];

  constructor(
    budgetBytes: number,
    private readonly options: BufferBudgetOptions<A>,
  ) {
    this.budget = budgetBytes;
  }

  get bytes(): number {
    return this.budget;
  }

  /** A new buffer-size: applies to the next admission and re-checks the marks at once. */
  set bytes(value: number) {
    this.budget = value;
    this.check();
  }

  get paused(): boolean {
    return this.isPaused;
  }

  /** Every byte held: stations up and stations closing (called per message: no generator here). */
  used(): number {
    let total = 0;
    for (const a of this.options.accounts()) total += this.options.queuedBytes(a);
    for (const a of this.retired) total += this.options.queuedBytes(a);
    return total;
  }

  /** Stations up and stations closing: every byte bmpd holds for its servers. */
  private *allAccounts(): Iterable<A> {
    yield* this.options.accounts();
    yield* this.retired;
  }

  /** An account closing: it counts until `closed` settles, then the marks are checked again. */
  retire(account: A, closed: Promise<void>): Promise<void> {
    this.retired.add(account);
    return closed.finally(() => {
      this.retired.delete(account);
      this.check();
    });
  }

  /** Resolves once reading resumes (or the budget stops): for work that waits for room. */
  relief(): Promise<void> {
    if (!this.isPaused || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.reliefWaiters.push(resolve));
  }

  /** The resettable account holding the most bytes; null when none holds any. */
  largest(): A | null {
    let best: A | null = null;
    let bestBytes = 0;
    for (const a of this.options.accounts()) {
      if (!this.options.resettable(a)) continue;
      const bytes = this.options.queuedBytes(a);
      if (bytes > bestBytes) {
        best = a;
        bestBytes = bytes;
      }
    }
    return best;
  }

  /**
   * Room for `size` more bytes of `owner` (a resettable account): the largest accounts are reset
   * until the bytes fit. False when they may not be queued; `owner` has then been reset.
   */
  admit(owner: A, size: number): boolean {
    if (size > this.budget) {
      this.options.reset(owner, 'message larger than buffer-size', this.used());
      return false;
    }
    for (;;) {
      const used = this.used();
      if (used + size <= this.budget) return true;
      // Only sessions already closing hold the bytes: the owner cannot be given room now.
      const hog = this.largest() ?? owner;
      this.options.reset(hog, 'buffer limit reached', used);
      if (hog === owner) return false;
    }
  }

  /** Pause above half the budget, resume below a quarter; call after bytes were queued or written. */
  check(): void {
    if (this.stopped) return;
    const used = this.used();
    if (!this.isPaused && used >= this.budget / 2) {
      this.isPaused = true;
      this.options.pause(used);
      this.armStuckTimer();
    } else if (this.isPaused && used <= this.budget / 4) {
      this.isPaused = false;
      this.clearStuckTimer();
      this.options.resume(used);
      this.releaseWaiters();
    }
  }

  /** The engine stops: timers off, resumed if paused, waiters released; check() does nothing from now on. */
  stop(): void {
    this.stopped = true;
    this.clearStuckTimer();
    if (this.isPaused) {
      this.isPaused = false;
      this.options.resume(this.used());
    }
    this.releaseWaiters();
  }

  private releaseWaiters(): void {
    const waiters = this.reliefWaiters;
    this.reliefWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * While paused, the account holding most bytes is reset when it wrote nothing for stuckMs. One
   * that drains, however slowly, is left alone; one that reads nothing at all would otherwise keep
   * the BGP sessions paused for ever.
   */
  private armStuckTimer(): void {
    this.clearStuckTimer();
    const written = new Map<A, number>();
    for (const a of this.allAccounts()) written.set(a, this.options.bytesWritten(a));
    this.stuckTimer = this.options.clock.setTimeout(() => {
      this.stuckTimer = null;
      if (!this.isPaused) return;
      const hog = this.largest();
      if (hog !== null && this.options.bytesWritten(hog) <= (written.get(hog) ?? 0)) this.options.reset(hog, 'buffer limit reached', this.used());
      this.check();
      if (this.isPaused) this.armStuckTimer();
    }, this.options.stuckMs);
  }

  private clearStuckTimer(): void {
    if (this.stuckTimer !== null) this.options.clock.clearTimeout(this.stuckTimer);
    this.stuckTimer = null;
  }
}
