// The text side of get-data (src/netconf/nmda-shape.ts) against bmpd's own schema in libyang:
// origins written into running's print and the state XML survive libyang's parse, merge and
// select; max-depth keeps what RFC 8526 §3.1.1 keeps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataTree } from 'libyang-wasm';
import { annotateRunningOrigins, annotateStateOrigins, listKeysOf, schemaChain, shapePrinted } from '../../src/netconf/nmda-shape.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';
const RUNNING = `<bgp xmlns="${NS}"><as-number>65000</as-number><bmp><server><id>1</id><address>127.0.0.1</address></server></bmp>` +
  `<neighbor><address>127.0.0.2</address><remote-as>65001</remote-as></neighbor></bgp>`;
const STATE = `<bgp xmlns="${NS}"><bmp><server><id>1</id><state><status>up</status></state></server></bmp>` +
  `<neighbor><address>127.0.0.2</address><state><session-state>established</session-state><priq-depth>0</priq-depth>` +
  `<remote-router-id>127.0.0.2</remote-router-id></state></neighbor></bgp><agent xmlns="${NS}"><sys-name>r1</sys-name></agent>`;

let model: YangModel;
let operational: DataTree;
const trees: DataTree[] = [];
let listKeys: Map<string, Set<string>>;

beforeAll(async () => {
  model = await loadYangModel();
  const running = model.context.parseData(RUNNING, { format: 'xml' });
  trees.push(running);
  operational = model.context.parseData(annotateRunningOrigins(running.print({ format: 'xml', tagImplicitDefaults: true })), { format: 'xml', validate: false });
  trees.push(operational);
  const state = model.context.parseData(annotateStateOrigins(STATE), { format: 'xml', validate: false });
  operational.merge(state);
  state.free();
  listKeys = listKeysOf([model.context.moduleTree('bmpd')]);
});
afterAll(() => { for (const t of trees) t.free(); });

const tagOf = (xml: string, name: string) => new RegExp(`<${name}(?:\\s[^>]*)?>`).exec(xml)?.[0] ?? '';

describe('origins', () => {
  it('running is intended at the top, its implicit defaults default; the neighbor session learned, bmpd\'s own state system', () => {
    const xml = operational.print({ format: 'xml', withDefaults: 'report-all' });
    expect(tagOf(xml, 'bgp')).toContain('or:origin="or:intended"');
    expect(tagOf(xml, 'as-number')).not.toContain('origin'); // inherits intended
    expect(tagOf(xml, 'buffer-size')).toContain('or:origin="or:default"');
    const neighbor = xml.slice(xml.indexOf('<neighbor'));
    expect(tagOf(neighbor, 'state')).toContain('or:origin="or:learned"');
    expect(tagOf(neighbor, 'priq-depth')).toContain('or:origin="or:system"');
    expect(tagOf(neighbor, 'remote-router-id')).not.toContain('origin'); // inherits learned
    expect(tagOf(xml.slice(xml.indexOf('<server')), 'state')).toContain('or:origin="or:system"');
    expect(tagOf(xml, 'agent')).toContain('or:origin="or:system"');
  });

  it('a filter keeps the annotations; shapePrinted drops them unless with-origin', () => {
    const selected = operational.select('/bmpd:bgp/neighbor/state/session-state');
    trees.push(selected);
    const xml = selected.print({ format: 'xml' });
    expect(xml).toContain('or:origin="or:learned"');
    const plain = shapePrinted(xml, { withOrigin: false, listKeys });
    expect(plain).not.toMatch(/origin/);
    expect(plain.replace(/\s+/g, '')).toBe(`<bgpxmlns="${NS}"><neighbor><address>127.0.0.2</address><state><session-state>established</session-state></state></neighbor></bgp>`);
    expect(shapePrinted(xml, { withOrigin: true, listKeys })).toBe(xml);
  });
});

describe('max-depth', () => {
  const compact = (xml: string) => xml.replace(/>\s+</g, '><').trim();

  it('counts from the top-level nodes without a filter, and keeps a list entry\'s keys', () => {
    const xml = operational.print({ format: 'xml' });
    expect(compact(shapePrinted(xml, { maxDepth: 1, withOrigin: false, listKeys }))).toBe(`<bgp xmlns="${NS}"></bgp><agent xmlns="${NS}"></agent>`);
    expect(compact(shapePrinted(xml, { maxDepth: 2, withOrigin: false, listKeys }))).toBe(
      `<bgp xmlns="${NS}"><as-number>65000</as-number><bmp></bmp><neighbor><address>127.0.0.2</address></neighbor></bgp>` +
      `<agent xmlns="${NS}"><sys-name>r1</sys-name></agent>`);
  });

  it('counts from each node the filter selected, its ancestors kept', () => {
    const xpath = '/bmpd:bgp/bmp/server';
    const selected = operational.select(xpath);
    trees.push(selected);
    const chains = new Set(operational.paths(xpath).map(schemaChain));
    expect([...chains]).toEqual(['bgp/bmp/server']);
    const xml = selected.print({ format: 'xml' });
    expect(compact(shapePrinted(xml, { maxDepth: 1, selected: chains, withOrigin: false, listKeys }))).toBe(
      `<bgp xmlns="${NS}"><bmp><server><id>1</id></server></bmp></bgp>`);
    expect(compact(shapePrinted(xml, { maxDepth: 2, selected: chains, withOrigin: false, listKeys }))).toBe(
      `<bgp xmlns="${NS}"><bmp><server><id>1</id><address>127.0.0.1</address><state></state></server></bmp></bgp>`);
  });

  it('reads list keys from the schema tree', () => {
    expect([...listKeys.get('server')!]).toEqual(['id']);
    expect([...listKeys.get('neighbor')!]).toEqual(['address']);
    expect(schemaChain("/bmpd:bgp/vrf[name='a/b']/address-family[afi='ipv4']/neighbor[address='::1']")).toBe('bgp/vrf/address-family/neighbor');
  });
});
