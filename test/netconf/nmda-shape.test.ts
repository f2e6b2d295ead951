// The text side of get-data (src/netconf/nmda-shape.ts) against bmpd's own schema in libyang:
// origins written into running's print and the state XML survive libyang's parse, merge and
// select; max-depth keeps what RFC 8526 §3.1.1 keeps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataTree } from 'libyang-wasm';
import { annotateRunningOrigins, annotateStateOrigins, filterConfigOrigins, instanceSteps, listKeysOf, shapePrinted } from '../../src/netconf/nmda-shape.js';
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
    // Per node: the leaves the neighbor sent are learned, bmpd's own FSM state and BMP columns system.
    expect(tagOf(neighbor, 'state')).toContain('or:origin="or:system"');
    expect(tagOf(neighbor, 'remote-router-id')).toContain('or:origin="or:learned"');
    expect(tagOf(neighbor, 'session-state')).not.toContain('origin'); // inherits system
    expect(tagOf(neighbor, 'priq-depth')).not.toContain('origin'); // inherits system
    expect(tagOf(xml.slice(xml.indexOf('<server')), 'state')).toContain('or:origin="or:system"');
    expect(tagOf(xml, 'agent')).toContain('or:origin="or:system"');
  });

  it('a filter keeps the annotations; shapePrinted drops them unless with-origin', () => {
    const selected = operational.select('/bmpd:bgp/neighbor/state/remote-router-id');
    trees.push(selected);
    const xml = selected.print({ format: 'xml' });
    expect(xml).toContain('or:origin="or:learned"');
    const plain = shapePrinted(xml, { withOrigin: false, listKeys });
    expect(plain).not.toMatch(/origin/);
    expect(plain.replace(/\s+/g, '')).toBe(`<bgpxmlns="${NS}"><neighbor><address>127.0.0.2</address><state><remote-router-id>127.0.0.2</remote-router-id></state></neighbor></bgp>`);
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
    const paths = operational.paths(xpath);
    expect(paths).toEqual(["/bmpd:bgp/bmp/server[id='1']"]);
    const xml = selected.print({ format: 'xml' });
    expect(compact(shapePrinted(xml, { maxDepth: 1, selected: paths, withOrigin: false, listKeys }))).toBe(
      `<bgp xmlns="${NS}"><bmp><server><id>1</id></server></bmp></bgp>`);
    expect(compact(shapePrinted(xml, { maxDepth: 2, selected: paths, withOrigin: false, listKeys }))).toBe(
      `<bgp xmlns="${NS}"><bmp><server><id>1</id><address>127.0.0.1</address><state></state></server></bmp></bgp>`);
  });

  it('reads list keys from the schema tree, and an instance\'s identity from a data path', () => {
    expect([...listKeys.get('server')!]).toEqual(['id']);
    expect([...listKeys.get('neighbor')!]).toEqual(['address']);
    expect(instanceSteps("/bmpd:bgp/vrf[name='a/b']/address-family[afi=\"ipv4\"]/neighbor[address='::1']/bmp-activate/server[.='1']")).toEqual(
      ['/bgp', '/vrf[["name","a/b"]]', '/address-family[["afi","ipv4"]]', '/neighbor[["address","::1"]]', '/bmp-activate', '/server']);
  });
});

describe('max-depth exact per RFC 8526 §3.1.1: data nodes counted from each selected node', () => {
  // Nested lists (vrf / address-family / neighbor), a choice (initial-refresh: delay or skip, a
  // case's leaf directly in its container), leaf-lists (bmp-activate/server, state/capabilities).
  const CONFIG = `<bgp xmlns="${NS}"><as-number>65000</as-number><bmp><initial-refresh><delay>30</delay></initial-refresh>` +
    `<server><id>1</id><address>127.0.0.1</address><port-number>8000</port-number></server></bmp>` +
    `<neighbor><address>127.0.0.2</address><remote-as>65001</remote-as><bmp-activate><server>1</server></bmp-activate></neighbor>` +
    `<neighbor><address>127.0.0.3</address><remote-as>65001</remote-as></neighbor>` +
    `<vrf><name>v1</name><rd>65000:1</rd><address-family><afi>ipv4</afi><neighbor><address>127.0.1.1</address><remote-as>65010</remote-as>` +
    `<bmp-activate><server>1</server></bmp-activate></neighbor></address-family></vrf></bgp>`;
  const STATE2 = `<bgp xmlns="${NS}">` + ['127.0.0.2', '127.0.0.3'].map((a) => `<neighbor><address>${a}</address><state>` +
    `<session-state>established</session-state><capabilities>mp-ipv4-unicast</capabilities><capabilities>route-refresh</capabilities>` +
    `<prefixes><family>ipv4-unicast</family><received>5</received></prefixes></state></neighbor>`).join('') + '</bgp>';
  let tree: DataTree;
  beforeAll(() => {
    tree = model.context.parseData(CONFIG, { format: 'xml' });
    trees.push(tree);
    const state = model.context.parseData(STATE2, { format: 'xml', validate: false });
    tree.merge(state);
    state.free();
  });
  const compact = (xml: string) => xml.replace(/>\s+</g, '><').trim();
  /** What the evaluation worker does: select, print, shape with the selected nodes' paths. */
  const read = (xpath: string | undefined, maxDepth: number) => {
    if (xpath === undefined) return compact(shapePrinted(tree.print({ format: 'xml' }), { maxDepth, withOrigin: false, listKeys }));
    const selected = tree.select(xpath);
    trees.push(selected);
    return compact(shapePrinted(selected.print({ format: 'xml' }), { maxDepth, selected: tree.paths(xpath), withOrigin: false, listKeys }));
  };

  it('max-depth 1 of a nested list entry: the entry with its keys only, its ancestors with theirs', () => {
    expect(read("/bmpd:bgp/vrf/address-family/neighbor", 1)).toBe(
      `<bgp xmlns="${NS}"><vrf><name>v1</name><address-family><afi>ipv4</afi><neighbor><address>127.0.1.1</address></neighbor></address-family></vrf></bgp>`);
    // The vrf is level 1, its address-family entries level 2 (their keys kept at level 3), nothing below.
    expect(read("/bmpd:bgp/vrf", 2)).toBe(`<bgp xmlns="${NS}"><vrf><name>v1</name><rd>65000:1</rd><address-family><afi>ipv4</afi></address-family></vrf></bgp>`);
  });

  it('a choice and its case are no data nodes: the case\'s leaf is one level below its container', () => {
    expect(read('/bmpd:bgp/bmp/initial-refresh', 1)).toBe(`<bgp xmlns="${NS}"><bmp><initial-refresh></initial-refresh></bmp></bgp>`);
    expect(read('/bmpd:bgp/bmp/initial-refresh', 2)).toBe(`<bgp xmlns="${NS}"><bmp><initial-refresh><delay>30</delay></initial-refresh></bmp></bgp>`);
  });

  it('each leaf-list entry is a node at its level', () => {
    const entries = read("/bmpd:bgp/neighbor[address='127.0.0.2']/state", 2);
    expect(entries).toContain('<capabilities>mp-ipv4-unicast</capabilities><capabilities>route-refresh</capabilities>');
    expect(entries).toContain('<prefixes><family>ipv4-unicast</family></prefixes>');
    expect(entries).not.toContain('<received>');
    expect(read("/bmpd:bgp/neighbor[address='127.0.0.2']/bmp-activate/server", 1)).toBe(
      `<bgp xmlns="${NS}"><neighbor><address>127.0.0.2</address><bmp-activate><server>1</server></bmp-activate></neighbor></bgp>`);
  });

  it('counts per instance, not per name: one neighbor\'s state and the other neighbor whole', () => {
    // A node-name count would take neighbor 127.0.0.3's state for a selected node too.
    const xml = read("/bmpd:bgp/neighbor[address='127.0.0.2']/state | /bmpd:bgp/neighbor[address='127.0.0.3']", 1);
    expect(xml).toBe(`<bgp xmlns="${NS}"><neighbor><address>127.0.0.2</address><state></state></neighbor>` +
      `<neighbor><address>127.0.0.3</address></neighbor></bgp>`);
    const two = read("/bmpd:bgp/neighbor[address='127.0.0.2']/state | /bmpd:bgp/neighbor[address='127.0.0.3']", 2);
    expect(two).toContain('<neighbor><address>127.0.0.2</address><state><session-state>established</session-state>');
    expect(two).toContain('<neighbor><address>127.0.0.3</address><remote-as>65001</remote-as><state></state></neighbor>');
  });

  it('a node selected inside another selected node counts from itself; its ancestors stay', () => {
    const xml = read("/bmpd:bgp | /bmpd:bgp/neighbor[address='127.0.0.2']/state/prefixes", 1);
    expect(xml).toBe(`<bgp xmlns="${NS}"><neighbor><address>127.0.0.2</address><state><prefixes><family>ipv4-unicast</family></prefixes></state></neighbor></bgp>`);
  });

  it('without a filter the top-level nodes are selected', () => {
    expect(read(undefined, 1)).toBe(`<bgp xmlns="${NS}"></bgp>`);
    const two = read(undefined, 2);
    expect(two).toContain('<as-number>65000</as-number><bmp></bmp><neighbor><address>127.0.0.2</address></neighbor>');
    expect(two).toContain('<vrf><name>v1</name></vrf>');
  });
});

describe('origin-filter (RFC 8526 §3.1.1), on running\'s annotated print', () => {
  let printed: string;
  beforeAll(() => {
    const running = model.context.parseData(RUNNING, { format: 'xml' });
    const annotated = model.context.parseData(annotateRunningOrigins(running.print({ format: 'xml', tagImplicitDefaults: true })), { format: 'xml', validate: false });
    running.free();
    trees.push(annotated);
    printed = annotated.print({ format: 'xml', tagImplicitDefaults: true, shrink: true });
  });
  /** The filtered text parsed back, as the evaluation worker does, and printed with every default. */
  const filtered = (keep: string[]) => {
    const text = filterConfigOrigins(printed, new Set(keep), listKeys);
    const tree = model.context.parseData(text, { format: 'xml', validate: false, strict: true });
    trees.push(tree);
    return tree.print({ format: 'xml', withDefaults: 'report-all', shrink: true });
  };

  it('or:default keeps the defaults, with the ancestors and list keys that place them, and nothing configured', () => {
    const xml = filtered(['default']);
    expect(xml).toContain('<buffer-size or:origin="or:default">256</buffer-size>');
    expect(xml).toMatch(/<server><id>1<\/id><failure-retry-delay or:origin="or:default">600</);
    expect(xml).not.toContain('<as-number>');
    expect(xml).not.toContain('<address>127.0.0.1</address>');
    // The neighbor entry holds no default: it is not there at all.
    expect(xml).not.toContain('<neighbor>');
  });

  it('or:intended keeps what was configured (a node without an annotation has its parent\'s), not the defaults', () => {
    const xml = filtered(['intended']);
    expect(xml).toContain('<as-number>65000</as-number>');
    expect(xml).toContain('<server><id>1</id><address>127.0.0.1</address></server>');
    expect(xml).toContain('<neighbor><address>127.0.0.2</address><remote-as>65001</remote-as></neighbor>');
    expect(xml).not.toContain('buffer-size');
    expect(xml).not.toContain('failure-retry-delay');
  });

  it('an origin no configuration node has leaves nothing; both origins leave everything', () => {
    expect(filterConfigOrigins(printed, new Set(['learned']), listKeys)).toBe('');
    expect(filterConfigOrigins(printed, new Set(['intended', 'default']), listKeys)).toBe(printed);
  });
});
