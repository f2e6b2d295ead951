/** Pure IP address <-> bytes conversions (no sockets), shared by codecs and socket code. */
import net from 'node:net';

export function ipv4Bytes(address: string): Buffer {
  if (!net.isIPv4(address)) throw new Error(`not an IPv4 address: ${address}`);
  return Buffer.from(address.split('.').map(Number));
}

/**
 * A dotted-quad IPv4 address as a number, for exactly the texts net.isIPv4 accepts (four decimal
 * octets up to 255, no leading zero); -1 for any other text. Scanned by hand, without a pattern or
 * a split (isIPv4 and ipv4Bytes take about 2.5 us an address): the sort key of every neighbor entry
 * in a reconcile reads it (config-snapshot.ts placedSortKey), 100,000 of them at a time.
 */
export function ipv4Number(text: string): number {
  let value = 0;
  let octet = -1;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // a leading zero
      octet = digits === 0 ? c - 48 : octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else if (c === 46 && digits > 0 && dots < 3) {
      value = value * 256 + octet;
      dots++;
      digits = 0;
      octet = -1;
    } else {
      return -1;
    }
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : -1;
}

/** The 16 bytes of an IPv6 address, accepting '::' compression, a zone suffix and a trailing dotted quad. */
export function ipv6Bytes(address: string): Buffer {
  const zoneless = address.split('%')[0] ?? address;
  if (!net.isIPv6(zoneless)) throw new Error(`not an IPv6 address: ${address}`);
  let text = zoneless;
  const out = Buffer.alloc(16);
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const o = tail.split('.').map(Number);
    const hi = (((o[0] ?? 0) << 8) | (o[1] ?? 0)).toString(16);
    const lo = (((o[2] ?? 0) << 8) | (o[3] ?? 0)).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headParts = head === '' ? [] : head.split(':');
  const restParts = rest === undefined || rest === '' ? [] : rest.split(':');
  const fill = 8 - headParts.length - restParts.length;
  const parts = rest === undefined ? headParts : [...headParts, ...new Array<string>(fill).fill('0'), ...restParts];
  parts.forEach((p, i) => out.writeUInt16BE(parseInt(p, 16), i * 2));
  return out;
}

export function formatIpv4(bytes: Buffer, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 text form: lower case, longest run (>= 2) of zero hextets compressed. */
export function formatIpv6(bytes: Buffer, offset = 0): string {
  const h: number[] = [];
  for (let i = 0; i < 8; i++) h.push(bytes.readUInt16BE(offset + i * 2));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (h[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && h[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = h.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
