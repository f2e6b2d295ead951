// One BGP neighbor: moves bytes between TCP and the codec, feeds the FSM (src/bgp/fsm.ts) and
// carries out its actions. No policy, no routing decisions: an UPDATE is decoded (RFC 7606
// verdict), applied to the Adj-RIB-In and handed on as received.
//
// Connections: the FSM runs per TCP connection (RFC 4271 §8). `primary` is the neighbor's
// connection (outbound unless passive); an inbound connection that arrives while the primary is
// in OpenSent/OpenConfirm runs as `secondary` until connection collision detection (§6.8)
// dumps one of the two.
import type net from 'node:net';
import { connectTcp, type ConnectTcpOptions } from '../net/sockopt.js';
import {
  BGP_VERSION,
  type BgpFrame,
  BgpMessageReader,
  BgpProtocolError,
  type Capability,
  decodeKeepalive,
  decodeNotification,
  decodeOpen,
  decodeRouteRefresh,
  decodeUpdate,
  type KnownAttributeSets,
  afiSafiOf,
  encodeEndOfRib,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  encodeRouteRefresh,
  ErrorCode,
  familyOf,
  nlriLength,
  MessageType,
  type OpenMessage,
  OpenMessageSubcode,
  parseIpv4,
  type SessionCodecOptions,
  type UpdateMessage,
} from './codec/index.js';
import { AdjRibIn, type AdjRibInStatistics } from './adj-rib-in.js';
import type { AttributeSetPools } from './attribute-set-pool.js';
import type { AddressFamily, NeighborConfig } from './config.js';
import { DEFAULT_BGP_PORT, neighborKeyOf } from './config.js';
import type {
  DownReason,
  EstablishedEvent,
  MessageCounters,
  NegotiatedCapabilities,
  NeighborKey,
  NeighborSnapshot,
  UpdateEvent,
  UpdateSummary,
} from './events.js';
import {
  CeaseSubcode,
  type FsmAction,
  type FsmConfig,
  type FsmDownCause,
  type FsmEvent,
  type FsmState,
  type FsmStateName,
  type FsmTimer,
  initialState,
  type NegotiatedTimers,
  transition,
} from './fsm.js';

/** Minimal logger (pino-compatible). */
export interface SessionLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SessionHooks {
  established(event: EstablishedEvent): void;
  update(event: UpdateEvent): void;
  down(neighbor: NeighborKey, reason: DownReason): void;
  stateChange(neighbor: NeighborKey, from: FsmStateName, to: FsmStateName): void;
}

export interface SessionOptions {
  readonly localAs: number;
  readonly routerId: string;
  readonly neighbor: NeighborConfig;
  readonly connectRetrySeconds: number;
  readonly hooks: SessionHooks;
  readonly log: SessionLogger;
  /** The speaker's attribute set pools, shared by its sessions' Adj-RIBs-In; each RIB keeps its own when absent. */
  readonly attributeSets?: AttributeSetPools;
}

/**
 * Received messages handled per event loop turn, over every neighbor together, before the rest
 * of the process (NETCONF, the BMP stations, timers) gets a turn; and the time that turn may
 * take. See ReceiveTurns.
 */
export const FRAMES_PER_TURN = 256;
const TURN_BUDGET_MS = 4;
/** Messages one connection handles before the next waiting connection has its go. */
const FRAMES_PER_SLICE = 32;

/**
 * Where received messages wait to be handled: connections with a backlog take turns,
 * FRAMES_PER_SLICE messages each, until FRAMES_PER_TURN messages or TURN_BUDGET_MS have gone,
 * then setImmediate. A 64 KiB read holds hundreds of small UPDATEs; handled as they came,
 * sixteen full-table neighbors made every other callback wait for all of their reads each turn
 * (a get-config on another NETCONF session took up to 280 ms). One queue for the process: the
 * bound is on the event loop turn, whichever speaker the connections belong to.
 */
class ReceiveTurns {
  private readonly waiting: Connection[] = [];
  private scheduled = false;

  add(connection: Connection): void {
    if (this.waiting.includes(connection)) return;
    this.waiting.push(connection);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.run());
    }
  }

  private run(): void {
    this.scheduled = false;
    const deadline = performance.now() + TURN_BUDGET_MS;
    let budget = FRAMES_PER_TURN;
    while (this.waiting.length > 0 && budget > 0 && performance.now() < deadline) {
      const connection = this.waiting.shift()!;
      const slice = Math.min(FRAMES_PER_SLICE, budget);
      const handled = connection.handleBacklog(slice);
      budget -= handled;
      if (connection.hasBacklog) this.waiting.push(connection);
    }
    if (this.waiting.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.run());
    }
  }
}

const receiveTurns = new ReceiveTurns();

/** The FSM events of every received KEEPALIVE and UPDATE: one object each, not one per message. */
const KEEPALIVE_MSG: FsmEvent = { type: 'KeepAliveMsg' };
const UPDATE_MSG: FsmEvent = { type: 'UpdateMsg' };

/** Every KEEPALIVE is the same 19 octets: encode it once. */
const KEEPALIVE = encodeKeepalive();

/** Strip the IPv4-mapped prefix a dual-stack socket reports (::ffff:192.0.2.1). */
export function plainAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function zeroCounters(): MessageCounters {
  return { open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0 };
}

function countMessage(counters: MessageCounters, type: number): void {
  switch (type) {
    case MessageType.Open:
      counters.open++;
      break;
    case MessageType.Update:
      counters.update++;
      break;
    case MessageType.Notification:
      counters.notification++;
      break;
    case MessageType.Keepalive:
      counters.keepalive++;
      break;
    case MessageType.RouteRefresh:
      counters.routeRefresh++;
      break;
  }
}

/** Made for every UPDATE: one array and the summary, no Set or spread (a full table is 300 k UPDATEs). */
export function summarizeUpdate(update: UpdateMessage): UpdateSummary {
  const families: AddressFamily[] = [];
  let announced = nlriLength(update);
  let withdrawn = update.withdrawnRoutes.length;
  if (announced + withdrawn > 0) families.push('ipv4-unicast');
  const reach = update.mpReach;
  if (reach !== undefined) {
    const count = nlriLength(reach);
    addFamily(families, reach, count);
    announced += count;
  }
  const unreach = update.mpUnreach;
  if (unreach !== undefined) {
    addFamily(families, unreach, unreach.withdrawn.length);
    withdrawn += unreach.withdrawn.length;
  }
  const treatAsWithdraw = update.verdict.action === 'treat-as-withdraw';
  if (treatAsWithdraw) {
    withdrawn += announced;
    announced = 0;
  }
  const endOfRib = update.endOfRib ? (familyOf(update.endOfRib.afi, update.endOfRib.safi) ?? null) : null;
  return { families, announced, withdrawn, endOfRib, treatAsWithdraw };
}

/** Adds the family of an MP_REACH_NLRI / MP_UNREACH_NLRI carrying `count` prefixes, if any and not listed yet. */
function addFamily(families: AddressFamily[], attribute: { readonly afi: number; readonly safi: number }, count: number): void {
  const family = familyOf(attribute.afi, attribute.safi);
  if (family && count > 0 && !families.includes(family)) families.push(family);
}

type Direction = 'outbound' | 'inbound';

const TIMER_EVENT: Record<FsmTimer, FsmEvent> = {
  'connect-retry': { type: 'ConnectRetryTimer_Expires' },
  hold: { type: 'HoldTimer_Expires' },
  keepalive: { type: 'KeepaliveTimer_Expires' },
};

/**
 * All a Connection may ask of its neighbor's Session. The FSM runs per connection (RFC 4271 §8);
 * what an outcome means for the neighbor (which connection survives a collision, §6.8; the
 * Adj-RIB-In; Established and Peer Down for the speaker) is the session's to decide.
 */
interface ConnectionOwner {
  readonly key: NeighborKey;
  readonly log: SessionLogger;
  readonly fsmConfig: FsmConfig;
  /** BMP backpressure: sockets stay paused, and the hold timer waits, until it lifts. */
  readonly readingPaused: boolean;
  /** Where the outbound connection goes and how (update-source, TCP MD5). */
  connectOptions(): ConnectTcpOptions;
  /** Our OPEN for a new connection. */
  buildOpen(): Buffer;
  /**
   * The peer's OPEN on `connection` (§6.2 checks the codec cannot make; throws BgpProtocolError):
   * the codec options the connection decodes with from now on, or null when collision detection
   * (§6.8) dumped `connection` itself.
   */
  openReceived(connection: Connection, open: OpenMessage): SessionCodecOptions | null;
  countMessage(direction: 'sent' | 'received', type: number): void;
  processUpdate(update: UpdateMessage): void;
  /** Where a received UPDATE's attribute set is looked up before decoding (the Adj-RIB-In's pool). */
  knownAttributeSets(): KnownAttributeSets | undefined;
  connectionStateChanged(connection: Connection, from: FsmStateName, to: FsmStateName): void;
  connectionIdle(connection: Connection): void;
  connectionEstablished(connection: Connection, negotiated: NegotiatedTimers): void;
  connectionDown(connection: Connection, cause: FsmDownCause): void;
}

/** One TCP connection with its own FSM instance. */
class Connection {
  state: FsmState;
  socket: net.Socket | null = null;
  sentOpen: Buffer | null = null;
  receivedOpen: OpenMessage | null = null;
  codecOptions: SessionCodecOptions = { fourOctetAs: false, ebgp: true };
  private reader = new BgpMessageReader();
  /** Messages read but not yet handled (see ReceiveTurns), and the next one's index in backlog[0]. */
  private backlog: BgpFrame[][] = [];
  private backlogAt = 0;
  /** A backlog is waiting for its turn (and has paused the socket). */
  private draining = false;
  private readonly timers = new Map<FsmTimer, { handle: NodeJS.Timeout | null; deadline: number }>();
  /** Bumped on every drop so a late connectTcp result or socket event is recognized as stale. */
  private generation = 0;
  private pendingUpdate: UpdateMessage | null = null;
  private closingWithNotification = false;
  lastReceivedNotification: Buffer | null = null;

  constructor(
    private readonly session: ConnectionOwner,
    /** Who opened the TCP connection; set again by attach(), §6.8 decides by it. */
    public direction: Direction,
    passive: boolean,
  ) {
    this.state = initialState(passive);
  }

  get name(): FsmStateName {
    return this.state.name;
  }

  feed(event: FsmEvent): void {
    const before = this.state;
    const result = transition(before, event, this.session.fsmConfig);
    this.state = result.state;
    if (before.name !== result.state.name) this.session.connectionStateChanged(this, before.name, result.state.name);
    for (const action of result.actions) this.perform(action);
    if (before.name !== 'Idle' && result.state.name === 'Idle') this.session.connectionIdle(this);
  }

  attach(socket: net.Socket, direction: Direction): void {
    const generation = ++this.generation;
    this.socket = socket;
    this.direction = direction;
    // A fresh reader: a failed earlier connection may have left half a message behind.
    this.reader = new BgpMessageReader();
    this.backlog = [];
    this.backlogAt = 0;
    this.draining = false;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (generation === this.generation) this.receive(chunk);
    });
    socket.on('error', (err) => {
      this.session.log.debug({ neighbor: this.session.key, err: err.message }, 'bgp connection error');
    });
    socket.on('close', () => {
      if (generation !== this.generation) return;
      // What the peer sent before it closed (a NOTIFICATION, say) comes first.
      this.handleBacklog(Infinity);
      if (generation !== this.generation) return;
      this.socket = null;
      this.feed({ type: 'TcpConnectionFails' });
    });
    if (this.session.readingPaused) socket.pause();
  }

  private perform(action: FsmAction): void {
    switch (action.kind) {
      case 'connect':
        void this.connect();
        return;
      case 'drop-connection':
        this.drop();
        return;
      case 'send-open':
        this.sentOpen = this.session.buildOpen();
        this.send(this.sentOpen);
        return;
      case 'send-keepalive':
        this.send(KEEPALIVE);
        return;
      case 'send-notification':
        this.send(encodeNotification(action.notification));
        this.closingWithNotification = true;
        return;
      case 'start-timer':
        this.startTimer(action.timer, action.seconds);
        return;
      case 'stop-timer':
        this.stopTimer(action.timer);
        return;
      case 'process-update':
        if (this.pendingUpdate) this.session.processUpdate(this.pendingUpdate);
        this.pendingUpdate = null;
        return;
      case 'established':
        this.session.connectionEstablished(this, action.negotiated);
        return;
      case 'down':
        this.session.connectionDown(this, action.cause);
        return;
    }
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    try {
      const socket = await connectTcp(this.session.connectOptions());
      if (generation !== this.generation || this.state.name !== 'Connect') {
        socket.destroy();
        return;
      }
      this.attach(socket, 'outbound');
      this.feed({ type: 'Tcp_CR_Acked' });
    } catch (err) {
      if (generation !== this.generation) return;
      this.session.log.debug({ neighbor: this.session.key, err: (err as Error).message }, 'bgp connect failed');
      this.feed({ type: 'TcpConnectionFails' });
    }
  }

  /** Stop using the connection: flush a NOTIFICATION first if one was just queued. */
  drop(): void {
    this.generation++;
    this.backlog = [];
    this.backlogAt = 0;
    this.draining = false;
    for (const running of this.timers.values()) if (running.handle) clearTimeout(running.handle);
    this.timers.clear();
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    if (this.closingWithNotification) {
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    } else {
      socket.destroy();
    }
    this.closingWithNotification = false;
  }

  send(message: Buffer): void {
    if (!this.socket || this.socket.destroyed) return;
    this.socket.write(message);
    this.session.countMessage('sent', message[18] ?? 0);
  }

  /**
   * A restart that only pushes the deadline later (the hold timer, on every UPDATE) moves the
   * deadline and keeps the Node timer: at a million prefixes a second, re-arming a timer per
   * message is a measurable cost. The timer checks the deadline when it fires.
   */
  private startTimer(timer: FsmTimer, seconds: number): void {
    const deadline = Date.now() + seconds * 1000;
    const running = this.timers.get(timer);
    if (running && running.deadline <= deadline) {
      running.deadline = deadline;
      return;
    }
    this.stopTimer(timer);
    const entry: { handle: NodeJS.Timeout | null; deadline: number } = { handle: null, deadline };
    const arm = (ms: number): void => {
      entry.handle = setTimeout(() => {
        const left = entry.deadline - Date.now();
        if (left > 0) return arm(left);
        // While we hold the socket paused (BMP backpressure) the peer's KEEPALIVEs sit unread in
        // the kernel: its silence is ours, so the hold timer waits for reading to resume.
        if (timer === 'hold' && this.session.readingPaused) {
          entry.deadline = Date.now() + seconds * 1000;
          return arm(seconds * 1000);
        }
        this.timers.delete(timer);
        this.feed(TIMER_EVENT[timer]);
      }, ms);
    };
    arm(seconds * 1000);
    this.timers.set(timer, entry);
  }

  private stopTimer(timer: FsmTimer): void {
    const running = this.timers.get(timer);
    if (running?.handle) clearTimeout(running.handle);
    this.timers.delete(timer);
  }

  private receive(chunk: Buffer): void {
    let frames;
    try {
      frames = this.reader.push(chunk);
    } catch (err) {
      if (err instanceof BgpProtocolError) {
        this.session.log.warn({ neighbor: this.session.key, err: err.message }, 'bgp message header error');
        this.feed({ type: 'BGPHeaderErr', notification: err.notification });
        return;
      }
      this.session.log.warn({ neighbor: this.session.key, err: (err as Error).stack }, 'bgp stream handling failed');
      this.feed({ type: 'AutomaticStop', cease: { subcode: CeaseSubcode.OutOfResources, data: Buffer.alloc(0) } });
      return;
    }
    if (frames.length === 0) return;
    this.backlog.push(frames);
    // Until the backlog is handled, TCP pushes back on the peer rather than reads piling up here.
    if (!this.draining) {
      this.draining = true;
      this.socket?.pause();
    }
    receiveTurns.add(this);
  }

  get hasBacklog(): boolean {
    return this.backlog.length > 0;
  }

  /**
   * Handle up to `limit` messages of the backlog, in order; returns how many. With the backlog
   * done, reading resumes (unless backpressure paused it).
   */
  handleBacklog(limit: number): number {
    const generation = this.generation;
    let handled = 0;
    while (this.backlog.length > 0 && handled < limit) {
      const frames = this.backlog[0]!;
      // An earlier message may have closed the connection: what it read after goes with it.
      if (generation !== this.generation) break;
      this.handleReceived(frames[this.backlogAt]!.type, frames[this.backlogAt]!.raw);
      handled++;
      if (++this.backlogAt === frames.length) {
        this.backlog.shift();
        this.backlogAt = 0;
      }
    }
    if (generation !== this.generation) {
      // The connection was dropped or replaced: its unread messages go with it.
      this.backlog = [];
      this.backlogAt = 0;
      this.draining = false;
      return handled;
    }
    if (this.backlog.length === 0 && this.draining) {
      this.draining = false;
      if (!this.session.readingPaused) this.socket?.resume();
    }
    return handled;
  }

  private handleReceived(type: number, raw: Buffer): void {
    this.session.countMessage('received', type);
    try {
      this.handleFrame(type, raw);
    } catch (err) {
      if (!(err instanceof BgpProtocolError)) {
        // A bug, not the peer's fault; still never let one neighbor's bytes take the process down.
        this.session.log.warn({ neighbor: this.session.key, err: (err as Error).stack }, 'bgp message handling failed');
        this.feed({ type: 'AutomaticStop', cease: { subcode: CeaseSubcode.OutOfResources, data: Buffer.alloc(0) } });
        return;
      }
      this.session.log.warn({ neighbor: this.session.key, err: err.message }, 'bgp message error');
      const event: FsmEvent =
        type === MessageType.Open ? { type: 'BGPOpenMsgErr', notification: err.notification } : { type: 'BGPHeaderErr', notification: err.notification };
      this.feed(event);
    }
  }

  private handleFrame(type: number, raw: Buffer): void {
    switch (type) {
      case MessageType.Open: {
        const open = decodeOpen(raw);
        const codecOptions = this.session.openReceived(this, open);
        if (codecOptions === null) return;
        this.receivedOpen = open;
        this.codecOptions = codecOptions;
        this.feed({ type: 'BGPOpen', holdTime: open.holdTime });
        return;
      }
      case MessageType.Keepalive:
        decodeKeepalive(raw);
        this.feed(KEEPALIVE_MSG);
        return;
      case MessageType.Update: {
        const update = decodeUpdate(raw, this.codecOptions, this.session.knownAttributeSets());
        if (update.verdict.action === 'session-reset') {
          this.session.log.warn({ neighbor: this.session.key, reason: update.verdict.reason }, 'bgp update error: session reset');
          this.feed({ type: 'UpdateMsgErr', notification: update.verdict.notification });
          return;
        }
        if (update.verdict.action !== 'ok') {
          this.session.log.info(
            { neighbor: this.session.key, action: update.verdict.action, verdict: update.verdict },
            'bgp update error handled per RFC 7606',
          );
        }
        this.pendingUpdate = update;
        this.feed(UPDATE_MSG);
        this.pendingUpdate = null;
        return;
      }
      case MessageType.Notification: {
        const notification = decodeNotification(raw);
        this.lastReceivedNotification = Buffer.from(raw);
        this.session.log.info(
          { neighbor: this.session.key, code: notification.code, subcode: notification.subcode },
          'bgp notification received',
        );
        const versionError = notification.code === ErrorCode.OpenMessage && notification.subcode === OpenMessageSubcode.UnsupportedVersionNumber;
        this.feed(versionError ? { type: 'NotifMsgVerErr' } : { type: 'NotifMsg' });
        return;
      }
      case MessageType.RouteRefresh:
        // We advertise no routes, so a refresh request needs no answer beyond keeping the
        // session alive; it is still decoded so a malformed one gets its NOTIFICATION (RFC 7313 §5).
        decodeRouteRefresh(raw);
        return;
    }
  }

  pause(): void {
    this.socket?.pause();
  }

  resume(): void {
    // A backlog under way resumes the socket itself when it is done.
    if (!this.draining) this.socket?.resume();
  }
}

export class Session implements ConnectionOwner {
  neighbor: NeighborConfig;
  readonly key: NeighborKey;
  private readonly localAs: number;
  private readonly routerId: string;
  readonly log: SessionLogger;
  private readonly attributeSets: AttributeSetPools | undefined;
  /** The Adj-RIB-In of the current session; made at Established, when the ASN encoding and families are known. */
  rib: AdjRibIn | null = null;
  fsmConfig: FsmConfig;
  readingPaused = false;
  private readonly receivedCounters = zeroCounters();
  private readonly sentCounters = zeroCounters();

  private primary: Connection;
  private secondary: Connection | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  /** Set while the operator (or the config) keeps the neighbor down. */
  private adminDown = true;
  private pendingDownReason: DownReason | null = null;

  private established: { event: EstablishedEvent; connection: Connection } | null = null;
  private establishedTransitions = 0;
  private treatAsWithdrawUpdates = 0;
  private treatAsWithdrawPrefixes = 0;
  private lastDown: (DownReason & { at: Date }) | null = null;
  private lastStatistics: AdjRibInStatistics | null = null;
  private readonly hooks: SessionHooks;

  constructor(options: SessionOptions) {
    this.neighbor = options.neighbor;
    this.key = neighborKeyOf(options.neighbor);
    this.localAs = options.localAs;
    this.routerId = options.routerId;
    this.log = options.log;
    this.attributeSets = options.attributeSets;
    this.hooks = options.hooks;
    this.fsmConfig = Session.fsmConfigOf(options.neighbor, options.connectRetrySeconds);
    this.primary = new Connection(this, options.neighbor.passive ? 'inbound' : 'outbound', options.neighbor.passive);
  }

  static fsmConfigOf(neighbor: NeighborConfig, connectRetrySeconds: number): FsmConfig {
    return { holdTime: neighbor.timers.holdTime, keepalive: neighbor.timers.keepalive, connectRetrySeconds };
  }

  get state(): FsmStateName {
    return this.primary.name;
  }

  get isEstablished(): boolean {
    return this.established !== null;
  }

  /** The Peer Up facts of the current session, null when not Established. */
  get establishedEvent(): EstablishedEvent | null {
    return this.established?.event ?? null;
  }

  get capabilities(): NegotiatedCapabilities | null {
    return this.established?.event.capabilities ?? null;
  }

  /** ManualStart (§8.1.2 event 1, or 4 when passive) unless the neighbor is shut down. */
  start(): void {
    this.adminDown = this.neighbor.shutdown;
    if (this.adminDown) return;
    this.primary.feed({ type: 'ManualStart', passive: this.neighbor.passive });
  }

  /**
   * ManualStop with a Cease NOTIFICATION (RFC 4486): 2 Administrative Shutdown, 3 Peer
   * De-configured, 4 Administrative Reset. `deconfigured` reports BMP Peer Down reason 5.
   */
  stop(subcode: number, options: { deconfigured?: boolean; data?: Buffer } = {}): void {
    this.adminDown = true;
    this.clearRestart();
    if (options.deconfigured) this.pendingDownReason = { kind: 'deconfigured' };
    const cease = { subcode, data: options.data ?? Buffer.alloc(0) };
    this.secondary?.feed({ type: 'ManualStop', cease });
    this.primary.feed({ type: 'ManualStop', cease });
    this.pendingDownReason = null;
  }

  /** Hard reset: Cease/Administrative Reset, then start again right away. */
  reset(): void {
    this.stop(CeaseSubcode.AdministrativeReset);
    this.start();
  }

  /** Take an accepted connection from the speaker's listener (§6.8 when one is already running). */
  accept(socket: net.Socket): void {
    const refuse = (why: string): void => {
      this.log.info({ neighbor: this.key, why }, 'bgp incoming connection refused');
      socket.destroy();
    };
    if (this.adminDown) return refuse('neighbor is shut down');
    switch (this.primary.name) {
      case 'Idle':
        return refuse('neighbor is Idle');
      case 'Connect':
      case 'Active':
        this.primary.drop();
        this.primary.attach(socket, 'inbound');
        this.primary.feed({ type: 'TcpConnectionConfirmed' });
        return;
      case 'OpenSent':
      case 'OpenConfirm':
        if (this.secondary) return refuse('a second connection is already being set up');
        this.secondary = new Connection(this, 'inbound', true);
        this.secondary.feed({ type: 'ManualStart', passive: true });
        this.secondary.attach(socket, 'inbound');
        this.secondary.feed({ type: 'TcpConnectionConfirmed' });
        return;
      case 'Established': {
        // §6.8: a collision with an Established connection closes the new one.
        const notification = encodeNotification({ code: ErrorCode.Cease, subcode: CeaseSubcode.ConnectionRejected, data: Buffer.alloc(0) });
        socket.end(notification);
        setTimeout(() => socket.destroy(), 1000).unref();
        this.log.info({ neighbor: this.key }, 'bgp incoming connection rejected: session is Established');
        return;
      }
    }
  }

  /** Apply a changed config that does not need a reset (description, timers for the next session). */
  updateConfig(neighbor: NeighborConfig, connectRetrySeconds: number): void {
    this.neighbor = neighbor;
    this.fsmConfig = Session.fsmConfigOf(neighbor, connectRetrySeconds);
  }

  pauseReading(): void {
    this.readingPaused = true;
    this.primary.pause();
    this.secondary?.pause();
  }

  resumeReading(): void {
    this.readingPaused = false;
    this.primary.resume();
    this.secondary?.resume();
  }

  /** RFC 2918 / RFC 7313 ROUTE-REFRESH; false when not Established or not negotiated. */
  sendRouteRefresh(afi: number, safi: number): boolean {
    const established = this.established;
    if (!established || !established.event.capabilities.routeRefresh) return false;
    const family = familyOf(afi, safi);
    if (family === undefined || !established.event.capabilities.families.includes(family)) return false;
    established.connection.send(encodeRouteRefresh({ afi, safi, subtype: 0 }));
    return true;
  }

  buildOpen(): Buffer {
    const capabilities: Capability[] = this.neighbor.addressFamilies.map((family) => ({ kind: 'multiprotocol', ...afiSafiOf(family) }));
    capabilities.push(
      { kind: 'route-refresh' },
      { kind: 'enhanced-route-refresh' },
      { kind: 'four-octet-as', asn: this.localAs },
    );
    return encodeOpen({
      version: BGP_VERSION,
      // encodeOpen writes AS_TRANS here when the AS needs 4 octets (RFC 6793 §4.1).
      myAs: this.localAs,
      holdTime: this.neighbor.timers.holdTime,
      bgpIdentifier: this.routerId,
      capabilities,
    });
  }

  connectOptions(): ConnectTcpOptions {
    const neighbor = this.neighbor;
    return {
      host: neighbor.address,
      port: neighbor.remotePort ?? DEFAULT_BGP_PORT,
      ...(neighbor.updateSource ? { localAddress: neighbor.updateSource } : {}),
      ...(neighbor.password ? { md5Key: neighbor.password } : {}),
      timeoutMs: Math.min(this.fsmConfig.connectRetrySeconds, 30) * 1000,
    };
  }

  openReceived(connection: Connection, open: OpenMessage): SessionCodecOptions | null {
    this.validateOpen(open);
    if (this.resolveCollision(connection, open)) return null;
    return {
      fourOctetAs: open.capabilities.some((c) => c.kind === 'four-octet-as'),
      ebgp: this.neighbor.remoteAs !== this.localAs,
    };
  }

  countMessage(direction: 'sent' | 'received', type: number): void {
    countMessage(direction === 'sent' ? this.sentCounters : this.receivedCounters, type);
  }

  /** RFC 4271 §6.2 checks the codec cannot make: the peer must be who we configured. */
  private validateOpen(open: OpenMessage): void {
    if (open.asn !== this.neighbor.remoteAs) {
      const data = Buffer.alloc(2);
      data.writeUInt16BE(open.myAs);
      throw new BgpProtocolError(`peer AS ${open.asn}, expected ${this.neighbor.remoteAs}`, ErrorCode.OpenMessage, OpenMessageSubcode.BadPeerAs, data);
    }
    // RFC 6286 §2.2: only an internal peer must not share our BGP Identifier.
    if (open.bgpIdentifier === '0.0.0.0' || (open.asn === this.localAs && open.bgpIdentifier === this.routerId)) {
      throw new BgpProtocolError(`bad BGP identifier ${open.bgpIdentifier}`, ErrorCode.OpenMessage, OpenMessageSubcode.BadBgpIdentifier);
    }
  }

  /**
   * §6.8 collision detection, run when `connection` receives an OPEN while the other connection
   * exists: the connection opened by the side with the higher BGP Identifier survives.
   * Returns true when `connection` itself was dumped.
   */
  private resolveCollision(connection: Connection, open: OpenMessage): boolean {
    const other = connection === this.primary ? this.secondary : this.primary;
    if (!other || other.name === 'Idle') return false;
    if (other.name === 'Established') {
      connection.feed({ type: 'OpenCollisionDump' });
      return true;
    }
    if (other.name !== 'OpenSent' && other.name !== 'OpenConfirm') return false;
    const localWins = parseIpv4(this.routerId) > parseIpv4(open.bgpIdentifier);
    const keep = [connection, other].find((c) => (c.direction === 'outbound') === localWins) ?? connection;
    const dump = keep === connection ? other : connection;
    this.log.info({ neighbor: this.key, kept: keep.direction }, 'bgp connection collision resolved');
    if (dump === this.primary) {
      this.primary = keep;
      this.secondary = dump;
    }
    dump.feed({ type: 'OpenCollisionDump' });
    return dump === connection;
  }

  connectionStateChanged(connection: Connection, from: FsmStateName, to: FsmStateName): void {
    if (connection === this.primary) this.hooks.stateChange(this.key, from, to);
  }

  connectionIdle(connection: Connection): void {
    if (connection === this.secondary) {
      this.secondary = null;
      return;
    }
    if (connection !== this.primary) return;
    if (this.secondary && this.secondary.name !== 'Idle') {
      // The inbound connection carries on as the neighbor's connection.
      this.primary = this.secondary;
      this.secondary = null;
      return;
    }
    this.primary = new Connection(this, this.neighbor.passive ? 'inbound' : 'outbound', this.neighbor.passive);
    this.scheduleRestart();
  }

  connectionEstablished(connection: Connection, negotiated: NegotiatedTimers): void {
    if (connection !== this.primary) {
      this.primary = connection;
    }
    const other = this.secondary;
    this.secondary = null;
    if (other && other !== connection) other.feed({ type: 'OpenCollisionDump' });
    const socket = connection.socket;
    const open = connection.receivedOpen;
    if (!socket || !open || !connection.sentOpen) return;
    const capabilities = this.negotiate(open);
    const event: EstablishedEvent = {
      neighbor: this.key,
      vrf: this.neighbor.vrf?.name ?? null,
      rd: this.neighbor.vrf?.rd ?? null,
      peerAddress: this.neighbor.address,
      peerAs: open.asn,
      peerBgpId: open.bgpIdentifier,
      localAddress: plainAddress(socket.localAddress),
      localPort: socket.localPort ?? 0,
      remotePort: socket.remotePort ?? 0,
      sentOpen: connection.sentOpen,
      receivedOpen: Buffer.from(open.raw),
      capabilities,
      negotiated,
      establishedAt: new Date(),
    };
    this.established = { event, connection };
    this.rib = new AdjRibIn({
      localAs: this.localAs,
      routerId: this.routerId,
      fourOctetAs: connection.codecOptions.fourOctetAs,
      families: capabilities.families,
      attributeSets: this.attributeSets?.for({ localAs: this.localAs, routerId: this.routerId, fourOctetAs: connection.codecOptions.fourOctetAs }),
    });
    this.establishedTransitions++;
    this.log.info({ neighbor: this.key, peerAs: open.asn, families: capabilities.families }, 'bgp session established');
    this.hooks.established(event);
    // RFC 4724: we announce nothing, so our initial table is empty right away.
    for (const family of capabilities.families) connection.send(encodeEndOfRib(family));
  }

  connectionDown(connection: Connection, cause: FsmDownCause): void {
    if (!this.established || this.established.connection !== connection) return;
    this.established = null;
    this.lastStatistics = this.rib?.statistics() ?? null;
    // Give the routes' references back: the attribute sets are shared with other neighbors. With
    // the speaker's pools, on a turn of its own (AttributeSetPools.releaseLater).
    if (this.rib && this.attributeSets) this.attributeSets.releaseLater(this.rib);
    else this.rib?.clear();
    this.rib = null;
    const reason: DownReason =
      this.pendingDownReason ??
      (cause.kind === 'local-notification'
        ? { kind: 'local-notification', pdu: encodeNotification(cause.notification) }
        : cause.kind === 'remote-notification'
          ? { kind: 'remote-notification', pdu: connection.lastReceivedNotification ?? Buffer.alloc(0) }
          : cause);
    this.lastDown = { ...reason, at: new Date() };
    this.log.info({ neighbor: this.key, reason: reason.kind }, 'bgp session down');
    this.hooks.down(this.key, reason);
  }

  knownAttributeSets(): KnownAttributeSets | undefined {
    return this.rib?.attributeSets;
  }

  processUpdate(update: UpdateMessage): void {
    const summary = summarizeUpdate(update);
    if (summary.treatAsWithdraw) {
      this.treatAsWithdrawUpdates++;
      this.treatAsWithdrawPrefixes += summary.withdrawn;
    }
    this.rib?.apply(update);
    // A copy: the reader's view pins the whole socket chunk, and the BMP queues may hold this a while.
    this.hooks.update({ neighbor: this.key, raw: Buffer.from(update.raw), summary, receivedAt: Date.now() });
  }

  private negotiate(open: OpenMessage): NegotiatedCapabilities {
    const peerFamilies = open.capabilities.flatMap((c) => (c.kind === 'multiprotocol' ? [familyOf(c.afi, c.safi)] : []));
    // (undefined entries are families bmpd does not speak; they never match a configured one)
    // RFC 4760 §8 / RFC 5492: a peer without Multiprotocol capabilities speaks IPv4 unicast.
    const offered = peerFamilies.length === 0 ? ['ipv4-unicast'] : peerFamilies;
    const families = this.neighbor.addressFamilies.filter((f) => offered.includes(f));
    const has = (test: (c: Capability) => boolean): boolean => open.capabilities.some(test);
    return {
      families,
      routeRefresh: has((c) => c.kind === 'route-refresh' || (c.kind === 'unknown' && c.code === 128)),
      enhancedRouteRefresh: has((c) => c.kind === 'enhanced-route-refresh'),
      fourOctetAs: has((c) => c.kind === 'four-octet-as'),
    };
  }

  /** Routes per negotiated family of the current session. */
  prefixCounts(): Partial<Record<AddressFamily, number>> {
    const counts: Partial<Record<AddressFamily, number>> = {};
    const rib = this.rib;
    if (!rib) return counts;
    for (const family of this.established?.event.capabilities.families ?? []) counts[family] = rib.routeCount(family);
    return counts;
  }

  /** RFC 7854 §4.8 counters of the current session (of the last one while down). */
  statistics(): AdjRibInStatistics | null {
    return this.rib?.statistics() ?? this.lastStatistics;
  }

  private scheduleRestart(): void {
    if (this.adminDown) return;
    this.clearRestart();
    // Stands in for the IdleHoldTimer (§8.1.1): short, so a reset neighbor comes back soon.
    const delay = Math.min(5, this.fsmConfig.connectRetrySeconds) * 1000;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.adminDown) this.primary.feed({ type: 'AutomaticStart', passive: this.neighbor.passive });
    }, delay);
  }

  private clearRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  snapshot(): NeighborSnapshot {
    const established = this.established?.event ?? null;
    return {
      key: this.key,
      address: this.neighbor.address,
      vrf: this.neighbor.vrf?.name ?? null,
      remoteAs: this.neighbor.remoteAs,
      description: this.neighbor.description,
      state: this.primary.name,
      adminShutdown: this.adminDown,
      establishedAt: established?.establishedAt ?? null,
      establishedTransitions: this.establishedTransitions,
      prefixes: this.prefixCounts(),
      received: { ...this.receivedCounters },
      sent: { ...this.sentCounters },
      treatAsWithdrawUpdates: this.treatAsWithdrawUpdates,
      treatAsWithdrawPrefixes: this.treatAsWithdrawPrefixes,
      lastDown: this.lastDown,
      negotiated: established?.negotiated ?? null,
      capabilities: established?.capabilities ?? null,
      peerBgpId: established?.peerBgpId ?? null,
      localAddress: established?.localAddress ?? null,
      readingPaused: this.readingPaused,
    };
  }
}
