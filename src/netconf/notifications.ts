// RFC 5277 event notifications on the NETCONF stream (create-subscription,
// :interleave) and the RFC 6470 base events: netconf-config-change,
// netconf-session-start, netconf-session-end, netconf-confirmed-commit.
// Other parts of the agent publish their own events (BMP server and BGP
// neighbor state changes) through the same NotificationStream.
import type { DiffChange } from 'libyang-wasm';
import { errorPath } from './data-path.js';
import { child, text } from './operation-args.js';
import { RpcError } from './rpc-error.js';
import type { RpcHandler } from './rpc.js';
import type { SessionInfo } from './session-control.js';
import type { ConfirmedCommitEvent } from './confirmed-commit.js';
import { FilterError, filterTooBig, subtreeFilterToXPath } from './subtree-filter.js';
import { XmlLimitError, escapeText, textElement as e } from './xml.js';

export const NOTIFICATION_NS = 'urn:ietf:params:xml:ns:netconf:notification:1.0';
export const NC_NOTIFICATIONS_NS = 'urn:ietf:params:xml:ns:yang:ietf-netconf-notifications';
export const STREAM_NETCONF = 'NETCONF';

/** The top-level element a subscriber's filter lets through. */
interface EventSelector {
  readonly namespace: string;
  readonly name: string;
}

interface Subscription {
  readonly session: SessionInfo;
  /** null = every event. */
  readonly selectors: readonly EventSelector[] | null;
  readonly stopTime: Date | null;
}

/** One event: a namespaced element, as RFC 5277 §4 puts it beside <eventTime>. */
export interface NotificationEvent {
  readonly namespace: string;
  readonly name: string;
  /** The complete event element, with its xmlns. */
  readonly xml: string;
}

/** What a subscriber may receive of an event: its element, or null when access control denies the event. */
export type NotificationAccess = (session: SessionInfo, event: NotificationEvent) => string | null;

export class NotificationStream {
  private readonly subscriptions = new Map<number, Subscription>();

  constructor(private readonly access?: NotificationAccess) {}

  get subscriberCount(): number {
    return this.subscriptions.size;
  }

  isSubscribed(sessionId: number): boolean {
    return this.subscriptions.has(sessionId);
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
    sub.session.setIdleTimeoutExempt(false);
  }

  /** Sends the event to every subscriber whose filter selects it. Returns how many got it. */
  publish(event: NotificationEvent, at: Date = new Date()): number {
    const envelope = (content: string) => `<notification xmlns="${NOTIFICATION_NS}"><eventTime>${at.toISOString()}</eventTime>${content}</notification>`;
    const xml = envelope(event.xml);
    let delivered = 0;
    for (const sub of [...this.subscriptions.values()]) {
      if (sub.stopTime !== null && at > sub.stopTime) {
        this.unsubscribe(sub.session.id);
        continue;
      }
      if (sub.selectors !== null && !sub.selectors.some((s) => s.namespace === event.namespace && s.name === event.name)) continue;
      const content = this.access === undefined ? event.xml : this.access(sub.session, event);
      if (content === null) continue;
      if (sub.session.sendNotification(content === event.xml ? xml : envelope(content))) delivered++;
    }
    return delivered;
  }
}

/**
 * The selectors of a create-subscription filter. Subtree filters (RFC 5277
 * §3.6) and :xpath filters are both accepted; bmpd filters on the event's
 * top-level element (its name and namespace), which is how subscribers pick
 * event types. Deeper content-match nodes are not evaluated.
 */
async function selectorsOf(filterXml: string, namespaces: Record<string, string>, xpath: string | null): Promise<EventSelector[] | null> {
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

export function createSubscriptionHandler(stream: NotificationStream): RpcHandler {
  return async ({ operation, session }) => {
    if (stream.isSubscribed(session.id)) {
      throw new RpcError({ type: 'protocol', tag: 'operation-failed', message: 'this session already has a subscription' });
    }
    const streamName = text(child(operation.node, 'stream', NOTIFICATION_NS)) ?? STREAM_NETCONF;
    if (streamName !== STREAM_NETCONF) {
      throw new RpcError({ type: 'application', tag: 'invalid-value', message: `no stream ${streamName}; this server has NETCONF`, info: { badElement: 'stream' } });
    }
    if (child(operation.node, 'startTime', NOTIFICATION_NS) !== undefined) {
      // :notification without :replay (RFC 5277 §2.1.1).
      throw new RpcError({ type: 'protocol', tag: 'operation-failed', message: 'replay is not supported: omit startTime', info: { badElement: 'startTime' } });
    }
    const stopText = text(child(operation.node, 'stopTime', NOTIFICATION_NS));
    if (stopText !== undefined) {
      throw new RpcError({ type: 'protocol', tag: 'bad-element', message: 'stopTime needs startTime (replay), which is not supported', info: { badElement: 'stopTime' } });
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
    stream.subscribe({ session, selectors, stopTime: null });
    return { ok: true };
  };
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
