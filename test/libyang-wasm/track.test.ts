import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadLibyang, type DataTree, type EditOptions, type YangContext } from 'libyang-wasm';

import { loadYangModel } from '../../src/yang/model.js';

// Change recording (trackChanges / validateChanges / undoChanges / changedPaths) and the path-wise
// diffPaths / copyPaths, on bmpd's own model: the machinery behind O(change) datastore transactions.
const NS = 'urn:bmpd:yang:bmpd';
const NC = 'urn:ietf:params:xml:ns:netconf:base:1.0';
const ACM = 'urn:ietf:params:xml:ns:yang:ietf-netconf-acm';
const MERGE: EditOptions = { defaultOperation: 'merge', errorOption: 'stop-on-error' };
const bgp = (inner: string): string => `<bgp xmlns="${NS}" xmlns:nc="${NC}">${inner}</bgp>`;
const neighbor = (address: string, body = '<remote-as>65001</remote-as>'): string => `<neighbor><address>${address}</address>${body}</neighbor>`;
const BASE = bgp(
  '<as-number>65000</as-number><bmp><server><id>1</id><address>127.0.1.1</address><port-number>8000</port-number></server></bmp>'
  + neighbor('127.1.0.1', '<remote-as>65001</remote-as><timers><keepalive>30</keepalive><hold-time>90</hold-time></timers>')
  + neighbor('127.1.0.2', '<remote-as>65002</remote-as><bmp-activate><all/></bmp-activate>'),
) + `<nacm xmlns="${ACM}"><rule-list><name>a</name><group>*</group></rule-list><rule-list><name>b</name><group>*</group></rule-list>`
  + '<rule-list><name>c</name><group>*</group></rule-list></nacm>';

describe('libyang-wasm change recording', () => {
  let ctx: YangContext;
  beforeAll(async () => { ctx = (await loadYangModel()).context; });
  afterAll(() => ctx.destroy());

  const base = (): DataTree => ctx.parseData(BASE, { validate: true, configOnly: true, strict: true });
  const editOf = (xml: string): DataTree => ctx.parseData(xml, { validate: false, configOnly: true, strict: true, edit: true });
  const text = (t: DataTree): string => t.print({ withDefaults: 'report-all-tagged' });
  /** Applies an edit to a recording tree: its errors, or the validation error's first path. */
  const apply = (t: DataTree, xml: string, opts: EditOptions = MERGE): string[] => {
    const edit = editOf(xml);
    try {
      const errors = t.edit(edit, opts);
      if (errors.length > 0) return errors.map((e) => e.tag);
      t.validateChanges({ configOnly: true });
      return [];
    } catch (err) {
      return [(err as { items: { path: string | null }[] }).items[0]?.path ?? 'validation'];
    } finally {
      edit.free();
    }
  };

  it('finds which lists are self-contained in the bmpd model, and says why the others are not', () => {
    const lists = ctx.selfContainedLists();
    expect(lists.usable).toBe(true);
    expect(lists.selfContained).toEqual(expect.arrayContaining(['/bmpd:bgp/neighbor', '/bmpd:bgp/vrf/address-family/neighbor']));
    // Neighbors point at servers and peer-groups by leafref: those lists are observed from outside.
    expect(lists.selfContained).not.toContain('/bmpd:bgp/bmp/server');
    expect(lists.selfContained).not.toContain('/bmpd:bgp/peer-group');
    expect(lists.observed).toContainEqual({ list: '/bmpd:bgp/bmp/server', context: '/bmpd:bgp/neighbor/bmp-activate/server', expression: '/bmpd:bgp/bmpd:bmp/bmpd:server/bmpd:id' });
    // vrf has "unique rd": a constraint over all its entries.
    expect(lists.selfContained).not.toContain('/bmpd:bgp/vrf');
  });

  it('undoes every kind of edit exactly, ordered-by user positions included', () => {
    const cases = [
      bgp(neighbor('127.1.0.3')),
      bgp(`<neighbor nc:operation="delete"><address>127.1.0.1</address></neighbor>`),
      bgp(`<neighbor nc:operation="replace"><address>127.1.0.1</address><remote-as>65009</remote-as></neighbor>`),
      bgp(neighbor('127.1.0.1', '<timers><keepalive>10</keepalive></timers><description>x</description>')),
      bgp(neighbor('127.1.0.2', '<bmp-activate><server>1</server></bmp-activate>')), // other case of the choice
      bgp('<as-number>65100</as-number><bmp><initial-refresh><skip/></initial-refresh></bmp>'),
      `<nacm xmlns="${ACM}" xmlns:nc="${NC}"><rule-list nc:operation="delete"><name>b</name></rule-list></nacm>`,
    ];
    for (const xml of cases) {
      const t = base();
      const before = text(t);
      expect(t.trackChanges()).toBe(true);
      expect(apply(t, xml), xml).toEqual([]);
      expect(text(t), xml).not.toBe(before);
      expect(t.undoChanges()).toBe(true);
      t.sort();
      expect(text(t), xml).toBe(before);
      t.free();
    }
  });

  it('keeps the instances of a list together after sort() and an undo re-inserting another list', () => {
    // Entered out of order, then sorted: the sort must move libyang's "first instance" hash entry too,
    // or a node inserted later (here the peer-group an undo puts back) lands among the neighbors.
    const t = ctx.parseData(bgp('<as-number>65000</as-number><peer-group><name>PG</name><remote-as>65010</remote-as></peer-group>'
      + neighbor('127.1.0.9') + neighbor('127.1.0.2') + neighbor('127.1.0.5') + neighbor('127.1.0.1')), { validate: true, configOnly: true, strict: true });
    t.sort();
    t.trackChanges();
    expect(apply(t, bgp('<peer-group nc:operation="delete"><name>PG</name></peer-group>'))).toEqual([]);
    expect(t.undoChanges()).toBe(true);
    const order = [...t.print().matchAll(/<(peer-group|neighbor)>/g)].map((m) => m[1]);
    expect(order).toEqual(['peer-group', 'neighbor', 'neighbor', 'neighbor', 'neighbor']);
    t.free();
  });

  it('changes a leaf among few siblings instead of adding a second one', () => {
    // timers holds two leaves: too few for libyang's hash table, where lookup compares values.
    const t = base();
    expect(t.trackChanges()).toBe(true);
    expect(apply(t, bgp(neighbor('127.1.0.1', '<timers><hold-time>180</hold-time></timers>')))).toEqual([]);
    expect(t.changedPaths()).toContain("/bmpd:bgp/neighbor[address='127.1.0.1']/timers/hold-time");
    expect(t.print()).toMatch(/<keepalive>30<\/keepalive>\s*<hold-time>180<\/hold-time>\s*<\/timers>/);
    t.free();
  });

  it('validates a changed neighbor against the rest of the tree, and keeps what validation changed', () => {
    const t = base();
    t.trackChanges();
    expect(apply(t, bgp(neighbor('127.1.0.3', '<bmp-activate><server>7</server></bmp-activate>'))))
      .toEqual(["/bmpd:bgp/neighbor[address='127.1.0.3']/bmp-activate/server[.='7']"]);
    expect(t.undoChanges()).toBe(true);
    t.trackChanges();
    // No remote-as and no peer-group: the neighbor's must fails.
    expect(apply(t, bgp(neighbor('127.1.0.4', '<passive>true</passive>')))).toEqual(["/bmpd:bgp/neighbor[address='127.1.0.4']"]);
    expect(t.undoChanges()).toBe(true);
    t.trackChanges();
    // The other case of bmp-activate's choice: validation removes <all/>, in the tree itself.
    expect(apply(t, bgp(neighbor('127.1.0.2', '<bmp-activate><server>1</server></bmp-activate>')))).toEqual([]);
    expect(t.changedPaths()).toContain("/bmpd:bgp/neighbor[address='127.1.0.2']");
    t.endChanges();
    expect(t.select("/bmpd:bgp/neighbor[address='127.1.0.2']/bmp-activate").print()).toMatch(/<bmp-activate>\s*<server>1<\/server>\s*<\/bmp-activate>/);
    t.free();
  });

  it('diffs and copies only the given paths, leaving the same tree a whole copy would', () => {
    const running = base();
    const candidate = running.dup();
    candidate.trackChanges();
    expect(apply(candidate, bgp(neighbor('127.1.0.3') + `<neighbor nc:operation="delete"><address>127.1.0.2</address></neighbor>`))).toEqual([]);
    const paths = candidate.changedPaths()!;
    candidate.endChanges();
    const diff = running.diffPaths(candidate, paths);
    const whole = running.diff(candidate);
    const key = (c: { operation: string; path: string }): string => `${c.operation} ${c.path}`;
    expect(diff.changes().map(key).sort()).toEqual(whole.changes().map(key).sort());
    diff.free();
    whole.free();
    expect(running.copyPaths(candidate, paths)).toBe(true);
    running.sort();
    candidate.sort();
    expect(text(running)).toBe(text(candidate));
    running.free();
    candidate.free();
  });

  it('frees what it records: 5,000 recorded edits, validations, undos and path copies leak nothing', async () => {
    const ly = await loadLibyang();
    const t = base();
    const running = base();
    let warm = 0;
    for (let i = 0; i < 5_000; i++) {
      t.trackChanges();
      const address = `127.1.${(i >> 8) & 255}.${i & 255}`;
      if (apply(t, bgp(neighbor(address, i % 3 === 0 ? '<bmp-activate><server>7</server></bmp-activate>' : '<remote-as>65001</remote-as>'))).length > 0) {
        t.undoChanges();
      } else {
        const paths = t.changedPaths()!;
        t.endChanges();
        running.diffPaths(t, paths).free();
        running.copyPaths(t, paths);
        // And back out again, so the trees stay small.
        t.trackChanges();
        expect(apply(t, bgp(`<neighbor nc:operation="delete"><address>${address}</address></neighbor>`))).toEqual([]);
        t.endChanges();
        running.copyPaths(t, [`/bmpd:bgp/neighbor[address='${address}']`]);
      }
      if (i === 99) warm = ly.allocatedBytes();
    }
    expect(ly.allocatedBytes() - warm).toBeLessThan(64 * 1024);
    t.free();
    running.free();
  }, 180_000);

  it('refuses to copy an ordered-by user entry path-wise (its position needs the whole tree)', () => {
    const a = base();
    const b = a.dup();
    b.trackChanges();
    expect(apply(b, `<nacm xmlns="${ACM}" xmlns:nc="${NC}"><rule-list nc:operation="delete"><name>b</name></rule-list></nacm>`)).toEqual([]);
    const paths = b.changedPaths()!;
    b.endChanges();
    expect(a.copyPaths(b, paths)).toBe(false);
    a.free();
    b.free();
  });
});
