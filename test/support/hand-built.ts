// BGP and BMP messages written out octet by octet from the RFCs, independent of bmpd's
// serializer: the parser is checked against them, the serializer must reproduce them, and
// tshark's dissectors must read them as their comments say (hand-built-tshark.test.ts).
// Addresses are documentation ranges (RFC 5737, RFC 3849); nothing is sent anywhere.

/** Hex text (spaces and newlines ignored) to bytes. */
export function hex(...parts: string[]): Buffer {
  return Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
}

const MARKER = 'ff'.repeat(16);

/** A BGP message: RFC 4271 §4.1 header (marker, 2-octet length, type) around `body`. */
function bgpMessage(type: number, body: Buffer): Buffer {
  const length = 19 + body.length;
  return Buffer.concat([hex(MARKER, length.toString(16).padStart(4, '0'), type.toString(16).padStart(2, '0')), body]);
}

/** An UPDATE (RFC 4271 §4.3): no withdrawn routes, the given path attributes and NLRI. */
function update(attributes: string, nlri = ''): Buffer {
  const attrs = hex(attributes);
  return bgpMessage(2, Buffer.concat([hex('0000', attrs.length.toString(16).padStart(4, '0')), attrs, hex(nlri)]));
}

/**
 * A route as a route reflector passes it on (iBGP, 4-octet ASNs): 10.1.0.0/16 with
 * ATOMIC_AGGREGATE (RFC 4271 §5.1.6), ORIGINATOR_ID 192.0.2.9 and CLUSTER_LIST
 * 198.51.100.1 198.51.100.2 (RFC 4456 §8).
 */
export const REFLECTED_UPDATE = update(
  [
    '40 01 01 00', //                                  ORIGIN IGP
    '40 02 0a 02 02 0000fde9 0000fdea', //             AS_PATH AS_SEQUENCE 65001 65002
    '40 03 04 c0000201', //                            NEXT_HOP 192.0.2.1
    '40 05 04 00000064', //                            LOCAL_PREF 100
    '40 06 00', //                                     ATOMIC_AGGREGATE (well-known discretionary, empty)
    '80 09 04 c0000209', //                            ORIGINATOR_ID 192.0.2.9 (optional non-transitive)
    '80 0a 08 c6336401 c6336402', //                   CLUSTER_LIST 198.51.100.1 198.51.100.2
  ].join(''),
  '10 0a01', //                                        NLRI 10.1.0.0/16
);

/** The 70 ASNs of EXTENDED_LENGTH_UPDATE's AS_PATH: 65001 to 65070. */
export const LONG_AS_PATH = Array.from({ length: 70 }, (_, i) => 65001 + i);

/**
 * The Extended Length flag (RFC 4271 §4.3, 0x10: a 2-octet length): on an AS_PATH whose value
 * (2 + 70 × 4 = 282 octets) needs it, and on a 4-octet COMMUNITIES value that does not, as a
 * speaker may send it. 10.2.0.0/24.
 */
export const EXTENDED_LENGTH_UPDATE = update(
  [
    '40 01 01 00', //                                  ORIGIN IGP
    '50 02 011a 02 46', //                             AS_PATH, Extended Length: 282 octets, AS_SEQUENCE of 70
    LONG_AS_PATH.map((asn) => asn.toString(16).padStart(8, '0')).join(''),
    '40 03 04 c0000201', //                            NEXT_HOP 192.0.2.1
    'd0 08 0004 fde90064', //                          COMMUNITIES, Extended Length: 4 octets, 65001:100
  ].join(''),
  '18 0a0200', //                                      NLRI 10.2.0.0/24
);

/**
 * VPNv4 (RFC 4364 §4.3.4, RFC 4760 §3): MP_REACH_NLRI AFI 1 SAFI 128, next hop RD 0:0 +
 * 192.0.2.1, one route 10.7.0.0/24 in RD 65000:7 (type 0) with label 1000 (bottom of stack),
 * route target 65001:100.
 */
export const VPNV4_UPDATE = update(
  [
    '40 01 01 00', //                                  ORIGIN IGP
    '40 02 06 02 01 0000fde9', //                      AS_PATH AS_SEQUENCE 65001
    '80 0e 20', //                                     MP_REACH_NLRI, 32 octets
    '0001 80', //                                      AFI 1 (IPv4), SAFI 128 (MPLS-labeled VPN)
    '0c 0000000000000000 c0000201', //                 next hop: 12 octets, RD 0:0 + 192.0.2.1
    '00', //                                           reserved
    '70 003e81 0000fde800000007 0a0700', //            112 bits: label 1000 + S, RD 0:65000:7, 10.7.0.0/24
    'c0 10 08 0002fde900000064', //                    EXTENDED_COMMUNITIES route target 65001:100
  ].join(''),
);

/** The per-peer header (RFC 7854 §4.2) of a global IPv6 peer 2001:db8::1, AS 65001, BGP ID 192.0.2.1. */
const IPV6_PEER_HEADER = [
  '00', //                                             peer type 0 (global instance)
  '80', //                                             flags: V (IPv6)
  '0000000000000000', //                               peer distinguisher
  '20010db8000000000000000000000001', //               peer address 2001:db8::1
  '0000fde9', //                                       peer AS 65001
  'c0000201', //                                       peer BGP ID 192.0.2.1
  '6553f100 0007a120', //                              timestamp 1700000000 s, 500000 µs
].join('');

/** A BMP message (RFC 7854 §4.1): version 3, 4-octet length, type, then `body`. */
function bmpMessage(type: number, body: Buffer): Buffer {
  return Buffer.concat([hex('03', (6 + body.length).toString(16).padStart(8, '0'), type.toString(16).padStart(2, '0')), body]);
}

/** Route Monitoring (type 0) from the IPv6 peer, carrying REFLECTED_UPDATE. */
export const IPV6_ROUTE_MONITORING = bmpMessage(0, Buffer.concat([hex(IPV6_PEER_HEADER), REFLECTED_UPDATE]));

/** OPEN (RFC 4271 §4.2) without optional parameters: version 4, AS, hold time 180, BGP ID. */
function open(asn: string, bgpId: string): Buffer {
  return bgpMessage(1, hex('04', asn, '00b4', bgpId, '00'));
}

/** Peer Up (type 3, RFC 7854 §4.10) of the IPv6 peer: local 2001:db8::2 port 179, remote port 40000. */
export const IPV6_PEER_UP = bmpMessage(3, Buffer.concat([
  hex(IPV6_PEER_HEADER),
  hex('20010db8000000000000000000000002'), //          local address 2001:db8::2
  hex('00b3 9c40'), //                                 local port 179, remote port 40000
  open('fdea', 'c0000202'), //                         sent OPEN: AS 65002, BGP ID 192.0.2.2
  open('fde9', 'c0000201'), //                         received OPEN: AS 65001, BGP ID 192.0.2.1
]));
