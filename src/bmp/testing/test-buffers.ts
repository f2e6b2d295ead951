/**
 * Wire bytes for tests, built by name and written out field by field, so a
 * test can check the codec against bytes it did not produce itself. Also the
 * minimal BGP PDUs (OPEN, UPDATE, NOTIFICATION, KEEPALIVE) BMP messages carry.
 */

class Writer {
  private parts: Buffer[] = [];
  u8(v: number): this {
    this.parts.push(Buffer.from([v & 0xff]));
    return this;
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    this.parts.push(b);
    return this;
  }
  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(v);
    this.parts.push(b);
    return this;
  }
  bytes(b: Buffer | number[]): this {
    this.parts.push(Buffer.isBuffer(b) ? b : Buffer.from(b));
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function v4(a: string): number[] {
  return a.split('.').map(Number);
}

/** 16-byte BMP address field for an IPv4 address. */
function v4in16(a: string): number[] {
  return [...new Array<number>(12).fill(0), ...v4(a)];
}

// ---- BGP (RFC 4271) ----

function bgpMessage(type: number, body: Buffer): Buffer {
  return new Writer().bytes(Buffer.alloc(16, 0xff)).u16(19 + body.length).u8(type).bytes(body).build();
}

/** OPEN with the 4-octet-AS capability (RFC 6793) and multiprotocol IPv4 unicast. */
export function bgpOpen(opts: { asn: number; bgpId: string; holdTime?: number }): Buffer {
  const caps = new Writer()
    .bytes([1, 4, 0, 1, 0, 1]) // MP-BGP IPv4 unicast
    .bytes([65, 4]).u32(opts.asn) // 4-octet AS
    .build();
  const params = new Writer().u8(2).u8(caps.length).bytes(caps).build();
  const body = new Writer()
    .u8(4)
    .u16(opts.asn > 0xffff ? 23456 : opts.asn)
    .u16(opts.holdTime ?? 90)
    .bytes(v4(opts.bgpId))
    .u8(params.length)
    .bytes(params)
    .build();
  return bgpMessage(1, body);
}

/** UPDATE announcing IPv4 prefixes with ORIGIN IGP, a 4-byte AS_PATH sequence and NEXT_HOP. */
export function bgpUpdate(opts: { prefixes: string[]; nextHop: string; asPath: number[]; withdrawn?: string[] }): Buffer {
  const nlri = (p: string): number[] => {
    const [addr, lenText] = p.split('/') as [string, string];
    const len = Number(lenText);
    return [len, ...v4(addr).slice(0, Math.ceil(len / 8))];
  };
  const withdrawn = Buffer.from((opts.withdrawn ?? []).flatMap(nlri));
  const asPath = new Writer().u8(2).u8(opts.asPath.length);
  for (const a of opts.asPath) asPath.u32(a);
  const asPathBytes = asPath.build();
  const attrs =
    opts.prefixes.length === 0
      ? Buffer.alloc(0)
      : new Writer()
          .bytes([0x40, 1, 1, 0]) // ORIGIN IGP
          .bytes([0x40, 2, asPathBytes.length])
          .bytes(asPathBytes)
          .bytes([0x40, 3, 4, ...v4(opts.nextHop)])
          .build();
  const body = new Writer().u16(withdrawn.length).bytes(withdrawn).u16(attrs.length).bytes(attrs).bytes(opts.prefixes.flatMap(nlri)).build();
  return bgpMessage(2, body);
}

export function bgpNotification(code: number, subcode: number, data: Buffer = Buffer.alloc(0)): Buffer {
  return bgpMessage(3, new Writer().u8(code).u8(subcode).bytes(data).build());
}

export function bgpKeepalive(): Buffer {
  return bgpMessage(4, Buffer.alloc(0));
}

// ---- BMP (RFC 7854) ----

export interface TestPeer {
  address: string; // IPv4 only in this builder
  asn: number;
  bgpId: string;
  seconds?: number;
  microseconds?: number;
  peerType?: number;
  distinguisher?: number[];
  flags?: number;
}

function bmp(type: number, body: Buffer): Buffer {
  return new Writer().u8(3).u32(6 + body.length).u8(type).bytes(body).build();
}

function perPeer(p: TestPeer): Buffer {
  return new Writer()
    .u8(p.peerType ?? 0)
    .u8(p.flags ?? 0)
    .bytes(p.distinguisher ?? new Array<number>(8).fill(0))
    .bytes(v4in16(p.address))
    .u32(p.asn)
    .bytes(v4(p.bgpId))
    .u32(p.seconds ?? 0)
    .u32(p.microseconds ?? 0)
    .build();
}

function tlv(type: number, value: Buffer): Buffer {
  return new Writer().u16(type).u16(value.length).bytes(value).build();
}

export const bmpTestBuffers = {
  initiation(opts: { sysName: string; sysDescr: string; strings?: string[] }): Buffer {
    return bmp(4, Buffer.concat([tlv(1, Buffer.from(opts.sysDescr)), tlv(2, Buffer.from(opts.sysName)), ...(opts.strings ?? []).map((s) => tlv(0, Buffer.from(s)))]));
  },
  termination(opts: { reason: number; text?: string }): Buffer {
    const reason = Buffer.alloc(2);
    reason.writeUInt16BE(opts.reason);
    return bmp(5, Buffer.concat([...(opts.text === undefined ? [] : [tlv(0, Buffer.from(opts.text))]), tlv(1, reason)]));
  },
  peerUp(p: TestPeer, opts: { localAddress: string; localPort: number; remotePort: number; sentOpen: Buffer; receivedOpen: Buffer; strings?: string[] }): Buffer {
    return bmp(
      3,
      new Writer()
        .bytes(perPeer(p))
        .bytes(v4in16(opts.localAddress))
        .u16(opts.localPort)
        .u16(opts.remotePort)
        .bytes(opts.sentOpen)
        .bytes(opts.receivedOpen)
        .bytes(Buffer.concat((opts.strings ?? []).map((s) => tlv(0, Buffer.from(s)))))
        .build(),
    );
  },
  routeMonitoring(p: TestPeer, update: Buffer): Buffer {
    return bmp(0, Buffer.concat([perPeer(p), update]));
  },
  /** Each entry: [type, value]; value a number → 32-bit counter, bigint → 64-bit gauge, {afi,safi,value} → per-AFI/SAFI gauge. */
  statisticsReport(p: TestPeer, entries: Array<[number, number | bigint | { afi: number; safi: number; value: bigint }]>): Buffer {
    const w = new Writer().bytes(perPeer(p)).u32(entries.length);
    for (const [type, v] of entries) {
      if (typeof v === 'number') w.u16(type).u16(4).u32(v);
      else if (typeof v === 'bigint') w.u16(type).u16(8).u64(v);
      else w.u16(type).u16(11).u16(v.afi).u8(v.safi).u64(v.value);
    }
    return bmp(1, w.build());
  },
  peerDown(p: TestPeer, reason: number, data: Buffer = Buffer.alloc(0)): Buffer {
    return bmp(2, new Writer().bytes(perPeer(p)).u8(reason).bytes(data).build());
  },
  routeMirroring(p: TestPeer, opts: { pdu?: Buffer; information?: number }): Buffer {
    const tlvs: Buffer[] = [];
    if (opts.pdu) tlvs.push(tlv(0, opts.pdu));
    if (opts.information !== undefined) {
      const v = Buffer.alloc(2);
      v.writeUInt16BE(opts.information);
      tlvs.push(tlv(1, v));
    }
    return bmp(6, Buffer.concat([perPeer(p), ...tlvs]));
  },
};
