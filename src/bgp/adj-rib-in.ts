/**
 * Adj-RIB-In (RFC 4271 §3.2) of one neighbor, pre-policy, as BMP needs it:
 * the routes the neighbor advertised, the RFC 7854 §4.8 counters, and a
 * replay of the table as UPDATE messages for stations that join late when
 * the neighbor cannot ROUTE-REFRESH.
 *
 * Memory: a route reflector holds many full tables (about a million IPv4
 * and 220 k IPv6 prefixes each, hundreds of thousands of distinct attribute
 * sets). Each distinct set of path attributes is stored once in an
 * AttributeSetPool, which the speaker shares between neighbors that read
 * attributes alike, so a path two neighbors both send is stored once.
 * An IPv4 or IPv6 unicast prefix costs one slot of an Ipv4RouteTable or
 * Ipv6RouteTable (typed arrays outside the V8 heap: 11 to 22 bytes an IPv4
 * prefix, 21 to 43 bytes an IPv6 prefix up to /64) holding its set's id.
 * VPN routes (rare on a route reflector's unicast sessions) are Map entries
 * keyed by short latin1 strings of the wire octets.
 */
import type { AddressFamily, Ipv4Prefix, Prefix, UpdateMessage, VpnPrefix } from './codec/messages.js';
import { ADDRESS_FAMILIES, AttributeTypeCode } from './codec/messages.js';
import { decodePathAttributes, encodeAttribute, encodePathAttributes, withoutMpAttributes } from './codec/attributes.js';
import { toFourOctetAttributes, toTwoOctetAttributes } from './codec/as4.js';
import { addressLengthOf, afiSafiOf, encodedPrefixLength, familyOf, nlriLength, prefixAddress, readIpv4Prefix, writePrefix } from './codec/nlri.js';
import { encodeEndOfRib, encodeIpv4Announcement, encodeUpdateFromParts } from './codec/serializer.js';
import { ABSENT, Ipv4RouteTable } from './ipv4-route-table.js';
import { Ipv6RouteTable } from './ipv6-route-table.js';
import { AttributeSetPool, splitSetOctets, type AttributeSet, type AttributeSetPoolOptions } from './attribute-set-pool.js';
import { BGP_HEADER_LENGTH, BGP_MAX_MESSAGE_LENGTH } from './codec/messages.js';

export type { AttributeSet } from './attribute-set-pool.js';

export interface AdjRibInOptions extends AttributeSetPoolOptions {
  /** Families negotiated with the neighbor: replay ends each with End-of-RIB. Default IPv4 unicast. */
  readonly families?: readonly AddressFamily[];
  /**
   * Where the attribute sets live; a pool of its own when absent. A shared pool must have been
   * made with the same localAs, routerId, clusterId and fourOctetAs.
   */
  readonly attributeSets?: AttributeSetPool;
}

interface VpnRoute {
  /** Attribute set id in the pool. */
  readonly id: number;
  readonly labels: readonly number[];
}

export interface AdjRibInStatistics {
  /** Type 0: no policy in bmpd, so always 0. */
  readonly prefixesRejected: number;
  /** Type 1 */
  readonly duplicatePrefixAdvertisements: number;
  /** Type 2 */
  readonly duplicateWithdraws: number;
  /** Type 3 */
  readonly clusterListLoops: number;
  /** Type 4 */
  readonly asPathLoops: number;
  /** Type 5 */
  readonly originatorIdLoops: number;
  /** Type 11 */
  readonly updatesTreatAsWithdraw: number;
  /** Type 12 */
  readonly prefixesTreatAsWithdraw: number;
  /** Type 13 */
  readonly duplicateUpdates: number;
  /** Type 7 */
  readonly routes: number;
  /** Type 9 */
  readonly routesPerFamily: Readonly<Record<AddressFamily, number>>;
}

/** What one UPDATE changed. */
export interface AdjRibInDelta {
  readonly added: number;
  readonly replaced: number;
  readonly withdrawn: number;
  readonly duplicateAdvertisements: number;
  readonly duplicateWithdraws: number;
}

export interface ReplayOptions {
  readonly families?: readonly AddressFamily[];
  /**
   * Yield REPLAY_PAUSE between parts of the work that sends nothing (ordering a full table by
   * attribute set takes tens of milliseconds), so an async consumer can give others a turn.
   */
  readonly pauses?: boolean;
  /** Encoding of ASNs in the replayed UPDATEs; default the neighbor's own. */
  readonly fourOctetAs?: boolean;
  readonly maxMessageLength?: number;
}

/** Yielded by replay({ pauses: true }): nothing to send now; let the event loop have a turn. */
export const REPLAY_PAUSE: Buffer = Buffer.alloc(0);
/** Table slots read between two REPLAY_PAUSEs. */
const SLOTS_PER_PAUSE = 1 << 16;

/** A route table copy read slot by slot (Ipv4TableSnapshot, Ipv6TableSnapshot). */
interface SlotSnapshot {
  readonly slots: number;
  valueAt(slot: number): number;
}

/**
 * The used slots of a table copy ordered by attribute set id, by counting sort: set `id`'s
 * slots are order[starts[id] .. starts[id + 1]). `ids` bounds the ids (the pool snapshot's).
 */
function* sortBySet(table: SlotSnapshot, ids: number, pauses: boolean): Generator<Buffer, { starts: Uint32Array; order: Uint32Array }> {
  const starts = new Uint32Array(ids + 1);
  for (let slot = 0; slot < table.slots; slot++) {
    const id = table.valueAt(slot);
    if (id !== ABSENT) starts[id + 1]!++;
    if (pauses && (slot & (SLOTS_PER_PAUSE - 1)) === SLOTS_PER_PAUSE - 1) yield REPLAY_PAUSE;
  }
  for (let id = 1; id <= ids; id++) starts[id]! += starts[id - 1]!;
  const next = starts.slice(0, ids);
  const order = new Uint32Array(starts[ids]!);
  for (let slot = 0; slot < table.slots; slot++) {
    const id = table.valueAt(slot);
    if (id !== ABSENT) order[next[id]!++] = slot;
    if (pauses && (slot & (SLOTS_PER_PAUSE - 1)) === SLOTS_PER_PAUSE - 1) yield REPLAY_PAUSE;
  }
  return { starts, order };
}

type Delta = { added: number; replaced: number; duplicateAdvertisements: number };

const NO_CHANGE: AdjRibInDelta = Object.freeze({ added: 0, replaced: 0, withdrawn: 0, duplicateAdvertisements: 0, duplicateWithdraws: 0 });
/** RD, length, significant address octets, one char per octet. */
function vpnKey(prefix: VpnPrefix): string {
  return prefix.rd.toString('latin1') + String.fromCharCode(prefix.length) + prefix.address.subarray(0, (prefix.length + 7) >>> 3).toString('latin1');
}

function vpnPrefixFromKey(family: 'vpnv4-unicast' | 'vpnv6-unicast', key: string, labels: readonly number[]): VpnPrefix {
  const raw = Buffer.from(key, 'latin1');
  const address = Buffer.alloc(addressLengthOf(family));
  raw.copy(address, 0, 9);
  return { family, length: raw[8]!, address, labels, rd: Buffer.from(raw.subarray(0, 8)) };
}

function emptyFamilyCounts(): Record<AddressFamily, number> {
  return { 'ipv4-unicast': 0, 'ipv6-unicast': 0, 'vpnv4-unicast': 0, 'vpnv6-unicast': 0 };
}

export class AdjRibIn {
  private readonly options: AdjRibInOptions;
  private readonly pool: AttributeSetPool;
  private readonly ipv4 = new Ipv4RouteTable();
  private readonly ipv6 = new Ipv6RouteTable();
  private readonly vpnv4 = new Map<string, VpnRoute>();
  private readonly vpnv6 = new Map<string, VpnRoute>();
  private readonly counters = {
    duplicatePrefixAdvertisements: 0,
    duplicateWithdraws: 0,
    clusterListLoops: 0,
    asPathLoops: 0,
    originatorIdLoops: 0,
    updatesTreatAsWithdraw: 0,
    prefixesTreatAsWithdraw: 0,
    duplicateUpdates: 0,
  };

  constructor(options: AdjRibInOptions) {
    this.options = options;
    this.pool = options.attributeSets ?? new AttributeSetPool(options);
  }

  /** The pool this Adj-RIB-In's sets live in: what decodeUpdate looks a received set up in. */
  get attributeSets(): AttributeSetPool {
    return this.pool;
  }

  /** Number of distinct attribute sets in the pool (shared with other neighbors when the pool is). */
  get attributeSetCount(): number {
    return this.pool.size;
  }

  routeCount(family?: AddressFamily): number {
    if (family === undefined) return this.ipv4.size + this.ipv6.size + this.vpnv4.size + this.vpnv6.size;
    return this.tableSize(family);
  }

  /** Bytes of the typed arrays behind the unicast route tables (memory accounting). */
  get routeTableBytes(): number {
    return this.ipv4.bytes + this.ipv6.bytes;
  }

  private tableSize(family: AddressFamily): number {
    switch (family) {
      case 'ipv4-unicast':
        return this.ipv4.size;
      case 'ipv6-unicast':
        return this.ipv6.size;
      case 'vpnv4-unicast':
        return this.vpnv4.size;
      case 'vpnv6-unicast':
        return this.vpnv6.size;
    }
  }

  statistics(): AdjRibInStatistics {
    const routesPerFamily = emptyFamilyCounts();
    for (const family of ADDRESS_FAMILIES) routesPerFamily[family] = this.tableSize(family);
    return { prefixesRejected: 0, ...this.counters, routes: this.routeCount(), routesPerFamily };
  }

  /** The attribute set a stored prefix points at (for tests and show commands). */
  lookup(prefix: Prefix): AttributeSet | undefined {
    let id: number | undefined;
    switch (prefix.family) {
      case 'ipv4-unicast':
        id = this.ipv4.get(prefix.length, prefix.address);
        break;
      case 'ipv6-unicast':
        id = this.ipv6.get(prefix.length, prefix.address);
        break;
      case 'vpnv4-unicast':
      case 'vpnv6-unicast':
        id = this.vpnTable(prefix.family).get(vpnKey(prefix))?.id;
        break;
    }
    return id === undefined || id === ABSENT ? undefined : this.pool.view(id);
  }

  /**
   * Forget every route (the session went down), giving their references back to the pool. The
   * RFC 7854 counters keep counting.
   *
   * References are counted per set over the tables' value arrays, then given back in one call:
   * a full table released route by route held the data-plane thread for 200-370 ms.
   */
  clear(): void {
    const counts = new Uint32Array(this.pool.idLimit);
    this.ipv4.countValues(counts);
    this.ipv6.countValues(counts);
    for (const route of this.vpnv4.values()) counts[route.id]!++;
    for (const route of this.vpnv6.values()) counts[route.id]!++;
    this.pool.releaseCounted(counts);
    this.ipv4.clear();
    this.ipv6.clear();
    this.vpnv4.clear();
    this.vpnv6.clear();
  }

  /**
   * Apply one decoded UPDATE. A session-reset verdict changes nothing (the
   * session is going down); treat-as-withdraw withdraws every prefix the
   * UPDATE announced (RFC 7606 §2).
   */
  apply(update: UpdateMessage): AdjRibInDelta {
    const verdict = update.verdict;
    if (verdict.action === 'session-reset') return NO_CHANGE;
    const delta = { added: 0, replaced: 0, withdrawn: 0, duplicateAdvertisements: 0, duplicateWithdraws: 0 };

    const mpReach = update.mpReach;
    if (update.mpUnreach !== undefined && familyOf(update.mpUnreach.afi, update.mpUnreach.safi)) {
      for (const prefix of update.mpUnreach.withdrawn) this.withdraw(prefix, delta);
    }
    for (const prefix of update.withdrawnRoutes) this.withdraw(prefix, delta);

    const mpFamily = mpReach ? familyOf(mpReach.afi, mpReach.safi) : undefined;
    const ipv4Count = nlriLength(update);
    const mpCount = mpFamily && mpReach ? nlriLength(mpReach) : 0;
    const announced = ipv4Count + mpCount;
    if (verdict.action === 'treat-as-withdraw') {
      if (announced > 0) {
        this.counters.updatesTreatAsWithdraw++;
        this.counters.prefixesTreatAsWithdraw += announced;
      }
      for (const prefix of update.nlri) this.withdraw(prefix, delta);
      if (mpFamily && mpReach) for (const prefix of mpReach.nlri) this.withdraw(prefix, delta);
    } else if (announced > 0) {
      const ok = verdict.action === 'ok';
      const attributes = ok
        ? withoutMpAttributes(update.pathAttributesRaw)
        : encodePathAttributes(
            update.attributes.filter((a) => a.kind !== 'mp-reach-nlri' && a.kind !== 'mp-unreach-nlri'),
            this.options.fourOctetAs,
          );
      // The RFC 7854 §4.8 loop counters count UPDATEs: once, from the first set the UPDATE made.
      if (ipv4Count > 0) {
        const id = this.pool.intern('ipv4-unicast', attributes, EMPTY);
        if (ok && update.codecOptions) this.pool.markDecodedCleanly(id, update.codecOptions);
        this.countLoops(id);
        this.announceAll(update, 'ipv4-unicast', id, delta);
        this.pool.release(id);
      }
      if (mpFamily && mpReach && mpCount > 0) {
        const id = this.pool.intern(mpFamily, attributes, mpReach.nextHop);
        if (ok && update.codecOptions) this.pool.markDecodedCleanly(id, update.codecOptions);
        if (ipv4Count === 0) this.countLoops(id);
        this.announceAll(mpReach, mpFamily, id, delta);
        this.pool.release(id);
      }
    }

    const total = delta.added + delta.replaced + delta.withdrawn + delta.duplicateAdvertisements + delta.duplicateWithdraws;
    if (total > 0 && delta.duplicateAdvertisements + delta.duplicateWithdraws === total) this.counters.duplicateUpdates++;
    return delta;
  }

  private countLoops(id: number): void {
    if (this.pool.asPathLoop(id)) this.counters.asPathLoops++;
    if (this.pool.clusterListLoop(id)) this.counters.clusterListLoops++;
    if (this.pool.originatorIdLoop(id)) this.counters.originatorIdLoops++;
  }

  private vpnTable(family: 'vpnv4-unicast' | 'vpnv6-unicast'): Map<string, VpnRoute> {
    return family === 'vpnv4-unicast' ? this.vpnv4 : this.vpnv6;
  }

  /**
   * Point every prefix `field` announces at set `id`. An IPv4 NLRI field still in octets
   * (nlriOctets, checked by the decoder) goes into the route table straight from them: no
   * object per prefix.
   */
  private announceAll(field: { readonly nlri: readonly Prefix[]; readonly nlriOctets?: Buffer }, family: AddressFamily, id: number, delta: Delta): void {
    const octets = field.nlriOctets;
    if (!octets || family !== 'ipv4-unicast') {
      for (const prefix of field.nlri) this.announce(prefix, id, delta);
      return;
    }
    for (let at = 0; at < octets.length; ) {
      const length = octets[at]!;
      at = readIpv4Prefix(octets, at);
      const previous = this.ipv4.set(length, prefixAddress, id);
      if (previous === id) this.duplicate(delta);
      else this.replacedBy(previous, id, delta);
    }
  }

  /** Point the prefix at set `id`, taking a reference for it and giving back the one it replaces. */
  private announce(prefix: Prefix, id: number, delta: Delta): void {
    let previous: number;
    switch (prefix.family) {
      case 'ipv4-unicast':
        previous = this.ipv4.set(prefix.length, prefix.address, id);
        if (previous === id) return this.duplicate(delta);
        break;
      case 'ipv6-unicast':
        previous = this.ipv6.set(prefix.length, prefix.address, id);
        if (previous === id) return this.duplicate(delta);
        break;
      default: {
        const table = this.vpnTable(prefix.family);
        const key = vpnKey(prefix);
        const route = table.get(key);
        if (route && route.id === id && sameLabels(route.labels, prefix.labels)) return this.duplicate(delta);
        previous = route?.id ?? ABSENT;
        table.set(key, { id, labels: prefix.labels });
      }
    }
    this.replacedBy(previous, id, delta);
  }

  /** A prefix that pointed at `previous` (ABSENT: new) now points at `id`: a reference taken, the old one given back. */
  private replacedBy(previous: number, id: number, delta: Delta): void {
    this.pool.retain(id);
    if (previous === ABSENT) delta.added++;
    else {
      delta.replaced++;
      this.pool.release(previous);
    }
  }

  private duplicate(delta: { duplicateAdvertisements: number }): void {
    delta.duplicateAdvertisements++;
    this.counters.duplicatePrefixAdvertisements++;
  }

  private withdraw(prefix: Prefix, delta: { withdrawn: number; duplicateWithdraws: number }): void {
    let previous: number;
    switch (prefix.family) {
      case 'ipv4-unicast':
        previous = this.ipv4.delete(prefix.length, prefix.address);
        break;
      case 'ipv6-unicast':
        previous = this.ipv6.delete(prefix.length, prefix.address);
        break;
      default: {
        const table = this.vpnTable(prefix.family);
        const key = vpnKey(prefix);
        previous = table.get(key)?.id ?? ABSENT;
        table.delete(key);
      }
    }
    if (previous === ABSENT) {
      delta.duplicateWithdraws++;
      this.counters.duplicateWithdraws++;
      return;
    }
    delta.withdrawn++;
    this.pool.release(previous);
  }

  /**
   * The table as UPDATE messages: per family, routes grouped by attribute
   * set and packed into as few UPDATEs as fit the message size, then that
   * family's End-of-RIB (RFC 4724). IPv4 unicast uses the NLRI field, the
   * other families MP_REACH_NLRI (RFC 4760). Attributes are re-emitted as
   * received unless the ASN encoding must change (RFC 6793).
   *
   * Each family's routes (and the pool's sets) are snapshotted when the
   * iteration reaches that family; UPDATEs applied while a consumer is still
   * draining the replay are not in it. A consumer that also forwards live
   * UPDATEs to the same station must queue them behind the replay, or a
   * replayed route could land after its live withdrawal.
   */
  *replay(familyOrOptions: AddressFamily | ReplayOptions = {}): Generator<Buffer> {
    const options: ReplayOptions = typeof familyOrOptions === 'string' ? { families: [familyOrOptions] } : familyOrOptions;
    const families = options.families ?? this.options.families ?? ['ipv4-unicast'];
    const fourOctetAs = options.fourOctetAs ?? this.options.fourOctetAs;
    const maxLength = options.maxMessageLength ?? BGP_MAX_MESSAGE_LENGTH;
    const pauses = options.pauses ?? false;
    for (const family of families) {
      if (family === 'ipv4-unicast') yield* this.replayIpv4(fourOctetAs, maxLength, pauses);
      else if (family === 'ipv6-unicast') yield* this.replayIpv6(fourOctetAs, maxLength, pauses);
      else {
        const groups = new Map<number, Prefix[]>();
        for (const [key, route] of this.vpnTable(family)) {
          const prefix = vpnPrefixFromKey(family, key, route.labels);
          const list = groups.get(route.id);
          if (list) list.push(prefix);
          else groups.set(route.id, [prefix]);
        }
        const sets = this.pool.snapshot();
        for (const [id, prefixes] of groups) yield* this.packUpdates(family, sets.octetsOf(id)!, prefixes, fourOctetAs, maxLength);
      }
      yield encodeEndOfRib(family);
    }
  }

  /**
   * IPv4 unicast without an object per route: a copy of the table (the snapshot), ordered by
   * set id into two typed arrays (5 bytes a route), then UPDATEs written straight from them.
   * Routes that came in MP_REACH_NLRI (a set with its own next hop) go out that way.
   */
  private *replayIpv4(fourOctetAs: boolean, maxLength: number, pauses: boolean): Generator<Buffer> {
    const sets = this.pool.snapshot();
    const table = this.ipv4.snapshot();
    const { starts, order } = yield* sortBySet(table, sets.ids, pauses);
    const lengths = new Uint8Array(order.length);
    const addresses = new Uint32Array(order.length);
    for (let i = 0; i < order.length; i++) {
      lengths[i] = table.lengthAt(order[i]!);
      addresses[i] = table.addressAt(order[i]!);
      if (pauses && (i & (SLOTS_PER_PAUSE - 1)) === SLOTS_PER_PAUSE - 1) yield REPLAY_PAUSE;
    }
    for (let id = 0; id < sets.ids; id++) {
      const start = starts[id]!;
      const end = starts[id + 1]!;
      // Most ids are other neighbors' sets: skipped before a view of their octets is made (a
      // Buffer each: 3.7 M of them held the data-plane thread about 0.4 s per neighbor at 16 peers).
      if (start === end) continue;
      const octets = sets.octetsOf(id);
      if (octets === undefined) continue;
      const { nextHopLength, attributesAt } = splitSetOctets(octets);
      if (nextHopLength > 0) {
        const prefixes: Ipv4Prefix[] = [];
        for (let i = start; i < end; i++) prefixes.push({ family: 'ipv4-unicast', length: lengths[i]!, address: addresses[i]! });
        yield* this.packUpdates('ipv4-unicast', octets, prefixes, fourOctetAs, maxLength);
        continue;
      }
      const attributes = this.attributesFor(octets.subarray(attributesAt), fourOctetAs);
      const room = maxLength - BGP_HEADER_LENGTH - 4 - attributes.length;
      let first = start;
      let used = 0;
      for (let i = start; i < end; i++) {
        const size = 1 + ((lengths[i]! + 7) >>> 3);
        if (used + size > room && i > first) {
          yield encodeIpv4Announcement(attributes, lengths, addresses, first, i);
          first = i;
          used = 0;
        }
        used += size;
      }
      yield encodeIpv4Announcement(attributes, lengths, addresses, first, end);
    }
  }

  /** IPv6 unicast: the table copy ordered by set id, each set's routes packed into MP_REACH_NLRI UPDATEs. */
  private *replayIpv6(fourOctetAs: boolean, maxLength: number, pauses: boolean): Generator<Buffer> {
    const sets = this.pool.snapshot();
    const table = this.ipv6.snapshot();
    const { starts, order } = yield* sortBySet(table, sets.ids, pauses);
    for (let id = 0; id < sets.ids; id++) {
      const start = starts[id]!;
      const end = starts[id + 1]!;
      if (start === end) continue; // another neighbor's set (see replayIpv4)
      const octets = sets.octetsOf(id);
      if (octets === undefined) continue;
      const prefixes: Prefix[] = [];
      for (let i = start; i < end; i++) prefixes.push({ family: 'ipv6-unicast', ...table.prefixAt(order[i]!) });
      yield* this.packUpdates('ipv6-unicast', octets, prefixes, fourOctetAs, maxLength);
    }
  }

  private attributesFor(pathAttributes: Buffer, fourOctetAs: boolean): Buffer {
    if (fourOctetAs === this.options.fourOctetAs) return pathAttributes;
    const decoded = decodePathAttributes(pathAttributes, 0, pathAttributes.length, { fourOctetAs: this.options.fourOctetAs, ebgp: false });
    const attributes = fourOctetAs ? toFourOctetAttributes(decoded.attributes) : toTwoOctetAttributes(decoded.attributes);
    return encodePathAttributes(attributes, fourOctetAs);
  }

  /**
   * UPDATEs carrying `prefixes` in MP_REACH_NLRI with the set's next hop (`octets`: the set's
   * octets in the pool). IPv4 unicast routes without an MP next hop never come here: replayIpv4 writes
   * their NLRI field itself.
   */
  private *packUpdates(family: AddressFamily, octets: Buffer, prefixes: Prefix[], fourOctetAs: boolean, maxLength: number): Generator<Buffer> {
    const { nextHopLength, attributesAt } = splitSetOctets(octets);
    const nextHop = octets.subarray(2, 2 + nextHopLength);
    const attributes = this.attributesFor(octets.subarray(attributesAt), fourOctetAs);
    const { afi, safi } = afiSafiOf(family);
    // MP_REACH_NLRI with Extended Length: 4-octet header, AFI, SAFI, next hop length, next hop, reserved.
    const mpFixed = 4 + 5 + nextHopLength;
    const room = maxLength - BGP_HEADER_LENGTH - 4 - attributes.length - mpFixed;
    const flush = (batch: Prefix[], length: number): Buffer => {
      const value = Buffer.alloc(5 + nextHopLength + length);
      value.writeUInt16BE(afi, 0);
      value[2] = safi;
      value[3] = nextHopLength;
      nextHop.copy(value, 4);
      let offset = 5 + nextHopLength;
      for (const prefix of batch) offset = writePrefix(value, offset, prefix);
      // RFC 7606 §5.1: MP_REACH_NLRI first.
      const mp = encodeAttribute(AttributeTypeCode.MpReachNlri, 0x80 | 0x10, value);
      return encodeUpdateFromParts([], Buffer.concat([mp, attributes]), []);
    };
    let batch: Prefix[] = [];
    let used = 0;
    for (const prefix of prefixes) {
      const size = encodedPrefixLength(prefix);
      if (used + size > room && batch.length > 0) {
        yield flush(batch, used);
        batch = [];
        used = 0;
      }
      batch.push(prefix);
      used += size;
    }
    if (batch.length > 0) yield flush(batch, used);
  }
}

const EMPTY = Buffer.alloc(0);

function sameLabels(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((label, i) => label === b[i]);
}
