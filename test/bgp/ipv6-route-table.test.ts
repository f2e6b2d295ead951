import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ABSENT } from '../../src/bgp/ipv4-route-table.js';
import { Ipv6RouteTable } from '../../src/bgp/ipv6-route-table.js';
import { ipv6Prefix, ipv6ToString } from '../../src/bgp/codec/index.js';
import { expectAgreesWithMap } from './route-table-model.js';

function entries(table: Ipv6RouteTable): string[] {
  const out: string[] = [];
  table.forEach((length, address, value) => out.push(`${ipv6ToString(address)}/${length}=${value}`));
  return out.sort();
}

/** 16 octets with the host bits beyond `length` cleared, as the table expects. */
function masked(octets: number[], length: number): Buffer {
  const address = Buffer.from(octets);
  for (let bit = length; bit < 128; bit++) address[bit >>> 3]! &= ~(0x80 >>> (bit & 7));
  return address;
}

describe('Ipv6RouteTable', () => {
  it('stores, replaces and deletes by prefix, returning the previous value', () => {
    const table = new Ipv6RouteTable();
    const p = ipv6Prefix('2001:db8:1::/48');
    expect(table.get(p.length, p.address)).toBe(ABSENT);
    expect(table.set(p.length, p.address, 0)).toBe(ABSENT);
    expect(table.set(p.length, p.address, 9)).toBe(0);
    expect(table.get(p.length, p.address)).toBe(9);
    expect(table.size).toBe(1);
    expect(table.delete(p.length, p.address)).toBe(9);
    expect(table.delete(p.length, p.address)).toBe(ABSENT);
    expect(table.size).toBe(0);
  });

  it('tells apart the same address at different lengths, either side of /64, /0 and /128 included', () => {
    const table = new Ipv6RouteTable();
    const texts = ['::/0', '::/1', '::/128', '2001:db8::/32', '2001:db8::/48', '2001:db8::/64', '2001:db8::/65', '2001:db8::/128', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128', 'ffff:ffff:ffff:ffff::/64', '2001:db8:0:0:8000::/65'];
    texts.forEach((text, i) => {
      const p = ipv6Prefix(text);
      expect(table.set(p.length, p.address, i)).toBe(ABSENT);
    });
    expect(table.size).toBe(texts.length);
    texts.forEach((text, i) => {
      const p = ipv6Prefix(text);
      expect(table.get(p.length, p.address)).toBe(i);
    });
    expect(entries(table)).toEqual(texts.map((t, i) => `${ipv6ToString(ipv6Prefix(t).address)}/${ipv6Prefix(t).length}=${i}`).sort());
  });

  it('rejects a value it cannot store', () => {
    const p = ipv6Prefix('2001:db8::/32');
    expect(() => new Ipv6RouteTable().set(p.length, p.address, -1)).toThrow(RangeError);
    expect(() => new Ipv6RouteTable().set(p.length, p.address, 2 ** 32 - 1)).toThrow(RangeError);
  });

  it('holds a /48 in a 16-byte slot, grows to a full table and shrinks back', () => {
    const table = new Ipv6RouteTable();
    const address = Buffer.alloc(16);
    const at = (i: number): Buffer => {
      address.writeUInt32BE(0x20010000 + (i >>> 16), 0);
      address.writeUInt32BE(((i & 0xffff) << 16) >>> 0, 4);
      return address;
    };
    for (let i = 0; i < 90_000; i++) table.set(48, at(i), i % 3000);
    expect(table.size).toBe(90_000);
    // 2^17 slots of 3 key words and a value in the ≤ /64 slab, plus the empty > /64 slab (2^4 slots of 5 key words and a value).
    expect(table.bytes).toBe(2 ** 17 * 16 + 2 ** 4 * 24);
    for (let i = 0; i < 90_000; i += 997) expect(table.get(48, at(i))).toBe(i % 3000);
    for (let i = 0; i < 90_000; i++) expect(table.delete(48, at(i))).toBe(i % 3000);
    expect(table.size).toBe(0);
    expect(table.bytes).toBeLessThan(1024);
  });

  it('clear() empties the table', () => {
    const table = new Ipv6RouteTable();
    for (let i = 0; i < 500; i++) table.set(128, masked([0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, i >> 8, i & 255], 128), 1);
    table.clear();
    expect(table.size).toBe(0);
    expect(entries(table)).toEqual([]);
  });

  it('agrees with a Map under any sequence of sets and deletes', () => {
    // Few distinct addresses and lengths around the /64 boundary so sets and deletes collide.
    const prefix = fc
      .tuple(fc.constantFrom(0, 1, 32, 48, 63, 64, 65, 96, 127, 128), fc.integer({ min: 0, max: 15 }))
      .map(([length, n]) => ({ length, address: masked(Array.from({ length: 16 }, (_, i) => (n * 0x11 + i * 37) & 255), length) }));
    const op = fc.tuple(fc.boolean(), prefix, fc.integer({ min: 0, max: 9 }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => expectAgreesWithMap(new Ipv6RouteTable(), ops, ipv6ToString)),
      { numRuns: 300 },
    );
  });
});
