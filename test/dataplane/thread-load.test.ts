// ThreadLoad (src/dataplane/thread-load.ts), the figures behind each thread's 'event-loop delay'
// line: a loop held by synchronous work is seen (the histogram's max, and a line when it is free
// again), and the garbage collector's pauses on this thread's heap are counted by kind.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LONG_STALL_MS, ThreadLoad } from '../../src/dataplane/thread-load.js';

function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } });
  return { logger, lines };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function holdLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* the thread does nothing else meanwhile */ }
}

describe('ThreadLoad', () => {
  it('reports a loop held by synchronous work, in the figures and as a line of its own', async () => {
    const { logger, lines } = capture();
    const load = new ThreadLoad(logger);
    load.start();
    await tick(120);
    holdLoop(400);
    await tick(120);
    const figures = load.stop();
    expect(figures.maxMs).toBeGreaterThanOrEqual(350);
    expect(figures.samples).toBeGreaterThan(0);
    // One line for the hold (a busy machine may add one for a thread it did not schedule), none
    // below the limit.
    const held = lines.filter((l) => l.msg === 'event loop held').map((l) => Number(l.heldMs));
    expect(held.some((ms) => ms >= 350)).toBe(true);
    for (const ms of held) expect(ms).toBeGreaterThanOrEqual(LONG_STALL_MS);
  });

  it('counts the collector\'s pauses by kind, and logs the ones at or above its limit', async () => {
    const { logger, lines } = capture();
    // A limit of 0 ms makes every pause a 'long' one: the line's fields are what a real long one carries.
    const load = new ThreadLoad(logger, { longGcPauseMs: 0, longStallMs: 10_000 });
    load.start();
    // Short-lived garbage: enough young-generation collections to be sure of some.
    let keep: object[] = [];
    for (let i = 0; i < 3_000_000; i++) {
      keep.push({ i });
      if (keep.length > 10_000) keep = [];
    }
    await tick(50); // GC entries reach the observer asynchronously
    const figures = load.stop();
    expect(figures.gc.minor?.count).toBeGreaterThan(0);
    expect(figures.gc.minor!.ms).toBeGreaterThan(0);
    expect(figures.gc.minor!.maxMs).toBeLessThanOrEqual(figures.gc.minor!.ms);
    const pauses = lines.filter((l) => l.msg === 'long garbage collection pause');
    expect(pauses.length).toBe(Object.values(figures.gc).reduce((n, t) => n + t.count, 0));
    expect(pauses[0]).toMatchObject({ kind: expect.any(String), pauseMs: expect.any(Number), heapUsedMiB: expect.any(Number) });
  });
});
