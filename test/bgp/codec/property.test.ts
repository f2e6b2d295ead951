import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  afiSafiOf,
  decodeOpen,
  decodeUpdate,
  encodeOpen,
  encodeUpdate,
  ipv4ToString,
  type AddressFamily,
  type AsPathSegmentTypeValue,
  type Capability,
  type Ipv4Prefix,
  type PathAttribute,
  type Prefix,
  type UpdateFields,
} from '../../../src/bgp/codec/index.js';

const SEED = 0x4271;
const u32 = fc.integer({ min: 0, max: 0xffffffff });

function maskBytes(bytes: Uint8Array, length: number): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) out[i]! &= (0xff << (8 - Math.max(0, Math.min(8, length - i * 8)))) & 0xff;
  return out;
}

const ipv4PrefixArb: fc.Arbitrary<Ipv4Prefix> = fc.record({ length: fc.integer({ min: 0, max: 32 }), address: u32 }).map(({ length, address }) => ({
  family: 'ipv4-unicast',
  length,
  address: length === 0 ? 0 : (address & (0xffffffff << (32 - length))) >>> 0,
}));

function prefixArb(family: AddressFamily): fc.Arbitrary<Prefix> {
  if (family === 'ipv4-unicast') return ipv4PrefixArb;
  const width = family === 'vpnv4-unicast' ? 4 : 16;
  const base = fc.record({ length: fc.integer({ min: 0, max: width * 8 }), bytes: fc.uint8Array({ minLength: width, maxLength: width }) });
  if (family === 'ipv6-unicast') return base.map(({ length, bytes }) => ({ family, length, address: maskBytes(bytes, length) }));
  return fc
    .record({ base, rd: fc.uint8Array({ minLength: 8, maxLength: 8 }), label: fc.integer({ min: 0, max: 0xfffff }) })
    .map(({ base: { length, bytes }, rd, label }) => ({
      family,
      length,
      address: maskBytes(bytes, length),
      rd: Buffer.from(rd),
      // Labels with bottom-of-stack set; value 0 would read as the withdraw label, so start at 16 (RFC 3032 reserved range).
      labels: [(((label | 16) << 4) | 1) >>> 0],
    }));
}

const hostAddress = fc.integer({ min: 0x01000000, max: 0xdfffffff }).map(ipv4ToString);
const segmentArb = (types: AsPathSegmentTypeValue[]) =>
  fc.record({ type: fc.constantFrom(...types), asns: fc.array(u32, { minLength: 1, maxLength: 12 }) });

const optionalAttributes = fc.record(
  {
    med: u32.map((med): PathAttribute => ({ kind: 'multi-exit-disc', flags: 0x80, med })),
    localPref: u32.map((localPref): PathAttribute => ({ kind: 'local-pref', flags: 0x40, localPref })),
    atomic: fc.constant<PathAttribute>({ kind: 'atomic-aggregate', flags: 0x40 }),
    aggregator: fc.record({ asn: u32, address: hostAddress }).map((a): PathAttribute => ({ kind: 'aggregator', flags: 0xc0, ...a })),
    communities: fc.array(u32, { minLength: 1, maxLength: 20 }).map((communities): PathAttribute => ({ kind: 'communities', flags: 0xc0, communities })),
    originator: hostAddress.map((originatorId): PathAttribute => ({ kind: 'originator-id', flags: 0x80, originatorId })),
    clusters: fc.array(hostAddress, { minLength: 1, maxLength: 5 }).map((clusterIds): PathAttribute => ({ kind: 'cluster-list', flags: 0x80, clusterIds })),
    extended: fc
      .array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 8 })
      .map((list): PathAttribute => ({ kind: 'extended-communities', flags: 0xc0, communities: list.map((b) => Buffer.from(b)) })),
    large: fc
      .array(fc.record({ globalAdministrator: u32, localData1: u32, localData2: u32 }), { minLength: 1, maxLength: 5 })
      .map((communities): PathAttribute => ({ kind: 'large-communities', flags: 0xc0, communities })),
    unknown: fc
      .record({ typeCode: fc.constantFrom(19, 99, 128, 200, 255), flags: fc.constantFrom(0x80, 0xc0, 0xe0), value: fc.uint8Array({ maxLength: 40 }) })
      .map((a): PathAttribute => ({ kind: 'unknown', ...a, value: Buffer.from(a.value) })),
  },
  { requiredKeys: [] },
);

const MP_NEXT_HOP_LENGTH: Record<AddressFamily, number> = { 'ipv4-unicast': 4, 'ipv6-unicast': 16, 'vpnv4-unicast': 12, 'vpnv6-unicast': 24 };

const mpReachArb = fc.constantFrom<AddressFamily>('ipv6-unicast', 'vpnv4-unicast', 'vpnv6-unicast').chain((family) =>
  fc.record({
    nlri: fc.array(prefixArb(family), { minLength: 1, maxLength: 30 }),
    nextHop: fc.uint8Array({ minLength: MP_NEXT_HOP_LENGTH[family], maxLength: MP_NEXT_HOP_LENGTH[family] }),
  }).map(({ nlri, nextHop }): PathAttribute => ({ kind: 'mp-reach-nlri', flags: 0x80, ...afiSafiOf(family), nextHop: Buffer.from(nextHop), nlri })),
);

const mpUnreachArb = fc.constantFrom<AddressFamily>('ipv6-unicast', 'vpnv4-unicast', 'vpnv6-unicast').chain((family) =>
  fc.array(prefixArb(family), { maxLength: 30 }).map((withdrawn): PathAttribute => ({ kind: 'mp-unreach-nlri', flags: 0x80, ...afiSafiOf(family), withdrawn })),
);

const updateArb: fc.Arbitrary<UpdateFields> = fc
  .record({
    withdrawnRoutes: fc.array(ipv4PrefixArb, { maxLength: 40 }),
    nlri: fc.array(ipv4PrefixArb, { maxLength: 40 }),
    origin: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
    segments: fc.array(segmentArb([1, 2, 3, 4]), { maxLength: 4 }),
    nextHop: hostAddress,
    optional: optionalAttributes,
    mpReach: fc.option(mpReachArb, { nil: undefined }),
    mpUnreach: fc.option(mpUnreachArb, { nil: undefined }),
  })
  .map((u) => ({
    withdrawnRoutes: u.withdrawnRoutes,
    nlri: u.nlri,
    attributes: [
      ...(u.mpReach ? [u.mpReach] : []),
      ...(u.mpUnreach ? [u.mpUnreach] : []),
      { kind: 'origin', flags: 0x40, origin: u.origin },
      { kind: 'as-path', flags: 0x40, segments: u.segments },
      { kind: 'next-hop', flags: 0x40, nextHop: u.nextHop },
      ...Object.values(u.optional),
    ] as PathAttribute[],
  }));

describe('property: encode → decode is the identity', () => {
  it('random valid UPDATEs of every family round-trip (4-octet AS, iBGP)', () => {
    fc.assert(
      fc.property(updateArb, (fields) => {
        const bytes = encodeUpdate(fields, { fourOctetAs: true });
        const update = decodeUpdate(bytes, { fourOctetAs: true, ebgp: false });
        expect(update.verdict).toEqual({ action: 'ok' });
        expect(update.withdrawnRoutes).toEqual(fields.withdrawnRoutes);
        expect(update.nlri).toEqual(fields.nlri);
        // Attributes longer than 255 octets come back with Extended Length set.
        expect(update.attributes.map((a) => ({ ...a, flags: a.flags & ~0x10 }))).toEqual(fields.attributes);
        expect(encodeUpdate(update, { fourOctetAs: true })).toEqual(bytes);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('random OPENs round-trip', () => {
    const capability: fc.Arbitrary<Capability> = fc.oneof(
      fc.record({ afi: fc.integer({ min: 0, max: 0xffff }), safi: fc.integer({ min: 0, max: 255 }) }).map((c): Capability => ({ kind: 'multiprotocol', ...c })),
      fc.constant<Capability>({ kind: 'route-refresh' }),
      fc.constant<Capability>({ kind: 'enhanced-route-refresh' }),
      fc.integer({ min: 1, max: 0xffffffff }).map((asn): Capability => ({ kind: 'four-octet-as', asn })),
      fc
        .record({ code: fc.constantFrom(3, 64, 69, 73, 128), value: fc.uint8Array({ maxLength: 12 }) })
        .map((c): Capability => ({ kind: 'unknown', code: c.code, value: Buffer.from(c.value) })),
    );
    fc.assert(
      fc.property(
        fc.record({
          myAs: fc.integer({ min: 1, max: 0xffff }),
          holdTime: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 0xffff })),
          bgpIdentifier: fc.integer({ min: 1, max: 0xffffffff }).map(ipv4ToString),
          capabilities: fc.array(capability, { maxLength: 12 }),
        }),
        (fields) => {
          const open = decodeOpen(encodeOpen({ version: 4, ...fields }));
          expect(open).toMatchObject({ version: 4, ...fields });
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});
