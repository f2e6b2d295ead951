/**
 * Interop check of the serializer against an independent decoder: Wireshark's
 * BGP dissector (tshark) reads what we write. text2pcap wraps the bytes in
 * TCP port 179 frames; no packet goes on any network.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vpnPrefix } from '../../../src/bgp/codec/index.js';
import { buffers } from '../../../src/bgp/testing/test-buffers.js';

const dir = mkdtempSync(join(tmpdir(), 'bmpd-bgp-tshark-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function hexdump(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 16) {
    out += `${i.toString(16).padStart(6, '0')} ${[...bytes.subarray(i, i + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}\n`;
  }
  return out;
}

function dissect(name: string, bytes: Buffer): string {
  writeFileSync(join(dir, `${name}.hex`), hexdump(bytes));
  execFileSync('text2pcap', ['-q', '-T', '40000,179', join(dir, `${name}.hex`), join(dir, `${name}.pcap`)]);
  return execFileSync('tshark', ['-r', join(dir, `${name}.pcap`), '-V', '-O', 'bgp'], { encoding: 'utf8' });
}

describe('tshark decodes what the serializer writes', () => {
  it('OPEN, UPDATE (IPv4 and VPNv6), ROUTE-REFRESH and NOTIFICATION without dissector complaints', () => {
    const text = dissect(
      'messages',
      Buffer.concat([
        buffers.open({ asn: 4200000001, families: ['ipv4-unicast', 'vpnv6-unicast'], enhancedRouteRefresh: true }),
        buffers.update({
          nlri: ['10.0.0.0/24'],
          withdrawn: ['10.9.0.0/16'],
          attrs: {
            origin: 'igp',
            asPath: [65001, 4200000000],
            nextHop: '192.0.2.1',
            med: 5,
            localPref: 100,
            communities: ['65001:7'],
            largeCommunities: [{ globalAdministrator: 1, localData1: 2, localData2: 3 }],
            aggregator: { asn: 65001, address: '192.0.2.3' },
          },
        }),
        buffers.update({
          nlri: [vpnPrefix('65000:7', '2001:db8:5::/64', 1000)],
          attrs: { origin: 'igp', asPath: [65001], extendedCommunities: [Buffer.from('0002fde900000064', 'hex')] },
          mpNextHop: '2001:db8::1',
        }),
        buffers.routeRefresh('ipv6-unicast', 1),
        buffers.notification(6, 2),
      ]),
    );
    expect(text).toContain('My AS: 23456 (AS_TRANS)');
    expect(text).toContain('AS Number: 4200000001');
    expect(text).toContain('Enhanced route refresh capability (70)');
    expect(text).toContain('Withdrawn prefix: 10.9.0.0');
    expect(text).toContain('Path Attribute - AS_PATH: 65001 4200000000');
    expect(text).toContain('Path Attribute - AGGREGATOR: AS: 65001 origin: 192.0.2.3');
    expect(text).toContain('Path Attribute - LARGE_COMMUNITY: 1:2:3');
    expect(text).toContain('NLRI prefix: 10.0.0.0');
    expect(text).toContain('Next hop:  RD=0:0 IPv6=2001:db8::1');
    expect(text).toContain('Label Stack=1000 (bottom) RD=65000:7, IPv6=2001:db8:5::/64');
    expect(text).toContain('Route Target: 65001:100');
    expect(text).toContain('Subtype: Demarcation of the beginning of a route refresh (1)');
    expect(text).toContain('Minor error Code (Cease): Administratively Shutdown (2)');
    expect(text).not.toMatch(/Malformed|Expert Info/);
  });
});
