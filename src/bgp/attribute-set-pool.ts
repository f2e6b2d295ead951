/**
 * The distinct path attribute sets of every Adj-RIB-In that reads attributes the same way,
 * each stored once, refcounted by the routes that carry it.
 *
 * A route reflector's neighbors send a full table each with hundreds of thousands of distinct
 * attribute sets, and many of a neighbor's sets are also another neighbor's (the same path
 * reflected twice). Sharing one pool across neighbors stores those once, and the id a route
 * table holds (a uint32 slot) is the same for the same set whoever sent it.
 *
 * A set costs one latin1 string (its key, which is also its only copy of the octets), a Map
 * entry, and a few bytes in typed arrays: no object per set, so a full garbage collection has
 * a few hundred thousand strings to walk rather than as many objects, Buffers and strings.
 *
 * Key layout, one char per octet: family index, next hop length, next hop, path attributes
 * (minus MP_REACH_NLRI / MP_UNREACH_NLRI). The loop flags come from the neighbor-independent
 * parts of the session (local AS, router id, cluster id) and the ASN encoding, so only
 * Adj-RIBs-In that agree on those share a pool (see AttributeSetPools).
 */
import type { AddressFamily } from './codec/messages.js';
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

/** The octets a key holds, as a Buffer, with the offset where the path attributes start. */
export function keyOctets(key: string): { octets: Buffer; nextHopLength: number; attributesAt: number } {
  const octets = Buffer.from(key, 'latin1');
  const nextHopLength = octets[1]!;
  return { octets, nextHopLength, attributesAt: 2 + nextHopLength };
}

export class AttributeSetPool {
  readonly options: AttributeSetPoolOptions;
  private readonly routerId: number;
  private readonly clusterId: number;
  private readonly ids = new Map<string, number>();
  /** Key of each live id; undefined for a free id. */
  private keys: (string | undefined)[] = [];
  private refCounts = new Uint32Array(64);
  private flags = new Uint8Array(64);
  /** Ids of dropped sets, reused so the arrays stay as long as the most sets ever held at once. */
  private freeIds: number[] = [];

  constructor(options: AttributeSetPoolOptions) {
    this.options = options;
    this.routerId = parseIpv4(options.routerId);
    this.clusterId = parseIpv4(options.clusterId ?? options.routerId);
  }

  /** Distinct sets held. */
  get size(): number {
    return this.ids.size;
  }

  /**
   * The id of the set with these octets, created if new, with one reference taken for the
   * caller: the set survives while its routes move in, until the caller's release().
   */
  intern(family: AddressFamily, attributes: Buffer, nextHop: Buffer): number {
    const octets = Buffer.allocUnsafe(2 + nextHop.length + attributes.length);
    octets[0] = ADDRESS_FAMILIES.indexOf(family);
    octets[1] = nextHop.length;
    nextHop.copy(octets, 2);
    attributes.copy(octets, 2 + nextHop.length);
    // One flat one-byte string: V8 hashes it once, and equal keys mean equal octets.
    const key = octets.toString('latin1');
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.freeIds.pop() ?? this.keys.length;
      if (id >= this.refCounts.length) this.grow(id + 1);
      this.keys[id] = key;
      this.flags[id] = this.loopFlags(attributes);
      this.refCounts[id] = 0;
      this.ids.set(key, id);
    }
    this.refCounts[id]!++;
    return id;
  }

  retain(id: number): void {
    this.refCounts[id]!++;
  }

  /** Drop one reference; the set goes at zero and its id is free for the next new set. */
  release(id: number): void {
    if (--this.refCounts[id]! !== 0) return;
    this.ids.delete(this.keys[id]!);
    this.keys[id] = undefined;
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
   * The keys of the live sets by id, copied: a replay reads from it while UPDATEs go on
   * releasing sets and reusing their ids.
   */
  snapshot(): readonly (string | undefined)[] {
    return this.keys.slice();
  }

  view(id: number): AttributeSet | undefined {
    const key = this.keys[id];
    if (key === undefined) return undefined;
    const { octets, nextHopLength, attributesAt } = keyOctets(key);
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
    const refCounts = new Uint32Array(length);
    refCounts.set(this.refCounts);
    const flags = new Uint8Array(length);
    flags.set(this.flags);
    this.refCounts = refCounts;
    this.flags = flags;
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
