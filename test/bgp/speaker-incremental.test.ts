// BgpSpeaker.applyNeighborChanges — the speaker's side of a commit that changes neighbors only —
// with a hand-made peer over loopback (speaker 127.0.22.40, peer 127.0.22.41 and 127.0.22.42,
// ephemeral listener port). What goes on the wire must be what applyConfig sends for the same
// change (src/agent/README.md): a new neighbor is accepted, Cease/6 when its OPEN changes, Cease/2
// for shutdown, Cease/3 when it is removed; a neighbor the change does not name is left alone.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BgpMessageReader, type BgpFrame, MessageType } from '../../src/bgp/codec/index.js';
import type { NeighborConfig, SpeakerConfig } from '../../src/bgp/config.js';
import type { DownEvent, EstablishedEvent } from '../../src/bgp/events.js';
import { BgpSpeaker } from '../../src/bgp/speaker.js';
import { buffers } from '../../src/bgp/testing/test-buffers.js';

const LOCAL = '127.0.22.40';
const PEER_AS = 65041;

/** The far end: a raw TCP socket from its own loopback address. */
class Peer {
  readonly frames: BgpFrame[] = [];
  closed = false;
  private readonly reader = new BgpMessageReader();

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.frames.push(...this.reader.push(chunk)));
    socket.on('close', () => { this.closed = true; });
    socket.on('error', () => {});
  }

  static connect(from: string, port: number): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: LOCAL, port, localAddress: from }, () => resolve(new Peer(socket)));
      socket.once('error', reject);
    });
  }

  async next(type: number): Promise<Buffer> {
    const frame = await until(() => {
      const index = this.frames.findIndex((f) => f.type === type);
      return index >= 0 ? this.frames.splice(0, index + 1).at(-1)! : null;
    });
    return frame.raw;
  }

  /** OPEN and KEEPALIVE until Established. */
  async establish(): Promise<void> {
    await this.next(MessageType.Open);
    this.socket.write(buffers.open({ asn: PEER_AS, holdTime: 90, bgpIdentifier: '192.0.2.41', families: ['ipv4-unicast'] }));
    await this.next(MessageType.Keepalive);
    this.socket.write(buffers.keepalive());
  }
}

async function until<T>(probe: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
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

async function startSpeaker(neighbors: NeighborConfig[]) {
  const config: SpeakerConfig = { asNumber: 65000, routerId: '192.0.2.40', listen: { addresses: [LOCAL], port: 0 }, connectRetrySeconds: 1, neighbors };
  const speaker = new BgpSpeaker(config);
  const events = { established: [] as EstablishedEvent[], downs: [] as DownEvent[] };
  speaker.on('established', (e) => events.established.push(e));
  speaker.on('down', (e) => events.downs.push(e));
  await speaker.start();
  cleanup.push(() => speaker.stop());
  return { speaker, events, port: speaker.listenAddresses()[0]!.port };
}

async function connect(from: string, port: number): Promise<Peer> {
  const peer = await Peer.connect(from, port);
  cleanup.push(() => { peer.socket.destroy(); });
  return peer;
}

const cease = (notification: Buffer) => [notification[19], notification[20]];

describe('BgpSpeaker.applyNeighborChanges', () => {
  it('adds a neighbor, restarts it with Cease/6 on a remote-as change and removes it with Cease/3, the other neighbor untouched', async () => {
    const { speaker, events, port } = await startSpeaker([neighbor('127.0.22.41')]);
    const other = await connect('127.0.22.41', port);
    await other.establish();
    await until(() => events.established.length === 1);

    await speaker.applyNeighborChanges({ upserts: [neighbor('127.0.22.42')], removals: [] });
    expect([...speaker.configuredNeighbors().keys()]).toEqual(['127.0.22.41', '127.0.22.42']);
    const peer = await connect('127.0.22.42', port);
    await peer.establish();
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
    await first.establish();
    await second.establish();
    await until(() => events.established.length === 2);

    await speaker.applyNeighborChanges({ upserts: [neighbor('127.0.22.41', { shutdown: true })], removals: ['127.0.22.42'] });
    expect(cease(await first.next(MessageType.Notification))).toEqual([6, 2]);
    expect(cease(await second.next(MessageType.Notification))).toEqual([6, 3]);
    expect(speaker.neighborState('127.0.22.41')).toMatchObject({ state: 'Idle', adminShutdown: true });
    const down = await until(() => events.downs.find((d) => d.neighbor === '127.0.22.42'));
    expect(down.reason.kind).toBe('deconfigured');
  });
});
