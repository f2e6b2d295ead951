/**
 * One NETCONF session (RFC 6241 §2, §8.1): hello exchange, framing selection,
 * in-order rpc processing, replies, notifications, and the per-session counters
 * of ietf-netconf-monitoring (RFC 6022 §2.1.4 sessions, §2.1.5 statistics).
 *
 * The session only moves messages over a byte stream (an SSH channel in
 * production); operations live behind the RpcDispatcher.
 *
 * Error policy:
 * - Framing errors (oversized message, bad chunk header, truncated frame) end
 *   the session: framing cannot be resynchronised (RFC 6242 §4).
 * - A bad hello ends the session (RFC 6241 §8.1), counted in in-bad-hellos.
 * - Output backpressure: a client that stops reading must not make us buffer
 *   without bound. Before each message is written, the output still queued from
 *   earlier messages (channel buffer + what the transport holds, e.g. the SSH
 *   socket's send buffer) must be at most maxQueuedOutputBytes; otherwise the
 *   session ends with 'output-overflow' and the transport is dropped at once.
 *   The bound is on the backlog, not on one message: a single reply of any size
 *   is written onto a backlog within the bound, so memory per session stays under
 *   the bound plus the largest message. rpc replies are also flow-controlled:
 *   the next rpc is read only once the channel drained, so a client that pipelines
 *   large <get>s and reads slowly is held back, not dropped. Notifications cannot
 *   wait (that would buffer them here instead), so they are what hits the bound.
 *   Nothing is dropped silently: the client gets every message in order, or its
 *   connection closes.
 * - A message that is not well-formed XML (or carries a DOCTYPE, or is not
 *   UTF-8) gets an rpc-reply without message-id holding one rpc-error and the
 *   session continues: the framing told us where the message ended, so the next
 *   one is still readable. The error-tag is malformed-message on base:1.1; RFC
 *   6241 Appendix A forbids that tag towards base:1.0 peers, who get
 *   operation-failed instead.
 * - A message beyond the XML limits (depth, attributes per element, elements;
 *   xml.ts) gets too-big, echoing the rpc's message-id when its start tag was
 *   within the limits, and the session continues.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { TextDecoder } from 'node:util';
import type { Logger } from 'pino';
import { BASE_1_0, BASE_1_1 } from './capabilities.js';
import type { BaseVersion, SessionControl, SessionCounters, SessionInfo, SessionState } from './session-control.js';
import { FramingDecoder, FramingError, encodeEom, encodeFrame, type FramingMode } from './framing.js';
import { NETCONF_BASE_NS, RpcError } from './rpc-error.js';
import { clientText } from './ssh-preauth.js';
import { RpcDispatcher, readRpc, rpcReplyXml, type RpcParseResult } from './rpc.js';
import {
  DEFAULT_XML_LIMITS, XmlLimitError, XmlParseError, escapeText, parseXmlMessage, parseXmlMessageSliced, type XmlAttribute, type XmlLimits, type XmlNode,
} from './xml.js';

export type CloseReason =
  | 'close-session' // the client asked (RFC 6241 §7.8)
  | 'killed' // another session's kill-session (§7.9)
  | 'idle-timeout'
  | 'hello-timeout'
  | 'bad-hello'
  | 'framing-error'
  | 'transport-closed' // the client went away
  | 'output-overflow' // the client stopped reading; its queued output passed maxQueuedOutputBytes (RFC 6470: dropped)
  | 'user-removed' // its user left the users file (bmpd-adduser --remove, then SIGHUP)
  | 'server-shutdown';

/** RFC 6022 §2.1.5 netconf-state/statistics, server-wide. */
export interface GlobalStatistics {
  netconfStartTime: Date;
  inBadHellos: number;
  inSessions: number;
  droppedSessions: number;
  inRpcs: number;
  inBadRpcs: number;
  outRpcErrors: number;
  outNotifications: number;
}

export interface SessionEnd {
  session: SessionInfo;
  reason: CloseReason;
  /** For reason 'killed': the session that sent kill-session. */
  killedBy?: number;
}

/** All live sessions, session-id allocation and server-wide statistics. */
export class SessionRegistry {
  readonly statistics: GlobalStatistics = {
    netconfStartTime: new Date(),
    inBadHellos: 0,
    inSessions: 0,
    droppedSessions: 0,
    inRpcs: 0,
    inBadRpcs: 0,
    outRpcErrors: 0,
    outNotifications: 0,
  };
  private readonly sessions = new Map<number, NetconfSession>();
  private readonly events = new EventEmitter();
  private lastId = 0;

  constructor(private readonly logger?: Logger) {}

  /** session-id is 1..4294967295 (RFC 6241 §8.1; 0 is reserved for "not a NETCONF session"). */
  allocateId(): number {
    do {
      this.lastId = this.lastId >= 0xffffffff ? 1 : this.lastId + 1;
    } while (this.sessions.has(this.lastId));
    return this.lastId;
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: number): NetconfSession | undefined {
    return this.sessions.get(id);
  }

  list(): NetconfSession[] {
    return [...this.sessions.values()];
  }

  /** Called once per ended session: release its locks, end its subscriptions, emit netconf-session-end. */
  onSessionEnd(listener: (end: SessionEnd) => void): () => void {
    this.events.on('end', listener);
    return () => this.events.off('end', listener);
  }

  /** Called when a session completed its hello exchange (netconf-session-start). */
  onSessionStart(listener: (session: SessionInfo) => void): () => void {
    this.events.on('start', listener);
    return () => this.events.off('start', listener);
  }

  add(session: NetconfSession): void {
    this.sessions.set(session.id, session);
  }

  started(session: NetconfSession): void {
    this.statistics.inSessions += 1;
    this.notify('start', session);
  }

  ended(end: SessionEnd): void {
    if (!this.sessions.delete(end.session.id)) return;
    if (end.reason !== 'close-session' && end.session.baseVersion !== undefined) this.statistics.droppedSessions += 1;
    this.notify('end', end);
  }

  // A failing listener (lock release, subscription cleanup) must not keep the
  // session from closing or the other listeners from running.
  private notify(event: 'start' | 'end', value: unknown): void {
    for (const listener of this.events.listeners(event)) {
      try {
        (listener as (v: unknown) => void)(value);
      } catch (err) {
        this.logger?.error({ err, event }, 'session listener failed');
      }
    }
  }
}

/** Default bound on a session's queued output (see the error policy above). */
export const DEFAULT_MAX_QUEUED_OUTPUT_BYTES = 32 * 1024 * 1024;
/**
 * Framing steps (header bytes and chunks, framing.ts) decoded before other sessions get a turn:
 * about a millisecond. A message of one-byte chunks took 150-380 ms per 2 MB window unbounded.
 */
const FRAMING_STEPS_PER_TURN = 16 * 1024;

/** What a session needs from the transport below its channel. */
export interface OutputTransport {
  /**
   * Bytes written through the channel that the transport still holds beyond
   * channel.writableLength (for SSH: the TCP socket's send buffer, which grows
   * when a client grants a large window and then stops reading the socket).
   */
  queuedBytes(): number;
  /** Drop the transport now, discarding queued output (the client sees the connection close). */
  abort(): void;
}

export interface NetconfSessionOptions {
  id: number;
  channel: Duplex;
  username: string;
  groups: readonly string[];
  sourceHost: string;
  sourcePort: number;
  capabilities: readonly string[];
  dispatcher: RpcDispatcher;
  registry: SessionRegistry;
  logger: Logger;
  maxMessageBytes?: number;
  /** 0 = never. */
  idleTimeoutMs?: number;
  /** Time the client has to send its hello. 0 = never. */
  helloTimeoutMs?: number;
  /** Bound on queued output before a new message; default DEFAULT_MAX_QUEUED_OUTPUT_BYTES. */
  maxQueuedOutputBytes?: number;
  /** Default: only the channel's own buffer is counted, abort destroys the channel. */
  transport?: OutputTransport;
  /** Bounds on each message's XML; default DEFAULT_XML_LIMITS. */
  xmlLimits?: XmlLimits;
}

export class NetconfSession implements SessionInfo {
  readonly id: number;
  readonly username: string;
  readonly groups: readonly string[];
  readonly sourceHost: string;
  readonly sourcePort: number;
  readonly transport = 'netconf-ssh' as const;
  readonly loginTime = new Date();
  readonly counters: SessionCounters = { inRpcs: 0, inBadRpcs: 0, outRpcErrors: 0, outNotifications: 0 };
  private stateValue: SessionState = 'awaiting-hello';
  private baseVersionValue: BaseVersion | undefined;
  private clientCapabilitiesValue: readonly string[] = [];
  private outputMode: FramingMode = 'eom';
  private readonly decoder: FramingDecoder;
  private readonly channel: Duplex;
  private readonly dispatcher: RpcDispatcher;
  private readonly registry: SessionRegistry;
  private readonly serverCapabilities: readonly string[];
  private readonly log: Logger;
  private readonly idleTimeoutMs: number;
  private readonly helloTimeoutMs: number;
  private readonly maxQueuedOutputBytes: number;
  private readonly output: OutputTransport | undefined;
  private readonly xmlLimits: XmlLimits;
  private outputWaiter: (() => void) | undefined;
  private idleExempt = false;
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private inputEnded = false;
  private closeAfterReply = false;
  private readonly closedWaiters: (() => void)[] = [];
  private channelDone = false;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(options: NetconfSessionOptions) {
    this.id = options.id;
    this.channel = options.channel;
    this.username = options.username;
    this.groups = options.groups;
    this.sourceHost = options.sourceHost;
    this.sourcePort = options.sourcePort;
    this.serverCapabilities = options.capabilities;
    this.dispatcher = options.dispatcher;
    this.registry = options.registry;
    this.log = options.logger.child({ session: options.id, user: options.username, from: options.sourceHost });
    this.decoder = new FramingDecoder(
      options.maxMessageBytes !== undefined ? { maxMessageBytes: options.maxMessageBytes } : {},
    );
    this.idleTimeoutMs = options.idleTimeoutMs ?? 0;
    this.helloTimeoutMs = options.helloTimeoutMs ?? 60_000;
    this.maxQueuedOutputBytes = options.maxQueuedOutputBytes ?? DEFAULT_MAX_QUEUED_OUTPUT_BYTES;
    this.output = options.transport;
    this.xmlLimits = options.xmlLimits ?? DEFAULT_XML_LIMITS;
  }

  /** Output written to the channel that the client has not taken yet. */
  get queuedOutputBytes(): number {
    return this.channel.writableLength + (this.output?.queuedBytes() ?? 0) + this.batchBytes;
  }

  get state(): SessionState {
    return this.stateValue;
  }

  get baseVersion(): BaseVersion | undefined {
    return this.baseVersionValue;
  }

  get clientCapabilities(): readonly string[] {
    return this.clientCapabilitiesValue;
  }

  /** Send the server hello at once (RFC 6241 §8.1: both sides send without waiting) and start reading. */
  start(): void {
    this.registry.add(this);
    this.channel.on('data', (data: Buffer) => {
      if (this.stateValue === 'closed') return; // what follows close-session is ignored (RFC 6241 §7.8)
      this.decoder.push(data);
      void this.pump();
    });
    // EOF (SSH half-close) is not the end of the session: a client may send its
    // last rpcs and EOF in one go (`ssh -s ... netconf < file`), and is owed the
    // replies. The pump finishes what is buffered, then closes.
    this.channel.on('end', () => {
      this.inputEnded = true;
      void this.pump();
    });
    this.channel.on('close', () => this.onTransportClosed());
    this.channel.on('error', (err: Error) => {
      this.log.warn({ err }, 'NETCONF channel error');
      this.finish('transport-closed');
    });
    const capabilities = this.serverCapabilities.map((c) => `<capability>${escapeText(c)}</capability>`).join('');
    this.channel.write(
      encodeEom(
        `<?xml version="1.0" encoding="UTF-8"?>\n<hello xmlns="${NETCONF_BASE_NS}"><capabilities>${capabilities}</capabilities>` +
          `<session-id>${this.id}</session-id></hello>`,
      ),
    );
    this.armTimer(this.helloTimeoutMs, 'hello-timeout');
    this.log.info('NETCONF session opened');
  }

  sendNotification(notificationXml: string): boolean {
    // Closing (close-session accepted, its <ok/> under way) counts as closed.
    if (this.stateValue !== 'established' || this.closeAfterReply) return false;
    if (!this.write(notificationXml, true)) return false;
    this.counters.outNotifications += 1;
    this.registry.statistics.outNotifications += 1;
    return true;
  }

  drop(why: string): void {
    if (this.stateValue === 'closed') return;
    this.log.warn({ sourcePort: this.sourcePort, queuedBytes: this.queuedOutputBytes }, `NETCONF client cannot keep up: ${why}; closing the session`);
    this.finish('output-overflow');
  }

  setIdleTimeoutExempt(exempt: boolean): void {
    this.idleExempt = exempt;
    if (this.stateValue === 'established') this.armIdleTimer();
  }

  /** Close after the reply now being produced has been sent (close-session). */
  requestCloseAfterReply(): void {
    this.closeAfterReply = true;
  }

  /** What this session's operation handlers may do to sessions. */
  private readonly control: SessionControl = {
    closeAfterReply: () => this.requestCloseAfterReply(),
    kill: async (sessionId) => {
      const victim = this.registry.get(sessionId);
      if (victim === undefined) return false;
      await victim.close('killed', this.id);
      return true;
    },
  };

  /** End the session now; resolves once the channel is closed. */
  close(reason: CloseReason, killedBy?: number): Promise<void> {
    const closed = this.whenClosed();
    this.finish(reason, killedBy);
    return closed;
  }

  whenClosed(): Promise<void> {
    if (this.stateValue === 'closed' && this.channelDone) return Promise.resolve();
    return new Promise((resolve) => this.closedWaiters.push(resolve));
  }

  private finish(reason: CloseReason, killedBy?: number): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.clearTimer();
    const level = reason === 'close-session' || reason === 'transport-closed' ? 'info' : 'warn';
    this.log[level]({ reason, ...(killedBy !== undefined ? { killedBy } : {}) }, 'NETCONF session closed');
    this.registry.ended({ session: this, reason, ...(killedBy !== undefined ? { killedBy } : {}) });
    this.wakeOutputWaiter();
    const done = () => {
      if (this.channelDone) return;
      this.channelDone = true;
      for (const resolve of this.closedWaiters.splice(0)) resolve();
    };
    if (this.channel.destroyed) {
      done();
      return;
    }
    // A client that does not read would never take the queued output, nor the
    // SSH channel close: flushing first would only hold the memory longer.
    if (reason === 'output-overflow') {
      this.batch = [];
      this.batchBytes = 0;
      this.abortTransport();
      done();
      return;
    }
    this.flushBatch();
    this.channel.once('close', done);
    // end() flushes what was written (e.g. the <ok/> of close-session) before EOF;
    // the ssh2 channel then closes. ssh2 channels end their writable side by
    // themselves when the client sent EOF, hence the writableEnded case. The
    // timer bounds a peer that never reads.
    if (this.channel.writableEnded) {
      closeChannel(this.channel);
    } else {
      // Like sshd ending a subsystem, report exit-status 0 (OpenSSH's client exits
      // with 255 for a channel closed without one). ssh2 only sends it while the
      // channel is writable, so before end(); queued data still precedes the EOF.
      (this.channel as Duplex & { exit?: (status: number) => void }).exit?.(0);
      this.channel.end(() => closeChannel(this.channel));
    }
    // ssh2's Channel.destroy() only sends EOF and CLOSE, which a peer that does
    // not read never takes; the transport abort frees what is queued.
    setTimeout(() => {
      if (!this.channelDone) this.abortTransport();
      done();
    }, 5_000).unref();
  }

  private onTransportClosed(): void {
    if (this.stateValue === 'closed') return;
    this.checkTruncated();
    this.finish('transport-closed');
  }

  private checkTruncated(): void {
    try {
      this.decoder.end();
    } catch (err) {
      if (err instanceof FramingError) this.log.warn({ err: err.message }, 'client closed the channel inside a message');
    }
  }

  private armTimer(ms: number, reason: CloseReason): void {
    this.clearTimer();
    if (ms <= 0) return;
    this.timer = setTimeout(() => this.finish(reason), ms);
    this.timer.unref();
  }

  private armIdleTimer(): void {
    if (this.idleExempt) this.clearTimer();
    else this.armTimer(this.idleTimeoutMs, 'idle-timeout');
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Notifications framed in this turn, written to the channel as one write when the turn's synchronous
   * work ends (a microtask) or before anything else is written: a replay slice or a burst of events is
   * a few SSH packets instead of one per notification (ssh2 encrypts, and the client decrypts, per
   * packet: about half of a replay's CPU on both sides).
   */
  private batch: Buffer[] = [];
  private batchBytes = 0;

  private flushBatch(): void {
    if (this.batch.length === 0) return;
    const frames = this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch, this.batchBytes);
    this.batch = [];
    this.batchBytes = 0;
    if (!this.channel.destroyed && !this.channel.writableEnded) this.channel.write(frames);
  }

  /** Write one message (a notification: in this turn's batch); false when it was not written (channel gone, or the output bound ended the session). */
  private write(xml: string, notification = false): boolean {
    if (this.channel.destroyed || this.channel.writableEnded) return false;
    const queued = this.queuedOutputBytes;
    if (queued > this.maxQueuedOutputBytes) {
      this.log.warn(
        { sourcePort: this.sourcePort, queuedBytes: queued, limit: this.maxQueuedOutputBytes },
        'NETCONF client does not read its output: queued output over the limit, closing the session',
      );
      this.finish('output-overflow');
      return false;
    }
    const frame = encodeFrame(this.outputMode, xml);
    if (notification) {
      if (this.batch.length === 0) queueMicrotask(() => this.flushBatch());
      this.batch.push(frame);
      this.batchBytes += frame.length;
      return true;
    }
    this.flushBatch();
    this.channel.write(frame);
    return true;
  }

  private abortTransport(): void {
    if (this.output !== undefined) this.output.abort();
    else this.channel.destroy();
  }

  // rpc replies are flow-controlled: the next rpc waits until the channel took
  // what is queued (or the session ended), so pipelined requests cannot pile up
  // replies; the pause on the input meanwhile holds the client back via SSH.
  private async outputRoom(): Promise<void> {
    if (!this.channel.writableNeedDrain || this.stateValue === 'closed') return;
    await new Promise<void>((resolve) => {
      const wake = () => {
        this.channel.off('drain', wake);
        this.channel.off('close', wake);
        this.outputWaiter = undefined;
        resolve();
      };
      this.outputWaiter = wake;
      this.channel.once('drain', wake);
      this.channel.once('close', wake);
    });
  }

  private wakeOutputWaiter(): void {
    this.outputWaiter?.();
  }

  // Messages are handled strictly one at a time, in order (RFC 6241 §4.2: replies
  // in request order). The channel is paused while an operation runs, so a peer
  // that floods requests is held back by SSH flow control instead of our memory.
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.stateValue !== 'closed') {
        let message: Buffer | undefined;
        try {
          message = this.decoder.next(FRAMING_STEPS_PER_TURN);
        } catch (err) {
          if (!(err instanceof FramingError)) throw err;
          this.log.warn({ code: err.code, err: err.message }, 'NETCONF framing error');
          this.finish('framing-error');
          return;
        }
        if (message === undefined && this.decoder.undecoded) {
          // A message of tiny chunks: decoded a turn's steps at a time, the input paused meanwhile
          // (SSH holds the client back), others' turns between.
          this.channel.pause();
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        if (message === undefined) {
          if (this.inputEnded) {
            this.checkTruncated();
            this.finish('transport-closed');
          } else {
            this.channel.resume();
          }
          return;
        }
        this.channel.pause();
        // Turn-taking: one request, then the others' turn. A handler that
        // finishes without real I/O resolves in microtasks only, so without
        // this a pipelining session would run its whole queue (200 filters:
        // 21 s) before any other session's input was even read. setImmediate
        // runs after pending I/O, in FIFO order: sessions alternate request
        // by request.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.state === 'closed') return; // killed or dropped meanwhile
        await this.handleMessage(message);
        if (this.closeAfterReply) {
          this.finish('close-session');
          return;
        }
        await this.outputRoom();
      }
    } catch (err) {
      this.log.error({ err }, 'NETCONF session failed unexpectedly');
      this.finish('transport-closed');
    } finally {
      this.pumping = false;
    }
  }

  private async handleMessage(bytes: Buffer): Promise<void> {
    if (this.stateValue === 'awaiting-hello') {
      this.handleHello(bytes);
      return;
    }
    this.armIdleTimer();
    const parsed = await this.parseRpc(bytes);
    if (this.state === 'closed') return; // killed or dropped while a large message was parsed
    if (parsed.kind === 'too-big') {
      this.countBadRpc();
      this.log.warn({ limit: parsed.error.limit, max: parsed.error.max, bytes: bytes.length }, 'NETCONF message over an XML limit');
      const error = new RpcError({ type: 'rpc', tag: 'too-big', message: parsed.error.message });
      this.write(rpcReplyXml(parsed.attributes, error.toXml()));
      return;
    }
    if (parsed.kind === 'malformed') {
      this.countBadRpc();
      this.log.warn({ problem: clientText(parsed.problem) }, 'malformed NETCONF message');
      const error = new RpcError({
        type: 'rpc',
        tag: this.baseVersionValue === '1.1' ? 'malformed-message' : 'operation-failed',
        message: `message is not well-formed: ${parsed.problem}`,
      });
      this.write(rpcReplyXml([], error.toXml()));
      return;
    }
    if (parsed.kind === 'rejected') {
      this.countBadRpc();
      this.log.info({ errors: parsed.errors.map((e) => e.tag) }, 'rpc rejected');
      this.write(rpcReplyXml(parsed.attributes, parsed.errors.map((e) => e.toXml()).join('')));
      return;
    }
    const { rpc } = parsed;
    this.counters.inRpcs += 1;
    this.registry.statistics.inRpcs += 1;
    const outcome = await this.dispatcher.dispatch({ session: this, control: this.control, operation: rpc.operation, rpc });
    if (outcome.errorCount > 0) {
      this.counters.outRpcErrors += 1;
      this.registry.statistics.outRpcErrors += 1;
    }
    if (this.stateValue !== 'closed') this.write(rpcReplyXml(rpc.attributes, outcome.body));
  }

  private async parseRpc(
    bytes: Buffer,
  ): Promise<
    | RpcParseResult
    | { kind: 'malformed'; problem: string }
    | { kind: 'too-big'; error: XmlLimitError; attributes: readonly XmlAttribute[] }> {
    try {
      // A large message is checked, decoded and parsed in slices, other sessions' requests answered between them.
      return readRpc(await parseXmlMessageSliced(bytes, this.xmlLimits));
    } catch (err) {
      if (err instanceof XmlLimitError) return { kind: 'too-big', error: err, attributes: rpcAttributesOf(err.rootStartTag) };
      if (err instanceof XmlParseError) return { kind: 'malformed', problem: err.message };
      throw err;
    }
  }

  private countBadRpc(): void {
    this.counters.inBadRpcs += 1;
    this.counters.outRpcErrors += 1;
    this.registry.statistics.inBadRpcs += 1;
    this.registry.statistics.outRpcErrors += 1;
  }

  private handleHello(bytes: Buffer): void {
    const hello = readClientHello(bytes, this.utf8, this.xmlLimits);
    if (hello.kind === 'bad') {
      this.registry.statistics.inBadHellos += 1;
      this.log.warn({ problem: clientText(hello.problem) }, 'bad client hello');
      this.finish('bad-hello');
      return;
    }
    this.clientCapabilitiesValue = hello.capabilities;
    const both = (base: string) => hello.capabilities.includes(base) && this.serverCapabilities.includes(base);
    if (both(BASE_1_1)) {
      this.baseVersionValue = '1.1';
      // RFC 6242 §4.1: chunked framing from the message after the hellos, both directions.
      this.decoder.useChunked();
      this.outputMode = 'chunked';
    } else if (both(BASE_1_0)) {
      this.baseVersionValue = '1.0';
    } else {
      this.registry.statistics.inBadHellos += 1;
      const bases = hello.capabilities.filter((c) => c.includes(':base:'));
      this.log.warn({ client: bases.slice(0, 8).map((c) => clientText(c)) }, 'no common NETCONF base version');
      this.finish('bad-hello');
      return;
    }
    this.stateValue = 'established';
    this.armIdleTimer();
    this.log.info({ base: this.baseVersionValue }, 'NETCONF hello exchanged');
    this.registry.started(this);
  }
}

type ClientHello = { kind: 'ok'; capabilities: string[] } | { kind: 'bad'; problem: string };

/**
 * The attributes of an <rpc> start tag alone (message-id and the rest, to echo
 * on the reply to a message refused as a whole); none when it is not a
 * well-formed <rpc> start tag with a message-id.
 */
function rpcAttributesOf(startTag: string | undefined): readonly XmlAttribute[] {
  if (startTag === undefined) return [];
  try {
    const read = readRpc(parseXmlMessage(startTag));
    return read.kind === 'rejected' ? read.attributes : read.rpc.attributes;
  } catch {
    return [];
  }
}

function readClientHello(bytes: Buffer, utf8: TextDecoder, limits: XmlLimits): ClientHello {
  let root: XmlNode;
  try {
    root = parseXmlMessage(utf8.decode(bytes), limits).root;
  } catch (err) {
    return { kind: 'bad', problem: err instanceof Error ? err.message : String(err) };
  }
  if (root.$ns.local !== 'hello' || root.$ns.uri !== NETCONF_BASE_NS) {
    return { kind: 'bad', problem: `expected <hello> in ${NETCONF_BASE_NS}, got <${root.$ns.local}>` };
  }
  const children = root.$$ ?? [];
  // RFC 6241 §8.1: a client hello carrying a session-id ends the session.
  if (children.some((c) => c.$ns.local === 'session-id')) return { kind: 'bad', problem: 'client hello has a session-id' };
  const capabilitiesNode = children.find((c) => c.$ns.local === 'capabilities' && c.$ns.uri === NETCONF_BASE_NS);
  if (capabilitiesNode === undefined) return { kind: 'bad', problem: 'client hello has no capabilities' };
  const capabilities = (capabilitiesNode.$$ ?? [])
    .filter((c) => c.$ns.local === 'capability' && c.$ns.uri === NETCONF_BASE_NS)
    .map((c) => (c._ ?? '').trim())
    .filter((c) => c !== '');
  return { kind: 'ok', capabilities };
}

function closeChannel(channel: Duplex): void {
  const ssh = channel as Duplex & { close?: () => void };
  if (typeof ssh.close === 'function') ssh.close();
  else channel.destroy();
}
