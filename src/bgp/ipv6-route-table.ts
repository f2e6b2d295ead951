/**
 * IPv6 unicast prefix → small integer (the attribute set id), as compact as Ipv4RouteTable:
 * open addressing over typed arrays outside the V8 heap, no object per prefix, deletion by
 * backward shift (Knuth, TAOCP vol. 3, 6.4 Algorithm R).
 *
 * A prefix is stored as its significant 32-bit words plus its length. The DFZ's IPv6 table is
 * almost all /64 or shorter (mostly /48, /32-/44), so those live in a slab of 3-word keys
 * (high word, second word, length: 16 bytes a slot with the value); /65 to /128 go to a slab
 * of 5-word keys (24 bytes a slot). At most 3/4 of the slots are used, so a /48 costs 21 to
 * 43 bytes, where a Map entry with a string key cost about 100.
 */
import { ABSENT, MAX_ROUTE_VALUE, SplitSlab, concatenated, countSlabValues, type HashSlab } from './ipv4-route-table.js';

const MIN_BITS = 4;

/** One open-addressing map of `width`-word keys to uint32 values; 0 in `values` marks an empty slot. */
class WideSlab implements HashSlab<Uint32Array> {
  keys: Uint32Array;
  /** value + 1; 0 marks an empty slot. */
  values: Uint32Array;
  size = 0;
  private bits: number;
  private mask: number;
  private readonly scratch: Uint32Array;

  /** `skip`: the hash's top bits that picked this slab among a SplitSlab's partitions. */
  constructor(readonly width: number, bits = MIN_BITS, private readonly skip = 0) {
    this.scratch = new Uint32Array(width);
    this.bits = bits;
    this.mask = (1 << bits) - 1;
    this.keys = new Uint32Array(width << bits);
    this.values = new Uint32Array(1 << bits);
  }

  /** Multiply-xorshift over the words, then Fibonacci hashing. */
  private hashAt(keys: Uint32Array, at: number): number {
    let h = 0;
    for (let w = 0; w < this.width; w++) {
      h = Math.imul(h ^ keys[at + w]!, 0x85ebca6b);
      h ^= h >>> 13;
    }
    return Math.imul(h, 0x9e3779b1);
  }

  hash(key: Uint32Array): number {
    return this.hashAt(key, 0);
  }

  /** The hash's top bits below the skipped ones. */
  private home(keys: Uint32Array, at: number, bits = this.bits): number {
    return (this.hashAt(keys, at) << this.skip) >>> (32 - bits);
  }

  /** A copy into one scratch array, not a subarray: a split reads every key, and a view each cost ten times the copy. */
  keyAt(slot: number): Uint32Array {
    const key = this.scratch;
    const base = slot * this.width;
    for (let w = 0; w < this.width; w++) key[w] = this.keys[base + w]!;
    return key;
  }

  private equals(slot: number, key: Uint32Array): boolean {
    const base = slot * this.width;
    for (let w = 0; w < this.width; w++) if (this.keys[base + w] !== key[w]) return false;
    return true;
  }

  get(key: Uint32Array): number {
    const { values, mask } = this;
    for (let i = this.home(key, 0); ; i = (i + 1) & mask) {
      const stored = values[i]!;
      if (stored === 0) return ABSENT;
      if (this.equals(i, key)) return stored - 1;
    }
  }

  set(key: Uint32Array, value: number): number {
    if ((this.size + 1) * 4 > this.values.length * 3) this.resize(this.bits + 1);
    const { values, mask } = this;
    for (let i = this.home(key, 0); ; i = (i + 1) & mask) {
      const stored = values[i]!;
      if (stored === 0) {
        // Word by word: a subarray per new route cost more than the copy.
        for (let w = 0; w < this.width; w++) this.keys[i * this.width + w] = key[w]!;
        values[i] = value + 1;
        this.size++;
        return ABSENT;
      }
      if (this.equals(i, key)) {
        values[i] = value + 1;
        return stored - 1;
      }
    }
  }

  delete(key: Uint32Array): number {
    const { keys, values, mask, width } = this;
    let i = this.home(key, 0);
    for (; ; i = (i + 1) & mask) {
      const stored = values[i]!;
      if (stored === 0) return ABSENT;
      if (this.equals(i, key)) break;
    }
    const previous = values[i]! - 1;
    let hole = i;
    for (let j = (i + 1) & mask; values[j] !== 0; j = (j + 1) & mask) {
      const home = this.home(keys, j * width);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        keys.copyWithin(hole * width, j * width, (j + 1) * width);
        values[hole] = values[j]!;
        hole = j;
      }
    }
    values[hole] = 0;
    this.size--;
    if (this.bits > MIN_BITS && this.size * 16 < values.length) this.resize(this.bits - 1);
    return previous;
  }

  private resize(bits: number): void {
    const { keys, values, width } = this;
    const mask = (1 << bits) - 1;
    const newKeys = new Uint32Array(width << bits);
    const newValues = new Uint32Array(1 << bits);
    let size = 0;
    for (let s = 0; s < values.length; s++) {
      const stored = values[s]!;
      if (stored === 0) continue;
      let i = this.home(keys, s * width, bits);
      while (newValues[i] !== 0) i = (i + 1) & mask;
      newKeys.set(keys.subarray(s * width, (s + 1) * width), i * width);
      newValues[i] = stored;
      size++;
    }
    this.bits = bits;
    this.mask = mask;
    this.keys = newKeys;
    this.values = newValues;
    this.size = size;
  }

  get bytes(): number {
    return this.keys.byteLength + this.values.byteLength;
  }
}

export class Ipv6RouteTable {
  /** /0 to /64: [word 0, word 1, length]. */
  private readonly short = new SplitSlab((bits?: number, skip?: number) => new WideSlab(3, bits, skip));
  /** /65 to /128: [word 0 .. word 3, length]. */
  private readonly long = new SplitSlab((bits?: number, skip?: number) => new WideSlab(5, bits, skip));
  /** The key being looked up (one prefix at a time: no allocation per call). */
  private readonly scratch = new Uint32Array(5);

  get size(): number {
    return this.short.size + this.long.size;
  }

  /** Bytes of the typed arrays behind the table (memory accounting). */
  get bytes(): number {
    return this.short.bytes + this.long.bytes;
  }

  /** Load the key for `address` (16 octets, host bits clear) and pick its slab. */
  private keyOf(length: number, address: Uint8Array): SplitSlab<Uint32Array, WideSlab> {
    const k = this.scratch;
    const words = length <= 64 ? 2 : 4;
    for (let w = 0; w < words; w++) {
      const o = w * 4;
      k[w] = ((address[o]! << 24) | (address[o + 1]! << 16) | (address[o + 2]! << 8) | address[o + 3]!) >>> 0;
    }
    k[words] = length;
    return words === 2 ? this.short : this.long;
  }

  /** The value stored for the prefix, or ABSENT. */
  get(length: number, address: Uint8Array): number {
    return this.keyOf(length, address).get(this.scratch);
  }

  /** Store `value` (0..MAX_ROUTE_VALUE) for the prefix; returns the value it replaced, or ABSENT. */
  set(length: number, address: Uint8Array, value: number): number {
    if (!(value >= 0 && value <= MAX_ROUTE_VALUE)) throw new RangeError(`route value ${value} outside 0..${MAX_ROUTE_VALUE}`);
    return this.keyOf(length, address).set(this.scratch, value);
  }

  /** Remove the prefix; returns the value it had, or ABSENT. */
  delete(length: number, address: Uint8Array): number {
    return this.keyOf(length, address).delete(this.scratch);
  }

  clear(): void {
    this.short.clear();
    this.long.clear();
  }

  /** Add one to `counts[value]` for every route (what AdjRibIn.clear() gives back to the pool). */
  countValues(counts: Uint32Array): void {
    for (const part of this.short.parts) countSlabValues(part.values, counts);
    for (const part of this.long.parts) countSlabValues(part.values, counts);
  }

  /** A copy of the table as it is now, read slot by slot (a replay reads it a part at a time). */
  snapshot(): Ipv6TableSnapshot {
    return new Ipv6TableSnapshot([this.short, this.long].map((slab) => ({ ...concatenated(slab.parts), width: slab.parts[0]!.width })));
  }

  /**
   * Every route, in hash order. `address` is a fresh 16-octet Buffer per route (pooled) (callers keep
   * it in a Prefix). The callback must not change the table.
   */
  forEach(visit: (length: number, address: Buffer, value: number) => void): void {
    for (const slab of [...this.short.parts, ...this.long.parts]) {
      const { keys, values, width } = slab;
      for (let s = 0; s < values.length; s++) {
        const stored = values[s]!;
        if (stored === 0) continue;
        const base = s * width;
        // allocUnsafe comes from Node's shared pool (no ArrayBuffer per route); every word is written.
        const address = Buffer.allocUnsafe(16);
        for (let w = 0; w < 4; w++) address.writeUInt32BE(w < width - 1 ? keys[base + w]! : 0, w * 4);
        visit(keys[base + width - 1]!, address, stored - 1);
      }
    }
  }
}

/** Slots 0 .. slots-1 of a copied table: the ≤ /64 slab's, then the longer prefixes' slab's. */
export class Ipv6TableSnapshot {
  readonly slots: number;

  constructor(private readonly slabs: readonly { keys: Uint32Array; values: Uint32Array; width: number }[]) {
    this.slots = slabs.reduce((n, slab) => n + slab.values.length, 0);
  }

  private locate(slot: number): { slab: { keys: Uint32Array; values: Uint32Array; width: number }; at: number } {
    const first = this.slabs[0]!;
    return slot < first.values.length ? { slab: first, at: slot } : { slab: this.slabs[1]!, at: slot - first.values.length };
  }

  /** The value in the slot, or ABSENT for an empty one. */
  valueAt(slot: number): number {
    const first = this.slabs[0]!;
    return (slot < first.values.length ? first.values[slot]! : this.slabs[1]!.values[slot - first.values.length]!) - 1;
  }

  /** The prefix in a used slot: its length, and its 16 octets in a fresh (pooled) Buffer. */
  prefixAt(slot: number): { length: number; address: Buffer } {
    const { slab, at } = this.locate(slot);
    const base = at * slab.width;
    const address = Buffer.allocUnsafe(16);
    for (let w = 0; w < 4; w++) address.writeUInt32BE(w < slab.width - 1 ? slab.keys[base + w]! : 0, w * 4);
    return { length: slab.keys[base + slab.width - 1]!, address };
  }
}
