/**
 * BMP messages → wire bytes (RFC 7854). Pure.
 *
 * serializeParts() returns the message as a list of Buffers to be written
 * back to back (socket.cork()/writev): the headers are freshly built, but
 * BGP PDUs the message carries (the UPDATE of a Route Monitoring, OPENs,
 * NOTIFICATIONs, mirrored PDUs) are the caller's Buffers, not copies. A
 * received UPDATE therefore reaches every station without being copied or
 * re-encoded. serialize() is the same as one Buffer, for tests and tools.
 */
import net from 'node:net';
import { ipv4Bytes, ipv6Bytes } from '../../net/ip.js';
import {
  BMP_VERSION,
  COMMON_HEADER_LENGTH,
  InformationTlvType,
  MessageType,
  PER_PEER_HEADER_LENGTH,
  PeerDownReasonCode,
  PeerFlag,
  type BmpMessage,
  type InformationTlv,
  type PerPeerHeader,
  type RouteMirroringTlv,
  type StatisticsEntry,
  type TerminationTlv,
} from './messages.js';

export class BmpEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BmpEncodeError';
  }
}

function commonHeader(out: Buffer, type: number, totalLength: number): void {
  out.writeUInt8(BMP_VERSION, 0);
  out.writeUInt32BE(totalLength, 1);
  out.writeUInt8(type, 5);
}

/** 16-byte address field: IPv4 in the last 4 bytes, 12 leading zero bytes (§4.2, §4.10). */
function writeAddress16(out: Buffer, offset: number, address: string): void {
  const family = net.isIP(address);
  if (family === 4) ipv4Bytes(address).copy(out, offset + 12);
  else if (family === 6) ipv6Bytes(address).copy(out, offset);
  else throw new BmpEncodeError(`not an IP address: ${address}`);
}

/** Octets of the per-peer header before the timestamp: they depend on the peer only. */
const PEER_FIXED_LENGTH = 34;

interface PeerTemplate {
  readonly peerType: number;
  readonly distinguisher: Buffer;
  readonly postPolicy: boolean;
  readonly legacyAsPath: boolean;
  readonly asn: number;
  readonly bgpId: string;
  readonly octets: Buffer;
}

/**
 * The fixed octets of recently used peers by address. A Route Monitoring header is built for
 * every UPDATE (a million prefixes a second is 20,000 UPDATEs): parsing and validating the
 * address and BGP Identifier text each time was a tenth of the live export's CPU. The cache
 * is checked field by field, so it never returns the octets of a peer that changed.
 */
const peerTemplates = new Map<string, PeerTemplate>();
const PEER_TEMPLATE_LIMIT = 4096;

function sameTemplate(t: PeerTemplate, peer: PerPeerHeader): boolean {
  return (
    t.peerType === peer.peerType &&
    t.postPolicy === peer.postPolicy &&
    t.legacyAsPath === peer.legacyAsPath &&
    t.asn === peer.asn &&
    t.bgpId === peer.bgpId &&
    t.distinguisher.equals(peer.distinguisher)
  );
}

function peerFixedOctets(peer: PerPeerHeader): Buffer {
  const cached = peerTemplates.get(peer.address);
  if (cached !== undefined && sameTemplate(cached, peer)) return cached.octets;
  if (peer.distinguisher.length !== 8) throw new BmpEncodeError(`peer distinguisher must be 8 bytes, got ${peer.distinguisher.length}`);
  if (!net.isIPv4(peer.bgpId)) throw new BmpEncodeError(`BGP identifier must be dotted-quad, got ${peer.bgpId}`);
  let flags = 0;
  if (net.isIPv6(peer.address)) flags |= PeerFlag.ipv6;
  if (peer.postPolicy) flags |= PeerFlag.postPolicy;
  if (peer.legacyAsPath) flags |= PeerFlag.legacyAsPath;
  const octets = Buffer.alloc(PEER_FIXED_LENGTH);
  octets.writeUInt8(peer.peerType, 0);
  octets.writeUInt8(flags, 1);
  peer.distinguisher.copy(octets, 2);
  writeAddress16(octets, 10, peer.address);
  octets.writeUInt32BE(peer.asn >>> 0, 26);
  ipv4Bytes(peer.bgpId).copy(octets, 30);
  if (peerTemplates.size >= PEER_TEMPLATE_LIMIT) peerTemplates.clear();
  const { peerType, postPolicy, legacyAsPath, asn, bgpId } = peer;
  peerTemplates.set(peer.address, { peerType, distinguisher: Buffer.from(peer.distinguisher), postPolicy, legacyAsPath, asn, bgpId, octets });
  return octets;
}

function writePerPeerHeader(out: Buffer, offset: number, peer: PerPeerHeader): void {
  peerFixedOctets(peer).copy(out, offset);
  out.writeUInt32BE(peer.timestamp.seconds >>> 0, offset + PEER_FIXED_LENGTH);
  out.writeUInt32BE(peer.timestamp.microseconds >>> 0, offset + PEER_FIXED_LENGTH + 4);
}

/** Common header + per-peer header, followed by `fixed` more bytes the caller fills in. */
function peerMessageHead(type: number, peer: PerPeerHeader, fixed: number, bodyLength: number): Buffer {
  // Every octet is written below (the `fixed` ones zeroed): no need for a zero-filled, unpooled allocation.
  const head = Buffer.allocUnsafe(COMMON_HEADER_LENGTH + PER_PEER_HEADER_LENGTH + fixed);
  commonHeader(head, type, head.length + bodyLength);
  writePerPeerHeader(head, COMMON_HEADER_LENGTH, peer);
  if (fixed > 0) head.fill(0, COMMON_HEADER_LENGTH + PER_PEER_HEADER_LENGTH);
  return head;
}

function tlv(type: number, value: Buffer): Buffer[] {
  if (value.length > 0xffff) throw new BmpEncodeError(`TLV type ${type} value longer than 65535 bytes`);
  const h = Buffer.alloc(4);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(value.length, 2);
  return [h, value];
}

function informationTlv(t: InformationTlv): Buffer[] {
  switch (t.kind) {
    case 'string':
      return tlv(InformationTlvType.string, Buffer.from(t.text, 'utf8'));
    case 'sysDescr':
      return tlv(InformationTlvType.sysDescr, Buffer.from(t.text, 'utf8'));
    case 'sysName':
      return tlv(InformationTlvType.sysName, Buffer.from(t.text, 'utf8'));
    case 'unknown':
      return tlv(t.tlvType, t.value);
  }
}

function terminationTlv(t: TerminationTlv): Buffer[] {
  switch (t.kind) {
    case 'string':
      return tlv(0, Buffer.from(t.text, 'utf8'));
    case 'reason': {
      const v = Buffer.alloc(2);
      v.writeUInt16BE(t.reason, 0);
      return tlv(1, v);
    }
    case 'unknown':
      return tlv(t.tlvType, t.value);
  }
}

function mirroringTlv(t: RouteMirroringTlv): Buffer[] {
  switch (t.kind) {
    case 'bgpMessage':
      return tlv(0, t.pdu);
    case 'information': {
      const v = Buffer.alloc(2);
      v.writeUInt16BE(t.code, 0);
      return tlv(1, v);
    }
    case 'unknown':
      return tlv(t.tlvType, t.value);
  }
}

function statisticsEntry(s: StatisticsEntry): Buffer {
  let b: Buffer;
  switch (s.kind) {
    case 'counter':
      b = Buffer.alloc(8);
      b.writeUInt32BE(s.value >>> 0, 4);
      break;
    case 'gauge':
      b = Buffer.alloc(12);
      b.writeBigUInt64BE(s.value, 4);
      break;
    case 'afiSafiGauge':
      b = Buffer.alloc(15);
      b.writeUInt16BE(s.afi, 4);
      b.writeUInt8(s.safi, 6);
      b.writeBigUInt64BE(s.value, 7);
      break;
    case 'unknown':
      b = Buffer.alloc(4 + s.data.length);
      s.data.copy(b, 4);
      break;
  }
  b.writeUInt16BE(s.statType, 0);
  b.writeUInt16BE(b.length - 4, 2);
  return b;
}

/** Bytes in a message's parts (serializeParts' output, or any TLV list). */
export function partsLength(parts: readonly Buffer[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/** The 48 bytes (common + per-peer header) that precede an UPDATE of `updateLength` bytes in a Route Monitoring message. */
export function routeMonitoringHeader(peer: PerPeerHeader, updateLength: number): Buffer {
  return peerMessageHead(MessageType.routeMonitoring, peer, 0, updateLength);
}

/** The message as Buffers to write back to back; BGP PDUs inside are the caller's Buffers (not copied). */
export function serializeParts(msg: BmpMessage): Buffer[] {
  switch (msg.type) {
    case 'routeMonitoring':
      return [routeMonitoringHeader(msg.peer, msg.update.length), msg.update];

    case 'statisticsReport': {
      const entries = msg.stats.map(statisticsEntry);
      const head = peerMessageHead(MessageType.statisticsReport, msg.peer, 4, partsLength(entries));
      head.writeUInt32BE(entries.length, COMMON_HEADER_LENGTH + PER_PEER_HEADER_LENGTH);
      return [head, ...entries];
    }

    case 'peerDown': {
      const d = msg.down;
      let data: Buffer[];
      let code: number;
      switch (d.reason) {
        case 'localNotification':
          code = PeerDownReasonCode.localNotification;
          data = [d.notification];
          break;
        case 'remoteNotification':
          code = PeerDownReasonCode.remoteNotification;
          data = [d.notification];
          break;
        case 'localNoNotification': {
          code = PeerDownReasonCode.localNoNotification;
          const ev = Buffer.alloc(2);
          ev.writeUInt16BE(d.fsmEvent, 0);
          data = [ev];
          break;
        }
        case 'remoteNoData':
          code = PeerDownReasonCode.remoteNoData;
          data = [];
          break;
        case 'peerDeconfigured':
          code = PeerDownReasonCode.peerDeconfigured;
          data = [];
          break;
        case 'unknown':
          code = d.code;
          data = [d.data];
          break;
      }
      const head = peerMessageHead(MessageType.peerDown, msg.peer, 1, partsLength(data));
      head.writeUInt8(code, COMMON_HEADER_LENGTH + PER_PEER_HEADER_LENGTH);
      return [head, ...data];
    }

    case 'peerUp': {
      const tlvs = msg.information.flatMap(informationTlv);
      const head = peerMessageHead(MessageType.peerUp, msg.peer, 20, msg.sentOpen.length + msg.receivedOpen.length + partsLength(tlvs));
      const o = COMMON_HEADER_LENGTH + PER_PEER_HEADER_LENGTH;
      writeAddress16(head, o, msg.localAddress);
      head.writeUInt16BE(msg.localPort, o + 16);
      head.writeUInt16BE(msg.remotePort, o + 18);
      return [head, msg.sentOpen, msg.receivedOpen, ...tlvs];
    }

    case 'initiation': {
      const tlvs = msg.information.flatMap(informationTlv);
      const head = Buffer.alloc(COMMON_HEADER_LENGTH);
      commonHeader(head, MessageType.initiation, COMMON_HEADER_LENGTH + partsLength(tlvs));
      return [head, ...tlvs];
    }

    case 'termination': {
      const tlvs = msg.information.flatMap(terminationTlv);
      const head = Buffer.alloc(COMMON_HEADER_LENGTH);
      commonHeader(head, MessageType.termination, COMMON_HEADER_LENGTH + partsLength(tlvs));
      return [head, ...tlvs];
    }

    case 'routeMirroring': {
      const tlvs = msg.tlvs.flatMap(mirroringTlv);
      return [peerMessageHead(MessageType.routeMirroring, msg.peer, 0, partsLength(tlvs)), ...tlvs];
    }
  }
}

/** The message as one Buffer (copies the carried PDUs; use serializeParts on hot paths). */
export function serialize(msg: BmpMessage): Buffer {
  return Buffer.concat(serializeParts(msg));
}

/** An all-zero distinguisher, for global peers. */
export function globalDistinguisher(): Buffer {
  return Buffer.alloc(8);
}

/**
 * A Route Distinguisher (RFC 4364 §4.2) from its text form, used as the Peer
 * Distinguisher of RD-instance peers: "ASN2:N" → type 0, "A.B.C.D:N" → type 1,
 * "ASN4:N" (ASN > 65535) → type 2.
 */
export function routeDistinguisher(text: string): Buffer {
  const idx = text.lastIndexOf(':');
  const admin = text.slice(0, idx);
  const assigned = Number(text.slice(idx + 1));
  const b = Buffer.alloc(8);
  if (idx <= 0 || !Number.isInteger(assigned) || assigned < 0) throw new BmpEncodeError(`not a route distinguisher: ${text}`);
  if (net.isIPv4(admin)) {
    if (assigned > 0xffff) throw new BmpEncodeError(`route distinguisher ${text}: assigned number must fit 16 bits`);
    b.writeUInt16BE(1, 0);
    ipv4Bytes(admin).copy(b, 2);
    b.writeUInt16BE(assigned, 6);
    return b;
  }
  const asn = Number(admin);
  if (!Number.isInteger(asn) || asn < 0 || asn > 0xffffffff) throw new BmpEncodeError(`not a route distinguisher: ${text}`);
  if (asn <= 0xffff) {
    if (assigned > 0xffffffff) throw new BmpEncodeError(`route distinguisher ${text}: assigned number must fit 32 bits`);
    b.writeUInt16BE(0, 0);
    b.writeUInt16BE(asn, 2);
    b.writeUInt32BE(assigned, 4);
    return b;
  }
  if (assigned > 0xffff) throw new BmpEncodeError(`route distinguisher ${text}: assigned number must fit 16 bits`);
  b.writeUInt16BE(2, 0);
  b.writeUInt32BE(asn, 2);
  b.writeUInt16BE(assigned, 6);
  return b;
}

/** A per-peer header timestamp from a millisecond clock value. */
export function timestampFromMillis(ms: number): { seconds: number; microseconds: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, microseconds: Math.round((ms - seconds * 1000) * 1000) };
}
