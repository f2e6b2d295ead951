// BmpEngine.applyActivationChanges — the engine's side of a commit that changes neighbors only —
// against real TCP collectors (127.0.22.x), the speaker replaced by the in-memory double and
// time driven by a manual clock, as in engine.test.ts. What reaches the collectors must be what
// applyConfig sends for the same change (src/agent/README.md, the bmp-activate rows).
import { describe, expect, it } from 'vitest';
import type { BmpEngineConfig, BmpServerConfig } from '../../src/bmp/config.js';
import { encodeEndOfRib } from '../../src/bgp/codec/serializer.js';
import { bgpUpdate } from '../../src/bmp/testing/test-buffers.js';
import { bmpServer, bringUp, engineTestRigs, eventually } from './integration/harness.js';
import { TestCollector } from '../support/collector.js';
import type { DoubleNeighbor } from '../support/speaker-double.js';

const A: DoubleNeighbor = { key: '127.0.22.31', address: '127.0.22.31', asn: 65031, bgpId: '127.0.22.31', routeRefresh: false, table: [] };
const B: DoubleNeighbor = { key: '127.0.22.32', address: '127.0.22.32', asn: 65032, bgpId: '127.0.22.32', routeRefresh: true };

const update = (prefix: string): Buffer => bgpUpdate({ prefixes: [prefix], nextHop: '198.51.100.3', asPath: [65031] });

function serverConfig(id: number, c: TestCollector): BmpServerConfig {
  return bmpServer(id, c.host, c.port, { description: null });
}

const { rig, collector } = engineTestRigs('bmpd engine incremental test');

function config(servers: BmpServerConfig[], over: Partial<BmpEngineConfig> = {}): BmpEngineConfig {
  return { bufferSizeMb: 256, initialRefresh: { kind: 'skip' }, servers, neighbors: [], ...over };
}

describe('BMP engine: activation changes of some neighbors', () => {
  it('sends Peer Up only to a gained server and Peer Down reason 5 only to a lost one, other neighbors untouched', async () => {
    const c1 = await collector('127.0.22.21');
    const c2 = await collector('127.0.22.22');
    const r = rig({ refreshQuietMs: 1000 });
    r.speaker.establish(A);
    r.speaker.establish(B);
    const servers = [serverConfig(1, c1), serverConfig(2, c2)];
    await r.engine.applyConfig(config(servers, { neighbors: [{ neighbor: A.key, servers: [1] }, { neighbor: B.key, servers: 'all' }] }));
    await bringUp(r, 1);
    await bringUp(r, 2, 0);
    await c1.waitFor('two Peer Ups', (c) => c.ofType('peerUp').length === 2);
    await c2.waitFor('one Peer Up', (c) => c.ofType('peerUp').length === 1);
    const c1Before = c1.messages.length;

    await r.engine.applyActivationChanges({ upserts: [{ neighbor: A.key, servers: [2] }], removals: [] });
    await c2.waitFor('Peer Up of A at 2', (c) => c.ofType('peerUp').length === 2);
    await c1.waitFor('Peer Down of A at 1', (c) => c.ofType('peerDown').length === 1);
    expect(c1.ofType('peerDown')[0]).toMatchObject({ peer: { address: A.address }, down: { reason: 'peerDeconfigured' } });
    expect(c1.messages.slice(c1Before).map((m) => m.type)).toEqual(['peerDown']);
    expect(c2.ofType('peerUp').map((m) => m.peer.address)).toEqual([B.address, A.address]);
    expect(r.engine.snapshot()).toMatchObject({ neighborsConfigured: 2 });
    expect(r.engine.snapshot().neighbors.find((n) => n.neighbor === A.key)).toMatchObject({ configuredServers: [2], activeServers: [2] });

    // A neighbor de-activated (or removed): Peer Down to every server it had, and no more UPDATEs.
    await r.engine.applyActivationChanges({ upserts: [], removals: [B.key] });
    await c1.waitFor('Peer Down of B at 1', (c) => c.ofType('peerDown').length === 2);
    await c2.waitFor('Peer Down of B at 2', (c) => c.ofType('peerDown').length === 1);
    expect(c2.ofType('peerDown')[0]).toMatchObject({ peer: { address: B.address }, down: { reason: 'peerDeconfigured' } });
    expect(r.engine.snapshot()).toMatchObject({ neighborsConfigured: 1 });
    r.speaker.update(B.key, update('10.22.1.0/24'));
    r.speaker.update(A.key, update('10.22.2.0/24'));
    await c2.waitFor('RM of A at 2', (c) => c.ofType('routeMonitoring').length === 1);
    expect(c2.ofType('routeMonitoring')[0]!.peer.address).toBe(A.address);
    expect(c1.ofType('routeMonitoring')).toHaveLength(0);
  });

  it('gives a newly activated neighbor its initial table and End-of-RIB; a neighbor established later learns its activation', async () => {
    const c1 = await collector('127.0.22.23');
    const r = rig({ refreshQuietMs: 1000 });
    // What the speaker's Adj-RIB-In replay yields: the routes, then End-of-RIB.
    const table = [update('10.22.3.0/24'), encodeEndOfRib('ipv4-unicast')];
    r.speaker.establish({ ...A, table });
    await r.engine.applyConfig(config([serverConfig(1, c1)], { initialRefresh: { kind: 'immediate' } }));
    await bringUp(r, 1);
    expect(c1.ofType('peerUp')).toHaveLength(0);

    await r.engine.applyActivationChanges({ upserts: [{ neighbor: A.key, servers: 'all' }, { neighbor: B.key, servers: [1] }], removals: [] });
    await c1.waitFor('Peer Up of A', (c) => c.ofType('peerUp').length === 1);
    // A has no route-refresh: the refresh queue, scheduled by this change, replays its Adj-RIB-In.
    await r.clock.advanceAsync(0);
    await c1.waitFor('A\'s table and End-of-RIB', (c) => c.ofType('routeMonitoring').length === 2);
    expect(r.speaker.replays).toEqual([A.key]);
    expect(c1.ofType('routeMonitoring').map((m) => m.update)).toEqual(table);
    await eventually('refresh finished', () => !r.engine.snapshot().refreshInProgress);

    // B was activated before it came up: Peer Up when it does, its UPDATEs live.
    r.speaker.establish(B);
    await c1.waitFor('Peer Up of B', (c) => c.ofType('peerUp').length === 2);
    expect(c1.ofType('peerUp').map((m) => m.peer.address)).toEqual([A.address, B.address]);
  });

  it('refuses once stopped, as applyConfig does', async () => {
    const r = rig({ refreshQuietMs: 1000 });
    await r.engine.stop();
    await expect(r.engine.applyActivationChanges({ upserts: [{ neighbor: A.key, servers: 'all' }], removals: [] })).rejects.toThrow('BMP engine stopped');
  });
});
