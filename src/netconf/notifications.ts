// RFC 5277 event notifications on the NETCONF stream (create-subscription,
// :interleave, :replay from the stream's ReplayBuffer) and the RFC 6470 base events: netconf-config-change,
// netconf-session-start, netconf-session-end, netconf-confirmed-commit.
// Other parts of the agent publish their own events (BMP server and BGP
// neighbor state changes) through the same NotificationStream.
import type { DiffChange } from 'libyang-wasm';
import { errorPath } from './data-path.js';
import { child } from './operation-args.js';
import { RpcError } from './rpc-error.js';
import type { RpcHandler } from './rpc.js';
import type { SessionInfo } from './session-control.js';
import type { ConfirmedCommitEvent } from './confirmed-commit.js';
import { FilterError, filterTooBig, subtreeFilterToXPath } from './subtree-filter.js';
import { XmlLimitError, escapeText, textElement as e } from './xml.js';
import type { NotificationEvent } from './notification-event.js';
import { HeldEvents, MAX_HELD_BYTES, MAX_HELD_EVENTS, ReplayBuffer, replayInSlices } from './replay.js';

export const NOTIFICATION_NS = 'urn:ietf:params:xml:ns:netconf:notification:1.0';
export const NC_NOTIFICATIONS_NS = 'urn:ietf:params:xml:ns:yang:ietf-netconf-notifications';
export const STREAM_NETCONF = 'NETCONF';
/** nc-notifications (RFC 5277 §3.2.2, §4): replayComplete, notificationComplete and /netconf/streams. */
export const NETMOD_NOTIFICATION_NS = 'urn:ietf:params:xml:ns:netmod:notification';
/** ietf-subscribed-notifications (RFC 8639): its /streams is the same stream's second view. */
export const SN_NS = 'urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications';

/** The top-level element a subscriber's filter lets through. */
export interface EventSelector {
  readonly namespace: string;
  readonly name: string;
}

interface Subscription {
  readonly session: SessionInfo;
  /** null = every event. */
  readonly selectors: readonly EventSelector[] | null;
  readonly stopTime: Date | null;
  /** Live events held back while the replay is under way (RFC 5277 §2.1.1: replayed events come first). */
  held?: HeldEvents | null;
  /** The replay buffer's last seq when the subscription was made: replay ends there. */
  replayUpTo?: number;
  stopTimer?: NodeJS.Timeout;
}

/** Whether an event passes a subscriber's selectors (null: no filter). */
export function selects(selectors: readonly EventSelector[] | null, event: NotificationEvent): boolean {
  return selectors === null || selectors.some((s) => s.namespace === event.namespace && s.name === event.name);
}

/** One <notification> (RFC 5277 §4) carrying `content` at `at`. */
export function notificationXml(at: Date, content: string): string {
  return `<notification xmlns="${NOTIFICATION_NS}"><eventTime>${at.toISOString()}</eventTime>${content}</notification>`;
}

/** Called for every event published on the stream, after the replay buffer recorded it. */
export type EventListener = (event: NotificationEvent, at: Date) => void;

export type { NotificationEvent } from './notification-event.js';

/** What a subscriber may receive of an event: its element, or null when access control denies the event. */
export type NotificationAccess = (session: SessionInfo, event: NotificationEvent) => string | null;

export class NotificationStream {
  private readonly subscriptions = new Map<number, Subscription>();
  private readonly listeners = new Set<EventListener>();
  /** The NETCONF stream's replay buffer (RFC 5277 :replay). */
  readonly replay = new ReplayBuffer();

  constructor(private readonly access?: NotificationAccess) {}

  get subscriberCount(): number {
    return this.subscriptions.size;
  }

  isSubscribed(sessionId: number): boolean {
    return this.subscriptions.has(sessionId);
  }

  /** Every published event, for the RFC 8639 subscriptions (subscriptions/). Returns the unsubscribe. */
  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The event's element as `session` may receive it (NACM, RFC 8341 §3.4.6), or null. */
  contentFor(session: SessionInfo, event: NotificationEvent): string | null {
    return this.access === undefined ? event.xml : this.access(session, event);
  }

  subscribe(sub: Subscription): void {
    this.subscriptions.set(sub.session.id, sub);
    // A subscribed session may legitimately stay silent (RFC 5277 §2.1.1).
    sub.session.setIdleTimeoutExempt(true);
  }

  unsubscribe(sessionId: number): void {
    const sub = this.subscriptions.get(sessionId);
    if (sub === undefined) return;
    this.subscriptions.delete(sessionId);
    if (sub.stopTimer !== undefined) clearTimeout(sub.stopTimer);
    sub.session.setIdleTimeoutExempt(false);
  }

  /**
   * RFC 5277 §2.1.1 replay for a subscription just made: the buffered events from startTime (before
   * stopTime), then replayComplete, then the live events held meanwhile; at stopTime notificationComplete
   * ends the subscription. Called once the <ok/> of create-subscription is on its way. Sent in slices
   * that wait for a slow reader (replay.ts replayInSlices); a session that closes, or a subscriber
   * whose held live events pass their bound (publish), ends it. Resolves when it is over.
   */
  async replayTo(sessionId: number, startTime: Date): Promise<void> {
    const sub = this.subscriptions.get(sessionId);
    if (sub === undefined) return;
    const active = () => this.subscriptions.get(sessionId) === sub && sub.session.state !== 'closed';
    const target = <T extends { at: Date; event: NotificationEvent }>() => ({
      get queuedOutputBytes() { return sub.session.queuedOutputBytes; },
      deliver: (entry: T) => { this.deliver(sub, entry.event, entry.at); },
      active,
    });
    const replayed = this.replay.between(startTime, sub.stopTime, sub.replayUpTo ?? this.replay.lastSeq);
    if (await replayInSlices(replayed, target()) === null) return;
    sub.session.sendNotification(notificationXml(new Date(), `<replayComplete xmlns="${NETMOD_NOTIFICATION_NS}"/>`));
    const held = sub.held?.entries ?? [];
    const sent = await replayInSlices(held, target());
    if (sent === null) return;
    // Held since the last slice (the same turn): in order, before the live ones that follow.
    for (let i = sent; i < held.length; i++) this.deliver(sub, held[i]!.event, held[i]!.at);
    sub.held = null;
    if (sub.stopTime === null) return;
    const complete = () => {
      if (this.subscriptions.get(sessionId) !== sub) return;
      sub.session.sendNotification(notificationXml(new Date(), `<notificationComplete xmlns="${NETMOD_NOTIFICATION_NS}"/>`));
      this.unsubscribe(sessionId);
    };
    const wait = sub.stopTime.getTime() - Date.now();
    if (wait <= 0) complete();
    else sub.stopTimer = setTimeout(complete, Math.min(wait, 2 ** 31 - 1));
  }

  /** Sends the event to every subscriber whose filter selects it. Returns how many got it. */
  publish(event: NotificationEvent, at: Date = new Date()): number {
    this.replay.record(at, event);
    for (const listener of this.listeners) listener(event, at);
    let delivered = 0;
    for (const sub of [...this.subscriptions.values()]) {
      if (sub.held) {
        // RFC 5277 has no way to tell a subscriber it fell behind: one that cannot take its replay
        // while the stream runs is dropped, as the session's output bound drops a client that stops
        // reading (RFC 6470 termination-reason dropped), rather than held events lost in silence.
        if (!sub.held.hold(at, event)) {
          this.unsubscribe(sub.session.id);
          sub.session.drop(`the live events held during its replay passed their bound (${MAX_HELD_EVENTS} events, ${MAX_HELD_BYTES} bytes)`);
        }
        continue;
      }
      if (sub.stopTime !== null && at > sub.stopTime) continue; // notificationComplete is on its timer
      if (this.deliver(sub, event, at)) delivered++;
    }
    return delivered;
  }

  private deliver(sub: Subscription, event: NotificationEvent, at: Date): boolean {
    if (!selects(sub.selectors, event)) return false;
    const content = this.contentFor(sub.session, event);
    if (content === null) return false;
    return sub.session.sendNotification(notificationXml(at, content));
  }
}

/**
 * The selectors of a create-subscription filter. Subtree filters (RFC 5277
 * §3.6) and :xpath filters are both accepted; bmpd filters on the event's
 * top-level element (its name and namespace), which is how subscribers pick
 * event types. Deeper content-match nodes are not evaluated.
 */
export async function selectorsOf(filterXml: string, namespaces: Record<string, string>, xpath: string | null): Promise<EventSelector[] | null> {
  // Subtree filters name namespaces; give each a token that survives the XPath form.
  const tokens: string[] = [];
  const resolveAll = (ns: string) => {
    let i = tokens.indexOf(ns);
    if (i < 0) i = tokens.push(ns) - 1;
    return `ns${i}`;
  };
  let union: string | null;
  if (xpath !== null) {
    union = xpath;
  } else {
    try {
      union = await subtreeFilterToXPath(filterXml, resolveAll, namespaces);
    } catch (err) {
      if (err instanceof FilterError) throw new RpcError({ type: 'protocol', tag: 'invalid-value', message: err.message, info: { badElement: 'filter' } });
      if (err instanceof XmlLimitError) throw filterTooBig();
      throw err;
    }
    if (union === null) return [];
  }
  const selectors: EventSelector[] = [];
  for (const part of union.split('|')) {
    const first = part.trim().replace(/^\//, '').split('/')[0] ?? '';
    const step = first.replace(/\[.*$/, '');
    const colon = step.lastIndexOf(':');
    if (colon < 0) continue;
    const prefixOrNs = step.slice(0, colon);
    const name = step.slice(colon + 1);
    const namespace = xpath !== null ? namespaces[prefixOrNs] : tokens[Number(prefixOrNs.slice(2))];
    if (namespace !== undefined && name !== '*') selectors.push({ namespace, name });
  }
  return selectors;
}

/** `hasDynamic`: whether the session holds RFC 8639 subscriptions, which exclude an RFC 5277 one (RFC 8640 §2.1). */
export function createSubscriptionHandler(stream: NotificationStream, hasDynamic: (sessionId: number) => boolean = () => false): RpcHandler {
  return async ({ operation, input, session }) => {
    if (stream.isSubscribed(session.id) || hasDynamic(session.id)) {
      throw new RpcError({ type: 'protocol', tag: 'operation-failed', message: 'this session already has a subscription' });
    }
    // stream (default NETCONF) and the times' syntax come judged (rpc-schema.ts); which streams exist and
    // RFC 5277 §2.1.1's rules between the times are not the schema's to say.
    const streamName = input['stream'] as string;
    if (streamName !== STREAM_NETCONF) {
      throw new RpcError({ type: 'application', tag: 'invalid-value', message: `no stream ${streamName}; this server has NETCONF`, info: { badElement: 'stream' } });
    }
    const time = (name: string) => (input[name] === undefined ? null : new Date(input[name] as string));
    const startTime = time('startTime');
    const stopTime = time('stopTime');
    if (stopTime !== null && startTime === null) {
      throw new RpcError({ type: 'protocol', tag: 'missing-element', message: 'stopTime needs a startTime', info: { badElement: 'startTime' } });
    }
    if (startTime !== null && startTime.getTime() > Date.now()) {
      throw new RpcError({ type: 'protocol', tag: 'bad-element', message: 'startTime is in the future', info: { badElement: 'startTime' } });
    }
    if (startTime !== null && stopTime !== null && stopTime < startTime) {
      throw new RpcError({ type: 'protocol', tag: 'bad-element', message: 'stopTime is earlier than startTime', info: { badElement: 'stopTime' } });
    }
    const filterNode = child(operation.node, 'filter', NOTIFICATION_NS);
    let selectors: EventSelector[] | null = null;
    if (filterNode !== undefined) {
      const slice = operation.children.find((c) => c.name === 'filter' && c.namespace === NOTIFICATION_NS)!;
      const attrs = Object.values(filterNode.$ ?? {});
      const type = attrs.find((a) => a.local === 'type')?.value ?? 'subtree';
      const select = attrs.find((a) => a.local === 'select')?.value ?? null;
      if (type === 'xpath' && select === null) {
        throw new RpcError({ type: 'protocol', tag: 'missing-attribute', message: 'an xpath filter needs select', info: { badAttribute: 'select', badElement: 'filter' } });
      }
      selectors = await selectorsOf(slice.innerXml, { ...slice.namespaces }, type === 'xpath' ? select : null);
    }
    if (startTime === null) {
      stream.subscribe({ session, selectors, stopTime: null });
      return { ok: true };
    }
    stream.subscribe({ session, selectors, stopTime, held: new HeldEvents(), replayUpTo: stream.replay.lastSeq });
    // The replay follows the <ok/>: the reply is written before the next turn of the event loop.
    setImmediate(() => void stream.replayTo(session.id, startTime));
    return { ok: true };
  };
}

/** An RFC 3339 date-and-time parameter (yang:date-and-time), or null when absent. */
export function dateTimeParam(value: string | undefined, element: string): Date | null {
  if (value === undefined) return null;
  const v = value.trim();
  const date = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) || Number.isNaN(date.getTime())) {
    throw new RpcError({ type: 'protocol', tag: 'invalid-value', message: `${element} '${v}' is not a date-and-time`, info: { badElement: element } });
  }
  return date;
}

function changedBy(actor: { id: number; username: string; sourceHost: string } | null): string {
  if (actor === null || actor.id === 0) return '<changed-by><server/></changed-by>';
  return `<changed-by>${e('username', actor.username)}${e('session-id', actor.id)}${e('source-host', actor.sourceHost)}</changed-by>`;
}

/** RFC 6470 netconf-config-change for a change of running. */
export function configChangeEvent(actor: { id: number; username: string; sourceHost: string } | null, changes: readonly DiffChange[],
  namespaceOf: (module: string) => string | null): NotificationEvent {
  const edits = changes.filter((c) => !c.inherited).map((c) => {
    const p = errorPath(c.path, namespaceOf);
    const xmlns = Object.entries(p.namespaces).map(([k, v]) => ` xmlns:${k}="${escapeText(v)}"`).join('');
    const op = c.operation === 'none' ? 'merge' : c.operation;
    return `<edit><target${xmlns}>${escapeText(p.path)}</target>${e('operation', op)}</edit>`;
  });
  return { namespace: NC_NOTIFICATIONS_NS, name: 'netconf-config-change',
    xml: `<netconf-config-change xmlns="${NC_NOTIFICATIONS_NS}">${changedBy(actor)}<datastore>running</datastore>${edits.join('')}</netconf-config-change>` };
}

export function sessionStartEvent(s: SessionInfo): NotificationEvent {
  return { namespace: NC_NOTIFICATIONS_NS, name: 'netconf-session-start',
    xml: `<netconf-session-start xmlns="${NC_NOTIFICATIONS_NS}">${e('username', s.username)}${e('session-id', s.id)}${e('source-host', s.sourceHost)}</netconf-session-start>` };
}

export function sessionEndEvent(s: SessionInfo, reason: string, killedBy?: number): NotificationEvent {
  // RFC 6470 termination-reason: closed, killed, dropped, timeout, bad-hello, other.
  const termination = reason === 'close-session' ? 'closed' : reason === 'killed' ? 'killed' : reason === 'idle-timeout' ? 'timeout'
    : reason === 'bad-hello' || reason === 'hello-timeout' ? 'bad-hello'
    : reason === 'transport-closed' || reason === 'output-overflow' ? 'dropped' : 'other';
  return { namespace: NC_NOTIFICATIONS_NS, name: 'netconf-session-end',
    xml: `<netconf-session-end xmlns="${NC_NOTIFICATIONS_NS}">${e('username', s.username)}${e('session-id', s.id)}${e('source-host', s.sourceHost)}` +
      `${killedBy !== undefined ? e('killed-by', killedBy) : ''}${e('termination-reason', termination)}</netconf-session-end>` };
}

/**
 * RFC 6470 netconf-confirmed-commit. The published module's when-statement on
 * the session fields is broken (tools/yang/PROVENANCE.md), so the session
 * fields are only sent for events a session caused, which is what the RFC's
 * text asks for.
 */
export function confirmedCommitEvent(ev: ConfirmedCommitEvent): NotificationEvent {
  const who = ev.actor === null ? '' : `${e('username', ev.actor.username)}${e('session-id', ev.actor.id)}${e('source-host', ev.actor.sourceHost)}`;
  const timeout = ev.timeoutSeconds !== null ? e('timeout', ev.timeoutSeconds) : '';
  return { namespace: NC_NOTIFICATIONS_NS, name: 'netconf-confirmed-commit',
    xml: `<netconf-confirmed-commit xmlns="${NC_NOTIFICATIONS_NS}">${who}${e('confirm-event', ev.event)}${timeout}</netconf-confirmed-commit>` };
}

const STREAM_DESCRIPTION = 'default NETCONF event stream: RFC 6470 events and bmpd\'s BMP server and BGP neighbor state changes';

/**
 * The one stream, as RFC 5277 §3.2.2 /netconf/streams and as RFC 8639 /streams list it, with its
 * replay log's creation time, and (RFC 8639) the time of the newest event it has dropped, if any.
 */
export function streamsStateXml(stream: NotificationStream): string {
  const replay = stream.replay;
  const created = replay.createdAt.toISOString();
  const aged = replay.agedAt !== null ? e('replay-log-aged-time', replay.agedAt.toISOString()) : '';
  return `<netconf xmlns="${NETMOD_NOTIFICATION_NS}"><streams><stream>${e('name', STREAM_NETCONF)}${e('description', STREAM_DESCRIPTION)}` +
    `${e('replaySupport', 'true')}${e('replayLogCreationTime', created)}</stream></streams></netconf>` +
    `<streams xmlns="${SN_NS}"><stream>${e('name', STREAM_NETCONF)}${e('description', STREAM_DESCRIPTION)}` +
    `${e('replay-support', '')}${e('replay-log-creation-time', created)}${aged}</stream></streams>`;
}
