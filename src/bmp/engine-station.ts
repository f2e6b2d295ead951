// What the BMP engine needs from one station session (src/bmp/station.ts): the engine decides
// what to send when; the station moves bytes, runs the connection timers and reports its
// state. StationSession satisfies StationPort as it is; realStations() is the factory the agent
// and the tests pass to the engine.
import type { Logger } from 'pino';
import type { TerminationReasonCode } from './codec/messages.js';
import type { BmpServerConfig } from './config.js';
import { realClock, StationSession, type StationClock, type StationConfig, type StationDown, type StationState } from './station.js';

export type EngineClock = StationClock;
export const systemClock: EngineClock = realClock;
export type { StationDown, StationState, StationStatus } from './station.js';

export interface StationPort {
  readonly id: number;
  /** Arm the initial-delay timer; the station connects and sends Initiation on its own. */
  start(): void;
  /**
   * Queue one BMP message (parts written back to back, not copied); false when dropped (not up,
   * overflow). `onWritten` is told once whether the kernel took it (false: its session ended first).
   */
  send(parts: readonly Buffer[], onWritten?: (written: boolean) => void): boolean;
  /** Bytes queued and not yet taken by the kernel. */
  readonly queuedBytes: number;
  /** Bytes the kernel has taken over the station's life; unlike state().bytesSent never cleared. */
  readonly bytesWritten: number;
  /** Drop the queue, Termination with `reason`, close, and connect again at once (not a failure); a station waiting for its next attempt makes it now. */
  reset(reason: TerminationReasonCode, text: string): void;
  /** Termination with `reason`, flush, close; no reconnect. */
  stop(reason: TerminationReasonCode, text?: string): Promise<void>;
  /** Timer changes that need no new session. */
  updateConfig(config: StationConfig): void;
  /** Zero messages-sent, connection-attempts and flaps ('clear' of the counters); the session is untouched. */
  clearCounters(): void;
  state(): StationState;
  /** Initiation is queued: the engine may report. */
  on(event: 'up', listener: () => void): unknown;
  on(event: 'down', listener: (down: StationDown) => void): unknown;
}

export interface StationContext {
  /** The 'server' debug topic's logger. */
  readonly logger: Logger;
  readonly clock: EngineClock;
  readonly sysName: string;
  readonly sysDescr: string;
  /** The engine's byte budget, read at every message (buffer-size may change at run time): no single station may queue more. */
  readonly budgetBytes: () => number;
  /** The station's queue would overflow: the engine resets it (Termination reason 2). */
  readonly onOverflow: () => void;
}

export type StationFactory = (config: StationConfig, context: StationContext) => StationPort;

/** The station's view of a server config (the engine opens stations only for activated servers with an address). */
export function stationConfig(config: BmpServerConfig): StationConfig {
  if (config.address === null || config.port === null) throw new Error(`BMP server ${config.id} has no address/port`);
  return {
    id: config.id,
    address: config.address,
    port: config.port,
    dscp: config.dscp,
    updateSource: config.updateSource,
    initialDelay: config.initialDelay,
    failureRetryDelay: config.failureRetryDelay,
    flappingDelay: config.flappingDelay,
  };
}

/** Real TCP stations; `extra` passes station options such as closeTimeoutMs. */
export function realStations(extra: { closeTimeoutMs?: number; connectTimeoutMs?: number; drainTimeoutMs?: number } = {}): StationFactory {
  return (config, context) =>
    new StationSession(config, {
      ...extra,
      sysName: context.sysName,
      sysDescr: context.sysDescr,
      logger: context.logger,
      clock: context.clock,
      // The engine keeps every station within one shared budget; the station's own bound is a backstop.
      highWaterBytes: context.budgetBytes,
      maxQueueBytes: context.budgetBytes,
      onOverflow: () => context.onOverflow(),
    });
}
