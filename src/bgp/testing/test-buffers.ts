/**
 * Wire BGP messages by name, for tests and load generators (after pg-protocol's
 * testing/test-buffers.ts). Every message is written out by hand with a BufferList, octet by
 * octet as RFC 4271 and its extensions lay it out, never through src/bgp/codec's serializer:
 * a serializer bug cannot hide in a fixture made by the serializer itself. Only types come
 * from the codec.
 */
import type { AddressFamily, AsPathSegment, Capability, LargeCommunity, Prefix } from '../codec/messages.js';
import { BufferList, ipv4Octets, ipv6Octets } from './buffer-list.js';

export interface OpenSpec {
  readonly asn: number;
  readonly holdTime?: number;
  readonly bgpIdentifier?: string;
  /** Families for multiprotocol capabilities; default IPv4 unicast. */
  readonly families?: readonly AddressFamily[];
  readonly routeRefresh?: boolean;
  readonly enhancedRouteRefresh?: boolean;
  /** Send the 4-octet AS capability (default true). */
  readonly fourOctetAs?: boolean;
  readonly extraCapabilities?: readonly Capability[];
  readonly version?: number;
}

export interface AttributesSpec {
  readonly origin?: 'igp' | 'egp' | 'incomplete';
  /** A plain list is one AS_SEQUENCE. */
  readonly asPath?: readonly number[] | readonly AsPathSegment[];
  readonly nextHop?: string;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: boolean;
  readonly aggregator?: { readonly asn: number; readonly address: string };
  /** "65000:100" or the 32-bit value. */
  readonly communities?: readonly (string | number)[];
  readonly extendedCommunities?: readonly Buffer[];
  readonly largeCommunities?: readonly LargeCommunity[];
  readonly originatorId?: string;
  readonly clusterList?: readonly string[];
  readonly as4Path?: readonly number[];
  readonly unknown?: readonly { readonly typeCode: number; readonly flags: number; readonly value: Buffer }[];
}

export interface UpdateSpec {
  /** Text prefixes ("10.0.0.0/24", "2001:db8::/32") or Prefix objects (VPN prefixes: nlri.ts vpnPrefix()). */
  readonly nlri?: readonly (string | Prefix)[];
  readonly withdrawn?: readonly (string | Prefix)[];
  readonly attrs?: AttributesSpec;
  /** Next hop for MP_REACH_NLRI (defaults: attrs.nextHop for VPNv4, "::1"-style zero otherwise). */
  readonly mpNextHop?: string;
  readonly fourOctetAs?: boolean;
}

// RFC 4271 §4.3 attribute flags.
const OPTIONAL = 0x80;
const WELL_KNOWN = 0x40; // Transitive
const OPTIONAL_TRANSITIVE = 0xc0;
const EXTENDED_LENGTH = 0x10;
/** RFC 6793 §9. */
const AS_TRANS = 23456;
/** RFC 4760 §6 / RFC 4364 §4.3.4 (SAFI 128). */
const AFI_SAFI: Record<AddressFamily, readonly [afi: number, safi: number]> = {
  'ipv4-unicast': [1, 1],
  'ipv6-unicast': [2, 1],
  'vpnv4-unicast': [1, 128],
  'vpnv6-unicast': [2, 128],
};

/** RFC 4271 §4.1: 16 octets of 0xff, the 2-octet length (header included), the type, the body. */
function message(type: number, body: Buffer): Buffer {
  return new BufferList().bytes(Buffer.alloc(16, 0xff)).u16(19 + body.length).u8(type).bytes(body).join();
}

/** RFC 4271 §4.3 attribute: flags, type code, 1-octet length (2 octets with Extended Length, §4.3 and above 255 octets). */
function attribute(typeCode: number, flags: number, value: BufferList | Buffer | readonly number[]): Buffer {
  const bytes = value instanceof BufferList ? value.join() : Buffer.from(value as Buffer);
  const extended = bytes.length > 255 || (flags & EXTENDED_LENGTH) !== 0;
  const out = new BufferList().u8(extended ? flags | EXTENDED_LENGTH : flags, typeCode);
  return (extended ? out.u16(bytes.length) : out.u8(bytes.length)).bytes(bytes).join();
}

/**
 * AS_PATH / AS4_PATH segments: type, ASN count, the ASNs in 2 or 4 octets (RFC 4271 §4.3, RFC 6793
 * §3); in 2 octets an ASN above 65535 is AS_TRANS (RFC 6793 §4.2.2).
 */
function segments(list: readonly AsPathSegment[], asnOctets: 2 | 4): BufferList {
  const out = new BufferList();
  for (const s of list) {
    out.u8(s.type, s.asns.length);
    for (const asn of s.asns) (asnOctets === 4 ? out.u32(asn) : out.u16(asn > 0xffff ? AS_TRANS : asn));
  }
  return out;
}

function community(value: string | number): number {
  if (typeof value === 'number') return value;
  const [high, low] = value.split(':').map(Number);
  return high! * 0x10000 + low!;
}

function familyOfText(text: string): AddressFamily {
  return text.includes(':') ? 'ipv6-unicast' : 'ipv4-unicast';
}

/** RFC 4271 §4.3 prefix: length in bits, then only the octets it covers; VPN (RFC 8277 §2, RFC 4364 §4.3.4): labels and RD counted in. */
function writePrefix(out: BufferList, prefix: string | Prefix): void {
  if (typeof prefix === 'string') {
    const [address, bits] = prefix.split('/') as [string, string];
    const length = Number(bits);
    const octets = familyOfText(address) === 'ipv6-unicast' ? ipv6Octets(address) : ipv4Octets(address);
    out.u8(length).bytes(octets.slice(0, Math.ceil(length / 8)));
    return;
  }
  const octets = Math.ceil(prefix.length / 8);
  switch (prefix.family) {
    case 'ipv4-unicast': {
      const full = new BufferList().u32(prefix.address).join();
      out.u8(prefix.length).bytes(full.subarray(0, octets));
      return;
    }
    case 'ipv6-unicast':
      out.u8(prefix.length).bytes(prefix.address.subarray(0, octets));
      return;
    case 'vpnv4-unicast':
    case 'vpnv6-unicast':
      out.u8(prefix.labels.length * 24 + 64 + prefix.length);
      for (const label of prefix.labels) out.u24(label);
      out.bytes(prefix.rd).bytes(prefix.address.subarray(0, octets));
      return;
  }
}

function prefixFamily(prefix: string | Prefix): AddressFamily {
  return typeof prefix === 'string' ? familyOfText(prefix) : prefix.family;
}

/** The path attributes an AttributesSpec describes, in RFC 4271 type-code order. */
function pathAttributes(spec: AttributesSpec, fourOctetAs: boolean): Buffer[] {
  const out: Buffer[] = [];
  if (spec.origin !== undefined) out.push(attribute(1, WELL_KNOWN, [{ igp: 0, egp: 1, incomplete: 2 }[spec.origin]]));
  if (spec.asPath !== undefined) {
    const path = spec.asPath;
    const list = path.length > 0 && typeof path[0] === 'number' ? [{ type: 2, asns: path as number[] } as AsPathSegment] : (path as AsPathSegment[]);
    out.push(attribute(2, WELL_KNOWN, segments(list, fourOctetAs ? 4 : 2)));
  }
  // An IPv6 next hop travels only in MP_REACH_NLRI (RFC 4760 §3).
  if (spec.nextHop !== undefined && !spec.nextHop.includes(':')) out.push(attribute(3, WELL_KNOWN, new BufferList().ipv4(spec.nextHop)));
  if (spec.med !== undefined) out.push(attribute(4, OPTIONAL, new BufferList().u32(spec.med)));
  if (spec.localPref !== undefined) out.push(attribute(5, WELL_KNOWN, new BufferList().u32(spec.localPref)));
  if (spec.atomicAggregate) out.push(attribute(6, WELL_KNOWN, []));
  if (spec.aggregator) {
    const { asn, address } = spec.aggregator;
    const value = fourOctetAs ? new BufferList().u32(asn) : new BufferList().u16(asn > 0xffff ? AS_TRANS : asn);
    out.push(attribute(7, OPTIONAL_TRANSITIVE, value.ipv4(address)));
  }
  if (spec.communities) {
    const value = new BufferList();
    for (const c of spec.communities) value.u32(community(c));
    out.push(attribute(8, OPTIONAL_TRANSITIVE, value));
  }
  if (spec.originatorId) out.push(attribute(9, OPTIONAL, new BufferList().ipv4(spec.originatorId)));
  if (spec.clusterList) {
    const value = new BufferList();
    for (const id of spec.clusterList) value.ipv4(id);
    out.push(attribute(10, OPTIONAL, value));
  }
  if (spec.extendedCommunities) out.push(attribute(16, OPTIONAL_TRANSITIVE, Buffer.concat(spec.extendedCommunities)));
  if (spec.as4Path) out.push(attribute(17, OPTIONAL_TRANSITIVE, segments([{ type: 2, asns: spec.as4Path }], 4)));
  if (spec.largeCommunities) {
    const value = new BufferList();
    for (const c of spec.largeCommunities) value.u32(c.globalAdministrator).u32(c.localData1).u32(c.localData2);
    out.push(attribute(32, OPTIONAL_TRANSITIVE, value));
  }
  for (const u of spec.unknown ?? []) out.push(attribute(u.typeCode, u.flags, u.value));
  return out;
}

/** MP_REACH_NLRI's next hop field (RFC 4760 §3): the address; for VPN an RD of zeros first (RFC 4364 §4.3.2). */
function mpNextHop(family: AddressFamily, address: string): BufferList {
  const vpn = family === 'vpnv4-unicast' || family === 'vpnv6-unicast';
  const v6 = family === 'ipv6-unicast' || family === 'vpnv6-unicast';
  if (address.includes(':') !== v6) throw new Error(`next hop ${address} does not fit ${family}`);
  const out = new BufferList();
  if (vpn) out.bytes(Buffer.alloc(8));
  return v6 ? out.ipv6(address) : out.ipv4(address);
}

/** One family's prefixes, checked to be one family (one MP attribute carries one AFI/SAFI). */
function oneFamily(prefixes: readonly (string | Prefix)[], what: string): AddressFamily {
  const family = prefixFamily(prefixes[0]!);
  if (prefixes.some((p) => prefixFamily(p) !== family)) throw new Error(`one ${what} family per UPDATE`);
  return family;
}

/** RFC 4271 §4.3: withdrawn routes and path attributes, each behind its 2-octet length, then NLRI. */
function updateMessage(withdrawn: readonly (string | Prefix)[], attributes: Buffer, nlri: readonly (string | Prefix)[]): Buffer {
  const withdrawnBytes = new BufferList();
  for (const p of withdrawn) writePrefix(withdrawnBytes, p);
  const body = new BufferList().lengthPrefixed(2, withdrawnBytes).lengthPrefixed(2, attributes);
  for (const p of nlri) writePrefix(body, p);
  return message(2, body.join());
}

/** One capability as its own optional parameter (type 2, RFC 5492 §4): code, length, value. */
function capabilityParameter(capability: Capability): Buffer {
  const value = new BufferList();
  let code: number;
  switch (capability.kind) {
    case 'multiprotocol':
      code = 1; // RFC 4760 §8: AFI, reserved, SAFI
      value.u16(capability.afi).u8(0, capability.safi);
      break;
    case 'route-refresh':
      code = 2; // RFC 2918
      break;
    case 'enhanced-route-refresh':
      code = 70; // RFC 7313
      break;
    case 'four-octet-as':
      code = 65; // RFC 6793
      value.u32(capability.asn);
      break;
    case 'unknown':
      code = capability.code;
      value.bytes(capability.value);
      break;
  }
  const tlv = new BufferList().u8(code).lengthPrefixed(1, value);
  return new BufferList().u8(2).lengthPrefixed(1, tlv).join();
}

export const buffers = {
  /** RFC 4271 §4.2: version, My AS (AS_TRANS above 65535), hold time, BGP Identifier, optional parameters. */
  open(spec: OpenSpec): Buffer {
    const capabilities: Capability[] = (spec.families ?? ['ipv4-unicast']).map((f) => ({ kind: 'multiprotocol', afi: AFI_SAFI[f][0], safi: AFI_SAFI[f][1] }));
    if (spec.routeRefresh ?? true) capabilities.push({ kind: 'route-refresh' });
    if (spec.enhancedRouteRefresh) capabilities.push({ kind: 'enhanced-route-refresh' });
    if (spec.fourOctetAs ?? true) capabilities.push({ kind: 'four-octet-as', asn: spec.asn });
    capabilities.push(...(spec.extraCapabilities ?? []));
    const body = new BufferList()
      .u8(spec.version ?? 4)
      .u16(spec.asn > 0xffff ? AS_TRANS : spec.asn)
      .u16(spec.holdTime ?? 90)
      .ipv4(spec.bgpIdentifier ?? '192.0.2.1')
      .lengthPrefixed(1, Buffer.concat(capabilities.map(capabilityParameter)));
    return message(1, body.join());
  },

  /** RFC 4271 §4.4: the header alone. */
  keepalive(): Buffer {
    return message(4, Buffer.alloc(0));
  },

  /** RFC 4271 §4.5. */
  notification(code: number, subcode: number, data: Buffer = Buffer.alloc(0)): Buffer {
    return message(3, new BufferList().u8(code, subcode).bytes(data).join());
  },

  /** RFC 2918 §3 (subtype: RFC 7313 §3.2): AFI, subtype, SAFI. */
  routeRefresh(family: AddressFamily = 'ipv4-unicast', subtype = 0): Buffer {
    return message(5, new BufferList().u16(AFI_SAFI[family][0]).u8(subtype, AFI_SAFI[family][1]).join());
  },

  /** RFC 4724 §2: an empty UPDATE for IPv4 unicast, else an MP_UNREACH_NLRI with AFI/SAFI alone. */
  endOfRib(family: AddressFamily): Buffer {
    if (family === 'ipv4-unicast') return updateMessage([], Buffer.alloc(0), []);
    const [afi, safi] = AFI_SAFI[family];
    return updateMessage([], attribute(15, OPTIONAL, new BufferList().u16(afi).u8(safi)), []);
  },

  /** A valid UPDATE; non-IPv4 prefixes go into MP_REACH_NLRI / MP_UNREACH_NLRI (one family each). */
  update(spec: UpdateSpec = {}): Buffer {
    const nlri = spec.nlri ?? [];
    const withdrawn = spec.withdrawn ?? [];
    const mpNlri = nlri.filter((p) => prefixFamily(p) !== 'ipv4-unicast');
    const mpWithdrawn = withdrawn.filter((p) => prefixFamily(p) !== 'ipv4-unicast');
    const mp: Buffer[] = [];
    if (mpNlri.length > 0) {
      const family = oneFamily(mpNlri, 'MP_REACH_NLRI');
      const [afi, safi] = AFI_SAFI[family];
      const v4 = family === 'ipv4-unicast' || family === 'vpnv4-unicast';
      const nextHop = mpNextHop(family, spec.mpNextHop ?? spec.attrs?.nextHop ?? (v4 ? '0.0.0.0' : '::'));
      // RFC 4760 §3: AFI, SAFI, next hop length and next hop, one reserved octet, NLRI.
      const value = new BufferList().u16(afi).u8(safi).lengthPrefixed(1, nextHop).u8(0);
      for (const p of mpNlri) writePrefix(value, p);
      mp.push(attribute(14, OPTIONAL, value));
    }
    if (mpWithdrawn.length > 0) {
      const family = oneFamily(mpWithdrawn, 'MP_UNREACH_NLRI');
      const [afi, safi] = AFI_SAFI[family];
      const value = new BufferList().u16(afi).u8(safi);
      for (const p of mpWithdrawn) writePrefix(value, p);
      mp.push(attribute(15, OPTIONAL, value));
    }
    // RFC 7606 §5.1: MP_REACH/MP_UNREACH first, so a receiver finds the NLRI early.
    const attrs = Buffer.concat([...mp, ...pathAttributes(spec.attrs ?? {}, spec.fourOctetAs ?? true)]);
    return updateMessage(
      withdrawn.filter((p) => prefixFamily(p) === 'ipv4-unicast'),
      attrs,
      nlri.filter((p) => prefixFamily(p) === 'ipv4-unicast'),
    );
  },

  /** One raw path attribute (for malformed UPDATEs): flags, type, value as given. */
  attribute(typeCode: number, flags: number, value: Buffer | readonly number[]): Buffer {
    return attribute(typeCode, flags, value);
  },

  /** An UPDATE around hand-made path attribute bytes. */
  updateWithRawAttributes(pathAttributeBytes: Buffer | readonly Buffer[], nlri: readonly string[] = [], withdrawn: readonly string[] = []): Buffer {
    const raw = Buffer.isBuffer(pathAttributeBytes) ? pathAttributeBytes : Buffer.concat(pathAttributeBytes as Buffer[]);
    return updateMessage(withdrawn, raw, nlri);
  },

  /** ORIGIN IGP, AS_PATH [asn], NEXT_HOP as raw bytes: the well-known mandatory set for hand-made UPDATEs. */
  mandatoryAttributes(asn = 65001, nextHop = '192.0.2.1'): Buffer[] {
    return [
      attribute(1, WELL_KNOWN, [0]),
      attribute(2, WELL_KNOWN, new BufferList().u8(2, 1).u32(asn)),
      attribute(3, WELL_KNOWN, new BufferList().ipv4(nextHop)),
    ];
  },

  /** Header with any marker byte, length and type, then `body`. */
  rawMessage(type: number, body: Buffer = Buffer.alloc(0), options: { length?: number; marker?: number } = {}): Buffer {
    return new BufferList()
      .bytes(Buffer.alloc(16, options.marker ?? 0xff))
      .u16(options.length ?? 19 + body.length)
      .u8(type)
      .bytes(body)
      .join();
  },
};
