// Periodic YANG-push (RFC 8641 §3.3, ietf-yang-push anchor-time): updates at anchor-time + n × period,
// or from establishment when no anchor-time is given, whatever the timer's lateness. The
// SubscriptionManager runs with the real schema and NotificationStream and a clock the test drives,
// whose timers fire late by as much as the test says (a loaded event loop); reads answer at once.
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { NotificationStream } from '../../src/netconf/notifications.js';
import { readRpc, type ParsedOperation, type RpcDispatcher, type RpcHandler } from '../../src/netconf/rpc.js';
import { SN_NS, SubscriptionManager, YP_NS } from '../../src/netconf/subscriptions/subscriptions.js';
import { parseXmlMessage } from '../../src/netconf/xml.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';
import { fakeSession } from './fake-session.js';

const DS = 'urn:ietf:params:xml:ns:yang:ietf-datastores';
const T0 = Date.UTC(2026, 11, 7, 12, 0, 0, 370);

/** Timers fire in time order, each `lateness` ms after it was due (time moves to then). */
class LateClock implements Clock {
  time = T0;
  lateness = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private id = 0;
  now(): number { return this.time; }
  setTimeout(fn: () => void, ms: number): unknown {
    this.timers.set(++this.id, { at: this.time + Math.max(0, ms), fn });
    return this.id;
  }
  clearTimeout(handle: unknown): void { this.timers.delete(handle as number); }
  /** Runs every timer that fires by `until` (late ones included), letting the reads' promises settle between. */
  async runUntil(until: number): Promise<void> {
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const t of this.timers) if (!next || t[1].at < next[1].at) next = t;
      if (!next || next[1].at + this.lateness > until) break;
      this.timers.delete(next[0]);
      this.time = Math.max(this.time, next[1].at + this.lateness);
      next[1].fn();
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    }
    this.time = Math.max(this.time, until);
  }
}

let model: YangModel;
let stream: NotificationStream;
let manager: SubscriptionManager;
let clock: LateClock;
const handlers = new Map<string, RpcHandler>();
const sent: string[] = [];
const warnings: { skippedPeriods?: number; msg: string }[] = [];
/** Reads held open while set (an update still being computed when its next period comes). */
let holdReads = false;
const held: (() => void)[] = [];

const session = fakeSession(sent);

function operation(xml: string): ParsedOperation {
  const parsed = readRpc(parseXmlMessage(`<rpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1">${xml}</rpc>`));
  if (parsed.kind !== 'rpc') throw new Error('test rpc rejected');
  return parsed.rpc.operation;
}

async function establish(periodic: string): Promise<void> {
  const op = operation(`<establish-subscription xmlns="${SN_NS}" xmlns:yp="${YP_NS}" xmlns:ds="${DS}">` +
    `<yp:datastore>ds:operational</yp:datastore><yp:periodic>${periodic}</yp:periodic></establish-subscription>`);
  const reply = await handlers.get('establish-subscription')!({ operation: op, session } as never);
  expect('xml' in reply ? reply.xml : '').toMatch(/<id [^>]*>\d+<\/id>/);
  await new Promise((r) => setImmediate(r)); // the subscription starts once its reply is out
}

/** The eventTimes of the push-updates sent so far, as offsets from T0 in ms. */
function updateTimes(): number[] {
  return sent.filter((n) => n.includes('<push-update ')).map((n) => Date.parse(/<eventTime>([^<]+)<\/eventTime>/.exec(n)![1]!) - T0);
}

beforeAll(async () => {
  model = await loadYangModel();
  stream = new NotificationStream();
  clock = new LateClock();
  const logger = pino({ level: 'warn' }, { write: (line: string) => { warnings.push(JSON.parse(line)); } });
  manager = new SubscriptionManager({
    stream, context: model.context, logger, evaluationWorkers: 2, clock,
    read: () => holdReads ? new Promise((resolve) => held.push(() => resolve(''))) : Promise.resolve(''),
    moduleOf: (ns) => model.modules.find((m) => m.namespace === ns && m.implemented)?.name ?? null,
    namespaceOf: (m) => model.modules.find((x) => x.name === m)?.namespace ?? null,
  });
  manager.register({ register: (_ns: string, name: string, h: RpcHandler) => handlers.set(name, h) } as unknown as RpcDispatcher);
});
afterAll(() => { manager.close(); model.context.destroy(); });
afterEach(() => {
  manager.sessionEnded(session.id);
  sent.length = 0;
  warnings.length = 0;
  clock.time = T0;
  clock.lateness = 0;
  holdReads = false;
});

describe('periodic updates on the grid', () => {
  it('without anchor-time: every period from establishment, however late each timer fires', async () => {
    await establish('<yp:period>100</yp:period>'); // 1 s
    clock.lateness = 300;
    await clock.runUntil(T0 + 5_500);
    // Re-arming from each late firing would give 1300, 2600, 3900, 5200.
    expect(updateTimes()).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(warnings).toEqual([]);
  });

  it('with anchor-time: on the anchor\'s grid, also before the anchor', async () => {
    const anchor = new Date(T0 + 2_250).toISOString(); // grid ...250, 1250, 2250...
    await establish(`<yp:period>100</yp:period><yp:anchor-time>${anchor}</yp:anchor-time>`);
    clock.lateness = 100;
    await clock.runUntil(T0 + 3_400);
    expect(updateTimes()).toEqual([250, 1250, 2250, 3250]);
  });

  it('a timer more than a period late: the latest grid point is pushed, the ones passed are skipped and logged', async () => {
    await establish('<yp:period>100</yp:period>');
    await clock.runUntil(T0 + 1_000);
    clock.lateness = 2_400; // the timer due at 2000 fires at 4400: 2000 and 3000 passed entirely
    await clock.runUntil(T0 + 4_400);
    clock.lateness = 0;
    await clock.runUntil(T0 + 6_000);
    expect(updateTimes()).toEqual([1000, 4000, 5000, 6000]);
    expect(warnings.map((w) => w.skippedPeriods)).toEqual([2]);
    expect(warnings[0]!.msg).toMatch(/more than a period late/);
  });

  it('a period that comes while the previous update is being computed is skipped, counted and logged', async () => {
    await establish('<yp:period>100</yp:period>');
    holdReads = true;
    await clock.runUntil(T0 + 3_000); // the read of 1000 still open at 2000 and 3000
    expect(held.length).toBe(1);
    holdReads = false;
    held.splice(0).forEach((answer) => answer());
    await new Promise((r) => setImmediate(r)); // the update of 1000 goes out (at 3000)
    await clock.runUntil(T0 + 4_000);
    expect(updateTimes()).toEqual([1000, 4000]);
    // Logged once in the interval, with the count then; the second skip is counted, not logged again.
    expect(warnings.map((w) => w.skippedPeriods)).toEqual([1]);
    expect(warnings[0]!.msg).toMatch(/still being computed/);
  });
});
