// On-change YANG-push (RFC 8641 §3.10) never misses a change that comes while its baseline is read:
// the subscription is registered before the read, and a change marks what it touched for the next
// read (selection-view.ts) even while one is under way.
// The SubscriptionManager runs with the real schema and NotificationStream; the operational reads are
// held open by the test, so a change can be put exactly inside the baseline's evaluation.
import pino from 'pino';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { NotificationStream } from '../../src/netconf/notifications.js';
import { readRpc, type ParsedOperation, type RpcDispatcher, type RpcHandler } from '../../src/netconf/rpc.js';
import { SN_NS, SubscriptionManager, YP_NS } from '../../src/netconf/subscriptions/subscriptions.js';
import { parseXmlMessage } from '../../src/netconf/xml.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';
import { fakeSession } from './fake-session.js';

const BMPD = 'urn:bmpd:yang:bmpd';
const DS = 'urn:ietf:params:xml:ns:yang:ietf-datastores';

let model: YangModel;
let stream: NotificationStream;
let manager: SubscriptionManager;
const handlers = new Map<string, RpcHandler>();
const sent: string[] = [];

/** Reads the manager asked for, each answered by the test. */
interface HeldRead { readonly filter: unknown; answer(xml: string): void }
const reads: HeldRead[] = [];

const session = fakeSession(sent);

function serverState(status: string): string {
  return `<bgp xmlns="${BMPD}"><as-number>65000</as-number><bmp><server><id>1</id><address>127.0.1.1</address>` +
    `<port-number>8000</port-number><state><status>${status}</status></state></server></bmp></bgp>`;
}

function statusChange(status: string): void {
  stream.publish({ namespace: BMPD, name: 'bmp-server-state-change',
    xml: `<bmp-server-state-change xmlns="${BMPD}"><id>1</id><status>${status}</status></bmp-server-state-change>` });
}

function operation(xml: string): ParsedOperation {
  const parsed = readRpc(parseXmlMessage(`<rpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1">${xml}</rpc>`));
  if (parsed.kind !== 'rpc') throw new Error('test rpc rejected');
  return parsed.rpc.operation;
}

async function call(name: string, body: string): Promise<string> {
  const op = operation(`<${name} xmlns="${SN_NS}" xmlns:yp="${YP_NS}" xmlns:ds="${DS}">${body}</${name}>`);
  const reply = await handlers.get(name)!({ operation: op, session } as never);
  return 'xml' in reply ? reply.xml : '';
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Lets setImmediate callbacks (where a published change takes effect) run. */
const turn = () => new Promise((r) => setImmediate(r));

beforeAll(async () => {
  model = await loadYangModel();
  stream = new NotificationStream();
  manager = new SubscriptionManager({
    stream, context: model.context, logger: pino({ level: 'silent' }), evaluationWorkers: 2,
    read: (_session, filter) => new Promise((resolve) => reads.push({ filter, answer: resolve })),
    moduleOf: (ns) => model.modules.find((m) => m.namespace === ns && m.implemented)?.name ?? null,
    namespaceOf: (m) => model.modules.find((x) => x.name === m)?.namespace ?? null,
  });
  manager.register({ register: (_ns: string, name: string, h: RpcHandler) => handlers.set(name, h) } as unknown as RpcDispatcher);
});
afterAll(() => { manager.close(); model.context.destroy(); });
afterEach(() => { manager.sessionEnded(session.id); reads.length = 0; });

const ON_CHANGE = '<yp:datastore>ds:operational</yp:datastore><yp:on-change><yp:sync-on-start>false</yp:sync-on-start></yp:on-change>';

describe('on-change baseline', () => {
  it('a change during the baseline\'s evaluation is reported: push-change-update once the reply is out', async () => {
    const from = sent.length;
    const reply = call('establish-subscription', ON_CHANGE);
    await until('the baseline read', () => reads.length === 1);
    // The server goes down while the baseline is evaluated; the baseline read began before it.
    statusChange('down');
    await turn();
    reads[0]!.answer(serverState('up'));
    expect(await reply).toMatch(/<id [^>]*>\d+<\/id>/);
    await until('a second read after the baseline', () => reads.length === 2);
    reads[1]!.answer(serverState('down'));
    await until('push-change-update', () => sent.slice(from).some((n) => n.includes('<push-change-update ')));
    const change = sent.slice(from).find((n) => n.includes('<push-change-update '))!;
    expect(change).toMatch(/<target>\/bmpd:bgp\/bmp\/server=1\/state\/status<\/target><value><status [^>]*>down<\/status>/);
  });

  it('without a change during it, the baseline is not read again', async () => {
    const from = sent.length;
    const reply = call('establish-subscription', ON_CHANGE);
    await until('the baseline read', () => reads.length === 1);
    reads[0]!.answer(serverState('up'));
    await reply;
    await new Promise((r) => setTimeout(r, 50));
    expect(reads.length).toBe(1);
    expect(sent.slice(from)).toEqual([]);
  });

  it('a change during an update\'s evaluation is looked at again after it', async () => {
    const reply = call('establish-subscription', ON_CHANGE);
    await until('the baseline read', () => reads.length === 1);
    reads[0]!.answer(serverState('up'));
    await reply;
    const from = sent.length;
    statusChange('down');
    await until('the update read', () => reads.length === 2);
    // A second change while the first one's read is evaluated (its result predates the second).
    statusChange('up');
    await turn();
    reads[1]!.answer(serverState('down'));
    await until('a read for the second change', () => reads.length === 3);
    reads[2]!.answer(serverState('up'));
    await until('two push-change-updates', () => sent.slice(from).filter((n) => n.includes('<push-change-update ')).length === 2);
    const [first, second] = sent.slice(from).filter((n) => n.includes('<push-change-update '));
    expect(first).toMatch(/<status [^>]*>down<\/status>/);
    expect(second).toMatch(/<status [^>]*>up<\/status>/);
  });
});
