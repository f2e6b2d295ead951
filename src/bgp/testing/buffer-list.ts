/**
 * Wire bytes written out field by field for tests (after pg-protocol's testing/buffer-list.ts):
 * every octet, length and marker is put down explicitly, so fixtures built with it owe nothing
 * to the serializer they check. Shared by the BGP and the BMP test buffers. One growing buffer,
 * so a million-prefix benchmark table (tools/bench/rib-ingest.mjs) builds without a Buffer a field.
 */
export class BufferList {
  private buffer = Buffer.allocUnsafe(64);
  private size = 0;

  get length(): number {
    return this.size;
  }

  private room(octets: number): void {
    if (this.size + octets <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.size + octets));
    this.buffer.copy(grown, 0, 0, this.size);
    this.buffer = grown;
  }

  bytes(value: Buffer | readonly number[]): this {
    this.room(value.length);
    if (Buffer.isBuffer(value)) value.copy(this.buffer, this.size);
    else for (let i = 0; i < value.length; i++) this.buffer[this.size + i] = value[i]! & 0xff;
    this.size += value.length;
    return this;
  }

  u8(...values: number[]): this {
    return this.bytes(values);
  }

  u16(value: number): this {
    this.room(2);
    this.buffer[this.size++] = (value >>> 8) & 0xff;
    this.buffer[this.size++] = value & 0xff;
    return this;
  }

  /** Three octets (an MPLS label field, RFC 3107 §3). */
  u24(value: number): this {
    return this.u8(value >>> 16, value >>> 8, value);
  }

  u32(value: number): this {
    return this.u16(Math.floor(value / 0x10000) & 0xffff).u16(value & 0xffff);
  }

  u64(value: bigint): this {
    return this.u32(Number(value >> 32n)).u32(Number(value & 0xffffffffn));
  }

  /** A dotted-quad IPv4 address, 4 octets. */
  ipv4(address: string): this {
    return this.bytes(ipv4Octets(address));
  }

  /** An IPv6 address, 16 octets. */
  ipv6(address: string): this {
    return this.bytes(ipv6Octets(address));
  }

  /** `inner`, preceded by its length in `octets` octets. */
  lengthPrefixed(octets: 1 | 2 | 4, inner: BufferList | Buffer): this {
    const length = inner.length;
    if (octets === 1) this.u8(length);
    else if (octets === 2) this.u16(length);
    else this.u32(length);
    return this.bytes(inner instanceof BufferList ? inner.join() : inner);
  }

  /** The bytes written so far, in a Buffer of their own. */
  join(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.size));
  }
}

/** A dotted-quad IPv4 address's 4 octets. */
export function ipv4Octets(address: string): number[] {
  const octets = address.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`not an IPv4 address: ${address}`);
  return octets;
}

/** An IPv6 address's 16 octets (RFC 4291 §2.2 text, '::' allowed; no embedded IPv4). */
export function ipv6Octets(address: string): number[] {
  const groups = (text: string): number[] => (text === '' ? [] : text.split(':').map((g) => parseInt(g, 16)));
  const halves = address.split('::');
  if (halves.length > 2) throw new Error(`not an IPv6 address: ${address}`);
  const front = groups(halves[0]!);
  const back = halves.length === 2 ? groups(halves[1]!) : [];
  const all = halves.length === 2 ? [...front, ...new Array<number>(Math.max(0, 8 - front.length - back.length)).fill(0), ...back] : front;
  if (all.length !== 8 || all.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) throw new Error(`not an IPv6 address: ${address}`);
  return all.flatMap((g) => [g >>> 8, g & 0xff]);
}
