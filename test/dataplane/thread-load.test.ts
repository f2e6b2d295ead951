// ThreadLoad (src/dataplane/thread-load.ts), the figures behind each thread's 'event-loop delay'
// line: a loop held by synchronous work is seen (the histogram's max, and a line when it is free
// again), and the garbage collector's pauses on this thread's heap are counted by kind.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/agent.js';
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
    const held = lines.filter((l) => l.msg === 'event loop held');
    const hold = held.find((l) => Number(l.heldMs) >= 350);
    expect(hold).toBeDefined();
    for (const l of held) expect(Number(l.heldMs)).toBeGreaterThanOrEqual(LONG_STALL_MS);
    // The thread's own work: it spent CPU for most of the hold (unless the machine starved it
    // meanwhile, which this line would then show by itself).
    expect(Number(hold!.cpuMs)).toBeGreaterThan(Number(hold!.heldMs) / 4);
  });

  it('tells a thread the kernel did not run from one held by its own code: a stopped process\'s hold used no CPU', async () => {
    // A process of its own, stopped (SIGSTOP) 600 ms: its loop is held as long, and its thread ran nothing.
    const script = `import { ThreadLoad } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/src/dataplane/thread-load.js')).href)};
      import pino from 'pino';
      new ThreadLoad(pino(pino.destination({ fd: 1, sync: true }))).start();
      console.log(JSON.stringify({ msg: 'ready' }));
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    try {
      while (!lines.some((l) => l.msg === 'ready')) await tick(20);
      await tick(200);
      child.kill('SIGSTOP');
      await tick(600);
      child.kill('SIGCONT');
      while (!lines.some((l) => l.msg === 'event loop held')) await tick(20);
      const hold = lines.find((l) => l.msg === 'event loop held')!;
      expect(Number(hold.heldMs)).toBeGreaterThanOrEqual(500);
      expect(Number(hold.cpuMs)).toBeLessThan(100);
    } finally {
      child.kill('SIGKILL');
    }
  }, 20_000);

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
