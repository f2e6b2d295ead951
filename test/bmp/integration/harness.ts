// Settings and rigs for the BMP engine tests: an engine over the speaker double
// (test/support/speaker-double.ts) with real stations and collectors (test/support/collector.ts),
// time driven by src/bmp/testing/manual-clock.ts.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach } from 'vitest';
import type { BmpServerConfig } from '../../../src/bmp/config.js';
import { BmpEngine, type ServerDownEvent, type ServerUpEvent } from '../../../src/bmp/engine.js';
import { realStations } from '../../../src/bmp/engine-station.js';
import { ManualClock } from '../../../src/bmp/testing/manual-clock.js';
import { sleep, waitFor } from '../../bgp/integration/daemons.js';
import { TestCollector } from '../../support/collector.js';
import { SpeakerDouble } from '../../support/speaker-double.js';

export { sleep };

/** waitFor with this file's defaults: 10 s, polled every 10 ms (the collectors are in-process). */
export function eventually<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
  return waitFor(what, probe, timeoutMs, 10);
}

/** A 'bmp server N' with the tests' short delays (1 s initial, 2 s retry, 10 s flapping); `over` overrides. */
export function bmpServer(id: number, address: string, port: number, over: Partial<BmpServerConfig> = {}): BmpServerConfig {
  return {
    id,
    activated: true,
    address,
    port,
    description: `SERVER${id}`,
    initialDelay: 1,
    failureRetryDelay: 2,
    flappingDelay: 10,
    dscp: 0,
    statsReportingPeriod: 0,
    updateSource: null,
    ...over,
  };
}

export interface EngineRig {
  readonly engine: BmpEngine;
  readonly speaker: SpeakerDouble;
  readonly clock: ManualClock;
  /** Every log line of the engine (info and above unless a debug topic is on), parsed. */
  readonly logs: Array<Record<string, unknown>>;
  readonly ups: ServerUpEvent[];
  readonly downs: ServerDownEvent[];
}

/**
 * Call at the top of an engine test file: `rig()` makes a BMP engine over the speaker double with
 * real stations on a manual clock, `collector()` a TestCollector; after each test both are stopped
 * (the engine's lingering sessions cut on its clock), last made first.
 */
export function engineTestRigs(sysDescr: string): {
  rig(opts?: { refreshQuietMs?: number; stuckMs?: number }): EngineRig;
  collector(host: string): Promise<TestCollector>;
} {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  return {
    rig(opts = {}) {
      const clock = new ManualClock(1_700_000_000_000);
      const speaker = new SpeakerDouble();
      const logs: Array<Record<string, unknown>> = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
          done();
        },
      });
      const engine = new BmpEngine({
        speaker,
        logger: pino({ level: 'info' }, sink),
        stations: realStations({ closeTimeoutMs: 60_000 }),
        clock,
        sysName: 'bmpd-test',
        sysDescr,
        refreshQuietMs: opts.refreshQuietMs ?? 3000,
        stuckMs: opts.stuckMs ?? 10_000,
      });
      const ups: ServerUpEvent[] = [];
      const downs: ServerDownEvent[] = [];
      engine.on('server-up', (e) => ups.push(e));
      engine.on('server-down', (e) => downs.push(e));
      cleanup.push(async () => {
        // A session whose collector stopped reading is cut after the close timeout, on this clock.
        const stopped = engine.stop();
        await clock.advanceAsync(120_000);
        await stopped;
      });
      return { engine, speaker, clock, logs, ups, downs };
    },
    async collector(host) {
      const c = await TestCollector.start(host);
      cleanup.push(() => c.close());
      return c;
    },
  };
}

/** The clock runs `seconds` (the initial delay) and server `id` comes up for the `nth` time. */
export async function bringUp(r: EngineRig, id: number, seconds = 1, nth = 1): Promise<void> {
  await r.clock.advanceAsync(seconds * 1000);
  await eventually(`server ${id} up`, () => r.ups.filter((u) => u.id === id).length >= nth);
}
