// Settings for the BMP engine tests. Their collector (test/support/collector.ts) and their speaker
// double (test/support/speaker-double.ts) live under test/support/.
import type { BmpServerConfig } from '../../../src/bmp/config.js';
import { sleep, waitFor } from '../../bgp/integration/daemons.js';

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
