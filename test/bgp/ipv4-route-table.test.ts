import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ABSENT, Ipv4RouteTable } from '../../src/bgp/ipv4-route-table.js';
import { ipv4Prefix } from '../../src/bgp/codec/index.js';
import { expectAgreesWithMap } from './route-table-model.js';

function entries(table: Ipv4RouteTable): string[] {
  const out: string[] = [];
  table.forEach((length, address, value) => out.push(`${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}/${length}=${value}`));
  return out.sort();
}

describe('Ipv4RouteTable', () => {
  it('stores, replaces and deletes by prefix, returning the previous value', () => {
    const table = new Ipv4RouteTable();
    const p = ipv4Prefix('192.0.2.0/24');
    expect(table.get(p.length, p.address)).toBe(ABSENT);
    expect(table.set(p.length, p.address, 0)).toBe(ABSENT);
    expect(table.get(p.length, p.address)).toBe(0);
    expect(table.set(p.length, p.address, 7)).toBe(0);
    expect(table.size).toBe(1);
    expect(table.delete(p.length, p.address)).toBe(7);
    expect(table.delete(p.length, p.address)).toBe(ABSENT);
    expect(table.size).toBe(0);
  });

  it('tells apart the same address at different lengths, /0 and /32 included', () => {
    const table = new Ipv4RouteTable();
    const texts = ['0.0.0.0/0', '0.0.0.0/1', '0.0.0.0/32', '10.0.0.0/8', '10.0.0.0/16', '10.0.0.0/31', '10.0.0.0/32', '255.255.255.255/32', '255.255.255.254/31'];
    texts.forEach((text, i) => {
      const p = ipv4Prefix(text);
      expect(table.set(p.length, p.address, i)).toBe(ABSENT);
    });
    expect(table.size).toBe(texts.length);
    texts.forEach((text, i) => {
      const p = ipv4Prefix(text);
      expect(table.get(p.length, p.address)).toBe(i);
    });
    expect(entries(table)).toEqual(texts.map((t, i) => `${t}=${i}`).sort());
  });

  it('rejects a value it cannot store', () => {
    const table = new Ipv4RouteTable();
    expect(() => table.set(24, 0, -1)).toThrow(RangeError);
    expect(() => table.set(24, 0, 2 ** 32 - 1)).toThrow(RangeError);
  });

  it('grows to a full table and shrinks back as routes go, with 8 bytes a slot', () => {
    const table = new Ipv4RouteTable();
    const empty = table.bytes;
    for (let i = 0; i < 150_000; i++) table.set(24, (0x0a000000 + i * 256) >>> 0, i % 4000);
    expect(table.size).toBe(150_000);
    // 2^18 slots (150,000 is more than 3/4 of 2^17) in the /31-and-shorter slab, plus the empty /32 slab.
    expect(table.bytes).toBe(2 ** 18 * 8 + empty / 2);
    for (let i = 0; i < 150_000; i += 997) expect(table.get(24, (0x0a000000 + i * 256) >>> 0)).toBe(i % 4000);
    for (let i = 0; i < 150_000; i++) expect(table.delete(24, (0x0a000000 + i * 256) >>> 0)).toBe(i % 4000);
    expect(table.size).toBe(0);
    expect(table.bytes).toBeLessThan(1024);
  });

  it('clear() empties the table', () => {
    const table = new Ipv4RouteTable();
    for (let i = 0; i < 1000; i++) table.set(32, i, 1);
    table.clear();
    expect(table.size).toBe(0);
    expect(table.get(32, 5)).toBe(ABSENT);
    expect(entries(table)).toEqual([]);
  });

  it('agrees with a Map under any sequence of sets and deletes', () => {
    const prefix = fc.tuple(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 63 })).map(([length, n]) => {
      // Few distinct addresses so sets and deletes collide; host bits clear as the table expects.
      const address = length === 0 ? 0 : ((n * 0x01010101) & (0xffffffff << (32 - length))) >>> 0;
      return { length, address };
    });
    const op = fc.tuple(fc.boolean(), prefix, fc.integer({ min: 0, max: 9 }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => expectAgreesWithMap(new Ipv4RouteTable(), ops, String)),
      { numRuns: 300 },
    );
  });
});
