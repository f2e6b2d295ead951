/** Typed BGP messages → bytes (whole messages including the 19-octet header). */
import type {
  AddressFamily,
  AfiSafi,
  Capability,
  Ipv4Prefix,
  NotificationFields,
  OpenFields,
  RouteRefreshFields,
  SessionCodecOptions,
  UpdateFields,
} from './messages.js';
import {
  AS_TRANS,
  BGP_EXTENDED_MAX_MESSAGE_LENGTH,
  BGP_HEADER_LENGTH,
  CapabilityCode,
  MessageType,
  OptionalParameterType,
} from './messages.js';
import { encodeAttribute, encodePathAttributes } from './attributes.js';
import { afiSafiOf, encodedPrefixLength, parseIpv4, writePrefix } from './nlri.js';
import { AttributeTypeCode } from './messages.js';

/** A message buffer with the header filled in; the caller writes the body from offset 19. */
export function allocateMessage(type: number, length: number): Buffer {
  if (length > BGP_EXTENDED_MAX_MESSAGE_LENGTH) throw new RangeError(`BGP message of ${length} octets cannot be encoded`);
  const buf = Buffer.allocUnsafe(length);
  buf.fill(0xff, 0, 16);
  buf.writeUInt16BE(length, 16);
  buf[18] = type;
  return buf;
}

function capabilityValue(capability: Capability): [number, Buffer] {
  switch (capability.kind) {
    case 'multiprotocol': {
      const value = Buffer.alloc(4);
      value.writeUInt16BE(capability.afi, 0);
      value[3] = capability.safi;
      return [CapabilityCode.Multiprotocol, value];
    }
    case 'route-refresh':
      return [CapabilityCode.RouteRefresh, Buffer.alloc(0)];
    case 'enhanced-route-refresh':
      return [CapabilityCode.EnhancedRouteRefresh, Buffer.alloc(0)];
    case 'four-octet-as': {
      const value = Buffer.alloc(4);
      value.writeUInt32BE(capability.asn);
      return [CapabilityCode.FourOctetAs, value];
    }
    case 'unknown':
      return [capability.code, capability.value];
  }
}

/**
 * RFC 4271 §4.2. Each capability goes into its own Capabilities optional
 * parameter, the form RFC 5492 §4 allows and every implementation accepts.
 */
export function encodeOpen(open: OpenFields): Buffer {
  const parameters = open.capabilities.map((capability) => {
    const [code, value] = capabilityValue(capability);
    return Buffer.concat([Buffer.from([OptionalParameterType.Capabilities, value.length + 2, code, value.length]), value]);
  });
  const body = Buffer.concat(parameters);
  if (body.length > 255) throw new RangeError('OPEN optional parameters exceed 255 octets');
  const buf = allocateMessage(MessageType.Open, 29 + body.length);
  buf[19] = open.version;
  buf.writeUInt16BE(open.myAs > 0xffff ? AS_TRANS : open.myAs, 20);
  buf.writeUInt16BE(open.holdTime, 22);
  buf.writeUInt32BE(parseIpv4(open.bgpIdentifier), 24);
  buf[28] = body.length;
  body.copy(buf, 29);
  return buf;
}

/** RFC 4271 §4.3 from pre-encoded path attributes (Adj-RIB-In replay keeps attributes as bytes). */
export function encodeUpdateFromParts(withdrawnRoutes: readonly Ipv4Prefix[], pathAttributes: Buffer, nlri: readonly Ipv4Prefix[]): Buffer {
  let withdrawnLength = 0;
  for (const prefix of withdrawnRoutes) withdrawnLength += encodedPrefixLength(prefix);
  let nlriLength = 0;
  for (const prefix of nlri) nlriLength += encodedPrefixLength(prefix);
  const buf = allocateMessage(MessageType.Update, BGP_HEADER_LENGTH + 4 + withdrawnLength + pathAttributes.length + nlriLength);
  let offset = buf.writeUInt16BE(withdrawnLength, 19);
  for (const prefix of withdrawnRoutes) offset = writePrefix(buf, offset, prefix);
  offset = buf.writeUInt16BE(pathAttributes.length, offset);
  offset += pathAttributes.copy(buf, offset);
  for (const prefix of nlri) offset = writePrefix(buf, offset, prefix);
  return buf;
}

/**
 * RFC 4271 §4.3: an UPDATE announcing the IPv4 prefixes [start, end) of two parallel columns
 * (prefix lengths, addresses with the host bits clear) with pre-encoded path attributes. The
 * Adj-RIB-In replay writes a full table this way without an object per prefix.
 */
export function encodeIpv4Announcement(pathAttributes: Buffer, lengths: Uint8Array, addresses: Uint32Array, start: number, end: number): Buffer {
  let nlriLength = 0;
  for (let i = start; i < end; i++) nlriLength += 1 + ((lengths[i]! + 7) >>> 3);
  const buf = allocateMessage(MessageType.Update, BGP_HEADER_LENGTH + 4 + pathAttributes.length + nlriLength);
  let offset = buf.writeUInt16BE(0, 19);
  offset = buf.writeUInt16BE(pathAttributes.length, offset);
  offset += pathAttributes.copy(buf, offset);
  for (let i = start; i < end; i++) {
    const length = lengths[i]!;
    const address = addresses[i]!;
    buf[offset++] = length;
    for (let shift = 24, octets = (length + 7) >>> 3; octets > 0; octets--, shift -= 8) buf[offset++] = (address >>> shift) & 0xff;
  }
  return buf;
}

/** RFC 4271 §4.3. ASNs are written in 2 or 4 octets per the session (RFC 6793); see as4.ts to add AS4_PATH. */
export function encodeUpdate(update: UpdateFields, options: Pick<SessionCodecOptions, 'fourOctetAs'>): Buffer {
  return encodeUpdateFromParts(update.withdrawnRoutes, encodePathAttributes(update.attributes, options.fourOctetAs), update.nlri);
}

/** RFC 4724 §2: empty UPDATE for IPv4 unicast, otherwise an UPDATE with an empty MP_UNREACH_NLRI. */
export function encodeEndOfRib(family: AddressFamily | AfiSafi): Buffer {
  const { afi, safi } = typeof family === 'string' ? afiSafiOf(family) : family;
  if (afi === 1 && safi === 1) return encodeUpdateFromParts([], Buffer.alloc(0), []);
  const value = Buffer.alloc(3);
  value.writeUInt16BE(afi, 0);
  value[2] = safi;
  return encodeUpdateFromParts([], encodeAttribute(AttributeTypeCode.MpUnreachNlri, 0x80, value), []);
}

/** RFC 4271 §4.5. */
export function encodeNotification(notification: NotificationFields): Buffer {
  const buf = allocateMessage(MessageType.Notification, 21 + notification.data.length);
  buf[19] = notification.code;
  buf[20] = notification.subcode;
  notification.data.copy(buf, 21);
  return buf;
}

/** RFC 4271 §4.4. */
export function encodeKeepalive(): Buffer {
  return allocateMessage(MessageType.Keepalive, BGP_HEADER_LENGTH);
}

/** RFC 2918 §3; RFC 7313 §3 puts the subtype where RFC 2918 had a reserved octet. */
export function encodeRouteRefresh(refresh: RouteRefreshFields): Buffer {
  const buf = allocateMessage(MessageType.RouteRefresh, 23);
  buf.writeUInt16BE(refresh.afi, 19);
  buf[21] = refresh.subtype;
  buf[22] = refresh.safi;
  return buf;
}
