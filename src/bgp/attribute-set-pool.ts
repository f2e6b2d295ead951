/**
 * The distinct path attribute sets of every Adj-RIB-In that reads attributes the same way,
 * each stored once, refcounted by the routes that carry it.
 *
 * A route reflector's neighbors send a full table each with hundreds of thousands of distinct
 * attribute sets, and many of a neighbor's sets are also another neighbor's (the same path
 * reflected twice). Sharing one pool across neighbors stores those once, and the id a route
 * table holds (a uint32 slot) is the same for the same set whoever sent it.
 *
 * A set costs its octets in an arena of 1 MiB chunks and 21 bytes of typed arrays (offset, length,
 * hash, refcount, flags) plus two hash-table slots: no object, string or Map entry per set, so a
 * full garbage collection has nothing of them to walk, and a received UPDATE's set is looked up by
 * hashing its octets where they lie in the message.
 *
 * Nothing here ever copies or rehashes every set at once: at 16 full-table neighbors (about 4 M
 * sets, 1 GiB of octets) one such step held the data-plane thread for 0.5-1.8 s. The arena grows a
 * chunk at a time and dropped sets' octets are reclaimed a few ids per add (sweep()); the hash
 * table is PARTITIONS tables that each double on their own.
 *
 * A set's octets: family index, next hop length, next hop, path attributes (minus
 * MP_REACH_NLRI / MP_UNREACH_NLRI). The loop flags come from the neighbor-independent
 * parts of the session (local AS, router id, cluster id) and the ASN encoding, so only
 * Adj-RIBs-In that agree on those share a pool (see AttributeSetPools).
 */
import { randomBytes } from 'node:crypto';
import type { AddressFamily, SessionCodecOptions } from './codec/messages.js';
import type { KnownAttributeSets } from './codec/parser.js';
import { ADDRESS_FAMILIES, AttributeTypeCode } from './codec/messages.js';
import { parseIpv4 } from './codec/nlri.js';

export interface AttributeSetPoolOptions {
  /** Our AS: a route whose AS_PATH contains it counts as an AS_PATH loop (RFC 7854 §4.8 type 4). */
  readonly localAs: number;
  /** Our BGP identifier: ORIGINATOR_ID equal to it is a loop (type 5). */
  readonly routerId: string;
  /** Route-reflector cluster ID for CLUSTER_LIST loops (type 3); defaults to routerId. */
  readonly clusterId?: string;
  /** How the stored octets encode ASNs (RFC 6793). */
  readonly fourOctetAs: boolean;
}

/** One distinct set of path attributes, as a view made on request (tests, show commands). */
export interface AttributeSet {
  /** The pool's id for the set: equal ids, equal sets. */
  readonly id: number;
  /** Path attributes as received, minus MP_REACH_NLRI / MP_UNREACH_NLRI. */
  readonly pathAttributes: Buffer;
  /** MP_REACH_NLRI next hop field for non-IPv4-unicast routes; empty for IPv4 unicast. */
  readonly nextHop: Buffer;
  readonly family: AddressFamily;
  readonly asPathLoop: boolean;
  readonly clusterListLoop: boolean;
  readonly originatorIdLoop: boolean;
  /** Routes (of every Adj-RIB-In sharing the pool) that point at the set. */
  readonly refCount: number;
}

const AS_PATH_LOOP = 1;
const CLUSTER_LIST_LOOP = 2;
const ORIGINATOR_ID_LOOP = 4;
/** The set's octets decoded with no RFC 7606 error from an internal / external peer (see markDecodedCleanly). */
const CLEAN_IBGP = 8;
const CLEAN_EBGP = 16;

/** Whether an AS_PATH / AS4_PATH value (segments of type, count, `width`-octet ASNs) holds `asn`. */
function pathContains(raw: Buffer, start: number, end: number, width: 2 | 4, asn: number): boolean {
  for (let at = start; at + 2 <= end; ) {
    const count = raw[at + 1]!;
    at += 2;
    for (let i = 0; i < count && at + width <= end; i++, at += width) {
      if ((width === 4 ? raw.readUInt32BE(at) : raw.readUInt16BE(at)) === asn) return true;
    }
  }
  return false;
}

/** Where a set's octets (family index, next hop length, next hop, path attributes) put the next hop and the attributes. */
export function splitSetOctets(octets: Buffer): { nextHopLength: number; attributesAt: number } {
  const nextHopLength = octets[1]!;
  return { nextHopLength, attributesAt: 2 + nextHopLength };
}

/** The sets a replay reads, as they were when it started (see AttributeSetPool.snapshot()). */
export interface AttributeSetsSnapshot {
  /** Ids are below this. */
  readonly ids: number;
  /** The set's octets (splitSetOctets() cuts them), undefined for an id free at the snapshot. */
  octetsOf(id: number): Buffer | undefined;
}

/** Slot value of an empty hash table slot; a used slot holds id + 1. */
const EMPTY_SLOT = 0;
/**
 * Slot value of a dropped set's slot: lookups probe past it, an insert may take it, a resize
 * leaves it behind. (id + 1 never reaches it: 2^32 - 2 ids would take 80 GiB of arrays.)
 */
const TOMBSTONE = 0xffffffff;

/** The hash table is 2^PARTITION_BITS tables, picked by a hash's top bits, each doubling on its own. */
const PARTITION_BITS = 8;
const PARTITIONS = 1 << PARTITION_BITS;
/** Slots of one partition of an empty pool. */
const MIN_PARTITION_SLOTS = 8;

/** log2 of an arena chunk's bytes: 1 MiB, far above the largest set (an UPDATE is at most 65,535 octets, RFC 8654). */
const CHUNK_SHIFT = 20;
/** Ids one add() visits while a sweep is under way. */
const SWEEP_IDS_PER_ADD = 64;

/** How a pool lays out its arena; tests use small chunks to reach the sweep with few sets. */
export interface AttributeSetPoolStorage {
  /** log2 of a chunk's bytes (default 20); every set must fit a chunk. */
  readonly chunkShift?: number;
}

/**
 * The hash's starting value, random per process: a neighbor that could predict the hash could
 * send sets that all land in one probe run and make every lookup walk it (hash flooding), as
 * V8 seeds its own string hash against.
 */
const HASH_SEED = randomBytes(4).readUInt32BE(0);

/** 32-bit FNV-1a over buf[start, end), continuing from `hash`. */
function fnv1a(hash: number, buf: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
  return hash;
}

export class AttributeSetPool implements KnownAttributeSets {
  readonly options: AttributeSetPoolOptions;
  private readonly routerId: number;
  private readonly clusterId: number;
  /**
   * Every set's octets, one after another in chunks: no string, Buffer or Map entry per set, so a
   * few million sets cost the octets and 21 bytes of typed arrays each, and a lookup hashes the
   * received octets where they lie. Octets are only ever appended to the chunk being filled and a
   * chunk let go is never reused, so a snapshot keeps reading the chunks it was made from.
   * An id's offset is its chunk's index × chunk size + where it starts in the chunk.
   */
  private readonly chunkShift: number;
  private readonly chunkBytes: number;
  /** Chunks by index; undefined once let go (free for a new chunk). */
  private chunks: (Buffer | undefined)[] = [];
  /** Octets of live sets in each chunk. */
  private chunkLive: number[] = [];
  private freeChunks: number[] = [];
  /** The chunk being filled (-1: none yet), and its octets used. */
  private current = -1;
  private currentUsed = 0;
  /** Octets of live sets; of the chunks held. The difference is dropped sets' octets. */
  private arenaLive = 0;
  private arenaHeld = 0;
  /** The next id the sweep visits; -1 while no sweep is under way. */
  private sweepAt = -1;
  private offsets = new Uint32Array(64);
  /** Octet length of each id's set; 0 for a free id. */
  private lengths = new Uint32Array(64);
  private hashes = new Uint32Array(64);
  private refCounts = new Uint32Array(64);
  private flags = new Uint8Array(64);
  /**
   * Open addressing, linear probing, in the partition of the hash's top bits: id + 1 of the set
   * whose hash starts the probe there, EMPTY_SLOT or TOMBSTONE. At most half of a partition's
   * slots are not empty.
   *
   * A dropped set leaves a tombstone rather than a backward shift: the shift reads the hash of
   * every later entry of the probe run, a random read in a few MiB of hashes each, and a
   * neighbor's table going down drops a few hundred thousand sets at once. Tombstones make no
   * probe run longer than it was; an insert reuses one on its way, and a partition whose
   * tombstones fill it is rehashed at its own size (resize()), 1/256 of the sets.
   */
  private partitions: Uint32Array[] = Array.from({ length: PARTITIONS }, () => new Uint32Array(MIN_PARTITION_SLOTS));
  /** Slots holding a set, per partition; and holding a set or a tombstone. */
  private partitionUsed = new Uint32Array(PARTITIONS);
  private partitionFilled = new Uint32Array(PARTITIONS);
  private live = 0;
  /** Ids below this have been used. */
  private idBound = 0;
  /**
   * Ids of dropped sets, a stack in freeIds[0, freeCount), reused so the arrays stay as long as
   * the most sets ever held at once. A typed array: a JS array pushed a few hundred thousand ids
   * at a session down took 35 ms growing.
   */
  private freeIds = new Uint32Array(64);
  private freeCount = 0;

  constructor(options: AttributeSetPoolOptions, storage: AttributeSetPoolStorage = {}) {
    this.options = options;
    this.chunkShift = storage.chunkShift ?? CHUNK_SHIFT;
    this.chunkBytes = 2 ** this.chunkShift;
    this.routerId = parseIpv4(options.routerId);
    this.clusterId = parseIpv4(options.clusterId ?? options.routerId);
  }

  /** Distinct sets held. */
  get size(): number {
    return this.live;
  }

  /** Bytes the pool's arena and arrays take (memory accounting). */
  get bytes(): number {
    let slots = 0;
    for (const partition of this.partitions) slots += partition.byteLength;
    // 17 bytes an id of arrays, and the free id stack at its bound (never longer than the arrays).
    return this.arenaHeld + slots + this.offsets.length * 21;
  }

  /** The id of the set with these octets, or -1 when the pool does not hold it. */
  find(family: AddressFamily, attributes: Buffer, nextHop: Buffer): number {
    return this.lookUp(family, attributes, nextHop, this.hashOf(family, attributes, nextHop));
  }

  /**
   * The id of the set with these octets, created if new, with one reference taken for the
   * caller: the set survives while its routes move in, until the caller's release().
   */
  intern(family: AddressFamily, attributes: Buffer, nextHop: Buffer): number {
    const hash = this.hashOf(family, attributes, nextHop);
    let id = this.lookUp(family, attributes, nextHop, hash);
    if (id < 0) id = this.add(family, attributes, nextHop, hash);
    this.refCounts[id]!++;
    return id;
  }

  /**
   * Set `id`'s octets were decoded under `options` with verdict ok (RFC 7606), in an UPDATE
   * announcing routes of its family: from now on an UPDATE carrying them skips decoding them
   * (decodeUpdate with this pool). A verdict depends on the octets and the options only; the
   * ASN encoding is the pool's, so only whether the peer is external remains to record.
   */
  markDecodedCleanly(id: number, options: SessionCodecOptions): void {
    if (options.fourOctetAs === this.options.fourOctetAs) this.flags[id]! |= options.ebgp ? CLEAN_EBGP : CLEAN_IBGP;
  }

  decodedCleanly(family: AddressFamily, attributes: Buffer, nextHop: Buffer, options: SessionCodecOptions): boolean {
    if (options.fourOctetAs !== this.options.fourOctetAs) return false;
    const id = this.find(family, attributes, nextHop);
    return id >= 0 && (this.flags[id]! & (options.ebgp ? CLEAN_EBGP : CLEAN_IBGP)) !== 0;
  }

  private hashOf(family: AddressFamily, attributes: Buffer, nextHop: Buffer): number {
    let hash = Math.imul(HASH_SEED ^ ADDRESS_FAMILIES.indexOf(family), 0x01000193);
    hash = Math.imul(hash ^ nextHop.length, 0x01000193);
    hash = fnv1a(hash, nextHop, 0, nextHop.length);
    hash = fnv1a(hash, attributes, 0, attributes.length);
    // murmur3's finalizer: every input bit reaches the low bits the table indexes by.
    hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
    hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
    return (hash ^ (hash >>> 16)) >>> 0;
  }

  private lookUp(family: AddressFamily, attributes: Buffer, nextHop: Buffer, hash: number): number {
    const table = this.partitions[hash >>> (32 - PARTITION_BITS)]!;
    const mask = table.length - 1;
    const length = 2 + nextHop.length + attributes.length;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot]!;
      if (entry === EMPTY_SLOT) return -1;
      if (entry === TOMBSTONE) continue;
      const id = entry - 1;
      if (this.hashes[id] !== hash || this.lengths[id] !== length) continue;
      const chunk = this.chunkOf(id);
      const at = this.startOf(id);
      if (chunk[at] !== ADDRESS_FAMILIES.indexOf(family) || chunk[at + 1] !== nextHop.length) continue;
      if (nextHop.length > 0 && nextHop.compare(chunk, at + 2, at + 2 + nextHop.length) !== 0) continue;
      if (attributes.compare(chunk, at + 2 + nextHop.length, at + length) === 0) return id;
    }
  }

  /** The chunk holding `id`'s octets, and where they start in it. */
  private chunkOf(id: number): Buffer {
    return this.chunks[this.offsets[id]! >>> this.chunkShift]!;
  }

  private startOf(id: number): number {
    return this.offsets[id]! & (this.chunkBytes - 1);
  }

  private add(family: AddressFamily, attributes: Buffer, nextHop: Buffer, hash: number): number {
    const length = 2 + nextHop.length + attributes.length;
    const id = this.freeCount > 0 ? this.freeIds[--this.freeCount]! : this.idBound++;
    if (id >= this.refCounts.length) this.grow(id + 1);
    const position = this.reserve(length);
    const chunk = this.chunks[position >>> this.chunkShift]!;
    const at = position & (this.chunkBytes - 1);
    chunk[at] = ADDRESS_FAMILIES.indexOf(family);
    chunk[at + 1] = nextHop.length;
    nextHop.copy(chunk, at + 2);
    attributes.copy(chunk, at + 2 + nextHop.length);
    this.offsets[id] = position;
    this.lengths[id] = length;
    this.hashes[id] = hash;
    this.flags[id] = this.loopFlags(attributes);
    this.refCounts[id] = 0;
    this.live++;
    this.place(id);
    this.sweep();
    return id;
  }

  /**
   * Room for `length` octets at the end of the chunk being filled, a new chunk when they do not
   * fit (the one left is let go if its sets are all dropped): their offset (see `offsets`).
   */
  private reserve(length: number): number {
    if (length > this.chunkBytes) throw new RangeError(`attribute set of ${length} octets is larger than an arena chunk`);
    if (this.current < 0 || this.currentUsed + length > this.chunkBytes) {
      const left = this.current;
      const index = this.freeChunks.pop() ?? this.chunks.length;
      // Offsets are uint32: 4 GiB of live sets at most.
      if (index >= 2 ** (32 - this.chunkShift)) throw new RangeError('attribute set arena full');
      this.chunks[index] = Buffer.allocUnsafeSlow(this.chunkBytes);
      this.chunkLive[index] = 0;
      this.arenaHeld += this.chunkBytes;
      this.current = index;
      this.currentUsed = 0;
      if (left >= 0 && this.chunkLive[left] === 0) this.letGo(left);
    }
    const position = this.current * this.chunkBytes + this.currentUsed;
    this.currentUsed += length;
    this.chunkLive[this.current]! += length;
    this.arenaLive += length;
    return position;
  }

  /** `id`'s octets are no longer live where they are (dropped or moved); an emptied chunk is let go. */
  private vacate(id: number): void {
    const index = this.offsets[id]! >>> this.chunkShift;
    const length = this.lengths[id]!;
    this.arenaLive -= length;
    if ((this.chunkLive[index]! -= length) === 0 && index !== this.current) this.letGo(index);
  }

  /** A snapshot may still read the chunk: the pool forgets it and never writes to it again. */
  private letGo(index: number): void {
    this.chunks[index] = undefined;
    this.arenaHeld -= this.chunkBytes;
    this.freeChunks.push(index);
  }

  /**
   * Dropped sets' octets, reclaimed a little at a time: once they outweigh the live ones, each
   * add() visits the next SWEEP_IDS_PER_ADD ids and moves those in a chunk less than half live to
   * the chunk being filled; a chunk left empty is let go. A chunk at least half live stays, so the
   * arena holds at most about twice the live octets, as a copy-everything compaction kept it.
   */
  private sweep(): void {
    if (this.sweepAt < 0) {
      if (this.arenaHeld - this.arenaLive <= this.arenaLive + 2 * this.chunkBytes) return;
      this.sweepAt = 0;
    }
    const end = Math.min(this.idBound, this.sweepAt + SWEEP_IDS_PER_ADD);
    for (let id = this.sweepAt; id < end; id++) {
      const length = this.lengths[id]!;
      if (length === 0) continue;
      const index = this.offsets[id]! >>> this.chunkShift;
      if (index === this.current || 2 * this.chunkLive[index]! >= this.chunkBytes) continue;
      const from = this.chunks[index]!;
      const start = this.startOf(id);
      const position = this.reserve(length);
      from.copy(this.chunks[position >>> this.chunkShift]!, position & (this.chunkBytes - 1), start, start + length);
      this.vacate(id);
      this.offsets[id] = position;
    }
    this.sweepAt = end >= this.idBound ? -1 : end;
  }

  /**
   * Put `id` (not in the table: lookUp() missed it) in its partition. When that would leave at
   * most half of its slots empty the partition is rehashed first, without its tombstones: at
   * twice the size when more than a quarter of the slots hold sets, else at its own size.
   */
  private place(id: number): void {
    const partition = this.hashes[id]! >>> (32 - PARTITION_BITS);
    const slots = this.partitions[partition]!.length;
    if (2 * (this.partitionFilled[partition]! + 1) > slots) {
      this.resize(partition, 4 * (this.partitionUsed[partition]! + 1) > slots ? 2 * slots : slots);
    }
    if (this.insert(this.partitions[partition]!, id)) this.partitionFilled[partition]!++;
    this.partitionUsed[partition]!++;
  }

  /** Puts `id` in the first empty slot or tombstone of its probe run: true when the slot was empty. */
  private insert(table: Uint32Array, id: number): boolean {
    const mask = table.length - 1;
    for (let slot = this.hashes[id]! & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot]!;
      if (entry !== EMPTY_SLOT && entry !== TOMBSTONE) continue;
      table[slot] = id + 1;
      return entry === EMPTY_SLOT;
    }
  }

  /** One partition into a table of `size` slots: 1/256 of the sets, read from the old table, tombstones left behind. */
  private resize(partition: number, size: number): void {
    const old = this.partitions[partition]!;
    const table = new Uint32Array(size);
    for (let slot = 0; slot < old.length; slot++) {
      const entry = old[slot]!;
      if (entry !== EMPTY_SLOT && entry !== TOMBSTONE) this.insert(table, entry - 1);
    }
    this.partitions[partition] = table;
    this.partitionFilled[partition] = this.partitionUsed[partition]!;
  }

  /**
   * Every partition rebuilt from the live sets (after dropping many at once), each shrunk to at
   * least 1/8 used: the tables the last sessions' sets filled are handed back.
   */
  private rebuild(): void {
    const used = new Uint32Array(PARTITIONS);
    for (let id = 0; id < this.idBound; id++) if (this.lengths[id] !== 0) used[this.hashes[id]! >>> (32 - PARTITION_BITS)]!++;
    for (let partition = 0; partition < PARTITIONS; partition++) {
      let size = this.partitions[partition]!.length;
      while (size > MIN_PARTITION_SLOTS && 8 * used[partition]! < size) size >>>= 1;
      this.partitions[partition] = new Uint32Array(size);
    }
    for (let id = 0; id < this.idBound; id++) if (this.lengths[id] !== 0) this.insert(this.partitions[this.hashes[id]! >>> (32 - PARTITION_BITS)]!, id);
    this.partitionUsed = used;
    this.partitionFilled = used.slice();
  }

  /** Take `id`, of hash `hash`, out of the hash table: a tombstone in its slot (see `partitions`). */
  private unplace(id: number, hash: number): void {
    const partition = hash >>> (32 - PARTITION_BITS);
    const table = this.partitions[partition]!;
    const mask = table.length - 1;
    let slot = hash & mask;
    while (table[slot] !== id + 1) slot = (slot + 1) & mask;
    table[slot] = TOMBSTONE;
    this.partitionUsed[partition]!--;
  }

  retain(id: number): void {
    this.refCounts[id]!++;
  }

  /** Drop one reference; the set goes at zero and its id is free for the next new set. */
  release(id: number): void {
    if (--this.refCounts[id]! !== 0) return;
    this.unplace(id, this.hashes[id]!);
    this.reserveFreeIds(1);
    this.drop(id);
  }

  /** Ids are below this: the length of the per-id counts releaseCounted() takes. */
  get idLimit(): number {
    return this.idBound;
  }

  /**
   * Drop `counts[id]` references of every id at once: a neighbor's whole table leaving with its
   * session. Route by route, each release is a random probe into the hash table (tens of MiB at
   * a route reflector's millions of sets); here the counts are taken in one pass, and each set
   * dropped costs one probe to its tombstone. When most sets go, the hash table is rebuilt
   * (shrunk) from the few left instead.
   */
  releaseCounted(counts: Uint32Array): void {
    const bound = Math.min(counts.length, this.idBound);
    // Per partition, how many of its sets go: they are taken out a partition at a time below.
    const starts = new Uint32Array(PARTITIONS + 1);
    let dropping = 0;
    for (let id = 0; id < bound; id++) {
      const count = counts[id]!;
      if (count === 0) continue;
      // More references given back than taken is the caller's bug: the set would be freed under routes still using it.
      if (count > this.refCounts[id]! || this.lengths[id] === 0) throw new RangeError(`attribute set ${id}: releasing ${count} of ${this.refCounts[id]} references`);
      if (count !== this.refCounts[id]) continue;
      dropping++;
      starts[(this.hashes[id]! >>> (32 - PARTITION_BITS)) + 1]!++;
    }
    // A rebuild touches every set left once and gives the emptied tables back; a tombstone costs a probe per set dropped.
    const rebuild = dropping > this.live - dropping;
    for (let partition = 0; partition < PARTITIONS; partition++) starts[partition + 1]! += starts[partition]!;
    // The dropped sets' hashes grouped by partition, each with its id: the probes then stay inside
    // one partition's table at a time (cached), and read no other array. In id order they were a
    // cache and TLB miss each across the whole table (72-97 ms for 240k of 1 M sets).
    const dropped = rebuild ? null : { hashes: new Uint32Array(dropping), ids: new Uint32Array(dropping), next: starts.subarray(0, PARTITIONS) };
    this.reserveFreeIds(dropping);
    for (let id = 0; id < bound; id++) {
      const count = counts[id]!;
      if (count === 0) continue;
      this.refCounts[id]! -= count;
      if (this.refCounts[id] !== 0) continue;
      if (dropped) {
        const hash = this.hashes[id]!;
        const at = dropped.next[hash >>> (32 - PARTITION_BITS)]!++;
        dropped.hashes[at] = hash;
        dropped.ids[at] = id;
      }
      this.drop(id);
    }
    if (dropped) {
      for (let i = 0; i < dropping; i++) this.unplace(dropped.ids[i]!, dropped.hashes[i]!);
    } else {
      this.rebuild();
    }
  }

  /** Forget `id`'s set (no reference left, already out of the hash table or about to be rebuilt without it). */
  private drop(id: number): void {
    this.vacate(id);
    this.lengths[id] = 0;
    this.live--;
    this.freeIds[this.freeCount++] = id;
  }

  /** Room on the free id stack for `more` ids, at once rather than an id at a time; free ids are below idBound. */
  private reserveFreeIds(more: number): void {
    if (this.freeCount + more <= this.freeIds.length) return;
    const next = new Uint32Array(Math.min(Math.max(this.freeCount + more, 2 * this.freeIds.length), this.offsets.length));
    next.set(this.freeIds.subarray(0, this.freeCount));
    this.freeIds = next;
  }

  asPathLoop(id: number): boolean {
    return (this.flags[id]! & AS_PATH_LOOP) !== 0;
  }

  clusterListLoop(id: number): boolean {
    return (this.flags[id]! & CLUSTER_LIST_LOOP) !== 0;
  }

  originatorIdLoop(id: number): boolean {
    return (this.flags[id]! & ORIGINATOR_ID_LOOP) !== 0;
  }

  /**
   * The live sets by id as they are now: a replay reads from it while UPDATEs go on releasing
   * sets and reusing their ids. Copies 8 bytes an id and the list of chunks; the chunks are
   * shared, since nothing writes over octets once written.
   */
  snapshot(): AttributeSetsSnapshot {
    const chunks = this.chunks.slice();
    const offsets = this.offsets.slice(0, this.idBound);
    const lengths = this.lengths.slice(0, this.idBound);
    const { chunkShift } = this;
    const mask = this.chunkBytes - 1;
    return {
      ids: this.idBound,
      octetsOf: (id) => {
        if (!lengths[id]) return undefined;
        const at = offsets[id]! & mask;
        return chunks[offsets[id]! >>> chunkShift]!.subarray(at, at + lengths[id]!);
      },
    };
  }

  view(id: number): AttributeSet | undefined {
    const length = this.lengths[id];
    if (!length) return undefined;
    const octets = Buffer.from(this.chunkOf(id).subarray(this.startOf(id), this.startOf(id) + length));
    const { nextHopLength, attributesAt } = splitSetOctets(octets);
    return {
      id,
      pathAttributes: octets.subarray(attributesAt),
      nextHop: octets.subarray(2, 2 + nextHopLength),
      family: ADDRESS_FAMILIES[octets[0]!]!,
      asPathLoop: this.asPathLoop(id),
      clusterListLoop: this.clusterListLoop(id),
      originatorIdLoop: this.originatorIdLoop(id),
      refCount: this.refCounts[id]!,
    };
  }

  /**
   * The loop flags, read straight from the octets (no attribute objects: nearly every UPDATE of
   * a real table brings a new set). The octets are well-formed: the session decoded them (RFC
   * 7606) before the Adj-RIB-In stored them. On a 2-octet session our AS, if above 65535, is in
   * AS4_PATH, not AS_PATH (RFC 6793 §4.2.3).
   */
  private loopFlags(raw: Buffer): number {
    const asWidth = this.options.fourOctetAs ? 4 : 2;
    let flags = 0;
    for (let offset = 0; offset + 3 <= raw.length; ) {
      const extended = (raw[offset]! & 0x10) !== 0;
      const type = raw[offset + 1]!;
      const start = offset + (extended ? 4 : 3);
      if (start > raw.length) break;
      const end = start + (extended ? raw.readUInt16BE(offset + 2) : raw[offset + 2]!);
      if (end > raw.length) break;
      if (type === AttributeTypeCode.AsPath) {
        if (pathContains(raw, start, end, asWidth, this.options.localAs)) flags |= AS_PATH_LOOP;
      } else if (type === AttributeTypeCode.As4Path && asWidth === 2) {
        if (pathContains(raw, start, end, 4, this.options.localAs)) flags |= AS_PATH_LOOP;
      } else if (type === AttributeTypeCode.ClusterList) {
        for (let at = start; at + 4 <= end; at += 4) if (raw.readUInt32BE(at) === this.clusterId) flags |= CLUSTER_LIST_LOOP;
      } else if (type === AttributeTypeCode.OriginatorId) {
        if (end - start === 4 && raw.readUInt32BE(start) === this.routerId) flags |= ORIGINATOR_ID_LOOP;
      }
      offset = end;
    }
    return flags;
  }

  private grow(minimum: number): void {
    let length = this.refCounts.length;
    while (length < minimum) length *= 2;
    const grown = <T extends Uint32Array | Uint8Array>(array: T, make: new (length: number) => T): T => {
      const next = new make(length);
      next.set(array);
      return next;
    };
    this.offsets = grown(this.offsets, Uint32Array);
    this.lengths = grown(this.lengths, Uint32Array);
    this.hashes = grown(this.hashes, Uint32Array);
    this.refCounts = grown(this.refCounts, Uint32Array);
    this.flags = grown(this.flags, Uint8Array);
  }
}

/**
 * One pool per way of reading attributes, for a speaker's sessions: sessions that agree on
 * local AS, router id, cluster id and ASN encoding share their attribute sets.
 */
export class AttributeSetPools {
  private readonly pools = new Map<string, AttributeSetPool>();
  /** Tables of sessions gone down, whose references releaseLater() gives back one a turn. */
  private readonly releasing: { clear(): void }[] = [];

  for(options: AttributeSetPoolOptions): AttributeSetPool {
    const key = `${options.localAs}/${options.routerId}/${options.clusterId ?? options.routerId}/${options.fourOctetAs}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new AttributeSetPool(options);
      this.pools.set(key, pool);
    }
    return pool;
  }

  /**
   * Gives a table's references back (its clear()) on a later event-loop turn, one table a turn.
   * A full table's clear() costs about 100 ms, and sessions often go down together (a peer
   * router or its line card gone): sixteen full tables closed in one poll phase of the event loop
   * held the data-plane thread 1.2 s. Until then the sets stay, as if the routes were still held.
   */
  releaseLater(table: { clear(): void }): void {
    this.releasing.push(table);
    if (this.releasing.length === 1) setImmediate(() => this.releaseNext());
  }

  private releaseNext(): void {
    this.releasing.shift()!.clear();
    if (this.releasing.length > 0) setImmediate(() => this.releaseNext());
  }
}
