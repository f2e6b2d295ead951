// The check both route tables (ipv4-route-table.ts, ipv6-route-table.ts) share: after any sequence
// of sets and deletes, a table says what a Map says.
import { expect } from 'vitest';
import { ABSENT } from '../../src/bgp/ipv4-route-table.js';

export interface RouteTable<A> {
  readonly size: number;
  get(length: number, address: A): number;
  set(length: number, address: A, value: number): number;
  delete(length: number, address: A): number;
  forEach(visit: (length: number, address: A, value: number) => void): void;
}

export type RouteTableOp<A> = readonly [isSet: boolean, prefix: { readonly length: number; readonly address: A }, value: number];

/** Runs `ops` on `table` and on a Map keyed by `text(address)/length`; every previous value, the size, each entry and forEach agree. */
export function expectAgreesWithMap<A>(table: RouteTable<A>, ops: readonly RouteTableOp<A>[], text: (address: A) => string): void {
  const model = new Map<string, { length: number; address: A; value: number }>();
  for (const [isSet, { length, address }, value] of ops) {
    const key = `${text(address)}/${length}`;
    const expected = model.get(key)?.value ?? ABSENT;
    if (isSet) {
      expect(table.set(length, address, value)).toBe(expected);
      model.set(key, { length, address, value });
    } else {
      expect(table.delete(length, address)).toBe(expected);
      model.delete(key);
    }
  }
  expect(table.size).toBe(model.size);
  for (const { length, address, value } of model.values()) expect(table.get(length, address)).toBe(value);
  const seen: string[] = [];
  table.forEach((length, address, value) => seen.push(`${text(address)}/${length}=${value}`));
  expect(seen.sort()).toEqual([...model].map(([k, { value }]) => `${k}=${value}`).sort());
}
