/**
 * IPv4 unicast prefix → small integer (the Adj-RIB-In's attribute set id), for a full table
 * of a million prefixes.
 *
 * A JS Map of a million entries costs about 30 bytes per prefix on the V8 heap, which every
 * full garbage collection walks, and it rehashes into a second copy of itself as it grows.
 * Here the entries live in two typed arrays outside the heap (8 bytes per slot, at most 3/4
 * of the slots used): open addressing, linear probing, deletion by backward shift (Knuth,
 * TAOCP vol. 3, 6.4 Algorithm R), so there are no tombstones and no per-prefix objects.
 *
 * Key: prefixes up to /31 are `shortKey(length, address)` (a leading 1 bit above the
 * significant bits, below 2^32); /32 host routes have no room for that bit in 32 bits and
 * live in a second slab keyed by the address itself. A slot is empty when its value is 0:
 * values are stored plus one.
 */

/** Returned by get/set/delete when the prefix was not in the table. */
export const ABSENT = -1;

const MIN_BITS = 4;
/** Largest value the table can hold (stored plus one in a Uint32). */
export const MAX_ROUTE_VALUE = 0xfffffffe;

/** Short prefixes (≤ /31): a leading 1 bit, then the significant bits of the address. */
function shortKey(length: number, address: number): number {
  return length === 0 ? 1 : ((1 << length) | (address >>> (32 - length))) >>> 0;
}

/**
 * What SplitSlab needs of a slab: a 32-bit hash per key, whose top `skip` bits pick the
 * partition and whose next bits the slab's home slot.
 */
export interface HashSlab<K> {
  readonly size: number;
  readonly bytes: number;
  /** value + 1 per slot; 0 marks an empty slot. */
  readonly values: Uint32Array;
  hash(key: K): number;
  get(key: K): number;
  set(key: K, value: number): number;
  delete(key: K): number;
  /** The key in a used slot (wide keys: in a scratch array the next call overwrites). */
  keyAt(slot: number): K;
}

/** A slab splits into 2^PARTITION_BITS once it holds SPLIT_AT keys, and is one again below MERGE_AT (see SplitSlab). */
const PARTITION_BITS = 5;
const SPLIT_AT = 1 << 14;
const MERGE_AT = SPLIT_AT >>> 3;

/**
 * One slab while small, 2^PARTITION_BITS slabs picked by the top bits of the key's hash once it
 * holds SPLIT_AT keys: a slab doubles by rehashing all its keys in one call, which at a full table
 * (2^20 to 2^21 slots) held the data-plane thread 40-85 ms per neighbor and family; a partition's
 * doubling moves 1/32 of them. Small tables (most neighbors) stay one slab: every typed array
 * costs a hundred-odd bytes of its own. The split moves SPLIT_AT keys once (a few ms; at 65,536
 * IPv6 keys it took 20-50), and a table that shrinks below MERGE_AT keys (routes withdrawn) is
 * merged back into one slab.
 */
export class SplitSlab<K, S extends HashSlab<K>> {
  /** One slab, or 2^PARTITION_BITS. */
  parts: S[];
  size = 0;

  /** `make(bits, skip)`: an empty slab of 2^bits slots whose home slots skip the hash's top `skip` bits. */
  constructor(private readonly make: (bits?: number, skip?: number) => S) {
    this.parts = [make()];
  }

  get bytes(): number {
    let bytes = 0;
    for (const part of this.parts) bytes += part.bytes;
    return bytes;
  }

  private partOf(key: K): S {
    const parts = this.parts;
    return parts.length === 1 ? parts[0]! : parts[this.parts[0]!.hash(key) >>> (32 - PARTITION_BITS)]!;
  }

  get(key: K): number {
    return this.partOf(key).get(key);
  }

  set(key: K, value: number): number {
    const previous = this.partOf(key).set(key, value);
    if (previous === ABSENT && ++this.size >= SPLIT_AT && this.parts.length === 1) this.repartition(1 << PARTITION_BITS);
    return previous;
  }

  delete(key: K): number {
    const previous = this.partOf(key).delete(key);
    if (previous !== ABSENT && --this.size < MERGE_AT && this.parts.length > 1) this.repartition(1);
    return previous;
  }

  clear(): void {
    this.parts = [this.make()];
    this.size = 0;
  }

  /** Every key into `count` new slabs, each sized for its share at under 3/4 full, so none doubles right away. */
  private repartition(count: number): void {
    const old = this.parts;
    const bits = Math.max(MIN_BITS, Math.ceil(Math.log2((2 * this.size) / count)));
    this.parts = Array.from({ length: count }, () => this.make(bits, count === 1 ? 0 : PARTITION_BITS));
    for (const part of old) {
      const values = part.values;
      for (let s = 0; s < values.length; s++) {
        if (values[s] === 0) continue;
        const key = part.keyAt(s);
        this.partOf(key).set(key, values[s]! - 1);
      }
    }
  }
}

/** One open-addressing map of uint32 keys to uint32 values. */
class Slab implements HashSlab<number> {
  keys: Uint32Array;
  /** value + 1; 0 marks an empty slot. */
  values: Uint32Array;
  size = 0;
  private bits: number;
  private mask: number;

  /** `skip`: the hash's top bits that picked this slab among a SplitSlab's partitions. */
  constructor(bits = MIN_BITS, private readonly skip = 0) {
    this.bits = bits;
    this.mask = (1 << bits) - 1;
    this.keys = new Uint32Array(1 << bits);
    this.values = new Uint32Array(1 << bits);
  }

  /** Fibonacci hashing: key × 2^32/φ, so runs of consecutive prefixes spread out. */
  hash(key: number): number {
    return Math.imul(key, 0x9e3779b1);
  }

  /** The hash's top bits below the skipped ones. */
  private home(key: number): number {
    return (Math.imul(key, 0x9e3779b1) << this.skip) >>> (32 - this.bits);
  }

  keyAt(slot: number): number {
    return this.keys[slot]!;
  }

  get(key: number): number {
    const { keys, values, mask } = this;
    for (let i = this.home(key); ; i = (i + 1) & mask) {
      const stored = values[i]!;
      if (stored === 0) return ABSENT;
      if (keys[i] === key) return stored - 1;
    }
  }

  set(key: number, value: number): number {
    // Grow before inserting: at most 3/4 of the slots in use keeps the probe runs short.
    if ((this.size + 1) * 4 > this.values.length * 3) this.resize(this.bits + 1);
    const { keys, values, mask } = this;
    for (let i = this.home(key); ; i = (i + 1) & mask) {
      const stored = values[i]!;
      if (stored === 0) {
        keys[i] = key;
        values[i] = value + 1;
        this.size++;
        return ABSENT;
      }
      if (keys[i] === key) {
        values[i] = value + 1;
        return stored - 1;
      }
    }
  }

  delete(key: number): number {
    const { keys, values, mask } = this;
    let i = this.home(key);
    for (; ; i = (i + 1) & mask) {
      const stored = values[i]!;
      if (stored === 0) return ABSENT;
      if (keys[i] === key) break;
    }
    const previous = values[i]! - 1;
    // Backward shift: move later entries of the run into the hole when their home allows it.
    let hole = i;
    for (let j = (i + 1) & mask; values[j] !== 0; j = (j + 1) & mask) {
      const home = this.home(keys[j]!);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        keys[hole] = keys[j]!;
        values[hole] = values[j]!;
        hole = j;
      }
    }
    values[hole] = 0;
    this.size--;
    if (this.bits > MIN_BITS && this.size * 16 < this.values.length) this.resize(this.bits - 1);
    return previous;
  }

  private resize(bits: number): void {
    const { keys, values } = this;
    const mask = (1 << bits) - 1;
    const shift = 32 - bits;
    const newKeys = new Uint32Array(1 << bits);
    const newValues = new Uint32Array(1 << bits);
    let size = 0;
    for (let s = 0; s < values.length; s++) {
      const stored = values[s]!;
      if (stored === 0) continue;
      const key = keys[s]!;
      let i = (Math.imul(key, 0x9e3779b1) << this.skip) >>> shift;
      while (newValues[i] !== 0) i = (i + 1) & mask;
      newKeys[i] = key;
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

/** Add one to `counts[value]` for every used slot of a slab's values (stored plus one, 0 empty). */
export function countSlabValues(values: Uint32Array, counts: Uint32Array): void {
  for (let s = 0; s < values.length; s++) {
    const stored = values[s]!;
    if (stored !== 0) counts[stored - 1]!++;
  }
}

const slab = (bits?: number, skip?: number) => new Slab(bits, skip);

/** Every slab's values, one after another, and its keys likewise (a snapshot's copy). */
export function concatenated(parts: readonly { keys: Uint32Array; values: Uint32Array }[]): { keys: Uint32Array; values: Uint32Array } {
  if (parts.length === 1) return { keys: parts[0]!.keys.slice(), values: parts[0]!.values.slice() };
  const keys = new Uint32Array(parts.reduce((n, p) => n + p.keys.length, 0));
  const values = new Uint32Array(parts.reduce((n, p) => n + p.values.length, 0));
  let keyAt = 0;
  let valueAt = 0;
  for (const part of parts) {
    keys.set(part.keys, keyAt);
    values.set(part.values, valueAt);
    keyAt += part.keys.length;
    valueAt += part.values.length;
  }
  return { keys, values };
}

export class Ipv4RouteTable {
  private readonly short = new SplitSlab(slab);
  private readonly hosts = new SplitSlab(slab);

  get size(): number {
    return this.short.size + this.hosts.size;
  }

  /** Bytes of the typed arrays behind the table (memory accounting). */
  get bytes(): number {
    return this.short.bytes + this.hosts.bytes;
  }

  /** The value stored for the prefix, or ABSENT. `address` has its host bits clear. */
  get(length: number, address: number): number {
    return length === 32 ? this.hosts.get(address >>> 0) : this.short.get(shortKey(length, address));
  }

  /** Store `value` (0..MAX_ROUTE_VALUE) for the prefix; returns the value it replaced, or ABSENT. */
  set(length: number, address: number, value: number): number {
    if (!(value >= 0 && value <= MAX_ROUTE_VALUE)) throw new RangeError(`route value ${value} outside 0..${MAX_ROUTE_VALUE}`);
    return length === 32 ? this.hosts.set(address >>> 0, value) : this.short.set(shortKey(length, address), value);
  }

  /** Remove the prefix; returns the value it had, or ABSENT. */
  delete(length: number, address: number): number {
    return length === 32 ? this.hosts.delete(address >>> 0) : this.short.delete(shortKey(length, address));
  }

  clear(): void {
    this.short.clear();
    this.hosts.clear();
  }

  /** Add one to `counts[value]` for every route (what AdjRibIn.clear() gives back to the pool). */
  countValues(counts: Uint32Array): void {
    for (const part of this.short.parts) countSlabValues(part.values, counts);
    for (const part of this.hosts.parts) countSlabValues(part.values, counts);
  }

  /** A copy of the table as it is now, read slot by slot (a replay reads it a part at a time). */
  snapshot(): Ipv4TableSnapshot {
    const short = concatenated(this.short.parts);
    const hosts = concatenated(this.hosts.parts);
    return new Ipv4TableSnapshot(short.keys, short.values, hosts.keys, hosts.values);
  }

  /**
   * Every route, in no particular order (hash order; the same for the same contents and
   * history). The callback must not change the table.
   */
  forEach(visit: (length: number, address: number, value: number) => void): void {
    for (const { keys, values } of this.short.parts) {
      for (let s = 0; s < values.length; s++) {
        const stored = values[s]!;
        if (stored === 0) continue;
        const key = keys[s]!;
        const length = 31 - Math.clz32(key);
        // `length` bits under the leading 1, shifted back to the top (length 0: address 0).
        const address = length === 0 ? 0 : ((key << (32 - length)) >>> 0);
        visit(length, address, stored - 1);
      }
    }
    for (const { keys, values } of this.hosts.parts) {
      for (let s = 0; s < values.length; s++) {
        const stored = values[s]!;
        if (stored !== 0) visit(32, keys[s]!, stored - 1);
      }
    }
  }
}

/** Slots 0 .. slots-1 of a copied table: the ≤ /31 slab's, then the /32 slab's. */
export class Ipv4TableSnapshot {
  readonly slots: number;

  constructor(
    private readonly shortKeys: Uint32Array,
    private readonly shortValues: Uint32Array,
    private readonly hostKeys: Uint32Array,
    private readonly hostValues: Uint32Array,
  ) {
    this.slots = shortValues.length + hostValues.length;
  }

  /** The value in the slot, or ABSENT for an empty one. */
  valueAt(slot: number): number {
    const short = this.shortValues.length;
    return (slot < short ? this.shortValues[slot]! : this.hostValues[slot - short]!) - 1;
  }

  lengthAt(slot: number): number {
    return slot < this.shortValues.length ? 31 - Math.clz32(this.shortKeys[slot]!) : 32;
  }

  addressAt(slot: number): number {
    const short = this.shortValues.length;
    if (slot >= short) return this.hostKeys[slot - short]!;
    const key = this.shortKeys[slot]!;
    const length = 31 - Math.clz32(key);
    return length === 0 ? 0 : (key << (32 - length)) >>> 0;
  }
}
