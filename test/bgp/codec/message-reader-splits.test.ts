// BgpMessageReader fed every message type, hand-built, split at every octet and one octet at a time.
import { describe, expect, it } from 'vitest';
import { BgpMessageReader, decodeMessage, type BgpFrame } from '../../../src/bgp/codec/index.js';
import { vpnPrefix } from '../../../src/bgp/codec/nlri.js';
import { buffers } from '../../../src/bgp/testing/test-buffers.js';
import { chunkings } from '../../support/chunkings.js';

const MESSAGES = [
  buffers.open({ asn: 4200000001, families: ['ipv4-unicast', 'ipv6-unicast', 'vpnv4-unicast'], enhancedRouteRefresh: true }),
  buffers.keepalive(),
  buffers.update({ nlri: ['10.0.0.0/24', '10.1.0.0/16'], withdrawn: ['172.16.0.0/12'], attrs: { origin: 'igp', asPath: [65001], nextHop: '192.0.2.1', communities: ['65001:7'] } }),
  buffers.update({ nlri: ['2001:db8::/32'], attrs: { origin: 'igp', asPath: [65001] }, mpNextHop: '2001:db8::1' }),
  buffers.update({ nlri: [vpnPrefix('65000:1', '10.2.0.0/16', 100)], attrs: { origin: 'igp', asPath: [65001] }, mpNextHop: '192.0.2.1' }),
  buffers.update({ nlri: ['10.3.0.0/16'], attrs: { origin: 'igp', asPath: Array.from({ length: 80 }, (_, i) => 64512 + i), nextHop: '192.0.2.1' } }),
  buffers.routeRefresh('ipv6-unicast', 1),
  buffers.endOfRib('ipv4-unicast'),
  buffers.endOfRib('ipv6-unicast'),
  buffers.notification(6, 2, Buffer.from('maintenance')),
];
const STREAM = Buffer.concat(MESSAGES);
const OPTIONS = { fourOctetAs: true, ebgp: false };

function read(chunks: readonly Buffer[]): { frames: BgpFrame[]; buffered: number } {
  const reader = new BgpMessageReader();
  const frames = chunks.flatMap((chunk) => reader.push(chunk));
  return { frames, buffered: reader.bufferedLength };
}

describe('BgpMessageReader over a split stream', () => {
  it('gives every message, byte for byte and decoded alike, however the reads cut the stream', () => {
    let checked = 0;
    for (const { name, chunks } of chunkings(STREAM)) {
      const { frames, buffered } = read(chunks);
      expect(frames.map((f) => f.raw.toString('hex')), name).toEqual(MESSAGES.map((m) => m.toString('hex')));
      expect(frames.map((f) => f.type), name).toEqual(MESSAGES.map((m) => m[18]));
      expect(buffered, name).toBe(0);
      checked++;
    }
    expect(checked).toBe(STREAM.length + 1);
  });

  it('decodes the reassembled messages to the same values as the whole ones', () => {
    const whole = read([STREAM]).frames.map((f) => decodeMessage(f, OPTIONS));
    const octets = read([...chunkings(STREAM)].at(-1)!.chunks).frames.map((f) => decodeMessage(f, OPTIONS));
    expect(octets).toEqual(whole);
    expect(whole.map((m) => m.type)).toEqual(['open', 'keepalive', 'update', 'update', 'update', 'update', 'route-refresh', 'update', 'update', 'notification']);
  });
});
