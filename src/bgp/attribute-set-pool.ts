/**
 * The distinct path attribute sets of every Adj-RIB-In that reads attributes the same way,
 * each stored once, refcounted by the routes that carry it.
 *
 * A route reflector's neighbors send a full table each with hundreds of thousands of distinct
 * attribute sets, and many of a neighbor's sets are also another neighbor's (the same path
 * reflected twice). Sharing one pool across neighbors stores those once, and the id a route
 * table holds (a uint32 slot) is the same for the same set whoever sent it.
 *
 * A set costs its octets in one arena Buffer and 21 bytes of typed arrays (offset, length, hash,
 * refcount, flags) plus two hash-table slots: no object, string or Map entry per set, so a full
 * garbage collection has nothing of them to walk, and a received UPDATE's set is looked up by
 * hashing its octets where they lie in the message.
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

/** Hash table slots of an empty pool. */
const MIN_SLOTS = 128;

/** Slot value of an empty hash table slot; a used slot holds id + 1. */
const EMPTY_SLOT = 0;

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
   * Every set's octets, one after another: no string, Buffer or Map entry per set, so a few
   * million sets cost the octets and 21 bytes of typed arrays each, and a lookup hashes the
   * received octets where they lie. A dropped set's octets stay until compact(); they are never
   * overwritten, so a snapshot keeps reading the arena it was made from.
   */
  private arena = Buffer.allocUnsafe(1 << 16);
  private arenaUsed = 0;
  /** Octets of live sets in the arena (the rest is dropped sets, reclaimed by compact()). */
  private arenaLive = 0;
  private offsets = new Uint32Array(64);
  /** Octet length of each id's set; 0 for a free id. */
  private lengths = new Uint32Array(64);
  private hashes = new Uint32Array(64);
  private refCounts = new Uint32Array(64);
  private flags = new Uint8Array(64);
  /** Open addressing, linear probing: id + 1 of the set whose hash starts the probe there, or EMPTY_SLOT. */
  private slots = new Uint32Array(MIN_SLOTS);
  private live = 0;
  /** Ids below this have been used. */
  private idBound = 0;
  /** Ids of dropped sets, reused so the arrays stay as long as the most sets ever held at once. */
  private freeIds: number[] = [];

  constructor(options: AttributeSetPoolOptions) {
    this.options = options;
    this.routerId = parseIpv4(options.routerId);
    this.clusterId = parseIpv4(options.clusterId ?? options.routerId);
  }

  /** Distinct sets held. */
  get size(): number {
    return this.live;
  }

  /** Bytes the pool's arena and arrays take (memory accounting). */
  get bytes(): number {
    return this.arena.length + this.slots.byteLength + this.offsets.length * 17;
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
    const mask = this.slots.length - 1;
    const length = 2 + nextHop.length + attributes.length;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === EMPTY_SLOT) return -1;
      const id = entry - 1;
      if (this.hashes[id] !== hash || this.lengths[id] !== length) continue;
      const at = this.offsets[id]!;
      const arena = this.arena;
      if (arena[at] !== ADDRESS_FAMILIES.indexOf(family) || arena[at + 1] !== nextHop.length) continue;
      if (nextHop.length > 0 && nextHop.compare(arena, at + 2, at + 2 + nextHop.length) !== 0) continue;
      if (attributes.compare(arena, at + 2 + nextHop.length, at + length) === 0) return id;
    }
  }

  private add(family: AddressFamily, attributes: Buffer, nextHop: Buffer, hash: number): number {
    const length = 2 + nextHop.length + attributes.length;
    const id = this.freeIds.pop() ?? this.idBound++;
    if (id >= this.refCounts.length) this.grow(id + 1);
    if (this.arenaUsed + length > this.arena.length) this.compact(length);
    const at = this.arenaUsed;
    this.arena[at] = ADDRESS_FAMILIES.indexOf(family);
    this.arena[at + 1] = nextHop.length;
    nextHop.copy(this.arena, at + 2);
    attributes.copy(this.arena, at + 2 + nextHop.length);
    this.arenaUsed += length;
    this.arenaLive += length;
    this.offsets[id] = at;
    this.lengths[id] = length;
    this.hashes[id] = hash;
    this.flags[id] = this.loopFlags(attributes);
    this.refCounts[id] = 0;
    this.live++;
    // At most half full: probes stay short.
    if (2 * this.live > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id);
    return id;
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    let slot = this.hashes[id]! & mask;
    while (this.slots[slot] !== EMPTY_SLOT) slot = (slot + 1) & mask;
    this.slots[slot] = id + 1;
  }

  private rehash(size: number): void {
    this.slots = new Uint32Array(size);
    for (let id = 0; id < this.idBound; id++) if (this.lengths[id] !== 0) this.place(id);
  }

  /** Take `id` out of the hash table: backward-shift deletion, so no tombstones build up. */
  private unplace(id: number): void {
    const mask = this.slots.length - 1;
    let hole = this.hashes[id]! & mask;
    while (this.slots[hole] !== id + 1) hole = (hole + 1) & mask;
    for (let slot = (hole + 1) & mask; this.slots[slot] !== EMPTY_SLOT; slot = (slot + 1) & mask) {
      const home = this.hashes[this.slots[slot]! - 1]! & mask;
      // The entry may fill the hole unless its home lies cyclically in (hole, slot].
      const stays = hole <= slot ? hole < home && home <= slot : hole < home || home <= slot;
      if (stays) continue;
      this.slots[hole] = this.slots[slot]!;
      hole = slot;
    }
    this.slots[hole] = EMPTY_SLOT;
  }

  /**
   * Room for `needed` more octets: the live sets copied into a new arena (twice their size, or
   * more), leaving the old one to any snapshot still reading it.
   */
  private compact(needed: number): void {
    let size = this.arena.length;
    while (size < 2 * (this.arenaLive + needed)) size *= 2;
    const arena = Buffer.allocUnsafe(size);
    let used = 0;
    for (let id = 0; id < this.idBound; id++) {
      const length = this.lengths[id]!;
      if (length === 0) continue;
      this.arena.copy(arena, used, this.offsets[id]!, this.offsets[id]! + length);
      this.offsets[id] = used;
      used += length;
    }
    this.arena = arena;
    this.arenaUsed = used;
  }

  retain(id: number): void {
    this.refCounts[id]!++;
  }

  /** Drop one reference; the set goes at zero and its id is free for the next new set. */
  release(id: number): void {
    if (--this.refCounts[id]! !== 0) return;
    this.unplace(id);
    this.drop(id);
  }

  /** Ids are below this: the length of the per-id counts releaseCounted() takes. */
  get idLimit(): number {
    return this.idBound;
  }

  /**
   * Drop `counts[id]` references of every id at once: a neighbor's whole table leaving with its
   * session. Route by route, each release is a random probe into the hash table (tens of MiB at
   * a route reflector's millions of sets) and each set dropped a backward shift; here the counts
   * are taken in one pass, and when many sets go the hash table is rebuilt in one pass instead.
   */
  releaseCounted(counts: Uint32Array): void {
    const bound = Math.min(counts.length, this.idBound);
    let dropping = 0;
    for (let id = 0; id < bound; id++) {
      const count = counts[id]!;
      if (count === 0) continue;
      // More references given back than taken is the caller's bug: the set would be freed under routes still using it.
      if (count > this.refCounts[id]! || this.lengths[id] === 0) throw new RangeError(`attribute set ${id}: releasing ${count} of ${this.refCounts[id]} references`);
      if (count === this.refCounts[id]) dropping++;
    }
    // A rebuild touches every live set once, in id order; backward shifts cost a probe run per set dropped.
    const rebuild = dropping > (this.live - dropping) / 2;
    for (let id = 0; id < bound; id++) {
      const count = counts[id]!;
      if (count === 0) continue;
      this.refCounts[id]! -= count;
      if (this.refCounts[id] !== 0) continue;
      if (!rebuild) this.unplace(id);
      this.drop(id);
    }
    if (!rebuild) return;
    // Hand back a table the sets no longer fill (the last sessions down): at least 1/8 used after.
    let size = this.slots.length;
    while (size > MIN_SLOTS && 8 * this.live < size) size >>>= 1;
    this.rehash(size);
  }

  /** Forget `id`'s set (no reference left, already out of the hash table or about to be rebuilt without it). */
  private drop(id: number): void {
    this.arenaLive -= this.lengths[id]!;
    this.lengths[id] = 0;
    this.live--;
    this.freeIds.push(id);
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
   * sets and reusing their ids. Copies 8 bytes an id; the arena is shared, since neither
   * add() nor compact() overwrites octets it holds.
   */
  snapshot(): AttributeSetsSnapshot {
    const arena = this.arena;
    const offsets = this.offsets.slice(0, this.idBound);
    const lengths = this.lengths.slice(0, this.idBound);
    return {
      ids: this.idBound,
      octetsOf: (id) => (lengths[id] ? arena.subarray(offsets[id]!, offsets[id]! + lengths[id]!) : undefined),
    };
  }

  view(id: number): AttributeSet | undefined {
    const length = this.lengths[id];
    if (!length) return undefined;
    const octets = Buffer.from(this.arena.subarray(this.offsets[id]!, this.offsets[id]! + length));
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

  for(options: AttributeSetPoolOptions): AttributeSetPool {
    const key = `${options.localAs}/${options.routerId}/${options.clusterId ?? options.routerId}/${options.fourOctetAs}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new AttributeSetPool(options);
      this.pools.set(key, pool);
    }
    return pool;
  }
}
