/**
 * Wire bytes written out field by field for tests (after pg-protocol's testing/buffer-list.ts):
 * every octet, length and marker is put down explicitly, so fixtures built with it owe nothing
 * to the serializer they check. Shared by the BGP and the BMP test buffers.
 */
export class BufferList {
  private readonly parts: Buffer[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  bytes(value: Buffer | readonly number[]): this {
    const buffer = Buffer.isBuffer(value) ? value : Buffer.from(value);
    this.parts.push(buffer);
    this.size += buffer.length;
    return this;
  }

  u8(...values: number[]): this {
    return this.bytes(values.map((v) => v & 0xff));
  }

  u16(value: number): this {
    return this.bytes([(value >>> 8) & 0xff, value & 0xff]);
  }

  /** Three octets (an MPLS label field, RFC 3107 §3). */
  u24(value: number): this {
    return this.bytes([(value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
  }

  u32(value: number): this {
    return this.u16(Math.floor(value / 0x10000) & 0xffff).u16(value & 0xffff);
  }

  u64(value: bigint): this {
    return this.u32(Number(value >> 32n)).u32(Number(value & 0xffffffffn));
  }

  /** A dotted-quad IPv4 address, 4 octets. */
  ipv4(address: string): this {
    const octets = address.split('.').map(Number);
    if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) throw new Error(`not an IPv4 address: ${address}`);
    return this.bytes(octets);
  }

  /** An IPv6 address (RFC 4291 §2.2 text, '::' allowed; no embedded IPv4), 16 octets. */
  ipv6(address: string): this {
    const [head, tail] = address.includes('::') ? address.split('::') as [string, string] : [address, null];
    const groups = (text: string): number[] => (text === '' ? [] : text.split(':').map((g) => parseInt(g, 16)));
    const front = groups(head);
    const back = tail === null ? [] : groups(tail);
    const all = tail === null ? front : [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
    if (all.length !== 8 || all.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) throw new Error(`not an IPv6 address: ${address}`);
    for (const g of all) this.u16(g);
    return this;
  }

  /** `inner`, preceded by its length in `octets` octets. */
  lengthPrefixed(octets: 1 | 2 | 4, inner: BufferList | Buffer): this {
    const body = inner instanceof BufferList ? inner.join() : inner;
    const length = body.length;
    if (octets === 1) this.u8(length);
    else if (octets === 2) this.u16(length);
    else this.u32(length);
    return this.bytes(body);
  }

  join(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}
