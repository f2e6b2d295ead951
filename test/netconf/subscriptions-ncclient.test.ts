// RFC 8639/8640/8641 subscriptions and RFC 5277 replay against the real agent
// process, through python3-ncclient sending raw RPCs (clients/subscriber.py):
// periodic push-update at its period, on-change push-change-update when a real
// pmbmpd collector stops and comes back, sync-on-start, modify/delete/kill,
// replay of netconf-config-change events, a slow subscriber suspended while
// another continues, and NACM read rules on what a push holds.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pmbmpd } from '../bmp/integration/pmbmpd.js';
import { ROOT, startAgent, type RunningAgent } from '../support/agent.js';
import { NcTestClient, rpcXml } from './nc-client.js';

const SCRIPT = join(ROOT, 'test', 'netconf', 'clients', 'subscriber.py');
const BMPD = 'urn:bmpd:yang:bmpd';
const SN = 'urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications';
const YP = 'urn:ietf:params:xml:ns:yang:ietf-yang-push';
const DS = 'urn:ietf:params:xml:ns:yang:ietf-datastores';
const NC = 'urn:ietf:params:xml:ns:netconf:base:1.0';
const COLLECTOR = { host: '127.0.41.1', port: 11041 };

interface Received { xml: string; t: number }

/** The agent's own send time of a notification (RFC 5277 eventTime), in ms. */
function eventTime(n: Received): number {
  const at = /<eventTime>([^<]+)<\/eventTime>/.exec(n.xml);
  if (!at) throw new Error(`no eventTime in ${n.xml.slice(0, 200)}`);
  return Date.parse(at[1]!);
}

/**
 * Checks a periodic subscription's updates: the agent stamped them one period apart ±10 %
 * (RFC 8641 §3.1: period), and each reached the client within a second of its stamp. Gaps
 * measured at the Python client alone also carry its own scheduling on a loaded machine.
 */
function expectPeriodic(updates: readonly Received[], periodMs: number): void {
  const gaps = updates.slice(1).map((u, i) => eventTime(u) - eventTime(updates[i]!));
  for (const gap of gaps) expect(gap, `eventTime gaps ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(periodMs * 0.9);
  for (const gap of gaps) expect(gap, `eventTime gaps ${gaps.join(', ')} ms`).toBeLessThanOrEqual(periodMs * 1.1);
  const delays = updates.map((u) => Math.round(u.t - eventTime(u)));
  for (const delay of delays) expect(delay, `delivery delays ${delays.join(', ')} ms`).toBeLessThanOrEqual(1000);
}

/** One subscriber.py process: a NETCONF session driven by raw RPCs. */
class Subscriber {
  readonly notifications: Received[] = [];
  private readonly replies: { reply?: string; error?: { tag: string; app_tag: string | null; message: string; xml: string } }[] = [];
  private wake: (() => void) | undefined;
  private constructor(private readonly child: ChildProcess, readonly sessionId: string) {}

  static async start(port: number, user = 'admin', password = 'admin'): Promise<Subscriber> {
    const child = spawn('/usr/bin/python3', [SCRIPT, String(port), user, password], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    let self: Subscriber | undefined;
    const ready = new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`subscriber.py exited ${code}: ${err}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (msg.ready !== undefined) { resolve(String(msg.ready)); return; }
        if (msg.notification !== undefined) self!.notifications.push({ xml: msg.notification as string, t: (msg.t as number) * 1000 });
        else self!.replies.push(msg as Subscriber['replies'][number]);
        self!.wake?.();
      });
    });
    const id = await ready;
    self = new Subscriber(child, id);
    return self;
  }

  async rpc(xml: string): Promise<{ reply?: string; error?: { tag: string; app_tag: string | null; message: string; xml: string } }> {
    this.child.stdin!.write(JSON.stringify({ rpc: xml }) + '\n');
    await this.until(() => this.replies.length > 0, 30_000, 'an rpc reply');
    return this.replies.shift()!;
  }

  async ok(xml: string): Promise<string> {
    const r = await this.rpc(xml);
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    return r.reply!;
  }

  /** Waits until `count` notifications matching `pattern` arrived; returns them. */
  async waitFor(pattern: RegExp | string, count = 1, timeoutMs = 15_000): Promise<Received[]> {
    const matching = () => this.notifications.filter((n) => typeof pattern === 'string' ? n.xml.includes(pattern) : pattern.test(n.xml));
    await this.until(() => matching().length >= count, timeoutMs, `${count} notification(s) matching ${String(pattern)}`);
    return matching();
  }

  private async until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; notifications: ${this.notifications.map((n) => n.xml.slice(0, 300)).join('\n')}`);
      await new Promise<void>((r) => { const t = setTimeout(r, 50); this.wake = () => { clearTimeout(t); r(); }; });
    }
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.stdin!.write(JSON.stringify({ close: true }) + '\n');
    const exited = new Promise((r) => this.child.once('exit', r));
    const timer = setTimeout(() => { if (this.child.pid !== undefined) process.kill(this.child.pid, 'SIGKILL'); }, 5000);
    await exited;
    clearTimeout(timer);
  }
}

const idOf = (reply: string) => /<id[^>]*>(\d+)<\/id>/.exec(reply)![1]!;
const periodic = (period: number, filter = '') =>
  `<establish-subscription xmlns="${SN}"><datastore xmlns="${YP}" xmlns:ds="${DS}">ds:operational</datastore>${filter}` +
  `<periodic xmlns="${YP}"><period>${period}</period></periodic></establish-subscription>`;
const xpathFilter = (xpath: string) => `<datastore-xpath-filter xmlns="${YP}" xmlns:b="${BMPD}">${xpath}</datastore-xpath-filter>`;
const onChange = (filter: string, extra = '') =>
  `<establish-subscription xmlns="${SN}"><datastore xmlns="${YP}" xmlns:ds="${DS}">ds:operational</datastore>${filter}` +
  `<on-change xmlns="${YP}">${extra}</on-change></establish-subscription>`;
const editRunning = (config: string) =>
  `<edit-config><target><running/></target><config>${config}</config></edit-config>`;
const SERVER_CONFIG = `<bgp xmlns="${BMPD}"><as-number>65000</as-number><router-id>127.0.41.2</router-id><bmp>` +
  `<server><id>1</id><activate/><address>${COLLECTOR.host}</address><port-number>${COLLECTOR.port}</port-number>` +
  '<initial-delay>1</initial-delay><failure-retry-delay>1</failure-retry-delay><flapping-delay>1</flapping-delay></server></bmp></bgp>';

let agent: RunningAgent;
let dir: string;
const subscribers: Subscriber[] = [];
async function subscriber(user = 'admin'): Promise<Subscriber> {
  const s = await Subscriber.start(agent.port, user, `${user}-password`);
  subscribers.push(s);
  return s;
}

/** bmpd-adduser, the password ('<name>-password') on stdin. */
async function adduser(stateDir: string, name: string, group: string): Promise<void> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'adduser.js'), '--state-dir', stateDir, '--name', name, '--group', group, '--password-stdin'],
    { stdio: ['pipe', 'ignore', 'inherit'] });
  child.stdin!.end(`${name}-password\n`);
  expect(await new Promise((r) => child.once('exit', r))).toBe(0);
}

let stateDir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bmpd-subs-'));
  stateDir = mkdtempSync(join(tmpdir(), 'bmpd-subs-state-'));
  // admin (the factory rule-list's group) and viewer, whom a rule keeps from reading BMP servers.
  await adduser(stateDir, 'admin', 'admin');
  await adduser(stateDir, 'viewer', 'viewers');
  agent = await startAgent({ stateDir });
}, 60_000);
afterAll(async () => {
  for (const s of subscribers) await s.close();
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
});

describe('YANG-push over NETCONF (ncclient, raw RPCs)', () => {
  it('a periodic subscription delivers push-update at its period ±10 %, and no configured-only subscription-started', async () => {
    const s = await subscriber();
    const reply = await s.ok(periodic(100, xpathFilter('/b:bgp/b:as-number | /b:agent')));
    const id = idOf(reply);
    const updates = await s.waitFor('<push-update', 6, 12_000);
    for (const u of updates) expect(u.xml).toMatch(/<datastore-contents>[\s\S]*<sys-name>/);
    for (const u of updates) expect(u.xml).toContain(`<id>${id}</id>`);
    // RFC 8639's subscription-started is `if-feature configured`: the reply started this one.
    expect(s.notifications.filter((n) => n.xml.includes('<subscription-started'))).toEqual([]);
    // The first update goes out once the subscription's first evaluation is done (a fresh worker
    // may load running first); the rest follow the period grid anchored at establishment.
    expectPeriodic(updates.slice(1), 1000);
    await s.ok(`<delete-subscription xmlns="${SN}"><id>${id}</id></delete-subscription>`);
  }, 30_000);

  it('on-change: sync-on-start, then a push-change-update within 1 s after pmbmpd stops and again when it is back; counters are refused with a hint; NACM hides it all from a reader who may not read BMP servers', async () => {
    const s = await subscriber();
    await s.ok(editRunning(`<nacm xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-acm"><rule-list><name>viewers</name><group>viewers</group>` +
      `<rule><name>no-servers</name><module-name>bmpd</module-name><path xmlns:b="${BMPD}">/b:bgp/b:bmp/b:server</path>` +
      '<access-operations>read</access-operations><action>deny</action></rule></rule-list></nacm>'));
    const viewer = await subscriber('viewer');
    let collector = await Pmbmpd.start(dir, COLLECTOR.host, COLLECTOR.port);
    try {
      await s.ok(editRunning(SERVER_CONFIG));
      const status = xpathFilter('/b:bgp/b:bmp/b:server/b:state/b:status');
      // Wait until the agent connected, seen through a plain <get>.
      const deadline = Date.now() + 15_000;
      for (;;) {
        const got = await s.ok(`<get><filter type="xpath" xmlns:b="${BMPD}" select="/b:bgp/b:bmp/b:server/b:state/b:status"/></get>`);
        if (got.includes('<status>up</status>')) break;
        if (Date.now() > deadline) throw new Error(`server never up: ${got}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const counters = await s.rpc(onChange(xpathFilter('/b:bgp/b:bmp/b:server/b:state/b:messages-sent')));
      expect(counters.error?.app_tag).toBe('ietf-yang-push:on-change-unsupported');
      expect(counters.error?.xml).toContain('filter-failure-hint');
      await s.ok(onChange(status, '<sync-on-start>true</sync-on-start>'));
      const sync = await s.waitFor('<push-update');
      expect(sync[0]!.xml).toMatch(/<server>\s*<id>1<\/id>[\s\S]*<status>up<\/status>/);
      await viewer.ok(onChange(status, '<sync-on-start>true</sync-on-start>'));
      const viewerSync = await viewer.waitFor('<push-update');
      expect(viewerSync[0]!.xml).toContain('<datastore-contents>');
      expect(viewerSync[0]!.xml).not.toContain('<server');

      await collector.stop();
      const stoppedAt = Date.now();
      const down = await s.waitFor('<push-change-update', 1, 5000);
      expect(down[0]!.t - stoppedAt).toBeLessThanOrEqual(1000);
      expect(down[0]!.xml).toContain('<target>/bmpd:bgp/bmp/server=1/state/status</target>');
      expect(down[0]!.xml).toContain('<operation>replace</operation>');
      expect(down[0]!.xml).not.toContain('<status xmlns="urn:bmpd:yang:bmpd">up</status>');

      // When the agent sees the collector again: its bmp-server-state-change, on an RFC 8639 stream
      // subscription of the same session.
      await s.ok(`<establish-subscription xmlns="${SN}"><stream>NETCONF</stream><stream-subtree-filter>` +
        `<bmp-server-state-change xmlns="${BMPD}"/></stream-subtree-filter></establish-subscription>`);
      collector = await Pmbmpd.start(dir, COLLECTOR.host, COLLECTOR.port);
      const up = await s.waitFor(/<push-change-update[\s\S]*<status xmlns="urn:bmpd:yang:bmpd">up<\/status>/, 1, 15_000);
      const [event] = await s.waitFor(/<bmp-server-state-change[\s\S]*<status>up<\/status>/);
      const seenAt = Date.parse(/<eventTime>([^<]+)<\/eventTime>/.exec(event!.xml)![1]!);
      expect(up[0]!.t - seenAt).toBeLessThanOrEqual(1000);
      // The viewer learnt nothing of the server going down and coming back.
      expect(viewer.notifications.filter((n) => n.xml.includes('<push-change-update'))).toEqual([]);
      // Counters move all the time but on-change reports none of them.
      expect(s.notifications.filter((n) => n.xml.includes('<push-change-update')).map((n) => n.xml).join('')).not.toContain('messages-sent');
    } finally {
      await collector.stop();
    }
  }, 60_000);

  it('modify-subscription changes the period, delete ends it, kill-subscription ends another session\'s with subscription-terminated', async () => {
    const s = await subscriber();
    const other = await subscriber();
    // A subtree filter this time: subscription-modified echoes it with its namespaces declared.
    const id = idOf(await s.ok(periodic(100, `<datastore-subtree-filter xmlns="${YP}"><agent xmlns="${BMPD}"/></datastore-subtree-filter>`)));
    const [first] = await s.waitFor('<push-update', 1);
    expect(first!.xml).toContain('<sys-name>');
    expect(first!.xml).not.toContain('<bgp');
    // RFC 8641's modify-subscription names the datastore (its target case); the filter left out is kept.
    const operational = `<datastore xmlns="${YP}" xmlns:ds="${DS}">ds:operational</datastore>`;
    await s.ok(`<modify-subscription xmlns="${SN}"><id>${id}</id>${operational}<periodic xmlns="${YP}"><period>50</period></periodic></modify-subscription>`);
    const modified = await s.waitFor('<subscription-modified');
    expect(modified[0]!.xml).toContain('<period>50</period>');
    // (the prefixes in scope at the request, ncclient's nc: among them, are declared on the content)
    expect(modified[0]!.xml).toMatch(
      new RegExp(`<datastore-subtree-filter xmlns="${YP}"><agent [^>]*xmlns="${BMPD}"[^>]*/></datastore-subtree-filter>`));
    const after = modified[0]!.t;
    await s.waitFor((/<push-update/), s.notifications.filter((n) => n.xml.includes('<push-update')).length + 3, 5000);
    const fast = s.notifications.filter((n) => n.xml.includes('<push-update') && n.t > after);
    // The new period on average (one push may wait for a busy evaluation worker on this shared machine).
    const mean = (fast[fast.length - 1]!.t - fast[0]!.t) / (fast.length - 1);
    expect(mean).toBeGreaterThanOrEqual(450);
    expect(mean).toBeLessThanOrEqual(550);

    // A new filter alone keeps the period.
    const MON = 'urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring';
    await s.ok(`<modify-subscription xmlns="${SN}"><id>${id}</id>${operational}<datastore-xpath-filter xmlns="${YP}" xmlns:m="${MON}">/m:netconf-state/m:statistics</datastore-xpath-filter></modify-subscription>`);
    const refiltered = await s.waitFor('<in-sessions>', 2, 5000);
    expect(refiltered[1]!.xml).not.toContain('<sys-name>');
    expect(refiltered[1]!.t - refiltered[0]!.t).toBeLessThanOrEqual(600);

    // Another session may neither modify nor delete it.
    const foreign = await other.rpc(`<delete-subscription xmlns="${SN}"><id>${id}</id></delete-subscription>`);
    expect(foreign.error?.app_tag).toBe('ietf-subscribed-notifications:no-such-subscription');
    // kill-subscription may (admin: the factory rule-list permits everything).
    await other.ok(`<kill-subscription xmlns="${SN}"><id>${id}</id></kill-subscription>`);
    const terminated = await s.waitFor('<subscription-terminated');
    expect(terminated[0]!.xml).toContain('no-such-subscription');
    const count = s.notifications.filter((n) => n.xml.includes('<push-update')).length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(s.notifications.filter((n) => n.xml.includes('<push-update')).length).toBe(count);

    const id2 = idOf(await s.ok(periodic(50, xpathFilter('/b:agent'))));
    await s.waitFor(`<id>${id2}</id>`);
    await s.ok(`<delete-subscription xmlns="${SN}"><id>${id2}</id></delete-subscription>`);
    const count2 = s.notifications.length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(s.notifications.length).toBe(count2);
    const gone = await s.rpc(`<delete-subscription xmlns="${SN}"><id>${id2}</id></delete-subscription>`);
    expect(gone.error?.app_tag).toBe('ietf-subscribed-notifications:no-such-subscription');
  }, 60_000);

  it('replays past netconf-config-change events from startTime, then replayComplete; stopTime ends with notificationComplete', async () => {
    const writer = await subscriber();
    const before = new Date(Date.now() - 1000).toISOString();
    await writer.ok(editRunning(`<bgp xmlns="${BMPD}"><as-number>65000</as-number><peer-group><name>replayed-1</name></peer-group></bgp>`));
    await writer.ok(editRunning(`<bgp xmlns="${BMPD}"><as-number>65000</as-number><peer-group><name>replayed-2</name></peer-group></bgp>`));
    const between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));

    const s = await subscriber();
    await s.ok(`<create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><startTime>${before}</startTime></create-subscription>`);
    await s.waitFor('<replayComplete');
    const xmls = s.notifications.map((n) => n.xml);
    const complete = xmls.findIndex((x) => x.includes('<replayComplete'));
    const changes = xmls.slice(0, complete).filter((x) => x.includes('<netconf-config-change'));
    expect(changes.length).toBe(2);
    expect(changes[0]).toMatch(/peer-group\[(bmpd:)?name='replayed-1'\]/);
    expect(changes[1]).toMatch(/peer-group\[(bmpd:)?name='replayed-2'\]/);
    // Live events follow.
    await writer.ok(editRunning(`<bgp xmlns="${BMPD}"><as-number>65000</as-number><peer-group><name>live-3</name></peer-group></bgp>`));
    await s.waitFor(/peer-group\[(bmpd:)?name='live-3'\]/);

    const bounded = await subscriber();
    await bounded.ok(`<create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"><startTime>${before}</startTime><stopTime>${between}</stopTime></create-subscription>`);
    await bounded.waitFor('<notificationComplete');
    const got = bounded.notifications.map((n) => n.xml);
    expect(got.filter((x) => x.includes('<netconf-config-change')).length).toBe(2);
    expect(got.findIndex((x) => x.includes('<replayComplete'))).toBeLessThan(got.findIndex((x) => x.includes('<notificationComplete')));

    // RFC 8639 replay-start-time on the NETCONF stream: the same events, then replay-completed.
    const sn = await subscriber();
    await sn.ok(`<establish-subscription xmlns="${SN}"><stream>NETCONF</stream><stream-subtree-filter>` +
      '<netconf-config-change xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-notifications"/></stream-subtree-filter>' +
      `<replay-start-time>${before}</replay-start-time></establish-subscription>`);
    await sn.waitFor('<replay-completed');
    const snx = sn.notifications.map((n) => n.xml);
    const done = snx.findIndex((x) => x.includes('<replay-completed'));
    expect(snx.slice(0, done).filter((x) => x.includes('<changed-by>')).length, snx.join('\n')).toBe(3);
    expect(snx.slice(0, done).some((x) => x.includes('netconf-session-start'))).toBe(false);

    const streams = await writer.ok(`<get><filter type="subtree"><netconf xmlns="urn:ietf:params:xml:ns:netmod:notification"/></filter></get>`);
    expect(streams).toContain('<replaySupport>true</replaySupport>');
    expect(streams).toMatch(/<replayLogCreationTime>\d{4}-/);
  }, 60_000);

  it('a subscriber that stops reading is suspended while another one keeps its period; it resumes once it reads again', async () => {
    const writer = await subscriber();
    const groups = Array.from({ length: 3000 }, (_, i) => `<peer-group><name>bulk-${i}</name><description>${'x'.repeat(60)}</description></peer-group>`).join('');
    await writer.ok(editRunning(`<bgp xmlns="${BMPD}"><as-number>65000</as-number>${groups}</bgp>`));
    const steady = await subscriber();
    await steady.ok(periodic(100, xpathFilter('/b:agent')));

    const { client: slow } = await NcTestClient.open({ host: '127.0.0.1', port: agent.port, username: 'admin', password: 'admin-password' });
    try {
      await slow.rpc(rpcXml('1', periodic(10)));
      slow.channel.pause();
      const from = Date.now();
      const deadline = Date.now() + 30_000;
      while (!agent.logs.some((l) => l.msg === 'subscriber does not read its updates: subscription suspended')) {
        if (Date.now() > deadline) throw new Error('the slow subscriber was never suspended');
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 2500));
      // The steady subscriber's pushes kept their period the whole time.
      const steadyUpdates = steady.notifications.filter((n) => n.xml.includes('<push-update') && n.t >= from);
      expect(steadyUpdates.length).toBeGreaterThanOrEqual(2);
      expectPeriodic(steadyUpdates, 1000);
      // The slow session was not dropped, and nothing more was queued for it.
      expect(agent.logs.some((l) => l.reason === 'output-overflow')).toBe(false);
      slow.channel.resume();
      let seen = '';
      const until = Date.now() + 30_000;
      while (!seen.includes('<subscription-resumed')) {
        if (Date.now() > until) throw new Error('never resumed');
        seen = await slow.nextMessage(30_000);
      }
      expect(seen).toContain(SN);
    } finally {
      slow.end();
      await writer.ok(`<edit-config><target><running/></target><config><bgp xmlns="${BMPD}" xmlns:nc="${NC}">` +
        Array.from({ length: 3000 }, (_, i) => `<peer-group nc:operation="delete"><name>bulk-${i}</name></peer-group>`).join('') + '</bgp></config></edit-config>');
    }
  }, 90_000);
});
