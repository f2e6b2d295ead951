// What each kind of commit does to live sessions (issue 6 / src/agent/README.md),
// observed at two real BMP collectors while gobgpd feeds the agent.
//
// Addresses of this file: bmpd 127.0.14.1:179, gobgpd 127.0.14.2 (API :50072),
// collectors 127.0.14.10 and 127.0.14.11 on ephemeral ports.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, gobgp, gobgpdToml, startGobgpd } from '../bgp/integration/daemons.js';
import { scratchDirs } from '../support/scratch.js';
import { TestCollector, sleep } from '../support/collector.js';
import { ROOT, runPython, startAgent, type RunningAgent } from '../support/agent.js';
import { join } from 'node:path';

const NC = join(ROOT, 'test', 'agent', 'clients', 'nc.py');
const NS = 'urn:bmpd:yang:bmpd';
const NCNS = 'urn:ietf:params:xml:ns:netconf:base:1.0';
const BMPD = '127.0.14.1';
const GOBGP = '127.0.14.2';
const GOBGP_API = `${GOBGP}:50072`;

let a: TestCollector;
let b: TestCollector;
let gobgpd: Daemon;
let agent: RunningAgent;
const tempDir = scratchDirs();

function server(id: number, c: TestCollector, extra = ''): string {
  return `<server><id>${id}</id><activate/><address>${c.host}</address><port-number>${c.port}</port-number>` +
    `<initial-delay>1</initial-delay><failure-retry-delay>2</failure-retry-delay>${extra}</server>`;
}

function config(inner: string): string {
  return `<config><bgp xmlns="${NS}" xmlns:nc="${NCNS}">${inner}</bgp></config>`;
}

interface RpcErrorReport { tag: string; message: string; path?: string }

/** One nc.py command that must succeed: an <rpc-error> fails the test here, not silently later. */
async function nc(...args: (string | number)[]): Promise<Record<string, unknown>> {
  const r = await runPython(NC, [agent.port, ...args], 60_000);
  if (r.error) throw new Error(`nc.py ${String(args[0])} was refused: ${JSON.stringify(r.error)}`);
  return r;
}

/** One nc.py command that must be refused: its rpc-error. */
async function ncRefused(...args: (string | number)[]): Promise<RpcErrorReport> {
  const r = await runPython(NC, [agent.port, ...args], 60_000);
  if (!r.error) throw new Error(`nc.py ${String(args[0])} succeeded where an rpc-error was expected: ${JSON.stringify(r)}`);
  return r.error as RpcErrorReport;
}

async function commit(inner: string, op = 'merge'): Promise<Record<string, unknown>> {
  return nc('edit-inline', config(inner), op);
}

const peerUps = (c: TestCollector) => c.ofType('peerUp').length;
const terminations = (c: TestCollector) => c.ofType('termination').length;
/** A quiet moment, so that "nothing happened" means something. */
const settle = () => sleep(2500);

beforeAll(async () => {
  a = await TestCollector.start('127.0.14.10');
  b = await TestCollector.start('127.0.14.11');
  const dir = tempDir('reconcile-gobgpd');
  gobgpd = await startGobgpd({
    dir,
    api: GOBGP_API,
    toml: gobgpdToml({ as: 65050, routerId: GOBGP, port: 179, localAddresses: [GOBGP] }, [
      { address: BMPD, peerAs: 65000, localAddress: GOBGP },
    ]),
  });
  for (let i = 0; i < 3; i++) await gobgp(GOBGP_API, ['global', 'rib', 'add', `10.50.${i}.0/24`, 'nexthop', '198.51.100.3']);
  agent = await startAgent();
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await gobgpd?.stop();
  await a?.close();
  await b?.close();
});

describe('reconcile: a commit touches only what it changes', () => {
  it('brings up both servers; the neighbor goes to server 1 only', async () => {
    const r = await commit(`<as-number>65000</as-number><listen><address>${BMPD}</address></listen>
      <bmp><initial-refresh><delay>1</delay></initial-refresh>${server(1, a)}${server(2, b)}</bmp>
      <neighbor><address>${GOBGP}</address><remote-as>65050</remote-as><update-source>${BMPD}</update-source>
        <bmp-activate><server>1</server></bmp-activate></neighbor>`);
    expect(r.ok).toBe(true);
    await a.waitFor('Peer Up of the neighbor', () => peerUps(a) === 1, 30_000);
    await b.waitFor('Initiation', () => b.ofType('initiation').length === 1, 30_000);
    await settle();
    expect(peerUps(b)).toBe(0);
  }, 60_000);

  it("changing server 2's description touches nothing", async () => {
    await commit('<bmp><server><id>2</id><description>SERVER2</description></server></bmp>');
    await settle();
    expect(b.sessions).toHaveLength(1);
    expect(terminations(b)).toBe(0);
    expect(a.sessions).toHaveLength(1);
  }, 30_000);

  it('activating the neighbor for server 2 sends its Peer Up and table to server 2 only', async () => {
    await commit('<neighbor><address>127.0.14.2</address><bmp-activate><server>2</server></bmp-activate></neighbor>');
    await b.waitFor('Peer Up and the routes', () => peerUps(b) === 1 && b.ofType('routeMonitoring').length > 0, 30_000);
    expect(peerUps(a)).toBe(1);
    expect(a.ofType('initiation')).toHaveLength(1);
  }, 60_000);

  it("changing server 2's DSCP reconnects server 2 only", async () => {
    await commit('<bmp><server><id>2</id><dscp>7</dscp></server></bmp>');
    await b.waitFor('a second session', () => b.sessions.length === 2 && b.ofType('initiation').length === 2, 30_000);
    expect(a.sessions).toHaveLength(1);
    expect(terminations(a)).toBe(0);
  }, 60_000);

  it('changing initial-refresh and buffer-size drops no session', async () => {
    const before = [a.sessions.length, b.sessions.length, terminations(a), terminations(b)];
    await commit('<bmp><buffer-size>64</buffer-size><initial-refresh><skip/></initial-refresh></bmp>');
    await settle();
    expect([a.sessions.length, b.sessions.length, terminations(a), terminations(b)]).toEqual(before);
  }, 30_000);

  it('removing server 2 sends Termination to it only', async () => {
    const earlier = terminations(b);
    await commit(`<neighbor><address>${GOBGP}</address><bmp-activate><server nc:operation="delete">2</server></bmp-activate></neighbor>
      <bmp><server nc:operation="delete"><id>2</id></server></bmp>`);
    await b.waitFor('Termination', () => terminations(b) === earlier + 1, 20_000);
    await settle();
    expect(terminations(a)).toBe(0);
    expect(a.sessions).toHaveLength(1);
  }, 40_000);

  it('an update-source interface without an address does not fail the commit; it shows in state', async () => {
    const r = await commit(`<bmp><server><id>3</id><activate/><address>127.0.14.12</address><port-number>9</port-number>
      <initial-delay>1</initial-delay><update-source>nosuchif0</update-source></server></bmp>`);
    expect(r.ok).toBe(true);
    await sleep(2000);
    const { data } = await nc('get', "/bmpd:bgp/bmp/server[id='3']/state") as { data: string };
    expect(data).toMatch(/<status>(down|connecting)<\/status>/);
    await commit('<bmp><server nc:operation="delete"><id>3</id></server></bmp>');
  }, 40_000);

  it('a commit the speaker could not apply is refused whole, and nothing changes', async () => {
    const before = (await nc('get-config')).data as string;
    const error = await ncRefused('edit-inline', config(`<bmp><server><id>1</id><description>SHOULD-NOT-STAY</description></server></bmp>
      <vrf><name>red</name><rd>65000:7</rd><address-family><afi>ipv4</afi>
        <neighbor><address>${GOBGP}</address><remote-as>65050</remote-as><update-source>${BMPD}</update-source></neighbor></address-family></vrf>`));
    expect(error.tag).toBe('operation-failed');
    expect(error.message).toContain('distinct update-source');
    expect((await nc('get-config')).data).toBe(before);
    await settle();
    expect(a.sessions).toHaveLength(1);
    expect(terminations(a)).toBe(0);
  }, 40_000);

  it("debug-bmp turns topics on and 'show debugging' state reports them", async () => {
    const r = await nc('rpc', `<debug-bmp xmlns="${NS}"><enable>server</enable><enable>event</enable></debug-bmp>`) as { reply: string };
    expect(r.reply).toContain('<enabled');
    expect(r.reply).toMatch(/>server</);
    const { data } = await nc('get', '/bmpd:debugging') as { data: string };
    expect(data).toMatch(/<topic>event<\/topic>\s*<topic>server<\/topic>/);
    const off = await nc('rpc', `<debug-bmp xmlns="${NS}"><disable>event</disable></debug-bmp>`) as { reply: string };
    expect(off.reply).not.toMatch(/>event</);
  }, 30_000);

  it('clear-bmp-counters zeroes server 1\'s counters and leaves its session up', async () => {
    const counter = async (name: string): Promise<number> => {
      const { data } = await nc('get', "/bmpd:bgp/bmp/server[id='1']/state") as { data: string };
      const m = new RegExp(`<${name}>(\\d+)</${name}>`).exec(data);
      expect(m, `${name} in ${data}`).not.toBeNull();
      return Number(m![1]);
    };
    const sessions = a.sessions.length;
    const sent = await counter('messages-sent');
    expect(sent).toBeGreaterThan(2); // Initiation, Peer Up, Route Monitoring at least
    expect(await counter('route-monitoring-sent')).toBeGreaterThan(0);
    const r = await nc('rpc', `<clear-bmp-counters xmlns="${NS}"><server>1</server></clear-bmp-counters>`) as { reply: string };
    expect(r.reply).toContain('<ok/>');
    expect(await counter('messages-sent')).toBeLessThan(sent);
    expect(await counter('route-monitoring-sent')).toBe(0);
    expect(await counter('connection-attempts')).toBe(0);
    expect(a.sessions).toHaveLength(sessions);
    expect(terminations(a)).toBe(0);
    // Without a server: every server and every neighbor.
    const neighborSent = async (): Promise<number> => {
      const { data } = await nc('get', `/bmpd:bgp/neighbor[address='${GOBGP}']/state`) as { data: string };
      const m = /<route-monitoring-sent>(\d+)<\/route-monitoring-sent>/.exec(data);
      expect(m, data).not.toBeNull();
      return Number(m![1]);
    };
    expect(await neighborSent()).toBeGreaterThan(0);
    const all = await nc('rpc', `<clear-bmp-counters xmlns="${NS}"/>`) as { reply: string };
    expect(all.reply).toContain('<ok/>');
    expect(await neighborSent()).toBe(0);
    // Server 42 is not configured: the leafref of the RPC input fails, nothing is cleared.
    const bad = await ncRefused('rpc', `<clear-bmp-counters xmlns="${NS}"><server>42</server></clear-bmp-counters>`);
    expect(bad.tag).toBeTruthy();
  }, 30_000);

  it('reset-bmp-server closes and reopens that server only', async () => {
    const sessions = a.sessions.length;
    const r = await nc('rpc', `<reset-bmp-server xmlns="${NS}"><server>1</server></reset-bmp-server>`) as { reply: string };
    expect(r.reply).toContain('<ok/>');
    await a.waitFor('Termination then a new session', () => terminations(a) === 1 && a.sessions.length === sessions + 1, 30_000);
  }, 40_000);

  it('reset-bgp-neighbor restarts the session; subscribers see bgp-neighbor-state-change down and up', async () => {
    const watcher = spawn('/usr/bin/python3', [NC, String(agent.port), 'watch', '40', '<previous-state>established</previous-state>',
      '<state>established</state>'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    watcher.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const done = new Promise<void>((r) => watcher.once('exit', () => r()));
    try {
      await eventuallyTrue(() => out.includes('"subscribed"'), 20_000);
      const r = await nc('rpc', `<reset-bgp-neighbor xmlns="${NS}"><address>${GOBGP}</address><mode>hard</mode></reset-bgp-neighbor>`) as { reply: string };
      expect(r.reply).toContain('<ok/>');
      await done;
      const result = JSON.parse(out.trim().split('\n').pop()!) as { notifications: string[]; missing: string[] };
      expect(result.missing).toEqual([]);
      const down = result.notifications.find((n) => n.includes('<previous-state>established</previous-state>'))!;
      expect(down).toContain(`<address>${GOBGP}</address>`);
      // We sent Cease (6) / Administrative Reset (4).
      expect(down).toContain('<notification-code>6</notification-code>');
      expect(down).toContain('<notification-subcode>4</notification-subcode>');
    } finally {
      if (watcher.exitCode === null) watcher.kill('SIGKILL');
    }
  }, 60_000);
});

async function eventuallyTrue(probe: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(50);
  }
}
