/** One test per row of the RFC 7606 table in src/bgp/codec/attributes.ts. */
import { describe, expect, it } from 'vitest';
import {
  AttributeTypeCode as T,
  ErrorCode,
  UpdateMessageSubcode,
  decodeUpdate,
  ipv4ToBuffer,
  prefixToString,
  type SessionCodecOptions,
  typeCodeOf,
  type UpdateMessage,
} from '../../../src/bgp/codec/index.js';
import { buffers } from '../../../src/bgp/testing/test-buffers.js';

const IBGP: SessionCodecOptions = { fourOctetAs: true, ebgp: false };
const EBGP: SessionCodecOptions = { fourOctetAs: true, ebgp: true };
const WK = 0x40;
const OPT = 0x80;
const OPT_TRANS = 0xc0;

const [ORIGIN, AS_PATH, NEXT_HOP] = buffers.mandatoryAttributes();
const attr = buffers.attribute;

function decode(attributes: Buffer[], nlri: string[] = ['10.0.0.0/24'], options = IBGP, withdrawn: string[] = []): UpdateMessage {
  return decodeUpdate(buffers.updateWithRawAttributes(attributes, nlri, withdrawn), options);
}

function expectTreatAsWithdraw(update: UpdateMessage, reason: RegExp): void {
  expect(update.verdict.action).toBe('treat-as-withdraw');
  if (update.verdict.action === 'treat-as-withdraw') expect(update.verdict.reason).toMatch(reason);
  // The NLRI is still located so that its prefixes can be withdrawn.
  expect(update.nlri.map(prefixToString)).toEqual(['10.0.0.0/24']);
}

function expectDiscard(update: UpdateMessage, typeCode: number): void {
  expect(update.verdict.action).toBe('attribute-discard');
  if (update.verdict.action === 'attribute-discard') expect(update.verdict.discarded.map((d) => d.typeCode)).toEqual([typeCode]);
  expect(update.attributes.some((a) => a.kind !== 'unknown' && typeCodeOf(a) === typeCode)).toBe(false);
}

function expectReset(update: UpdateMessage, subcode: number): void {
  expect(update.verdict.action).toBe('session-reset');
  if (update.verdict.action === 'session-reset') {
    expect(update.verdict.notification.code).toBe(ErrorCode.UpdateMessage);
    expect(update.verdict.notification.subcode).toBe(subcode);
  }
}

function asPath(...segments: number[][]): Buffer {
  return attr(T.AsPath, WK, Buffer.from(segments.flat()));
}

describe('RFC 7606 §4: UPDATE framing', () => {
  it('Withdrawn Routes Length beyond the message resets the session (Malformed Attribute List)', () => {
    const bytes = buffers.update({ withdrawn: ['10.0.0.0/8'] });
    bytes.writeUInt16BE(200, 19);
    expectReset(decodeUpdate(bytes, IBGP), UpdateMessageSubcode.MalformedAttributeList);
  });

  it('Total Path Attribute Length beyond the message resets the session', () => {
    const bytes = buffers.updateWithRawAttributes([ORIGIN!, AS_PATH!, NEXT_HOP!], ['10.0.0.0/24']);
    bytes.writeUInt16BE(300, 21);
    expectReset(decodeUpdate(bytes, IBGP), UpdateMessageSubcode.MalformedAttributeList);
  });

  it('an attribute header cut short treats as withdraw and still finds the NLRI', () => {
    expectTreatAsWithdraw(decode([ORIGIN!, AS_PATH!, NEXT_HOP!, Buffer.from([0x40, 0x05])]), /truncated/);
  });

  it('an attribute whose length overruns the attributes field treats as withdraw', () => {
    const overrun = Buffer.from([0x40, 0x05, 0x09, 0, 0, 0, 100]);
    expectTreatAsWithdraw(decode([ORIGIN!, AS_PATH!, NEXT_HOP!, overrun]), /overruns/);
  });
});

describe('RFC 7606 §5.3: NLRI syntax', () => {
  it('an IPv4 NLRI prefix longer than 32 resets the session (Invalid Network Field)', () => {
    const bytes = Buffer.concat([buffers.updateWithRawAttributes([ORIGIN!, AS_PATH!, NEXT_HOP!]), Buffer.from([33, 10, 0, 0, 0, 0])]);
    bytes.writeUInt16BE(bytes.length, 16);
    expectReset(decodeUpdate(bytes, IBGP), UpdateMessageSubcode.InvalidNetworkField);
  });

  it('a withdrawn prefix that overruns its field resets the session', () => {
    const bytes = buffers.update({ withdrawn: ['10.1.0.0/16'] });
    bytes[21] = 24;
    expectReset(decodeUpdate(bytes, IBGP), UpdateMessageSubcode.InvalidNetworkField);
  });
});

describe('RFC 7606 §3: attribute list rules', () => {
  it('a second MP_REACH_NLRI resets the session (Malformed Attribute List)', () => {
    const reach = attr(T.MpReachNlri, OPT, Buffer.concat([Buffer.from([0, 2, 1, 16]), Buffer.alloc(16, 1), Buffer.from([0])]));
    expectReset(decode([reach, reach, ORIGIN!, AS_PATH!], []), UpdateMessageSubcode.MalformedAttributeList);
  });

  it('a second MP_UNREACH_NLRI resets the session', () => {
    const unreach = attr(T.MpUnreachNlri, OPT, Buffer.from([0, 2, 1]));
    expectReset(decode([unreach, unreach], []), UpdateMessageSubcode.MalformedAttributeList);
  });

  it('a repeated attribute keeps the first and discards the others', () => {
    const update = decode([ORIGIN!, AS_PATH!, NEXT_HOP!, attr(T.Communities, OPT_TRANS, [0, 0, 0, 1]), attr(T.Communities, OPT_TRANS, [0, 0, 0, 2])]);
    expect(update.verdict).toEqual({ action: 'attribute-discard', discarded: [{ typeCode: 8, reason: 'duplicate attribute' }] });
    expect(update.attributes.find((a) => a.kind === 'communities')).toMatchObject({ communities: [1] });
  });

  it('wrong Optional/Transitive bits on a well-known attribute treat as withdraw', () => {
    expectTreatAsWithdraw(decode([attr(T.Origin, OPT_TRANS, [0]), AS_PATH!, NEXT_HOP!]), /flags/);
  });

  it('the Partial bit on a well-known attribute is a flags error', () => {
    expectTreatAsWithdraw(decode([ORIGIN!, AS_PATH!, attr(T.NextHop, WK | 0x20, ipv4ToBuffer('192.0.2.1'))]), /flags/);
  });

  it('wrong flags on MP_REACH_NLRI reset the session with Attribute Flags Error', () => {
    const reach = attr(T.MpReachNlri, OPT_TRANS, Buffer.concat([Buffer.from([0, 2, 1, 16]), Buffer.alloc(16, 1), Buffer.from([0])]));
    expectReset(decode([reach, ORIGIN!, AS_PATH!], []), UpdateMessageSubcode.AttributeFlagsError);
  });

  it('an unrecognized well-known attribute resets the session and returns the attribute as data', () => {
    const unknown = attr(99, WK, [1, 2]);
    const update = decode([ORIGIN!, AS_PATH!, NEXT_HOP!, unknown]);
    expectReset(update, UpdateMessageSubcode.UnrecognizedWellKnownAttribute);
    expect(update.verdict.action === 'session-reset' && update.verdict.notification.data).toEqual(unknown);
  });

  it('an unrecognized optional attribute is kept with its flags', () => {
    const update = decode([ORIGIN!, AS_PATH!, NEXT_HOP!, attr(99, OPT_TRANS | 0x20, [1, 2])]);
    expect(update.verdict).toEqual({ action: 'ok' });
    expect(update.attributes[3]).toEqual({ kind: 'unknown', typeCode: 99, flags: 0xe0, value: Buffer.from([1, 2]) });
  });

  it('missing ORIGIN, AS_PATH or NEXT_HOP with NLRI present treat as withdraw', () => {
    expectTreatAsWithdraw(decode([AS_PATH!, NEXT_HOP!]), /ORIGIN missing/);
    expectTreatAsWithdraw(decode([ORIGIN!, NEXT_HOP!]), /AS_PATH missing/);
    expectTreatAsWithdraw(decode([ORIGIN!, AS_PATH!]), /NEXT_HOP missing/);
  });

  it('NEXT_HOP is not needed when the NLRI travels in MP_REACH_NLRI (RFC 4760 §4)', () => {
    const update = decodeUpdate(buffers.update({ nlri: ['2001:db8::/32'], attrs: { origin: 'igp', asPath: [65001] }, mpNextHop: '2001:db8::1' }), IBGP);
    expect(update.verdict).toEqual({ action: 'ok' });
  });

  it('an UPDATE with only MP_UNREACH_NLRI needs no other attribute (§3 j)', () => {
    expect(decodeUpdate(buffers.update({ withdrawn: ['2001:db8::/32'] }), IBGP).verdict).toEqual({ action: 'ok' });
  });

  it('a withdraw-only UPDATE with a malformed attribute still withdraws (treat-as-withdraw changes nothing)', () => {
    const update = decode([attr(T.Origin, WK, [7])], [], IBGP, ['10.9.0.0/16']);
    expect(update.verdict.action).toBe('treat-as-withdraw');
    expect(update.withdrawnRoutes.map(prefixToString)).toEqual(['10.9.0.0/16']);
  });

  it('the most severe action wins: discard < treat-as-withdraw < session reset', () => {
    const discardAndWithdraw = decode([ORIGIN!, AS_PATH!, NEXT_HOP!, attr(T.AtomicAggregate, WK, [1]), attr(T.MultiExitDisc, OPT, [0, 0, 1])]);
    expect(discardAndWithdraw.verdict).toMatchObject({ action: 'treat-as-withdraw', discarded: [{ typeCode: 6 }] });
    const withReset = decode([attr(T.MultiExitDisc, OPT, [0, 0, 1]), attr(T.MpUnreachNlri, OPT, [0, 2])]);
    expectReset(withReset, UpdateMessageSubcode.OptionalAttributeError);
  });
});

describe('RFC 7606 §7: per-attribute rules', () => {
  it('ORIGIN with length 2 or value 3 treats as withdraw (§7.1)', () => {
    expectTreatAsWithdraw(decode([attr(T.Origin, WK, [0, 0]), AS_PATH!, NEXT_HOP!]), /ORIGIN length/);
    expectTreatAsWithdraw(decode([attr(T.Origin, WK, [3]), AS_PATH!, NEXT_HOP!]), /ORIGIN value/);
  });

  it('AS_PATH with a zero-length segment, unknown type, overrun or lone octet treats as withdraw (§7.2)', () => {
    expectTreatAsWithdraw(decode([ORIGIN!, asPath([2, 0]), NEXT_HOP!]), /length zero/);
    expectTreatAsWithdraw(decode([ORIGIN!, asPath([5, 1, 0, 0, 0, 1]), NEXT_HOP!]), /type 5/);
    expectTreatAsWithdraw(decode([ORIGIN!, asPath([2, 2, 0, 0, 0, 1]), NEXT_HOP!]), /overruns/);
    expectTreatAsWithdraw(decode([ORIGIN!, asPath([2, 1, 0, 0, 0, 1, 2]), NEXT_HOP!]), /single octet/);
  });

  it('AS_PATH confederation segments are malformed from an external peer only (§7.2)', () => {
    const confed = asPath([3, 1, 0, 0, 0xfc, 0], [2, 1, 0, 0, 0xfd, 0xe9]);
    expectTreatAsWithdraw(decode([ORIGIN!, confed, NEXT_HOP!], ['10.0.0.0/24'], EBGP), /confederation/);
    expect(decode([ORIGIN!, confed, NEXT_HOP!], ['10.0.0.0/24'], IBGP).verdict).toEqual({ action: 'ok' });
  });

  it('an empty AS_PATH is valid (iBGP-originated routes)', () => {
    expect(decode([ORIGIN!, attr(T.AsPath, WK, []), NEXT_HOP!]).verdict).toEqual({ action: 'ok' });
  });

  it('AS_PATH is read with 2-octet ASNs on a session without the 4-octet capability', () => {
    const update = decode([ORIGIN!, asPath([2, 2, 0xfd, 0xe9, 0xfd, 0xea]), NEXT_HOP!], ['10.0.0.0/24'], { fourOctetAs: false, ebgp: true });
    expect(update.attributes[1]).toMatchObject({ segments: [{ type: 2, asns: [65001, 65002] }] });
  });

  it('NEXT_HOP of length 5, in 0/8 or multicast treats as withdraw; loopback is accepted (§7.3)', () => {
    expectTreatAsWithdraw(decode([ORIGIN!, AS_PATH!, attr(T.NextHop, WK, [192, 0, 2, 1, 0])]), /NEXT_HOP length/);
    expectTreatAsWithdraw(decode([ORIGIN!, AS_PATH!, attr(T.NextHop, WK, [0, 0, 0, 0])]), /not a host address/);
    expectTreatAsWithdraw(decode([ORIGIN!, AS_PATH!, attr(T.NextHop, WK, [224, 0, 0, 5])]), /not a host address/);
    expectTreatAsWithdraw(decode([ORIGIN!, AS_PATH!, attr(T.NextHop, WK, [0, 1, 2, 3])]), /not a host address/);
    expect(decode([ORIGIN!, AS_PATH!, attr(T.NextHop, WK, [127, 0, 9, 2])]).verdict).toEqual({ action: 'ok' });
  });

  it('MULTI_EXIT_DISC of length 3 treats as withdraw (§7.4)', () => {
    expectTreatAsWithdraw(decode([ORIGIN!, AS_PATH!, NEXT_HOP!, attr(T.MultiExitDisc, OPT, [0, 0, 1])]), /MULTI_EXIT_DISC/);
  });

  it('LOCAL_PREF from an external peer is discarded; of length 2 from an internal peer treats as withdraw (§7.5)', () => {
    expectDiscard(decode([ORIGIN!, AS_PATH!, NEXT_HOP!, attr(T.LocalPref, WK, [0, 0, 0, 100])], ['10.0.0.0/24'], EBGP), T.LocalPref);
    expectTreatAsWithdraw(decode([ORIGIN!, AS_PATH!, NEXT_HOP!, attr(T.LocalPref, WK, [0, 100])]), /LOCAL_PREF/);
  });

  it('ATOMIC_AGGREGATE with a value is discarded (§7.6)', () => {
    expectDiscard(decode([ORIGIN!, AS_PATH!, NEXT_HOP!, attr(T.AtomicAggregate, WK, [1])]), T.AtomicAggregate);
  });

  it('AGGREGATOR of the wrong length for the session is discarded (§7.7)', () => {
    expectDiscard(decode([ORIGIN!, AS_PATH!, NEXT_HOP!, attr(T.Aggregator, OPT_TRANS, [0xfd, 0xe9, 192, 0, 2, 1])]), T.Aggregator);
  });

  it('COMMUNITIES of length 5 or 0 treats as withdraw (§7.8)', () => {
    expectTreatAsWithdraw(decode([ORIGIN!, AS_PATH!, NEXT_HOP!, attr(T.Communities, OPT_TRANS, [0, 0, 0, 1, 2])]), /COMMUNITIES/);
    expectTreatAsWithdraw(decode([ORIGIN!, AS_PATH!, NEXT_HOP!, attr(T.Communities, OPT_TRANS, [])]), /COMMUNITIES/);
  });

  it('ORIGINATOR_ID of length 3 and CLUSTER_LIST of length 6 treat as withdraw (§7.9, §7.10)', () => {
    expectTreatAsWithdraw(decode([ORIGIN!, AS_PATH!, NEXT_HOP!, attr(T.OriginatorId, OPT, [1, 2, 3])]), /ORIGINATOR_ID/);
    expectTreatAsWithdraw(decode([ORIGIN!, AS_PATH!, NEXT_HOP!, attr(T.ClusterList, OPT, [1, 2, 3, 4, 5, 6])]), /CLUSTER_LIST/);
  });

  it('MP_REACH_NLRI with a next hop length that does not fit the family resets the session (§7.11)', () => {
    const reach = attr(T.MpReachNlri, OPT, Buffer.concat([Buffer.from([0, 2, 1, 5]), Buffer.alloc(5, 1), Buffer.from([0])]));
    const update = decode([reach, ORIGIN!, AS_PATH!], []);
    expectReset(update, UpdateMessageSubcode.OptionalAttributeError);
    expect(update.verdict.action === 'session-reset' && update.verdict.notification.data).toEqual(reach);
  });

  it('MP_REACH_NLRI with a bad prefix and MP_UNREACH_NLRI shorter than 3 octets reset the session (§7.11)', () => {
    const reach = attr(T.MpReachNlri, OPT, Buffer.concat([Buffer.from([0, 2, 1, 16]), Buffer.alloc(16, 1), Buffer.from([0, 129])]));
    expectReset(decode([reach, ORIGIN!, AS_PATH!], []), UpdateMessageSubcode.OptionalAttributeError);
    expectReset(decode([attr(T.MpUnreachNlri, OPT, [0, 2])], []), UpdateMessageSubcode.OptionalAttributeError);
  });

  it('MP_REACH_NLRI of an unknown family is kept without decoding its NLRI', () => {
    const reach = attr(T.MpReachNlri, OPT, Buffer.from([0, 25, 70, 0, 0, 1, 2, 3]));
    const update = decode([reach, ORIGIN!, AS_PATH!], []);
    expect(update.verdict).toEqual({ action: 'ok' });
    expect(update.attributes[0]).toMatchObject({ kind: 'mp-reach-nlri', afi: 25, safi: 70, nlri: [] });
  });

  it('EXTENDED_COMMUNITIES of length 9 treats as withdraw (§7.14)', () => {
    expectTreatAsWithdraw(decode([ORIGIN!, AS_PATH!, NEXT_HOP!, attr(T.ExtendedCommunities, OPT_TRANS, Buffer.alloc(9))]), /EXTENDED/);
  });

  it('LARGE_COMMUNITY of length 13 treats as withdraw (RFC 8092 §6)', () => {
    expectTreatAsWithdraw(decode([ORIGIN!, AS_PATH!, NEXT_HOP!, attr(T.LargeCommunities, OPT_TRANS, Buffer.alloc(13))]), /LARGE/);
  });

  it('AS4_PATH malformed, or sent on a 4-octet session, is discarded (RFC 6793 §6)', () => {
    const twoOctet: SessionCodecOptions = { fourOctetAs: false, ebgp: true };
    const as2Path = attr(T.AsPath, WK, [2, 1, 0x5b, 0xa0]);
    expectDiscard(decode([ORIGIN!, as2Path, NEXT_HOP!, attr(T.As4Path, OPT_TRANS, [2, 0])], ['10.0.0.0/24'], twoOctet), T.As4Path);
    expectDiscard(decode([ORIGIN!, AS_PATH!, NEXT_HOP!, attr(T.As4Path, OPT_TRANS, [2, 1, 0, 0, 0, 1])]), T.As4Path);
    expectDiscard(decode([ORIGIN!, as2Path, NEXT_HOP!, attr(T.As4Aggregator, OPT_TRANS, [0, 0, 1])], ['10.0.0.0/24'], twoOctet), T.As4Aggregator);
  });
});
