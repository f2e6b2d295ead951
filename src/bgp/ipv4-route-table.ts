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

/** One open-addressing map of uint32 keys to uint32 values. */
class Slab {
  keys: Uint32Array;
  /** value + 1; 0 marks an empty slot. */
  values: Uint32Array;
  size = 0;
  private bits: number;
  private mask: number;

  constructor(bits = MIN_BITS) {
    this.bits = bits;
    this.mask = (1 << bits) - 1;
    this.keys = new Uint32Array(1 << bits);
    this.values = new Uint32Array(1 << bits);
  }

  /** Fibonacci hashing: the top bits of key × 2^32/φ, so runs of consecutive prefixes spread out. */
  private home(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> (32 - this.bits);
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

  clear(): void {
    if (this.bits !== MIN_BITS) {
      this.resize(MIN_BITS, false);
      return;
    }
    this.values.fill(0);
    this.size = 0;
  }

  private resize(bits: number, rehash = true): void {
    const { keys, values } = this;
    const mask = (1 << bits) - 1;
    const shift = 32 - bits;
    const newKeys = new Uint32Array(1 << bits);
    const newValues = new Uint32Array(1 << bits);
    let size = 0;
    for (let s = 0; rehash && s < values.length; s++) {
      const stored = values[s]!;
      if (stored === 0) continue;
      const key = keys[s]!;
      let i = Math.imul(key, 0x9e3779b1) >>> shift;
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

export class Ipv4RouteTable {
  private readonly short = new Slab();
  private readonly hosts = new Slab();

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
    countSlabValues(this.short.values, counts);
    countSlabValues(this.hosts.values, counts);
  }

  /** A copy of the table as it is now, read slot by slot (a replay reads it a part at a time). */
  snapshot(): Ipv4TableSnapshot {
    return new Ipv4TableSnapshot(this.short.keys.slice(), this.short.values.slice(), this.hosts.keys.slice(), this.hosts.values.slice());
  }

  /**
   * Every route, in no particular order (hash order; the same for the same contents and
   * history). The callback must not change the table.
   */
  forEach(visit: (length: number, address: number, value: number) => void): void {
    const { keys, values } = this.short;
    for (let s = 0; s < values.length; s++) {
      const stored = values[s]!;
      if (stored === 0) continue;
      const key = keys[s]!;
      const length = 31 - Math.clz32(key);
      // `length` bits under the leading 1, shifted back to the top (length 0: address 0).
      const address = length === 0 ? 0 : ((key << (32 - length)) >>> 0);
      visit(length, address, stored - 1);
    }
    const hosts = this.hosts;
    for (let s = 0; s < hosts.values.length; s++) {
      const stored = hosts.values[s]!;
      if (stored !== 0) visit(32, hosts.keys[s]!, stored - 1);
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
