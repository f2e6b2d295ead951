import { describe, expect, it } from 'vitest';
import {
  AS_TRANS,
  asPathLength,
  reconcileAsPath,
  toFourOctetAttributes,
  toTwoOctetAttributes,
  type AsPathSegment,
  type PathAttribute,
} from '../../../src/bgp/codec/index.js';

const seq = (...asns: number[]): AsPathSegment => ({ type: 2, asns });
const set = (...asns: number[]): AsPathSegment => ({ type: 1, asns });
const confed = (...asns: number[]): AsPathSegment => ({ type: 3, asns });

describe('RFC 6793 AS_PATH / AS4_PATH reconciliation', () => {
  it('counts an AS_SET as one and confederation segments as zero', () => {
    expect(asPathLength([seq(1, 2, 3), set(4, 5), confed(6, 7)])).toBe(4);
  });

  it('prepends the ASes an OLD speaker added in front of AS4_PATH (§4.2.3)', () => {
    // 65002 (OLD) prepended itself to a path that came from a NEW speaker as [AS_TRANS, 65010].
    const asPath = [seq(65002, AS_TRANS, 65010)];
    const as4Path = [seq(4200000000, 65010)];
    expect(reconcileAsPath(asPath, as4Path)).toEqual([seq(65002, 4200000000, 65010)]);
  });

  it('ignores AS4_PATH when it is longer than AS_PATH', () => {
    const asPath = [seq(65002, AS_TRANS)];
    expect(reconcileAsPath(asPath, [seq(1, 2, 3)])).toEqual(asPath);
  });

  it('keeps an AS_SET taken from AS_PATH whole and drops confederation segments of AS4_PATH', () => {
    const asPath = [set(65003, 65004), seq(AS_TRANS)];
    const as4Path = [confed(64512), seq(4200000001)];
    expect(reconcileAsPath(asPath, as4Path)).toEqual([set(65003, 65004), seq(4200000001)]);
  });

  it('folds AS4_PATH and AS4_AGGREGATOR into a 4-octet view and back', () => {
    const fourOctet: PathAttribute[] = [
      { kind: 'origin', flags: 0x40, origin: 0 },
      { kind: 'as-path', flags: 0x40, segments: [seq(65010, 4200000000)] },
      { kind: 'aggregator', flags: 0xc0, asn: 4200000000, address: '192.0.2.1' },
    ];
    const twoOctet = toTwoOctetAttributes(fourOctet);
    expect(twoOctet.map((a) => a.kind)).toEqual(['origin', 'as-path', 'as4-path', 'aggregator', 'as4-aggregator']);
    // As the 2-octet wire shows them: AS_TRANS where the ASN does not fit.
    const onTheWire = twoOctet.map((a) =>
      a.kind === 'as-path' ? { ...a, segments: a.segments.map((s) => ({ ...s, asns: s.asns.map((n) => (n > 0xffff ? AS_TRANS : n)) })) } : a.kind === 'aggregator' ? { ...a, asn: AS_TRANS } : a,
    );
    expect(toFourOctetAttributes(onTheWire)).toEqual(fourOctet);
  });

  it('ignores AS4_AGGREGATOR and AS4_PATH when AGGREGATOR carries a real 2-octet AS (§4.2.3)', () => {
    const attributes: PathAttribute[] = [
      { kind: 'as-path', flags: 0x40, segments: [seq(65002, 65003)] },
      { kind: 'aggregator', flags: 0xc0, asn: 65003, address: '192.0.2.1' },
      { kind: 'as4-path', flags: 0xc0, segments: [seq(4200000000)] },
      { kind: 'as4-aggregator', flags: 0xc0, asn: 4200000000, address: '192.0.2.9' },
    ];
    expect(toFourOctetAttributes(attributes)).toEqual(attributes.slice(0, 2));
  });

  it('adds no AS4_PATH when every ASN fits in 2 octets', () => {
    const attributes: PathAttribute[] = [{ kind: 'as-path', flags: 0x40, segments: [seq(65001)] }];
    expect(toTwoOctetAttributes(attributes)).toEqual(attributes);
  });
});
