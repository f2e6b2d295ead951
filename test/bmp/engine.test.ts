// The BMP engine against real TCP collectors (real stations, real sockets on 127.0.8.x) with
// the BGP speaker replaced by an in-memory double and time driven by a manual clock.
import { describe, expect, it } from 'vitest';
import { PeerType, type BmpMessage, type RouteMonitoringMessage } from '../../src/bmp/codec/index.js';
import type { BmpEngineConfig, BmpServerConfig } from '../../src/bmp/config.js';
import { encodeEndOfRib } from '../../src/bgp/codec/serializer.js';
import { bgpNotification, bgpUpdate } from '../../src/bmp/testing/test-buffers.js';
import { bmpServer, bringUp, engineTestRigs, eventually, type EngineRig } from './integration/harness.js';
import { TestCollector, sleep } from '../support/collector.js';
import type { DoubleNeighbor } from '../support/speaker-double.js';

const A: DoubleNeighbor = { key: '127.0.3.1', address: '127.0.3.1', asn: 65030, bgpId: '127.0.3.1', routeRefresh: true };
const B: DoubleNeighbor = { key: '127.0.4.1', address: '127.0.4.1', asn: 65040, bgpId: '127.0.4.1', routeRefresh: true };
const C: DoubleNeighbor = { key: '127.0.5.1', address: '127.0.5.1', asn: 65050, bgpId: '127.0.5.1', routeRefresh: true };

const update = (prefix: string, asPath = [65030]): Buffer => bgpUpdate({ prefixes: [prefix], nextHop: '198.51.100.3', asPath });

function serverConfig(id: number, c: TestCollector, over: Partial<BmpServerConfig> = {}): BmpServerConfig {
  return bmpServer(id, c.host, c.port, over);
}

const { rig, collector } = engineTestRigs('bmpd engine unit test');

function config(over: Partial<BmpEngineConfig>): BmpEngineConfig {
  return { bufferSizeMb: 256, initialRefresh: { kind: 'immediate' }, servers: [], neighbors: [], ...over };
}

/** Advance the manual clock by `seconds` and wait until the engine has reported server `id` up `nth` times. */

const peerUps = (c: TestCollector): string[] => c.ofType('peerUp').map((m) => m.peer.address);
const rmFor = (c: TestCollector, address: string): RouteMonitoringMessage[] => c.ofType('routeMonitoring').filter((m) => m.peer.address === address);
const isEor = (m: RouteMonitoringMessage): boolean => m.update.equals(encodeEndOfRib('ipv4-unicast'));

describe('BMP engine: initial table', () => {
  it('sends one set of refreshes when two servers come up within the initial-refresh delay, one neighbor at a time in establishment order', async () => {
    const c1 = await collector('127.0.8.1');
    const c2 = await collector('127.0.8.2');
    const r = rig();
    // B establishes before A: the queue serves B first.
    r.speaker.establish(B);
    r.speaker.establish(A);
    await r.engine.applyConfig(
      config({
        initialRefresh: { kind: 'delay', seconds: 5 },
        servers: [serverConfig(1, c1, { initialDelay: 1 }), serverConfig(2, c2, { initialDelay: 2 })],
        neighbors: [{ neighbor: A.key, servers: 'all' }, { neighbor: B.key, servers: [1, 2] }],
      }),
    );
    await bringUp(r, 1, 1);
    await bringUp(r, 2, 1);
    await c1.waitFor('two Peer Ups', (c) => c.ofType('peerUp').length === 2);
    await c2.waitFor('two Peer Ups', (c) => c.ofType('peerUp').length === 2);
    expect(peerUps(c1)).toEqual([B.address, A.address]);
    expect(c1.types().slice(0, 1)).toEqual(['initiation']);
    expect(r.speaker.refreshes).toEqual([]);
    expect(r.engine.snapshot()).toMatchObject({ refreshScheduled: true, refreshInProgress: false, monitoringQ: 2 });

    await r.clock.advanceAsync(4000); // 5 s after the first server came up
    expect(r.speaker.refreshes).toEqual([{ neighbor: B.key, afi: 1, safi: 1 }]);
    expect(r.engine.snapshot()).toMatchObject({ refreshInProgress: true, refreshNeighbor: B.key });

    // B answers and closes with its own End-of-RIB: the queue moves to A at once.
    r.speaker.update(B.key, update('10.0.1.0/24', [65040]));
    r.speaker.update(B.key, encodeEndOfRib('ipv4-unicast'), { endOfRib: 'ipv4-unicast', announced: 0 });
    expect(r.speaker.refreshes.map((x) => x.neighbor)).toEqual([B.key, A.key]);

    // A answers without End-of-RIB: its turn ends after the quiet period, the engine adds End-of-RIB.
    r.speaker.update(A.key, update('10.0.2.0/24'));
    await r.clock.advanceAsync(3000);
    expect(r.engine.snapshot()).toMatchObject({ refreshInProgress: false, refreshScheduled: false, monitoringQ: 0 });
    for (const c of [c1, c2]) {
      await c.waitFor('End-of-RIB for A', (x) => rmFor(x, A.address).some(isEor));
      expect(rmFor(c, B.address).map(isEor)).toEqual([false, true]);
      expect(rmFor(c, A.address).map(isEor)).toEqual([false, true]);
    }
    expect(r.speaker.refreshes).toHaveLength(2); // one set for both servers
  });

  it('a silent neighbor cannot stall the queue: its turn ends after the quiet period and the next neighbor is refreshed', async () => {
    const c1 = await collector('127.0.8.23');
    const r = rig({ refreshQuietMs: 3000 });
    r.engine.setDebug('neighbor', true);
    r.speaker.establish(A);
    r.speaker.establish(B);
    await r.engine.applyConfig(config({ servers: [serverConfig(1, c1)], neighbors: [{ neighbor: A.key, servers: 'all' }, { neighbor: B.key, servers: 'all' }] }));
    await bringUp(r, 1);
    await r.clock.advanceAsync(0);
    expect(r.speaker.refreshes.map((x) => x.neighbor)).toEqual([A.key]);
    await r.clock.advanceAsync(2999);
    expect(r.speaker.refreshes.map((x) => x.neighbor)).toEqual([A.key]);
    await r.clock.advanceAsync(1); // A never answered
    expect(r.speaker.refreshes.map((x) => x.neighbor)).toEqual([A.key, B.key]);
    await c1.waitFor('End-of-RIB for A', (c) => rmFor(c, A.address).some(isEor));
    const lines = r.logs.filter((l) => l.topic === 'neighbor').map((l) => String(l.msg));
    expect(lines).toEqual(
      expect.arrayContaining([
        `BMP refresh started for neighbor ${A.key}: ROUTE-REFRESH sent`,
        `BMP refresh ended for neighbor ${A.key} (quiet)`,
        `BMP refresh started for neighbor ${B.key}: ROUTE-REFRESH sent`,
      ]),
    );
  });

  it('replays the Adj-RIB-In of a neighbor without route-refresh, End-of-RIB included', async () => {
    const c1 = await collector('127.0.8.3');
    const r = rig();
    const table = [update('10.0.3.0/24'), update('10.0.4.0/24'), encodeEndOfRib('ipv4-unicast')];
    r.speaker.establish({ ...A, routeRefresh: false, table });
    await r.engine.applyConfig(config({ servers: [serverConfig(1, c1)], neighbors: [{ neighbor: A.key, servers: 'all' }] }));
    await bringUp(r, 1);
    await r.clock.advanceAsync(0);
    await c1.waitFor('replayed table', (c) => rmFor(c, A.address).length === 3);
    expect(r.speaker.refreshes).toEqual([]);
    expect(r.speaker.replays).toEqual([A.key]);
    expect(rmFor(c1, A.address).map((m) => m.update)).toEqual(table);
    await eventually('refresh finished', () => !r.engine.snapshot().refreshInProgress);
  });

  it('sends no refresh for a neighbor that establishes after monitoring began; its UPDATEs go out live', async () => {
    const c1 = await collector('127.0.8.4');
    const r = rig();
    await r.engine.applyConfig(config({ servers: [serverConfig(1, c1)], neighbors: [{ neighbor: C.key, servers: 'all' }] }));
    await bringUp(r, 1);
    r.speaker.establish(C);
    r.speaker.update(C.key, update('10.0.5.0/24', [65050]));
    await r.clock.advanceAsync(10_000);
    await c1.waitFor('Peer Up and RM', (c) => c.ofType('peerUp').length === 1 && rmFor(c, C.address).length === 1);
    expect(r.speaker.refreshes).toEqual([]);
    expect(r.engine.snapshot().monitoringQ).toBe(0);
  });

  it("'bmp initial-refresh skip' sends Peer Up and live UPDATEs but no refresh and no End-of-RIB", async () => {
    const c1 = await collector('127.0.8.5');
    const r = rig();
    r.speaker.establish(A);
    await r.engine.applyConfig(config({ initialRefresh: { kind: 'skip' }, servers: [serverConfig(1, c1)], neighbors: [{ neighbor: A.key, servers: 'all' }] }));
    await bringUp(r, 1);
    await r.clock.advanceAsync(60_000);
    r.speaker.update(A.key, update('10.0.6.0/24'));
    await c1.waitFor('RM', (c) => rmFor(c, A.address).length === 1);
    expect(r.speaker.refreshes).toEqual([]);
    expect(r.speaker.replays).toEqual([]);
    expect(rmFor(c1, A.address).some(isEor)).toBe(false);
    expect(r.engine.snapshot().servers[0]!.sessionStartup).toBe('skip');
  });
});

describe('BMP engine: per-peer header, Peer Down, activation', () => {
  it('marks VRF neighbors as RD instance peers, IPv6 peers with V, 2-octet-AS peers with A; Route Monitoring keeps the UPDATE bytes', async () => {
    const c1 = await collector('127.0.8.6');
    const r = rig();
    await r.engine.applyConfig(
      config({
        initialRefresh: { kind: 'skip' },
        servers: [serverConfig(1, c1)],
        neighbors: [
          { neighbor: 'vrf1|127.0.1.1', servers: 'all' },
          { neighbor: '::1', servers: 'all' },
        ],
      }),
    );
    await bringUp(r, 1);
    r.speaker.establish({ key: 'vrf1|127.0.1.1', address: '127.0.1.1', asn: 65010, bgpId: '127.0.1.1', routeRefresh: true, vrf: { name: 'vrf1', rd: '65000:1' }, fourOctetAs: false });
    r.speaker.establish({ key: '::1', address: '::1', asn: 65060, bgpId: '127.0.6.1', routeRefresh: true, families: ['ipv6-unicast'] });
    const raw = update('10.0.7.0/24', [65010]);
    r.speaker.update('vrf1|127.0.1.1', raw);
    await c1.waitFor('two Peer Ups and one RM', (c) => c.ofType('peerUp').length === 2 && c.ofType('routeMonitoring').length === 1);
    const [vrfUp, v6Up] = c1.ofType('peerUp');
    expect(vrfUp!.peer).toMatchObject({ peerType: PeerType.rdInstance, address: '127.0.1.1', asn: 65010, legacyAsPath: true, postPolicy: false });
    expect(vrfUp!.peer.distinguisher).toEqual(Buffer.from([0, 0, 0xfd, 0xe8, 0, 0, 0, 1]));
    expect(v6Up!.peer).toMatchObject({ peerType: PeerType.global, address: '::1', legacyAsPath: false });
    expect(v6Up!.peer.distinguisher).toEqual(Buffer.alloc(8));
    const rm = c1.ofType('routeMonitoring')[0]!;
    expect(rm.update).toEqual(raw);
    expect(rm.peer.peerType).toBe(PeerType.rdInstance);
  });

  it('sends Peer Down with the reason of the session end', async () => {
    const c1 = await collector('127.0.8.7');
    const r = rig();
    r.speaker.establish(A);
    r.speaker.establish(B);
    r.speaker.establish(C);
    const neighbors = [A, B, C].map((n) => ({ neighbor: n.key, servers: 'all' as const }));
    await r.engine.applyConfig(config({ initialRefresh: { kind: 'skip' }, servers: [serverConfig(1, c1)], neighbors }));
    await bringUp(r, 1);
    const cease = bgpNotification(6, 2);
    r.speaker.drop(A.key, { kind: 'remote-notification', pdu: cease });
    r.speaker.drop(B.key, { kind: 'remote-closed' });
    r.speaker.drop(C.key, { kind: 'deconfigured' });
    await c1.waitFor('three Peer Downs', (c) => c.ofType('peerDown').length === 3);
    const [a, b, c] = c1.ofType('peerDown');
    expect(a!.peer.address).toBe(A.address);
    expect(a!.down).toEqual({ reason: 'remoteNotification', notification: cease });
    expect(b!.down).toEqual({ reason: 'remoteNoData' });
    expect(c!.down).toEqual({ reason: 'peerDeconfigured' });
    r.speaker.update(A.key, update('10.0.8.0/24'));
    await sleep(100);
    expect(c1.ofType('routeMonitoring')).toHaveLength(0);
  });

  it('changing bmp-activate sends Peer Up only to the added server and Peer Down reason 5 only to the removed one', async () => {
    const c1 = await collector('127.0.8.8');
    const c2 = await collector('127.0.8.9');
    const r = rig();
    r.speaker.establish(A);
    const servers = [serverConfig(1, c1), serverConfig(2, c2)];
    await r.engine.applyConfig(config({ initialRefresh: { kind: 'skip' }, servers, neighbors: [{ neighbor: A.key, servers: [1] }] }));
    await bringUp(r, 1);
    await bringUp(r, 2, 0);
    await c1.waitFor('Peer Up', (c) => c.ofType('peerUp').length === 1);
    expect(c2.ofType('peerUp')).toHaveLength(0);
    const c1Before = c1.messages.length;

    await r.engine.applyConfig(config({ initialRefresh: { kind: 'skip' }, servers, neighbors: [{ neighbor: A.key, servers: [2] }] }));
    await c2.waitFor('Peer Up at 2', (c) => c.ofType('peerUp').length === 1);
    await c1.waitFor('Peer Down at 1', (c) => c.ofType('peerDown').length === 1);
    expect(c1.ofType('peerDown')[0]!.down).toEqual({ reason: 'peerDeconfigured' });
    expect(c1.messages.slice(c1Before).map((m) => m.type)).toEqual(['peerDown']);
    expect(c2.types()).toEqual(['initiation', 'peerUp']);
    expect(r.downs).toEqual([]); // neither session was touched
    expect(r.engine.snapshot().neighbors).toEqual([
      expect.objectContaining({ neighbor: A.key, configuredServers: [2], activeServers: [2] }),
    ]);

    r.speaker.update(A.key, update('10.0.9.0/24'));
    await c2.waitFor('RM at 2', (c) => c.ofType('routeMonitoring').length === 1);
    expect(c1.ofType('routeMonitoring')).toHaveLength(0);
  });

  it('de-activating a server sends it Termination (administratively closed) and leaves the other running', async () => {
    const c1 = await collector('127.0.8.10');
    const c2 = await collector('127.0.8.11');
    const r = rig();
    r.speaker.establish(A);
    const servers = [serverConfig(1, c1), serverConfig(2, c2)];
    await r.engine.applyConfig(config({ initialRefresh: { kind: 'skip' }, servers, neighbors: [{ neighbor: A.key, servers: 'all' }] }));
    await bringUp(r, 1);
    await bringUp(r, 2, 0);
    await r.engine.applyConfig(
      config({ initialRefresh: { kind: 'skip' }, servers: [{ ...servers[0]!, activated: false }, servers[1]!], neighbors: [{ neighbor: A.key, servers: 'all' }] }),
    );
    await c1.waitFor('Termination', (c) => c.ofType('termination').length === 1 && c.closedSessions === 1);
    expect(c1.ofType('termination')[0]!.information).toContainEqual({ kind: 'reason', reason: 0 });
    expect(r.downs).toEqual([{ id: 1, reason: 'deactivated' }]);
    r.speaker.update(A.key, update('10.0.10.0/24'));
    await c2.waitFor('RM at 2', (c) => c.ofType('routeMonitoring').length === 1);
    expect(c2.ofType('termination')).toHaveLength(0);
    expect(r.engine.snapshot().servers.map((s) => s.status)).toEqual(['disabled', 'up']);
  });
});

describe('BMP engine: statistics', () => {
  it('sends one Statistics Report per monitored neighbor every stats-reporting-period, only to servers with a period', async () => {
    const c1 = await collector('127.0.8.12');
    const c2 = await collector('127.0.8.13');
    const r = rig();
    r.speaker.establish(A);
    r.speaker.establish(B);
    r.speaker.stats.set(A.key, {
      duplicatePrefixAdvertisements: 3,
      duplicateWithdraws: 1,
      adjRibInRoutes: 42,
      adjRibInRoutesPerFamily: { 'ipv4-unicast': 42 },
      updatesTreatedAsWithdraw: 2,
      prefixesTreatedAsWithdraw: 5,
      duplicateUpdates: 4,
    });
    await r.engine.applyConfig(
      config({
        initialRefresh: { kind: 'skip' },
        servers: [serverConfig(1, c1, { statsReportingPeriod: 30 }), serverConfig(2, c2)],
        neighbors: [{ neighbor: A.key, servers: 'all' }, { neighbor: B.key, servers: 'all' }],
      }),
    );
    await bringUp(r, 1);
    await r.clock.advanceAsync(29_000);
    await sleep(50);
    expect(c1.ofType('statisticsReport')).toHaveLength(0);
    await r.clock.advanceAsync(1000);
    await c1.waitFor('two reports', (c) => c.ofType('statisticsReport').length === 2);
    await r.clock.advanceAsync(30_000);
    await c1.waitFor('four reports', (c) => c.ofType('statisticsReport').length === 4);
    const reportA = c1.ofType('statisticsReport').find((m) => m.peer.address === A.address)!;
    expect(reportA.stats).toEqual([
      { kind: 'counter', statType: 1, value: 3 },
      { kind: 'counter', statType: 2, value: 1 },
      { kind: 'gauge', statType: 7, value: 42n },
      { kind: 'afiSafiGauge', statType: 9, afi: 1, safi: 1, value: 42n },
      { kind: 'counter', statType: 11, value: 2 },
      { kind: 'counter', statType: 12, value: 5 },
      { kind: 'counter', statType: 13, value: 4 },
    ]);
    expect(c2.ofType('statisticsReport')).toHaveLength(0);
    const s1 = r.engine.snapshot().servers[0]!;
    expect(s1.statisticsSent).toBe(4);
    expect(s1.lastStatsAgeSeconds).toBe(0);
  });
});

describe('BMP engine: bounded memory', () => {
  it('pauses BGP reading when a server falls behind, then resets it (Termination reason 2) and resynchronises it on reconnect while the other keeps receiving', async () => {
    const slow = await collector('127.0.8.14');
    const fast = await collector('127.0.8.15');
    const r = rig({ stuckMs: 10_000 });
    r.speaker.establish(A);
    await r.engine.applyConfig(
      config({
        bufferSizeMb: 1,
        initialRefresh: { kind: 'immediate' },
        servers: [serverConfig(1, slow), serverConfig(2, fast, { statsReportingPeriod: 4 })],
        neighbors: [{ neighbor: A.key, servers: 'all' }],
      }),
    );
    await bringUp(r, 1);
    await bringUp(r, 2, 0);
    // Finish the initial refresh so the only traffic below is live Route Monitoring.
    r.speaker.update(A.key, encodeEndOfRib('ipv4-unicast'), { endOfRib: 'ipv4-unicast', announced: 0 });
    await slow.waitFor('End-of-RIB', (c) => rmFor(c, A.address).length >= 1);
    slow.pauseReading();

    // ~4 KB UPDATEs until the engine pushes back on BGP (the kernel buffers absorb a few MB first).
    const prefixes = Array.from({ length: 900 }, (_, i) => `10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`);
    const big = bgpUpdate({ prefixes, nextHop: '198.51.100.3', asPath: [65030] });
    let sent = 0;
    while (!r.speaker.paused && sent < 20_000) {
      r.speaker.update(A.key, big, { announced: prefixes.length });
      sent++;
      if (sent % 16 === 0) await sleep(1);
    }
    expect(r.speaker.paused).toBe(true);
    const snap = r.engine.snapshot();
    expect(snap.backpressure).toBe(true);
    expect(snap.bufferBytesUsed).toBeLessThanOrEqual(snap.bufferSizeBytes);
    expect(snap.servers[0]!.queuedBytes).toBeGreaterThan(snap.servers[1]!.queuedBytes);
    // The fast server has everything (nothing is dropped for a server that keeps up).
    await fast.waitFor('every RM', (c) => rmFor(c, A.address).length === sent + 1);

    // A statistics round that falls due under backpressure waits (StatsQ).
    await r.clock.advanceAsync(5000);
    expect(r.engine.snapshot().statsQ).toBe(1);
    expect(fast.ofType('statisticsReport')).toHaveLength(0);

    const refreshesBefore = r.speaker.refreshes.length;
    const replaysBefore = r.speaker.replays.length;
    await r.clock.advanceAsync(5000); // stuck for stuckMs
    // The reset session's socket still holds bytes (they count until it closes), less than the resume mark.
    await eventually('reading resumed', () => !r.speaker.paused);
    await fast.waitFor('the deferred statistics round', (c) => c.ofType('statisticsReport').length === 1);
    expect(r.engine.snapshot().statsQ).toBe(0);
    expect(r.downs).toContainEqual({ id: 1, reason: 'buffer limit reached' });
    // Connected again at once (the reset session drains on its own), the reset's reason kept as the last error.
    expect(r.engine.snapshot().servers[0]).toMatchObject({ bufferResets: 1, flaps: 0, lastError: 'buffer limit reached' });
    slow.resumeReading();
    await slow.waitFor('Termination after the backlog', (c) => c.ofType('termination').length === 1 && c.closedSessions === 1, 30_000);
    // The new session may already have begun: look at the first one alone.
    const firstSession = slow.sessions[0]!.messages;
    expect(firstSession.at(-1)).toEqual({ type: 'termination', information: [{ kind: 'reason', reason: 2 }, { kind: 'string', text: 'buffer limit reached' }] });
    // What the slow collector got before the Termination is a gap-free prefix of the stream.
    expect(firstSession.filter((m) => m.type === 'routeMonitoring').length).toBeLessThan(sent + 1);

    // Live traffic keeps flowing to the fast server while the slow one is down.
    r.speaker.update(A.key, update('10.9.9.0/24'));
    await fast.waitFor('live RM', (c) => rmFor(c, A.address).length === sent + 2);

    // Once the old session has closed, a new one at once (the clock does not move: no failure
    // timer), no flap counted; Initiation, Peer Up and the Adj-RIB-In replayed (the loss was bmpd's:
    // no ROUTE-REFRESH asked of the neighbor).
    await eventually('server 1 up again', () => r.ups.filter((u) => u.id === 1).length === 2);
    await slow.waitFor('second session', (c) => c.sessions.length === 2 && c.ofType('peerUp').length === 2);
    const second = slow.sessions[1]!.messages.map((m: BmpMessage) => m.type);
    expect(second.slice(0, 2)).toEqual(['initiation', 'peerUp']);
    await eventually(`the replay (${r.speaker.replays.length - replaysBefore})`, () => r.speaker.replays.length === replaysBefore + 1);
    expect(r.speaker.refreshes.length).toBe(refreshesBefore);
    expect(r.engine.snapshot().servers[0]).toMatchObject({ status: 'up', flaps: 0, consecutiveFailures: 0, bufferResets: 1 });
  });

  it("a server reset for the buffer is resynchronised from the Adj-RIB-In even under 'initial-refresh skip'", async () => {
    const slow = await collector('127.0.8.29');
    const r = rig({ stuckMs: 3_600_000 });
    const table = [update('10.77.0.0/24'), update('10.77.1.0/24'), encodeEndOfRib('ipv4-unicast')];
    r.speaker.establish({ ...A, table });
    await r.engine.applyConfig(config({ bufferSizeMb: 1, initialRefresh: { kind: 'skip' }, servers: [serverConfig(1, slow)], neighbors: [{ neighbor: A.key, servers: 'all' }] }));
    await bringUp(r, 1);
    await slow.waitFor('Peer Up', (c) => c.ofType('peerUp').length === 1);
    expect(r.speaker.replays).toHaveLength(0); // skip: no initial table on the first session
    slow.pauseReading();
    const prefixes = Array.from({ length: 900 }, (_, i) => `10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`);
    const big = bgpUpdate({ prefixes, nextHop: '198.51.100.3', asPath: [65030] });
    for (let sent = 0; r.downs.length === 0 && sent < 20_000; sent++) {
      r.speaker.update(A.key, big, { announced: prefixes.length });
      if (sent % 16 === 0) await sleep(1);
    }
    expect(r.downs).toEqual([{ id: 1, reason: 'buffer limit reached' }]);
    slow.resumeReading();
    await slow.waitFor('the replayed table and its End-of-RIB', (c) => c.sessions.length === 2 && rmFor(c, A.address).some(isEor), 30_000);
    const second = slow.sessions[1]!.messages;
    expect(second.map((m) => m.type)).toEqual(['initiation', 'peerUp', 'routeMonitoring', 'routeMonitoring', 'routeMonitoring']);
    expect(r.speaker.replays).toEqual([A.key]);
    await eventually('resync done', () => r.engine.snapshot().monitoringQ === 0);
  });
});

describe('BMP engine: bounded memory, hard bound', () => {
  it('UPDATEs already read when reading paused cannot push the queues past buffer-size: the server holding most bytes is reset at once', async () => {
    const slow = await collector('127.0.8.24');
    const fast = await collector('127.0.8.25');
    const r = rig({ stuckMs: 3_600_000 });
    r.speaker.establish(A);
    await r.engine.applyConfig(
      config({ bufferSizeMb: 1, initialRefresh: { kind: 'skip' }, servers: [serverConfig(1, slow), serverConfig(2, fast)], neighbors: [{ neighbor: A.key, servers: 'all' }] }),
    );
    await bringUp(r, 1);
    await bringUp(r, 2, 0);
    await slow.waitFor('Peer Up', (c) => c.ofType('peerUp').length === 1);
    slow.pauseReading();
    const prefixes = Array.from({ length: 900 }, (_, i) => `10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`);
    const big = bgpUpdate({ prefixes, nextHop: '198.51.100.3', asPath: [65030] });
    let sent = 0;
    let maxUsed = 0;
    // This speaker keeps delivering after pauseReading(): what was already read still arrives.
    while (r.downs.length === 0 && sent < 20_000) {
      r.speaker.update(A.key, big, { announced: prefixes.length });
      sent++;
      maxUsed = Math.max(maxUsed, r.engine.snapshot().bufferBytesUsed);
      if (sent % 16 === 0) await sleep(1);
    }
    expect(r.downs).toEqual([{ id: 1, reason: 'buffer limit reached' }]);
    expect(r.speaker.pauseCount).toBeGreaterThanOrEqual(1);
    expect(maxUsed).toBeLessThanOrEqual(1024 * 1024);
    await fast.waitFor('every RM', (c) => rmFor(c, A.address).length === sent);
    slow.resumeReading();
    await slow.waitFor('Termination reason 2', (c) => c.ofType('termination').length === 1, 30_000);
    expect(slow.ofType('termination')[0]!.information).toContainEqual({ kind: 'reason', reason: 2 });
  });
});

describe('BMP engine: bounded memory, closing sessions', () => {
  it('a removed server still flushing its queue counts against buffer-size until its session has closed', async () => {
    const slow = await collector('127.0.8.31');
    const r = rig({ stuckMs: 3_600_000 });
    r.speaker.establish(A);
    await r.engine.applyConfig(config({ bufferSizeMb: 64, initialRefresh: { kind: 'skip' }, servers: [serverConfig(1, slow)], neighbors: [{ neighbor: A.key, servers: 'all' }] }));
    await bringUp(r, 1);
    await slow.waitFor('Peer Up', (c) => c.ofType('peerUp').length === 1);
    slow.pauseReading();
    const prefixes = Array.from({ length: 900 }, (_, i) => `10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`);
    const big = bgpUpdate({ prefixes, nextHop: '198.51.100.3', asPath: [65030] });
    for (let sent = 0; r.engine.snapshot().bufferBytesUsed < 1024 * 1024; sent++) {
      r.speaker.update(A.key, big, { announced: prefixes.length });
      if (sent % 16 === 0) await sleep(1);
      if (sent > 20_000) throw new Error('the queue does not grow');
    }
    const held = r.engine.snapshot().bufferBytesUsed;
    const removing = r.engine.applyConfig(config({ bufferSizeMb: 64, initialRefresh: { kind: 'skip' }, servers: [], neighbors: [] }));
    // Gone from the configuration, its bytes still held: they count.
    expect(r.engine.snapshot().servers).toEqual([]);
    expect(r.engine.snapshot().bufferBytesUsed).toBeGreaterThanOrEqual(held);
    slow.resumeReading();
    await removing;
    expect(r.engine.snapshot().bufferBytesUsed).toBe(0);
    expect(slow.ofType('termination')[0]!.information).toContainEqual({ kind: 'reason', reason: 4 });
  });
});

describe('BMP engine: ConfigQ', () => {
  it('counts a neighbor whose bmp-activate change still has its Peer Down queued, until the server has taken it', async () => {
    const slow = await collector('127.0.8.30');
    const r = rig({ stuckMs: 3_600_000 });
    r.speaker.establish(A);
    const servers = [serverConfig(1, slow)];
    await r.engine.applyConfig(config({ bufferSizeMb: 64, initialRefresh: { kind: 'skip' }, servers, neighbors: [{ neighbor: A.key, servers: 'all' }] }));
    await bringUp(r, 1);
    await slow.waitFor('Peer Up', (c) => c.ofType('peerUp').length === 1);
    slow.pauseReading();
    // Route Monitoring until the station holds more than its socket takes: later messages wait in its queue.
    const prefixes = Array.from({ length: 900 }, (_, i) => `10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`);
    const big = bgpUpdate({ prefixes, nextHop: '198.51.100.3', asPath: [65030] });
    for (let sent = 0; r.engine.snapshot().neighbors[0]!.msgQ < 50; sent++) {
      r.speaker.update(A.key, big, { announced: prefixes.length });
      if (sent % 16 === 0) await sleep(1);
      if (sent > 20_000) throw new Error('the queue does not grow');
    }
    expect(r.engine.snapshot().configQ).toBe(0);
    await r.engine.applyActivationChanges({ upserts: [], removals: [A.key] });
    expect(r.engine.snapshot()).toMatchObject({ configQ: 1, transitionQ: 1 });
    slow.resumeReading();
    await slow.waitFor('Peer Down reason 5', (c) => c.ofType('peerDown').length === 1, 30_000);
    await eventually('ConfigQ empty', () => r.engine.snapshot().configQ === 0);
    expect(r.engine.snapshot().transitionQ).toBe(0);
  });
});

describe('BMP engine: state and debug topics', () => {
  it('reports the summary queues, server rows and neighbor rows, and switches debug topics at run time', async () => {
    const c1 = await collector('127.0.8.16');
    const r = rig();
    expect(r.engine.debugTopics()).toEqual([]);
    r.engine.setDebug('server', true);
    r.engine.setDebug('neighbor', true);
    expect(r.engine.debugTopics()).toEqual(['neighbor', 'server']);
    r.speaker.establish(A);
    await r.engine.applyConfig(
      config({ initialRefresh: { kind: 'delay', seconds: 30 }, bufferSizeMb: 2048, servers: [serverConfig(1, c1, { updateSource: '127.0.8.17' })], neighbors: [{ neighbor: A.key, servers: 'all' }] }),
    );
    await bringUp(r, 1);
    r.speaker.update(A.key, update('10.0.11.0/24'));
    await c1.waitFor('RM', (c) => c.ofType('routeMonitoring').length === 1);
    const s = r.engine.snapshot();
    expect(s).toMatchObject({
      serversConfigured: 1,
      neighborsConfigured: 1,
      monitoringQ: 1,
      configQ: 0,
      statsQ: 0,
      refreshInProgress: false,
      refreshScheduled: true,
      bufferSizeBytes: 2048 * 1024 * 1024,
      initialRefresh: { kind: 'delay', seconds: 30 },
    });
    expect(s.servers[0]).toMatchObject({ id: 1, status: 'up', address: '127.0.8.16', localAddress: '127.0.8.17', messagesSent: 3, routeMonitoringSent: 1, sessionStartup: 'route-refresh' });
    expect(s.servers[0]!.tcb).toMatch(/^0x[0-9A-F]+$/);
    expect(s.neighbors[0]).toMatchObject({ neighbor: A.key, configuredServers: [1], activeServers: [1], routeMonitoringSent: 1, priQ: 0, msgQ: 0 });

    const texts = r.logs.map((l) => `${String(l.topic)}: ${String(l.msg)}`);
    expect(texts).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^server: BMP server connection attempt timer expired for server 1 - 127\.0\.8\.16\/\d+$/),
        expect.stringMatching(/^server: BMP server 1 active open process success/),
        'server: TCP KA interval is set to 15',
        expect.stringMatching(/^server: Register read\/write notification callbacks with BMP server 1 TCB/),
        expect.stringMatching(/^server: Initiation msg sent to BMP server 1/),
        expect.stringMatching(/^server: BMP server 1 connection - 127\.0\.8\.16\/\d+ up, invoke refresh event$/),
        `neighbor: BMP Peer Up sent for neighbor ${A.key} to server 1`,
      ]),
    );
    expect(r.logs.some((l) => l.topic === 'event' && l.level === 20)).toBe(false);

    r.engine.setDebug('server', false);
    const n = r.logs.length;
    r.speaker.drop(A.key, { kind: 'remote-closed' });
    await c1.waitFor('Peer Down', (c) => c.ofType('peerDown').length === 1);
    expect(r.logs.slice(n).map((l) => l.topic)).toEqual(['neighbor']);
  });
});

describe('BMP engine: server lifecycle', () => {
  it('changing one server (its address) re-opens only that session; resetServer sends Termination and the server resynchronises', async () => {
    const c1 = await collector('127.0.8.18');
    const c2 = await collector('127.0.8.19');
    const c3 = await collector('127.0.8.20');
    const r = rig();
    r.speaker.establish(A);
    const neighbors = [{ neighbor: A.key, servers: 'all' as const }];
    await r.engine.applyConfig(config({ initialRefresh: { kind: 'skip' }, servers: [serverConfig(1, c1), serverConfig(2, c2)], neighbors }));
    await bringUp(r, 1);
    await bringUp(r, 2, 0);

    // Server 2 moves to another collector: Termination to the old one, a fresh session to the new one.
    await r.engine.applyConfig(config({ initialRefresh: { kind: 'skip' }, servers: [serverConfig(1, c1), serverConfig(2, c3)], neighbors }));
    await c2.waitFor('Termination', (c) => c.ofType('termination').length === 1);
    await bringUp(r, 2, 1, 2);
    await c3.waitFor('Initiation and Peer Up', (c) => c.ofType('peerUp').length === 1);
    expect(c1.types()).toEqual(['initiation', 'peerUp']);
    expect(c1.sessions).toHaveLength(1);

    // 'clear ip bgp bmp server 1': Termination reason 0, then a new session at once (the manual
    // clock does not move: no delay timer), not counted as a flap.
    expect(r.engine.resetServer(1)).toBe('reset');
    await c1.waitFor('Termination', (c) => c.ofType('termination').length === 1 && c.closedSessions === 1);
    expect(c1.ofType('termination')[0]!.information).toContainEqual({ kind: 'reason', reason: 0 });
    await c1.waitFor('second session', (c) => c.sessions.length === 2 && c.ofType('peerUp').length === 2);
    expect(r.engine.snapshot().servers[0]).toMatchObject({ status: 'up', flaps: 0, consecutiveFailures: 0 });
    expect(c3.types()).toEqual(['initiation', 'peerUp']);
    expect(r.engine.resetServer(9)).toBe('not-configured');
  });

  it('reset-bmp-server leaves a server that is not activated alone', async () => {
    const c1 = await collector('127.0.8.26');
    const r = rig();
    await r.engine.applyConfig(config({ servers: [serverConfig(1, c1, { activated: false })] }));
    expect(r.engine.resetServer(1)).toBe('not-activated');
    await r.clock.advanceAsync(5000);
    await sleep(100);
    expect(c1.sessions).toHaveLength(0);
    expect(r.engine.snapshot().servers[0]).toMatchObject({ status: 'disabled', connectionAttempts: 0 });
  });

  it('removing a server sends it Termination reason 4 (permanently administratively closed); de-activating sends reason 0', async () => {
    const c1 = await collector('127.0.8.27');
    const c2 = await collector('127.0.8.28');
    const r = rig();
    await r.engine.applyConfig(config({ servers: [serverConfig(1, c1), serverConfig(2, c2)] }));
    await bringUp(r, 1);
    await bringUp(r, 2, 0);
    await r.engine.applyConfig(config({ servers: [serverConfig(2, c2, { activated: false })] }));
    await c1.waitFor('Termination', (c) => c.ofType('termination').length === 1 && c.closedSessions === 1);
    await c2.waitFor('Termination', (c) => c.ofType('termination').length === 1 && c.closedSessions === 1);
    expect(c1.ofType('termination')[0]!.information).toContainEqual({ kind: 'reason', reason: 4 });
    expect(c2.ofType('termination')[0]!.information).toContainEqual({ kind: 'reason', reason: 0 });
  });

  it('stop() sends Termination (administratively closed) to every server and closes them', async () => {
    const c1 = await collector('127.0.8.21');
    const c2 = await collector('127.0.8.22');
    const r = rig();
    r.speaker.establish(A);
    await r.engine.applyConfig(config({ initialRefresh: { kind: 'skip' }, servers: [serverConfig(1, c1), serverConfig(2, c2)], neighbors: [{ neighbor: A.key, servers: 'all' }] }));
    await bringUp(r, 1);
    await bringUp(r, 2, 0);
    await r.engine.stop();
    for (const c of [c1, c2]) {
      await c.waitFor('Termination and close', (x) => x.ofType('termination').length === 1 && x.closedSessions === 1);
      expect(c.messages.at(-1)).toEqual({ type: 'termination', information: [{ kind: 'reason', reason: 0 }, { kind: 'string', text: 'stopped' }] });
    }
    expect(r.downs.map((d) => d.reason)).toEqual(['stopped', 'stopped']);
    r.speaker.update(A.key, update('10.0.12.0/24'));
    await sleep(50);
    expect(c1.ofType('routeMonitoring')).toHaveLength(0);
  });
});
