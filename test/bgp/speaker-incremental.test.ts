// BgpSpeaker.applyNeighborChanges — the speaker's side of a commit that changes neighbors only —
// with a hand-made peer over loopback (speaker 127.0.22.40, peer 127.0.22.41 and 127.0.22.42,
// ephemeral listener port). What goes on the wire must be what applyConfig sends for the same
// change (src/agent/README.md): a new neighbor is accepted, Cease/6 when its OPEN changes, Cease/2
// for shutdown, Cease/3 when it is removed; a neighbor the change does not name is left alone.
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType } from '../../src/bgp/codec/index.js';
import type { NeighborConfig, SpeakerConfig } from '../../src/bgp/config.js';
import type { DownEvent, EstablishedEvent } from '../../src/bgp/events.js';
import { BgpSpeaker } from '../../src/bgp/speaker.js';
import { buffers } from '../../src/bgp/testing/test-buffers.js';
import { TestPeer, until } from './test-peer.js';

const LOCAL = '127.0.22.40';
const PEER_AS = 65041;

/** OPEN and KEEPALIVE until Established. */
async function establish(peer: TestPeer): Promise<void> {
  await peer.next(MessageType.Open);
  peer.send(buffers.open({ asn: PEER_AS, holdTime: 90, bgpIdentifier: '192.0.2.41', families: ['ipv4-unicast'] }));
  await peer.next(MessageType.Keepalive);
  peer.send(buffers.keepalive());
}

function neighbor(address: string, extra: Partial<NeighborConfig> = {}): NeighborConfig {
  return {
    address, remoteAs: PEER_AS, description: null, updateSource: null, password: null, passive: true,
    timers: { keepalive: 0, holdTime: 90 }, shutdown: false, addressFamilies: ['ipv4-unicast'], vrf: null, ...extra,
  };
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function speakerConfig(neighbors: NeighborConfig[], addresses = [LOCAL]): SpeakerConfig {
  return { asNumber: 65000, routerId: '192.0.2.40', listen: { addresses, port: 0 }, connectRetrySeconds: 1, neighbors };
}

async function startSpeaker(neighbors: NeighborConfig[]) {
  const config = speakerConfig(neighbors);
  const speaker = new BgpSpeaker(config);
  const events = { established: [] as EstablishedEvent[], downs: [] as DownEvent[] };
  speaker.on('established', (e) => events.established.push(e));
  speaker.on('down', (e) => events.downs.push(e));
  await speaker.start();
  cleanup.push(() => speaker.stop());
  return { speaker, events, port: speaker.listenAddresses()[0]!.port };
}

/** A peer connecting from its own loopback address `from`. */
async function connect(from: string, port: number): Promise<TestPeer> {
  const peer = await TestPeer.connect(port, LOCAL, from);
  cleanup.push(() => { peer.socket.destroy(); });
  return peer;
}

const cease = (notification: Buffer) => [notification[19], notification[20]];

describe('BgpSpeaker.stop', () => {
  it('takes its neighbors down one an event loop turn (each gives a table back), with Cease/2 to each', async () => {
    const { speaker, events, port } = await startSpeaker([neighbor('127.0.22.41'), neighbor('127.0.22.42')]);
    const peers = [await connect('127.0.22.41', port), await connect('127.0.22.42', port)];
    for (const peer of peers) await establish(peer);
    await until(() => events.established.length === 2);
    const order: string[] = [];
    speaker.on('down', (e: DownEvent) => order.push(`down ${e.neighbor}`));
    // Queued before stop(): it runs between the two neighbors' downs, not after both.
    setImmediate(() => order.push('another turn'));
    await speaker.stop();
    expect(order).toEqual(['down 127.0.22.41', 'another turn', 'down 127.0.22.42']);
    for (const peer of peers) expect(cease(await peer.next(MessageType.Notification))).toEqual([6, 2]);
  });
});

/** Two Established neighbors, .41 and .42, and what happens in which turn from now on. */
async function twoEstablished() {
  const started = await startSpeaker([neighbor('127.0.22.41'), neighbor('127.0.22.42')]);
  const peers = [await connect('127.0.22.41', started.port), await connect('127.0.22.42', started.port)];
  for (const peer of peers) await establish(peer);
  await until(() => started.events.established.length === 2);
  const order: string[] = [];
  started.speaker.on('down', (e: DownEvent) => order.push(`down ${e.neighbor} ${e.reason.kind}`));
  return { ...started, peers, order };
}

// Each removed neighbor gives its table back (AdjRibIn.clear()); sixteen full tables in one turn
// held the data-plane thread for seconds, as stop() once did.
describe('BgpSpeaker: removals one an event loop turn', () => {
  it('applyConfig takes its removed neighbors down one a turn, with Cease/3 and Peer Down reason "deconfigured" to each', async () => {
    const { speaker, peers, order } = await twoEstablished();
    setImmediate(() => order.push('another turn'));
    await speaker.applyConfig(speakerConfig([]));
    expect(order).toEqual(['down 127.0.22.41 deconfigured', 'another turn', 'down 127.0.22.42 deconfigured']);
    for (const peer of peers) expect(cease(await peer.next(MessageType.Notification))).toEqual([6, 3]);
    expect(speaker.snapshot()).toEqual([]);
  });

  it('applyNeighborChanges takes them down one a turn, and a neighbor removed and added back in one change starts only after its Peer Down', async () => {
    const { speaker, peers, order, port } = await twoEstablished();
    speaker.on('state-change', (e) => order.push(`${e.neighbor} ${e.from}→${e.to}`));
    setImmediate(() => order.push('another turn'));
    await speaker.applyNeighborChanges({ upserts: [neighbor('127.0.22.42')], removals: ['127.0.22.41', '127.0.22.42'] });
    const downAt = order.indexOf('down 127.0.22.42 deconfigured');
    expect(order.slice(0, downAt + 1).filter((e) => e.startsWith('down') || e === 'another turn'))
      .toEqual(['down 127.0.22.41 deconfigured', 'another turn', 'down 127.0.22.42 deconfigured']);
    // The new session's first transition (Idle → Active, passive) comes after the old one's down.
    expect(order.findIndex((e) => e.startsWith('127.0.22.42 Idle→'))).toBeGreaterThan(downAt);
    for (const peer of peers) expect(cease(await peer.next(MessageType.Notification))).toEqual([6, 3]);
    expect([...speaker.configuredNeighbors().keys()]).toEqual(['127.0.22.42']);
    // The neighbor added back is a session of its own, and comes up again.
    const again = await connect('127.0.22.42', port);
    await establish(again);
    await until(() => speaker.neighborState('127.0.22.42')?.state === 'Established');
  });
});

describe('BgpSpeaker.applyNeighborChanges', () => {
  it('adds a neighbor, restarts it with Cease/6 on a remote-as change and removes it with Cease/3, the other neighbor untouched', async () => {
    const { speaker, events, port } = await startSpeaker([neighbor('127.0.22.41')]);
    const other = await connect('127.0.22.41', port);
    await establish(other);
    await until(() => events.established.length === 1);

    await speaker.applyNeighborChanges({ upserts: [neighbor('127.0.22.42')], removals: [] });
    expect([...speaker.configuredNeighbors().keys()]).toEqual(['127.0.22.41', '127.0.22.42']);
    const peer = await connect('127.0.22.42', port);
    await establish(peer);
    await until(() => events.established.length === 2);

    await speaker.applyNeighborChanges({ upserts: [neighbor('127.0.22.42', { description: 'renamed' })], removals: [] });
    expect(speaker.neighborState('127.0.22.42')).toMatchObject({ state: 'Established', description: 'renamed' });

    await speaker.applyNeighborChanges({ upserts: [neighbor('127.0.22.42', { remoteAs: 65099 })], removals: [] });
    expect(cease(await peer.next(MessageType.Notification))).toEqual([6, 6]);
    expect(speaker.neighborState('127.0.22.42')?.remoteAs).toBe(65099);

    const again = await connect('127.0.22.42', port);
    await again.next(MessageType.Open);
    await speaker.applyNeighborChanges({ upserts: [], removals: ['127.0.22.42'] });
    await until(() => again.closed);
    expect(speaker.neighborState('127.0.22.42')).toBeUndefined();
    expect([...speaker.configuredNeighbors().keys()]).toEqual(['127.0.22.41']);

    // The neighbor no change named is still Established, never told anything.
    expect(speaker.neighborState('127.0.22.41')?.state).toBe('Established');
    expect(other.frames.some((f) => f.type === MessageType.Notification)).toBe(false);
    expect(events.downs.map((d) => d.neighbor)).not.toContain('127.0.22.41');
  });

  it('sends Cease/3 (Peer De-configured) to an Established neighbor it removes, and Cease/2 for shutdown', async () => {
    const { speaker, events, port } = await startSpeaker([neighbor('127.0.22.41'), neighbor('127.0.22.42')]);
    const first = await connect('127.0.22.41', port);
    const second = await connect('127.0.22.42', port);
    await establish(first);
    await establish(second);
    await until(() => events.established.length === 2);

    await speaker.applyNeighborChanges({ upserts: [neighbor('127.0.22.41', { shutdown: true })], removals: ['127.0.22.42'] });
    expect(cease(await first.next(MessageType.Notification))).toEqual([6, 2]);
    expect(cease(await second.next(MessageType.Notification))).toEqual([6, 3]);
    expect(speaker.neighborState('127.0.22.41')).toMatchObject({ state: 'Idle', adminShutdown: true });
    const down = await until(() => events.downs.find((d) => d.neighbor === '127.0.22.42'));
    expect(down.reason.kind).toBe('deconfigured');
  });

  // src/agent/README.md, listen/address and listen/port: the listeners are closed and reopened, and
  // established sessions stay. net.Server.close() reports a listener closed only once every
  // connection it accepted has ended, so a change that waited for that never finished.
  it('moves its listeners at once while a session they accepted stays Established (listen/address, listen/port)', async () => {
    const { speaker, events, port } = await startSpeaker([neighbor('127.0.22.41')]);
    const peer = await connect('127.0.22.41', port);
    await establish(peer);
    await until(() => events.established.length === 1);

    const applied = speaker.applyConfig(speakerConfig([neighbor('127.0.22.41')], [LOCAL, '127.0.22.43']));
    const outcome = await Promise.race([applied.then(() => 'applied'), new Promise((resolve) => setTimeout(() => resolve('still waiting after 10 s'), 10_000))]);
    expect(outcome).toBe('applied');

    const moved = speaker.listenAddresses();
    expect(moved.map((l) => l.address)).toEqual([LOCAL, '127.0.22.43']);
    const probe = tcpConnect(moved[1]!.port, '127.0.22.43');
    await once(probe, 'connect');
    probe.destroy();
    if (moved[0]!.port !== port) {
      const old = tcpConnect(port, LOCAL);
      const [err] = (await once(old, 'error')) as [NodeJS.ErrnoException];
      expect(err.code).toBe('ECONNREFUSED');
    }
    expect(speaker.neighborState('127.0.22.41')?.state).toBe('Established');
    expect(peer.frames.some((f) => f.type === MessageType.Notification)).toBe(false);
  });
});
