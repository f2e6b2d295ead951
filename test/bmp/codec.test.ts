import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BmpDecodeError,
  BmpStreamDecoder,
  parseMessage,
  routeDistinguisher,
  routeMonitoringHeader,
  serialize,
  serializeParts,
  type BmpMessage,
  type PerPeerHeader,
  type StatisticsEntry,
} from '../../src/bmp/codec/index.js';
import { bgpKeepalive, bgpNotification, bgpOpen, bgpUpdate, bmpTestBuffers, perPeerHeader } from '../../src/bmp/testing/test-buffers.js';

const peerV4 = perPeerHeader({ address: '192.0.2.30', timestamp: { seconds: 1_700_000_000, microseconds: 123_456 } });
const peerV6Rd = perPeerHeader({
  peerType: 1,
  distinguisher: routeDistinguisher('65000:100'),
  address: '2001:db8::2001',
  postPolicy: true,
  legacyAsPath: true,
  asn: 4_200_000_001,
  bgpId: '198.51.100.1',
  timestamp: { seconds: 1, microseconds: 999_999 },
});
const update = bgpUpdate({ prefixes: ['203.0.113.0/24', '198.51.100.0/25'], nextHop: '192.0.2.30', asPath: [65030, 65100] });
const openSent = bgpOpen({ asn: 65000, bgpId: '192.0.2.1' });
const openRecv = bgpOpen({ asn: 65030, bgpId: '192.0.2.30', holdTime: 180 });
const cease = bgpNotification(6, 2);

const allStats: StatisticsEntry[] = [
  ...[0, 1, 2, 3, 4, 5, 6, 11, 12, 13].map((statType, i) => ({ kind: 'counter' as const, statType, value: 1000 + i })),
  { kind: 'gauge', statType: 7, value: 1_000_000n },
  { kind: 'gauge', statType: 8, value: 2n ** 40n },
  { kind: 'afiSafiGauge', statType: 9, afi: 1, safi: 1, value: 999_999n },
  { kind: 'afiSafiGauge', statType: 10, afi: 2, safi: 128, value: 2n ** 63n },
  { kind: 'unknown', statType: 14, data: Buffer.from('0000000000000005', 'hex') },
];

const samples: BmpMessage[] = [
  { type: 'initiation', information: [{ kind: 'sysName', text: 'bmpd-1' }, { kind: 'sysDescr', text: 'bmpd 0.1.0 on Linux' }, { kind: 'string', text: 'hello' }, { kind: 'unknown', tlvType: 3, value: Buffer.from([1, 2]) }] },
  { type: 'termination', information: [{ kind: 'string', text: 'server deconfigured' }, { kind: 'reason', reason: 4 }] },
  { type: 'peerUp', peer: peerV4, localAddress: '192.0.2.1', localPort: 179, remotePort: 40123, sentOpen: openSent, receivedOpen: openRecv, information: [{ kind: 'string', text: 'neighbor 30' }] },
  { type: 'peerUp', peer: peerV6Rd, localAddress: '2001:db8::1', localPort: 50000, remotePort: 179, sentOpen: openSent, receivedOpen: openRecv, information: [] },
  { type: 'routeMonitoring', peer: peerV4, update },
  { type: 'routeMonitoring', peer: peerV6Rd, update: bgpUpdate({ prefixes: [], withdrawn: ['203.0.113.0/24'], nextHop: '0.0.0.0', asPath: [] }) },
  { type: 'statisticsReport', peer: peerV4, stats: allStats },
  { type: 'statisticsReport', peer: peerV6Rd, stats: [] },
  { type: 'peerDown', peer: peerV4, down: { reason: 'localNotification', notification: cease } },
  { type: 'peerDown', peer: peerV4, down: { reason: 'localNoNotification', fsmEvent: 18 } },
  { type: 'peerDown', peer: peerV4, down: { reason: 'remoteNotification', notification: bgpNotification(4, 0) } },
  { type: 'peerDown', peer: peerV6Rd, down: { reason: 'remoteNoData' } },
  { type: 'peerDown', peer: peerV6Rd, down: { reason: 'peerDeconfigured' } },
  { type: 'routeMirroring', peer: peerV4, tlvs: [{ kind: 'bgpMessage', pdu: bgpKeepalive() }, { kind: 'information', code: 0 }] },
  { type: 'routeMirroring', peer: peerV6Rd, tlvs: [{ kind: 'information', code: 1 }] },
];

describe('BMP codec round trip', () => {
  for (const msg of samples) {
    const label = msg.type + ('down' in msg ? ` ${msg.down.reason}` : '') + ('peer' in msg ? ` ${msg.peer.address}` : '');
    it(`${label} decodes to what was encoded`, () => {
      const wire = serialize(msg);
      expect(wire.readUInt8(0)).toBe(3);
      expect(wire.readUInt32BE(1)).toBe(wire.length);
      expect(parseMessage(wire)).toEqual(msg);
    });
  }

  it('every RFC 7854 statistics type 0..13 survives with its width (32-bit counter, 64-bit gauge, AFI/SAFI gauge)', () => {
    const msg = samples.find((m) => m.type === 'statisticsReport')!;
    const decoded = parseMessage(serialize(msg));
    if (decoded.type !== 'statisticsReport') throw new Error('wrong type');
    const types = decoded.stats.map((s) => s.statType).sort((a, b) => a - b);
    expect(types).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(decoded.stats.find((s) => s.statType === 10)).toEqual({ kind: 'afiSafiGauge', statType: 10, afi: 2, safi: 128, value: 2n ** 63n });
  });

  it('per-peer flags: V follows the address family, L and A are carried', () => {
    const v6 = serialize(samples[3]!);
    expect(v6.readUInt8(7)).toBe(0x80 | 0x40 | 0x20);
    const v4 = serialize(samples[2]!);
    expect(v4.readUInt8(7)).toBe(0);
    expect(v6.subarray(8, 16)).toEqual(Buffer.from([0, 0, 0xfd, 0xe8, 0, 0, 0, 100]));
  });

  it('route distinguishers of all three types', () => {
    expect(routeDistinguisher('65000:100').toString('hex')).toBe('0000fde800000064');
    expect(routeDistinguisher('192.0.2.1:7').toString('hex')).toBe('0001c00002010007');
    expect(routeDistinguisher('4200000001:7').toString('hex')).toBe('0002fa56ea010007');
  });
});

describe('BMP codec against hand-built bytes', () => {
  const tp = peerV4;
  it('Initiation', () => {
    const golden = bmpTestBuffers.initiation({ sysName: 'bmpd-1', sysDescr: 'bmpd 0.1.0 on Linux' });
    expect(serialize({ type: 'initiation', information: [{ kind: 'sysDescr', text: 'bmpd 0.1.0 on Linux' }, { kind: 'sysName', text: 'bmpd-1' }] })).toEqual(golden);
  });
  it('Termination', () => {
    expect(serialize({ type: 'termination', information: [{ kind: 'string', text: 'bye' }, { kind: 'reason', reason: 2 }] })).toEqual(bmpTestBuffers.termination({ reason: 2, text: 'bye' }));
  });
  it('Peer Up', () => {
    const golden = bmpTestBuffers.peerUp(tp, { localAddress: '192.0.2.1', localPort: 179, remotePort: 40123, sentOpen: openSent, receivedOpen: openRecv, strings: ['neighbor 30'] });
    expect(serialize(samples[2]!)).toEqual(golden);
  });
  it('Route Monitoring: the UPDATE Buffer is sent as is, behind a 48-byte header', () => {
    const golden = bmpTestBuffers.routeMonitoring(tp, update);
    const parts = serializeParts(samples[4]!);
    expect(parts).toHaveLength(2);
    expect(parts[1]).toBe(update); // the same object: not copied
    expect(parts[0]).toEqual(routeMonitoringHeader(peerV4, update.length));
    expect(parts[0]!.length).toBe(48);
    expect(Buffer.concat(parts)).toEqual(golden);
    const decoded = parseMessage(golden);
    if (decoded.type !== 'routeMonitoring') throw new Error('wrong type');
    expect(decoded.update.buffer).toBe(golden.buffer); // a view, not a copy
  });
  it('Route Monitoring headers of one peer address follow every change of its other fields', () => {
    const header = (peer: PerPeerHeader) => parseMessage(Buffer.concat([routeMonitoringHeader(peer, update.length), update]));
    const first = header(peerV4);
    expect(first).toMatchObject({ peer: { asn: 65030, bgpId: '192.0.2.30', legacyAsPath: false } });
    // Same address, everything else changed (a new session of the neighbor, a VRF peer).
    const changed = { ...peerV4, peerType: 1, distinguisher: routeDistinguisher('65000:7'), asn: 65031, bgpId: '192.0.2.31', legacyAsPath: true, timestamp: { seconds: 5, microseconds: 6 } };
    expect(header(changed)).toMatchObject({ peer: { peerType: 1, asn: 65031, bgpId: '192.0.2.31', legacyAsPath: true, timestamp: { seconds: 5, microseconds: 6 } } });
    // A distinguisher Buffer changed in place is noticed too.
    const rd = routeDistinguisher('65000:8');
    header({ ...changed, distinguisher: rd });
    routeDistinguisher('65000:9').copy(rd);
    const again = header({ ...changed, distinguisher: rd });
    if (again.type !== 'routeMonitoring') throw new Error('wrong type');
    expect(again.peer.distinguisher).toEqual(routeDistinguisher('65000:9'));
    expect(header(peerV4)).toEqual(first);
  });
  it('Statistics Report', () => {
    const golden = bmpTestBuffers.statisticsReport(tp, [[0, 5], [7, 1_000_000n], [9, { afi: 1, safi: 1, value: 42n }]]);
    expect(
      serialize({
        type: 'statisticsReport',
        peer: peerV4,
        stats: [
          { kind: 'counter', statType: 0, value: 5 },
          { kind: 'gauge', statType: 7, value: 1_000_000n },
          { kind: 'afiSafiGauge', statType: 9, afi: 1, safi: 1, value: 42n },
        ],
      }),
    ).toEqual(golden);
  });
  it('Peer Down with every reason', () => {
    const ev = Buffer.from([0, 18]);
    expect(serialize(samples[8]!)).toEqual(bmpTestBuffers.peerDown(tp, 1, cease));
    expect(serialize(samples[9]!)).toEqual(bmpTestBuffers.peerDown(tp, 2, ev));
    expect(serialize({ type: 'peerDown', peer: peerV4, down: { reason: 'remoteNoData' } })).toEqual(bmpTestBuffers.peerDown(tp, 4));
    expect(serialize({ type: 'peerDown', peer: peerV4, down: { reason: 'peerDeconfigured' } })).toEqual(bmpTestBuffers.peerDown(tp, 5));
  });
  it('Route Mirroring', () => {
    expect(serialize(samples[13]!)).toEqual(bmpTestBuffers.routeMirroring(tp, { pdu: bgpKeepalive(), information: 0 }));
  });
});

describe('BMP decoder rejects hostile input', () => {
  const good = bmpTestBuffers.initiation({ sysName: 'a', sysDescr: 'b' });
  it('bad version', () => {
    const bad = Buffer.from(good);
    bad[0] = 2;
    expect(() => parseMessage(bad)).toThrow(/version 2/);
  });
  it('length below the common header', () => {
    const bad = Buffer.from(good);
    bad.writeUInt32BE(5, 1);
    expect(() => parseMessage(bad)).toThrow(BmpDecodeError);
  });
  it('truncated TLV, truncated per-peer header, UPDATE length beyond the message, unknown type, wrong stats count', () => {
    expect(() => parseMessage(good.subarray(0, good.length - 1))).toThrow(BmpDecodeError);
    const t = Buffer.from(good.subarray(0, good.length - 1));
    t.writeUInt32BE(t.length, 1);
    expect(() => parseMessage(t)).toThrow(/TLV/);
    const rm = bmpTestBuffers.routeMonitoring(perPeerHeader({ address: '192.0.2.1', asn: 1, bgpId: '1.1.1.1' }), update);
    const shortPeer = Buffer.from(rm.subarray(0, 30));
    shortPeer.writeUInt32BE(30, 1);
    expect(() => parseMessage(shortPeer)).toThrow(/per-peer header/);
    const longBgp = Buffer.from(rm);
    longBgp.writeUInt16BE(update.length + 1, 48 + 16);
    expect(() => parseMessage(longBgp)).toThrow(BmpDecodeError);
    const unknown = Buffer.from(good);
    unknown[5] = 9;
    expect(() => parseMessage(unknown)).toThrow(/unknown BMP message type 9/);
    const stats = bmpTestBuffers.statisticsReport(perPeerHeader({ address: '192.0.2.1', asn: 1, bgpId: '1.1.1.1' }), [[0, 1]]);
    stats.writeUInt32BE(2, 48);
    expect(() => parseMessage(stats)).toThrow(/announces 2/);
  });
  it('arbitrary bytes never throw anything but BmpDecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.integer({ min: 0, max: 6 }), (bytes, type) => {
        const b = Buffer.from(bytes);
        if (b.length >= 6) {
          b[0] = 3;
          b.writeUInt32BE(b.length, 1);
          b[5] = type;
        }
        try {
          parseMessage(b);
        } catch (e) {
          if (!(e instanceof BmpDecodeError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('BmpStreamDecoder', () => {
  const stream = Buffer.concat(samples.map(serialize));
  it('frames messages however the TCP reads split them', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 30 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const d = new BmpStreamDecoder();
        const out: BmpMessage[] = [];
        let prev = 0;
        for (const p of [...points, stream.length]) {
          out.push(...d.push(stream.subarray(prev, p)));
          prev = p;
        }
        expect(out).toEqual(samples);
        expect(d.bufferedBytes).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
  it('one byte at a time', () => {
    const d = new BmpStreamDecoder();
    const out: BmpMessage[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...d.push(stream.subarray(i, i + 1)));
    expect(out.map((m) => m.type)).toEqual(samples.map((m) => m.type));
  });
  it('a bad version poisons the stream', () => {
    const d = new BmpStreamDecoder();
    expect(d.push(stream.subarray(0, 10))).toEqual([]);
    const bad = Buffer.from([1, 0, 0, 0, 6, 4]);
    const d2 = new BmpStreamDecoder();
    expect(() => d2.push(bad)).toThrow(/version 1/);
    expect(() => d2.push(serialize(samples[0]!))).toThrow(/version 1/);
  });
  it('a length above the limit is rejected before buffering it', () => {
    const d = new BmpStreamDecoder(1000);
    const h = Buffer.from([3, 0, 0, 0x10, 0, 4]);
    expect(() => d.push(h)).toThrow(/exceeds/);
  });
});
