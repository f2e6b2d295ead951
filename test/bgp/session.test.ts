// Session behaviour that real daemons will not show on demand (collisions, hold timer expiry,
// header errors, backpressure), driven by a hand-made peer over ::1 with ephemeral ports.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType } from '../../src/bgp/codec/index.js';
import type { NeighborConfig, SpeakerConfig } from '../../src/bgp/config.js';
import type { DownEvent, EstablishedEvent, UpdateEvent } from '../../src/bgp/events.js';
import { FRAMES_PER_TURN } from '../../src/bgp/session.js';
import { BgpSpeaker } from '../../src/bgp/speaker.js';
import { buffers } from '../../src/bgp/testing/test-buffers.js';
import { connectTcp } from '../../src/net/sockopt.js';
import { TestPeer, until } from './test-peer.js';

const PEER_AS = 65020;
const LOCAL_ID = '192.0.2.1';

function neighbor(extra: Partial<NeighborConfig> = {}): NeighborConfig {
  return {
    address: '::1',
    remoteAs: PEER_AS,
    description: null,
    updateSource: null,
    password: null,
    passive: true,
    timers: { keepalive: 0, holdTime: 90 },
    shutdown: false,
    addressFamilies: ['ipv4-unicast', 'ipv6-unicast'],
    vrf: null,
    ...extra,
  };
}

function speakerConfig(neighbors: NeighborConfig[]): SpeakerConfig {
  return { asNumber: 65000, routerId: LOCAL_ID, listen: { addresses: ['::1'], port: 0 }, connectRetrySeconds: 1, neighbors };
}

const running: { speakers: BgpSpeaker[]; sockets: net.Socket[]; servers: net.Server[] } = { speakers: [], sockets: [], servers: [] };

async function startSpeaker(neighbors: NeighborConfig[]) {
  const speaker = new BgpSpeaker(speakerConfig(neighbors));
  const events = { established: [] as EstablishedEvent[], updates: [] as UpdateEvent[], downs: [] as DownEvent[], warnings: [] as string[] };
  speaker.on('established', (e) => events.established.push(e));
  speaker.on('update', (e) => events.updates.push(e));
  speaker.on('down', (e) => events.downs.push(e));
  speaker.on('warning', (w) => events.warnings.push(w.message));
  await speaker.start();
  running.speakers.push(speaker);
  return { speaker, events, port: speaker.listenAddresses()[0]!.port };
}

/** OPEN + KEEPALIVE from the peer, answered until Established. */
async function establish(peer: TestPeer, holdTime = 90): Promise<void> {
  await peer.next(MessageType.Open);
  peer.send(buffers.open({ asn: PEER_AS, holdTime, bgpIdentifier: '192.0.2.20', families: ['ipv4-unicast', 'ipv6-unicast'] }));
  await peer.next(MessageType.Keepalive);
  peer.send(buffers.keepalive());
}

afterEach(async () => {
  for (const socket of running.sockets) socket.destroy();
  for (const server of running.servers) server.close();
  for (const speaker of running.speakers) await speaker.stop();
  running.speakers = [];
  running.sockets = [];
  running.servers = [];
});

describe('BGP session', () => {
  it('reaches Established with a passive neighbor and sends End-of-RIB for each negotiated family', async () => {
    const { speaker, events, port } = await startSpeaker([neighbor()]);
    const peer = await TestPeer.connect(port);
    running.sockets.push(peer.socket);
    await establish(peer);
    const up = await until(() => events.established[0]);
    expect(up.capabilities).toEqual({ families: ['ipv4-unicast', 'ipv6-unicast'], routeRefresh: true, enhancedRouteRefresh: false, fourOctetAs: true });
    expect(up.localPort).toBe(port);
    const eorV4 = await peer.next(MessageType.Update);
    const eorV6 = await peer.next(MessageType.Update);
    expect(eorV4.length).toBe(23);
    expect(eorV6.subarray(23)).toEqual(Buffer.from([0x80, 15, 3, 0, 2, 1]));
    expect(speaker.neighborState('::1')?.state).toBe('Established');
    expect(speaker.establishedNeighbors()).toEqual([up]);
  });

  it('answers an OPEN from the wrong AS with OPEN Message Error / Bad Peer AS', async () => {
    const { events, port } = await startSpeaker([neighbor()]);
    const peer = await TestPeer.connect(port);
    running.sockets.push(peer.socket);
    await peer.next(MessageType.Open);
    peer.send(buffers.open({ asn: 65099 }));
    const notification = await peer.next(MessageType.Notification);
    expect([notification[19], notification[20]]).toEqual([2, 2]);
    await peer.closedByPeer();
    expect(events.established).toEqual([]);
  });

  it('answers a broken marker with Message Header Error / Connection Not Synchronized', async () => {
    const { port } = await startSpeaker([neighbor()]);
    const peer = await TestPeer.connect(port);
    running.sockets.push(peer.socket);
    await peer.next(MessageType.Open);
    const open = buffers.open({ asn: PEER_AS });
    open[3] = 0;
    peer.send(open);
    const notification = await peer.next(MessageType.Notification);
    expect([notification[19], notification[20]]).toEqual([1, 1]);
  });

  it('sends Hold Timer Expired when the peer falls silent, and reports a local-notification down', async () => {
    const { events, port } = await startSpeaker([neighbor({ timers: { keepalive: 0, holdTime: 3 } })]);
    const peer = await TestPeer.connect(port);
    running.sockets.push(peer.socket);
    await establish(peer, 3);
    await until(() => events.established[0]);
    const notification = await peer.next(MessageType.Notification, 8000);
    expect([notification[19], notification[20]]).toEqual([4, 0]);
    const down = await until(() => events.downs[0]);
    expect(down.reason).toEqual({ kind: 'local-notification', pdu: notification });
  }, 20_000);

  it('resets the session on an UPDATE that RFC 7606 says cannot be handled otherwise', async () => {
    const { events, port } = await startSpeaker([neighbor()]);
    const peer = await TestPeer.connect(port);
    running.sockets.push(peer.socket);
    await establish(peer);
    await until(() => events.established[0]);
    // MP_REACH_NLRI for IPv4 unicast with a 9-octet next hop.
    const mpReach = buffers.attribute(14, 0x80, [0, 1, 1, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]);
    peer.send(buffers.updateWithRawAttributes([...buffers.mandatoryAttributes(PEER_AS), mpReach]));
    const notification = await peer.next(MessageType.Notification);
    expect(notification[19]).toBe(3);
    const down = await until(() => events.downs[0]);
    expect(down.reason.kind).toBe('local-notification');
    expect(events.updates).toEqual([]);
  });

  it('stops reading while paused and catches up on resume (backpressure)', async () => {
    const { speaker, events, port } = await startSpeaker([neighbor()]);
    const peer = await TestPeer.connect(port);
    running.sockets.push(peer.socket);
    await establish(peer);
    await until(() => events.established[0]);
    speaker.pauseReading();
    peer.send(buffers.update({ nlri: ['198.18.0.0/24'], attrs: { origin: 'igp', asPath: [PEER_AS], nextHop: '192.0.2.20' } }));
    await new Promise((r) => setTimeout(r, 300));
    expect(events.updates).toEqual([]);
    expect(speaker.neighborState('::1')?.readingPaused).toBe(true);
    speaker.resumeReading();
    const update = await until(() => events.updates[0]);
    expect(update.summary).toEqual({ families: ['ipv4-unicast'], announced: 1, withdrawn: 0, endOfRib: null, treatAsWithdraw: false });
    expect(speaker.neighborState('::1')?.prefixes['ipv4-unicast']).toBe(1);
  });

  it('handles a read of many UPDATEs a bounded number per event loop turn, in order', async () => {
    const { events, port } = await startSpeaker([neighbor()]);
    const peer = await TestPeer.connect(port);
    running.sockets.push(peer.socket);
    await establish(peer);
    await until(() => events.established[0]);
    const count = FRAMES_PER_TURN * 3 + 5;
    const updates = Array.from({ length: count }, (_, i) =>
      buffers.update({ nlri: [`198.18.${i >> 8}.${i & 255}/32`], attrs: { origin: 'igp', asPath: [PEER_AS], nextHop: '192.0.2.20' } }),
    );
    // One write: the speaker reads it in one or a few chunks of hundreds of messages each.
    peer.socket.write(Buffer.concat(updates));
    // Count the UPDATEs handled before each turn of the event loop gives another callback its go.
    const perTurn: number[] = [];
    let seen = 0;
    await new Promise<void>((resolve) => {
      const turn = (): void => {
        if (events.updates.length > seen) perTurn.push(events.updates.length - seen);
        seen = events.updates.length;
        if (seen >= count) resolve();
        else setImmediate(turn);
      };
      setImmediate(turn);
    });
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(FRAMES_PER_TURN);
    expect(perTurn.length).toBeGreaterThanOrEqual(4);
    expect(events.updates.map((u) => u.raw)).toEqual(updates);
  });

  it('does not let the hold timer expire while reading is paused by backpressure', async () => {
    const { speaker, events, port } = await startSpeaker([neighbor({ timers: { keepalive: 0, holdTime: 3 } })]);
    const peer = await TestPeer.connect(port);
    running.sockets.push(peer.socket);
    await establish(peer, 3);
    await until(() => events.established[0]);
    speaker.pauseReading();
    await new Promise((r) => setTimeout(r, 4500));
    expect(speaker.neighborState('::1')?.state).toBe('Established');
    expect(peer.frames.some((f) => f.type === MessageType.Notification)).toBe(false);
    peer.send(buffers.keepalive());
    speaker.resumeReading();
    await new Promise((r) => setTimeout(r, 500));
    expect(speaker.neighborState('::1')?.state).toBe('Established');
  }, 15_000);

  it('accepts only TCP MD5-signed connections from a neighbor with a password (RFC 2385)', async () => {
    const { port } = await startSpeaker([neighbor({ password: 'bmpd-secret' })]);
    // Unsigned: the kernel drops the SYN, the connection never completes.
    await expect(connectTcp({ host: '::1', port, timeoutMs: 1000 })).rejects.toThrow(/ETIMEDOUT/);
    const signed = new TestPeer(await connectTcp({ host: '::1', port, md5Key: 'bmpd-secret', timeoutMs: 5000 }));
    running.sockets.push(signed.socket);
    const open = await signed.next(MessageType.Open);
    expect(open[18]).toBe(1);
  });

  it('matches a neighbor written in a non-canonical IPv6 form to its connection', async () => {
    const { events, port } = await startSpeaker([neighbor({ address: '0:0:0:0:0:0:0:1' })]);
    const peer = await TestPeer.connect(port);
    running.sockets.push(peer.socket);
    await establish(peer);
    const up = await until(() => events.established[0]);
    expect(up.neighbor).toBe('0:0:0:0:0:0:0:1');
  });

  it('refuses a connection from an address it has no neighbor for', async () => {
    const { events, port } = await startSpeaker([]);
    const peer = await TestPeer.connect(port);
    running.sockets.push(peer.socket);
    await peer.closedByPeer();
    expect(events.warnings.some((w) => w.includes('unconfigured ::1'))).toBe(true);
  });

  it('resolves a connection collision in favour of the higher BGP Identifier (RFC 4271 §6.8)', async () => {
    // The peer listens too; the speaker connects out while the peer connects in.
    const accepted: net.Socket[] = [];
    const server = net.createServer((s) => accepted.push(s));
    running.servers.push(server);
    await new Promise<void>((resolve) => server.listen({ host: '::1', port: 0 }, resolve));
    const peerPort = (server.address() as net.AddressInfo).port;
    const { events, port } = await startSpeaker([neighbor({ passive: false, remotePort: peerPort })]);

    const outbound = new TestPeer(await until(() => accepted[0])); // the speaker's connection
    running.sockets.push(outbound.socket);
    await outbound.next(MessageType.Open);
    const inbound = await TestPeer.connect(port); // ours
    running.sockets.push(inbound.socket);
    await inbound.next(MessageType.Open);

    // Our identifier 192.0.2.200 > the speaker's 192.0.2.1: the connection we opened must win.
    const open = buffers.open({ asn: PEER_AS, bgpIdentifier: '192.0.2.200' });
    outbound.send(open);
    const dumped = await outbound.next(MessageType.Notification);
    expect([dumped[19], dumped[20]]).toEqual([6, 7]);
    inbound.send(open);
    await inbound.next(MessageType.Keepalive);
    inbound.send(buffers.keepalive());
    const up = await until(() => events.established[0]);
    expect(up.localPort).toBe(port);
    expect(events.established).toHaveLength(1);
  });
});

describe('BgpSpeaker.applyConfig', () => {
  it('keeps the session on a description change and restarts it with Cease/6 when remote-as changes', async () => {
    const first = neighbor();
    const { speaker, events, port } = await startSpeaker([first]);
    const peer = await TestPeer.connect(port);
    running.sockets.push(peer.socket);
    await establish(peer);
    await until(() => events.established[0]);

    await speaker.applyConfig(speakerConfig([{ ...first, description: 'renamed' }]));
    expect(speaker.neighborState('::1')).toMatchObject({ state: 'Established', description: 'renamed' });
    expect(events.downs).toEqual([]);

    await speaker.applyConfig(speakerConfig([{ ...first, description: 'renamed', remoteAs: 65021 }]));
    const notification = await peer.next(MessageType.Notification);
    expect([notification[19], notification[20]]).toEqual([6, 6]);
    const down = await until(() => events.downs[0]);
    expect(down.reason).toEqual({ kind: 'local-notification', pdu: notification });
    expect(speaker.neighborState('::1')?.remoteAs).toBe(65021);
  });

  it('a neighbor added later is accepted; one switched to shutdown refuses connections', async () => {
    const { speaker, events, port } = await startSpeaker([]);
    await speaker.applyConfig(speakerConfig([neighbor()]));
    const peer = await TestPeer.connect(port);
    running.sockets.push(peer.socket);
    await establish(peer);
    await until(() => events.established[0]);

    await speaker.applyConfig(speakerConfig([neighbor({ shutdown: true })]));
    const notification = await peer.next(MessageType.Notification);
    expect([notification[19], notification[20]]).toEqual([6, 2]);
    const again = await TestPeer.connect(port);
    running.sockets.push(again.socket);
    await again.closedByPeer();
    expect(speaker.neighborState('::1')).toMatchObject({ state: 'Idle', adminShutdown: true });
  });
});
