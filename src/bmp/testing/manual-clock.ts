/** A clock tests drive by hand: timers fire only inside advance(), in time order. */
import type { StationClock } from '../station.js';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

export class ManualClock implements StationClock {
  private time: number;
  private nextId = 1;
  private timers = new Map<number, Timer>();

  constructor(start = Date.UTC(2026, 3, 8, 21, 4, 0)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.time + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward by `ms`, firing every timer that falls due (including ones set meanwhile). */
  advance(ms: number): void {
    const target = this.time + ms;
    while (this.fireNextDue(target));
    this.time = target;
  }

  /**
   * advance() for code whose timers start real socket I/O (the engine with real stations): a
   * macrotask turn after each timer lets that I/O run before the next timer fires.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.time + ms;
    while (this.fireNextDue(target)) await new Promise((resolve) => setTimeout(resolve, 0));
    this.time = target;
  }

  /** Fires the earliest timer due by `target` (ties in the order they were set); false when none is. */
  private fireNextDue(target: number): boolean {
    let next: Timer | undefined;
    for (const t of this.timers.values()) if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
    if (!next) return false;
    this.timers.delete(next.id);
    this.time = next.at;
    next.fn();
    return true;
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.size;
  }
}
