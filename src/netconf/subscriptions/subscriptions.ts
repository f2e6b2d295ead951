/**
 * Dynamic subscriptions (RFC 8639 over NETCONF, RFC 8640) to the NETCONF
 * event stream and YANG-push subscriptions (RFC 8641) to the operational
 * state <get> serves: establish-, modify-, delete- and kill-subscription,
 * the subscription state notifications, periodic push-update and on-change
 * push-change-update.
 *
 * Bounded work and memory (SPEC §4):
 * - Datastore content is computed like <get>: by the evaluation workers,
 *   within their time limit, with the subscriber's NACM read rules applied
 *   there (RFC 8641 §5.2: a push holds only what the receiver may read), and
 *   within the subscriptions' share of those workers (fair-share.ts: all but
 *   one worker, one evaluation per user at a time, users in turn). A
 *   subscription has at most one evaluation queued or in flight; a period that
 *   comes while one is running is skipped, changes coalesce into one more.
 * - On-change is registered before its baseline is read, and a change marks
 *   what it touched before anything reads again (selection-view.ts): a change
 *   during the baseline's (or any update's) evaluation is looked at again,
 *   never lost. A read that began before a change is never shared with one
 *   asked for after it (fair-share.ts, change epoch).
 * - On-change is incremental: subscribers of one user and filter share one
 *   view of the selection, patched where a change touched it (one neighbor's
 *   entry) instead of recomputed (selection-view.ts).
 * - A subscriber that does not read its session's output is suspended
 *   (subscription-suspended, reason unsupportable-volume: RFC 8639 §2.7.4,
 *   the publisher cannot get the volume to the receiver) once its queued
 *   output passes SUSPEND_QUEUED_BYTES, before the session's own bound would
 *   end it; nothing more is computed or queued for it until the backlog fell
 *   under RESUME_QUEUED_BYTES (subscription-resumed, and for on-change a
 *   push-update of the whole selection, RFC 8641 §3.11). Other subscribers
 *   never wait for it: every send is a non-blocking write.
 * - At most MAX_SUBSCRIPTIONS_PER_SESSION per session and MAX_SUBSCRIPTIONS
 *   in all (insufficient-resources).
 */
import type { DataTree, YangContext } from 'libyang-wasm';
import type { Logger } from 'pino';
import type { EvaluationFilter } from '../evaluation-pool.js';
import {
  dateTimeParam, notificationXml, selectorsOf, selects, SN_NS, STREAM_NETCONF, type EventSelector, type NotificationEvent,
  type NotificationStream,
} from '../notifications.js';
import { realClock, type Clock } from '../../clock.js';
import { pathSteps } from '../data-path.js';
import { HeldEvents, MAX_HELD_BYTES, MAX_HELD_EVENTS, replayInSlices } from '../replay.js';
import { child, childSlice, text } from '../operation-args.js';
import { RpcError } from '../rpc-error.js';
import type { ParsedOperation, RpcDispatcher, RpcHandler } from '../rpc.js';
import type { SessionInfo } from '../session-control.js';
import { FilterError, filterTooBig, subtreeFilterToXPath } from '../subtree-filter.js';
import { declareNamespaces, escapeText, textElement as e, XmlLimitError, type XmlSlice } from '../xml.js';
import { FairShare, type EpochRead } from './fair-share.js';
import { affectedBy, SelectionView } from './selection-view.js';
import { patchEdits, yangPatchXml, type ChangeKind } from './yang-patch.js';

export { SN_NS };
export const YP_NS = 'urn:ietf:params:xml:ns:yang:ietf-yang-push';
const DS_NS = 'urn:ietf:params:xml:ns:yang:ietf-datastores';

export const MAX_SUBSCRIPTIONS_PER_SESSION = 32;
export const MAX_SUBSCRIPTIONS = 1024;
/** The shortest period accepted (centiseconds, RFC 8641 period): 100 ms. */
export const MIN_PERIOD_CS = 10;
/** A subscriber whose session holds more queued output than this is suspended. */
export const SUSPEND_QUEUED_BYTES = 4 * 1024 * 1024;
export const RESUME_QUEUED_BYTES = 1024 * 1024;
/** How often a suspended subscription looks whether its subscriber caught up. */
const RESUME_CHECK_MS = 250;

/**
 * Operational state on-change reports (RFC 8641 §3.10): BMP server status and BGP neighbor session
 * state and what changes with them. Every other config false node (counters, queue depths, up-times)
 * changes all the time or counts: periodic subscriptions report it.
 */
const ON_CHANGE_STATE = /^\/bmpd:bgp(\/bmpd:vrf\/bmpd:address-family)?\/(bmpd:bmp\/bmpd:server\/bmpd:state\/bmpd:(status|established-at|last-error|local-address|local-port)|bmpd:neighbor\/bmpd:state\/bmpd:(session-state|established-at|last-down-reason|local-address|local-port|remote-port|remote-router-id|negotiated-hold-time|capabilities|active-servers|configured-servers))$/;
/** Where a schema path enters config false data. */
const STATE_SUBTREE = /^\/(bmpd:agent|bmpd:debugging|ietf-netconf-monitoring:|ietf-yang-library:|nc-notifications:)|\/bmpd:state(\/|$)|^\/ietf-netconf-acm:nacm\/ietf-netconf-acm:denied-/;

/** Whether on-change reports a change of the node at `schemaPath`. */
export function onChangeReportable(schemaPath: string): boolean {
  return !STATE_SUBTREE.test(schemaPath) || ON_CHANGE_STATE.test(schemaPath);
}

/** The events after which an on-change selection is looked at again: what changes the state it covers. */
const ON_CHANGE_TRIGGERS = new Set(['netconf-config-change', 'bmp-server-state-change', 'bgp-neighbor-state-change']);

type UpdateTrigger =
  | { readonly kind: 'periodic'; readonly periodCs: number; readonly anchor: Date | null }
  | { readonly kind: 'on-change'; readonly dampeningCs: number; readonly syncOnStart: boolean; readonly excluded: ReadonlySet<ChangeKind> };

type Target =
  | { readonly kind: 'stream'; readonly selectors: readonly EventSelector[] | null; readonly filterXml: string; readonly replayStart: Date | null }
  | { readonly kind: 'datastore'; readonly filter: EvaluationFilter; readonly filterXml: string; readonly trigger: UpdateTrigger };

interface Subscription {
  readonly id: number;
  readonly session: SessionInfo;
  target: Target;
  stopTime: Date | null;
  state: 'active' | 'suspended' | 'ended';
  /** The next period, dampened change or resume check (the backend's clock). */
  timer?: unknown;
  stopTimer?: NodeJS.Timeout;
  /** Live events held while the replay is sent (bounded: replay.ts HeldEvents). */
  held: HeldEvents | null;
  /** The replay buffer's last seq when the subscription was made: replay ends there. */
  replayUpTo: number;
  /** On-change: the view of its selection (shared by the user's subscriptions of that filter), and the version last reported. */
  view: SelectionView | null;
  version: number;
  evaluating: boolean;
  /** On-change: a change came while evaluating or dampened. */
  dirty: boolean;
  lastPush: number;
  /** Periodic: the grid of the trigger in effect (anchor-time, else when it took effect) and its next update. */
  grid: { readonly trigger: UpdateTrigger; readonly anchor: number; readonly period: number; next: number } | null;
  /** Periodic: periods not pushed (the previous update still computing, or a timer later than a period), and when last logged. */
  skippedPeriods: number;
  skipLoggedAt: number;
  patchId: number;
  /** RFC 8639 receiver counters: event records (events, push-update, push-change-update) sent and withheld. */
  sentRecords: number;
  excludedRecords: number;
}

/** What subscriptions need of the server. */
export interface SubscriptionBackend {
  readonly stream: NotificationStream;
  readonly context: YangContext;
  /** The operational state as <get> returns it to `session` (NACM applied), selected by `filter`: <data>'s content. */
  read(session: SessionInfo, filter: EvaluationFilter): Promise<string>;
  /** The evaluation workers `read` uses: subscriptions take all but one of them (at least one). */
  readonly evaluationWorkers: number;
  moduleOf(namespace: string): string | null;
  namespaceOf(module: string): string | null;
  readonly logger: Logger;
  /** The periods', dampening's and resume checks' time; default src/clock.ts's realClock (tests drive their own). */
  readonly clock?: Clock;
}

/** A skipped period is logged at most this often per subscription (with the count since the last line). */
const SKIP_LOG_INTERVAL_MS = 10_000;

type ErrorReason = { identity: string; module: 'sn' | 'yp'; hint?: string };

function subscriptionError(op: 'establish' | 'modify' | 'delete', reason: ErrorReason, message: string, datastore: boolean): RpcError {
  const identity = `${reason.module === 'sn' ? 'ietf-subscribed-notifications' : 'ietf-yang-push'}:${reason.identity}`;
  const ns = reason.module === 'sn' ? SN_NS : YP_NS;
  const infoName = op === 'delete' ? 'delete-subscription-error-info'
    : datastore ? `${op}-subscription-datastore-error-info` : `${op}-subscription-stream-error-info`;
  const infoNs = datastore && op !== 'delete' ? YP_NS : SN_NS;
  const hint = reason.hint !== undefined ? e('filter-failure-hint', reason.hint) : '';
  // RFC 8640 §2.4.1: error-app-tag names the identity, error-info carries the RFC 8639 / 8641 yang-data.
  return new RpcError({ type: 'application', tag: 'invalid-value', appTag: identity, message,
    info: { extraXml: `<${infoName} xmlns="${infoNs}"><reason xmlns:${reason.module}="${ns}">${reason.module}:${reason.identity}</reason>${hint}</${infoName}>` } });
}

/**
 * RFC 8639 §2.4.6 (and RFC 8641's module): where the modules' types refuse what the RFCs have an error
 * identity for, the refusal carries it. bmpd has no named filters (/sn:filters is always empty,
 * bmpd-deviations), so every stream-filter-name and selection-filter-ref dangles; an xpath filter
 * that does not parse, or an encoding that is not an identity of this server, is the filter's or the
 * encoding's fault. Everything else (an unknown parameter, a wrong type) stays the schema's verdict.
 */
function subscriptionRefusal(op: 'establish' | 'modify', refusal: RpcError): RpcError {
  if (refusal.tag !== 'invalid-value') return refusal;
  const filterUnsupported = (hint: string, datastore: boolean) =>
    subscriptionError(op, { module: 'sn', identity: 'filter-unsupported', hint }, refusal.message, datastore);
  switch (refusal.info?.badElement) {
    case 'stream-filter-name': return filterUnsupported('no stream filters are configured; give stream-subtree-filter or stream-xpath-filter', false);
    case 'selection-filter-ref': return filterUnsupported('no selection filters are configured; give datastore-subtree-filter or datastore-xpath-filter', true);
    case 'stream-xpath-filter': return filterUnsupported(refusal.message, false);
    case 'datastore-xpath-filter': return filterUnsupported(refusal.message, true);
    case 'encoding':
      return op === 'establish'
        ? subscriptionError(op, { module: 'sn', identity: 'encoding-unsupported' }, `${refusal.message} NETCONF subscriptions are encoded in XML`, false)
        : refusal;
    default: return refusal;
  }
}

/** A uint32 parameter as the schema admitted it, or null when it is absent. */
function uintParam(node: ParsedOperation['node'] | undefined, name: string, ns: string): number | null {
  const v = text(child(node ?? { '#name': '', $ns: { uri: '', local: '' } }, name, ns));
  return v === undefined ? null : Number(v.trim());
}

export class SubscriptionManager {
  private readonly subscriptions = new Map<number, Subscription>();
  /** Counts the events on-change looks again after (ON_CHANGE_TRIGGERS), once each is in effect. */
  private changeEpoch = 0;
  private readonly share: FairShare;
  private lastId = 0;
  /** On-change selections by user and filter. */
  private readonly views = new Map<string, SelectionView>();
  private readonly log: Logger;
  private readonly stopListening: () => void;
  private readonly clock: Clock;

  constructor(private readonly backend: SubscriptionBackend) {
    this.log = backend.logger;
    this.clock = backend.clock ?? realClock;
    this.share = new FairShare(backend.evaluationWorkers - 1, () => this.changeEpoch);
    this.stopListening = backend.stream.onEvent((event, at) => this.onEvent(event, at));
  }

  get count(): number {
    return this.subscriptions.size;
  }

  /** Whether a session holds a dynamic subscription (RFC 5277 create-subscription is then refused). */
  hasSubscriptions(sessionId: number): boolean {
    for (const s of this.subscriptions.values()) if (s.session.id === sessionId) return true;
    return false;
  }

  register(dispatcher: RpcDispatcher): void {
    // The schema judges the input first, as every rpc's; RFC 8639's identities restate its refusals
    // where the RFCs name the fault (subscriptionRefusal), and the handlers add what no type says.
    dispatcher.register(SN_NS, 'establish-subscription', (ctx) => this.establish(ctx.operation, ctx.session),
      { restateRefusal: (refusal) => subscriptionRefusal('establish', refusal) });
    dispatcher.register(SN_NS, 'modify-subscription', (ctx) => this.modify(ctx.operation, ctx.session),
      { restateRefusal: (refusal) => subscriptionRefusal('modify', refusal) });
    dispatcher.register(SN_NS, 'delete-subscription', (ctx) => this.remove(ctx.operation, ctx.session, false));
    dispatcher.register(SN_NS, 'kill-subscription', (ctx) => this.remove(ctx.operation, ctx.session, true));
  }

  /** The session ended: its subscriptions end with it (RFC 8639 §2.4: dynamic subscriptions live in their session). */
  sessionEnded(sessionId: number): void {
    for (const sub of [...this.subscriptions.values()]) if (sub.session.id === sessionId) this.end(sub);
  }

  close(): void {
    this.stopListening();
    for (const sub of [...this.subscriptions.values()]) this.end(sub);
  }

  // --- RPCs -------------------------------------------------------------------------------------

  private establish: (op: ParsedOperation, session: SessionInfo) => Promise<{ xml: string }> = async (op, session) => {
    if (this.backend.stream.isSubscribed(session.id)) {
      // RFC 8640 §2.1: a session with an RFC 5277 subscription holds no RFC 8639 one.
      throw new RpcError({ type: 'protocol', tag: 'operation-failed', message: 'this session has a create-subscription subscription' });
    }
    let own = 0;
    for (const s of this.subscriptions.values()) if (s.session.id === session.id) own++;
    if (own >= MAX_SUBSCRIPTIONS_PER_SESSION || this.subscriptions.size >= MAX_SUBSCRIPTIONS) {
      throw subscriptionError('establish', { module: 'sn', identity: 'insufficient-resources' },
        `at most ${MAX_SUBSCRIPTIONS_PER_SESSION} subscriptions per session and ${MAX_SUBSCRIPTIONS} in all`, false);
    }
    const target = await this.targetOf(op, 'establish');
    const stopTime = dateTimeParam(text(child(op.node, 'stop-time', SN_NS)), 'stop-time');
    const sub: Subscription = { id: this.nextId(), session, target, stopTime, state: 'active', held: null,
      replayUpTo: this.backend.stream.replay.lastSeq, view: null, version: 0,
      evaluating: false, dirty: false, lastPush: 0, grid: null, skippedPeriods: 0, skipLoggedAt: -Infinity, patchId: 0, sentRecords: 0, excludedRecords: 0 };
    let revision = '';
    if (target.kind === 'stream' && target.replayStart !== null) {
      if (target.replayStart.getTime() > Date.now()) {
        throw new RpcError({ type: 'application', tag: 'invalid-value', message: 'replay-start-time is in the future', info: { badElement: 'replay-start-time' } });
      }
      // RFC 8639 §2.4.2.1: a start before the oldest event retained is revised to it.
      const oldest = this.backend.stream.replay.agedAt === null ? null : this.backend.stream.replay.oldest;
      if (oldest !== null && target.replayStart < oldest) {
        sub.target = { ...target, replayStart: oldest };
        revision = `<replay-start-time-revision xmlns="${SN_NS}">${oldest.toISOString()}</replay-start-time-revision>`;
      }
      sub.held = new HeldEvents();
    }
    // Registered before the baseline is read, so that a change during that read is seen (below).
    this.subscriptions.set(sub.id, sub);
    if (target.kind === 'datastore' && target.trigger.kind === 'on-change') {
      // The baseline, and RFC 8641's on-change-unsupported when the selection holds only state on-change does not cover.
      try {
        await this.adoptView(sub, target.filter);
      } catch (err) {
        this.end(sub);
        throw err;
      }
      if (!sub.view!.tree.isEmpty && !this.anyReportable(sub.view!.tree)) {
        this.end(sub);
        throw subscriptionError('establish', { module: 'yp', identity: 'on-change-unsupported',
          hint: 'on-change covers configuration, BMP server status and BGP neighbor session state; use a periodic subscription for counters' },
        'on-change is not supported for anything this filter selects', true);
      }
      sub.lastPush = this.clock.now();
    }
    // The session may have ended (or the subscription been killed) while the baseline was computed.
    if (session.state === 'closed' || sub.state === 'ended') {
      this.end(sub);
      throw new RpcError({ type: 'application', tag: 'operation-failed', message: 'the session ended' });
    }
    session.setIdleTimeoutExempt(true);
    this.log.info({ topic: 'netconf', session: session.id, subscription: sub.id, target: target.kind,
      ...(target.kind === 'datastore' ? { update: target.trigger.kind } : {}) }, 'subscription established');
    // The replay and first updates follow the reply, which is the dynamic subscription's start
    // (subscription-started is `if-feature configured` in RFC 8639's module).
    setImmediate(() => this.start(sub, true));
    return { xml: `<id xmlns="${SN_NS}">${sub.id}</id>${revision}` };
  };

  private modify: (op: ParsedOperation, session: SessionInfo) => Promise<{ ok: true }> = async (op, session) => {
    const sub = this.own(op, session, 'modify');
    const target = await this.targetOf(op, 'modify', sub.target);
    const stop = text(child(op.node, 'stop-time', SN_NS));
    if (stop !== undefined) sub.stopTime = dateTimeParam(stop, 'stop-time');
    this.stopTimers(sub);
    sub.target = target;
    this.releaseView(sub);
    if (target.kind === 'datastore' && target.trigger.kind === 'on-change') await this.adoptView(sub, target.filter);
    this.log.info({ topic: 'netconf', session: session.id, subscription: sub.id }, 'subscription modified');
    setImmediate(() => this.start(sub, false));
    return { ok: true };
  };

  private remove(op: ParsedOperation, session: SessionInfo, kill: boolean): Promise<{ ok: true }> {
    const id = uintParam(op.node, 'id', SN_NS)!; // mandatory
    const sub = this.subscriptions.get(id);
    // RFC 8639 §2.4.4: delete-subscription only for the session's own subscriptions; kill for any.
    if (sub === undefined || (!kill && sub.session.id !== session.id)) {
      throw subscriptionError('delete', { module: 'sn', identity: 'no-such-subscription' }, `no subscription ${id}${kill ? '' : ' of this session'}`, false);
    }
    this.log.info({ topic: 'netconf', session: session.id, subscription: id, owner: sub.session.id }, kill ? 'subscription killed' : 'subscription deleted');
    if (kill) this.notify(sub, 'subscription-terminated', `<reason>sn:no-such-subscription</reason>`);
    this.end(sub);
    return Promise.resolve({ ok: true });
  }

  private own(op: ParsedOperation, session: SessionInfo, what: 'modify'): Subscription {
    const id = uintParam(op.node, 'id', SN_NS)!; // mandatory
    const sub = this.subscriptions.get(id);
    if (sub === undefined || sub.session.id !== session.id) {
      throw subscriptionError(what, { module: 'sn', identity: 'no-such-subscription' }, `no subscription ${id} of this session`, false);
    }
    return sub;
  }

  /** establish-subscription's (or modify-subscription's, over `current`) target and update trigger. */
  private async targetOf(op: ParsedOperation, what: 'establish' | 'modify', current?: Target): Promise<Target> {
    // The schema holds a target (a mandatory choice): <datastore> in the datastore case, else the stream case.
    const datastoreText = text(child(op.node, 'datastore', YP_NS));
    const datastore = datastoreText !== undefined;
    if (current !== undefined && (current.kind === 'datastore') !== datastore) {
      // RFC 8639 §2.4.3 modifies a subscription's filter, not what it subscribes to.
      throw subscriptionError(what, { module: 'sn', identity: 'filter-unsupported', hint: `this is a ${current.kind} subscription; give a ${current.kind} filter` },
        `a ${current.kind} subscription cannot take a ${datastore ? 'datastore' : 'stream'} target`, current.kind === 'datastore');
    }
    if (datastoreText !== undefined) {
      const name = datastoreText.trim().replace(/^.*:/, '');
      // bmpd's state is what <get> returns: the operational datastore (running holds no state).
      if (name !== 'operational') {
        throw subscriptionError(what, { module: 'yp', identity: 'datastore-not-subscribable' }, `datastore ${datastoreText.trim()} cannot be subscribed to; use ds:operational`, true);
      }
    }
    if (!datastore) {
      // The schema has it for establish-subscription (a mandatory case; modify-subscription has no
      // <stream>), but not whether it exists: its leafref is require-instance false.
      const stream = text(child(op.node, 'stream', SN_NS));
      if (stream !== undefined && stream.trim() !== STREAM_NETCONF) {
        throw subscriptionError(what, { module: 'sn', identity: 'stream-unavailable' }, `no stream ${stream.trim()}; this server has NETCONF`, false);
      }
      const filter = await this.streamFilter(op, what);
      const replay = dateTimeParam(text(child(op.node, 'replay-start-time', SN_NS)), 'replay-start-time');
      const prev = current?.kind === 'stream' ? current : undefined;
      return { kind: 'stream', selectors: filter?.selectors ?? prev?.selectors ?? null, filterXml: filter?.xml ?? prev?.filterXml ?? '',
        replayStart: what === 'establish' ? replay : prev?.replayStart ?? null };
    }
    const prev = current?.kind === 'datastore' ? current : undefined;
    const filter = await this.datastoreFilter(op, what) ?? (prev ? { filter: prev.filter, xml: prev.filterXml } : { filter: undefined, xml: '' });
    const periodic = child(op.node, 'periodic', YP_NS);
    const onChange = child(op.node, 'on-change', YP_NS);
    let trigger: UpdateTrigger;
    if (periodic !== undefined) {
      const periodCs = uintParam(periodic, 'period', YP_NS)!; // mandatory
      if (periodCs < MIN_PERIOD_CS) {
        throw subscriptionError(what, { module: 'yp', identity: 'period-unsupported', hint: String(MIN_PERIOD_CS) },
          `the shortest period is ${MIN_PERIOD_CS} centiseconds`, true);
      }
      const anchorText = text(child(periodic, 'anchor-time', YP_NS));
      const anchor = anchorText !== undefined ? dateTimeParam(anchorText, 'anchor-time') : prev?.trigger.kind === 'periodic' ? prev.trigger.anchor : null;
      trigger = { kind: 'periodic', periodCs, anchor };
    } else if (onChange !== undefined || prev?.trigger.kind === 'on-change') {
      const old = prev?.trigger.kind === 'on-change' ? prev.trigger : undefined;
      const dampeningCs = uintParam(onChange, 'dampening-period', YP_NS) ?? old?.dampeningCs ?? 0;
      const sync = text(child(onChange ?? { '#name': '', $ns: { uri: '', local: '' } }, 'sync-on-start', YP_NS));
      const excluded = new Set<ChangeKind>(old?.excluded ?? []);
      // The schema's enumeration (ietf-yang-push change-type) admitted only a ChangeKind.
      for (const node of (onChange?.$$ ?? []).filter((c) => c.$ns.local === 'excluded-change' && c.$ns.uri === YP_NS)) excluded.add((node._ ?? '').trim() as ChangeKind);
      trigger = { kind: 'on-change', dampeningCs, syncOnStart: sync === undefined ? old?.syncOnStart ?? true : sync.trim() === 'true', excluded };
    } else if (prev !== undefined) {
      trigger = prev.trigger; // modify-subscription of the filter (and stop-time) only
    } else {
      throw new RpcError({ type: 'protocol', tag: 'missing-element', message: 'a datastore subscription needs periodic or on-change', info: { badElement: 'periodic' } });
    }
    return { kind: 'datastore', filter: filter.filter, filterXml: filter.xml, trigger };
  }

  private async streamFilter(op: ParsedOperation, what: 'establish' | 'modify'): Promise<{ selectors: EventSelector[] | null; xml: string } | undefined> {
    const subtree = childSlice(op, 'stream-subtree-filter', SN_NS);
    const xpath = text(child(op.node, 'stream-xpath-filter', SN_NS));
    if (subtree === undefined && xpath === undefined) return undefined;
    try {
      const selectors = subtree !== undefined
        ? await selectorsOf(subtree.innerXml, { ...subtree.namespaces }, null)
        : await selectorsOf('', namespacesOf(op, 'stream-xpath-filter'), xpath!.trim());
      return { selectors, xml: subtree !== undefined ? subtreeFilterElement('stream-subtree-filter', SN_NS, subtree)
        : xpathFilterElement('stream-xpath-filter', SN_NS, xpath!.trim(), namespacesOf(op, 'stream-xpath-filter')) };
    } catch (err) {
      if (err instanceof RpcError) throw subscriptionError(what, { module: 'sn', identity: 'filter-unsupported', hint: err.message }, err.message, false);
      throw err;
    }
  }

  private async datastoreFilter(op: ParsedOperation, what: 'establish' | 'modify'): Promise<{ filter: EvaluationFilter; xml: string } | undefined> {
    const subtree = childSlice(op, 'datastore-subtree-filter', YP_NS);
    const xpath = text(child(op.node, 'datastore-xpath-filter', YP_NS));
    if (subtree !== undefined) {
      try {
        const x = await subtreeFilterToXPath(subtree.innerXml, (ns) => this.backend.moduleOf(ns), subtree.namespaces);
        return { filter: { xpath: x }, xml: subtreeFilterElement('datastore-subtree-filter', YP_NS, subtree) };
      } catch (err) {
        if (err instanceof FilterError) throw subscriptionError(what, { module: 'sn', identity: 'filter-unsupported', hint: err.message }, err.message, true);
        if (err instanceof XmlLimitError) throw filterTooBig();
        throw err;
      }
    }
    if (xpath !== undefined) {
      const namespaces = namespacesOf(op, 'datastore-xpath-filter');
      return { filter: { xpath: xpath.trim(), namespaces }, xml: xpathFilterElement('datastore-xpath-filter', YP_NS, xpath.trim(), namespaces) };
    }
    return undefined;
  }

  // --- delivery ---------------------------------------------------------------------------------

  private start(sub: Subscription, established: boolean): void {
    if (sub.state === 'ended') return;
    if (!established) this.notify(sub, 'subscription-modified', this.describe(sub));
    // modify-subscription of a suspended one: it stays suspended until its subscriber caught up.
    if (sub.state === 'suspended') this.awaitResume(sub);
    const { target } = sub;
    if (target.kind === 'stream' && established && target.replayStart !== null) void this.replay(sub, target.replayStart);
    if (target.kind === 'datastore' && sub.state === 'active') {
      if (target.trigger.kind === 'periodic') this.schedulePeriodic(sub);
      else if (established && target.trigger.syncOnStart) void this.pushUpdate(sub);
      else if (sub.dirty) this.changed(sub);
    }
    if (sub.stopTime !== null) {
      const wait = sub.stopTime.getTime() - Date.now();
      // RFC 8639's subscription-completed is `if-feature configured`: a dynamic subscription ends at
      // its stop-time without one (nothing is sent after stop-time, and the id is free again).
      const complete = () => {
        if (sub.state === 'ended') return;
        this.log.info({ topic: 'netconf', session: sub.session.id, subscription: sub.id }, 'subscription reached its stop-time');
        this.end(sub);
      };
      if (wait <= 0) complete();
      else sub.stopTimer = setTimeout(complete, Math.min(wait, 2 ** 31 - 1));
    }
  }

  /** RFC 8639 §2.7.2 / RFC 8641 §4.4.1 subscription-modified content after the id. */
  private describe(sub: Subscription): string {
    const t = sub.target;
    const stop = sub.stopTime !== null ? e('stop-time', sub.stopTime.toISOString()) : '';
    if (t.kind === 'stream') {
      return `${t.filterXml}${e('stream', STREAM_NETCONF)}${t.replayStart !== null ? e('replay-start-time', t.replayStart.toISOString()) : ''}${stop}`;
    }
    const trigger = t.trigger.kind === 'periodic'
      ? `<periodic xmlns="${YP_NS}">${e('period', t.trigger.periodCs)}${t.trigger.anchor ? e('anchor-time', t.trigger.anchor.toISOString()) : ''}</periodic>`
      : `<on-change xmlns="${YP_NS}">${e('dampening-period', t.trigger.dampeningCs)}${e('sync-on-start', t.trigger.syncOnStart)}` +
        `${[...t.trigger.excluded].map((x) => e('excluded-change', x)).join('')}</on-change>`;
    return `<datastore xmlns="${YP_NS}" xmlns:ds="${DS_NS}">ds:operational</datastore>${t.filterXml}${stop}${trigger}`;
  }

  private notify(sub: Subscription, name: string, content: string, at = new Date(this.clock.now())): void {
    const ns = name.startsWith('push-') ? YP_NS : SN_NS;
    const xml = `<${name} xmlns="${ns}" xmlns:sn="${SN_NS}">${e('id', sub.id)}${content}</${name}>`;
    this.send(sub, { namespace: ns, name, xml }, at, ns === YP_NS);
  }

  /**
   * One notification to the subscriber, through NACM's notification rules; false when not written.
   * An event record (not a subscription state notification) counts as sent or excluded (RFC 8639
   * receiver counters; a record NACM withholds is excluded).
   */
  private send(sub: Subscription, event: NotificationEvent, at: Date, record: boolean): boolean {
    const content = this.backend.stream.contentFor(sub.session, event);
    const written = content !== null && sub.session.sendNotification(notificationXml(at, content));
    if (record && written) sub.sentRecords++;
    else if (record && content === null) sub.excludedRecords++;
    return written;
  }

  /**
   * RFC 8639 /subscriptions as the operational state holds it: every dynamic subscription with its
   * target, filter, stop-time, update trigger and encoding, and its one receiver (the session that
   * made it) with its counters. Served in <get> and get-data, under the reader's NACM read rules.
   */
  stateXml(): string {
    if (this.subscriptions.size === 0) return '';
    const entries = [...this.subscriptions.values()].map((sub) =>
      `<subscription>${e('id', sub.id)}${this.describe(sub)}${e('encoding', 'sn:encode-xml')}` +
      `<receivers><receiver>${e('name', `NETCONF session ${sub.session.id}`)}${e('sent-event-records', sub.sentRecords)}` +
      `${e('excluded-event-records', sub.excludedRecords)}${e('state', sub.state === 'suspended' ? 'suspended' : 'active')}</receiver></receivers></subscription>`);
    return `<subscriptions xmlns="${SN_NS}" xmlns:sn="${SN_NS}">${entries.join('')}</subscriptions>`;
  }

  /** Suspends the subscription when its subscriber stopped reading; true when it may send. */
  private mayPush(sub: Subscription): boolean {
    if (sub.state === 'ended') return false;
    if (sub.state === 'suspended') return false;
    const queued = sub.session.queuedOutputBytes;
    if (queued <= SUSPEND_QUEUED_BYTES) return true;
    sub.state = 'suspended';
    this.log.warn({ topic: 'netconf', session: sub.session.id, subscription: sub.id, queuedBytes: queued, limit: SUSPEND_QUEUED_BYTES },
      'subscriber does not read its updates: subscription suspended');
    this.notify(sub, 'subscription-suspended', `<reason>sn:unsupportable-volume</reason>`);
    this.awaitResume(sub);
    return false;
  }

  /** Looks every RESUME_CHECK_MS whether a suspended subscriber caught up; resumes it then. */
  private awaitResume(sub: Subscription): void {
    const check = () => {
      sub.timer = undefined;
      if (sub.state !== 'suspended') return;
      if (sub.session.queuedOutputBytes > RESUME_QUEUED_BYTES) {
        sub.timer = this.clock.setTimeout(check, RESUME_CHECK_MS);
        return;
      }
      sub.state = 'active';
      this.log.info({ topic: 'netconf', session: sub.session.id, subscription: sub.id }, 'subscription resumed');
      this.notify(sub, 'subscription-resumed', '');
      const t = sub.target;
      if (t.kind === 'datastore') {
        if (t.trigger.kind === 'periodic') this.schedulePeriodic(sub);
        else void this.pushUpdate(sub);
      }
    };
    if (sub.timer !== undefined) this.clock.clearTimeout(sub.timer);
    sub.timer = this.clock.setTimeout(check, RESUME_CHECK_MS);
  }

  /**
   * RFC 8639 §2.4.2.1 replay: the buffered events from replay-start-time, replay-completed, then the
   * live events held meanwhile, in slices that wait for a slow reader (replay.ts replayInSlices). It
   * stops when the subscription ends or is suspended (see heldOverflow); a modify-subscription
   * meanwhile applies its filter to the rest.
   */
  private async replay(sub: Subscription, start: Date): Promise<void> {
    const active = () => sub.state === 'active' && this.subscriptions.get(sub.id) === sub && sub.session.state !== 'closed';
    const to = <T extends { at: Date; event: NotificationEvent }>() => ({
      get queuedOutputBytes() { return sub.session.queuedOutputBytes; },
      deliver: (entry: T) => this.deliverEvent(sub, entry.event, entry.at),
      active,
    });
    const replayed = this.backend.stream.replay.between(start, sub.stopTime, sub.replayUpTo);
    if (await replayInSlices(replayed, to()) === null) return this.replayStopped(sub);
    this.notify(sub, 'replay-completed', '');
    const held = sub.held?.entries ?? [];
    const sent = await replayInSlices(held, to());
    if (sent === null) return this.replayStopped(sub);
    // Held since the last slice (the same turn): in order, before the live ones that follow.
    for (let i = sent; i < held.length; i++) this.deliverEvent(sub, held[i]!.event, held[i]!.at);
    sub.held = null;
  }

  /** A replay that did not finish: its held events go with it, and live delivery takes over if the subscription goes on. */
  private replayStopped(sub: Subscription): void {
    if (sub.held === null) return;
    sub.held = null;
    if (sub.state !== 'ended') this.log.warn({ topic: 'netconf', session: sub.session.id, subscription: sub.id, state: sub.state }, 'replay stopped before it completed');
  }

  /**
   * The subscriber's replay is so far behind the stream that its held live events passed their bound:
   * RFC 8639 §2.7.4's case of a publisher that cannot get the volume to the receiver. The
   * subscription is suspended (unsupportable-volume), which stops the replay (no replay-completed)
   * and gives up the held events; it resumes with live events once the subscriber caught up.
   */
  private heldOverflow(sub: Subscription): void {
    sub.held = null;
    sub.state = 'suspended';
    this.log.warn({ topic: 'netconf', session: sub.session.id, subscription: sub.id, limitEvents: MAX_HELD_EVENTS, limitBytes: MAX_HELD_BYTES },
      'subscriber cannot keep up with its replay: live events held during it passed their bound; subscription suspended');
    this.notify(sub, 'subscription-suspended', `<reason>sn:unsupportable-volume</reason>`);
    this.awaitResume(sub);
  }

  private onEvent(event: NotificationEvent, at: Date): void {
    for (const sub of this.subscriptions.values()) {
      if (sub.target.kind !== 'stream') continue;
      if (sub.held === null) this.deliverEvent(sub, event, at);
      else if (!sub.held.hold(at, event)) this.heldOverflow(sub);
    }
    if (!ON_CHANGE_TRIGGERS.has(event.name)) return;
    // netconf-config-change is published from the apply hook, before running is replaced: the change
    // is in effect (and the epoch moves) once running is (the datastore replaces it within the same turn).
    setImmediate(() => {
      this.changeEpoch++;
      const affected = affectedBy(event);
      for (const view of this.views.values()) view.markChanged(affected);
      for (const sub of this.subscriptions.values()) {
        if (sub.target.kind === 'datastore' && sub.target.trigger.kind === 'on-change') this.changed(sub);
      }
    });
  }

  private deliverEvent(sub: Subscription, event: NotificationEvent, at: Date): void {
    if (sub.target.kind !== 'stream') return;
    if (!selects(sub.target.selectors, event)) {
      sub.excludedRecords++;
      return;
    }
    if (sub.stopTime !== null && at > sub.stopTime) return;
    if (!this.mayPush(sub)) return;
    this.send(sub, event, at, true);
  }

  /**
   * The next periodic push-update, on the grid of RFC 8641's anchor-time: updates at anchor-time +
   * n × period; without an anchor-time, the grid starts when the trigger took effect (establishment,
   * or the modify-subscription that set it), so it does not drift with the timer's lateness. Each
   * push-update's eventTime is its grid point. A period is skipped, never made up later (a burst of
   * stale reads helps no one): when its timer fires after the following grid point too (the event
   * loop was held longer than a period) the latest point passed is pushed and the ones before it are
   * skipped; when the previous update is still being computed the period is skipped. Skips are
   * counted and logged (a warning at most every SKIP_LOG_INTERVAL_MS per subscription). A suspended
   * subscription resumes on the same grid; the periods it was suspended for are not skips.
   */
  private schedulePeriodic(sub: Subscription): void {
    const t = sub.target;
    if (t.kind !== 'datastore' || t.trigger.kind !== 'periodic') return;
    const trigger = t.trigger;
    const period = trigger.periodCs * 10;
    const now = this.clock.now();
    if (sub.grid?.trigger !== trigger) sub.grid = { trigger, anchor: trigger.anchor?.getTime() ?? now, period, next: 0 };
    const grid = sub.grid;
    // The first grid point after now (an anchor-time in the future: that one, or one before it).
    grid.next = grid.anchor + (Math.floor((now - grid.anchor) / period) + 1) * period;
    this.armPeriod(sub, t, grid);
  }

  private armPeriod(sub: Subscription, t: Target, grid: NonNullable<Subscription['grid']>): void {
    if (sub.timer !== undefined) this.clock.clearTimeout(sub.timer);
    sub.timer = this.clock.setTimeout(() => {
      sub.timer = undefined;
      if (sub.state !== 'active' || sub.target !== t || sub.grid !== grid) return;
      const late = Math.max(0, Math.floor((this.clock.now() - grid.next) / grid.period));
      const at = grid.next + late * grid.period;
      grid.next = at + grid.period;
      this.armPeriod(sub, t, grid);
      const busy = sub.evaluating;
      if (!busy) void this.pushUpdate(sub, new Date(at));
      if (late > 0 || busy) {
        this.periodsSkipped(sub, late + (busy ? 1 : 0), busy ? 'the previous update is still being computed' : 'the timer fired more than a period late');
      }
    }, Math.max(0, grid.next - this.clock.now()));
  }

  private periodsSkipped(sub: Subscription, count: number, why: string): void {
    sub.skippedPeriods += count;
    const now = this.clock.now();
    if (now - sub.skipLoggedAt < SKIP_LOG_INTERVAL_MS) return;
    sub.skipLoggedAt = now;
    this.log.warn({ topic: 'netconf', session: sub.session.id, subscription: sub.id, skippedPeriods: sub.skippedPeriods },
      `periodic subscription: a period skipped (${why}); the next update is at its grid point`);
  }

  /**
   * `work` (an evaluation of the subscription's selection) with `evaluating` set meanwhile: one
   * evaluation queued or in flight per subscription.
   */
  private async evaluating<T>(sub: Subscription, work: () => Promise<T>): Promise<T> {
    sub.evaluating = true;
    try {
      return await work();
    } finally {
      sub.evaluating = false;
    }
  }

  /** evaluating() for a push: false when the evaluation failed, which is logged. */
  private async evaluatedForPush(sub: Subscription, work: () => Promise<unknown>, update: 'push-update' | 'push-change-update'): Promise<boolean> {
    try {
      await this.evaluating(sub, work);
      return true;
    } catch (err) {
      this.log.warn({ topic: 'netconf', err, subscription: sub.id }, `${update} not computed`);
      return false;
    }
  }

  /** The on-change subscription takes the view of its user and filter (made and read if new), up to date. */
  private async adoptView(sub: Subscription, filter: EvaluationFilter): Promise<void> {
    const key = `${sub.session.username}\n${JSON.stringify(filter ?? null)}`;
    let view = this.views.get(key);
    if (view === undefined) {
      const first = sub.session;
      const made: SelectionView = view = new SelectionView({
        context: this.backend.context, filter, moduleOf: (ns) => this.backend.moduleOf(ns), namespaceOf: (m) => this.backend.namespaceOf(m),
        read: async (f) => (await this.read(this.readerOf(made) ?? first, f)).xml,
        edits: (changes, after) => patchEdits(changes, after, (m) => this.backend.namespaceOf(m), (c) => onChangeReportable(c.schemaPath), new Set()),
      });
      this.views.set(key, view);
    }
    view.subscribers++;
    sub.view = view;
    const adopted = view;
    await this.evaluating(sub, () => adopted.refresh());
    sub.version = adopted.version;
  }

  /** A live session of the view's subscribers: the view reads as their user (NACM's read rules are per user). */
  private readerOf(view: SelectionView): SessionInfo | undefined {
    for (const s of this.subscriptions.values()) if (s.view === view && s.session.state !== 'closed') return s.session;
    return undefined;
  }

  private releaseView(sub: Subscription): void {
    const view = sub.view;
    if (view === null) return;
    sub.view = null;
    if (--view.subscribers > 0) return;
    view.close();
    for (const [key, v] of this.views) if (v === view) this.views.delete(key);
  }

  /** push-update: the whole selection (periodic, at its grid point `at`; sync-on-start, after a resume: now). */
  private async pushUpdate(sub: Subscription, at?: Date): Promise<void> {
    const t = sub.target;
    if (t.kind !== 'datastore' || !this.mayPush(sub)) return;
    const view = sub.view;
    let xml = '';
    const read = view !== null ? () => view.refresh() : async () => { xml = (await this.read(sub.session, t.filter)).xml; };
    if (!await this.evaluatedForPush(sub, read, 'push-update')) return;
    if (sub.state !== 'active' || sub.target !== t || !this.mayPush(sub)) return;
    if (view !== null) {
      if (sub.view !== view) return;
      xml = view.tree.print({ format: 'xml' });
      sub.version = view.version;
    }
    sub.lastPush = this.clock.now();
    this.notify(sub, 'push-update', `<datastore-contents>${xml}</datastore-contents>`, at);
    if (sub.dirty) this.changed(sub);
  }

  /** Something on-change covers may have changed: look again, after the dampening period. */
  private changed(sub: Subscription): void {
    const t = sub.target;
    if (t.kind !== 'datastore' || t.trigger.kind !== 'on-change' || sub.state !== 'active') return;
    sub.dirty = true;
    if (sub.evaluating || sub.timer !== undefined) return;
    const wait = sub.lastPush + t.trigger.dampeningCs * 10 - this.clock.now();
    const run = () => {
      sub.timer = undefined;
      void this.pushChanges(sub);
    };
    if (wait > 0 && t.trigger.dampeningCs > 0) sub.timer = this.clock.setTimeout(run, wait);
    else run();
  }

  private async pushChanges(sub: Subscription): Promise<void> {
    const t = sub.target;
    if (t.kind !== 'datastore' || t.trigger.kind !== 'on-change' || !this.mayPush(sub)) return;
    sub.dirty = false;
    const view = sub.view;
    if (view === null || !await this.evaluatedForPush(sub, () => view.refresh(), 'push-change-update')) return;
    if (sub.state !== 'active' || sub.target !== t || sub.view !== view) return;
    const since = view.editsSince(sub.version);
    if (since === null) {
      // Further behind than the view keeps edits for: the whole selection again (as after a resume).
      void this.pushUpdate(sub);
      return;
    }
    sub.version = view.version;
    const excluded = t.trigger.excluded;
    const edits = since.filter((edit) => !excluded.has(edit.operation));
    if (edits.length > 0 && this.mayPush(sub)) {
      sub.lastPush = this.clock.now();
      this.notify(sub, 'push-change-update', yangPatchXml(`${sub.id}-${++sub.patchId}`, edits));
    }
    if (sub.dirty) this.changed(sub);
  }

  // --- helpers ----------------------------------------------------------------------------------

  /**
   * The selection as `session` may read it, within the subscriptions' share of the workers. NACM's
   * read rules depend on the user only (its groups come from /nacm and the users file by name), so
   * one evaluation serves every subscription of that user and filter that asks while it waits, or
   * while it runs if no change came since it began: ten subscribers woken by one change cost one.
   */
  private read(session: SessionInfo, filter: EvaluationFilter): Promise<EpochRead> {
    const key = `${session.username}\n${JSON.stringify(filter ?? null)}`;
    return this.share.read(session.username, key, () => this.backend.read(session, filter));
  }

  private anyReportable(tree: DataTree): boolean {
    const empty = this.backend.context.emptyTree();
    let changes;
    try {
      const diff = empty.diff(tree);
      try { changes = diff.changes(); } finally { diff.free(); }
    } finally {
      empty.free();
    }
    // Leaves only, list keys not: a filter for one counter selects its list entries' keys too.
    return changes.some((c) => (c.nodeType === 'leaf' || c.nodeType === 'leaf-list') && !isListKey(c.path) && onChangeReportable(c.schemaPath));
  }

  private nextId(): number {
    do this.lastId = this.lastId >= 0xffffffff ? 1 : this.lastId + 1;
    while (this.subscriptions.has(this.lastId));
    return this.lastId;
  }

  private stopTimers(sub: Subscription): void {
    if (sub.timer !== undefined) this.clock.clearTimeout(sub.timer);
    if (sub.stopTimer !== undefined) clearTimeout(sub.stopTimer);
    sub.timer = undefined;
    sub.stopTimer = undefined;
  }

  private end(sub: Subscription): void {
    if (sub.state === 'ended') return;
    sub.state = 'ended';
    this.stopTimers(sub);
    this.releaseView(sub);
    this.subscriptions.delete(sub.id);
    if (!this.hasSubscriptions(sub.session.id)) sub.session.setIdleTimeoutExempt(false);
  }
}

/**
 * A filter as subscription-modified and /subscriptions echo it: its own namespace and every prefix its
 * content uses declared on it, whatever the request declared where.
 */
function subtreeFilterElement(name: string, namespace: string, slice: XmlSlice): string {
  return `<${name} xmlns="${namespace}">${declareNamespaces(slice.innerXml, slice.namespaces)}</${name}>`;
}

function xpathFilterElement(name: string, namespace: string, xpath: string, prefixes: Readonly<Record<string, string>>): string {
  const xmlns = Object.entries(prefixes).map(([p, uri]) => ` xmlns:${p}="${escapeText(uri)}"`).join('');
  return `<${name} xmlns="${namespace}"${xmlns}>${escapeText(xpath)}</${name}>`;
}

/** Whether a leaf's data path names a key of the list entry above it (/a/b[k='1']/k). */
function isListKey(path: string): boolean {
  const steps = pathSteps(path);
  const leaf = (steps[steps.length - 1] ?? '').replace(/^.*:/, '');
  return (steps[steps.length - 2] ?? '').includes(`[${leaf}=`);
}

/** The prefixes in scope on an operation's child, for an xpath filter's text. */
function namespacesOf(op: ParsedOperation, name: string): Record<string, string> {
  const slice = op.children.find((c) => c.name === name);
  const out: Record<string, string> = {};
  for (const [prefix, uri] of Object.entries(slice?.namespaces ?? {})) if (prefix !== '') out[prefix] = uri;
  return out;
}
