// The serializer checked against wire bytes it did not make: src/bgp/testing/test-buffers.ts writes
// every message by hand (BufferList); decoding those bytes and encoding the result again must
// give back the same octets, for every message type and every attribute the builder knows.
import { describe, expect, it } from 'vitest';
import {
  BGP_VERSION,
  decodeNotification,
  decodeOpen,
  decodeRouteRefresh,
  decodeUpdate,
  encodeEndOfRib,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  encodeRouteRefresh,
  encodeUpdate,
} from '../../../src/bgp/codec/index.js';
import { asWithdrawal, vpnPrefix } from '../../../src/bgp/codec/nlri.js';
import { buffers, type UpdateSpec } from '../../../src/bgp/testing/test-buffers.js';

const attrs = { origin: 'igp', asPath: [65001, 65002], nextHop: '192.0.2.1', communities: ['65001:100', 7] } as const;

const UPDATES: Record<string, UpdateSpec> = {
  'an empty UPDATE': {},
  'IPv4 withdrawals': { withdrawn: ['10.0.0.0/8', '172.16.0.0/12'] },
  'IPv4 routes of every prefix length class': { nlri: ['10.0.0.0/24', '10.1.0.0/16', '192.0.2.128/25', '0.0.0.0/0', '192.0.2.1/32'], withdrawn: ['172.16.0.0/12'], attrs },
  'MED, LOCAL_PREF, ATOMIC_AGGREGATE, AGGREGATOR': { nlri: ['10.0.0.0/24'], attrs: { ...attrs, med: 5, localPref: 100, atomicAggregate: true, aggregator: { asn: 65001, address: '192.0.2.1' } } },
  '2-octet AS session: AS_TRANS, AS4_PATH, large communities': {
    nlri: ['10.0.0.0/24'],
    attrs: { ...attrs, asPath: [65001, 23456], aggregator: { asn: 4200000000, address: '192.0.2.1' }, as4Path: [65001, 4200000000], largeCommunities: [{ globalAdministrator: 1, localData1: 2, localData2: 3 }] },
    fourOctetAs: false,
  },
  'IPv6 in MP_REACH_NLRI with route reflection': { nlri: ['2001:db8::/32', '2001:db8:1::/48', '::/0'], attrs: { origin: 'igp', asPath: [65001], originatorId: '192.0.2.9', clusterList: ['192.0.2.10', '192.0.2.11'] }, mpNextHop: '2001:db8::1' },
  'IPv6 in MP_UNREACH_NLRI': { withdrawn: ['2001:db8::/32'] },
  'VPNv4 with a route target': { nlri: [vpnPrefix('65000:1', '10.2.0.0/16', 100)], attrs: { origin: 'egp', asPath: [65001], extendedCommunities: [Buffer.from('0002fde900000001', 'hex')] }, mpNextHop: '192.0.2.1' },
  'VPNv6': { nlri: [vpnPrefix('65000:1', '2001:db8::/64', 200)], attrs: { origin: 'incomplete', asPath: [65010] }, mpNextHop: '2001:db8::5' },
  'VPN withdrawals (RFC 8277 §2.4 label)': { withdrawn: [asWithdrawal(vpnPrefix('65001:7', '10.20.0.0/24', 500))] },
  'unknown attributes, one with Extended Length': { nlri: ['10.3.0.0/16'], attrs: { ...attrs, unknown: [{ typeCode: 99, flags: 0xc0, value: Buffer.alloc(20, 3) }, { typeCode: 98, flags: 0xd0, value: Buffer.alloc(3, 3) }] } },
  'an AS_PATH over 255 octets (Extended Length)': { nlri: ['10.3.0.0/16'], attrs: { origin: 'igp', asPath: Array.from({ length: 100 }, (_, i) => 64512 + i), nextHop: '192.0.2.1' } },
  'AS_SET and AS_SEQUENCE segments': { nlri: ['10.3.0.0/16'], attrs: { origin: 'igp', asPath: [{ type: 1, asns: [1, 2] }, { type: 2, asns: [3] }], nextHop: '192.0.2.1' } },
};

describe('the serializer writes the hand-built bytes again', () => {
  it.each(Object.entries(UPDATES))('UPDATE: %s', (_, spec) => {
    // iBGP: LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST are only kept from an internal peer (RFC 7606 §7).
    const options = { fourOctetAs: spec.fourOctetAs ?? true, ebgp: false };
    const bytes = buffers.update(spec);
    const update = decodeUpdate(bytes, options);
    expect(update.verdict).toEqual({ action: 'ok' });
    expect(encodeUpdate(update, options).toString('hex')).toBe(bytes.toString('hex'));
  });

  it.each([
    { asn: 65001 },
    { asn: 4200000001, families: ['ipv4-unicast', 'vpnv6-unicast', 'ipv6-unicast', 'vpnv4-unicast'] as const, enhancedRouteRefresh: true, holdTime: 3, bgpIdentifier: '10.0.0.1' },
    { asn: 65001, families: [] as const, routeRefresh: false, fourOctetAs: false },
    { asn: 65001, extraCapabilities: [{ kind: 'unknown', code: 64, value: Buffer.from([0x40, 0x78]) }] as const },
  ])('OPEN of AS $asn', (spec) => {
    const bytes = buffers.open(spec);
    const open = decodeOpen(bytes);
    expect(open.version).toBe(BGP_VERSION);
    expect(encodeOpen(open).toString('hex')).toBe(bytes.toString('hex'));
  });

  it('KEEPALIVE, NOTIFICATION, ROUTE-REFRESH and End-of-RIB', () => {
    expect(encodeKeepalive()).toEqual(buffers.keepalive());
    const notification = buffers.notification(6, 2, Buffer.from('shutting down'));
    expect(encodeNotification(decodeNotification(notification))).toEqual(notification);
    for (const family of ['ipv4-unicast', 'ipv6-unicast', 'vpnv4-unicast', 'vpnv6-unicast'] as const) {
      const refresh = buffers.routeRefresh(family, 1);
      expect(encodeRouteRefresh(decodeRouteRefresh(refresh))).toEqual(refresh);
      expect(encodeEndOfRib(family)).toEqual(buffers.endOfRib(family));
    }
  });
});
