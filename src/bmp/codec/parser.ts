/**
 * Wire bytes → BMP messages (RFC 7854). Pure; the input comes from outside,
 * so every length is checked and a malformed message raises BmpDecodeError
 * (never a RangeError from a Buffer read). Carried BGP PDUs are returned as
 * views into the input (subarray), not copies.
 */
import { formatIpv4, formatIpv6 } from '../../net/ip.js';
import {
  AfiSafiGaugeStatType,
  BMP_VERSION,
  COMMON_HEADER_LENGTH,
  CounterStatType,
  GaugeStatType,
  MessageType,
  PER_PEER_HEADER_LENGTH,
  PeerFlag,
  type BmpMessage,
  type InformationTlv,
  type PeerDownReason,
  type PerPeerHeader,
  type RouteMirroringTlv,
  type StatisticsEntry,
  type TerminationTlv,
} from './messages.js';

export class BmpDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BmpDecodeError';
  }
}

const BGP_HEADER_LENGTH = 19;
const COUNTER_TYPES = new Set<number>(Object.values(CounterStatType));
const GAUGE_TYPES = new Set<number>(Object.values(GaugeStatType));
const AFI_SAFI_GAUGE_TYPES = new Set<number>(Object.values(AfiSafiGaugeStatType));

/** Largest message the stream decoder accepts: a Peer Up with two 64 KiB extended OPENs plus TLVs fits. */
export const DEFAULT_MAX_MESSAGE_LENGTH = 1 << 20;

function need(buf: Buffer, offset: number, n: number, what: string): void {
  if (offset + n > buf.length) throw new BmpDecodeError(`${what}: needs ${n} bytes at offset ${offset}, message has ${buf.length}`);
}

function readAddress16(buf: Buffer, offset: number, ipv6: boolean): string {
  return ipv6 ? formatIpv6(buf, offset) : formatIpv4(buf, offset + 12);
}

function readPerPeerHeader(buf: Buffer, offset: number): PerPeerHeader {
  need(buf, offset, PER_PEER_HEADER_LENGTH, 'per-peer header');
  const flags = buf.readUInt8(offset + 1);
  return {
    peerType: buf.readUInt8(offset),
    distinguisher: Buffer.from(buf.subarray(offset + 2, offset + 10)),
    address: readAddress16(buf, offset + 10, (flags & PeerFlag.ipv6) !== 0),
    postPolicy: (flags & PeerFlag.postPolicy) !== 0,
    legacyAsPath: (flags & PeerFlag.legacyAsPath) !== 0,
    asn: buf.readUInt32BE(offset + 26),
    bgpId: formatIpv4(buf, offset + 30),
    timestamp: { seconds: buf.readUInt32BE(offset + 34), microseconds: buf.readUInt32BE(offset + 38) },
  };
}

/** One complete BGP PDU at `offset`, its length taken from its own header (RFC 4271 §4.1). */
function readBgpPdu(buf: Buffer, offset: number, what: string): Buffer {
  need(buf, offset, BGP_HEADER_LENGTH, what);
  const length = buf.readUInt16BE(offset + 16);
  if (length < BGP_HEADER_LENGTH) throw new BmpDecodeError(`${what}: BGP length ${length} below the 19-byte header`);
  need(buf, offset, length, what);
  return buf.subarray(offset, offset + length);
}

function readTlvs<T>(buf: Buffer, offset: number, what: string, make: (type: number, value: Buffer) => T): T[] {
  const out: T[] = [];
  while (offset < buf.length) {
    need(buf, offset, 4, `${what} TLV header`);
    const type = buf.readUInt16BE(offset);
    const length = buf.readUInt16BE(offset + 2);
    need(buf, offset + 4, length, `${what} TLV type ${type}`);
    out.push(make(type, buf.subarray(offset + 4, offset + 4 + length)));
    offset += 4 + length;
  }
  return out;
}

function informationTlv(type: number, value: Buffer): InformationTlv {
  switch (type) {
    case 0:
      return { kind: 'string', text: value.toString('utf8') };
    case 1:
      return { kind: 'sysDescr', text: value.toString('utf8') };
    case 2:
      return { kind: 'sysName', text: value.toString('utf8') };
    default:
      return { kind: 'unknown', tlvType: type, value };
  }
}

function terminationTlv(type: number, value: Buffer): TerminationTlv {
  if (type === 0) return { kind: 'string', text: value.toString('utf8') };
  if (type === 1) {
    if (value.length !== 2) throw new BmpDecodeError(`termination reason TLV must be 2 bytes, got ${value.length}`);
    return { kind: 'reason', reason: value.readUInt16BE(0) };
  }
  return { kind: 'unknown', tlvType: type, value };
}

function mirroringTlv(type: number, value: Buffer): RouteMirroringTlv {
  if (type === 0) return { kind: 'bgpMessage', pdu: value };
  if (type === 1) {
    if (value.length !== 2) throw new BmpDecodeError(`route mirroring information TLV must be 2 bytes, got ${value.length}`);
    return { kind: 'information', code: value.readUInt16BE(0) };
  }
  return { kind: 'unknown', tlvType: type, value };
}

function statisticsEntry(statType: number, data: Buffer): StatisticsEntry {
  const expect = (n: number): void => {
    if (data.length !== n) throw new BmpDecodeError(`statistics type ${statType} must carry ${n} bytes, got ${data.length}`);
  };
  if (COUNTER_TYPES.has(statType)) {
    expect(4);
    return { kind: 'counter', statType, value: data.readUInt32BE(0) };
  }
  if (GAUGE_TYPES.has(statType)) {
    expect(8);
    return { kind: 'gauge', statType, value: data.readBigUInt64BE(0) };
  }
  if (AFI_SAFI_GAUGE_TYPES.has(statType)) {
    expect(11);
    return { kind: 'afiSafiGauge', statType, afi: data.readUInt16BE(0), safi: data.readUInt8(2), value: data.readBigUInt64BE(3) };
  }
  return { kind: 'unknown', statType, data: Buffer.from(data) };
}

/** Reads the common header at the start of `buf`: the message length, or a BmpDecodeError for a bad version/length. */
export function readCommonHeader(buf: Buffer): { length: number; messageType: number } {
  need(buf, 0, COMMON_HEADER_LENGTH, 'common header');
  const version = buf.readUInt8(0);
  if (version !== BMP_VERSION) throw new BmpDecodeError(`unsupported BMP version ${version} (expected ${BMP_VERSION})`);
  const length = buf.readUInt32BE(1);
  if (length < COMMON_HEADER_LENGTH) throw new BmpDecodeError(`message length ${length} below the 6-byte common header`);
  return { length, messageType: buf.readUInt8(5) };
}

/** Decodes exactly one complete message (buf.length must equal the header's length). */
export function parseMessage(buf: Buffer): BmpMessage {
  const { length, messageType } = readCommonHeader(buf);
  if (length !== buf.length) throw new BmpDecodeError(`message length field ${length} does not match the ${buf.length} bytes given`);
  const body = COMMON_HEADER_LENGTH + PER_PEER_HEADER_LENGTH;
  switch (messageType) {
    case MessageType.routeMonitoring: {
      const peer = readPerPeerHeader(buf, COMMON_HEADER_LENGTH);
      const update = readBgpPdu(buf, body, 'route monitoring UPDATE');
      if (body + update.length !== buf.length) throw new BmpDecodeError(`route monitoring: ${buf.length - body - update.length} bytes after the UPDATE`);
      if (update.readUInt8(18) !== 2) throw new BmpDecodeError(`route monitoring carries BGP message type ${update.readUInt8(18)}, not UPDATE`);
      return { type: 'routeMonitoring', peer, update };
    }
    case MessageType.statisticsReport: {
      const peer = readPerPeerHeader(buf, COMMON_HEADER_LENGTH);
      need(buf, body, 4, 'statistics count');
      const count = buf.readUInt32BE(body);
      const stats = readTlvs(buf, body + 4, 'statistics', statisticsEntry);
      if (stats.length !== count) throw new BmpDecodeError(`statistics report announces ${count} entries, carries ${stats.length}`);
      return { type: 'statisticsReport', peer, stats };
    }
    case MessageType.peerDown: {
      const peer = readPerPeerHeader(buf, COMMON_HEADER_LENGTH);
      need(buf, body, 1, 'peer down reason');
      const code = buf.readUInt8(body);
      const data = buf.subarray(body + 1);
      let down: PeerDownReason;
      switch (code) {
        case 1:
        case 3: {
          const notification = readBgpPdu(buf, body + 1, 'peer down NOTIFICATION');
          if (notification.length !== data.length) throw new BmpDecodeError('peer down: bytes after the NOTIFICATION');
          down = code === 1 ? { reason: 'localNotification', notification } : { reason: 'remoteNotification', notification };
          break;
        }
        case 2:
          if (data.length !== 2) throw new BmpDecodeError(`peer down reason 2 must carry a 2-byte FSM event, got ${data.length} bytes`);
          down = { reason: 'localNoNotification', fsmEvent: data.readUInt16BE(0) };
          break;
        case 4:
          down = { reason: 'remoteNoData' };
          break;
        case 5:
          down = { reason: 'peerDeconfigured' };
          break;
        default:
          down = { reason: 'unknown', code, data };
      }
      return { type: 'peerDown', peer, down };
    }
    case MessageType.peerUp: {
      const peer = readPerPeerHeader(buf, COMMON_HEADER_LENGTH);
      need(buf, body, 20, 'peer up local address and ports');
      // §4.10: the local address has the peer address's family, so the V flag tells its form.
      const localAddress = readAddress16(buf, body, peer.address.includes(':'));
      const localPort = buf.readUInt16BE(body + 16);
      const remotePort = buf.readUInt16BE(body + 18);
      const sentOpen = readBgpPdu(buf, body + 20, 'peer up sent OPEN');
      const receivedOpen = readBgpPdu(buf, body + 20 + sentOpen.length, 'peer up received OPEN');
      const information = readTlvs(buf, body + 20 + sentOpen.length + receivedOpen.length, 'peer up information', informationTlv);
      return { type: 'peerUp', peer, localAddress, localPort, remotePort, sentOpen, receivedOpen, information };
    }
    case MessageType.initiation:
      return { type: 'initiation', information: readTlvs(buf, COMMON_HEADER_LENGTH, 'initiation', informationTlv) };
    case MessageType.termination:
      return { type: 'termination', information: readTlvs(buf, COMMON_HEADER_LENGTH, 'termination', terminationTlv) };
    case MessageType.routeMirroring: {
      const peer = readPerPeerHeader(buf, COMMON_HEADER_LENGTH);
      return { type: 'routeMirroring', peer, tlvs: readTlvs(buf, body, 'route mirroring', mirroringTlv) };
    }
    default:
      throw new BmpDecodeError(`unknown BMP message type ${messageType}`);
  }
}

/**
 * Frames BMP messages across TCP reads. push() each chunk; complete
 * messages come back in order. A bad version or length poisons the stream
 * (there is no way to resynchronise a BMP byte stream): push() throws and
 * keeps throwing.
 */
export class BmpStreamDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private failure: BmpDecodeError | undefined;

  constructor(private readonly maxMessageLength = DEFAULT_MAX_MESSAGE_LENGTH) {}

  /** Bytes received but not yet part of a complete message. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Splits the buffered bytes into complete raw messages (each still to be parsed). */
  pushFrames(chunk: Buffer): Buffer[] {
    if (this.failure) throw this.failure;
    if (chunk.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    const frames: Buffer[] = [];
    let buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    let offset = 0;
    try {
      while (buf.length - offset >= COMMON_HEADER_LENGTH) {
        const { length } = readCommonHeader(buf.subarray(offset, offset + COMMON_HEADER_LENGTH));
        if (length > this.maxMessageLength) throw new BmpDecodeError(`message length ${length} exceeds the limit of ${this.maxMessageLength}`);
        if (buf.length - offset < length) break;
        frames.push(buf.subarray(offset, offset + length));
        offset += length;
      }
    } catch (e) {
      this.failure = e as BmpDecodeError;
      throw e;
    }
    buf = buf.subarray(offset);
    this.pending = buf.length > 0 ? [buf] : [];
    this.pendingBytes = buf.length;
    return frames;
  }

  /** Complete messages from this chunk and the bytes before it. */
  push(chunk: Buffer): BmpMessage[] {
    return this.pushFrames(chunk).map(parseMessage);
  }
}
