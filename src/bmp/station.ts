/**
 * One BMP station session: the TCP connection from bmpd to one configured
 * and activated "BMP server" (RFC 7854's monitoring station), with the
 * seed's connection timers, a bounded send queue and the state the show
 * commands print. The station moves bytes and keeps time; what to send and
 * when (Peer Up, refresh, statistics) is the engine's business.
 *
 * Life of a session:
 *   start() ──initial-delay──▶ connect ──▶ Initiation ──▶ 'up' ─ engine sends ─▶ …
 *      ▲                          │ fails                       │ session fails
 *      └── failure-retry-delay ◀──┴──────── or flapping-delay ◀─┘
 *
 * Failures (the YANG model's server list): a failure is an established
 * session that went down or a connection attempt that did not establish.
 * consecutive-failures counts them since the last stable session (one that
 * stayed established flapping-delay seconds) or since start. The first
 * waits failure-retry-delay, the second and every later one flapping-delay
 * (the station is then "flapping"). A refused connect counts too: retrying
 * it any faster would only add load.
 *
 * reset() is not a failure: the engine resets a session when bmpd's own
 * buffer is full (Termination reason 2) and the operator with
 * 'clear ip bgp bmp server N' (reason 0). The old session's queue is dropped,
 * Termination is written behind the last complete message and the socket is
 * left to drain on its own; its bytes still count in queuedBytes. One session
 * drains per station, so a reset costs at most one socket window: a collector
 * that reads none of it for drainTimeoutMs, or whose next session is reset
 * too, has the connection cut and never sees that Termination. The station
 * connects again at once, without the delay timers and without counting a
 * flap; should that attempt fail, it retries after 1, 2, 4, 8 and 16 seconds
 * (never longer than failure-retry-delay) before the failure timers take over.
 *
 * Queue: send() appends whole messages to a queue measured in bytes. Only a
 * little (socketWindow) is handed to the socket at a time, so a reset can
 * still drop what the collector has not taken and write Termination right
 * behind the last complete message. At the high-water mark the station
 * emits 'backpressure' (the engine pauses its BGP reads); once the queue has
 * fallen to half of it, 'drain'. A message that would push the queue past
 * the maximum is dropped and the overflow policy runs (by default: reset the
 * session with Termination "out of resources"; the engine passes its own).
 * Both marks are read at every send, so a buffer-size changed at run time
 * applies to the sessions already open.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { pino, type Logger } from 'pino';
import type { Clock } from '../clock.js';
import { connectTcp, type ConnectTcpOptions } from '../net/sockopt.js';
import { MessageType, TerminationReason, type TerminationReasonCode } from './codec/messages.js';
import { partsLength, serializeParts } from './codec/serializer.js';

/** Timers the station runs on; tests pass a manual clock. */
export type StationClock = Clock;

/** Node's timers, ref'd as they always were here (src/clock.ts's realClock unrefs them). */
export const realClock: StationClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** What the station needs of a 'bmp server N' (times in seconds, fractions allowed). */
export interface StationConfig {
  readonly id: number;
  readonly address: string;
  readonly port: number;
  /** 'set ip dscp N'; 0 leaves the marking alone. */
  readonly dscp: number;
  /** Local address to bind to (update-source, already resolved), null = kernel's choice. */
  readonly updateSource: string | null;
  readonly initialDelay: number;
  readonly failureRetryDelay: number;
  readonly flappingDelay: number;
}

export interface StationOptions {
  readonly sysName: string;
  readonly sysDescr: string;
  readonly logger?: Logger;
  readonly clock?: StationClock;
  /** Queue size that triggers 'backpressure'; a function is read at every send (buffer-size changes at run time). */
  readonly highWaterBytes?: number | (() => number);
  /** Hard bound of the queue; beyond it the overflow policy runs. Read at every send, like highWaterBytes. */
  readonly maxQueueBytes?: number | (() => number);
  /** Overflow policy; default: reset with Termination reason 2 (out of resources). */
  readonly onOverflow?: (station: StationSession) => void;
  /** TCP keepalive; the seed's log: "TCP KA interval is set to 15". */
  readonly keepalive?: { idleSeconds: number; intervalSeconds: number; probes: number };
  readonly connectTimeoutMs?: number;
  /** How long a closing session may take to flush before it is cut. */
  readonly closeTimeoutMs?: number;
  /** How long a reset session may take to deliver its Termination before it is cut; default 60 s. */
  readonly drainTimeoutMs?: number;
  /** The active open; connectTcp by default. */
  readonly connect?: (opts: ConnectTcpOptions) => Promise<net.Socket>;
}

/** Failures since the last stable session from which the station waits flapping-delay. */
export const FLAP_THRESHOLD = 2;
/** Retries after a reset whose reconnection failed, before the failure timers take over. */
export const PROMPT_RETRY_DELAYS_MS: readonly number[] = [1000, 2000, 4000, 8000, 16000];
export const DEFAULT_KEEPALIVE = { idleSeconds: 15, intervalSeconds: 15, probes: 3 } as const;
export const DEFAULT_HIGH_WATER_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;
/** Bytes handed to the socket at a time; the rest waits in the station's own queue. */
const SOCKET_WINDOW = 256 * 1024;
/**
 * At most this share of the queue's bound sits in the socket: after a reset those bytes stay
 * until the socket closes and still count against the budget, which must then fall below the
 * engine's resume mark (a quarter) for the BGP sessions to be read again.
 */
const SOCKET_WINDOW_SHARE = 1 / 16;

export type StationStatus = 'down' | 'connecting' | 'up';

export interface StationState {
  readonly status: StationStatus;
  readonly upSince: Date | null;
  /** BMP messages handed to the kernel for this server since the station was created (every session). */
  readonly messagesSent: number;
  /** Bytes handed to the kernel since the station was created. */
  readonly bytesSent: number;
  /** When the last Statistics Report was queued ('LastStat' column), null if never. */
  readonly lastStatisticsAt: Date | null;
  readonly queuedBytes: number;
  readonly localAddress: string | null;
  readonly localPort: number | null;
  /** 'TCB' column: an opaque id of the current connection, '0x0' when there is none. */
  readonly tcb: string;
  readonly connectionAttempts: number;
  /** Established sessions that failed (not counting stop() or reset()). */
  readonly flaps: number;
  readonly consecutiveFailures: number;
  readonly flapping: boolean;
  readonly nextAttemptAt: Date | null;
  readonly nextAttemptInMs: number | null;
  readonly lastError: string | null;
}

export interface StationDown {
  readonly reason: string;
}

export interface StationEvents {
  /** Initiation is queued: the engine sends Peer Ups and invokes the refresh. */
  up: [info: { localAddress: string; localPort: number; tcb: string }];
  down: [down: StationDown];
  /**
   * A connection attempt failed or the socket reported an error (a session
   * that was up also gets 'down'). Emitted only while someone listens, so an
   * unobserved station never throws EventEmitter's unhandled 'error'.
   */
  error: [error: Error];
  backpressure: [queuedBytes: number];
  drain: [queuedBytes: number];
}

interface QueuedMessage {
  readonly parts: readonly Buffer[];
  readonly bytes: number;
  readonly onWritten: ((written: boolean) => void) | undefined;
}

/** 40-bit FNV-1a, printed like the seed's TCB pointers (0x2A98B07138). */
function tcbId(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const c of Buffer.from(text)) {
    h ^= BigInt(c);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return `0x${(h & 0xffffffffffn).toString(16).toUpperCase().padStart(10, '0')}`;
}

type Phase =
  | { kind: 'idle' }
  | { kind: 'waiting'; timer: unknown; at: number }
  | { kind: 'connecting'; serial: number }
  | { kind: 'up'; serial: number; socket: net.Socket; since: number; tcb: string; localAddress: string; localPort: number }
  /** stop(): Termination queued, waiting for the flush and close. */
  | { kind: 'closing'; serial: number; socket: net.Socket }
  | { kind: 'stopped' };

export class StationSession extends EventEmitter<StationEvents> {
  readonly id: number;
  private config: StationConfig;
  private readonly log: Logger;
  private readonly clock: StationClock;
  private readonly highWaterMark: () => number;
  private readonly maxQueueMark: () => number;
  private readonly keepalive: { idleSeconds: number; intervalSeconds: number; probes: number };
  private phase: Phase = { kind: 'idle' };
  private serial = 0;
  private queue: QueuedMessage[] = [];
  private queueHead = 0;
  /** Bytes in `queue` not yet handed to the socket. */
  private pendingBytes = 0;
  /** Bytes handed to the socket whose write callback has not fired yet. */
  private inSocketBytes = 0;
  /** Sessions reset and left to drain, by serial: their bytes not yet taken by the kernel. */
  private readonly draining = new Map<number, { socket: net.Socket; bytes: number }>();
  private backpressured = false;
  private overflowed = false;
  private pumpScheduled = false;
  /** Index into PROMPT_RETRY_DELAYS_MS while reconnecting after a reset; null otherwise. */
  private promptRetry: number | null = null;
  private stats = { messagesSent: 0, bytesSent: 0, connectionAttempts: 0, flaps: 0, consecutiveFailures: 0 };
  /** Bytes the kernel took over the station's life (the engine's stuck check; clearCounters() leaves it). */
  private lifetimeBytes = 0;
  private lastStatisticsAt: number | null = null;
  private lastError: string | null = null;
  private closeWaiters: Array<() => void> = [];

  constructor(
    config: StationConfig,
    private readonly options: StationOptions,
  ) {
    super();
    this.id = config.id;
    this.config = config;
    this.clock = options.clock ?? realClock;
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ topic: 'server', server: config.id });
    const mark = (value: number | (() => number) | undefined, fallback: number): (() => number) =>
      typeof value === 'function' ? value : () => value ?? fallback;
    this.highWaterMark = mark(options.highWaterBytes, DEFAULT_HIGH_WATER_BYTES);
    this.maxQueueMark = mark(options.maxQueueBytes, DEFAULT_MAX_QUEUE_BYTES);
    this.keepalive = options.keepalive ?? DEFAULT_KEEPALIVE;
  }

  private get target(): string {
    return `${this.config.address}/${this.config.port}`;
  }

  private get highWater(): number {
    return this.highWaterMark();
  }

  private get maxQueue(): number {
    return Math.max(this.maxQueueMark(), this.highWater);
  }

  /** A session established this long is stable: the failure history is forgotten (the model's flapping-delay). */
  private get stablePeriodMs(): number {
    return this.config.flappingDelay * 1000;
  }

  private get flapping(): boolean {
    return this.stats.consecutiveFailures >= FLAP_THRESHOLD;
  }

  /** Arms the initial-delay timer (once; later attempts follow the failure timers). */
  start(): void {
    if (this.phase.kind !== 'idle') return;
    this.schedule(this.config.initialDelay * 1000);
  }

  /** Timer and policy changes that need no new session (address, port, DSCP, source do: the engine replaces the station). */
  updateConfig(config: StationConfig): void {
    this.config = { ...config, address: this.config.address, port: this.config.port, dscp: this.config.dscp, updateSource: this.config.updateSource };
  }

  get bytesWritten(): number {
    return this.lifetimeBytes;
  }

  get queuedBytes(): number {
    let bytes = this.pendingBytes + this.inSocketBytes;
    for (const d of this.draining.values()) bytes += d.bytes;
    return bytes;
  }

  get status(): StationStatus {
    if (this.phase.kind === 'up') return 'up';
    if (this.phase.kind === 'connecting') return 'connecting';
    return 'down';
  }

  /**
   * Queues one BMP message, given as Buffers to write back to back (not
   * copied: serializeParts() output, or one Route Monitoring header plus the
   * UPDATE shared by every station). False when dropped: the session is not
   * up, or the queue would overflow (the overflow policy then runs).
   */
  send(parts: readonly Buffer[], onWritten?: (written: boolean) => void): boolean {
    if (this.phase.kind !== 'up' || this.overflowed) return false;
    const bytes = partsLength(parts);
    if (this.queuedBytes + bytes > this.maxQueue) {
      this.overflowed = true;
      this.log.warn({ queuedBytes: this.queuedBytes, maxQueueBytes: this.maxQueue }, `BMP server ${this.id} send queue overflow - ${this.target}`);
      const policy = this.options.onOverflow ?? ((s: StationSession) => s.reset(TerminationReason.outOfResources, 'send queue overflow'));
      policy(this);
      return false;
    }
    if (parts[0] !== undefined && parts[0].length >= 6 && parts[0][5] === MessageType.statisticsReport) this.lastStatisticsAt = this.clock.now();
    this.queue.push({ parts, bytes, onWritten });
    this.pendingBytes += bytes;
    if (!this.backpressured && this.queuedBytes >= this.highWater) {
      this.backpressured = true;
      this.log.debug({ queuedBytes: this.queuedBytes }, `BMP server ${this.id} send queue above high-water mark - ${this.target}`);
      this.emit('backpressure', this.queuedBytes);
    }
    this.schedulePump();
    return true;
  }

  /**
   * The engine queues many messages in one turn of the event loop (every
   * UPDATE of one BGP read): writing them from a microtask makes one corked
   * writev of the lot instead of one system call per message.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /**
   * Drops the queue, sends Termination with `reason` right behind the last
   * complete message, closes, and connects again at once (the collector then
   * gets a fresh Initiation and the engine resynchronises). Not a failure: no
   * flap is counted and the failure timers are not used. A station waiting
   * for its next attempt makes it now; one connecting or closing is left to it.
   */
  reset(reason: TerminationReasonCode, text: string): void {
    const p = this.phase;
    if (p.kind === 'waiting') {
      this.log.info({ text }, `BMP server ${this.id} connection - ${this.target} reset: ${text}, connecting now`);
      this.clock.clearTimeout(p.timer);
      this.promptRetry = 0;
      void this.attempt();
      return;
    }
    if (p.kind !== 'up') return;
    this.log.info({ reason, text }, `BMP server ${this.id} connection - ${this.target} reset: ${text}, connecting again`);
    this.dropQueue();
    this.cutDraining();
    const termination = this.termination(reason, text);
    const drain = { socket: p.socket, bytes: this.inSocketBytes + partsLength(termination) };
    this.draining.set(p.serial, drain);
    this.inSocketBytes = 0;
    this.backpressured = false;
    // Straight to the socket, behind what it holds: the queue of this session is gone.
    this.writeParts(p.socket, p.serial, { parts: termination, bytes: partsLength(termination), onWritten: undefined });
    p.socket.end();
    this.log.debug({ reason }, `Termination msg sent to BMP server ${this.id} - ${this.target}`);
    const serial = p.serial;
    const timer = this.clock.setTimeout(() => {
      if (this.draining.get(serial) !== drain) return;
      this.log.info(`BMP server ${this.id} connection - ${this.target} reset session did not drain within ${this.drainTimeoutMs} ms, cut`);
      drain.socket.destroy();
    }, this.drainTimeoutMs);
    p.socket.once('close', () => {
      this.clock.clearTimeout(timer);
      if (this.draining.get(serial) === drain) this.draining.delete(serial);
    });
    this.promptRetry = 0;
    void this.attempt(); // 'connecting' from here on
    this.emit('down', { reason: 'reset' });
  }

  private cutDraining(): void {
    for (const d of this.draining.values()) d.socket.destroy();
    this.draining.clear();
  }

  private get drainTimeoutMs(): number {
    return this.options.drainTimeoutMs ?? 60_000;
  }

  /**
   * Termination with `reason`, flush everything queued, close; no reconnect.
   * Resolves once the socket is closed (or cut after closeTimeoutMs).
   */
  stop(reason: TerminationReasonCode = TerminationReason.adminClose, text?: string): Promise<void> {
    this.cutDraining(); // the station is going away
    const phase = this.phase;
    switch (phase.kind) {
      case 'idle':
      case 'stopped':
        this.phase = { kind: 'stopped' };
        return Promise.resolve();
      case 'waiting':
        this.clock.clearTimeout(phase.timer);
        this.phase = { kind: 'stopped' };
        return Promise.resolve();
      case 'connecting':
        // The pending connect sees the phase change and closes its socket.
        this.phase = { kind: 'stopped' };
        return Promise.resolve();
      case 'up':
        this.beginClose(reason, text);
        return this.closed();
      case 'closing':
        return this.closed();
    }
  }

  /**
   * Zeroes what an operator reads as counters: messages and bytes sent, connection attempts, flaps.
   * The failure history behind the flapping timers stays, and the session is not touched.
   */
  clearCounters(): void {
    this.stats.messagesSent = 0;
    this.stats.bytesSent = 0;
    this.stats.connectionAttempts = 0;
    this.stats.flaps = 0;
  }

  state(): StationState {
    const p = this.phase;
    const now = this.clock.now();
    return {
      status: this.status,
      upSince: p.kind === 'up' ? new Date(p.since) : null,
      messagesSent: this.stats.messagesSent,
      bytesSent: this.stats.bytesSent,
      lastStatisticsAt: this.lastStatisticsAt === null ? null : new Date(this.lastStatisticsAt),
      queuedBytes: this.queuedBytes,
      localAddress: p.kind === 'up' ? p.localAddress : null,
      localPort: p.kind === 'up' ? p.localPort : null,
      tcb: p.kind === 'up' ? p.tcb : '0x0',
      connectionAttempts: this.stats.connectionAttempts,
      flaps: this.stats.flaps,
      consecutiveFailures: this.stats.consecutiveFailures,
      flapping: this.flapping,
      nextAttemptAt: p.kind === 'waiting' ? new Date(p.at) : null,
      nextAttemptInMs: p.kind === 'waiting' ? Math.max(0, p.at - now) : null,
      lastError: this.lastError,
    };
  }

  // ---- connection ----

  private schedule(delayMs: number): void {
    const at = this.clock.now() + delayMs;
    const timer = this.clock.setTimeout(() => {
      if (this.phase.kind === 'waiting' && this.phase.timer === timer) void this.attempt();
    }, delayMs);
    this.phase = { kind: 'waiting', timer, at };
  }

  private async attempt(): Promise<void> {
    const serial = ++this.serial;
    this.phase = { kind: 'connecting', serial };
    this.stats.connectionAttempts++;
    this.log.debug(`BMP server connection attempt timer expired for server ${this.id} - ${this.target}`);
    let socket: net.Socket;
    try {
      socket = await (this.options.connect ?? connectTcp)({
        host: this.config.address,
        port: this.config.port,
        ...(this.config.updateSource !== null ? { localAddress: this.config.updateSource } : {}),
        ...(this.config.dscp > 0 ? { dscp: this.config.dscp } : {}),
        keepalive: this.keepalive,
        timeoutMs: this.options.connectTimeoutMs ?? 10_000,
      });
    } catch (e) {
      if (this.phase.kind !== 'connecting' || this.phase.serial !== serial) return;
      const err = e as Error;
      this.lastError = err.message;
      this.log.debug({ err: err.message }, `BMP server ${this.id} active open process failed - ${this.target}: ${err.message}`);
      if (this.listenerCount('error') > 0) this.emit('error', err);
      this.failed();
      return;
    }
    if (this.phase.kind !== 'connecting' || this.phase.serial !== serial) {
      socket.destroy(); // stopped meanwhile
      return;
    }
    this.established(socket, serial);
  }

  private established(socket: net.Socket, serial: number): void {
    this.log.debug(`BMP server ${this.id} active open process success - ${this.target}`);
    this.log.debug(`TCP KA interval is set to ${this.keepalive.intervalSeconds}`);
    const localAddress = socket.localAddress ?? '';
    const localPort = socket.localPort ?? 0;
    // Stable for the life of the connection, distinct per connection: the
    // station, the collector and our end of the 4-tuple, plus a per-station serial.
    const tcb = tcbId(`${this.id}|${this.target}|${localAddress}/${localPort}|${serial}`);
    const since = this.clock.now();
    this.phase = { kind: 'up', serial, socket, since, tcb, localAddress, localPort };
    this.overflowed = false;
    this.lastError = null;
    this.promptRetry = null;
    const stableTimer = this.clock.setTimeout(() => {
      if (this.phase.kind === 'up' && this.phase.serial === serial) {
        if (this.flapping) this.log.info(`BMP server ${this.id} connection - ${this.target} stable, no longer flapping`);
        this.forgetFailures();
      }
    }, this.stablePeriodMs);
    socket.once('close', () => this.clock.clearTimeout(stableTimer));

    // RFC 7854 §3.3: the station sends nothing we act upon; read and discard so its bytes never pile up.
    socket.on('data', () => undefined);
    socket.on('drain', () => this.pump());
    socket.on('error', (err) => {
      this.lastError = err.message;
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    socket.on('close', () => this.socketClosed(serial));
    this.log.debug(`Register read/write notification callbacks with BMP server ${this.id} TCB - ${this.target}`);

    const initiation = serializeParts({
      type: 'initiation',
      information: [
        { kind: 'sysDescr', text: this.options.sysDescr },
        { kind: 'sysName', text: this.options.sysName },
      ],
    });
    this.send(initiation);
    this.log.debug(`Initiation msg sent to BMP server ${this.id} - ${this.target}`);
    // The refresh itself is the engine's reaction to 'up'; the line is logged here, where the seed logs it.
    this.log.debug(`BMP server ${this.id} connection - ${this.target} up, invoke refresh event`);
    this.emit('up', { localAddress, localPort, tcb });
  }

  private pump(): void {
    const p = this.phase;
    if (p.kind !== 'up' && p.kind !== 'closing') return;
    const socket = p.socket;
    if (socket.destroyed || this.queueHead >= this.queue.length) return;
    const window = Math.min(SOCKET_WINDOW, this.maxQueue * SOCKET_WINDOW_SHARE);
    const batch: QueuedMessage[] = [];
    let batchBytes = 0;
    while (this.queueHead < this.queue.length && socket.writableLength + batchBytes < window) {
      const m = this.queue[this.queueHead]!;
      this.queue[this.queueHead++] = undefined as unknown as QueuedMessage;
      this.pendingBytes -= m.bytes;
      this.inSocketBytes += m.bytes;
      batch.push(m);
      batchBytes += m.bytes;
    }
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    this.writeBatch(socket, p.serial, batch, batchBytes);
  }

  /**
   * The messages as one socket write: a live feed queues one Route Monitoring message (a header
   * and the UPDATE) per received UPDATE, and a write per part cost more in the stream machinery
   * than copying the octets once (at most a socket window of them). Each message's write
   * callback runs in order when the batch is written.
   */
  private writeBatch(socket: net.Socket, serial: number, batch: readonly QueuedMessage[], bytes: number): void {
    if (batch.length === 0) return;
    if (batch.length === 1 && batch[0]!.parts.length <= 1) return this.writeParts(socket, serial, batch[0]!);
    const out = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (const m of batch) for (const part of m.parts) at += part.copy(out, at);
    socket.write(out, (err) => {
      for (const m of batch) this.written(serial, m, err);
      // What the window held back goes next. The socket's 'drain' is not enough: a write made
      // from a 'drain' listener that the kernel takes at once was seen (Node 20) never to emit another.
      if (this.queueHead < this.queue.length) this.schedulePump();
    });
  }

  private writeParts(socket: net.Socket, serial: number, m: QueuedMessage): void {
    const last = m.parts.length - 1;
    m.parts.forEach((part, i) => {
      if (i !== last) socket.write(part);
      else socket.write(part, (err) => this.written(serial, m, err));
    });
  }

  private written(serial: number, m: QueuedMessage, err: Error | null | undefined): void {
    const drain = this.draining.get(serial);
    if (drain !== undefined) {
      drain.bytes -= m.bytes;
      if (!err) this.countWritten(m);
      m.onWritten?.(!err); // the engine re-checks its budget either way
      return;
    }
    const p = this.phase;
    if ((p.kind !== 'up' && p.kind !== 'closing') || p.serial !== serial) return;
    this.inSocketBytes -= m.bytes;
    if (err) {
      m.onWritten?.(false);
      return;
    }
    this.countWritten(m);
    m.onWritten?.(true);
    if (this.backpressured && this.queuedBytes <= this.highWater / 2) {
      this.backpressured = false;
      this.emit('drain', this.queuedBytes);
    }
    if (p.kind === 'closing' && this.queuedBytes === 0 && !p.socket.writableEnded) p.socket.end();
  }

  private countWritten(m: QueuedMessage): void {
    this.stats.messagesSent++;
    this.stats.bytesSent += m.bytes;
    this.lifetimeBytes += m.bytes;
  }

  private dropQueue(): void {
    this.queue = [];
    this.queueHead = 0;
    this.pendingBytes = 0;
  }

  private termination(reason: TerminationReasonCode, text: string | undefined): Buffer[] {
    return serializeParts({
      type: 'termination',
      information: [{ kind: 'reason', reason }, ...(text ? [{ kind: 'string' as const, text }] : [])],
    });
  }

  private beginClose(reason: TerminationReasonCode, text: string | undefined): void {
    const p = this.phase;
    if (p.kind !== 'up') return;
    const termination = this.termination(reason, text);
    const bytes = partsLength(termination);
    // Bypasses send(): Termination goes out even when the queue is full.
    this.queue.push({ parts: termination, bytes, onWritten: undefined });
    this.pendingBytes += bytes;
    this.phase = { kind: 'closing', serial: p.serial, socket: p.socket };
    this.log.debug({ reason }, `Termination msg sent to BMP server ${this.id} - ${this.target}`);
    this.pump();
    const serial = p.serial;
    const closeTimer = this.clock.setTimeout(() => {
      if (this.phase.kind === 'closing' && this.phase.serial === serial) {
        this.log.info(`BMP server ${this.id} connection - ${this.target} did not flush within ${this.closeTimeoutMs} ms, closing`);
        this.phase.socket.destroy();
      }
    }, this.closeTimeoutMs);
    p.socket.once('close', () => this.clock.clearTimeout(closeTimer));
  }

  private get closeTimeoutMs(): number {
    return this.options.closeTimeoutMs ?? 5000;
  }

  private closed(): Promise<void> {
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  private socketClosed(serial: number): void {
    const p = this.phase;
    if ((p.kind !== 'up' && p.kind !== 'closing') || p.serial !== serial) return;
    this.dropQueue();
    this.inSocketBytes = 0;
    this.backpressured = false;
    if (p.kind === 'up') {
      const lived = this.clock.now() - p.since;
      this.lastError ??= 'connection closed by the BMP server';
      const reason = this.lastError;
      this.stats.flaps++;
      this.log.info({ livedMs: lived }, `BMP server ${this.id} connection - ${this.target} down: ${reason}`);
      if (lived >= this.stablePeriodMs) this.forgetFailures();
      this.emit('down', { reason });
      this.failed();
    } else {
      this.log.info(`BMP server ${this.id} connection - ${this.target} closed`);
      this.emit('down', { reason: 'stopped' });
      this.phase = { kind: 'stopped' };
      for (const w of this.closeWaiters.splice(0)) w();
    }
  }

  private forgetFailures(): void {
    this.stats.consecutiveFailures = 0;
  }

  /** A connection attempt or a session failed: schedule the next attempt (see "Failures" at the top). */
  private failed(): void {
    if (this.promptRetry !== null && this.promptRetry < PROMPT_RETRY_DELAYS_MS.length) {
      // Reconnecting after a reset: not the collector's failure yet.
      const delay = Math.min(PROMPT_RETRY_DELAYS_MS[this.promptRetry++]!, this.config.failureRetryDelay * 1000);
      this.schedule(delay);
      return;
    }
    this.promptRetry = null;
    this.stats.consecutiveFailures++;
    if (this.stats.consecutiveFailures === FLAP_THRESHOLD) {
      this.log.info({ failures: this.stats.consecutiveFailures }, `BMP server ${this.id} connection - ${this.target} flapping, retry after flapping-delay`);
    }
    const delay = (this.flapping ? this.config.flappingDelay : this.config.failureRetryDelay) * 1000;
    this.schedule(delay);
  }
}
