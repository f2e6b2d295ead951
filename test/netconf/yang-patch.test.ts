// push-change-update content (RFC 8641 §3.7): libyang's diff of two real snapshots of bmpd's state
// turned into YANG Patch edits (RFC 8072) with RESTCONF targets (RFC 8040 §3.5.3); on-change leaves
// counters out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onChangeReportable } from '../../src/netconf/subscriptions/subscriptions.js';
import { elementAt, patchEdits, restconfPath, yangPatchXml } from '../../src/netconf/subscriptions/yang-patch.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const BMPD = 'urn:bmpd:yang:bmpd';
let model: YangModel;
beforeAll(async () => { model = await loadYangModel(); });
afterAll(() => model.context.destroy());

const state = (status: string, sent: number, neighbors: string) =>
  `<bgp xmlns="${BMPD}"><as-number>65000</as-number><bmp><server><id>1</id><address>127.0.0.1</address>` +
  `<state><status>${status}</status><messages-sent>${sent}</messages-sent></state></server></bmp>${neighbors}</bgp>`;

function edits(before: string, after: string, excluded: string[] = []) {
  const a = model.context.parseData(before, { format: 'xml', validate: false, strict: true });
  const b = model.context.parseData(after, { format: 'xml', validate: false, strict: true });
  try {
    const diff = a.diff(b);
    try {
      return patchEdits(diff.changes(), b, (m) => (m === 'bmpd' ? BMPD : null), (c) => onChangeReportable(c.schemaPath),
        new Set(excluded as never[]));
    } finally { diff.free(); }
  } finally { a.free(); b.free(); }
}

describe('YANG Patch from snapshots', () => {
  it('a status change is one replace of the leaf; the counter that moved with it is not reported', () => {
    expect(edits(state('up', 10, ''), state('down', 20, ''))).toEqual([
      { operation: 'replace', target: '/bmpd:bgp/bmp/server=1/state/status', value: `<status xmlns="${BMPD}">down</status>` },
    ]);
    expect(edits(state('up', 10, ''), state('up', 99, ''))).toEqual([]);
  });

  it('a new neighbor is one create with the whole entry as its value; a removed one one delete; excluded-change drops a kind', () => {
    const neighbor = '<neighbor><address>2001:db8::1</address><remote-as>65001</remote-as><description>a, b</description></neighbor>';
    const created = edits(state('up', 1, ''), state('up', 1, neighbor));
    expect(created).toHaveLength(1);
    expect(created[0]!.operation).toBe('create');
    expect(created[0]!.target).toBe('/bmpd:bgp/neighbor=2001%3Adb8%3A%3A1');
    expect(created[0]!.value).toMatch(new RegExp(`^<neighbor xmlns="${BMPD}"><address>2001:db8::1</address>.*<remote-as>65001</remote-as>.*</neighbor>$`));
    expect(edits(state('up', 1, neighbor), state('up', 1, ''))).toEqual([{ operation: 'delete', target: '/bmpd:bgp/neighbor=2001%3Adb8%3A%3A1' }]);
    expect(edits(state('up', 1, neighbor), state('up', 1, ''), ['delete'])).toEqual([]);
    const patch = yangPatchXml('7-1', created);
    expect(patch).toMatch(/^<datastore-changes><yang-patch><patch-id>7-1<\/patch-id><edit><edit-id>edit1<\/edit-id><operation>create<\/operation>/);
  });

  it('restconfPath encodes keys; elementAt finds the node below its ancestors', () => {
    expect(restconfPath("/bmpd:bgp/vrf[name='red']/address-family[afi='ipv4']/neighbor[address='10.0.0.1']")).toBe(
      '/bmpd:bgp/vrf=red/address-family=ipv4/neighbor=10.0.0.1');
    expect(restconfPath("/a:b/c[k1='x,y'][k2='/']")).toBe('/a:b/c=x%2Cy,%2F');
    expect(elementAt(`<bgp xmlns="${BMPD}"><neighbor><address>1</address><timers><hold-time>9</hold-time></timers></neighbor></bgp>`, 3, 'timers', BMPD))
      .toBe(`<timers xmlns="${BMPD}"><hold-time>9</hold-time></timers>`);
  });

  it('on-change covers configuration, server status and neighbor session state, not counters', () => {
    expect(onChangeReportable('/bmpd:bgp/bmpd:neighbor/bmpd:remote-as')).toBe(true);
    expect(onChangeReportable('/bmpd:bgp/bmpd:bmp/bmpd:server/bmpd:state/bmpd:status')).toBe(true);
    expect(onChangeReportable('/bmpd:bgp/bmpd:neighbor/bmpd:state/bmpd:session-state')).toBe(true);
    expect(onChangeReportable('/bmpd:bgp/bmpd:vrf/bmpd:address-family/bmpd:neighbor/bmpd:state/bmpd:session-state')).toBe(true);
    expect(onChangeReportable('/bmpd:bgp/bmpd:neighbor/bmpd:state/bmpd:updates-received')).toBe(false);
    expect(onChangeReportable('/bmpd:bgp/bmpd:bmp/bmpd:server/bmpd:state/bmpd:messages-sent')).toBe(false);
    expect(onChangeReportable('/ietf-netconf-monitoring:netconf-state/ietf-netconf-monitoring:statistics/ietf-netconf-monitoring:in-rpcs')).toBe(false);
  });
});
