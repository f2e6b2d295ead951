// The replay buffer of the NETCONF stream (RFC 5277 §2.1.1, §3.2; RFC 8639
// §2.4.2.1 replay-start-time): the newest events, bounded by a count that
// /bmpd:netconf-server/replay-buffer-size configures and by a byte budget, so
// that a burst of large events (a netconf-config-change listing thousands of
// edits) cannot grow memory whatever the count.
import type { NotificationEvent } from './notification-event.js';

/** bmpd.yang's default for replay-buffer-size. */
export const DEFAULT_REPLAY_BUFFER_EVENTS = 1000;
/** The most events replay-buffer-size accepts (its YANG range). */
export const MAX_REPLAY_BUFFER_EVENTS = 100_000;
/** Bytes of event XML the buffer holds at most, whatever its size in events. */
export const REPLAY_BUFFER_MAX_BYTES = 16 * 1024 * 1024;

export interface ReplayEntry {
  /** Counts every event recorded, so a replay can stop where live delivery took over. */
  readonly seq: number;
  readonly at: Date;
  readonly event: NotificationEvent;
}

export class ReplayBuffer {
  private entries: ReplayEntry[] = [];
  private head = 0;
  private bytes = 0;
  /** RFC 5277 replayLogCreationTime, RFC 8639 replay-log-creation-time. */
  readonly createdAt = new Date();
  /** RFC 8639 replay-log-aged-time: the time of the newest event dropped, null while none was. */
  private agedAtValue: Date | null = null;
  private lastSeqValue = 0;

  constructor(private capacity: number = DEFAULT_REPLAY_BUFFER_EVENTS, private readonly maxBytes = REPLAY_BUFFER_MAX_BYTES) {}

  get size(): number {
    return this.entries.length - this.head;
  }

  /** The seq of the newest event recorded (0: none yet). */
  get lastSeq(): number {
    return this.lastSeqValue;
  }

  get agedAt(): Date | null {
    return this.agedAtValue;
  }

  /** The oldest event still held, or null. */
  get oldest(): Date | null {
    return this.entries[this.head]?.at ?? null;
  }

  /** A new size in events (0: replay off); drops the oldest events beyond it. */
  resize(capacity: number): void {
    this.capacity = capacity;
    this.trim();
  }

  record(at: Date, event: NotificationEvent): void {
    const seq = ++this.lastSeqValue;
    if (this.capacity === 0) return;
    this.entries.push({ seq, at, event });
    this.bytes += event.xml.length;
    this.trim();
  }

  /**
   * Events with startTime <= at (and at < stopTime when given), oldest first (RFC 5277 §2.1.1), up to
   * the one numbered `upTo`: the newest before the subscription started, whose later events it gets live.
   */
  between(start: Date, stop: Date | null, upTo: number): ReplayEntry[] {
    const out: ReplayEntry[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      if (entry.seq > upTo) break;
      if (entry.at < start) continue;
      if (stop !== null && entry.at >= stop) break;
      out.push(entry);
    }
    return out;
  }

  private trim(): void {
    while (this.size > this.capacity || (this.bytes > this.maxBytes && this.size > 0)) {
      const dropped = this.entries[this.head]!;
      this.entries[this.head] = undefined as unknown as ReplayEntry;
      this.head++;
      this.bytes -= dropped.event.xml.length;
      this.agedAtValue = dropped.at;
    }
    // Compact once the dropped prefix is as large as what is held: amortised O(1) per event.
    if (this.head > 0 && this.head >= this.entries.length - this.head) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
