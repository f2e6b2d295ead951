/**
 * Bytes → typed BGP messages. BgpMessageReader cuts a TCP byte stream into
 * messages (RFC 4271 §4.1, §6.1); the decode* functions are pure.
 *
 * Slice lifetime: every `raw` (and `pathAttributesRaw`) is a view into the
 * chunk passed to push() — or, when a message spans chunks, into a buffer
 * the reader assembled for it. The reader never writes into either after
 * handing a message out, so a view stays valid as long as it is referenced;
 * but it keeps the whole underlying chunk alive. Keep a view only as long as
 * the message is in flight (e.g. queued for BMP Route Monitoring); copy with
 * Buffer.from() before storing anything long-lived.
 */
import type {
  AddressFamily,
  AfiSafi,
  MpAttribute,
  MpReachAttribute,
  MpUnreachAttribute,
  BgpFrame,
  BgpMessage,
  Capability,
  Ipv4Prefix,
  KeepaliveMessage,
  MessageTypeCode,
  NotificationMessage,
  OpenMessage,
  PathAttribute,
  RouteRefreshMessage,
  SessionCodecOptions,
  UpdateMessage,
  UpdateVerdict,
} from './messages.js';
import {
  BGP_HEADER_LENGTH,
  BGP_MARKER_LENGTH,
  BGP_MAX_MESSAGE_LENGTH,
  BGP_VERSION,
  BgpProtocolError,
  CapabilityCode,
  ErrorCode,
  MessageHeaderSubcode,
  MessageType,
  OpenMessageSubcode,
  OptionalParameterType,
  RouteRefreshMessageSubcode,
  AttributeFlag,
  AttributeTypeCode,
  UpdateMessageSubcode,
} from './messages.js';
import { decodeMpAttribute, decodePathAttributes, withoutMpAttributes, type DecodedMpAttributes } from './attributes.js';
import { checkIpv4Prefixes, decodeIpv4Prefixes, familyOf, ipv4ToString, NlriSyntaxError } from './nlri.js';

/** RFC 4271 §4: smallest legal message of each type (ROUTE-REFRESH length errors are RFC 7313's own). */
const MINIMUM_LENGTH: Readonly<Record<number, number>> = {
  [MessageType.Open]: 29,
  [MessageType.Update]: 23,
  [MessageType.Notification]: 21,
  [MessageType.Keepalive]: 19,
  [MessageType.RouteRefresh]: 19,
};

export interface BgpMessageReaderOptions {
  /** 4096 unless RFC 8654 extended messages were negotiated. */
  readonly maxMessageLength?: number;
}

function lengthData(length: number): Buffer {
  const data = Buffer.alloc(2);
  data.writeUInt16BE(length);
  return data;
}

/**
 * Check the 19-octet header at buf[offset]; returns the message length.
 * Throws the Message Header Error of RFC 4271 §6.1.
 */
export function checkHeader(buf: Buffer, offset: number, maxMessageLength: number = BGP_MAX_MESSAGE_LENGTH): number {
  if (buf.length - offset < BGP_HEADER_LENGTH) {
    throw new BgpProtocolError('message shorter than its header', ErrorCode.MessageHeader, MessageHeaderSubcode.BadMessageLength, lengthData(buf.length - offset));
  }
  for (let i = 0; i < BGP_MARKER_LENGTH; i++) {
    if (buf[offset + i] !== 0xff) {
      throw new BgpProtocolError('message marker is not all ones', ErrorCode.MessageHeader, MessageHeaderSubcode.ConnectionNotSynchronized);
    }
  }
  const length = buf.readUInt16BE(offset + 16);
  const type = buf[offset + 18]!;
  if (length < BGP_HEADER_LENGTH || length > maxMessageLength) {
    throw new BgpProtocolError(`message length ${length} outside ${BGP_HEADER_LENGTH}..${maxMessageLength}`, ErrorCode.MessageHeader, MessageHeaderSubcode.BadMessageLength, lengthData(length));
  }
  const minimum = MINIMUM_LENGTH[type];
  if (minimum === undefined) {
    throw new BgpProtocolError(`message type ${type} unknown`, ErrorCode.MessageHeader, MessageHeaderSubcode.BadMessageType, Buffer.from([type]));
  }
  if (length < minimum || (type === MessageType.Keepalive && length !== BGP_HEADER_LENGTH)) {
    throw new BgpProtocolError(`message length ${length} wrong for type ${type}`, ErrorCode.MessageHeader, MessageHeaderSubcode.BadMessageLength, lengthData(length));
  }
  return length;
}

/**
 * Cuts a byte stream into whole BGP messages. After push() throws, the
 * stream is out of sync and the reader must not be used again: send the
 * error's NOTIFICATION and close the connection.
 */
export class BgpMessageReader {
  private pending: Buffer | undefined;
  private maxMessageLength: number;
  private failed = false;

  constructor(options: BgpMessageReaderOptions = {}) {
    this.maxMessageLength = options.maxMessageLength ?? BGP_MAX_MESSAGE_LENGTH;
  }

  setMaxMessageLength(length: number): void {
    this.maxMessageLength = length;
  }

  /** Octets held waiting for the rest of a message. */
  get bufferedLength(): number {
    return this.pending?.length ?? 0;
  }

  /** Append a chunk; return every message it completes. Throws BgpProtocolError on a header error. */
  push(chunk: Buffer): BgpFrame[] {
    if (this.failed) throw new Error('BgpMessageReader used after a header error');
    // Concatenate only when a message straddles reads; the common case slices the chunk itself.
    const buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    const frames: BgpFrame[] = [];
    let offset = 0;
    try {
      while (buf.length - offset >= BGP_HEADER_LENGTH) {
        const length = checkHeader(buf, offset, this.maxMessageLength);
        if (buf.length - offset < length) break;
        frames.push({ type: buf[offset + 18] as MessageTypeCode, raw: buf.subarray(offset, offset + length) });
        offset += length;
      }
    } catch (error) {
      this.failed = true;
      throw error;
    }
    if (offset < buf.length) this.pending = Buffer.from(buf.subarray(offset));
    return frames;
  }
}

/**
 * Decode a framed message. UPDATE never throws: its errors are in
 * `verdict` (RFC 7606). The other types throw BgpProtocolError.
 */
export function decodeMessage(frame: BgpFrame, options: SessionCodecOptions): BgpMessage {
  switch (frame.type) {
    case MessageType.Open:
      return decodeOpen(frame.raw);
    case MessageType.Update:
      return decodeUpdate(frame.raw, options);
    case MessageType.Notification:
      return decodeNotification(frame.raw);
    case MessageType.Keepalive:
      return decodeKeepalive(frame.raw);
    case MessageType.RouteRefresh:
      return decodeRouteRefresh(frame.raw);
  }
}

function openError(message: string, subcode: number, data?: Buffer): BgpProtocolError {
  return new BgpProtocolError(message, ErrorCode.OpenMessage, subcode, data);
}

function decodeCapabilities(raw: Buffer, start: number, end: number, out: Capability[]): void {
  let offset = start;
  while (offset < end) {
    if (offset + 2 > end) throw openError('capability header truncated', 0);
    const code = raw[offset]!;
    const length = raw[offset + 1]!;
    const valueStart = offset + 2;
    offset = valueStart + length;
    if (offset > end) throw openError(`capability ${code} overruns its parameter`, 0);
    switch (code) {
      case CapabilityCode.Multiprotocol:
        if (length !== 4) throw openError(`multiprotocol capability length ${length}`, 0);
        out.push({ kind: 'multiprotocol', afi: raw.readUInt16BE(valueStart), safi: raw[valueStart + 3]! });
        break;
      case CapabilityCode.RouteRefresh:
        if (length !== 0) throw openError(`route refresh capability length ${length}`, 0);
        out.push({ kind: 'route-refresh' });
        break;
      case CapabilityCode.EnhancedRouteRefresh:
        if (length !== 0) throw openError(`enhanced route refresh capability length ${length}`, 0);
        out.push({ kind: 'enhanced-route-refresh' });
        break;
      case CapabilityCode.FourOctetAs: {
        if (length !== 4) throw openError(`4-octet AS capability length ${length}`, 0);
        const asn = raw.readUInt32BE(valueStart);
        // RFC 7607: AS 0 is never valid.
        if (asn === 0) throw openError('4-octet AS capability carries AS 0', OpenMessageSubcode.BadPeerAs);
        out.push({ kind: 'four-octet-as', asn });
        break;
      }
      default:
        out.push({ kind: 'unknown', code, value: Buffer.from(raw.subarray(valueStart, offset)) });
    }
  }
}

/** RFC 4271 §4.2, §6.2; RFC 5492 §4. */
export function decodeOpen(raw: Buffer): OpenMessage {
  const length = checkHeader(raw, 0, raw.length);
  if (length !== raw.length || length < MINIMUM_LENGTH[MessageType.Open]!) {
    throw new BgpProtocolError('OPEN length inconsistent', ErrorCode.MessageHeader, MessageHeaderSubcode.BadMessageLength, lengthData(raw.length));
  }
  const version = raw[19]!;
  if (version !== BGP_VERSION) throw openError(`BGP version ${version} unsupported`, OpenMessageSubcode.UnsupportedVersionNumber, lengthData(BGP_VERSION));
  const myAs = raw.readUInt16BE(20);
  if (myAs === 0) throw openError('peer AS 0', OpenMessageSubcode.BadPeerAs, raw.subarray(20, 22));
  const holdTime = raw.readUInt16BE(22);
  if (holdTime === 1 || holdTime === 2) throw openError(`hold time ${holdTime} unacceptable`, OpenMessageSubcode.UnacceptableHoldTime);
  const identifier = raw.readUInt32BE(24);
  if (identifier === 0) throw openError('BGP identifier 0.0.0.0', OpenMessageSubcode.BadBgpIdentifier);
  const parametersLength = raw[28]!;
  if (29 + parametersLength !== length) throw openError('optional parameters length inconsistent with message length', 0);
  const capabilities: Capability[] = [];
  let offset = 29;
  while (offset < length) {
    if (offset + 2 > length) throw openError('optional parameter header truncated', 0);
    const type = raw[offset]!;
    const parameterLength = raw[offset + 1]!;
    const valueStart = offset + 2;
    offset = valueStart + parameterLength;
    if (offset > length) throw openError(`optional parameter ${type} overruns the message`, 0);
    if (type !== OptionalParameterType.Capabilities) {
      throw openError(`optional parameter ${type} unsupported`, OpenMessageSubcode.UnsupportedOptionalParameter);
    }
    decodeCapabilities(raw, valueStart, offset, capabilities);
  }
  const fourOctet = capabilities.find((c) => c.kind === 'four-octet-as');
  const asn = fourOctet?.kind === 'four-octet-as' ? fourOctet.asn : myAs;
  return {
    type: 'open',
    raw,
    version,
    myAs,
    holdTime,
    bgpIdentifier: ipv4ToString(identifier),
    capabilities,
    asn,
  };
}

/** RFC 4271 §4.5. */
export function decodeNotification(raw: Buffer): NotificationMessage {
  const length = checkHeader(raw, 0, raw.length);
  if (length !== raw.length) {
    throw new BgpProtocolError('NOTIFICATION length inconsistent', ErrorCode.MessageHeader, MessageHeaderSubcode.BadMessageLength, lengthData(raw.length));
  }
  return { type: 'notification', raw, code: raw[19]!, subcode: raw[20]!, data: raw.subarray(21) };
}

/** RFC 4271 §4.4. */
export function decodeKeepalive(raw: Buffer): KeepaliveMessage {
  const length = checkHeader(raw, 0, raw.length);
  if (length !== raw.length) {
    throw new BgpProtocolError('KEEPALIVE length inconsistent', ErrorCode.MessageHeader, MessageHeaderSubcode.BadMessageLength, lengthData(raw.length));
  }
  return { type: 'keepalive', raw };
}

/** RFC 2918 §3, RFC 7313 §3, §5 (the NOTIFICATION data is the whole offending message). */
export function decodeRouteRefresh(raw: Buffer): RouteRefreshMessage {
  checkHeader(raw, 0, Math.max(raw.length, BGP_HEADER_LENGTH));
  if (raw.length !== 23 || raw.readUInt16BE(16) !== 23) {
    throw new BgpProtocolError('ROUTE-REFRESH length is not 23', ErrorCode.RouteRefreshMessage, RouteRefreshMessageSubcode.InvalidMessageLength, Buffer.from(raw));
  }
  return { type: 'route-refresh', raw, afi: raw.readUInt16BE(19), subtype: raw[21]!, safi: raw[22]! };
}

const NO_PREFIXES: readonly Ipv4Prefix[] = Object.freeze([]) as readonly Ipv4Prefix[];

function sessionResetUpdate(raw: Buffer, reason: string, subcode: number, data: Buffer = Buffer.alloc(0)): UpdateMessage {
  return {
    type: 'update',
    raw,
    withdrawnRoutes: NO_PREFIXES,
    attributes: [],
    nlri: NO_PREFIXES,
    pathAttributesRaw: Buffer.alloc(0),
    verdict: { action: 'session-reset', reason, notification: { code: ErrorCode.UpdateMessage, subcode, data } },
    endOfRib: undefined,
    mpReach: undefined,
    mpUnreach: undefined,
    codecOptions: undefined,
  };
}

/**
 * Attribute sets whose octets already decoded without an RFC 7606 error: the speaker's
 * AttributeSetPool. An UPDATE whose path attributes (minus MP_REACH_NLRI / MP_UNREACH_NLRI, which
 * carry the UPDATE's own prefixes) are such a set is not decoded again: the same octets, decoded
 * with the same options, get the same verdict.
 */
export interface KnownAttributeSets {
  /** Whether the set of these octets, family and next hop is held and its octets decoded with no error under `options`. */
  decodedCleanly(family: AddressFamily, attributes: Buffer, nextHop: Buffer, options: SessionCodecOptions): boolean;
}

const NO_NEXT_HOP = Buffer.alloc(0);

/**
 * The path attributes of an UPDATE that announces routes, looked up in `known` before anything
 * is decoded but MP_REACH_NLRI / MP_UNREACH_NLRI: the message when the set is known (its other
 * attributes decoded on first read only), else the MP attributes it decoded, for the caller's
 * full decode to take as they are, or undefined when it decoded none. Anything unusual
 * (a truncated or overrunning attribute, MP attributes twice or malformed, nothing announced)
 * returns undefined, so decodePathAttributes alone decides what is wrong with it.
 */
function lookUpKnownSet(
  raw: Buffer,
  withdrawnRoutes: Ipv4Prefix[],
  attributesStart: number,
  attributesEnd: number,
  nlriOctets: Buffer,
  options: SessionCodecOptions,
  known: KnownAttributeSets,
): ReceivedUpdate | DecodedMpAttributes | undefined {
  let mpReach: MpReachAttribute | undefined;
  let mpUnreach: MpUnreachAttribute | undefined;
  // The MP attributes decoded here, by offset: a full decode after a miss takes them as they are.
  let decodedMp: Map<number, MpAttribute> | undefined;
  for (let offset = attributesStart; offset < attributesEnd; ) {
    const flags = raw[offset]!;
    const headerLength = flags & AttributeFlag.ExtendedLength ? 4 : 3;
    if (offset + headerLength > attributesEnd) return undefined;
    const typeCode = raw[offset + 1]!;
    const valueStart = offset + headerLength;
    const valueEnd = valueStart + (headerLength === 4 ? raw.readUInt16BE(offset + 2) : raw[offset + 2]!);
    if (valueEnd > attributesEnd) return undefined;
    if (typeCode === AttributeTypeCode.MpReachNlri || typeCode === AttributeTypeCode.MpUnreachNlri) {
      if ((typeCode === AttributeTypeCode.MpReachNlri ? mpReach : mpUnreach) !== undefined) return undefined;
      const attribute = decodeMpAttribute(typeCode, flags, raw.subarray(valueStart, valueEnd));
      if (attribute === undefined) return undefined;
      if (attribute.kind === 'mp-reach-nlri') mpReach = attribute;
      else mpUnreach = attribute;
      (decodedMp ??= new Map()).set(offset, attribute);
    }
    offset = valueEnd;
  }

  let family: AddressFamily | undefined;
  let nextHop: Buffer = NO_NEXT_HOP;
  if (nlriOctets.length > 0) family = 'ipv4-unicast';
  else if (mpReach !== undefined && mpReach.nlri.length > 0) {
    family = familyOf(mpReach.afi, mpReach.safi);
    nextHop = mpReach.nextHop;
  }
  if (family === undefined) return decodedMp;
  const attributes = withoutMpAttributes(raw.subarray(attributesStart, attributesEnd));
  if (!known.decodedCleanly(family, attributes, nextHop, options)) return decodedMp;
  // RFC 7606 §3 (d): the set was stored from an UPDATE announcing this family's routes with
  // verdict ok, so ORIGIN and AS_PATH (and NEXT_HOP, for the IPv4 NLRI field) are in it.
  return new ReceivedUpdate(
    raw,
    withdrawnRoutes,
    undefined,
    nlriOctets,
    raw.subarray(attributesStart, attributesEnd),
    OK,
    undefined,
    mpReach,
    mpUnreach,
    options,
  );
}

/**
 * RFC 4271 §4.3 with RFC 7606 error handling (table in attributes.ts).
 * Never throws for any input: malformed UPDATEs get a verdict. With `known`, path attributes
 * that are a known set are not decoded again (lookUpKnownSet).
 */
export function decodeUpdate(raw: Buffer, options: SessionCodecOptions, known?: KnownAttributeSets): UpdateMessage {
  const length = raw.length;
  if (length < 23 || raw.readUInt16BE(16) !== length) {
    return sessionResetUpdate(raw, 'UPDATE length inconsistent', UpdateMessageSubcode.MalformedAttributeList);
  }
  const withdrawnLength = raw.readUInt16BE(19);
  if (21 + withdrawnLength + 2 > length) {
    return sessionResetUpdate(raw, 'Withdrawn Routes Length overruns the message', UpdateMessageSubcode.MalformedAttributeList);
  }
  const attributesStart = 23 + withdrawnLength;
  const attributesLength = raw.readUInt16BE(21 + withdrawnLength);
  const attributesEnd = attributesStart + attributesLength;
  if (attributesEnd > length) {
    return sessionResetUpdate(raw, 'Total Path Attribute Length overruns the message', UpdateMessageSubcode.MalformedAttributeList);
  }
  const withdrawnRoutes: Ipv4Prefix[] = [];
  let nlriCount: number;
  try {
    decodeIpv4Prefixes(raw, 21, 21 + withdrawnLength, withdrawnRoutes);
  } catch (error) {
    if (!(error instanceof NlriSyntaxError)) throw error;
    return sessionResetUpdate(raw, `withdrawn routes: ${error.message}`, UpdateMessageSubcode.InvalidNetworkField);
  }
  try {
    // Checked now, decoded on first read of `nlri`: a full table's prefixes go into the
    // Adj-RIB-In straight from these octets, without an object each.
    nlriCount = checkIpv4Prefixes(raw, attributesEnd, length);
  } catch (error) {
    if (!(error instanceof NlriSyntaxError)) throw error;
    return sessionResetUpdate(raw, `NLRI: ${error.message}`, UpdateMessageSubcode.InvalidNetworkField);
  }

  const nlriOctets = raw.subarray(attributesEnd, length);
  let decodedMp: DecodedMpAttributes | undefined;
  if (known !== undefined) {
    const found = lookUpKnownSet(raw, withdrawnRoutes, attributesStart, attributesEnd, nlriOctets, options, known);
    if (found instanceof ReceivedUpdate) return found;
    decodedMp = found;
  }

  const decoded = decodePathAttributes(raw, attributesStart, attributesEnd, options, decodedMp);
  if (decoded.sessionReset) {
    const { notification, reason } = decoded.sessionReset;
    return sessionResetUpdate(raw, reason, notification.subcode, notification.data);
  }
  const attributes: PathAttribute[] = decoded.attributes;

  let origin = false;
  let asPath = false;
  let nextHop = false;
  let mpReach: MpReachAttribute | undefined;
  let mpUnreach: MpUnreachAttribute | undefined;
  for (const attribute of attributes) {
    switch (attribute.kind) {
      case 'origin':
        origin = true;
        break;
      case 'as-path':
        asPath = true;
        break;
      case 'next-hop':
        nextHop = true;
        break;
      case 'mp-reach-nlri':
        mpReach = attribute;
        break;
      case 'mp-unreach-nlri':
        mpUnreach = attribute;
        break;
      default:
        break;
    }
  }

  let treatAsWithdraw = decoded.treatAsWithdraw;
  if (treatAsWithdraw === undefined && (nlriCount > 0 || (mpReach !== undefined && mpReach.nlri.length > 0))) {
    // RFC 7606 §3 (d); RFC 4760 §4: NEXT_HOP is mandatory only with IPv4 NLRI in the NLRI field.
    if (!origin) treatAsWithdraw = 'well-known mandatory ORIGIN missing';
    else if (!asPath) treatAsWithdraw = 'well-known mandatory AS_PATH missing';
    else if (nlriCount > 0 && !nextHop) treatAsWithdraw = 'well-known mandatory NEXT_HOP missing';
  }

  let verdict: UpdateVerdict;
  if (treatAsWithdraw !== undefined) verdict = { action: 'treat-as-withdraw', reason: treatAsWithdraw, discarded: decoded.discarded };
  else if (decoded.discarded.length > 0) verdict = { action: 'attribute-discard', discarded: decoded.discarded };
  else verdict = OK;

  // RFC 4724 §2: End-of-RIB is an empty UPDATE (IPv4 unicast) or one carrying only an empty MP_UNREACH_NLRI.
  let endOfRib: AfiSafi | undefined;
  if (withdrawnLength === 0 && nlriCount === 0) {
    if (attributesLength === 0) endOfRib = IPV4_UNICAST;
    else if (attributes.length === 1 && mpUnreach && mpUnreach.withdrawn.length === 0 && decoded.discarded.length === 0) {
      endOfRib = { afi: mpUnreach.afi, safi: mpUnreach.safi };
    }
  }

  return new ReceivedUpdate(
    raw,
    withdrawnRoutes,
    attributes,
    nlriOctets,
    raw.subarray(attributesStart, attributesEnd),
    verdict,
    endOfRib,
    mpReach,
    mpUnreach,
    options,
  );
}

class ReceivedUpdate {
  readonly type = 'update';
  #nlri: Ipv4Prefix[] | undefined;
  #attributes: readonly PathAttribute[] | undefined;
  constructor(
    readonly raw: Buffer,
    readonly withdrawnRoutes: readonly Ipv4Prefix[],
    /** Undefined for a known set (lookUpKnownSet): decoded on first read. */
    attributes: readonly PathAttribute[] | undefined,
    readonly nlriOctets: Buffer,
    readonly pathAttributesRaw: Buffer,
    readonly verdict: UpdateVerdict,
    readonly endOfRib: AfiSafi | undefined,
    readonly mpReach: MpReachAttribute | undefined,
    readonly mpUnreach: MpUnreachAttribute | undefined,
    readonly codecOptions: SessionCodecOptions,
  ) {
    this.#attributes = attributes;
  }
  get attributes(): readonly PathAttribute[] {
    this.#attributes ??= decodePathAttributes(this.pathAttributesRaw, 0, this.pathAttributesRaw.length, this.codecOptions).attributes;
    return this.#attributes;
  }
  get nlri(): Ipv4Prefix[] {
    if (this.#nlri === undefined) decodeIpv4Prefixes(this.nlriOctets, 0, this.nlriOctets.length, (this.#nlri = []));
    return this.#nlri;
  }
}

const OK: UpdateVerdict = Object.freeze({ action: 'ok' });
const IPV4_UNICAST: AfiSafi = Object.freeze({ afi: 1, safi: 1 });
