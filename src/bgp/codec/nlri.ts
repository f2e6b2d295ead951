/**
 * NLRI encodings: IPv4/IPv6 prefixes (RFC 4271 §4.3, RFC 4760 §5) and
 * labelled VPN prefixes (RFC 4364 §4.3.4, RFC 4659, RFC 8277), plus the text
 * forms used in logs and tests.
 */
import { formatIpv6, ipv6Bytes } from '../../net/ip.js';
import type { AddressFamily, AfiSafi, Ipv4Prefix, Ipv6Prefix, Prefix, VpnPrefix } from './messages.js';
import { Afi, Safi } from './messages.js';

export function familyOf(afi: number, safi: number): AddressFamily | undefined {
  if (afi === Afi.Ipv4) {
    if (safi === Safi.Unicast) return 'ipv4-unicast';
    if (safi === Safi.MplsVpn) return 'vpnv4-unicast';
  } else if (afi === Afi.Ipv6) {
    if (safi === Safi.Unicast) return 'ipv6-unicast';
    if (safi === Safi.MplsVpn) return 'vpnv6-unicast';
  }
  return undefined;
}

export function afiSafiOf(family: AddressFamily): AfiSafi {
  switch (family) {
    case 'ipv4-unicast':
      return { afi: Afi.Ipv4, safi: Safi.Unicast };
    case 'ipv6-unicast':
      return { afi: Afi.Ipv6, safi: Safi.Unicast };
    case 'vpnv4-unicast':
      return { afi: Afi.Ipv4, safi: Safi.MplsVpn };
    case 'vpnv6-unicast':
      return { afi: Afi.Ipv6, safi: Safi.MplsVpn };
  }
}

/** Address width in octets of a family's IP part. */
export function addressLengthOf(family: AddressFamily): 4 | 16 {
  return family === 'ipv4-unicast' || family === 'vpnv4-unicast' ? 4 : 16;
}

/** Thrown by the NLRI decoders; the UPDATE decoder maps it onto an RFC 7606 action. */
export class NlriSyntaxError extends Error {
  override name = 'NlriSyntaxError';
}

const POW2 = Array.from({ length: 33 }, (_, i) => 2 ** i);

/** Mask of the top `length` bits of an IPv4 address, as an unsigned number. */
function ipv4Mask(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

/**
 * Decode the IPv4 prefixes in buf[start, end) into `out`. Host bits beyond the
 * prefix length are cleared (RFC 4271 §4.3 lets trailing bits be anything).
 */
export function decodeIpv4Prefixes(buf: Buffer, start: number, end: number, out: Ipv4Prefix[]): void {
  let offset = start;
  while (offset < end) {
    const length = buf[offset++]!;
    if (length > 32) throw new NlriSyntaxError(`IPv4 prefix length ${length} exceeds 32`);
    const octets = (length + 7) >>> 3;
    if (offset + octets > end) throw new NlriSyntaxError('IPv4 prefix overruns its field');
    let address = 0;
    for (let i = 0; i < 4; i++) address = address * 256 + (i < octets ? buf[offset + i]! : 0);
    offset += octets;
    out.push({ family: 'ipv4-unicast', length, address: (address & ipv4Mask(length)) >>> 0 });
  }
}

/**
 * Check the IPv4 prefixes in buf[start, end) as decodeIpv4Prefixes would, without making them;
 * returns how many there are. decodeUpdate checks the NLRI field so and leaves it in octets
 * (UpdateMessage.nlriOctets): the Adj-RIB-In reads them in place with readIpv4Prefix.
 */
export function checkIpv4Prefixes(buf: Buffer, start: number, end: number): number {
  let count = 0;
  for (let offset = start; offset < end; count++) {
    const length = buf[offset++]!;
    if (length > 32) throw new NlriSyntaxError(`IPv4 prefix length ${length} exceeds 32`);
    offset += (length + 7) >>> 3;
    if (offset > end) throw new NlriSyntaxError('IPv4 prefix overruns its field');
  }
  return count;
}

/** Prefixes an UPDATE's NLRI field or an MP_REACH_NLRI announces, without decoding octets still undecoded. */
export function nlriLength(field: { readonly nlri: readonly Prefix[]; readonly nlriOctets?: Buffer }): number {
  const octets = field.nlriOctets;
  if (!octets) return field.nlri.length;
  let count = 0;
  for (let offset = 0; offset < octets.length; count++) offset += 1 + ((octets[offset]! + 7) >>> 3);
  return count;
}

/** The address readIpv4Prefix read last (unsigned, host bits clear): no object per prefix. */
export let prefixAddress = 0;

/**
 * Read the IPv4 prefix at octets[at] of checked NLRI octets (checkIpv4Prefixes passed): its
 * length is octets[at], its address goes to prefixAddress; returns where the next prefix starts.
 */
export function readIpv4Prefix(octets: Buffer, at: number): number {
  const length = octets[at++]!;
  const n = (length + 7) >>> 3;
  let address = 0;
  for (let i = 0; i < 4; i++) address = address * 256 + (i < n ? octets[at + i]! : 0);
  prefixAddress = (address & ipv4Mask(length)) >>> 0;
  return at + n;
}

function readAddress(buf: Buffer, offset: number, bits: number, width: number): Buffer {
  const address = Buffer.alloc(width);
  const octets = (bits + 7) >>> 3;
  buf.copy(address, 0, offset, offset + octets);
  if (bits & 7) address[octets - 1]! &= (0xff << (8 - (bits & 7))) & 0xff;
  return address;
}

const LABEL_OCTETS = 3;
const RD_OCTETS = 8;
/** RFC 3107 §3 / RFC 8277 §2.4: label field value a withdraw may carry instead of a real stack. */
export const WITHDRAW_LABEL = 0x800000;

/**
 * Decode prefixes of `family` in buf[start, end). `withdraw` selects the
 * MP_UNREACH reading of the label field: a withdrawn VPN route carries one
 * label field whose value is meaningless (0x800000 or 0x000000 in practice,
 * often without the bottom-of-stack bit), so exactly one label is read.
 */
export function decodePrefixes(family: AddressFamily, buf: Buffer, start: number, end: number, withdraw = false): Prefix[] {
  const out: Prefix[] = [];
  if (family === 'ipv4-unicast') {
    decodeIpv4Prefixes(buf, start, end, out as Ipv4Prefix[]);
    return out;
  }
  const width = addressLengthOf(family);
  const vpn = family === 'vpnv4-unicast' || family === 'vpnv6-unicast';
  let offset = start;
  while (offset < end) {
    let bits = buf[offset++]!;
    if (!vpn) {
      if (bits > 128) throw new NlriSyntaxError(`IPv6 prefix length ${bits} exceeds 128`);
      const octets = (bits + 7) >>> 3;
      if (offset + octets > end) throw new NlriSyntaxError('IPv6 prefix overruns its field');
      out.push({ family, length: bits, address: readAddress(buf, offset, bits, 16) } as Ipv6Prefix);
      offset += octets;
      continue;
    }
    const labels: number[] = [];
    for (;;) {
      if (bits < 24 || offset + LABEL_OCTETS > end) throw new NlriSyntaxError('VPN prefix too short for its label stack');
      const label = buf.readUIntBE(offset, LABEL_OCTETS);
      labels.push(label);
      offset += LABEL_OCTETS;
      bits -= 24;
      if (withdraw || label & 1 || label === WITHDRAW_LABEL || label === 0) break;
    }
    if (bits < RD_OCTETS * 8 || offset + RD_OCTETS > end) throw new NlriSyntaxError('VPN prefix too short for its RD');
    const rd = Buffer.from(buf.subarray(offset, offset + RD_OCTETS));
    offset += RD_OCTETS;
    bits -= RD_OCTETS * 8;
    if (bits > width * 8) throw new NlriSyntaxError(`VPN prefix length ${bits} exceeds ${width * 8}`);
    const octets = (bits + 7) >>> 3;
    if (offset + octets > end) throw new NlriSyntaxError('VPN prefix overruns its field');
    out.push({ family, length: bits, address: readAddress(buf, offset, bits, width), labels, rd } as VpnPrefix);
    offset += octets;
  }
  return out;
}

/**
 * The prefix as MP_UNREACH_NLRI should carry it: RFC 8277 §2.4 keeps the
 * RFC 3107 convention of a single label field of 0x800000 in withdrawals.
 */
export function asWithdrawal(prefix: Prefix): Prefix {
  if (prefix.family !== 'vpnv4-unicast' && prefix.family !== 'vpnv6-unicast') return prefix;
  return { ...prefix, labels: [WITHDRAW_LABEL] };
}

/** Octets `prefix` takes on the wire. */
export function encodedPrefixLength(prefix: Prefix): number {
  const extra = prefix.family === 'vpnv4-unicast' || prefix.family === 'vpnv6-unicast' ? prefix.labels.length * 3 + RD_OCTETS : 0;
  return 1 + extra + ((prefix.length + 7) >>> 3);
}

/** Write `prefix` at buf[offset]; returns the offset after it. */
export function writePrefix(buf: Buffer, offset: number, prefix: Prefix): number {
  const octets = (prefix.length + 7) >>> 3;
  switch (prefix.family) {
    case 'ipv4-unicast': {
      buf[offset++] = prefix.length;
      for (let i = 0; i < octets; i++) buf[offset++] = Math.floor(prefix.address / POW2[24 - 8 * i]!) & 0xff;
      return offset;
    }
    case 'ipv6-unicast':
      buf[offset++] = prefix.length;
      prefix.address.copy(buf, offset, 0, octets);
      return offset + octets;
    case 'vpnv4-unicast':
    case 'vpnv6-unicast':
      buf[offset++] = prefix.labels.length * 24 + RD_OCTETS * 8 + prefix.length;
      for (const label of prefix.labels) offset = buf.writeUIntBE(label, offset, LABEL_OCTETS);
      prefix.rd.copy(buf, offset, 0, RD_OCTETS);
      offset += RD_OCTETS;
      prefix.address.copy(buf, offset, 0, octets);
      return offset + octets;
  }
}

// ---------------------------------------------------------------------------
// Text forms

export function ipv4ToString(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 0xff}.${(address >>> 8) & 0xff}.${address & 0xff}`;
}

export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${text}`);
  let address = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (!/^\d{1,3}$/.test(part) || octet > 255) throw new Error(`not an IPv4 address: ${text}`);
    address = address * 256 + octet;
  }
  return address;
}

export function ipv4ToBuffer(text: string): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(parseIpv4(text));
  return buf;
}

/** IPv6 text → 16 bytes (shared with the socket code: src/net/ip.ts). */
export function parseIpv6(text: string): Buffer {
  return ipv6Bytes(text);
}

/** RFC 5952 text form. */
export function ipv6ToString(address: Buffer): string {
  return formatIpv6(address);
}

/** RFC 4364 §4.2 text form: type 0 "asn2:n", type 1 "a.b.c.d:n", type 2 "asn4:n". */
export function rdToString(rd: Buffer): string {
  const type = rd.readUInt16BE(0);
  switch (type) {
    case 0:
      return `${rd.readUInt16BE(2)}:${rd.readUInt32BE(4)}`;
    case 1:
      return `${ipv4ToString(rd.readUInt32BE(2))}:${rd.readUInt16BE(6)}`;
    case 2:
      return `${rd.readUInt32BE(2)}:${rd.readUInt16BE(6)}`;
    default:
      return `${type}:${rd.subarray(2).toString('hex')}`;
  }
}

export function parseRd(text: string): Buffer {
  const colon = text.lastIndexOf(':');
  const admin = text.slice(0, colon);
  const assigned = Number(text.slice(colon + 1));
  const rd = Buffer.alloc(8);
  if (admin.includes('.')) {
    rd.writeUInt16BE(1, 0);
    rd.writeUInt32BE(parseIpv4(admin), 2);
    rd.writeUInt16BE(assigned, 6);
  } else if (Number(admin) > 0xffff) {
    rd.writeUInt16BE(2, 0);
    rd.writeUInt32BE(Number(admin), 2);
    rd.writeUInt16BE(assigned, 6);
  } else {
    rd.writeUInt16BE(0, 0);
    rd.writeUInt16BE(Number(admin), 2);
    rd.writeUInt32BE(assigned, 4);
  }
  return rd;
}

/** "10.0.0.0/24", "2001:db8::/32", "65000:1:10.0.0.0/24" (RD first for VPN prefixes). */
export function prefixToString(prefix: Prefix): string {
  switch (prefix.family) {
    case 'ipv4-unicast':
      return `${ipv4ToString(prefix.address)}/${prefix.length}`;
    case 'ipv6-unicast':
      return `${ipv6ToString(prefix.address)}/${prefix.length}`;
    case 'vpnv4-unicast':
      return `${rdToString(prefix.rd)}:${ipv4ToString(prefix.address.readUInt32BE(0))}/${prefix.length}`;
    case 'vpnv6-unicast':
      return `${rdToString(prefix.rd)}:${ipv6ToString(prefix.address)}/${prefix.length}`;
  }
}

function splitPrefix(text: string): [string, number] {
  const slash = text.lastIndexOf('/');
  if (slash < 0) throw new Error(`not a prefix: ${text}`);
  const length = Number(text.slice(slash + 1));
  if (!Number.isInteger(length)) throw new Error(`not a prefix: ${text}`);
  return [text.slice(0, slash), length];
}

export function ipv4Prefix(text: string): Ipv4Prefix {
  const [address, length] = splitPrefix(text);
  if (length > 32) throw new Error(`not an IPv4 prefix: ${text}`);
  return { family: 'ipv4-unicast', length, address: (parseIpv4(address) & ipv4Mask(length)) >>> 0 };
}

function maskBuffer(address: Buffer, length: number): Buffer {
  for (let i = 0; i < address.length; i++) {
    const keep = Math.max(0, Math.min(8, length - i * 8));
    address[i]! &= (0xff << (8 - keep)) & 0xff;
  }
  return address;
}

export function ipv6Prefix(text: string): Ipv6Prefix {
  const [address, length] = splitPrefix(text);
  if (length > 128) throw new Error(`not an IPv6 prefix: ${text}`);
  return { family: 'ipv6-unicast', length, address: maskBuffer(parseIpv6(address), length) };
}

/** A VPN prefix from its parts; `label` is the 20-bit label value, encoded with the bottom-of-stack bit. */
export function vpnPrefix(rd: string, prefix: string, label: number): VpnPrefix {
  const [address, length] = splitPrefix(prefix);
  const v4 = address.includes('.') && !address.includes(':');
  if (length > (v4 ? 32 : 128)) throw new Error(`not a VPN prefix: ${prefix}`);
  return {
    family: v4 ? 'vpnv4-unicast' : 'vpnv6-unicast',
    length,
    address: maskBuffer(v4 ? ipv4ToBuffer(address) : parseIpv6(address), length),
    labels: [((label << 4) | 1) >>> 0],
    rd: parseRd(rd),
  };
}
