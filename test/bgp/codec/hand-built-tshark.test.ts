/**
 * The hand-built messages of test/support/hand-built.ts read by an independent decoder:
 * Wireshark's BGP and BMP dissectors (tshark) must see in them what their comments (and
 * hand-built.test.ts) say, so the fixtures the codec is checked against are themselves right.
 * text2pcap wraps the bytes in TCP frames (port 179 for BGP, 11019 decoded as BMP); no packet
 * goes on any network.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fieldArgs, fieldRows } from '../../net/capture.js';
import { EXTENDED_LENGTH_UPDATE, IPV6_PEER_UP, IPV6_ROUTE_MONITORING, LONG_AS_PATH, REFLECTED_UPDATE, VPNV4_UPDATE } from '../../support/hand-built.js';

const dir = mkdtempSync(join(tmpdir(), 'bmpd-hand-built-tshark-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** tshark's values of `fields` for one message in one TCP frame to `port` ('bmp' decodes it as BMP). */
function dissect(name: string, bytes: Buffer, fields: string[], as: 'bgp' | 'bmp' = 'bgp'): Record<string, string[]> {
  let text = '';
  for (let i = 0; i < bytes.length; i += 16) {
    text += `${i.toString(16).padStart(6, '0')} ${[...bytes.subarray(i, i + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}\n`;
  }
  writeFileSync(join(dir, `${name}.hex`), text);
  const port = as === 'bgp' ? 179 : 11019;
  execFileSync('text2pcap', ['-q', '-T', `40000,${port}`, join(dir, `${name}.hex`), join(dir, `${name}.pcap`)]);
  const out = execFileSync('tshark', ['-r', join(dir, `${name}.pcap`), '-n', ...(as === 'bmp' ? ['-d', `tcp.port==${port},bmp`] : []),
    ...fieldArgs([...fields, '_ws.expert', '_ws.malformed'])], { encoding: 'utf8' });
  const [row] = fieldRows(out);
  expect(row, `tshark decoded ${name}`).toBeDefined();
  const values = Object.fromEntries([...fields, '_ws.expert', '_ws.malformed'].map((f, i) => [f, row![i] ? row![i]!.split(';') : []]));
  // No dissector complaint: a malformed fixture would show here.
  expect(values['_ws.expert'], `${name}: tshark expert info`).toEqual([]);
  expect(values['_ws.malformed'], `${name}: malformed`).toEqual([]);
  return values;
}

describe('tshark reads the hand-built messages as written', () => {
  it('ORIGINATOR_ID, CLUSTER_LIST and ATOMIC_AGGREGATE', () => {
    const v = dissect('reflected', REFLECTED_UPDATE, [
      'bgp.update.path_attribute.type_code', 'bgp.update.path_attribute.originator_id', 'bgp.path_attribute.cluster_id',
      'bgp.update.path_attribute.local_pref', 'bgp.nlri_prefix', 'bgp.prefix_length']);
    expect(v['bgp.update.path_attribute.type_code']).toEqual(['1', '2', '3', '5', '6', '9', '10']);
    expect(v['bgp.update.path_attribute.originator_id']).toEqual(['192.0.2.9']);
    expect(v['bgp.path_attribute.cluster_id']).toEqual(['198.51.100.1', '198.51.100.2']);
    expect(v['bgp.update.path_attribute.local_pref']).toEqual(['100']);
    expect(v['bgp.nlri_prefix']).toEqual(['10.1.0.0']);
    expect(v['bgp.prefix_length']).toEqual(['16']);
  });

  it('the Extended Length flag and the 2-octet lengths it announces', () => {
    const v = dissect('extended', EXTENDED_LENGTH_UPDATE, [
      'bgp.update.path_attribute.type_code', 'bgp.update.path_attribute.flags.extended_length', 'bgp.update.path_attribute.length',
      'bgp.update.path_attribute.as_path_segment.as4', 'bgp.update.path_attribute.community_as', 'bgp.update.path_attribute.community_value',
      'bgp.nlri_prefix']);
    expect(v['bgp.update.path_attribute.type_code']).toEqual(['1', '2', '3', '8']);
    expect(v['bgp.update.path_attribute.flags.extended_length']).toEqual(['0', '1', '0', '1']);
    expect(v['bgp.update.path_attribute.length']).toEqual(['1', '282', '4', '4']);
    expect(v['bgp.update.path_attribute.as_path_segment.as4']).toEqual(LONG_AS_PATH.map(String));
    expect(v['bgp.update.path_attribute.community_as']).toEqual(['65001']);
    expect(v['bgp.update.path_attribute.community_value']).toEqual(['100']);
    expect(v['bgp.nlri_prefix']).toEqual(['10.2.0.0']);
  });

  it('VPNv4 MP_REACH_NLRI: next hop, label, RD, prefix and route target', () => {
    const v = dissect('vpnv4', VPNV4_UPDATE, [
      'bgp.update.path_attribute.mp_reach_nlri.next_hop.rd', 'bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv4',
      'bgp.label_stack', 'bgp.rd', 'bgp.mp_reach_nlri_ipv4_prefix', 'bgp.prefix_length', 'bgp.ext_com.stype_tr_as2']);
    expect(v['bgp.update.path_attribute.mp_reach_nlri.next_hop.rd']).toEqual(['0:0']);
    expect(v['bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv4']).toEqual(['192.0.2.1']);
    expect(v['bgp.label_stack']).toEqual(['1000 (bottom)']);
    expect(v['bgp.rd']).toEqual(['65000:7']);
    expect(v['bgp.mp_reach_nlri_ipv4_prefix']).toEqual(['10.7.0.0']);
    expect(v['bgp.prefix_length']).toEqual(['112']);
    expect(v['bgp.ext_com.stype_tr_as2']).toEqual(['0x02']); // Route Target
  });

  it('BMP Route Monitoring and Peer Up with IPv6 peer and local addresses', () => {
    const peer = ['bmp.type', 'bmp.peer.flags.ipv6', 'bmp.peer.ipv6.addr', 'bmp.peer.asn', 'bmp.peer.id', 'bmp.peer.timestamp.sec', 'bmp.peer.timestamp.msec'];
    const rm = dissect('rm6', IPV6_ROUTE_MONITORING, [...peer, 'bgp.update.path_attribute.originator_id', 'bgp.nlri_prefix'], 'bmp');
    expect(rm).toMatchObject({
      'bmp.type': ['0'], 'bmp.peer.flags.ipv6': ['1'], 'bmp.peer.ipv6.addr': ['2001:db8::1'], 'bmp.peer.asn': ['65001'], 'bmp.peer.id': ['192.0.2.1'],
      'bmp.peer.timestamp.sec': ['1700000000'], 'bmp.peer.timestamp.msec': ['500000'],
      'bgp.update.path_attribute.originator_id': ['192.0.2.9'], 'bgp.nlri_prefix': ['10.1.0.0'],
    });
    const up = dissect('up6', IPV6_PEER_UP, [...peer, 'bmp.peer.up.ipv6.addr', 'bmp.peer.up.port.local', 'bmp.peer.up.port.remote',
      'bgp.open.myas', 'bgp.open.identifier'], 'bmp');
    expect(up).toMatchObject({
      'bmp.type': ['3'], 'bmp.peer.flags.ipv6': ['1'], 'bmp.peer.ipv6.addr': ['2001:db8::1'],
      'bmp.peer.up.ipv6.addr': ['2001:db8::2'], 'bmp.peer.up.port.local': ['179'], 'bmp.peer.up.port.remote': ['40000'],
      'bgp.open.myas': ['65002', '65001'], 'bgp.open.identifier': ['192.0.2.2', '192.0.2.1'],
    });
  });
});
