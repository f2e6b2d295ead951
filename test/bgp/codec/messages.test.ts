import { describe, expect, it } from 'vitest';
import {
  BgpMessageReader,
  BgpProtocolError,
  CeaseSubcode,
  ErrorCode,
  MessageHeaderSubcode,
  OpenMessageSubcode,
  RouteRefreshMessageSubcode,
  RouteRefreshSubtype,
  asWithdrawal,
  decodeMessage,
  describeNotification,
  withPartialBit,
  decodeOpen,
  decodeRouteRefresh,
  decodeUpdate,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  encodeRouteRefresh,
  encodeUpdate,
  ipv4Prefix,
  ipv6Prefix,
  prefixToString,
  rdToString,
  vpnPrefix,
  type BgpMessage,
  type PathAttribute,
  type SessionCodecOptions,
  type UpdateMessage,
} from '../../../src/bgp/codec/index.js';
import { buffers } from '../../../src/bgp/testing/test-buffers.js';

const IBGP4: SessionCodecOptions = { fourOctetAs: true, ebgp: false };
const marker = 'ff'.repeat(16);

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

function readAll(bytes: Buffer, options: SessionCodecOptions = IBGP4): BgpMessage[] {
  return new BgpMessageReader().push(bytes).map((frame) => decodeMessage(frame, options));
}

function thrown(fn: () => unknown): BgpProtocolError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BgpProtocolError) return error;
    throw error;
  }
  throw new Error('expected a BgpProtocolError');
}

describe('golden byte vectors (hand-checked against RFC 4271 §4 layouts)', () => {
  it('KEEPALIVE is a bare 19-octet header of type 4', () => {
    expect(encodeKeepalive().toString('hex')).toBe(`${marker}001304`);
  });

  it('NOTIFICATION Cease / Administrative Shutdown', () => {
    const bytes = encodeNotification({ code: ErrorCode.Cease, subcode: CeaseSubcode.AdministrativeShutdown, data: Buffer.alloc(0) });
    expect(bytes.toString('hex')).toBe(`${marker}0015030602`);
  });

  it('OPEN with multiprotocol IPv4 unicast, route refresh and 4-octet AS capabilities', () => {
    const bytes = encodeOpen({
      version: 4,
      myAs: 65001,
      holdTime: 180,
      bgpIdentifier: '192.0.2.1',
      capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'route-refresh' }, { kind: 'four-octet-as', asn: 65001 }],
    });
    expect(bytes).toEqual(hex(`${marker} 0031 01 04 fde9 00b4 c0000201 14  02060104 00010001  02020200  02064104 0000fde9`));
  });

  it('OPEN with a 4-octet AS puts AS_TRANS in My Autonomous System (RFC 6793 §4.1)', () => {
    const open = decodeOpen(buffers.open({ asn: 4200000001 }));
    expect(open.myAs).toBe(23456);
    expect(open.asn).toBe(4200000001);
  });

  it('UPDATE with ORIGIN, AS_PATH, NEXT_HOP and one /24', () => {
    const bytes = hex(`${marker} 002f 02 0000 0014 400101 00 400206 0201 0000fde9 400304 c0000201 18 0a0000`);
    const update = decodeUpdate(bytes, IBGP4);
    expect(update.verdict).toEqual({ action: 'ok' });
    expect(update.nlri.map(prefixToString)).toEqual(['10.0.0.0/24']);
    expect(update.attributes).toEqual([
      { kind: 'origin', flags: 0x40, origin: 0 },
      { kind: 'as-path', flags: 0x40, segments: [{ type: 2, asns: [65001] }] },
      { kind: 'next-hop', flags: 0x40, nextHop: '192.0.2.1' },
    ]);
    expect(encodeUpdate(update, { fourOctetAs: true })).toEqual(bytes);
    expect(buffers.update({ nlri: ['10.0.0.0/24'], attrs: { origin: 'igp', asPath: [65001], nextHop: '192.0.2.1' } })).toEqual(bytes);
  });

  it('ROUTE-REFRESH for IPv6 unicast with the RFC 7313 BoRR subtype', () => {
    expect(encodeRouteRefresh({ afi: 2, safi: 1, subtype: RouteRefreshSubtype.BeginningOfRouteRefresh }).toString('hex')).toBe(`${marker}001705000201 01`.replace(' ', ''));
  });
});

describe('round trip of every message type', () => {
  it('OPEN keeps capabilities, including unknown ones', () => {
    const bytes = buffers.open({
      asn: 65010,
      holdTime: 30,
      bgpIdentifier: '198.51.100.7',
      families: ['ipv4-unicast', 'ipv6-unicast', 'vpnv4-unicast', 'vpnv6-unicast'],
      enhancedRouteRefresh: true,
      extraCapabilities: [{ kind: 'unknown', code: 64, value: Buffer.from([0x40, 0x78]) }],
    });
    const [open] = readAll(bytes);
    expect(open?.type).toBe('open');
    if (open?.type !== 'open') return;
    expect(open).toMatchObject({ version: 4, myAs: 65010, asn: 65010, holdTime: 30, bgpIdentifier: '198.51.100.7' });
    expect(open.capabilities).toEqual([
      { kind: 'multiprotocol', afi: 1, safi: 1 },
      { kind: 'multiprotocol', afi: 2, safi: 1 },
      { kind: 'multiprotocol', afi: 1, safi: 128 },
      { kind: 'multiprotocol', afi: 2, safi: 128 },
      { kind: 'route-refresh' },
      { kind: 'enhanced-route-refresh' },
      { kind: 'four-octet-as', asn: 65010 },
      { kind: 'unknown', code: 64, value: Buffer.from([0x40, 0x78]) },
    ]);
    expect(encodeOpen(open)).toEqual(bytes);
  });

  it('KEEPALIVE, NOTIFICATION and ROUTE-REFRESH', () => {
    const notification = buffers.notification(ErrorCode.Cease, CeaseSubcode.AdministrativeReset, Buffer.from('maintenance'));
    const refresh = buffers.routeRefresh('vpnv4-unicast', RouteRefreshSubtype.EndOfRouteRefresh);
    const messages = readAll(Buffer.concat([encodeKeepalive(), notification, refresh]));
    expect(messages.map((m) => m.type)).toEqual(['keepalive', 'notification', 'route-refresh']);
    expect(messages[1]).toMatchObject({ code: 6, subcode: 4, data: Buffer.from('maintenance') });
    expect(messages[2]).toMatchObject({ afi: 1, safi: 128, subtype: 2 });
    expect(encodeRouteRefresh(messages[2] as { afi: number; safi: number; subtype: number })).toEqual(refresh);
  });

  it('UPDATE with every attribute kind bmpd knows', () => {
    const attributes: PathAttribute[] = [
      { kind: 'origin', flags: 0x40, origin: 2 },
      {
        kind: 'as-path',
        flags: 0x40,
        segments: [
          { type: 3, asns: [64512] },
          { type: 2, asns: [65001, 4200000000] },
          { type: 1, asns: [1, 2, 3] },
        ],
      },
      { kind: 'next-hop', flags: 0x40, nextHop: '203.0.113.9' },
      { kind: 'multi-exit-disc', flags: 0x80, med: 4000000000 },
      { kind: 'local-pref', flags: 0x40, localPref: 200 },
      { kind: 'atomic-aggregate', flags: 0x40 },
      { kind: 'aggregator', flags: 0xc0, asn: 4200000000, address: '203.0.113.1' },
      { kind: 'communities', flags: 0xc0, communities: [0xfde90064, 0xffffff01] },
      { kind: 'originator-id', flags: 0x80, originatorId: '198.51.100.1' },
      { kind: 'cluster-list', flags: 0x80, clusterIds: ['198.51.100.2', '198.51.100.3'] },
      { kind: 'extended-communities', flags: 0xc0, communities: [hex('0002fde900000064'), hex('010298336401 0001')] },
      { kind: 'large-communities', flags: 0xc0, communities: [{ globalAdministrator: 4200000000, localData1: 1, localData2: 2 }] },
      { kind: 'unknown', flags: 0xe0, typeCode: 99, value: Buffer.alloc(300, 7) },
    ];
    const fields = { withdrawnRoutes: [ipv4Prefix('192.0.2.0/25')], attributes, nlri: [ipv4Prefix('10.1.0.0/16'), ipv4Prefix('0.0.0.0/0')] };
    const bytes = encodeUpdate(fields, { fourOctetAs: true });
    const update = decodeUpdate(bytes, IBGP4);
    expect(update.verdict).toEqual({ action: 'ok' });
    expect(update.withdrawnRoutes).toEqual(fields.withdrawnRoutes);
    expect(update.nlri).toEqual(fields.nlri);
    // The 300-octet unknown attribute comes back with Extended Length set.
    expect(update.attributes).toEqual(attributes.map((a) => (a.kind === 'unknown' ? { ...a, flags: 0xf0 } : a)));
    expect(encodeUpdate(update, { fourOctetAs: true })).toEqual(bytes);
  });

  it('2-octet AS sessions carry AS_TRANS in AS_PATH and AGGREGATOR', () => {
    const bytes = encodeUpdate(
      {
        withdrawnRoutes: [],
        attributes: [
          { kind: 'origin', flags: 0x40, origin: 0 },
          { kind: 'as-path', flags: 0x40, segments: [{ type: 2, asns: [65001, 4200000000] }] },
          { kind: 'next-hop', flags: 0x40, nextHop: '192.0.2.1' },
          { kind: 'aggregator', flags: 0xc0, asn: 4200000000, address: '192.0.2.9' },
        ],
        nlri: [ipv4Prefix('10.0.0.0/8')],
      },
      { fourOctetAs: false },
    );
    // Written by hand with AS_TRANS (23456) already in place of 4200000000.
    const expected = buffers.update({
      nlri: ['10.0.0.0/8'],
      attrs: { origin: 'igp', asPath: [65001, 23456], nextHop: '192.0.2.1', aggregator: { asn: 23456, address: '192.0.2.9' } },
      fourOctetAs: false,
    });
    expect(bytes.toString('hex')).toBe(expected.toString('hex'));
    const update = decodeUpdate(bytes, { fourOctetAs: false, ebgp: true });
    expect(update.attributes.find((a) => a.kind === 'as-path')).toMatchObject({ segments: [{ type: 2, asns: [65001, 23456] }] });
    expect(update.attributes.find((a) => a.kind === 'aggregator')).toMatchObject({ asn: 23456 });
  });

  it('MP_REACH / MP_UNREACH for IPv6 unicast, VPNv4 and VPNv6', () => {
    const v6 = decodeUpdate(
      buffers.update({ nlri: ['2001:db8:1::/48', '::/0'], withdrawn: [], attrs: { origin: 'igp', asPath: [65001] }, mpNextHop: '2001:db8::1' }),
      IBGP4,
    );
    expect(v6.verdict).toEqual({ action: 'ok' });
    const reach = v6.attributes.find((a) => a.kind === 'mp-reach-nlri');
    expect(reach?.kind === 'mp-reach-nlri' && reach.nlri.map(prefixToString)).toEqual(['2001:db8:1::/48', '::/0']);

    const route = vpnPrefix('65000:7', '10.20.0.0/16', 1000);
    const vpn = decodeUpdate(buffers.update({ nlri: [route], attrs: { origin: 'igp', asPath: [65001] }, mpNextHop: '192.0.2.1' }), IBGP4);
    const vpnReach = vpn.attributes.find((a) => a.kind === 'mp-reach-nlri');
    expect(vpnReach).toMatchObject({ afi: 1, safi: 128, nextHop: hex('0000000000000000 c0000201') });
    const decoded = vpnReach?.kind === 'mp-reach-nlri' ? vpnReach.nlri[0] : undefined;
    expect(decoded).toEqual(route);
    expect(decoded && prefixToString(decoded)).toBe('65000:7:10.20.0.0/16');
    expect(decoded?.family === 'vpnv4-unicast' && decoded.labels[0]! >>> 4).toBe(1000);

    const route6 = vpnPrefix('192.0.2.1:5', '2001:db8:5::/64', 16);
    const vpn6 = decodeUpdate(buffers.update({ withdrawn: [route6] }), IBGP4);
    const unreach = vpn6.attributes.find((a) => a.kind === 'mp-unreach-nlri');
    expect(unreach?.kind === 'mp-unreach-nlri' && unreach.withdrawn[0]?.family === 'vpnv6-unicast' && rdToString(unreach.withdrawn[0].rd)).toBe('192.0.2.1:5');
  });

  it('reads a VPN withdraw carrying the RFC 3107 label 0x800000 (no bottom-of-stack bit)', () => {
    // MP_UNREACH_NLRI, AFI 1 SAFI 128: length 24+64+24 = 112 bits, label 800000, RD 0:65001:7, 10.20.0/24.
    const value = hex('0001 80 70 800000 0000fde900000007 0a1400');
    const bytes = buffers.updateWithRawAttributes(buffers.attribute(15, 0x80, value));
    const update = decodeUpdate(bytes, IBGP4);
    expect(update.verdict).toEqual({ action: 'ok' });
    const unreach = update.attributes[0];
    expect(unreach?.kind === 'mp-unreach-nlri' && unreach.withdrawn.map(prefixToString)).toEqual(['65001:7:10.20.0.0/24']);
    expect(encodeUpdate(update, IBGP4)).toEqual(bytes);
    // asWithdrawal writes the same label field.
    const again = buffers.update({ withdrawn: [asWithdrawal(vpnPrefix('65001:7', '10.20.0.0/24', 500))] });
    expect(again).toEqual(bytes);
  });

  it('detects End-of-RIB for IPv4 (empty UPDATE) and for MP families', () => {
    expect(decodeUpdate(buffers.endOfRib('ipv4-unicast'), IBGP4).endOfRib).toEqual({ afi: 1, safi: 1 });
    expect(decodeUpdate(buffers.endOfRib('vpnv4-unicast'), IBGP4).endOfRib).toEqual({ afi: 1, safi: 128 });
    expect(decodeUpdate(buffers.update({ withdrawn: ['2001:db8::/32'] }), IBGP4).endOfRib).toBeUndefined();
    expect(decodeUpdate(buffers.update({ withdrawn: ['10.0.0.0/8'] }), IBGP4).endOfRib).toBeUndefined();
  });

  it('prefix text forms follow RFC 5952 and clear host bits', () => {
    expect(prefixToString(ipv6Prefix('2001:DB8:0:0:1::/64'))).toBe('2001:db8::/64');
    expect(prefixToString(ipv4Prefix('10.1.2.3/8'))).toBe('10.0.0.0/8');
  });
});

describe('BgpMessageReader', () => {
  it('reassembles messages split across arbitrary reads, one octet at a time', () => {
    const stream = Buffer.concat([
      buffers.open({ asn: 65001 }),
      encodeKeepalive(),
      buffers.update({ nlri: ['10.0.0.0/24'], attrs: { origin: 'igp', asPath: [65001], nextHop: '192.0.2.1' } }),
    ]);
    const reader = new BgpMessageReader();
    const frames = [];
    for (let i = 0; i < stream.length; i++) frames.push(...reader.push(stream.subarray(i, i + 1)));
    expect(frames.map((f) => f.type)).toEqual([1, 4, 2]);
    expect(Buffer.concat(frames.map((f) => f.raw))).toEqual(stream);
    expect(reader.bufferedLength).toBe(0);
  });

  it('hands out slices of the pushed chunk without copying', () => {
    const chunk = Buffer.concat([encodeKeepalive(), encodeKeepalive()]);
    const frames = new BgpMessageReader().push(chunk);
    expect(frames[1]?.raw.buffer).toBe(chunk.buffer);
    expect(frames[1]?.raw.byteOffset).toBe(chunk.byteOffset + 19);
  });

  it('rejects a bad marker with Connection Not Synchronized', () => {
    const error = thrown(() => new BgpMessageReader().push(buffers.rawMessage(4, Buffer.alloc(0), { marker: 0xfe })));
    expect(error.notification).toMatchObject({ code: ErrorCode.MessageHeader, subcode: MessageHeaderSubcode.ConnectionNotSynchronized });
  });

  it('rejects a length above 4096 as soon as the header arrives, with the length as data', () => {
    const error = thrown(() => new BgpMessageReader().push(buffers.rawMessage(2, Buffer.alloc(0), { length: 4097 })));
    expect(error.notification).toEqual({ code: 1, subcode: MessageHeaderSubcode.BadMessageLength, data: hex('1001') });
  });

  it('accepts up to 65535 octets when extended messages are negotiated', () => {
    const big = buffers.updateWithRawAttributes([...buffers.mandatoryAttributes(), buffers.attribute(99, 0xc0, Buffer.alloc(5000))]);
    expect(() => new BgpMessageReader().push(big)).toThrow(BgpProtocolError);
    expect(new BgpMessageReader({ maxMessageLength: 65535 }).push(big)).toHaveLength(1);
  });

  it('rejects a KEEPALIVE with a body and an UPDATE shorter than 23 octets as Bad Message Length', () => {
    expect(thrown(() => new BgpMessageReader().push(buffers.rawMessage(4, Buffer.alloc(1)))).notification.subcode).toBe(MessageHeaderSubcode.BadMessageLength);
    expect(thrown(() => new BgpMessageReader().push(buffers.rawMessage(2, Buffer.alloc(3)))).notification.subcode).toBe(MessageHeaderSubcode.BadMessageLength);
  });

  it('rejects an unknown type with Bad Message Type and the type as data', () => {
    const error = thrown(() => new BgpMessageReader().push(buffers.rawMessage(9)));
    expect(error.notification).toEqual({ code: 1, subcode: MessageHeaderSubcode.BadMessageType, data: Buffer.from([9]) });
  });

  it('refuses further input once the stream is out of sync', () => {
    const reader = new BgpMessageReader();
    expect(() => reader.push(buffers.rawMessage(9))).toThrow(BgpProtocolError);
    expect(() => reader.push(encodeKeepalive())).toThrow(/after a header error/);
  });
});

describe('OPEN errors (RFC 4271 §6.2)', () => {
  it('unsupported version carries the version we support', () => {
    const error = thrown(() => decodeOpen(buffers.open({ asn: 65001, version: 3 })));
    expect(error.notification).toEqual({ code: 2, subcode: OpenMessageSubcode.UnsupportedVersionNumber, data: hex('0004') });
  });

  it('hold time 1 or 2 is unacceptable, 0 and 3 are fine', () => {
    for (const holdTime of [1, 2]) {
      expect(thrown(() => decodeOpen(buffers.open({ asn: 65001, holdTime }))).notification.subcode).toBe(OpenMessageSubcode.UnacceptableHoldTime);
    }
    expect(decodeOpen(buffers.open({ asn: 65001, holdTime: 0 })).holdTime).toBe(0);
    expect(decodeOpen(buffers.open({ asn: 65001, holdTime: 3 })).holdTime).toBe(3);
  });

  it('BGP identifier 0.0.0.0 is bad', () => {
    expect(thrown(() => decodeOpen(buffers.open({ asn: 65001, bgpIdentifier: '0.0.0.0' }))).notification.subcode).toBe(OpenMessageSubcode.BadBgpIdentifier);
  });

  it('AS 0 is a bad peer AS (RFC 7607)', () => {
    expect(thrown(() => decodeOpen(buffers.open({ asn: 0, fourOctetAs: false }))).notification.subcode).toBe(OpenMessageSubcode.BadPeerAs);
  });

  it('an optional parameter other than capabilities is unsupported', () => {
    const open = buffers.open({ asn: 65001, families: [], routeRefresh: false, fourOctetAs: false });
    const withAuth = Buffer.concat([open, Buffer.from([1, 1, 0])]);
    withAuth.writeUInt16BE(withAuth.length, 16);
    withAuth[28] = 3;
    expect(thrown(() => decodeOpen(withAuth)).notification.subcode).toBe(OpenMessageSubcode.UnsupportedOptionalParameter);
  });

  it('a malformed capability is Unspecific (subcode 0)', () => {
    const open = buffers.open({ asn: 65001, families: [], routeRefresh: false, fourOctetAs: false });
    const bad = Buffer.concat([open, Buffer.from([2, 3, 65, 1, 0])]);
    bad.writeUInt16BE(bad.length, 16);
    bad[28] = 5;
    expect(thrown(() => decodeOpen(bad)).notification).toMatchObject({ code: 2, subcode: 0 });
  });
});

describe('ROUTE-REFRESH errors (RFC 7313 §5)', () => {
  it('a ROUTE-REFRESH that is not 23 octets gets code 7 subcode 1 with the whole message as data', () => {
    const bad = buffers.rawMessage(5, Buffer.from([0, 1, 0, 1, 0]));
    const frames = new BgpMessageReader().push(bad);
    const error = thrown(() => decodeMessage(frames[0]!, IBGP4));
    expect(error.notification).toEqual({ code: 7, subcode: RouteRefreshMessageSubcode.InvalidMessageLength, data: bad });
    expect(() => decodeRouteRefresh(bad)).toThrow(BgpProtocolError);
  });
});


describe('describeNotification', () => {
  it('names codes and subcodes as the RFCs do', () => {
    expect(describeNotification(6, 2)).toBe('Cease / Administrative Shutdown');
    expect(describeNotification(4, 0)).toBe('Hold Timer Expired');
    expect(describeNotification(3, 11)).toBe('UPDATE Message Error / Malformed AS_PATH');
    expect(describeNotification(2, 0)).toBe('OPEN Message Error / Unspecific');
    expect(describeNotification(6, 42)).toBe('Cease / subcode 42');
    expect(describeNotification(99, 1)).toBe('error code 99 subcode 1');
  });
});

describe('withPartialBit (RFC 4271 §5)', () => {
  it('sets Partial on an unrecognized optional transitive attribute only', () => {
    expect(withPartialBit({ kind: 'unknown', typeCode: 99, flags: 0xc0, value: Buffer.alloc(1) }).flags).toBe(0xe0);
    expect(withPartialBit({ kind: 'unknown', typeCode: 99, flags: 0x80, value: Buffer.alloc(1) }).flags).toBe(0x80);
    expect(withPartialBit({ kind: 'communities', flags: 0xc0, communities: [1] }).flags).toBe(0xc0);
  });
});
