// ipv4Number (src/net/ip.ts): the hand-written dotted-quad scan the reconcile's sort key uses must
// accept exactly what net.isIPv4 accepts, with the value ipv4Bytes gives, or the neighbor order of a
// large reconcile would differ from compareNeighborEntries' (config-snapshot.ts).
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ipv4Bytes, ipv4Number } from '../../src/net/ip.js';

const expected = (text: string): number => (net.isIPv4(text) ? ipv4Bytes(text).readUInt32BE(0) : -1);

describe('ipv4Number', () => {
  it('accepts what net.isIPv4 accepts, with ipv4Bytes\' value', () => {
    const cases = [
      '0.0.0.0', '255.255.255.255', '127.1.0.1', '10.1.1.1', '1.2.3.4', '01.2.3.4', '1.2.3.04', '1.2.3.00', '256.1.1.1',
      '1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.', '', '.', '...', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.4%eth0', '::1',
      '::ffff:1.2.3.4', '1.2.3.-4', '1.2.3.4a', '999.1.1.1', '1.2.3.255', '1.2.3.2555', 'a.b.c.d', '0x1.2.3.4', '１.2.3.4',
    ];
    for (const text of cases) expect(ipv4Number(text), JSON.stringify(text)).toBe(expected(text));
  });

  it('agrees with net.isIPv4 on 100,000 random texts of digits and dots', () => {
    let seed = 11;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = '0123456789.....25';
    let accepted = 0;
    for (let i = 0; i < 100_000; i++) {
      let text = '';
      for (let n = 1 + random(15); n > 0; n--) text += alphabet[random(alphabet.length)];
      const want = expected(text);
      if (want >= 0) accepted++;
      if (ipv4Number(text) !== want) expect(ipv4Number(text), JSON.stringify(text)).toBe(want);
    }
    // The sample reaches both answers.
    expect(accepted).toBeGreaterThan(100);
  });
});
