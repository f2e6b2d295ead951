// A subscriber whose replay runs so far behind the stream that the live events held for it pass their
// bound (replay.ts HeldEvents): RFC 8639 suspends the subscription (subscription-suspended,
// unsupportable-volume: RFC 8639 §2.7.4's publisher that cannot get the volume to the receiver) and
// its replay stops; RFC 5277 has no such notification, so the session is dropped as the output bound
// drops a client that stops reading. Either way, nothing is lost in silence. And a replay that
// completes sends the replayed events, replayComplete, then the held ones, in order; a session that
// closes stops its replay.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationStream, type NotificationEvent } from '../../src/netconf/notifications.js';
import { HeldEvents, MAX_HELD_EVENTS } from '../../src/netconf/replay.js';
import { readRpc, type ParsedOperation, type RpcDispatcher, type RpcHandler } from '../../src/netconf/rpc.js';
import { SN_NS, SubscriptionManager } from '../../src/netconf/subscriptions/subscriptions.js';
import { parseXmlMessage } from '../../src/netconf/xml.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';
import type { SessionInfo } from '../../src/netconf/session-control.js';
import { fakeSession } from './fake-session.js';

const event = (n: number): NotificationEvent => ({ namespace: 'urn:x', name: 'e', xml: `<e xmlns="urn:x">${n}</e>` });

/** A session numbered `id`, with what it was sent and why it was dropped. */
function subscriber(id: number) {
  const sent: string[] = [];
  const dropped: string[] = [];
  const session = fakeSession(sent, { id, sourcePort: 4000 + id, drop: (why: string) => { dropped.push(why); } });
  return { session, sent, dropped };
}

const body = (xml: string) => /<e xmlns="urn:x">(\d+)<\/e>|<(replayComplete|replay-completed|subscription-suspended)/.exec(xml)?.slice(1).find((x) => x !== undefined);

describe('RFC 5277 create-subscription with startTime', () => {
  it('sends the replay, replayComplete, then the events held meanwhile, in order', async () => {
    const stream = new NotificationStream();
    for (let i = 0; i < 5; i++) stream.publish(event(i), new Date(Date.UTC(2026, 0, 1, 0, 0, i)));
    const { session, sent } = subscriber(1);
    stream.subscribe({ session, selectors: null, stopTime: null, held: new HeldEvents(), replayUpTo: stream.replay.lastSeq });
    const replay = stream.replayTo(1, new Date(0));
    stream.publish(event(5));
    stream.publish(event(6));
    await replay;
    stream.publish(event(7));
    expect(sent.map(body)).toEqual(['0', '1', '2', '3', '4', 'replayComplete', '5', '6', '7']);
  });

  it('stops the replay when its session closes', async () => {
    const stream = new NotificationStream();
    for (let i = 0; i < 1000; i++) stream.publish(event(i));
    const { session, sent } = subscriber(5);
    const closing = session as { state: string; sendNotification(xml: string): boolean };
    closing.sendNotification = (xml) => { sent.push(xml); if (sent.length === 100) closing.state = 'closed'; return true; };
    stream.subscribe({ session, selectors: null, stopTime: null, held: new HeldEvents(), replayUpTo: stream.replay.lastSeq });
    await stream.replayTo(5, new Date(0));
    expect(sent).toHaveLength(100);
  });

  it('drops the session whose held events pass their bound, and stops its replay', async () => {
    const stream = new NotificationStream();
    stream.publish(event(0));
    const { session, sent, dropped } = subscriber(2);
    stream.subscribe({ session, selectors: null, stopTime: null, held: new HeldEvents(), replayUpTo: stream.replay.lastSeq });
    for (let i = 0; i <= MAX_HELD_EVENTS; i++) stream.publish(event(i));
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatch(/held during its replay passed their bound/);
    expect(stream.isSubscribed(2)).toBe(false);
    await stream.replayTo(2, new Date(0));
    expect(sent).toEqual([]);
  });
});

describe('RFC 8639 establish-subscription with replay-start-time', () => {
  let model: YangModel;
  let stream: NotificationStream;
  let manager: SubscriptionManager;
  const handlers = new Map<string, RpcHandler>();
  beforeAll(async () => {
    model = await loadYangModel();
    stream = new NotificationStream();
    manager = new SubscriptionManager({
      stream, context: model.context, logger: pino({ level: 'silent' }), evaluationWorkers: 2, read: async () => '',
      moduleOf: (ns) => model.modules.find((m) => m.namespace === ns && m.implemented)?.name ?? null,
      namespaceOf: (m) => model.modules.find((x) => x.name === m)?.namespace ?? null,
    });
    manager.register({ register: (_ns: string, name: string, h: RpcHandler) => handlers.set(name, h) } as unknown as RpcDispatcher);
  });
  afterAll(() => { manager.close(); model.context.destroy(); });

  async function establish(session: SessionInfo): Promise<void> {
    const parsed = readRpc(parseXmlMessage(`<rpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1"><establish-subscription xmlns="${SN_NS}">` +
      '<stream>NETCONF</stream><replay-start-time>2000-01-01T00:00:00Z</replay-start-time></establish-subscription></rpc>'));
    if (parsed.kind !== 'rpc') throw new Error('test rpc rejected');
    const reply = await handlers.get('establish-subscription')!({ operation: parsed.rpc.operation as ParsedOperation, session } as never);
    expect('xml' in reply ? reply.xml : '').toMatch(/<id [^>]*>\d+<\/id>/);
  }

  it('sends the replay, replay-completed, then the events held meanwhile, in order', async () => {
    for (let i = 0; i < 3; i++) stream.publish(event(i));
    const { session, sent } = subscriber(3);
    await establish(session);
    stream.publish(event(3)); // before the replay starts (it follows the reply): held
    for (let i = 0; i < 20 && !sent.some((x) => x.includes('replay-completed')); i++) await new Promise((r) => setImmediate(r));
    stream.publish(event(4)); // held too if the held ones are still being sent, live otherwise: after them either way
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(sent.map(body).filter((b) => b !== undefined).slice(-6)).toEqual(['0', '1', '2', 'replay-completed', '3', '4']);
    manager.sessionEnded(3);
  });

  it('suspends the subscription whose held events pass their bound (unsupportable-volume); its replay stops', async () => {
    const { session, sent } = subscriber(4);
    await establish(session);
    for (let i = 0; i <= MAX_HELD_EVENTS; i++) stream.publish(event(i));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(sent.filter((x) => x.includes('<subscription-suspended'))).toHaveLength(1);
    expect(sent.find((x) => x.includes('<subscription-suspended'))).toContain('<reason>sn:unsupportable-volume</reason>');
    expect(sent.some((x) => x.includes('replay-completed'))).toBe(false);
    expect(sent.some((x) => x.includes('<e xmlns="urn:x">'))).toBe(false);
    manager.sessionEnded(4);
  });
});
