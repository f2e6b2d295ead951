/**
 * Adj-RIB-In (RFC 4271 §3.2) of one neighbor, pre-policy, as BMP needs it:
 * the routes the neighbor advertised, the RFC 7854 §4.8 counters, and a
 * replay of the table as UPDATE messages for stations that join late when
 * the neighbor cannot ROUTE-REFRESH.
 *
 * Memory: a full IPv4 table is about a million prefixes sharing a few
 * thousand attribute sets. Each distinct set of path attributes is stored
 * once (AttributeSet: the raw attribute octets as received, refcounted).
 * An IPv4 unicast prefix costs one slot of an Ipv4RouteTable (typed arrays
 * outside the V8 heap: 8 bytes a slot, 11 to 22 bytes a prefix) holding its set's id; IPv6
 * and VPN routes are Map entries keyed by short latin1 strings of the wire
 * octets, their value the set itself.
 */
import type {
  AddressFamily,
  Ipv4Prefix,
  PathAttribute,
  Prefix,
  UpdateMessage,
  VpnPrefix,
} from './codec/messages.js';
import { ADDRESS_FAMILIES, AttributeTypeCode } from './codec/messages.js';
import { decodePathAttributes, encodeAttribute, encodePathAttributes } from './codec/attributes.js';
import { toFourOctetAttributes, toTwoOctetAttributes } from './codec/as4.js';
import { addressLengthOf, afiSafiOf, encodedPrefixLength, familyOf, parseIpv4, writePrefix } from './codec/nlri.js';
import { encodeEndOfRib, encodeIpv4Announcement, encodeUpdateFromParts } from './codec/serializer.js';
import { ABSENT, Ipv4RouteTable } from './ipv4-route-table.js';
import { BGP_HEADER_LENGTH, BGP_MAX_MESSAGE_LENGTH } from './codec/messages.js';

export interface AdjRibInOptions {
  /** Our AS: a route whose AS_PATH contains it counts as an AS_PATH loop (RFC 7854 §4.8 type 4). */
  readonly localAs: number;
  /** Our BGP identifier: ORIGINATOR_ID equal to it is a loop (type 5). */
  readonly routerId: string;
  /** Route-reflector cluster ID for CLUSTER_LIST loops (type 3); defaults to routerId. */
  readonly clusterId?: string;
  /** How the neighbor's UPDATEs encode ASNs (RFC 6793): the stored attribute octets use the same encoding. */
  readonly fourOctetAs: boolean;
  /** Families negotiated with the neighbor: replay ends each with End-of-RIB. Default IPv4 unicast. */
  readonly families?: readonly AddressFamily[];
}

/** One distinct set of path attributes, shared by every route that carries it. */
export interface AttributeSet {
  /** Path attributes as received, minus MP_REACH_NLRI / MP_UNREACH_NLRI (copied out of the message). */
  readonly pathAttributes: Buffer;
  /** MP_REACH_NLRI next hop field for non-IPv4-unicast routes; empty for IPv4 unicast. */
  readonly nextHop: Buffer;
  readonly family: AddressFamily;
  readonly asPathLoop: boolean;
  readonly clusterListLoop: boolean;
  readonly originatorIdLoop: boolean;
  /** Routes that point at this set; the set is dropped at zero. */
  refCount: number;
}

interface InternedSet extends AttributeSet {
  /** The sets map key: the attribute octets themselves (plus family and next hop for MP routes). */
  readonly key: string;
  /** Index in setsById: what the IPv4 route table stores for each prefix of the set. */
  readonly id: number;
}

/**
 * The attribute octets as a latin1 string (one char per octet) serve as the
 * hash key: V8 hashes the string once, and equal keys mean equal octets, so
 * there are no collisions to resolve. MP routes add family and next hop.
 */
function internKey(family: AddressFamily, attributes: Buffer, nextHop: Buffer): string {
  if (family === 'ipv4-unicast' && nextHop.length === 0) return attributes.toString('latin1');
  return String.fromCharCode(0x100 + ADDRESS_FAMILIES.indexOf(family), nextHop.length) + nextHop.toString('latin1') + attributes.toString('latin1');
}

interface VpnRoute {
  readonly set: AttributeSet;
  readonly labels: readonly number[];
}

/** RFC 7854 §4.8 counters the Adj-RIB-In can count. */
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
  /** Encoding of ASNs in the replayed UPDATEs; default the neighbor's own. */
  readonly fourOctetAs?: boolean;
  readonly maxMessageLength?: number;
}

const NO_CHANGE: AdjRibInDelta = Object.freeze({ added: 0, replaced: 0, withdrawn: 0, duplicateAdvertisements: 0, duplicateWithdraws: 0 });
function prefixOctetsKey(prefix: Prefix): string {
  const octets = (prefix.length + 7) >>> 3;
  const address = prefix.family === 'ipv4-unicast' ? Buffer.alloc(0) : prefix.address.subarray(0, octets);
  const head = String.fromCharCode(prefix.length) + address.toString('latin1');
  return prefix.family === 'vpnv4-unicast' || prefix.family === 'vpnv6-unicast' ? prefix.rd.toString('latin1') + head : head;
}

function prefixFromStringKey(family: AddressFamily, key: string, labels: readonly number[] = []): Prefix {
  const width = addressLengthOf(family);
  const vpn = family === 'vpnv4-unicast' || family === 'vpnv6-unicast';
  const raw = Buffer.from(key, 'latin1');
  const offset = vpn ? 8 : 0;
  const length = raw[offset]!;
  const address = Buffer.alloc(width);
  raw.copy(address, 0, offset + 1);
  if (!vpn) return { family: 'ipv6-unicast', length, address };
  return { family, length, address, labels, rd: Buffer.from(raw.subarray(0, 8)) } as VpnPrefix;
}

/** Attribute octets with MP_REACH_NLRI / MP_UNREACH_NLRI cut out (they carry NLRI, not path attributes). */
function withoutMpAttributes(raw: Buffer): Buffer {
  let offset = 0;
  let hasMp = false;
  while (offset < raw.length) {
    const flags = raw[offset]!;
    const type = raw[offset + 1]!;
    const length = flags & 0x10 ? raw.readUInt16BE(offset + 2) : raw[offset + 2]!;
    if (type === AttributeTypeCode.MpReachNlri || type === AttributeTypeCode.MpUnreachNlri) hasMp = true;
    offset += (flags & 0x10 ? 4 : 3) + length;
  }
  if (!hasMp) return raw;
  const parts: Buffer[] = [];
  offset = 0;
  while (offset < raw.length) {
    const flags = raw[offset]!;
    const type = raw[offset + 1]!;
    const end = offset + (flags & 0x10 ? 4 : 3) + (flags & 0x10 ? raw.readUInt16BE(offset + 2) : raw[offset + 2]!);
    if (type !== AttributeTypeCode.MpReachNlri && type !== AttributeTypeCode.MpUnreachNlri) parts.push(raw.subarray(offset, end));
    offset = end;
  }
  return Buffer.concat(parts);
}

function emptyFamilyCounts(): Record<AddressFamily, number> {
  return { 'ipv4-unicast': 0, 'ipv6-unicast': 0, 'vpnv4-unicast': 0, 'vpnv6-unicast': 0 };
}

export class AdjRibIn {
  private readonly options: AdjRibInOptions;
  private readonly localAs: number;
  private readonly routerId: number;
  private readonly clusterId: number;
  private readonly sets = new Map<string, InternedSet>();
  /** Live sets by id; ids of dropped sets are reused (freeIds) so the array stays as small as the set count. */
  private setsById: (InternedSet | undefined)[] = [];
  private freeIds: number[] = [];
  private readonly ipv4 = new Ipv4RouteTable();
  private readonly ipv6 = new Map<string, AttributeSet>();
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
    this.localAs = options.localAs;
    this.routerId = parseIpv4(options.routerId);
    this.clusterId = parseIpv4(options.clusterId ?? options.routerId);
  }

  /** Number of distinct attribute sets held. */
  get attributeSetCount(): number {
    return this.sets.size;
  }

  routeCount(family?: AddressFamily): number {
    if (family === undefined) return this.ipv4.size + this.ipv6.size + this.vpnv4.size + this.vpnv6.size;
    return this.tableSize(family);
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
    switch (prefix.family) {
      case 'ipv4-unicast': {
        const id = this.ipv4.get(prefix.length, prefix.address);
        return id === ABSENT ? undefined : this.setsById[id];
      }
      case 'ipv6-unicast':
        return this.ipv6.get(prefixOctetsKey(prefix));
      case 'vpnv4-unicast':
        return this.vpnv4.get(prefixOctetsKey(prefix))?.set;
      case 'vpnv6-unicast':
        return this.vpnv6.get(prefixOctetsKey(prefix))?.set;
    }
  }

  /** Forget every route (the session went down). The RFC 7854 counters keep counting. */
  clear(): void {
    this.sets.clear();
    this.setsById = [];
    this.freeIds = [];
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

    let mpReach: Extract<PathAttribute, { kind: 'mp-reach-nlri' }> | undefined;
    for (const attribute of update.attributes) {
      if (attribute.kind === 'mp-unreach-nlri') {
        const family = familyOf(attribute.afi, attribute.safi);
        if (family) for (const prefix of attribute.withdrawn) this.withdraw(prefix, delta);
      } else if (attribute.kind === 'mp-reach-nlri') {
        mpReach = attribute;
      }
    }
    for (const prefix of update.withdrawnRoutes) this.withdrawIpv4(prefix, delta);

    const mpFamily = mpReach ? familyOf(mpReach.afi, mpReach.safi) : undefined;
    const announced = update.nlri.length + (mpFamily && mpReach ? mpReach.nlri.length : 0);
    if (verdict.action === 'treat-as-withdraw') {
      if (announced > 0) {
        this.counters.updatesTreatAsWithdraw++;
        this.counters.prefixesTreatAsWithdraw += announced;
      }
      for (const prefix of update.nlri) this.withdrawIpv4(prefix, delta);
      if (mpFamily && mpReach) for (const prefix of mpReach.nlri) this.withdraw(prefix, delta);
    } else if (announced > 0) {
      const attributes =
        verdict.action === 'ok'
          ? withoutMpAttributes(update.pathAttributesRaw)
          : encodePathAttributes(
              update.attributes.filter((a) => a.kind !== 'mp-reach-nlri' && a.kind !== 'mp-unreach-nlri'),
              this.options.fourOctetAs,
            );
      let loopSet: AttributeSet | undefined;
      if (update.nlri.length > 0) {
        const set = this.intern('ipv4-unicast', attributes, EMPTY);
        loopSet = set;
        for (const prefix of update.nlri) this.announceIpv4(prefix, set, delta);
        this.release(set);
      }
      if (mpFamily && mpReach && mpReach.nlri.length > 0) {
        const set = this.intern(mpFamily, attributes, mpReach.nextHop);
        loopSet ??= set;
        for (const prefix of mpReach.nlri) this.announce(prefix, set, delta);
        this.release(set);
      }
      if (loopSet) {
        if (loopSet.asPathLoop) this.counters.asPathLoops++;
        if (loopSet.clusterListLoop) this.counters.clusterListLoops++;
        if (loopSet.originatorIdLoop) this.counters.originatorIdLoops++;
      }
    }

    const total = delta.added + delta.replaced + delta.withdrawn + delta.duplicateAdvertisements + delta.duplicateWithdraws;
    if (total > 0 && delta.duplicateAdvertisements + delta.duplicateWithdraws === total) this.counters.duplicateUpdates++;
    return delta;
  }

  /**
   * Find or create the shared set for these attribute octets; the caller
   * holds one reference until release() so a set survives while its routes move in.
   */
  private intern(family: AddressFamily, attributes: Buffer, nextHop: Buffer): InternedSet {
    const key = internKey(family, attributes, nextHop);
    let set = this.sets.get(key);
    if (set === undefined) {
      const id = this.freeIds.pop() ?? this.setsById.length;
      set = this.createSet(key, id, family, Buffer.from(attributes), Buffer.from(nextHop));
      this.sets.set(key, set);
      this.setsById[id] = set;
    }
    set.refCount++;
    return set;
  }

  private createSet(key: string, id: number, family: AddressFamily, pathAttributes: Buffer, nextHop: Buffer): InternedSet {
    const decoded = decodePathAttributes(pathAttributes, 0, pathAttributes.length, { fourOctetAs: this.options.fourOctetAs, ebgp: false });
    const attributes = this.options.fourOctetAs ? decoded.attributes : toFourOctetAttributes(decoded.attributes);
    let asPathLoop = false;
    let clusterListLoop = false;
    let originatorIdLoop = false;
    for (const attribute of attributes) {
      if (attribute.kind === 'as-path') asPathLoop = attribute.segments.some((s) => s.asns.includes(this.localAs));
      else if (attribute.kind === 'cluster-list') clusterListLoop = attribute.clusterIds.some((id) => parseIpv4(id) === this.clusterId);
      else if (attribute.kind === 'originator-id') originatorIdLoop = parseIpv4(attribute.originatorId) === this.routerId;
    }
    return { key, id, pathAttributes, nextHop, family, asPathLoop, clusterListLoop, originatorIdLoop, refCount: 0 };
  }

  private release(set: AttributeSet): void {
    if (--set.refCount !== 0) return;
    const interned = set as InternedSet;
    this.sets.delete(interned.key);
    this.setsById[interned.id] = undefined;
    this.freeIds.push(interned.id);
  }

  private announceIpv4(prefix: Ipv4Prefix, set: InternedSet, delta: { added: number; replaced: number; duplicateAdvertisements: number }): void {
    const previous = this.ipv4.set(prefix.length, prefix.address, set.id);
    if (previous === set.id) {
      delta.duplicateAdvertisements++;
      this.counters.duplicatePrefixAdvertisements++;
      return;
    }
    set.refCount++;
    if (previous === ABSENT) delta.added++;
    else {
      delta.replaced++;
      this.release(this.setsById[previous]!);
    }
  }

  private withdrawIpv4(prefix: Ipv4Prefix, delta: { withdrawn: number; duplicateWithdraws: number }): void {
    const previous = this.ipv4.delete(prefix.length, prefix.address);
    if (previous === ABSENT) {
      delta.duplicateWithdraws++;
      this.counters.duplicateWithdraws++;
      return;
    }
    delta.withdrawn++;
    this.release(this.setsById[previous]!);
  }

  private announce(prefix: Prefix, set: InternedSet, delta: { added: number; replaced: number; duplicateAdvertisements: number }): void {
    if (prefix.family === 'ipv4-unicast') return this.announceIpv4(prefix, set, delta);
    const key = prefixOctetsKey(prefix);
    let previous: AttributeSet | undefined;
    if (prefix.family === 'ipv6-unicast') {
      previous = this.ipv6.get(key);
      if (previous === set) return this.duplicate(delta);
      this.ipv6.set(key, set);
    } else {
      const table = prefix.family === 'vpnv4-unicast' ? this.vpnv4 : this.vpnv6;
      const route = table.get(key);
      previous = route?.set;
      if (route && previous === set && sameLabels(route.labels, prefix.labels)) return this.duplicate(delta);
      table.set(key, { set, labels: prefix.labels });
    }
    set.refCount++;
    if (previous === undefined) delta.added++;
    else {
      delta.replaced++;
      this.release(previous);
    }
  }

  private duplicate(delta: { duplicateAdvertisements: number }): void {
    delta.duplicateAdvertisements++;
    this.counters.duplicatePrefixAdvertisements++;
  }

  private withdraw(prefix: Prefix, delta: { withdrawn: number; duplicateWithdraws: number }): void {
    if (prefix.family === 'ipv4-unicast') return this.withdrawIpv4(prefix, delta);
    const key = prefixOctetsKey(prefix);
    let previous: AttributeSet | undefined;
    if (prefix.family === 'ipv6-unicast') {
      previous = this.ipv6.get(key);
      this.ipv6.delete(key);
    } else {
      const table = prefix.family === 'vpnv4-unicast' ? this.vpnv4 : this.vpnv6;
      previous = table.get(key)?.set;
      table.delete(key);
    }
    if (previous === undefined) {
      delta.duplicateWithdraws++;
      this.counters.duplicateWithdraws++;
      return;
    }
    delta.withdrawn++;
    this.release(previous);
  }

  /**
   * The table as UPDATE messages: per family, routes grouped by attribute
   * set and packed into as few UPDATEs as fit the message size, then that
   * family's End-of-RIB (RFC 4724). IPv4 unicast uses the NLRI field, the
   * other families MP_REACH_NLRI (RFC 4760). Attributes are re-emitted as
   * received unless the ASN encoding must change (RFC 6793).
   *
   * Each family's routes are snapshotted when the iteration reaches that
   * family; UPDATEs applied while a consumer is still draining the replay
   * are not in it. A consumer that also forwards live UPDATEs to the same
   * station must queue them behind the replay, or a replayed route could
   * land after its live withdrawal.
   */
  *replay(familyOrOptions: AddressFamily | ReplayOptions = {}): Generator<Buffer> {
    const options: ReplayOptions = typeof familyOrOptions === 'string' ? { families: [familyOrOptions] } : familyOrOptions;
    const families = options.families ?? this.options.families ?? ['ipv4-unicast'];
    const fourOctetAs = options.fourOctetAs ?? this.options.fourOctetAs;
    const maxLength = options.maxMessageLength ?? BGP_MAX_MESSAGE_LENGTH;
    for (const family of families) {
      if (family === 'ipv4-unicast') {
        yield* this.replayIpv4(fourOctetAs, maxLength);
        yield encodeEndOfRib(family);
        continue;
      }
      const groups = new Map<AttributeSet, Prefix[]>();
      const add = (set: AttributeSet, prefix: Prefix): void => {
        const list = groups.get(set);
        if (list) list.push(prefix);
        else groups.set(set, [prefix]);
      };
      switch (family) {
        case 'ipv6-unicast':
          for (const [key, set] of this.ipv6) add(set, prefixFromStringKey(family, key));
          break;
        case 'vpnv4-unicast':
        case 'vpnv6-unicast':
          for (const [key, route] of family === 'vpnv4-unicast' ? this.vpnv4 : this.vpnv6) add(route.set, prefixFromStringKey(family, key, route.labels));
          break;
      }
      for (const [set, prefixes] of groups) yield* this.packUpdates(family, set, prefixes, fourOctetAs, maxLength);
      yield encodeEndOfRib(family);
    }
  }

  /**
   * IPv4 unicast without an object per route: a counting sort of the table by set id into
   * two typed arrays (5 bytes a route, the snapshot), then UPDATEs written straight from
   * them. Routes that came in MP_REACH_NLRI (a set with its own next hop) go out that way.
   */
  private *replayIpv4(fourOctetAs: boolean, maxLength: number): Generator<Buffer> {
    const sets = this.setsById.slice();
    const starts = new Uint32Array(sets.length + 1);
    this.ipv4.forEach((_length, _address, id) => starts[id + 1]!++);
    for (let id = 1; id < starts.length; id++) starts[id]! += starts[id - 1]!;
    const next = starts.slice(0, sets.length);
    const lengths = new Uint8Array(this.ipv4.size);
    const addresses = new Uint32Array(this.ipv4.size);
    this.ipv4.forEach((length, address, id) => {
      const at = next[id]!++;
      lengths[at] = length;
      addresses[at] = address;
    });
    for (let id = 0; id < sets.length; id++) {
      const set = sets[id];
      const start = starts[id]!;
      const end = starts[id + 1]!;
      if (set === undefined || start === end) continue;
      if (set.nextHop.length > 0) {
        const prefixes: Ipv4Prefix[] = [];
        for (let i = start; i < end; i++) prefixes.push({ family: 'ipv4-unicast', length: lengths[i]!, address: addresses[i]! });
        yield* this.packUpdates('ipv4-unicast', set, prefixes, fourOctetAs, maxLength);
        continue;
      }
      const attributes = this.attributesFor(set, fourOctetAs);
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

  private attributesFor(set: AttributeSet, fourOctetAs: boolean): Buffer {
    if (fourOctetAs === this.options.fourOctetAs) return set.pathAttributes;
    const decoded = decodePathAttributes(set.pathAttributes, 0, set.pathAttributes.length, { fourOctetAs: this.options.fourOctetAs, ebgp: false });
    const attributes = fourOctetAs ? toFourOctetAttributes(decoded.attributes) : toTwoOctetAttributes(decoded.attributes);
    return encodePathAttributes(attributes, fourOctetAs);
  }

  /**
   * UPDATEs carrying `prefixes` in MP_REACH_NLRI with the set's next hop. (IPv4 unicast routes
   * without an MP next hop never come here: replayIpv4 writes their NLRI field itself.)
   */
  private *packUpdates(family: AddressFamily, set: AttributeSet, prefixes: Prefix[], fourOctetAs: boolean, maxLength: number): Generator<Buffer> {
    const attributes = this.attributesFor(set, fourOctetAs);
    const { afi, safi } = afiSafiOf(family);
    // MP_REACH_NLRI with Extended Length: 4-octet header, AFI, SAFI, next hop length, next hop, reserved.
    const mpFixed = 4 + 5 + set.nextHop.length;
    const room = maxLength - BGP_HEADER_LENGTH - 4 - attributes.length - mpFixed;
    const flush = (batch: Prefix[], length: number): Buffer => {
      const value = Buffer.alloc(5 + set.nextHop.length + length);
      value.writeUInt16BE(afi, 0);
      value[2] = safi;
      value[3] = set.nextHop.length;
      set.nextHop.copy(value, 4);
      let offset = 5 + set.nextHop.length;
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
