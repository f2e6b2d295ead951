/**
 * The subscriptions' share of the evaluation workers (SPEC §4 "Bounded work", issue 14).
 *
 * Every push is one evaluation in the worker threads that also serve everyone's <get>, <get-config>
 * and <get-data>. Left alone, one user holding 32 on-change subscriptions with 32 distinct filters
 * would queue 32 evaluations per change in front of every read. Here subscription reads wait in a
 * queue of their own and reach the workers only within a share:
 * - at most `slots` subscription evaluations run at once (the server gives all workers but one:
 *   a <get> always finds a worker that no subscription holds);
 * - at most one of them per user, and the next to run is the waiting user served least recently,
 *   so a user with many filters delays only their own updates: another user's update waits for at
 *   most the one of theirs that runs;
 * - a read asked for while an equal one (same user and filter) waits in the queue joins it, and so
 *   does one asked for while an equal one runs that began after the last change (`epoch`): ten
 *   subscribers woken by one change cost one evaluation, and a subscription coalesces the changes
 *   that come while it waits into that one.
 */

/** A read's result and the change epoch at which it began: a change after it may be missing from it. */
export interface EpochRead {
  readonly xml: string;
  readonly epoch: number;
}

interface Pending {
  readonly key: string;
  readonly user: string;
  readonly run: () => Promise<string>;
  readonly promise: Promise<EpochRead>;
  resolve(read: EpochRead): void;
  reject(err: unknown): void;
  /** The epoch when it began to run; null while queued. */
  epoch: number | null;
}

export class FairShare {
  private running = 0;
  private readonly busyUsers = new Set<string>();
  /** Queued reads per user, users in the order they began to wait. */
  private readonly queues = new Map<string, Pending[]>();
  /** The turn each user with something queued or running was last served at. */
  private readonly servedAt = new Map<string, number>();
  private turns = 0;
  /** Queued or running reads by key, for joining. */
  private readonly byKey = new Map<string, Pending>();

  /**
   * @param slots subscription evaluations that may run at once (at least 1)
   * @param epoch the current change epoch: grows with every change on-change reports
   */
  constructor(private readonly slots: number, private readonly epoch: () => number) {}

  /** Reads queued or running now (for tests and the log). */
  get pending(): number {
    return this.byKey.size;
  }

  /** The result of `run` for `user`, run within the share, or of an equal read that serves as well. */
  read(user: string, key: string, run: () => Promise<string>): Promise<EpochRead> {
    const same = this.byKey.get(key);
    if (same !== undefined && (same.epoch === null || same.epoch === this.epoch())) return same.promise;
    let resolve!: (read: EpochRead) => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<EpochRead>((res, rej) => { resolve = res; reject = rej; });
    const job: Pending = { key, user, run, promise, resolve, reject, epoch: null };
    this.byKey.set(key, job);
    const queue = this.queues.get(user);
    if (queue === undefined) this.queues.set(user, [job]);
    else queue.push(job);
    this.pump();
    return promise;
  }

  private pump(): void {
    while (this.running < Math.max(1, this.slots)) {
      let user: string | undefined;
      let turn = Infinity;
      for (const u of this.queues.keys()) {
        const served = this.servedAt.get(u) ?? -1;
        if (!this.busyUsers.has(u) && served < turn) { user = u; turn = served; }
      }
      if (user === undefined) return;
      const queue = this.queues.get(user)!;
      const job = queue.shift()!;
      if (queue.length === 0) this.queues.delete(user);
      this.servedAt.set(user, ++this.turns);
      this.start(job);
    }
  }

  private start(job: Pending): void {
    this.running++;
    this.busyUsers.add(job.user);
    const epoch = this.epoch();
    job.epoch = epoch;
    const done = () => {
      this.running--;
      this.busyUsers.delete(job.user);
      if (!this.queues.has(job.user)) this.servedAt.delete(job.user);
      if (this.byKey.get(job.key) === job) this.byKey.delete(job.key);
      this.pump();
    };
    let started: Promise<string>;
    try {
      started = job.run();
    } catch (err) {
      started = Promise.reject(err);
    }
    started.then((xml) => { done(); job.resolve({ xml, epoch }); }, (err: unknown) => { done(); job.reject(err); });
  }
}
