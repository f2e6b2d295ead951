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

/**
 * Replay to a new subscriber, in slices (issue 10): a buffer of 100,000 events (16 MB) sent in one
 * synchronous loop, with a NACM read check per event for a non-admin user, held every other session
 * for as long. Each slice runs about REPLAY_SLICE_MS, then the event loop takes its turn; and while
 * the subscriber's session holds more than REPLAY_PAUSE_QUEUED_BYTES it has not taken yet, the
 * replay waits for it to read (polled every REPLAY_POLL_MS), so a slow reader costs the agent at
 * most that much queued output, not the whole replay.
 */
export const REPLAY_SLICE_MS = 8;
export const REPLAY_PAUSE_QUEUED_BYTES = 1024 * 1024;
export const REPLAY_POLL_MS = 10;
/**
 * Live events held for a subscriber while its replay is sent (they follow replayComplete, in order):
 * at most this many, and this many bytes of event XML. Beyond either, the subscriber cannot keep up
 * with the stream and the held events are given up; what that means to the subscription is the
 * caller's (RFC 5277 and RFC 8639 differ).
 */
export const MAX_HELD_EVENTS = 20_000;
export const MAX_HELD_BYTES = 4 * 1024 * 1024;

/** Live events held during a replay, bounded (MAX_HELD_EVENTS, MAX_HELD_BYTES). */
export class HeldEvents {
  readonly entries: { readonly at: Date; readonly event: NotificationEvent }[] = [];
  private bytes = 0;

  /** False when the event would pass the bound (it is not held). */
  hold(at: Date, event: NotificationEvent): boolean {
    if (this.entries.length >= MAX_HELD_EVENTS || this.bytes + event.xml.length > MAX_HELD_BYTES) return false;
    this.entries.push({ at, event });
    this.bytes += event.xml.length;
    return true;
  }
}

/** What a sliced replay needs of its subscriber. */
export interface ReplayTarget<T> {
  /** The session's output not yet taken by the client (SessionInfo.queuedOutputBytes). */
  readonly queuedOutputBytes: number;
  /** Sends one event (filter and access control are the caller's). */
  deliver(entry: T): void;
  /** False once the replay is to stop: the session closed, the subscription ended or was suspended. */
  active(): boolean;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends `entries` to `target` in slices: a replay as ReplayBuffer.between gave it when the subscription
 * was made (it holds the events themselves, so one the buffer drops meanwhile is still replayed), or
 * the held live events, a list that may grow meanwhile. Resolves with how many were sent (the list's
 * length at the last look: the caller sends any added since before its next turn), or null when the
 * target stopped being active.
 */
export async function replayInSlices<T>(entries: readonly T[], target: ReplayTarget<T>): Promise<number | null> {
  let next = 0;
  while (next < entries.length) {
    while (target.queuedOutputBytes > REPLAY_PAUSE_QUEUED_BYTES) {
      if (!target.active()) return null;
      await pause(REPLAY_POLL_MS);
    }
    if (!target.active()) return null;
    const sliceEnd = performance.now() + REPLAY_SLICE_MS;
    while (next < entries.length) {
      target.deliver(entries[next++]!);
      if (!target.active()) return null;
      // The clock and the output are looked at every few events: an event costs microseconds.
      if ((next & 15) === 0 && (performance.now() >= sliceEnd || target.queuedOutputBytes > REPLAY_PAUSE_QUEUED_BYTES)) break;
    }
    await turn();
  }
  return target.active() ? next : null;
}
