/**
 * Wire BGP messages by name, for tests and load generators (after
 * pg-protocol's testing/test-buffers.ts). Valid messages go through the real
 * serializer; the malformed ones are built by hand next to it.
 */
import type {
  AddressFamily,
  AsPathSegment,
  Capability,
  Ipv4Prefix,
  LargeCommunity,
  PathAttribute,
  Prefix,
} from '../codec/messages.js';
import { AttributeFlag, AttributeTypeCode, BGP_VERSION } from '../codec/messages.js';
import { encodeAttribute } from '../codec/attributes.js';
import { addressLengthOf, afiSafiOf, ipv4Prefix, ipv4ToBuffer, ipv6Prefix, parseIpv6 } from '../codec/nlri.js';
import {
  encodeEndOfRib,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  encodeRouteRefresh,
  encodeUpdate,
  encodeUpdateFromParts,
} from '../codec/serializer.js';

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

const WELL_KNOWN = AttributeFlag.Transitive;
const OPTIONAL_TRANSITIVE = AttributeFlag.Optional | AttributeFlag.Transitive;
const OPTIONAL = AttributeFlag.Optional;

function toPrefix(value: string | Prefix): Prefix {
  if (typeof value !== 'string') return value;
  return value.includes(':') ? ipv6Prefix(value) : ipv4Prefix(value);
}

function isIpv4(prefix: Prefix): prefix is Ipv4Prefix {
  return prefix.family === 'ipv4-unicast';
}

function community(value: string | number): number {
  if (typeof value === 'number') return value;
  const [high, low] = value.split(':').map(Number);
  return ((high! << 16) | low!) >>> 0;
}

/** The attribute list an AttributesSpec describes, in RFC 4271 type-code order. */
export function attributes(spec: AttributesSpec): PathAttribute[] {
  const out: PathAttribute[] = [];
  if (spec.origin !== undefined) out.push({ kind: 'origin', flags: WELL_KNOWN, origin: ({ igp: 0, egp: 1, incomplete: 2 } as const)[spec.origin] });
  if (spec.asPath !== undefined) {
    const path = spec.asPath;
    const segments: AsPathSegment[] =
      path.length > 0 && typeof path[0] === 'number' ? [{ type: 2, asns: path as number[] }] : (path as AsPathSegment[]);
    out.push({ kind: 'as-path', flags: WELL_KNOWN, segments });
  }
  if (spec.nextHop !== undefined && !spec.nextHop.includes(':')) out.push({ kind: 'next-hop', flags: WELL_KNOWN, nextHop: spec.nextHop });
  if (spec.med !== undefined) out.push({ kind: 'multi-exit-disc', flags: OPTIONAL, med: spec.med });
  if (spec.localPref !== undefined) out.push({ kind: 'local-pref', flags: WELL_KNOWN, localPref: spec.localPref });
  if (spec.atomicAggregate) out.push({ kind: 'atomic-aggregate', flags: WELL_KNOWN });
  if (spec.aggregator) out.push({ kind: 'aggregator', flags: OPTIONAL_TRANSITIVE, ...spec.aggregator });
  if (spec.communities) out.push({ kind: 'communities', flags: OPTIONAL_TRANSITIVE, communities: spec.communities.map(community) });
  if (spec.originatorId) out.push({ kind: 'originator-id', flags: OPTIONAL, originatorId: spec.originatorId });
  if (spec.clusterList) out.push({ kind: 'cluster-list', flags: OPTIONAL, clusterIds: spec.clusterList });
  if (spec.extendedCommunities) out.push({ kind: 'extended-communities', flags: OPTIONAL_TRANSITIVE, communities: spec.extendedCommunities });
  if (spec.as4Path) out.push({ kind: 'as4-path', flags: OPTIONAL_TRANSITIVE, segments: [{ type: 2, asns: spec.as4Path }] });
  if (spec.largeCommunities) out.push({ kind: 'large-communities', flags: OPTIONAL_TRANSITIVE, communities: spec.largeCommunities });
  for (const unknown of spec.unknown ?? []) out.push({ kind: 'unknown', ...unknown });
  return out;
}

/** MP_REACH_NLRI next hop field for a family (RFC 4760 §3; RD of zeros for VPN, RFC 4364 §4.3.2). */
export function mpNextHop(family: AddressFamily, address: string): Buffer {
  const ip = address.includes(':') ? parseIpv6(address) : ipv4ToBuffer(address);
  const vpn = family === 'vpnv4-unicast' || family === 'vpnv6-unicast';
  if (ip.length !== addressLengthOf(family)) throw new Error(`next hop ${address} does not fit ${family}`);
  return vpn ? Buffer.concat([Buffer.alloc(8), ip]) : ip;
}

export const buffers = {
  open(spec: OpenSpec): Buffer {
    const capabilities: Capability[] = (spec.families ?? ['ipv4-unicast']).map((family) => ({ kind: 'multiprotocol', ...afiSafiOf(family) }));
    if (spec.routeRefresh ?? true) capabilities.push({ kind: 'route-refresh' });
    if (spec.enhancedRouteRefresh) capabilities.push({ kind: 'enhanced-route-refresh' });
    if (spec.fourOctetAs ?? true) capabilities.push({ kind: 'four-octet-as', asn: spec.asn });
    capabilities.push(...(spec.extraCapabilities ?? []));
    return encodeOpen({
      version: spec.version ?? BGP_VERSION,
      myAs: spec.asn,
      holdTime: spec.holdTime ?? 90,
      bgpIdentifier: spec.bgpIdentifier ?? '192.0.2.1',
      capabilities,
    });
  },

  keepalive: encodeKeepalive,

  notification(code: number, subcode: number, data: Buffer = Buffer.alloc(0)): Buffer {
    return encodeNotification({ code, subcode, data });
  },

  routeRefresh(family: AddressFamily = 'ipv4-unicast', subtype = 0): Buffer {
    return encodeRouteRefresh({ ...afiSafiOf(family), subtype });
  },

  endOfRib: encodeEndOfRib,

  /** A valid UPDATE; non-IPv4 prefixes go into MP_REACH_NLRI / MP_UNREACH_NLRI (one family each). */
  update(spec: UpdateSpec = {}): Buffer {
    const nlri = (spec.nlri ?? []).map(toPrefix);
    const withdrawn = (spec.withdrawn ?? []).map(toPrefix);
    const attrs = attributes(spec.attrs ?? {});
    const mpNlri = nlri.filter((p) => p.family !== 'ipv4-unicast');
    const mpWithdrawn = withdrawn.filter((p) => p.family !== 'ipv4-unicast');
    const mp: PathAttribute[] = [];
    if (mpNlri.length > 0) {
      const family = mpNlri[0]!.family;
      if (mpNlri.some((p) => p.family !== family)) throw new Error('one MP_REACH_NLRI family per UPDATE');
      const address = spec.mpNextHop ?? spec.attrs?.nextHop ?? (addressLengthOf(family) === 4 ? '0.0.0.0' : '::');
      mp.push({ kind: 'mp-reach-nlri', flags: OPTIONAL, ...afiSafiOf(family), nextHop: mpNextHop(family, address), nlri: mpNlri });
    }
    if (mpWithdrawn.length > 0) {
      const family = mpWithdrawn[0]!.family;
      if (mpWithdrawn.some((p) => p.family !== family)) throw new Error('one MP_UNREACH_NLRI family per UPDATE');
      mp.push({ kind: 'mp-unreach-nlri', flags: OPTIONAL, ...afiSafiOf(family), withdrawn: mpWithdrawn });
    }
    return encodeUpdate(
      {
        withdrawnRoutes: withdrawn.filter(isIpv4),
        // RFC 7606 §5.1: MP_REACH/MP_UNREACH first, so a receiver finds the NLRI early.
        attributes: [...mp, ...attrs],
        nlri: nlri.filter(isIpv4),
      },
      { fourOctetAs: spec.fourOctetAs ?? true },
    );
  },

  /** One raw path attribute (for malformed UPDATEs): flags, type, value as given. */
  attribute(typeCode: number, flags: number, value: Buffer | readonly number[]): Buffer {
    return encodeAttribute(typeCode, flags, Buffer.from(value as Buffer));
  },

  /** An UPDATE around hand-made path attribute bytes. */
  updateWithRawAttributes(pathAttributes: Buffer | readonly Buffer[], nlri: readonly string[] = [], withdrawn: readonly string[] = []): Buffer {
    const raw = Buffer.isBuffer(pathAttributes) ? pathAttributes : Buffer.concat(pathAttributes as Buffer[]);
    return encodeUpdateFromParts(withdrawn.map(ipv4Prefix), raw, nlri.map(ipv4Prefix));
  },

  /** ORIGIN IGP, AS_PATH [asn], NEXT_HOP as raw bytes: the well-known mandatory set for hand-made UPDATEs. */
  mandatoryAttributes(asn = 65001, nextHop = '192.0.2.1'): Buffer[] {
    const asPath = Buffer.alloc(6);
    asPath[0] = 2;
    asPath[1] = 1;
    asPath.writeUInt32BE(asn, 2);
    return [
      encodeAttribute(AttributeTypeCode.Origin, WELL_KNOWN, Buffer.from([0])),
      encodeAttribute(AttributeTypeCode.AsPath, WELL_KNOWN, asPath),
      encodeAttribute(AttributeTypeCode.NextHop, WELL_KNOWN, ipv4ToBuffer(nextHop)),
    ];
  },

  /** Header with any marker byte, length and type, then `body`. */
  rawMessage(type: number, body: Buffer = Buffer.alloc(0), options: { length?: number; marker?: number } = {}): Buffer {
    const header = Buffer.alloc(19, options.marker ?? 0xff);
    header.writeUInt16BE(options.length ?? 19 + body.length, 16);
    header[18] = type;
    return Buffer.concat([header, body]);
  },
};
