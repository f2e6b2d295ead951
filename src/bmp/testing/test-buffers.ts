/**
 * BMP wire bytes for tests, built by name and written out field by field with the BGP test
 * buffers' BufferList (RFC 7854 §4), so a test can check the BMP codec against bytes it did not
 * produce itself. The BGP PDUs BMP messages carry come from the one BGP builder,
 * src/bgp/testing/test-buffers.ts.
 */
import type { PerPeerHeader } from '../codec/messages.js';
import { BufferList } from '../../bgp/testing/buffer-list.js';
import { buffers } from '../../bgp/testing/test-buffers.js';

/**
 * A per-peer header (RFC 7854 §4.2) as the codec takes it: a global peer, pre-policy, 4-octet
 * AS_PATH, at a fixed instant, unless `fields` say otherwise. The one builder of it for tests.
 */
export function perPeerHeader(fields: Partial<PerPeerHeader> & Pick<PerPeerHeader, 'address'>): PerPeerHeader {
  return {
    peerType: 0,
    distinguisher: Buffer.alloc(8),
    postPolicy: false,
    legacyAsPath: false,
    asn: 65030,
    bgpId: fields.address.includes(':') ? '192.0.2.1' : fields.address,
    timestamp: { seconds: 1_700_000_000, microseconds: 0 },
    ...fields,
  };
}

// ---- the BGP PDUs of BMP messages, from the one BGP builder ----

/** OPEN with multiprotocol IPv4 unicast and the 4-octet AS capability (RFC 6793). */
export function bgpOpen(opts: { asn: number; bgpId: string; holdTime?: number }): Buffer {
  return buffers.open({ asn: opts.asn, bgpIdentifier: opts.bgpId, holdTime: opts.holdTime ?? 90, routeRefresh: false });
}

/** UPDATE announcing IPv4 prefixes with ORIGIN IGP, a 4-octet AS_PATH sequence and NEXT_HOP (none without prefixes). */
export function bgpUpdate(opts: { prefixes: string[]; nextHop: string; asPath: number[]; withdrawn?: string[] }): Buffer {
  const attrs = opts.prefixes.length === 0 ? {} : { origin: 'igp', asPath: opts.asPath, nextHop: opts.nextHop } as const;
  return buffers.update({ nlri: opts.prefixes, withdrawn: opts.withdrawn ?? [], attrs });
}

export const bgpNotification = buffers.notification;
export const bgpKeepalive = buffers.keepalive;

// ---- BMP (RFC 7854) ----

/** §4.1 common header: version 3, the 4-octet length (header included), the type. */
function bmp(type: number, body: BufferList): Buffer {
  return new BufferList().u8(3).u32(6 + body.length).u8(type).bytes(body.join()).join();
}

/** A 16-octet address field (§4.2, §4.10): IPv4 in the last 4 octets, zeros before. */
function address16(out: BufferList, address: string): BufferList {
  return address.includes(':') ? out.ipv6(address) : out.bytes(Buffer.alloc(12)).ipv4(address);
}

/** §4.2: type, flags (V IPv6, L post-policy, A legacy AS_PATH), distinguisher, address, AS, BGP ID, timestamp. */
function perPeer(p: PerPeerHeader): BufferList {
  const flags = (p.address.includes(':') ? 0x80 : 0) | (p.postPolicy ? 0x40 : 0) | (p.legacyAsPath ? 0x20 : 0);
  const out = new BufferList().u8(p.peerType, flags).bytes(p.distinguisher);
  return address16(out, p.address).u32(p.asn).ipv4(p.bgpId).u32(p.timestamp.seconds).u32(p.timestamp.microseconds);
}

/** §4.4 information TLV: 2-octet type, 2-octet length, value. */
function tlv(type: number, value: Buffer | BufferList): Buffer {
  return new BufferList().u16(type).lengthPrefixed(2, value).join();
}

export const bmpTestBuffers = {
  initiation(opts: { sysName: string; sysDescr: string; strings?: string[] }): Buffer {
    return bmp(4, new BufferList().bytes(tlv(1, Buffer.from(opts.sysDescr))).bytes(tlv(2, Buffer.from(opts.sysName))).bytes(Buffer.concat((opts.strings ?? []).map((s) => tlv(0, Buffer.from(s))))));
  },
  termination(opts: { reason: number; text?: string }): Buffer {
    return bmp(5, new BufferList().bytes(opts.text === undefined ? Buffer.alloc(0) : tlv(0, Buffer.from(opts.text))).bytes(tlv(1, new BufferList().u16(opts.reason))));
  },
  peerUp(p: PerPeerHeader, opts: { localAddress: string; localPort: number; remotePort: number; sentOpen: Buffer; receivedOpen: Buffer; strings?: string[] }): Buffer {
    const body = address16(perPeer(p), opts.localAddress)
      .u16(opts.localPort)
      .u16(opts.remotePort)
      .bytes(opts.sentOpen)
      .bytes(opts.receivedOpen)
      .bytes(Buffer.concat((opts.strings ?? []).map((s) => tlv(0, Buffer.from(s)))));
    return bmp(3, body);
  },
  routeMonitoring(p: PerPeerHeader, update: Buffer): Buffer {
    return bmp(0, perPeer(p).bytes(update));
  },
  /** Each entry: [type, value]; value a number → 32-bit counter, bigint → 64-bit gauge, {afi,safi,value} → per-AFI/SAFI gauge. */
  statisticsReport(p: PerPeerHeader, entries: Array<[number, number | bigint | { afi: number; safi: number; value: bigint }]>): Buffer {
    const body = perPeer(p).u32(entries.length);
    for (const [type, v] of entries) {
      if (typeof v === 'number') body.u16(type).u16(4).u32(v);
      else if (typeof v === 'bigint') body.u16(type).u16(8).u64(v);
      else body.u16(type).u16(11).u16(v.afi).u8(v.safi).u64(v.value);
    }
    return bmp(1, body);
  },
  peerDown(p: PerPeerHeader, reason: number, data: Buffer = Buffer.alloc(0)): Buffer {
    return bmp(2, perPeer(p).u8(reason).bytes(data));
  },
  routeMirroring(p: PerPeerHeader, opts: { pdu?: Buffer; information?: number }): Buffer {
    const body = perPeer(p);
    if (opts.pdu) body.bytes(tlv(0, opts.pdu));
    if (opts.information !== undefined) body.bytes(tlv(1, new BufferList().u16(opts.information)));
    return bmp(6, body);
  },
};
