/**
 * What an SSH client may cost before it authenticates (OpenSSH's pre-auth
 * hardening as the model): how many unauthenticated connections a source may
 * hold (StartupLimiter, like MaxStartups start:rate:full per source and in
 * total), how many passwords it may have checked (AuthThrottle), and how much
 * of what it sends reaches the log (clientText).
 */

/** Longest client-controlled text (user name, subsystem, hello fragment) written to a log field. */
export const MAX_LOGGED_CLIENT_TEXT = 128;

/**
 * A client-controlled string as it may appear in a log: at most
 * MAX_LOGGED_CLIENT_TEXT characters, with the original length when cut. (A
 * compressed 20 MB user name was once logged verbatim, three times.)
 */
export function clientText(value: string, max = MAX_LOGGED_CLIENT_TEXT): string {
  return value.length <= max ? value : `${value.slice(0, max)}…(${value.length} chars)`;
}

/** OpenSSH MaxStartups syntax: refuse with probability rate% from `start` on, rising linearly to 100 % at `full`. */
export interface StartupLimit {
  readonly start: number;
  readonly rate: number;
  readonly full: number;
}

/** Parses "start:rate:full" (or a single number: start = full). */
export function parseStartupLimit(text: string): StartupLimit {
  const parts = text.split(':').map((p) => Number(p));
  const ok = (n: number | undefined): n is number => n !== undefined && Number.isInteger(n) && n >= 0;
  if (parts.length === 1 && ok(parts[0]) && parts[0] > 0) return { start: parts[0], rate: 100, full: parts[0] };
  const [start, rate, full] = parts;
  if (parts.length !== 3 || !ok(start) || !ok(rate) || !ok(full) || start < 1 || rate > 100 || full < start) {
    throw new RangeError(`'${text}' is not start:rate:full (integers, 1 <= start <= full, rate 0..100)`);
  }
  return { start, rate, full };
}

export interface StartupLimiterOptions {
  /** Unauthenticated connections from one source address; default 4:50:8. */
  readonly perSource?: StartupLimit;
  /** Unauthenticated connections in total; default OpenSSH's 10:30:100. */
  readonly total?: StartupLimit;
  /** For tests: a number in [0, 1). */
  readonly random?: () => number;
}

/**
 * Per source, full (8) stays below the total's start (10): one source alone
 * never brings the others' connections into random drop.
 */
export const DEFAULT_PER_SOURCE_STARTUPS: StartupLimit = { start: 4, rate: 50, full: 8 };
export const DEFAULT_TOTAL_STARTUPS: StartupLimit = { start: 10, rate: 30, full: 100 };

/**
 * Counts unauthenticated connections per source and in total, and decides
 * whether a new one is admitted (early random drop). One source filling its
 * share no longer locks everyone else out: 128 idle connections from one host
 * used to take every slot for the 30 s of the authentication deadline.
 */
export class StartupLimiter {
  private readonly perSource: StartupLimit;
  private readonly total: StartupLimit;
  private readonly random: () => number;
  private readonly bySource = new Map<string, number>();
  private count = 0;

  constructor(options: StartupLimiterOptions = {}) {
    this.perSource = options.perSource ?? DEFAULT_PER_SOURCE_STARTUPS;
    this.total = options.total ?? DEFAULT_TOTAL_STARTUPS;
    this.random = options.random ?? Math.random;
  }

  /** Unauthenticated connections now held, from `source` or in total. */
  unauthenticated(source?: string): number {
    return source === undefined ? this.count : this.bySource.get(source) ?? 0;
  }

  /**
   * Admits a new unauthenticated connection from `source`, or says which
   * limit refused it. An admitted one must be released exactly once (it
   * authenticated or closed).
   */
  admit(source: string): { admitted: true; release: () => void } | { admitted: false; limit: 'per-source' | 'total' } {
    if (this.drops(this.bySource.get(source) ?? 0, this.perSource)) return { admitted: false, limit: 'per-source' };
    if (this.drops(this.count, this.total)) return { admitted: false, limit: 'total' };
    this.bySource.set(source, (this.bySource.get(source) ?? 0) + 1);
    this.count += 1;
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.count -= 1;
        const left = (this.bySource.get(source) ?? 1) - 1;
        if (left > 0) this.bySource.set(source, left);
        else this.bySource.delete(source);
      },
    };
  }

  /** OpenSSH sshd.c drop_connection(): at `start` refuse with rate%, linearly up to 100 % at `full`. */
  private drops(held: number, limit: StartupLimit): boolean {
    if (held < limit.start) return false;
    if (held >= limit.full) return true;
    const span = limit.full - limit.start;
    const probability = (limit.rate + ((100 - limit.rate) * (held - limit.start)) / span) / 100;
    return this.random() < probability;
  }
}

export interface AuthThrottleOptions {
  /** Failed logins of one user from one source within windowMs that block that pair; default 5. */
  readonly maxFailuresPerUser?: number;
  /** Failed logins from one source (any user) within windowMs that block the source; default 20. */
  readonly maxFailuresPerSource?: number;
  /** Default 60 s. */
  readonly windowMs?: number;
  /** How long a block lasts; default 60 s. */
  readonly blockMs?: number;
  /** Sources and pairs remembered at most (the oldest give way); default 10,000. */
  readonly maxTracked?: number;
}

/** One login attempt admitted by the throttle; exactly one of its outcomes is reported. */
export interface LoginAttempt {
  /** Returns the block it started, if any. */
  failed(now?: number): 'user' | 'source' | undefined;
  succeeded(): void;
}

interface Budget {
  failures: number[];
  inFlight: number;
  blockedUntil: number;
  /** begin() calls waiting for an attempt in flight to end. */
  readonly waiters: (() => void)[];
}

/**
 * Failed-login throttle, keyed by source and user, with a total per source.
 * An attempt counts from when it starts (begin), not when its password hash
 * finishes, so 50 parallel wrong passwords get at most the budget checked, the
 * rest refused without hashing once those failed. One user's failures block that user from that
 * source only: five wrong passwords for 'guest' from 127.0.0.1 no longer lock
 * 'admin' out, while maxFailuresPerSource still bounds a source trying many
 * names.
 */
export class AuthThrottle {
  readonly maxFailuresPerUser: number;
  readonly maxFailuresPerSource: number;
  readonly windowMs: number;
  readonly blockMs: number;
  private readonly maxTracked: number;
  private readonly budgets = new Map<string, Budget>();

  constructor(options: AuthThrottleOptions = {}) {
    this.maxFailuresPerUser = options.maxFailuresPerUser ?? 5;
    this.maxFailuresPerSource = options.maxFailuresPerSource ?? 20;
    this.windowMs = options.windowMs ?? 60_000;
    this.blockMs = options.blockMs ?? 60_000;
    this.maxTracked = options.maxTracked ?? 10_000;
  }

  /**
   * Starts an attempt, or says what blocks it (no password is checked then).
   * While the budget is taken only by attempts still in flight (they may yet
   * succeed), it waits for them: 100 parallel logins with the right password
   * all get in, five at a time, while of 50 wrong ones at most five are checked.
   */
  async begin(source: string, user: string, now?: number): Promise<LoginAttempt | { blocked: 'user' | 'source' }> {
    for (;;) {
      const at = now ?? Date.now();
      this.makeRoom(at);
      const pair = this.budget(pairKey(source, user), at);
      const total = this.budget(sourceKey(source), at);
      const pairState = this.state(pair, this.maxFailuresPerUser, at);
      const totalState = this.state(total, this.maxFailuresPerSource, at);
      if (pairState === 'blocked') return { blocked: 'user' };
      if (totalState === 'blocked') return { blocked: 'source' };
      if (pairState === 'free' && totalState === 'free') return this.admit(pair, total);
      await new Promise<void>((resolve) => (pairState === 'busy' ? pair : total).waiters.push(resolve));
    }
  }

  private admit(pair: Budget, total: Budget): LoginAttempt {
    pair.inFlight += 1;
    total.inFlight += 1;
    let done = false;
    const finish = () => {
      if (done) return false;
      done = true;
      pair.inFlight -= 1;
      total.inFlight -= 1;
      return true;
    };
    const wake = () => {
      for (const resolve of pair.waiters.splice(0)) resolve();
      for (const resolve of total.waiters.splice(0)) resolve();
    };
    return {
      failed: (at = Date.now()) => {
        if (!finish()) return undefined;
        const userBlock = this.fail(pair, this.maxFailuresPerUser, at);
        const sourceBlock = this.fail(total, this.maxFailuresPerSource, at);
        wake();
        return sourceBlock ? 'source' : userBlock ? 'user' : undefined;
      },
      succeeded: () => {
        if (!finish()) return;
        pair.failures = [];
        wake();
      },
    };
  }

  /** True while `source` may not log in as `user`. */
  isBlocked(source: string, user: string, now = Date.now()): boolean {
    this.makeRoom(now);
    return this.state(this.budget(pairKey(source, user), now), this.maxFailuresPerUser, now) === 'blocked' ||
      this.state(this.budget(sourceKey(source), now), this.maxFailuresPerSource, now) === 'blocked';
  }

  /** blocked: failures used the budget up; busy: attempts in flight hold the rest of it; free: one more may start. */
  private state(budget: Budget, max: number, now: number): 'blocked' | 'busy' | 'free' {
    if (now < budget.blockedUntil) return 'blocked';
    budget.failures = budget.failures.filter((t) => now - t < this.windowMs);
    if (budget.failures.length >= max) return 'blocked';
    return budget.failures.length + budget.inFlight >= max ? 'busy' : 'free';
  }

  /** Records a failure; true when it started a block. */
  private fail(budget: Budget, max: number, now: number): boolean {
    budget.failures = budget.failures.filter((t) => now - t < this.windowMs);
    budget.failures.push(now);
    if (budget.failures.length < max) return false;
    budget.failures = [];
    budget.blockedUntil = now + this.blockMs;
    return true;
  }

  private budget(key: string, now: number): Budget {
    let budget = this.budgets.get(key);
    if (budget === undefined) {
      budget = { failures: [], inFlight: 0, blockedUntil: 0, waiters: [] };
    } else {
      this.budgets.delete(key); // re-insert: Map order doubles as LRU order
    }
    this.budgets.set(key, budget);
    return budget;
  }

  /** Room for the two budgets of one attempt: idle budgets go, else the least recently used ones with nothing in flight. */
  private makeRoom(now: number): void {
    if (this.budgets.size + 2 <= this.maxTracked) return;
    for (const [key, b] of this.budgets) {
      if (b.inFlight === 0 && now >= b.blockedUntil && b.failures.every((t) => now - t >= this.windowMs)) this.budgets.delete(key);
    }
    for (const [key, b] of this.budgets) {
      if (this.budgets.size + 2 <= this.maxTracked) return;
      if (b.inFlight === 0) this.budgets.delete(key);
    }
  }
}

/** Longest user name a budget is keyed by: names longer than any real one share the budget of their prefix. */
const MAX_KEYED_USER = 256;

function pairKey(source: string, user: string): string {
  return `${source}\u0000${user.slice(0, MAX_KEYED_USER)}`;
}

function sourceKey(source: string): string {
  return source;
}
