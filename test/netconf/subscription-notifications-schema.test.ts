// Every notification the subscriptions produce (RFC 8639 §2.7 state notifications, RFC 8641
// push-update and push-change-update) is valid against the published modules, as libyang parses a
// NETCONF <notification> (the way libnetconf2 clients and Netopeer2 check what they receive). The
// SubscriptionManager runs with the real schema and NotificationStream; the session and the
// operational state it reads are stand-ins, so every kind of notification can be provoked.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationStream, streamsStateXml } from '../../src/netconf/notifications.js';
import { OperationSchema } from '../../src/netconf/rpc-schema.js';
import { readRpc, RpcDispatcher, type ParsedRpc } from '../../src/netconf/rpc.js';
import { SN_NS, SubscriptionManager, YP_NS } from '../../src/netconf/subscriptions/subscriptions.js';
import { parseXmlMessage } from '../../src/netconf/xml.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';
import { fakeSession } from './fake-session.js';

const BMPD = 'urn:bmpd:yang:bmpd';
const DS = 'urn:ietf:params:xml:ns:yang:ietf-datastores';
const NC_NOTIF = 'urn:ietf:params:xml:ns:yang:ietf-netconf-notifications';

let model: YangModel;
let stream: NotificationStream;
let manager: SubscriptionManager;
/** The agent's dispatcher: every rpc judged by the schema first, then the manager's handler. */
const dispatcher = new RpcDispatcher();
/** What the stand-in operational datastore holds: the on-change tests change it. */
let operational = '';
const sent: string[] = [];
let queued = 0;

const session = fakeSession(sent, { id: 7, get queuedOutputBytes() { return queued; } });

function serverState(status: string): string {
  return `<bgp xmlns="${BMPD}"><as-number>65000</as-number><bmp><server><id>1</id><address>127.0.1.1</address>` +
    `<port-number>8000</port-number><state><status>${status}</status></state></server></bmp></bgp>`;
}

function rpc(xml: string): ParsedRpc {
  const parsed = readRpc(parseXmlMessage(`<rpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1">${xml}</rpc>`));
  if (parsed.kind !== 'rpc') throw new Error('test rpc rejected');
  return parsed.rpc;
}

/** The reply's content; throws the rpc-errors' XML when the rpc was refused. */
async function call(name: string, body: string): Promise<string> {
  const request = rpc(`<${name} xmlns="${SN_NS}" xmlns:yp="${YP_NS}" xmlns:ds="${DS}">${body}</${name}>`);
  const outcome = await dispatcher.dispatch({ rpc: request, operation: request.operation, session } as never);
  if (outcome.errorCount > 0) throw new Error(outcome.body);
  return outcome.body;
}

/** Waits until a notification named `name` was sent after `from`, and returns it. */
async function next(name: string, from: number): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const found = sent.slice(from).find((n) => n.includes(`<${name} `));
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no ${name} notification; sent: ${sent.slice(from).join('\n')}`);
}

/** libyang's judgement of one <notification>: throws its validation error. */
function validate(xml: string): void {
  model.context.parseOperation(xml, 'netconf-notification').free();
}

beforeAll(async () => {
  model = await loadYangModel();
  stream = new NotificationStream();
  manager = new SubscriptionManager({
    stream, context: model.context, logger: pino({ level: 'silent' }),
    read: () => Promise.resolve(operational), evaluationWorkers: 2,
    moduleOf: (ns) => model.modules.find((m) => m.namespace === ns && m.implemented)?.name ?? null,
    namespaceOf: (m) => model.modules.find((x) => x.name === m)?.namespace ?? null,
  });
  const running = model.context.emptyTree();
  dispatcher.schema = new OperationSchema(model.context, () => running);
  manager.register(dispatcher);
});
afterAll(() => { manager.close(); model.context.destroy(); });

describe('subscription notifications against ietf-subscribed-notifications and ietf-yang-push', () => {
  it('the validator refuses what the modules do not allow (an unknown reason identity)', () => {
    const bad = `<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><eventTime>2026-01-01T00:00:00Z</eventTime>` +
      `<subscription-terminated xmlns="${SN_NS}" xmlns:sn="${SN_NS}"><id>1</id><reason>sn:no-such-reason</reason></subscription-terminated></notification>`;
    expect(() => validate(bad)).toThrow();
  });

  it('stream subscription with replay: replay-completed, an event, subscription-modified, subscription-terminated', async () => {
    stream.publish({ namespace: NC_NOTIF, name: 'netconf-session-start',
      xml: `<netconf-session-start xmlns="${NC_NOTIF}"><username>admin</username><session-id>3</session-id><source-host>127.0.0.1</source-host></netconf-session-start>` });
    const from = sent.length;
    const reply = await call('establish-subscription', '<stream>NETCONF</stream>' +
      `<stream-subtree-filter><netconf-session-start xmlns="${NC_NOTIF}"/></stream-subtree-filter>` +
      '<replay-start-time>2000-01-01T00:00:00Z</replay-start-time><encoding>encode-xml</encoding>');
    const id = /<id [^>]*>(\d+)<\/id>/.exec(reply)![1]!;
    await next('replay-completed', from);
    const replayed = sent.slice(from).find((n) => n.includes('<netconf-session-start '));
    expect(replayed).toBeDefined();
    const m = sent.length;
    // RFC 8639's modify-subscription names the target (a mandatory choice): here the same filter again.
    await call('modify-subscription', `<id>${id}</id><stream-subtree-filter><netconf-session-start xmlns="${NC_NOTIF}"/></stream-subtree-filter>` +
      '<stop-time>2099-01-01T00:00:00Z</stop-time>');
    const modified = await next('subscription-modified', m);
    const k = sent.length;
    await call('kill-subscription', `<id>${id}</id>`);
    const terminated = await next('subscription-terminated', k);
    for (const n of [sent.slice(from).find((x) => x.includes('<replay-completed '))!, replayed!, modified, terminated]) {
      expect(() => validate(n), n).not.toThrow();
    }
    expect(modified).toContain('<stream>NETCONF</stream>');
    expect(modified).toContain('<stop-time>2099-01-01T00:00:00.000Z</stop-time>');
  });

  it('subscription-started and subscription-completed are for configured subscriptions only: a dynamic one ends at its stop-time without a notification', async () => {
    for (const name of ['subscription-started', 'subscription-completed']) {
      expect(() => validate(`<notification xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><eventTime>2026-01-01T00:00:00Z</eventTime>` +
        `<${name} xmlns="${SN_NS}"><id>1</id></${name}>`)).toThrow(/not found/);
    }
    const from = sent.length;
    const before = manager.count;
    await call('establish-subscription', '<stream>NETCONF</stream><stop-time>2000-01-01T00:00:00Z</stop-time>');
    for (let i = 0; i < 100 && manager.count > before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(manager.count).toBe(before);
    expect(sent.slice(from)).toEqual([]);
  });

  it('periodic YANG-push: push-update, and subscription-modified with its trigger', async () => {
    operational = serverState('up');
    const from = sent.length;
    const reply = await call('establish-subscription', '<yp:datastore>ds:operational</yp:datastore>' +
      `<yp:datastore-subtree-filter><bgp xmlns="${BMPD}"/></yp:datastore-subtree-filter><yp:periodic><yp:period>10</yp:period></yp:periodic>`);
    const id = /<id [^>]*>(\d+)<\/id>/.exec(reply)![1]!;
    const update = await next('push-update', from);
    expect(update).toContain('<status>up</status>');
    const m = sent.length;
    await call('modify-subscription', `<id>${id}</id><yp:datastore>ds:operational</yp:datastore><yp:periodic><yp:period>20</yp:period></yp:periodic>`);
    const modified = await next('subscription-modified', m);
    expect(modified).toContain('<period>20</period>');
    for (const n of [update, modified]) expect(() => validate(n), n).not.toThrow();
    await call('delete-subscription', `<id>${id}</id>`);
  });

  it('on-change YANG-push: push-update on start, push-change-update, suspended and resumed', async () => {
    operational = serverState('down');
    const from = sent.length;
    const reply = await call('establish-subscription', '<yp:datastore>ds:operational</yp:datastore>' +
      '<yp:on-change><yp:dampening-period>0</yp:dampening-period><yp:sync-on-start>true</yp:sync-on-start></yp:on-change>');
    const id = /<id [^>]*>(\d+)<\/id>/.exec(reply)![1]!;
    const sync = await next('push-update', from);
    const c = sent.length;
    operational = serverState('up');
    stream.publish({ namespace: BMPD, name: 'bmp-server-state-change',
      xml: `<bmp-server-state-change xmlns="${BMPD}"><id>1</id><status>up</status></bmp-server-state-change>` });
    const change = await next('push-change-update', c);
    expect(change).toMatch(/<target>\/bmpd:bgp\/bmp\/server=1\/state\/status<\/target><value><status [^>]*>up<\/status>/);
    // A subscriber that stops reading is suspended at the next push, resumed when it caught up.
    queued = 64 * 1024 * 1024;
    const s = sent.length;
    operational = serverState('down');
    stream.publish({ namespace: BMPD, name: 'bmp-server-state-change',
      xml: `<bmp-server-state-change xmlns="${BMPD}"><id>1</id><status>down</status></bmp-server-state-change>` });
    const suspended = await next('subscription-suspended', s);
    queued = 0;
    const resumed = await next('subscription-resumed', s);
    for (const n of [sync, change, suspended, resumed]) expect(() => validate(n), n).not.toThrow();
    await call('delete-subscription', `<id>${id}</id>`);
  });
});

describe('RPC input judged by the schema, as every rpc, with RFC 8639\'s identities where the RFCs name the fault', () => {
  /** The rpc-error XML of a refused rpc; nothing was established or ended. */
  async function refused(name: string, body: string): Promise<string> {
    const before = manager.count;
    const err = await call(name, body).then(() => null, (e: unknown) => e);
    expect(manager.count).toBe(before);
    expect(err).toBeInstanceOf(Error);
    return (err as Error).message;
  }
  const tagOf = (xml: string) => /<error-tag>([^<]*)<\/error-tag>/.exec(xml)?.[1];
  const appTagOf = (xml: string) => /<error-app-tag>([^<]*)<\/error-app-tag>/.exec(xml)?.[1];
  const badElementOf = (xml: string) => /<bad-element>([^<]*)<\/bad-element>/.exec(xml)?.[1];
  const PERIODIC = '<yp:periodic><yp:period>100</yp:period></yp:periodic>';

  // [operation, parameters, error-tag, bad-element]: the schema's verdict, no app-tag.
  it.each([
    ['establish-subscription', '<stream>NETCONF</stream><bogus>1</bogus>', 'unknown-element', 'bogus'],
    ['establish-subscription', '<stream>NETCONF</stream><dscp>7</dscp>', 'unknown-element', 'dscp'],
    ['establish-subscription', '<stream>NETCONF</stream><id>5</id>', 'unknown-element', 'id'],
    ['establish-subscription', '<stream>NETCONF</stream><stream>NETCONF</stream>', 'unknown-element', 'stream'],
    ['establish-subscription', '<stream>NETCONF</stream><stop-time>tomorrow</stop-time>', 'invalid-value', 'stop-time'],
    ['establish-subscription', '<yp:datastore>ds:operational</yp:datastore><yp:on-change><yp:sync-on-start>maybe</yp:sync-on-start></yp:on-change>', 'invalid-value', 'sync-on-start'],
    ['establish-subscription', '<yp:datastore>ds:operational</yp:datastore><yp:on-change><yp:excluded-change>rename</yp:excluded-change></yp:on-change>', 'invalid-value', 'excluded-change'],
    ['establish-subscription', '<yp:datastore>ds:operational</yp:datastore><yp:periodic/>', 'missing-element', 'period'],
    ['establish-subscription', '<encoding>encode-xml</encoding>', 'missing-element', 'establish-subscription'],
    // An unknown parameter is the schema's verdict even beside a fault RFC 8639 names.
    ['establish-subscription', '<stream>nowhere</stream><bogus/>', 'unknown-element', 'bogus'],
    ['modify-subscription', '<id>1</id><stop-time>2099-01-01T00:00:00Z</stop-time>', 'missing-element', 'modify-subscription'],
    ['modify-subscription', '<id>1</id><stream>NETCONF</stream>', 'unknown-element', 'stream'],
    ['modify-subscription', `<yp:datastore>ds:operational</yp:datastore>${PERIODIC}`, 'missing-element', 'id'],
    ['delete-subscription', '', 'missing-element', 'id'],
    ['delete-subscription', '<id>-1</id>', 'invalid-value', 'id'],
    ['kill-subscription', '<id>1</id><extra/>', 'unknown-element', 'extra'],
    ['kill-subscription', '<id>4294967296</id>', 'invalid-value', 'id'],
  ])('%s with %s: %s naming <%s>', async (name, body, tag, badElement) => {
    const xml = await refused(name, body);
    expect(tagOf(xml)).toBe(tag);
    expect(badElementOf(xml)).toBe(badElement);
    expect(appTagOf(xml)).toBeUndefined();
  });

  // [operation, parameters, identity, the error-info container]: RFC 8640 §2.4.1, invalid-value with
  // the identity as app-tag and RFC 8639's (or RFC 8641's) error-info.
  const SN_INFO = `establish-subscription-stream-error-info xmlns="${SN_NS}"`;
  const YP_INFO = `establish-subscription-datastore-error-info xmlns="${YP_NS}"`;
  it.each([
    ['establish-subscription', '<stream>nowhere</stream>', 'ietf-subscribed-notifications:stream-unavailable', SN_INFO],
    ['establish-subscription', '<stream>NETCONF</stream><stream-filter-name>mine</stream-filter-name>', 'ietf-subscribed-notifications:filter-unsupported', SN_INFO],
    ['establish-subscription', '<stream>NETCONF</stream><stream-xpath-filter>((</stream-xpath-filter>', 'ietf-subscribed-notifications:filter-unsupported', SN_INFO],
    ['establish-subscription', '<stream>NETCONF</stream><stream-xpath-filter>/x:a</stream-xpath-filter>', 'ietf-subscribed-notifications:filter-unsupported', SN_INFO],
    ['establish-subscription', '<stream>NETCONF</stream><encoding>encode-json</encoding>', 'ietf-subscribed-notifications:encoding-unsupported', SN_INFO],
    ['establish-subscription', '<stream>NETCONF</stream><encoding>encode-cbor</encoding>', 'ietf-subscribed-notifications:encoding-unsupported', SN_INFO],
    ['establish-subscription', `<yp:datastore>ds:operational</yp:datastore><yp:selection-filter-ref>mine</yp:selection-filter-ref>${PERIODIC}`, 'ietf-subscribed-notifications:filter-unsupported', YP_INFO],
    ['establish-subscription', `<yp:datastore>ds:operational</yp:datastore><yp:datastore-xpath-filter>count(</yp:datastore-xpath-filter>${PERIODIC}`, 'ietf-subscribed-notifications:filter-unsupported', YP_INFO],
    ['establish-subscription', `<yp:datastore>ds:running</yp:datastore>${PERIODIC}`, 'ietf-yang-push:datastore-not-subscribable', YP_INFO],
    ['establish-subscription', '<yp:datastore>ds:operational</yp:datastore><yp:periodic><yp:period>5</yp:period></yp:periodic>', 'ietf-yang-push:period-unsupported', YP_INFO],
    ['modify-subscription', `<id>999</id><yp:datastore>ds:operational</yp:datastore>${PERIODIC}`, 'ietf-subscribed-notifications:no-such-subscription', `modify-subscription-stream-error-info xmlns="${SN_NS}"`],
    ['modify-subscription', '<id>999</id><stream-xpath-filter>((</stream-xpath-filter>', 'ietf-subscribed-notifications:filter-unsupported', `modify-subscription-stream-error-info xmlns="${SN_NS}"`],
    ['delete-subscription', '<id>999</id>', 'ietf-subscribed-notifications:no-such-subscription', `delete-subscription-error-info xmlns="${SN_NS}"`],
    ['kill-subscription', '<id>999</id>', 'ietf-subscribed-notifications:no-such-subscription', `delete-subscription-error-info xmlns="${SN_NS}"`],
  ])('%s with %s: %s', async (name, body, identity, info) => {
    const xml = await refused(name, body);
    expect(tagOf(xml)).toBe('invalid-value');
    expect(appTagOf(xml)).toBe(identity);
    expect(xml).toContain(`<${info}>`);
  });

  it('a filter the schema refuses carries libyang\'s reason as the filter-failure-hint', async () => {
    expect(await refused('establish-subscription', '<stream>NETCONF</stream><stream-xpath-filter>/x:a</stream-xpath-filter>'))
      .toMatch(/<filter-failure-hint>[^<]*prefix "x"[^<]*<\/filter-failure-hint>/);
  });

  it('modify-subscription keeps a subscription\'s kind: a datastore target for a stream subscription is filter-unsupported', async () => {
    const id = /<id [^>]*>(\d+)<\/id>/.exec(await call('establish-subscription', '<stream>NETCONF</stream>'))![1]!;
    try {
      const xml = await refused('modify-subscription', `<id>${id}</id><yp:datastore>ds:operational</yp:datastore>${PERIODIC}`);
      expect(appTagOf(xml)).toBe('ietf-subscribed-notifications:filter-unsupported');
      expect(xml).toContain('this is a stream subscription');
      // The stream case is accepted, and subscription-modified names the new filter.
      const from = sent.length;
      expect(await call('modify-subscription', `<id>${id}</id><stream-xpath-filter xmlns:n="${NC_NOTIF}">/n:netconf-session-end</stream-xpath-filter>`)).toBe('<ok/>');
      expect(await next('subscription-modified', from)).toContain('/n:netconf-session-end</stream-xpath-filter>');
    } finally {
      await call('delete-subscription', `<id>${id}</id>`);
    }
  });
});

describe('RFC 8639 /streams and /subscriptions state', () => {
  /** libyang parses and validates the state as the operational datastore holds it; returns it printed. */
  function valid(xml: string): string {
    const tree = model.context.parseData(xml, { format: 'xml', strict: true });
    try { return tree.print({ format: 'xml' }); } finally { tree.free(); }
  }

  it('/streams: NETCONF with replay support, the log creation time, and the aged time once an event was dropped', () => {
    const fresh = new NotificationStream();
    const before = valid(streamsStateXml(fresh));
    expect(before).toMatch(/<streams xmlns="urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications">\s*<stream>\s*<name>NETCONF<\/name>/);
    expect(before).toContain('<replay-support/>');
    const time = (xml: string, leaf: string) => {
      const m = new RegExp(`<${leaf}>([^<]+)</${leaf}>`).exec(xml);
      return m === null ? null : Date.parse(m[1]!);
    };
    expect(time(before, 'replay-log-creation-time')).toBe(fresh.replay.createdAt.getTime());
    expect(before).not.toContain('replay-log-aged-time');
    fresh.replay.resize(1);
    for (let i = 0; i < 2; i++) fresh.publish({ namespace: BMPD, name: 'e', xml: `<e xmlns="${BMPD}"/>` });
    expect(time(valid(streamsStateXml(fresh)), 'replay-log-aged-time')).toBe(fresh.replay.agedAt!.getTime());
  });

  it('/subscriptions: each subscription\'s target, filter, trigger, encoding and its receiver\'s counters and state', async () => {
    operational = serverState('up');
    const from = sent.length;
    const stream = await call('establish-subscription', '<stream>NETCONF</stream>' +
      `<stream-subtree-filter><netconf-session-start xmlns="${NC_NOTIF}"/></stream-subtree-filter>`);
    const push = await call('establish-subscription', '<yp:datastore>ds:operational</yp:datastore>' +
      `<yp:datastore-xpath-filter xmlns:b="${BMPD}">/b:bgp</yp:datastore-xpath-filter><yp:periodic><yp:period>1000</yp:period></yp:periodic>`);
    const [streamId = '', pushId = ''] = [stream, push].map((r) => /<id [^>]*>(\d+)<\/id>/.exec(r)![1]!);
    publishSessionStartAndEnd(); // one event the filter selects, one it excludes
    await new Promise((r) => setTimeout(r, 50));
    const state = valid(manager.stateXml());
    const entry = (id: string) => new RegExp(`<subscription>\\s*<id>${id}</id>([\\s\\S]*?)</subscription>`).exec(state)?.[1] ?? '';
    expect(entry(streamId)).toMatch(/<stream-subtree-filter>[\s\S]*netconf-session-start[\s\S]*<stream>NETCONF<\/stream>/);
    expect(entry(streamId)).toMatch(/<encoding[^>]*>sn:encode-xml<\/encoding>/);
    expect(entry(streamId)).toMatch(new RegExp(`<receiver>\\s*<name>NETCONF session ${session.id}</name>\\s*<sent-event-records>1</sent-event-records>\\s*<excluded-event-records>1</excluded-event-records>\\s*<state>active</state>`));
    // (libyang prints the filter's prefix as the module name)
    expect(entry(pushId)).toMatch(/<datastore [^>]*>ds:operational<\/datastore>[\s\S]*<datastore-xpath-filter[^>]*>\/(b|bmpd):bgp<\/datastore-xpath-filter>[\s\S]*<period>1000<\/period>/);
    expect(sent.length).toBeGreaterThan(from);
    for (const id of [streamId, pushId]) await call('delete-subscription', `<id>${id}</id>`);
    expect(manager.stateXml()).toBe('');
  });
});

function publishSessionStartAndEnd(): void {
  stream.publish({ namespace: NC_NOTIF, name: 'netconf-session-start',
    xml: `<netconf-session-start xmlns="${NC_NOTIF}"><username>u</username><session-id>9</session-id><source-host>127.0.0.1</source-host></netconf-session-start>` });
  stream.publish({ namespace: NC_NOTIF, name: 'netconf-session-end',
    xml: `<netconf-session-end xmlns="${NC_NOTIF}"><username>u</username><session-id>9</session-id><source-host>127.0.0.1</source-host><termination-reason>closed</termination-reason></netconf-session-end>` });
}
