// What one thread's own work cost it, for the 'event-loop delay' line each thread logs at stop
// (the agent's main thread in src/agent/agent.ts, the data plane's in host.ts): how long its event
// loop was held, how long it was busy, and how much of that the garbage collector took. A long
// stall with a long GC pause beside it is the heap's cost, one without is the thread's own code.
import { readFileSync } from 'node:fs';
import { PerformanceObserver, monitorEventLoopDelay, performance, constants, type IntervalHistogram } from 'node:perf_hooks';
import type { Logger } from 'pino';

/** How often the event-loop delay histograms sample: cheap enough to leave on for the process's life. */
export const DELAY_RESOLUTION_MS = 10;

/** A GC pause at least this long gets a line of its own when it happens: it stalls every session on the thread. */
export const LONG_GC_PAUSE_MS = 200;

/**
 * An event loop held at least this long gets a line of its own when it is free again (its time
 * says which work it followed): the histogram's max says how long, not when.
 */
export const LONG_STALL_MS = 250;
const STALL_CHECK_MS = 50;

/** Linux's USER_HZ, the unit of /proc's CPU times: 100 per second on every architecture Node runs on. */
const MS_PER_CLOCK_TICK = 10;

/**
 * The calling thread's user + system CPU time, ms (/proc/thread-self/stat fields 14 and 15), or
 * null without /proc. What tells a held loop apart from a thread the kernel did not run: a loop
 * held by the thread's own code used the CPU all along; one that waited for a core did not.
 */
export function threadCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_CLOCK_TICK;
  } catch {
    return null;
  }
}

const GC_KINDS: Readonly<Record<number, string>> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

interface GcTally { count: number; ms: number; maxMs: number }

export interface ThreadLoadFigures {
  /** Event-loop delay beyond the sampling interval, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly samples: number;
  /** How long the thread's event loop was busy in its life, ms. */
  readonly busyMs: number;
  /** GC pauses on this thread's heap by kind (minor, major, ...): count, total and longest, ms. */
  readonly gc: Readonly<Record<string, GcTally>>;
}

/** Samples the calling thread's event-loop delay and its GC pauses from start() to stop(). */
export class ThreadLoad {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  private readonly gc: Record<string, GcTally> = {};
  private readonly observer: PerformanceObserver;
  private stallCheck: NodeJS.Timeout | null = null;

  /**
   * `log` gets a line for each GC pause of at least `longGcPauseMs`, with the thread's heap size
   * then, and for each time the event loop was held at least `longStallMs`.
   */
  constructor(private readonly log: Logger, private readonly limits = { longGcPauseMs: LONG_GC_PAUSE_MS, longStallMs: LONG_STALL_MS }) {
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = GC_KINDS[(entry as unknown as { detail?: { kind: number } }).detail?.kind ?? -1] ?? 'other';
        const tally = (this.gc[kind] ??= { count: 0, ms: 0, maxMs: 0 });
        tally.count++;
        tally.ms += entry.duration;
        tally.maxMs = Math.max(tally.maxMs, entry.duration);
        if (entry.duration >= this.limits.longGcPauseMs) {
          const heapMiB = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
          this.log.info({ kind, pauseMs: Math.round(entry.duration), heapUsedMiB: heapMiB }, 'long garbage collection pause');
        }
      }
    });
  }

  start(): void {
    this.delay.enable();
    this.observer.observe({ entryTypes: ['gc'] });
    let last = performance.now();
    let lastCpu = threadCpuMs();
    this.stallCheck = setInterval(() => {
      const now = performance.now();
      const heldMs = now - last - STALL_CHECK_MS;
      const cpu = threadCpuMs();
      last = now;
      // cpuMs: the thread's own CPU time since the last check (10 ms grain). Near heldMs + 50, its
      // code held the loop; far below, the thread was runnable but the kernel ran others.
      const cpuMs = cpu === null || lastCpu === null ? null : cpu - lastCpu;
      lastCpu = cpu;
      if (heldMs >= this.limits.longStallMs) this.log.info({ heldMs: Math.round(heldMs), cpuMs }, 'event loop held');
    }, STALL_CHECK_MS);
    // A thread with nothing else to do ends: this check is no reason to keep it.
    this.stallCheck.unref();
  }

  stop(): ThreadLoadFigures {
    if (this.stallCheck !== null) clearInterval(this.stallCheck);
    this.delay.disable();
    this.observer.disconnect();
    // Each histogram sample is the sampling timer's interval plus the delay: the interval is taken off.
    const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - DELAY_RESOLUTION_MS) * 100) / 100);
    const round = (n: number) => Math.round(n * 10) / 10;
    const gc = Object.fromEntries(Object.entries(this.gc).map(([k, t]) => [k, { count: t.count, ms: round(t.ms), maxMs: round(t.maxMs) }]));
    return {
      p50Ms: ms(this.delay.percentile(50)), p99Ms: ms(this.delay.percentile(99)), maxMs: ms(this.delay.max), samples: this.delay.count,
      busyMs: Math.round(performance.eventLoopUtilization().active),
      gc,
    };
  }
}
