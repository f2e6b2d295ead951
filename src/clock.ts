/**
 * Time for code whose timing tests must control: production passes
 * realClock, tests a clock they advance by hand (src/bmp/testing/manual-clock.ts).
 * Neither plane owns it, so both may import it.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's own timers, unref'd: a pending timer alone does not keep the process alive. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
