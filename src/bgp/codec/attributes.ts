/**
 * Path attributes: decoding with RFC 7606 revised error handling, and encoding.
 *
 * RFC 7606 decision table as implemented by decodePathAttributes (and
 * decodeUpdate in parser.ts for the fields around it). "TaW" = treat-as-withdraw.
 *
 * | Case                                                                  | Action (RFC section)            |
 * |-----------------------------------------------------------------------|---------------------------------|
 * | Withdrawn Routes Length / Total Attribute Length exceed the message   | session reset, Malformed Attribute List (§4, RFC 4271 §6.3) |
 * | IPv4 withdrawn routes or NLRI field syntax error                      | session reset, Invalid Network Field (§5.3) |
 * | Fewer than 3 (4 with Extended Length) octets left for an attribute     | TaW, stop parsing attributes (§4) |
 * | Attribute length overruns the Path Attributes field                   | TaW, stop parsing attributes (§4) |
 * | MP_REACH_NLRI or MP_UNREACH_NLRI appears twice                        | session reset, Malformed Attribute List (§3 g) |
 * | Any other attribute appears twice                                     | discard all but the first (§3 g) |
 * | Optional/Transitive flag bits wrong for a known attribute              | the attribute's "malformed" action below (§3 c) |
 * | Unrecognized well-known attribute (Optional bit clear)                | session reset, Unrecognized Well-known Attribute (RFC 4271 §6.3) |
 * | ORIGIN length ≠ 1 or value > 2                                        | TaW (§7.1) |
 * | AS_PATH / malformed segment, zero-length segment, unknown type        | TaW (§7.2) |
 * | AS_PATH with confederation segments from an external peer             | TaW (§7.2) |
 * | NEXT_HOP length ≠ 4                                                   | TaW (§7.3) |
 * | NEXT_HOP in 0.0.0.0/8 or class D/E (not a host, RFC 4271 §6.3); unlike | TaW (§7.3) |
 * |   FRR we accept 127/8: bmpd's own tests peer over loopback           |                                 |
 * | MULTI_EXIT_DISC length ≠ 4                                            | TaW (§7.4) |
 * | LOCAL_PREF from an external peer                                      | attribute discard (§7.5) |
 * | LOCAL_PREF length ≠ 4                                                 | TaW (§7.5) |
 * | ATOMIC_AGGREGATE length ≠ 0                                           | attribute discard (§7.6) |
 * | AGGREGATOR length ≠ 6 (2-octet AS session) or ≠ 8 (4-octet)           | attribute discard (§7.7) |
 * | COMMUNITIES length zero or not a multiple of 4                        | TaW (§7.8) |
 * | ORIGINATOR_ID length ≠ 4                                              | TaW (§7.9) |
 * | CLUSTER_LIST length zero or not a multiple of 4                       | TaW (§7.10) |
 * | MP_REACH/MP_UNREACH malformed (short, next hop length, NLRI syntax)   | session reset, Optional Attribute Error (§7.11, RFC 4760 §7) |
 * | EXTENDED COMMUNITIES length zero or not a multiple of 8               | TaW (§7.14) |
 * | LARGE_COMMUNITIES length zero or not a multiple of 12                 | TaW (RFC 8092 §6) |
 * | AS4_PATH / AS4_AGGREGATOR malformed                                   | attribute discard (RFC 6793 §6) |
 * | AS4_PATH / AS4_AGGREGATOR on a 4-octet AS session                     | attribute discard (RFC 6793 §6) |
 * | Well-known mandatory ORIGIN / AS_PATH missing with NLRI present,      | TaW (§3 d) |
 * |   NEXT_HOP missing with IPv4 NLRI field present                       |                                 |
 * | UPDATE with only MP_UNREACH_NLRI and no other attributes              | ok (§3 j; no mandatory check) |
 */
import type {
  AsPathSegment,
  MpAttribute,
  AsPathSegmentTypeValue,
  DiscardedAttribute,
  LargeCommunity,
  NotificationFields,
  OriginValue,
  PathAttribute,
  Prefix,
} from './messages.js';
import { AttributeFlag, AttributeTypeCode as T, ErrorCode, UpdateMessageSubcode } from './messages.js';
import { addressLengthOf, decodePrefixes, encodedPrefixLength, familyOf, ipv4ToString, NlriSyntaxError, parseIpv4, writePrefix } from './nlri.js';

const OPTIONAL = AttributeFlag.Optional;
const TRANSITIVE = AttributeFlag.Transitive;
const PARTIAL = AttributeFlag.Partial;
const EXTENDED = AttributeFlag.ExtendedLength;

/** Optional and Transitive bits each known attribute must carry (RFC 4271 §5, RFC 4760, RFC 4360, RFC 6793, RFC 8092). */
export const EXPECTED_FLAGS: Readonly<Record<number, number>> = {
  [T.Origin]: TRANSITIVE,
  [T.AsPath]: TRANSITIVE,
  [T.NextHop]: TRANSITIVE,
  [T.MultiExitDisc]: OPTIONAL,
  [T.LocalPref]: TRANSITIVE,
  [T.AtomicAggregate]: TRANSITIVE,
  [T.Aggregator]: OPTIONAL | TRANSITIVE,
  [T.Communities]: OPTIONAL | TRANSITIVE,
  [T.OriginatorId]: OPTIONAL,
  [T.ClusterList]: OPTIONAL,
  [T.MpReachNlri]: OPTIONAL,
  [T.MpUnreachNlri]: OPTIONAL,
  [T.ExtendedCommunities]: OPTIONAL | TRANSITIVE,
  [T.As4Path]: OPTIONAL | TRANSITIVE,
  [T.As4Aggregator]: OPTIONAL | TRANSITIVE,
  [T.LargeCommunities]: OPTIONAL | TRANSITIVE,
};

export type MalformedAction = 'treat-as-withdraw' | 'attribute-discard' | 'session-reset';

/** What a malformed instance of each known attribute leads to (RFC 7606 §7). */
const MALFORMED_ACTION: Readonly<Record<number, MalformedAction>> = {
  [T.Origin]: 'treat-as-withdraw',
  [T.AsPath]: 'treat-as-withdraw',
  [T.NextHop]: 'treat-as-withdraw',
  [T.MultiExitDisc]: 'treat-as-withdraw',
  [T.LocalPref]: 'treat-as-withdraw',
  [T.AtomicAggregate]: 'attribute-discard',
  [T.Aggregator]: 'attribute-discard',
  [T.Communities]: 'treat-as-withdraw',
  [T.OriginatorId]: 'treat-as-withdraw',
  [T.ClusterList]: 'treat-as-withdraw',
  [T.MpReachNlri]: 'session-reset',
  [T.MpUnreachNlri]: 'session-reset',
  [T.ExtendedCommunities]: 'treat-as-withdraw',
  [T.As4Path]: 'attribute-discard',
  [T.As4Aggregator]: 'attribute-discard',
  [T.LargeCommunities]: 'treat-as-withdraw',
};

export interface AttributeDecodeOptions {
  readonly fourOctetAs: boolean;
  readonly ebgp: boolean;
}

/** Outcome of walking the Path Attributes field. */
export interface AttributesDecodeResult {
  readonly attributes: PathAttribute[];
  readonly discarded: DiscardedAttribute[];
  /** First reason for treat-as-withdraw, if any. */
  treatAsWithdraw: string | undefined;
  /** Set when the session must be reset; wins over everything else. */
  sessionReset: { reason: string; notification: NotificationFields } | undefined;
}

class MalformedAttribute extends Error {
  constructor(
    readonly action: MalformedAction,
    message: string,
    readonly subcode: number = UpdateMessageSubcode.OptionalAttributeError,
  ) {
    super(message);
  }
}

function attributeBytes(buf: Buffer, start: number, end: number): Buffer {
  return Buffer.from(buf.subarray(start, end));
}

function decodeSegments(buf: Buffer, start: number, end: number, asnOctets: 2 | 4, allowConfed: boolean): AsPathSegment[] {
  const segments: AsPathSegment[] = [];
  let offset = start;
  while (offset < end) {
    if (offset + 2 > end) throw new Error('AS_PATH underrun: a single octet left');
    const type = buf[offset]!;
    const count = buf[offset + 1]!;
    offset += 2;
    if (type < 1 || type > 4) throw new Error(`AS_PATH segment type ${type} unknown`);
    if (!allowConfed && type > 2) throw new Error('AS_PATH confederation segment from an external peer');
    if (count === 0) throw new Error('AS_PATH segment of length zero');
    if (offset + count * asnOctets > end) throw new Error('AS_PATH segment overruns the attribute');
    const asns: number[] = new Array(count);
    for (let i = 0; i < count; i++) {
      asns[i] = asnOctets === 4 ? buf.readUInt32BE(offset) : buf.readUInt16BE(offset);
      offset += asnOctets;
    }
    segments.push({ type: type as AsPathSegmentTypeValue, asns });
  }
  return segments;
}

function fixedLength(type: string, length: number, expected: number): void {
  if (length !== expected) throw new Error(`${type} length ${length}, expected ${expected}`);
}

function multipleOf(type: string, length: number, unit: number): void {
  if (length === 0 || length % unit !== 0) throw new Error(`${type} length ${length} is not a non-zero multiple of ${unit}`);
}

function decodeMpReach(flags: number, value: Buffer): PathAttribute {
  if (value.length < 5) throw new MalformedAttribute('session-reset', 'MP_REACH_NLRI shorter than 5 octets');
  const afi = value.readUInt16BE(0);
  const safi = value[2]!;
  const nextHopLength = value[3]!;
  if (4 + nextHopLength + 1 > value.length) throw new MalformedAttribute('session-reset', 'MP_REACH_NLRI next hop overruns the attribute');
  const family = familyOf(afi, safi);
  if (family !== undefined) {
    // RFC 4760 §3, RFC 2545 §3 (global + link-local), RFC 4364 §4.3.2 / RFC 4659 §3.2.1 (RD of zeros first).
    const width = addressLengthOf(family);
    const rd = family === 'vpnv4-unicast' || family === 'vpnv6-unicast' ? 8 : 0;
    if (nextHopLength !== rd + width && nextHopLength !== 2 * (rd + width) && !(rd === 0 && width === 4 && nextHopLength === 16)) {
      throw new MalformedAttribute('session-reset', `MP_REACH_NLRI next hop length ${nextHopLength} invalid for ${family}`);
    }
  }
  const nextHop = Buffer.from(value.subarray(4, 4 + nextHopLength));
  // One reserved octet (formerly SNPA count, RFC 4760 §3) follows the next hop.
  const nlriStart = 4 + nextHopLength + 1;
  let nlri: Prefix[] = [];
  if (family !== undefined) {
    try {
      nlri = decodePrefixes(family, value, nlriStart, value.length);
    } catch (error) {
      if (error instanceof NlriSyntaxError) throw new MalformedAttribute('session-reset', `MP_REACH_NLRI: ${error.message}`);
      throw error;
    }
  }
  if (family === undefined) {
    return { kind: 'mp-reach-nlri', flags, afi, safi, nextHop, nlri, undecodedNlri: Buffer.from(value.subarray(nlriStart)) };
  }
  return { kind: 'mp-reach-nlri', flags, afi, safi, nextHop, nlri };
}

function decodeMpUnreach(flags: number, value: Buffer): PathAttribute {
  if (value.length < 3) throw new MalformedAttribute('session-reset', 'MP_UNREACH_NLRI shorter than 3 octets');
  const afi = value.readUInt16BE(0);
  const safi = value[2]!;
  const family = familyOf(afi, safi);
  let withdrawn: Prefix[] = [];
  if (family !== undefined) {
    try {
      withdrawn = decodePrefixes(family, value, 3, value.length, true);
    } catch (error) {
      if (error instanceof NlriSyntaxError) throw new MalformedAttribute('session-reset', `MP_UNREACH_NLRI: ${error.message}`);
      throw error;
    }
  }
  if (family === undefined) return { kind: 'mp-unreach-nlri', flags, afi, safi, withdrawn, undecodedNlri: Buffer.from(value.subarray(3)) };
  return { kind: 'mp-unreach-nlri', flags, afi, safi, withdrawn };
}

/**
 * One known attribute whose value is buf[start, end): read in place, so the attributes of a
 * full table's UPDATEs cost no Buffer view each.
 */
function decodeKnown(typeCode: number, flags: number, buf: Buffer, start: number, end: number, options: AttributeDecodeOptions): PathAttribute | undefined {
  const length = end - start;
  switch (typeCode) {
    case T.Origin:
      fixedLength('ORIGIN', length, 1);
      if (buf[start]! > 2) throw new Error(`ORIGIN value ${buf[start]} undefined`);
      return { kind: 'origin', flags, origin: buf[start] as OriginValue };
    case T.AsPath:
      return { kind: 'as-path', flags, segments: decodeSegments(buf, start, end, options.fourOctetAs ? 4 : 2, !options.ebgp) };
    case T.NextHop: {
      fixedLength('NEXT_HOP', length, 4);
      const address = buf.readUInt32BE(start);
      if (address < 0x01000000 || address >= 0xe0000000) throw new Error(`NEXT_HOP ${ipv4ToString(address)} is not a host address`);
      return { kind: 'next-hop', flags, nextHop: ipv4ToString(address) };
    }
    case T.MultiExitDisc:
      fixedLength('MULTI_EXIT_DISC', length, 4);
      return { kind: 'multi-exit-disc', flags, med: buf.readUInt32BE(start) };
    case T.LocalPref:
      fixedLength('LOCAL_PREF', length, 4);
      return { kind: 'local-pref', flags, localPref: buf.readUInt32BE(start) };
    case T.AtomicAggregate:
      fixedLength('ATOMIC_AGGREGATE', length, 0);
      return { kind: 'atomic-aggregate', flags };
    case T.Aggregator: {
      const asnOctets = options.fourOctetAs ? 4 : 2;
      fixedLength('AGGREGATOR', length, asnOctets + 4);
      const asn = asnOctets === 4 ? buf.readUInt32BE(start) : buf.readUInt16BE(start);
      return { kind: 'aggregator', flags, asn, address: ipv4ToString(buf.readUInt32BE(start + asnOctets)) };
    }
    case T.Communities: {
      multipleOf('COMMUNITIES', length, 4);
      const communities: number[] = [];
      for (let i = start; i < end; i += 4) communities.push(buf.readUInt32BE(i));
      return { kind: 'communities', flags, communities };
    }
    case T.OriginatorId:
      fixedLength('ORIGINATOR_ID', length, 4);
      return { kind: 'originator-id', flags, originatorId: ipv4ToString(buf.readUInt32BE(start)) };
    case T.ClusterList: {
      multipleOf('CLUSTER_LIST', length, 4);
      const clusterIds: string[] = [];
      for (let i = start; i < end; i += 4) clusterIds.push(ipv4ToString(buf.readUInt32BE(i)));
      return { kind: 'cluster-list', flags, clusterIds };
    }
    case T.MpReachNlri:
      return decodeMpReach(flags, buf.subarray(start, end));
    case T.MpUnreachNlri:
      return decodeMpUnreach(flags, buf.subarray(start, end));
    case T.ExtendedCommunities: {
      multipleOf('EXTENDED_COMMUNITIES', length, 8);
      const communities: Buffer[] = [];
      for (let i = start; i < end; i += 8) communities.push(Buffer.from(buf.subarray(i, i + 8)));
      return { kind: 'extended-communities', flags, communities };
    }
    case T.As4Path:
      if (options.fourOctetAs) throw new Error('AS4_PATH received on a 4-octet AS session');
      return { kind: 'as4-path', flags, segments: decodeSegments(buf, start, end, 4, true) };
    case T.As4Aggregator:
      if (options.fourOctetAs) throw new Error('AS4_AGGREGATOR received on a 4-octet AS session');
      fixedLength('AS4_AGGREGATOR', length, 8);
      return { kind: 'as4-aggregator', flags, asn: buf.readUInt32BE(start), address: ipv4ToString(buf.readUInt32BE(start + 4)) };
    case T.LargeCommunities: {
      multipleOf('LARGE_COMMUNITY', length, 12);
      const communities: LargeCommunity[] = [];
      for (let i = start; i < end; i += 12) {
        communities.push({
          globalAdministrator: buf.readUInt32BE(i),
          localData1: buf.readUInt32BE(i + 4),
          localData2: buf.readUInt32BE(i + 8),
        });
      }
      return { kind: 'large-communities', flags, communities };
    }
    default:
      return undefined;
  }
}

/**
 * MP_REACH_NLRI or MP_UNREACH_NLRI decoded on its own, exactly as decodePathAttributes decodes
 * it (flags, next hop, NLRI syntax), or undefined when decodePathAttributes would not accept it:
 * the caller then decodes the whole field to get the exact RFC 7606 outcome.
 */
export function decodeMpAttribute(typeCode: number, flags: number, value: Buffer): MpAttribute | undefined {
  if ((flags & (OPTIONAL | TRANSITIVE)) !== EXPECTED_FLAGS[typeCode] || flags & PARTIAL) return undefined;
  try {
    return (typeCode === T.MpReachNlri ? decodeMpReach(flags, value) : decodeMpUnreach(flags, value)) as MpAttribute;
  } catch (error) {
    if (error instanceof MalformedAttribute) return undefined;
    throw error;
  }
}

/** The attribute as it appeared on the wire (type, length, value): NOTIFICATION data per RFC 4271 §6.3. */
function wireAttribute(buf: Buffer, start: number, end: number): Buffer {
  return attributeBytes(buf, start, end);
}

/**
 * Type codes met so far in the current decodePathAttributes call: the entries equal to that
 * call's mark. One table for every call (a fresh 256-octet typed array per UPDATE was a
 * measurable cost at 20,000 UPDATEs a second); the decoder never re-enters itself.
 */
const seenTypes = new Uint32Array(256);
let seenMark = 0;

function nextSeenMark(): number {
  if (seenMark === 0xffffffff) {
    seenTypes.fill(0);
    seenMark = 0;
  }
  return ++seenMark;
}

/**
 * Walk buf[start, end) (the Path Attributes field) and decode every
 * attribute, applying the RFC 7606 table at the top of this file. MP attributes in `decodedMp`
 * (decoded the same way already) are taken as they are, after the same flag checks.
 */
/** MP_REACH_NLRI / MP_UNREACH_NLRI already decoded by decodeMpAttribute, keyed by where each attribute starts in the field's buffer. */
export type DecodedMpAttributes = ReadonlyMap<number, MpAttribute>;

export function decodePathAttributes(
  buf: Buffer,
  start: number,
  end: number,
  options: AttributeDecodeOptions,
  decodedMp?: DecodedMpAttributes,
): AttributesDecodeResult {
  const result: AttributesDecodeResult = { attributes: [], discarded: [], treatAsWithdraw: undefined, sessionReset: undefined };
  const seen = nextSeenMark();
  let offset = start;
  while (offset < end) {
    const flags = buf[offset]!;
    const headerLength = flags & EXTENDED ? 4 : 3;
    if (offset + headerLength > end) {
      result.treatAsWithdraw ??= 'path attribute header truncated';
      break;
    }
    const typeCode = buf[offset + 1]!;
    const length = flags & EXTENDED ? buf.readUInt16BE(offset + 2) : buf[offset + 2]!;
    const valueStart = offset + headerLength;
    const valueEnd = valueStart + length;
    if (valueEnd > end) {
      result.treatAsWithdraw ??= `attribute ${typeCode} length ${length} overruns the path attributes`;
      break;
    }
    const attributeStart = offset;
    offset = valueEnd;

    if (seenTypes[typeCode] === seen) {
      if (typeCode === T.MpReachNlri || typeCode === T.MpUnreachNlri) {
        result.sessionReset = {
          reason: `attribute ${typeCode} appears twice`,
          notification: { code: ErrorCode.UpdateMessage, subcode: UpdateMessageSubcode.MalformedAttributeList, data: Buffer.alloc(0) },
        };
        return result;
      }
      result.discarded.push({ typeCode, reason: 'duplicate attribute' });
      continue;
    }
    seenTypes[typeCode] = seen;

    const expected = EXPECTED_FLAGS[typeCode];
    if (expected === undefined) {
      if (!(flags & OPTIONAL)) {
        result.sessionReset = {
          reason: `unrecognized well-known attribute ${typeCode}`,
          notification: {
            code: ErrorCode.UpdateMessage,
            subcode: UpdateMessageSubcode.UnrecognizedWellKnownAttribute,
            data: wireAttribute(buf, attributeStart, valueEnd),
          },
        };
        return result;
      }
      result.attributes.push({ kind: 'unknown', flags, typeCode, value: attributeBytes(buf, valueStart, valueEnd) });
      continue;
    }

    const malformedAction = MALFORMED_ACTION[typeCode]!;
    try {
      // RFC 4271 §4.3: Partial is only meaningful on optional transitive attributes.
      if ((flags & (OPTIONAL | TRANSITIVE)) !== expected || (flags & PARTIAL && expected !== (OPTIONAL | TRANSITIVE))) {
        throw new MalformedAttribute(malformedAction, `attribute ${typeCode} flags 0x${flags.toString(16)} wrong`, UpdateMessageSubcode.AttributeFlagsError);
      }
      if (typeCode === T.LocalPref && options.ebgp) {
        result.discarded.push({ typeCode, reason: 'LOCAL_PREF from an external peer' });
        continue;
      }
      const attribute = decodedMp?.get(attributeStart) ?? decodeKnown(typeCode, flags, buf, valueStart, valueEnd, options)!;
      result.attributes.push(attribute);
    } catch (error) {
      const action = error instanceof MalformedAttribute ? error.action : malformedAction;
      const reason = (error as Error).message;
      if (action === 'attribute-discard') {
        result.discarded.push({ typeCode, reason });
      } else if (action === 'treat-as-withdraw') {
        result.treatAsWithdraw ??= reason;
      } else {
        const subcode = error instanceof MalformedAttribute ? error.subcode : UpdateMessageSubcode.OptionalAttributeError;
        result.sessionReset = {
          reason,
          notification: { code: ErrorCode.UpdateMessage, subcode, data: wireAttribute(buf, attributeStart, valueEnd) },
        };
        return result;
      }
    }
  }
  return result;
}

/** Attribute octets with MP_REACH_NLRI / MP_UNREACH_NLRI cut out (they carry NLRI, not path attributes). */
export function withoutMpAttributes(raw: Buffer): Buffer {
  let offset = 0;
  let hasMp = false;
  while (offset < raw.length) {
    const flags = raw[offset]!;
    const type = raw[offset + 1]!;
    const length = flags & 0x10 ? raw.readUInt16BE(offset + 2) : raw[offset + 2]!;
    if (type === T.MpReachNlri || type === T.MpUnreachNlri) hasMp = true;
    offset += (flags & 0x10 ? 4 : 3) + length;
  }
  if (!hasMp) return raw;
  // The common layout (RFC 7606 §5.1: MP_REACH_NLRI first) leaves one run of other attributes: a view, no copy.
  const parts: Buffer[] = [];
  offset = 0;
  while (offset < raw.length) {
    const flags = raw[offset]!;
    const type = raw[offset + 1]!;
    const end = offset + (flags & 0x10 ? 4 : 3) + (flags & 0x10 ? raw.readUInt16BE(offset + 2) : raw[offset + 2]!);
    if (type !== T.MpReachNlri && type !== T.MpUnreachNlri) {
      const last = parts[parts.length - 1];
      // Adjacent attributes extend the run they follow.
      if (last !== undefined && last.byteOffset + last.length === raw.byteOffset + offset) parts[parts.length - 1] = raw.subarray(offset - last.length, end);
      else parts.push(raw.subarray(offset, end));
    }
    offset = end;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

// ---------------------------------------------------------------------------
// Encoding

/** Default flags for an attribute kind when a caller builds one from scratch. */
export function defaultFlags(typeCode: number): number {
  return EXPECTED_FLAGS[typeCode] ?? OPTIONAL | TRANSITIVE;
}

export function typeCodeOf(attribute: PathAttribute): number {
  switch (attribute.kind) {
    case 'origin':
      return T.Origin;
    case 'as-path':
      return T.AsPath;
    case 'next-hop':
      return T.NextHop;
    case 'multi-exit-disc':
      return T.MultiExitDisc;
    case 'local-pref':
      return T.LocalPref;
    case 'atomic-aggregate':
      return T.AtomicAggregate;
    case 'aggregator':
      return T.Aggregator;
    case 'communities':
      return T.Communities;
    case 'originator-id':
      return T.OriginatorId;
    case 'cluster-list':
      return T.ClusterList;
    case 'mp-reach-nlri':
      return T.MpReachNlri;
    case 'mp-unreach-nlri':
      return T.MpUnreachNlri;
    case 'extended-communities':
      return T.ExtendedCommunities;
    case 'as4-path':
      return T.As4Path;
    case 'as4-aggregator':
      return T.As4Aggregator;
    case 'large-communities':
      return T.LargeCommunities;
    case 'unknown':
      return attribute.typeCode;
  }
}

function u32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(value >>> 0);
  return buf;
}

function encodeSegments(segments: readonly AsPathSegment[], asnOctets: 2 | 4): Buffer {
  let length = 0;
  for (const segment of segments) length += 2 + segment.asns.length * asnOctets;
  const buf = Buffer.alloc(length);
  let offset = 0;
  for (const segment of segments) {
    buf[offset++] = segment.type;
    buf[offset++] = segment.asns.length;
    for (const asn of segment.asns) {
      if (asnOctets === 4) offset = buf.writeUInt32BE(asn, offset);
      else offset = buf.writeUInt16BE(asn > 0xffff ? 23456 : asn, offset);
    }
  }
  return buf;
}

function prefixesBuffer(prefixes: readonly Prefix[]): Buffer {
  let length = 0;
  for (const prefix of prefixes) length += encodedPrefixLength(prefix);
  const buf = Buffer.alloc(length);
  let offset = 0;
  for (const prefix of prefixes) offset = writePrefix(buf, offset, prefix);
  return buf;
}

/** The value octets of an attribute. ASNs above 65535 become AS_TRANS on a 2-octet session. */
export function encodeAttributeValue(attribute: PathAttribute, fourOctetAs: boolean): Buffer {
  switch (attribute.kind) {
    case 'origin':
      return Buffer.from([attribute.origin]);
    case 'as-path':
      return encodeSegments(attribute.segments, fourOctetAs ? 4 : 2);
    case 'as4-path':
      return encodeSegments(attribute.segments, 4);
    case 'next-hop':
      return u32(parseIpv4(attribute.nextHop));
    case 'multi-exit-disc':
      return u32(attribute.med);
    case 'local-pref':
      return u32(attribute.localPref);
    case 'atomic-aggregate':
      return Buffer.alloc(0);
    case 'aggregator': {
      const address = u32(parseIpv4(attribute.address));
      if (fourOctetAs) return Buffer.concat([u32(attribute.asn), address]);
      const asn = Buffer.alloc(2);
      asn.writeUInt16BE(attribute.asn > 0xffff ? 23456 : attribute.asn);
      return Buffer.concat([asn, address]);
    }
    case 'as4-aggregator':
      return Buffer.concat([u32(attribute.asn), u32(parseIpv4(attribute.address))]);
    case 'communities':
      return Buffer.concat(attribute.communities.map(u32));
    case 'originator-id':
      return u32(parseIpv4(attribute.originatorId));
    case 'cluster-list':
      return Buffer.concat(attribute.clusterIds.map((id) => u32(parseIpv4(id))));
    case 'extended-communities':
      return Buffer.concat(attribute.communities as Buffer[]);
    case 'large-communities':
      return Buffer.concat(
        attribute.communities.map((c) => Buffer.concat([u32(c.globalAdministrator), u32(c.localData1), u32(c.localData2)])),
      );
    case 'mp-reach-nlri': {
      const head = Buffer.alloc(4);
      head.writeUInt16BE(attribute.afi, 0);
      head[2] = attribute.safi;
      head[3] = attribute.nextHop.length;
      return Buffer.concat([head, attribute.nextHop, Buffer.alloc(1), attribute.undecodedNlri ?? prefixesBuffer(attribute.nlri)]);
    }
    case 'mp-unreach-nlri': {
      const head = Buffer.alloc(3);
      head.writeUInt16BE(attribute.afi, 0);
      head[2] = attribute.safi;
      return Buffer.concat([head, attribute.undecodedNlri ?? prefixesBuffer(attribute.withdrawn)]);
    }
    case 'unknown':
      return attribute.value;
  }
}

/** Attribute header + value. Extended Length is set when the value needs it, kept when the flags ask for it. */
export function encodeAttribute(typeCode: number, flags: number, value: Buffer): Buffer {
  const extended = value.length > 255 || (flags & EXTENDED) !== 0;
  const header = Buffer.alloc(extended ? 4 : 3);
  header[0] = extended ? flags | EXTENDED : flags;
  header[1] = typeCode;
  if (extended) header.writeUInt16BE(value.length, 2);
  else header[2] = value.length;
  return Buffer.concat([header, value]);
}

export function encodePathAttribute(attribute: PathAttribute, fourOctetAs: boolean): Buffer {
  return encodeAttribute(typeCodeOf(attribute), attribute.flags, encodeAttributeValue(attribute, fourOctetAs));
}

export function encodePathAttributes(attributes: readonly PathAttribute[], fourOctetAs: boolean): Buffer {
  return Buffer.concat(attributes.map((attribute) => encodePathAttribute(attribute, fourOctetAs)));
}

/**
 * RFC 4271 §5 / §9.1.4: when an unrecognized optional transitive attribute is
 * passed on to another peer, its Partial bit must be set. Not used for BMP
 * replay, which shows the neighbor's attributes as received.
 */
export function withPartialBit(attribute: PathAttribute): PathAttribute {
  if (attribute.kind !== 'unknown' || (attribute.flags & (OPTIONAL | TRANSITIVE)) !== (OPTIONAL | TRANSITIVE)) return attribute;
  return { ...attribute, flags: attribute.flags | PARTIAL };
}
