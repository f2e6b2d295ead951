// The codec against messages written out by hand from the RFCs (test/support/hand-built.ts),
// not against its own output: decoding them must give the values their comments state, and
// encoding those values must give back the very same octets.
import { describe, expect, it } from 'vitest';
import { decodeUpdate, encodeUpdate, ipv4ToString, rdToString, type PathAttribute } from '../../../src/bgp/codec/index.js';
import { parseMessage, serialize } from '../../../src/bmp/codec/index.js';
import { EXTENDED_LENGTH_UPDATE, IPV6_PEER_UP, IPV6_ROUTE_MONITORING, LONG_AS_PATH, REFLECTED_UPDATE, VPNV4_UPDATE } from '../../support/hand-built.js';

const IBGP = { fourOctetAs: true, ebgp: false };
const EBGP = { fourOctetAs: true, ebgp: true };

function attribute<K extends PathAttribute['kind']>(attributes: readonly PathAttribute[], kind: K): Extract<PathAttribute, { kind: K }> {
  const found = attributes.find((a) => a.kind === kind);
  expect(found, kind).toBeDefined();
  return found as Extract<PathAttribute, { kind: K }>;
}

describe('hand-built BGP UPDATEs', () => {
  it('ORIGINATOR_ID, CLUSTER_LIST and ATOMIC_AGGREGATE decode to their values and re-encode to the same octets', () => {
    const u = decodeUpdate(REFLECTED_UPDATE, IBGP);
    expect(u.verdict.action).toBe('ok');
    expect(attribute(u.attributes, 'originator-id')).toMatchObject({ flags: 0x80, originatorId: '192.0.2.9' });
    expect(attribute(u.attributes, 'cluster-list')).toMatchObject({ flags: 0x80, clusterIds: ['198.51.100.1', '198.51.100.2'] });
    expect(attribute(u.attributes, 'atomic-aggregate')).toMatchObject({ flags: 0x40 });
    expect(attribute(u.attributes, 'local-pref').localPref).toBe(100);
    expect(u.nlri.map((p) => `${ipv4ToString(p.address)}/${p.length}`)).toEqual(['10.1.0.0/16']);
    expect(encodeUpdate(u, IBGP).equals(REFLECTED_UPDATE)).toBe(true);
  });

  it('reads a 2-octet attribute length under the Extended Length flag, needed or not, and writes it back', () => {
    const u = decodeUpdate(EXTENDED_LENGTH_UPDATE, EBGP);
    expect(u.verdict.action).toBe('ok');
    const asPath = attribute(u.attributes, 'as-path');
    expect(asPath.segments).toEqual([{ type: 2, asns: LONG_AS_PATH }]);
    expect(attribute(u.attributes, 'communities')).toMatchObject({ flags: 0xd0, communities: [65001 * 65536 + 100] });
    expect(u.nlri.map((p) => `${ipv4ToString(p.address)}/${p.length}`)).toEqual(['10.2.0.0/24']);
    expect(encodeUpdate(u, EBGP).equals(EXTENDED_LENGTH_UPDATE)).toBe(true);
  });

  it('decodes VPNv4 MP_REACH_NLRI: next hop, RD, label and prefix, and re-encodes the same octets', () => {
    const u = decodeUpdate(VPNV4_UPDATE, EBGP);
    expect(u.verdict.action).toBe('ok');
    const reach = attribute(u.attributes, 'mp-reach-nlri');
    expect(reach).toMatchObject({ flags: 0x80, afi: 1, safi: 128 });
    expect(reach.nextHop.toString('hex')).toBe('0000000000000000c0000201');
    expect(reach.nlri).toHaveLength(1);
    const route = reach.nlri[0]!;
    expect(route.family).toBe('vpnv4-unicast');
    if (route.family !== 'vpnv4-unicast') return;
    expect(rdToString(route.rd)).toBe('65000:7');
    // The label field as on the wire: label 1000, EXP 0, bottom of stack (RFC 3032 §2.1).
    expect(route.labels).toEqual([(1000 << 4) | 1]);
    expect(route.length).toBe(24);
    expect([...route.address].join('.')).toBe('10.7.0.0');
    expect(attribute(u.attributes, 'extended-communities').communities.map((c) => c.toString('hex'))).toEqual(['0002fde900000064']);
    expect(encodeUpdate(u, EBGP).equals(VPNV4_UPDATE)).toBe(true);
  });
});

describe('hand-built BMP messages with IPv6 addresses', () => {
  it('Route Monitoring: the per-peer header of an IPv6 peer', () => {
    const m = parseMessage(IPV6_ROUTE_MONITORING);
    expect(m.type).toBe('routeMonitoring');
    if (m.type !== 'routeMonitoring') return;
    expect(m.peer).toMatchObject({ peerType: 0, address: '2001:db8::1', asn: 65001, bgpId: '192.0.2.1', postPolicy: false, legacyAsPath: false });
    expect(m.peer.timestamp).toEqual({ seconds: 1700000000, microseconds: 500000 });
    expect(m.update.equals(REFLECTED_UPDATE)).toBe(true);
    expect(serialize(m).equals(IPV6_ROUTE_MONITORING)).toBe(true);
  });

  it('Peer Up: IPv6 peer and local addresses, ports and both OPENs', () => {
    const m = parseMessage(IPV6_PEER_UP);
    expect(m.type).toBe('peerUp');
    if (m.type !== 'peerUp') return;
    expect(m.peer.address).toBe('2001:db8::1');
    expect(m).toMatchObject({ localAddress: '2001:db8::2', localPort: 179, remotePort: 40000, information: [] });
    expect(m.sentOpen.readUInt16BE(20)).toBe(65002);
    expect(m.receivedOpen.readUInt16BE(20)).toBe(65001);
    expect(serialize(m).equals(IPV6_PEER_UP)).toBe(true);
  });
});
