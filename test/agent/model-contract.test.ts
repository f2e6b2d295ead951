// The model keeps its word (issue 12): each behaviour yang/bmpd@2026-11-26.yang and
// src/agent/README.md's per-leaf table promise, asserted on the real agent process at real
// pmbmpd collectors (one log file per BMP session), with gobgpd as neighbors over IPv4 and
// IPv6. Each test is named after the leaf or RPC whose promise it checks.
//
// Addresses of this file: bmpd 127.0.23.1 and ::1, BGP on port 17923; gobgpd 127.0.23.2 (API
// 127.0.23.2:50231) and ::1 (API 127.0.23.4:50232), both connecting to bmpd and listening
// nowhere; collectors 127.0.23.10, 127.0.23.11 and ::1 on free ports; 127.0.23.12 has no
// listener (a server whose attempts are refused).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, freePort, gobgp, gobgpdToml, sleep, startGobgpd } from '../bgp/integration/daemons.js';
import { scratchDirs } from '../support/scratch.js';
import { Pmbmpd, type PmbmpdRecord } from '../bmp/integration/pmbmpd.js';
import { startAgent, type RunningAgent } from '../support/agent.js';
import { agentClient, allOf, eventually, leaf, NS, ofType, peerUps, prefixesOf, server, sessions } from './contract-support.js';

const BMPD = '127.0.23.1';
const GOBGP = '127.0.23.2';
const GOBGP6 = '::1';
const BGP_PORT = 17923;
const REFUSING = '127.0.23.12';
const EXPORTER6 = '::1';
const V4_ROUTES = ['10.23.0.0/24', '10.23.1.0/24', '10.23.2.0/24'];
/** In the canonical text pmbmpd prints (RFC 5952). */
const V6_ROUTES = ['fd00:23::/48', 'fd00:23:1::/48', 'fd00:23:2::/48', 'fd00:23:3::/48'];

let a: Pmbmpd;
let b: Pmbmpd;
let c6: Pmbmpd;
let refusedPort: number;
const daemons: Daemon[] = [];
const tempDir = scratchDirs();
let agent: RunningAgent;
const { commit, rpc, state } = agentClient(() => agent.port);

async function serverState(id: number): Promise<string> {
  return state(`/bmpd:bgp/bmp/server[id='${id}']/state`);
}

/** A quiet moment, so that "nothing happened" means something. */
const settle = () => sleep(2500);

beforeAll(async () => {
  const dA = tempDir('contract-a');
  const dB = tempDir('contract-b');
  const d6 = tempDir('contract-v6');
  a = await Pmbmpd.start(dA, '127.0.23.10', await freePort('127.0.23.10'), { perSession: true });
  b = await Pmbmpd.start(dB, '127.0.23.11', await freePort('127.0.23.11'), { perSession: true });
  c6 = await Pmbmpd.start(d6, '::1', await freePort('::1'), { perSession: true });
  refusedPort = await freePort(REFUSING);

  const gDir = tempDir('contract-gobgpd');
  const g6Dir = tempDir('contract-gobgpd6');
  // port -1: gobgpd listens nowhere and connects to bmpd's BGP port.
  daemons.push(await startGobgpd({
    dir: gDir,
    api: `${GOBGP}:50231`,
    toml: gobgpdToml({ as: 65231, routerId: GOBGP, port: -1, localAddresses: [GOBGP] }, [
      { address: BMPD, peerAs: 65000, localAddress: GOBGP, remotePort: BGP_PORT },
    ]),
  }));
  for (const p of V4_ROUTES) await gobgp(`${GOBGP}:50231`, ['global', 'rib', 'add', p, 'nexthop', '198.51.100.23']);
  daemons.push(await startGobgpd({
    dir: g6Dir,
    api: '127.0.23.4:50232',
    toml: gobgpdToml({ as: 65232, routerId: '127.0.23.4', port: -1, localAddresses: [GOBGP6] }, [
      { address: '::1', peerAs: 65000, localAddress: GOBGP6, remotePort: BGP_PORT, families: ['ipv6-unicast'] },
    ]),
  }));
  for (const p of V6_ROUTES) await gobgp('127.0.23.4:50232', ['global', 'rib', '-a', 'ipv6', 'add', p, 'nexthop', 'fd00:23::1']);
  agent = await startAgent();
}, 90_000);

afterAll(async () => {
  await agent?.stop();
  for (const d of daemons) await d.stop();
  for (const c of [a, b, c6]) await c?.stop();
});

describe('the model keeps its word, at real collectors', () => {
  it('bmp/server added with activate: it connects after initial-delay; peer-group: a member with neither remote-as, passive nor bmp-activate of its own takes the group\'s', async () => {
    const committedAt = Date.now();
    await commit(`<as-number>65000</as-number><router-id>${BMPD}</router-id>
      <listen><address>${BMPD}</address><address>::1</address><port>${BGP_PORT}</port></listen>
      <bmp><initial-refresh><delay>1</delay></initial-refresh>${server(1, a)}</bmp>
      <peer-group><name>COLLECTED</name><remote-as>65231</remote-as><passive>true</passive>
        <bmp-activate><server>1</server></bmp-activate></peer-group>
      <neighbor><address>${GOBGP}</address><peer-group>COLLECTED</peer-group></neighbor>`);
    await eventually('A: Initiation, then Peer Up of the gobgpd neighbor', () => sessions(a).length === 1 && peerUps(a, GOBGP) === 1);
    const init = ofType(sessions(a)[0]!, 'init')[0]!;
    expect(Date.parse(`${String(init.timestamp_arrival).replace(' ', 'T')}Z`) - committedAt).toBeGreaterThanOrEqual(900);
    await eventually('A: every route of the member', () => prefixesOf(a, GOBGP).size === V4_ROUTES.length);
    expect([...prefixesOf(a, GOBGP)].sort()).toEqual(V4_ROUTES);
    const neighbor = await state(`/bmpd:bgp/neighbor[address='${GOBGP}']/state`);
    expect(leaf(neighbor, 'session-state')).toBe('established');
    expect(neighbor).toMatch(/<configured-servers>1<\/configured-servers>/);
  }, 60_000);

  it('bmp/server added with activate: no other server is touched', async () => {
    await commit(`<bmp>${server(2, b)}</bmp>`);
    await eventually('B: Initiation', () => sessions(b).length === 1 && ofType(sessions(b)[0]!, 'init').length === 1);
    await settle();
    expect(sessions(a)).toHaveLength(1);
    expect(allOf(a, 'term')).toEqual([]);
    expect(peerUps(b, GOBGP)).toBe(0); // the group's bmp-activate names server 1 only
  }, 40_000);

  it('peer-group/bmp-activate: a change reaches every member that has none of its own (Peer Up and table to the added server only)', async () => {
    await commit('<peer-group><name>COLLECTED</name><bmp-activate><server>2</server></bmp-activate></peer-group>');
    await eventually('B: Peer Up and the routes', () => peerUps(b, GOBGP) === 1 && prefixesOf(b, GOBGP).size === V4_ROUTES.length);
    expect(peerUps(a, GOBGP)).toBe(1);
    expect(sessions(a)).toHaveLength(1);
  }, 40_000);

  it("neighbor/bmp-activate: the member's own list wins over the group's; the server it loses gets Peer Down reason 5, only that one", async () => {
    await commit(`<neighbor><address>${GOBGP}</address><bmp-activate><server>1</server></bmp-activate></neighbor>`);
    await eventually('B: Peer Down', () => allOf(b, 'peer_down').length === 1);
    expect(allOf(b, 'peer_down')[0]).toMatchObject({ peer_ip: GOBGP, reason_type: 5 });
    await settle();
    expect(allOf(a, 'peer_down')).toEqual([]);
    expect(sessions(b)).toHaveLength(1);
  }, 40_000);

  it('bmp/server/description: nothing on the wire', async () => {
    await commit('<bmp><server><id>2</id><description>SERVER2</description></server></bmp>');
    await settle();
    expect(sessions(b)).toHaveLength(1);
    expect(allOf(b, 'term')).toEqual([]);
  }, 30_000);

  it('bmp/server/initial-delay, failure-retry-delay, flapping-delay: the session stays', async () => {
    await commit('<bmp><server><id>2</id><initial-delay>5</initial-delay><failure-retry-delay>7</failure-retry-delay><flapping-delay>9</flapping-delay></server></bmp>');
    await settle();
    expect(sessions(b)).toHaveLength(1);
    expect(allOf(b, 'term')).toEqual([]);
  }, 30_000);

  it('bmp/server/stats-reporting-period: a Statistics Report per activated neighbor every period; the session stays', async () => {
    await commit('<bmp><server><id>1</id><stats-reporting-period>1</stats-reporting-period></server></bmp>');
    await eventually('A: two statistics rounds', () => new Set(allOf(a, 'stats').map((r) => r.timestamp)).size >= 2, 15_000);
    expect(allOf(a, 'stats').every((r) => r.peer_ip === GOBGP)).toBe(true);
    expect(sessions(a)).toHaveLength(1);
    await commit('<bmp><server><id>1</id><stats-reporting-period>0</stats-reporting-period></server></bmp>');
  }, 30_000);

  it('bmp/server/dscp: that server gets Termination reason 0 and a new session; the other is untouched', async () => {
    await commit('<bmp><server><id>2</id><dscp>7</dscp></server></bmp>');
    await eventually('B: a second session', () => sessions(b).length === 2 && ofType(sessions(b)[1]!, 'init').length === 1);
    expect(ofType(sessions(b)[0]!, 'term').map((r) => r.bmp_term_info_reason)).toEqual(['Session administratively closed']);
    expect(sessions(a)).toHaveLength(1);
  }, 40_000);

  it('bmp/server/update-source: that server gets Termination reason 0 and a new session; the other is untouched', async () => {
    // An interface without an address: the new session binds where the kernel chooses (README: a
    // condition of the moment never fails a commit).
    await commit('<bmp><server><id>2</id><update-source>nosuchif0</update-source></server></bmp>');
    await eventually('B: a third session', () => sessions(b).length === 3 && ofType(sessions(b)[2]!, 'init').length === 1);
    expect(ofType(sessions(b)[1]!, 'term').map((r) => r.bmp_term_info_reason)).toEqual(['Session administratively closed']);
    expect(sessions(a)).toHaveLength(1);
    await commit('<bmp><server><id>2</id><update-source>lo</update-source></server></bmp>');
    await eventually('B: a fourth session', () => sessions(b).length === 4 && ofType(sessions(b)[3]!, 'init').length === 1);
  }, 40_000);

  it('bmp/buffer-size and bmp/initial-refresh: the summary header says what is configured, and no session drops', async () => {
    const header = await state('/bmpd:bgp/bmp/state');
    expect(leaf(header, 'buffer-size-configured')).toBeUndefined(); // the default applies
    expect(leaf(header, 'buffer-size-bytes')).toBe(String(256 * 1024 * 1024));
    expect(leaf(header, 'refresh-skip')).toBe('false');
    expect(leaf(header, 'refresh-delay')).toBe('1');
    await commit('<bmp><buffer-size>64</buffer-size><initial-refresh><skip/></initial-refresh></bmp>');
    const after = await state('/bmpd:bgp/bmp/state');
    expect(leaf(after, 'buffer-size-configured')).toBe('64');
    expect(leaf(after, 'buffer-size-bytes')).toBe(String(64 * 1024 * 1024));
    expect(leaf(after, 'refresh-skip')).toBe('true');
    expect(leaf(after, 'refresh-delay')).toBeUndefined();
    expect(leaf(await serverState(1), 'session-startup')).toBe('skip');
    await settle();
    expect([sessions(a).length, sessions(b).length]).toEqual([1, 4]);
    await commit('<bmp><initial-refresh><delay>1</delay></initial-refresh></bmp>');
  }, 40_000);

  it('reset-bmp-server: Termination reason 0 and a new session at once, although failure-retry-delay is 600 s; not a flap', async () => {
    expect(leaf(await serverState(1), 'flaps')).toBe('0');
    const before = sessions(a).length;
    const r = await rpc(`<reset-bmp-server xmlns="${NS}"><server>1</server></reset-bmp-server>`);
    expect(r.reply).toContain('<ok/>');
    const resetAt = Date.now();
    await eventually('A: a new session with Initiation and Peer Up', () =>
      sessions(a).length === before + 1 && ofType(sessions(a)[before]!, 'peer_up').length === 1, 10_000);
    expect(Date.now() - resetAt).toBeLessThan(10_000);
    expect(ofType(sessions(a)[before - 1]!, 'term').map((r) => r.bmp_term_info_reason)).toEqual(['Session administratively closed']);
    const st = await serverState(1);
    expect(leaf(st, 'status')).toBe('up');
    expect(leaf(st, 'flaps')).toBe('0');
    expect(leaf(st, 'consecutive-failures')).toBe('0');
    // The new session gets the initial table like any new session.
    await eventually('A: the routes again', () => prefixesOf(a, GOBGP).size === V4_ROUTES.length);
  }, 40_000);

  it('messages-sent: what was written to the collector, the Termination included', async () => {
    // Server 2 monitors no neighbor now: a reset is exactly Termination + Initiation.
    await rpc(`<clear-bmp-counters xmlns="${NS}"><server>2</server></clear-bmp-counters>`);
    expect(leaf(await serverState(2), 'messages-sent')).toBe('0');
    const before = sessions(b).length;
    await rpc(`<reset-bmp-server xmlns="${NS}"><server>2</server></reset-bmp-server>`);
    await eventually('B: a new session', () => sessions(b).length === before + 1 && ofType(sessions(b)[before]!, 'init').length === 1, 10_000);
    await settle();
    const logged = ofType(sessions(b)[before - 1]!, 'term').length + sessions(b)[before]!.length;
    expect(logged).toBe(2);
    expect(leaf(await serverState(2), 'messages-sent')).toBe(String(logged));
  }, 40_000);

  it('reset-bmp-server: a server that is not activated is left alone; one not configured is an error', async () => {
    await commit(`<bmp><server><id>3</id><address>${REFUSING}</address><port-number>${refusedPort}</port-number></server></bmp>`);
    const r = await rpc(`<reset-bmp-server xmlns="${NS}"><server>3</server></reset-bmp-server>`);
    expect(r.reply).toContain('<ok/>');
    await sleep(1500);
    const st = await serverState(3);
    expect(leaf(st, 'status')).toBe('disabled');
    expect(leaf(st, 'connection-attempts') ?? '0').toBe('0');
    const bad = await rpc(`<reset-bmp-server xmlns="${NS}"><server>9</server></reset-bmp-server>`);
    expect(bad.error?.tag).toBeDefined();
  }, 40_000);

  it('flapping-delay: the first failure waits failure-retry-delay, the second flapping-delay', async () => {
    await commit(`<bmp><server><id>3</id><activate/><initial-delay>1</initial-delay><failure-retry-delay>2</failure-retry-delay>
      <flapping-delay>30</flapping-delay></server></bmp>`);
    const first = await eventually('server 3: first attempt refused', async () => {
      const st = await serverState(3);
      return leaf(st, 'consecutive-failures') === '1' ? st : null;
    }, 15_000);
    expect(Number(leaf(first, 'next-attempt'))).toBeLessThanOrEqual(2);
    expect(leaf(first, 'last-error')).toMatch(/ECONNREFUSED/);
    const second = await eventually('server 3: second attempt refused', async () => {
      const st = await serverState(3);
      return leaf(st, 'consecutive-failures') === '2' ? st : null;
    }, 15_000);
    expect(Number(leaf(second, 'next-attempt'))).toBeGreaterThan(2);
    expect(Number(leaf(second, 'next-attempt'))).toBeLessThanOrEqual(30);
    expect(leaf(second, 'flaps')).toBe('0'); // refused attempts, no session
  }, 40_000);

  it('bmp/server/activate removed: Termination reason 0', async () => {
    const before = allOf(b, 'term').length;
    await commit('<bmp><server><id>2</id><activate nc:operation="delete"/></server></bmp>');
    await eventually('B: Termination', () => allOf(b, 'term').length === before + 1);
    expect(allOf(b, 'term').at(-1)!.bmp_term_info_reason).toBe('Session administratively closed');
    expect(leaf(await serverState(2), 'status')).toBe('disabled');
  }, 30_000);

  it('bmp/server removed: Termination reason 4 (permanently administratively closed)', async () => {
    await commit('<bmp><server><id>2</id><activate/></server></bmp>');
    await eventually('B: a new session', () => ofType(sessions(b).at(-1)!, 'init').length === 1 && ofType(sessions(b).at(-1)!, 'term').length === 0);
    const before = allOf(b, 'term').length;
    await commit(`<peer-group><name>COLLECTED</name><bmp-activate><server nc:operation="delete">2</server></bmp-activate></peer-group>
      <bmp><server nc:operation="delete"><id>2</id></server></bmp>`);
    await eventually('B: Termination', () => allOf(b, 'term').length === before + 1);
    expect(allOf(b, 'term').at(-1)!.bmp_term_info_reason).toBe('Session permanently administratively closed');
    expect(allOf(a, 'term').map((r) => r.bmp_term_info_reason)).toEqual(['Session administratively closed']); // the reset's only
  }, 40_000);
});

// Peer Up comes 10-14 s after Peer Down here, and that is gobgpd's doing, not bmpd's (bmpd is passive
// toward it and accepts the first attempt): gobgpd 3.10 holds Idle 5 s after any session ends, then
// dials after 5-9 s, its minimum connect-retry being 5 s whatever the TOML says. Its log shows Peer Down
// and Peer Up 12 s apart, and bmpd logged its refused attempts (before the neighbor was configured)
// 10-14 s apart; FRR ('timers connect 1') comes back in about 2.5 s (model-contract-transport's
// password tests). Hence the 30 s waits below.
describe('what neighbor changes do at the collectors', () => {
  const peerDowns = (): PmbmpdRecord[] => allOf(a, 'peer_down').filter((r) => r.peer_ip === GOBGP);

  it('neighbor/timers: used from the next OPEN; the Peer Up stands', async () => {
    const downs = peerDowns().length;
    await commit(`<neighbor><address>${GOBGP}</address><timers><keepalive>20</keepalive><hold-time>60</hold-time></timers></neighbor>`);
    await settle();
    expect(peerDowns()).toHaveLength(downs);
  }, 30_000);

  it('router-id: every BGP session restarts; the BMP session stays, the neighbor goes Peer Down (reason 1) and Peer Up again', async () => {
    const bmpSessions = sessions(a).length;
    const downs = peerDowns().length;
    const ups = peerUps(a, GOBGP);
    await commit('<router-id>127.0.23.5</router-id>');
    await eventually('A: Peer Down and Peer Up again', () => peerDowns().length === downs + 1 && peerUps(a, GOBGP) === ups + 1, 30_000);
    expect(peerDowns().at(-1)!.reason_type).toBe(1); // we sent the NOTIFICATION (Cease, Other Configuration Change)
    expect(sessions(a)).toHaveLength(bmpSessions);
  }, 40_000);

  it('neighbor/shutdown set and removed: Peer Down reason 1 (Cease, Administrative Shutdown), then Peer Up', async () => {
    const downs = peerDowns().length;
    const ups = peerUps(a, GOBGP);
    await commit(`<neighbor><address>${GOBGP}</address><shutdown/></neighbor>`);
    await eventually('A: Peer Down', () => peerDowns().length === downs + 1);
    expect(peerDowns().at(-1)!.reason_type).toBe(1);
    await commit(`<neighbor><address>${GOBGP}</address><shutdown nc:operation="delete"/></neighbor>`);
    await eventually('A: Peer Up again', () => peerUps(a, GOBGP) === ups + 1, 30_000);
  }, 60_000);

  it('neighbor/passive: the BGP session restarts (Cease, Other Configuration Change): Peer Down reason 1, then Peer Up', async () => {
    const bmpSessions = sessions(a).length;
    const downs = peerDowns().length;
    const ups = peerUps(a, GOBGP);
    // The member sets its own passive now (the group says true): bmpd also connects itself.
    await commit(`<neighbor><address>${GOBGP}</address><passive>false</passive></neighbor>`);
    await eventually('A: Peer Down and Peer Up again', () => peerDowns().length === downs + 1 && peerUps(a, GOBGP) === ups + 1, 30_000);
    expect(peerDowns().at(-1)!.reason_type).toBe(1);
    expect(sessions(a)).toHaveLength(bmpSessions);
  }, 40_000);

  /** Commits a change that restarts the BGP session: Peer Down reason 1, Peer Up again, same BMP session. */
  async function restartsTheSession(change: string): Promise<void> {
    const bmpSessions = sessions(a).length;
    const downs = peerDowns().length;
    const ups = peerUps(a, GOBGP);
    await commit(change);
    await eventually('A: Peer Down and Peer Up again', () => peerDowns().length === downs + 1 && peerUps(a, GOBGP) === ups + 1, 30_000);
    expect(peerDowns().at(-1)!.reason_type).toBe(1); // we sent the NOTIFICATION (Cease, Other Configuration Change)
    expect(sessions(a)).toHaveLength(bmpSessions);
  }

  it('neighbor/description: nothing on the wire', async () => {
    const downs = peerDowns().length;
    const bmpSessions = sessions(a).length;
    await commit(`<neighbor><address>${GOBGP}</address><description>GOBGP</description></neighbor>`);
    await settle();
    expect(peerDowns()).toHaveLength(downs);
    expect(sessions(a)).toHaveLength(bmpSessions);
  }, 30_000);

  it('neighbor/update-source: the BGP session restarts (Cease, Other Configuration Change): Peer Down reason 1, then Peer Up', async () => {
    // gobgpd connects to BMPD: bound to that address, the session comes back.
    await restartsTheSession(`<neighbor><address>${GOBGP}</address><update-source>${BMPD}</update-source></neighbor>`);
  }, 40_000);

  it('neighbor/address-family: the BGP session restarts (Cease, Other Configuration Change): Peer Down reason 1, then Peer Up', async () => {
    await restartsTheSession(`<neighbor><address>${GOBGP}</address>
      <address-family><name>ipv4-unicast</name></address-family><address-family><name>ipv6-unicast</name></address-family></neighbor>`);
    await eventually('A: every route of the neighbor again', () => prefixesOf(a, GOBGP).size === V4_ROUTES.length);
  }, 40_000);

  it('neighbor/remote-as: the BGP session restarts (Peer Down reason 1); it comes back once the AS is the neighbor\'s again', async () => {
    const bmpSessions = sessions(a).length;
    const downs = peerDowns().length;
    const ups = peerUps(a, GOBGP);
    await commit(`<neighbor><address>${GOBGP}</address><remote-as>65299</remote-as></neighbor>`);
    await eventually('A: Peer Down', () => peerDowns().length === downs + 1);
    expect(peerDowns().at(-1)!.reason_type).toBe(1);
    await settle();
    expect(peerUps(a, GOBGP)).toBe(ups); // gobgpd is AS 65231: OPEN refused (Bad Peer AS)
    // The member's own remote-as removed: the group's 65231 applies, which is another change.
    await commit(`<neighbor><address>${GOBGP}</address><remote-as nc:operation="delete"/></neighbor>`);
    await eventually('A: Peer Up again', () => peerUps(a, GOBGP) === ups + 1, 30_000);
    expect(allOf(a, 'peer_up').filter((r) => r.peer_ip === GOBGP).at(-1)).toMatchObject({ peer_asn: 65231 });
    expect(sessions(a)).toHaveLength(bmpSessions);
  }, 60_000);

  it('as-number: every BGP session restarts (Peer Down reason 1); the BMP session stays; back at the AS the neighbor expects, Peer Up', async () => {
    const bmpSessions = sessions(a).length;
    const downs = peerDowns().length;
    const ups = peerUps(a, GOBGP);
    await commit('<as-number>65001</as-number>');
    await eventually('A: Peer Down', () => peerDowns().length === downs + 1);
    expect(peerDowns().at(-1)!.reason_type).toBe(1);
    await settle();
    expect(peerUps(a, GOBGP)).toBe(ups); // gobgpd expects AS 65000
    await commit('<as-number>65000</as-number>');
    await eventually('A: Peer Up again', () => peerUps(a, GOBGP) === ups + 1, 30_000);
    expect(sessions(a)).toHaveLength(bmpSessions);
  }, 60_000);

  it('neighbor removed: Peer Down reason 5 (de-configured) to its servers', async () => {
    const downs = peerDowns().length;
    await commit(`<neighbor nc:operation="delete"><address>${GOBGP}</address></neighbor>`);
    await eventually('A: Peer Down', () => peerDowns().length === downs + 1);
    expect(peerDowns().at(-1)!.reason_type).toBe(5);
  }, 30_000);
});

describe('IPv6: a neighbor on ::1 exported to a pmbmpd listening on ::1', () => {
  it('neighbor ::1: Peer Up with the V flag (pmbmpd reads an IPv6 peer address) and every prefix', async () => {
    await commit(`<bmp>${server(4, c6)}</bmp>
      <neighbor><address>${GOBGP6}</address><remote-as>65232</remote-as><passive>true</passive>
        <address-family><name>ipv6-unicast</name></address-family>
        <bmp-activate><server>4</server></bmp-activate></neighbor>`);
    await eventually('the ::1 collector: Peer Up of ::1', () => peerUps(c6, GOBGP6, EXPORTER6) === 1, 30_000);
    // Without the V flag pmbmpd would read the last four octets as IPv4: 0.0.0.1.
    const up = allOf(c6, 'peer_up', EXPORTER6)[0]!;
    expect(up).toMatchObject({ peer_ip: '::1', peer_asn: 65232, local_ip: '::1' });
    await eventually('the ::1 collector: every IPv6 prefix', () => prefixesOf(c6, GOBGP6, EXPORTER6).size === V6_ROUTES.length, 30_000);
    expect([...prefixesOf(c6, GOBGP6, EXPORTER6)].sort()).toEqual([...V6_ROUTES].sort());
    // The IPv4 collector does not monitor it.
    expect(peerUps(a, GOBGP6)).toBe(0);
  }, 60_000);

  it('neighbor/bmp-activate all: every configured server, including one added later', async () => {
    await commit(`<neighbor><address>${GOBGP6}</address><bmp-activate nc:operation="replace"><all/></bmp-activate></neighbor>`);
    await eventually('A: Peer Up of ::1', () => peerUps(a, GOBGP6) === 1, 30_000);
    const bSessions = sessions(b).length;
    await commit(`<bmp>${server(5, b)}</bmp>`);
    await eventually('B, as server 5: a new session with the Peer Up of ::1', () =>
      sessions(b).length === bSessions + 1 && ofType(sessions(b).at(-1)!, 'peer_up').some((r) => r.peer_ip === GOBGP6), 30_000);
    expect(peerUps(c6, GOBGP6, EXPORTER6)).toBe(1); // server 4 kept its session and its Peer Up
  }, 60_000);
});
