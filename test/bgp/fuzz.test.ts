/**
 * Seeded, deterministic fuzzing of the BGP reader, decoders and Adj-RIB-In:
 * hostile bytes must end in a NOTIFICATION decision or a verdict, never in
 * an exception escaping the codec.
 */
import { describe, expect, it } from 'vitest';
import { AdjRibIn } from '../../src/bgp/adj-rib-in.js';
import {
  BgpMessageReader,
  BgpProtocolError,
  decodeMessage,
  decodeUpdate,
  encodeUpdate,
  vpnPrefix,
  type NotificationFields,
  type SessionCodecOptions,
} from '../../src/bgp/codec/index.js';
import { buffers } from '../../src/bgp/testing/test-buffers.js';
import { prng } from '../../tools/bgp-loadgen/prng.mjs';

/** NOTIFICATION code → subcodes a decoder may send (RFC 4271 §4.5, §6; RFC 5492; RFC 7313). */
const VALID_SUBCODES: Readonly<Record<number, readonly number[]>> = {
  1: [1, 2, 3],
  2: [0, 1, 2, 3, 4, 6, 7],
  3: [1, 2, 3, 4, 5, 6, 8, 9, 10, 11],
  7: [1],
};

function isValidNotification(n: NotificationFields): boolean {
  return VALID_SUBCODES[n.code]?.includes(n.subcode) ?? false;
}

const attrs = { origin: 'igp', asPath: [65001, 4200000000], nextHop: '192.0.2.1', med: 5, communities: ['65001:7'] } as const;
const CORPUS: Buffer[] = [
  buffers.open({ asn: 65001, families: ['ipv4-unicast', 'ipv6-unicast', 'vpnv4-unicast'], enhancedRouteRefresh: true }),
  buffers.open({ asn: 4200000001, fourOctetAs: true, holdTime: 3 }),
  buffers.keepalive(),
  buffers.notification(6, 2, Buffer.from('bye')),
  buffers.routeRefresh('ipv6-unicast', 1),
  buffers.endOfRib('ipv4-unicast'),
  buffers.endOfRib('vpnv6-unicast'),
  buffers.update({ nlri: ['10.0.0.0/24', '10.1.0.0/16', '192.0.2.128/25'], withdrawn: ['172.16.0.0/12'], attrs }),
  buffers.update({ nlri: ['10.0.0.0/24'], attrs: { ...attrs, localPref: 100, atomicAggregate: true, aggregator: { asn: 65001, address: '192.0.2.1' } } }),
  buffers.update({ nlri: ['10.0.0.0/24'], attrs: { ...attrs, asPath: [65001], as4Path: [4200000000], largeCommunities: [{ globalAdministrator: 1, localData1: 2, localData2: 3 }] }, fourOctetAs: false }),
  buffers.update({ nlri: ['2001:db8::/32', '2001:db8:1::/48'], attrs: { origin: 'igp', asPath: [65001], originatorId: '192.0.2.9', clusterList: ['192.0.2.10'] }, mpNextHop: '2001:db8::1' }),
  buffers.update({ nlri: [vpnPrefix('65000:1', '10.2.0.0/16', 100)], attrs: { origin: 'egp', asPath: [65001], extendedCommunities: [Buffer.from('0002fde900000001', 'hex')] }, mpNextHop: '192.0.2.1' }),
  buffers.update({ withdrawn: [vpnPrefix('192.0.2.1:3', '2001:db8:3::/64', 3)] }),
  buffers.update({ nlri: ['10.3.0.0/16'], attrs: { ...attrs, unknown: [{ typeCode: 99, flags: 0xc0, value: Buffer.alloc(20, 3) }] } }),
];

function mutate(random: () => number, seed: Buffer): Buffer {
  const pick = (n: number) => Math.floor(random() * n);
  const message = Buffer.from(seed);
  const kind = pick(6);
  if (kind === 0) {
    // Flip a few octets, mostly past the marker so decoding goes deep.
    for (let i = 0, n = 1 + pick(4); i < n; i++) message[random() < 0.9 ? 16 + pick(message.length - 16) : pick(message.length)] = pick(256);
    return message;
  }
  if (kind === 1) {
    // Overwrite a 1- or 2-octet length-like field inside the body.
    const at = 19 + pick(Math.max(1, message.length - 20));
    if (random() < 0.5) message[at] = pick(256);
    else if (at + 1 < message.length) message.writeUInt16BE(pick(0x10000), at);
    return message;
  }
  let body = message.subarray(19);
  if (kind === 2) body = body.subarray(0, pick(body.length + 1));
  if (kind === 3) body = Buffer.concat([body, Buffer.from(Array.from({ length: 1 + pick(40) }, () => pick(256)))]);
  if (kind === 4) body = Buffer.from(Array.from({ length: pick(120) }, () => pick(256)));
  if (kind === 5) {
    const at = pick(body.length + 1);
    body = Buffer.concat([body.subarray(0, at), Buffer.from([pick(256), pick(256), pick(256)]), body.subarray(at)]);
  }
  // Keep the header consistent most of the time so the body decoders see the damage.
  const type = random() < 0.95 ? message[18]! : pick(8);
  return buffers.rawMessage(type, body, random() < 0.9 ? {} : { length: pick(0x10000) });
}

describe('fuzz: reader, decoders and Adj-RIB-In', () => {
  it('12,000 random and mutated messages: no exception escapes, every reset carries a valid NOTIFICATION, the rest re-encodes faithfully', () => {
    const random = prng(20260407);
    const outcomes = { frames: 0, headerErrors: 0, messageErrors: 0, ok: 0, discard: 0, withdraw: 0, reset: 0 };
    const ribs = [true, false].map((fourOctetAs) => new AdjRibIn({ localAs: 65001, routerId: '192.0.2.9', fourOctetAs, families: ['ipv4-unicast', 'ipv6-unicast', 'vpnv4-unicast', 'vpnv6-unicast'] }));
    let reader = new BgpMessageReader();
    for (let i = 0; i < 12_000; i++) {
      const seed = CORPUS[Math.floor(random() * CORPUS.length)]!;
      const message = random() < 0.1 ? seed : mutate(random, seed);
      const options: SessionCodecOptions = { fourOctetAs: random() < 0.5, ebgp: random() < 0.5 };
      // Feed the message in random pieces, as TCP would.
      let offset = 0;
      while (offset < message.length) {
        const end = Math.min(message.length, offset + 1 + Math.floor(random() * message.length));
        let frames;
        try {
          frames = reader.push(message.subarray(offset, end));
        } catch (error) {
          expect(error).toBeInstanceOf(BgpProtocolError);
          expect(isValidNotification((error as BgpProtocolError).notification), JSON.stringify((error as BgpProtocolError).notification)).toBe(true);
          outcomes.headerErrors++;
          reader = new BgpMessageReader();
          break;
        }
        offset = end;
        for (const frame of frames) {
          outcomes.frames++;
          try {
            const decoded = decodeMessage(frame, options);
            if (decoded.type !== 'update') continue;
            const verdict = decoded.verdict;
            if (verdict.action === 'session-reset') {
              expect(isValidNotification(verdict.notification), JSON.stringify(verdict.notification)).toBe(true);
              outcomes.reset++;
            } else if (verdict.action === 'treat-as-withdraw') outcomes.withdraw++;
            else if (verdict.action === 'attribute-discard') outcomes.discard++;
            else outcomes.ok++;
            if (verdict.action !== 'session-reset') {
              // What survived decoding re-encodes to a message that decodes the same.
              const again = decodeUpdate(encodeUpdate(decoded, options), options);
              expect(again.attributes).toEqual(decoded.attributes);
              expect(again.nlri).toEqual(decoded.nlri);
              expect(again.withdrawnRoutes).toEqual(decoded.withdrawnRoutes);
            }
            ribs[options.fourOctetAs ? 0 : 1]!.apply(decoded);
          } catch (error) {
            expect(error).toBeInstanceOf(BgpProtocolError);
            expect(isValidNotification((error as BgpProtocolError).notification), JSON.stringify((error as BgpProtocolError).notification)).toBe(true);
            outcomes.messageErrors++;
          }
        }
      }
      // A partial message left behind would swallow the next one; start each message on a fresh stream.
      if (reader.bufferedLength > 0) reader = new BgpMessageReader();
    }
    // Every branch was exercised, so the assertions above were really made.
    for (const [outcome, count] of Object.entries(outcomes)) expect(count, outcome).toBeGreaterThan(50);

    // Whatever the fuzzed UPDATEs left in the tables replays as valid UPDATEs.
    for (const [index, rib] of ribs.entries()) {
      const options = { fourOctetAs: index === 0, ebgp: false };
      let replayed = 0;
      for (const bytes of rib.replay()) {
        const update = decodeUpdate(bytes, options);
        expect(update.verdict.action, JSON.stringify(update.verdict)).toBe('ok');
        replayed++;
      }
      expect(replayed).toBeGreaterThan(4);
      expect(rib.routeCount()).toBeGreaterThan(0);
    }
  });
});
