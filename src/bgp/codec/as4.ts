/**
 * RFC 6793 (4-octet AS numbers): moving path attributes between the 2-octet
 * encoding (AS_PATH with AS_TRANS + AS4_PATH, AGGREGATOR + AS4_AGGREGATOR)
 * and the 4-octet encoding.
 */
import type { AsPathSegment, PathAttribute } from './messages.js';
import { AS_TRANS, AsPathSegmentType, AttributeFlag } from './messages.js';

/** RFC 4271 §9.1.2.2: an AS_SET counts as one, confederation segments count zero. */
export function asPathLength(segments: readonly AsPathSegment[]): number {
  let count = 0;
  for (const segment of segments) {
    if (segment.type === AsPathSegmentType.AsSequence) count += segment.asns.length;
    else if (segment.type === AsPathSegmentType.AsSet) count += 1;
  }
  return count;
}

/**
 * RFC 6793 §4.2.3: the path a NEW speaker reconstructs from an OLD speaker's
 * AS_PATH and AS4_PATH. When AS_PATH is shorter than AS4_PATH, AS4_PATH is
 * ignored; otherwise the leading ASes of AS_PATH that AS4_PATH lacks are
 * prepended to AS4_PATH.
 */
export function reconcileAsPath(asPath: readonly AsPathSegment[], as4Path: readonly AsPathSegment[]): AsPathSegment[] {
  // Confederation segments in AS4_PATH are to be discarded (RFC 6793 §6).
  const as4 = as4Path.filter((s) => s.type === AsPathSegmentType.AsSequence || s.type === AsPathSegmentType.AsSet);
  let missing = asPathLength(asPath) - asPathLength(as4);
  if (missing < 0) return [...asPath];
  const head: AsPathSegment[] = [];
  for (const segment of asPath) {
    if (missing === 0) break;
    if (segment.type === AsPathSegmentType.AsSequence) {
      const take = Math.min(missing, segment.asns.length);
      head.push({ type: segment.type, asns: segment.asns.slice(0, take) });
      missing -= take;
    } else if (segment.type === AsPathSegmentType.AsSet) {
      head.push(segment);
      missing -= 1;
    } else {
      head.push(segment);
    }
  }
  const last = head[head.length - 1];
  const first = as4[0];
  if (last && first && last.type === AsPathSegmentType.AsSequence && first.type === AsPathSegmentType.AsSequence && last.asns.length + first.asns.length <= 255) {
    return [...head.slice(0, -1), { type: AsPathSegmentType.AsSequence, asns: [...last.asns, ...first.asns] }, ...as4.slice(1)];
  }
  return [...head, ...as4];
}

/** Attributes as a 4-octet AS session carries them: AS4_PATH / AS4_AGGREGATOR folded in (RFC 6793 §4.2.3). */
export function toFourOctetAttributes(attributes: readonly PathAttribute[]): PathAttribute[] {
  const aggregator = attributes.find((a) => a.kind === 'aggregator');
  const as4Aggregator = attributes.find((a) => a.kind === 'as4-aggregator');
  const as4Path = attributes.find((a) => a.kind === 'as4-path');
  // An AGGREGATOR with a real 2-octet AS means AS4_AGGREGATOR and AS4_PATH are stale.
  const ignoreAs4 = aggregator?.kind === 'aggregator' && aggregator.asn !== AS_TRANS && as4Aggregator !== undefined;
  const out: PathAttribute[] = [];
  for (const attribute of attributes) {
    if (attribute.kind === 'as4-path' || attribute.kind === 'as4-aggregator') continue;
    if (attribute.kind === 'as-path' && as4Path?.kind === 'as4-path' && !ignoreAs4) {
      out.push({ ...attribute, segments: reconcileAsPath(attribute.segments, as4Path.segments) });
    } else if (attribute.kind === 'aggregator' && as4Aggregator?.kind === 'as4-aggregator' && !ignoreAs4) {
      out.push({ ...attribute, asn: as4Aggregator.asn, address: as4Aggregator.address });
    } else {
      out.push(attribute);
    }
  }
  return out;
}

/**
 * Attributes as a 2-octet AS session carries them (RFC 6793 §4.2.2): the
 * serializer writes AS_TRANS for ASNs above 65535, and AS4_PATH /
 * AS4_AGGREGATOR carry the real numbers when any ASN needs 4 octets.
 */
export function toTwoOctetAttributes(attributes: readonly PathAttribute[]): PathAttribute[] {
  const flags = AttributeFlag.Optional | AttributeFlag.Transitive;
  const out: PathAttribute[] = [];
  for (const attribute of attributes) {
    if (attribute.kind === 'as4-path' || attribute.kind === 'as4-aggregator') continue;
    out.push(attribute);
    if (attribute.kind === 'as-path' && attribute.segments.some((s) => s.asns.some((asn) => asn > 0xffff))) {
      const segments = attribute.segments.filter((s) => s.type === AsPathSegmentType.AsSequence || s.type === AsPathSegmentType.AsSet);
      out.push({ kind: 'as4-path', flags, segments });
    } else if (attribute.kind === 'aggregator' && attribute.asn > 0xffff) {
      out.push({ kind: 'as4-aggregator', flags, asn: attribute.asn, address: attribute.address });
    }
  }
  return out;
}
