// BmpStreamDecoder fed every BMP message type, hand-built, split at every octet and one octet at a time.
import { describe, expect, it } from 'vitest';
import { BmpStreamDecoder, parseMessage, routeDistinguisher } from '../../src/bmp/codec/index.js';
import { buffers } from '../../src/bgp/testing/test-buffers.js';
import { bmpTestBuffers, perPeerHeader } from '../../src/bmp/testing/test-buffers.js';
import { chunkings } from '../support/chunkings.js';

const peer = perPeerHeader({ address: '192.0.2.30', timestamp: { seconds: 1_700_000_000, microseconds: 7 } });
const vrfPeer = perPeerHeader({ address: '2001:db8::30', peerType: 1, distinguisher: routeDistinguisher('65000:1'), postPolicy: true });
const update = buffers.update({ nlri: ['10.0.0.0/24'], attrs: { origin: 'igp', asPath: [65030], nextHop: '192.0.2.30' } });

const MESSAGES = [
  bmpTestBuffers.initiation({ sysName: 'bmpd-1', sysDescr: 'bmpd test', strings: ['lab'] }),
  bmpTestBuffers.peerUp(peer, {
    localAddress: '192.0.2.1', localPort: 179, remotePort: 40123,
    sentOpen: buffers.open({ asn: 65000, bgpIdentifier: '192.0.2.1' }), receivedOpen: buffers.open({ asn: 65030, bgpIdentifier: '192.0.2.30' }),
  }),
  bmpTestBuffers.routeMonitoring(peer, update),
  bmpTestBuffers.routeMonitoring(vrfPeer, buffers.endOfRib('ipv4-unicast')),
  bmpTestBuffers.statisticsReport(peer, [[0, 5], [7, 1_000_000n], [9, { afi: 1, safi: 1, value: 42n }]]),
  bmpTestBuffers.routeMirroring(peer, { pdu: buffers.keepalive() }),
  bmpTestBuffers.peerDown(peer, 1, buffers.notification(6, 2)),
  bmpTestBuffers.peerDown(vrfPeer, 4),
  bmpTestBuffers.termination({ reason: 0, text: 'stopping' }),
];
const STREAM = Buffer.concat(MESSAGES);
const EXPECTED = MESSAGES.map(parseMessage);

describe('BmpStreamDecoder over a split stream', () => {
  it('gives every message, parsed alike, however the reads cut the stream', () => {
    expect(EXPECTED.map((m) => m.type)).toEqual([
      'initiation', 'peerUp', 'routeMonitoring', 'routeMonitoring', 'statisticsReport', 'routeMirroring', 'peerDown', 'peerDown', 'termination',
    ]);
    let checked = 0;
    for (const { name, chunks } of chunkings(STREAM)) {
      const decoder = new BmpStreamDecoder();
      const out = chunks.flatMap((chunk) => decoder.push(chunk));
      expect(out, name).toEqual(EXPECTED);
      expect(decoder.bufferedBytes, name).toBe(0);
      checked++;
    }
    expect(checked).toBe(STREAM.length + 1);
  });

  it('frames the same raw messages with pushFrames', () => {
    for (const { name, chunks } of chunkings(STREAM)) {
      const decoder = new BmpStreamDecoder();
      expect(chunks.flatMap((chunk) => decoder.pushFrames(chunk)).map((f) => f.toString('hex')), name).toEqual(MESSAGES.map((m) => m.toString('hex')));
    }
  });
});
