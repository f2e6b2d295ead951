import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DataTree, EditOptions, YangContext } from 'libyang-wasm';

import { editContext, freedAfterEach, NETCONF_NS } from './helpers.js';

// DataTree.sort(): the canonical order of ordered-by system lists and leaf-lists (RFC 7950 section
// 7.7.7 leaves it to the server; libyang 2.1.30 keeps insertion order). And DataTree.edit() rejecting an
// edit that names one node twice.
const NS = 'urn:bmpd:test:lwt-order';
const order = (body: string): string => `<order xmlns="${NS}">${body}</order>`;
const editOrder = (body: string): string => `<order xmlns="${NS}" xmlns:nc="${NETCONF_NS}">${body}</order>`;
const peer = (address: string): string => `<peer><address>${address}</address></peer>`;
const route = (metric: number, name: string): string => `<route><metric>${metric}</metric><name>${name}</name></route>`;
const hop = (name: string): string => `<hop><name>${name}</name></hop>`;
const many = (tag: string, values: readonly (string | number)[]): string => values.map((v) => `<${tag}>${v}</${tag}>`).join('');

/** Values of a leaf-list or list key in data order, read through XPath paths. */
const keys = (tree: DataTree, path: string): string[] =>
  tree.paths(path).map((p) => /\[[^=]*='([^']*)'\]$/.exec(p)![1]!);

describe('libyang-wasm canonical order and duplicate edit entries', () => {
  let ctx: YangContext;
  const MERGE: EditOptions = { defaultOperation: 'merge', errorOption: 'stop-on-error' };

  beforeAll(async () => {
    ({ ctx } = await editContext('lwt-order'));
  });
  afterAll(() => ctx.destroy());

  const track = freedAfterEach();
  const parse = (xml: string): DataTree => track(ctx.parseData(xml, { configOnly: true }));
  const sorted = (xml: string): DataTree => {
    const tree = parse(xml);
    tree.sort();
    return tree;
  };
  const editTree = (xml: string): DataTree => track(ctx.parseData(xml, { validate: false, edit: true }));

  it('parsing keeps insertion order: the reason sort() exists', () => {
    const tree = parse(order(many('tag', ['b', 'a'])));
    expect(keys(tree, '/lwt-order:order/tag')).toEqual(['b', 'a']);
  });

  it('list entries by address: IPv4 numerically, then IPv6 by bytes, then the zone', () => {
    const tree = sorted(order(['2001:db8::1', '10.0.0.2', 'fe80::1%eth1', '9.0.0.1', 'fe80::1%eth0', '10.0.0.10', '2001:db8::a'].map(peer).join('')));
    expect(keys(tree, '/lwt-order:order/peer')).toEqual([
      '9.0.0.1', '10.0.0.2', '10.0.0.10', '2001:db8::1', '2001:db8::a', 'fe80::1%eth0', 'fe80::1%eth1',
    ]);
  });

  it('list entries by their keys in key order, each by its type (int8 numerically, then string)', () => {
    const tree = sorted(order(route(5, 'b') + route(-3, 'z') + route(10, 'a') + route(5, 'a')));
    expect(tree.paths('/lwt-order:order/route')).toEqual([
      "/lwt-order:order/route[metric='-3'][name='z']",
      "/lwt-order:order/route[metric='5'][name='a']",
      "/lwt-order:order/route[metric='5'][name='b']",
      "/lwt-order:order/route[metric='10'][name='a']",
    ]);
  });

  it('leaf-lists by value: signed, unsigned 64-bit, decimal64, byte-wise text', () => {
    const tree = sorted(order(
      many('level', [10, -20, 3, -1]) +
        many('big', ['18446744073709551615', 9, 100]) +
        many('weight', ['1.5', '-0.25', '10', '2']) +
        many('tag', ['b', 'B', 'aa', 'a']),
    ));
    expect(keys(tree, '/lwt-order:order/level')).toEqual(['-20', '-1', '3', '10']);
    expect(keys(tree, '/lwt-order:order/big')).toEqual(['9', '100', '18446744073709551615']);
    expect(keys(tree, '/lwt-order:order/weight')).toEqual(['-0.25', '1.5', '2.0', '10.0']);
    expect(keys(tree, '/lwt-order:order/tag')).toEqual(['B', 'a', 'aa', 'b']);
  });

  it('a union by the member type of each value (numbers, IPv4, IPv6, text); a leafref as its target type', () => {
    const tree = sorted(order(
      ['10.0.0.1', '9.0.0.1'].map(peer).join('') +
        many('target', ['x', '10.0.0.1', '100', '2001:db8::1', '7', '9.0.0.1']) +
        many('peer-ref', ['10.0.0.1', '9.0.0.1']),
    ));
    expect(keys(tree, '/lwt-order:order/target')).toEqual(['7', '100', '9.0.0.1', '10.0.0.1', '2001:db8::1', 'x']);
    expect(keys(tree, '/lwt-order:order/peer-ref')).toEqual(['9.0.0.1', '10.0.0.1']);
  });

  it('ordered-by user lists and leaf-lists keep their order', () => {
    const tree = sorted(order(hop('c') + hop('a') + hop('b') + many('step', ['z', 'a'])));
    expect(keys(tree, '/lwt-order:order/hop')).toEqual(['c', 'a', 'b']);
    expect(keys(tree, '/lwt-order:order/step')).toEqual(['z', 'a']);
  });

  it('the same data in two orders prints as the same bytes; dup keeps the order; sorting again changes nothing', () => {
    const forward = order(['1.1.1.1', '2.2.2.2', '::1'].map(peer).join('') + route(1, 'a') + route(2, 'b') + many('tag', ['a', 'b', 'c']) + '<single>s</single>');
    const backward = order('<single>s</single>' + many('tag', ['c', 'b', 'a']) + route(2, 'b') + route(1, 'a') + ['::1', '2.2.2.2', '1.1.1.1'].map(peer).join(''));
    expect(parse(forward).print()).not.toBe(parse(backward).print());
    const a = sorted(forward);
    const b = sorted(backward);
    expect(b.print()).toBe(a.print());
    expect(b.print({ format: 'json' })).toBe(a.print({ format: 'json' }));
    const copy = track(b.dup());
    expect(copy.print()).toBe(a.print());
    copy.sort();
    expect(copy.print()).toBe(a.print());
    expect(a.diff(b).isEmpty).toBe(true);
  });

  it('entries an edit appends are put in place by sort(); the tree stays valid and searchable', () => {
    const target = sorted(order(many('level', [1, 5, 9]) + ['10.0.0.1', '10.0.0.3'].map(peer).join('')));
    expect(target.edit(editTree(editOrder(many('level', [7, -4]) + peer('10.0.0.2') + peer('1.0.0.0'))), MERGE)).toEqual([]);
    expect(keys(target, '/lwt-order:order/level')).toEqual(['1', '5', '9', '7', '-4']);
    target.sort();
    expect(keys(target, '/lwt-order:order/level')).toEqual(['-4', '1', '5', '7', '9']);
    expect(keys(target, '/lwt-order:order/peer')).toEqual(['1.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3']);
    target.validate({ configOnly: true });
    // The relinked entries are still found by key (libyang's child hash table) and can be edited.
    expect(target.paths("/lwt-order:order/peer[address='10.0.0.2']")).toEqual(["/lwt-order:order/peer[address='10.0.0.2']"]);
    expect(target.edit(editTree(editOrder('<peer nc:operation="delete"><address>1.0.0.0</address></peer><level nc:operation="delete">-4</level>')), MERGE)).toEqual([]);
    expect(keys(target, '/lwt-order:order/peer')).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(keys(target, '/lwt-order:order/level')).toEqual(['1', '5', '7', '9']);
  });

  it('an empty tree sorts to an empty tree', () => {
    const tree = track(ctx.emptyTree());
    tree.sort();
    expect(tree.isEmpty).toBe(true);
  });

  describe('an edit naming one node twice is rejected before anything is applied', () => {
    const BASE = order(peer('10.0.0.1') + many('tag', ['a']) + '<single>s</single>');

    it.each([
      ['two list entries with the same key', peer('10.0.0.9') + peer('10.0.0.2') + peer('10.0.0.9'), "/lwt-order:order/peer[address='10.0.0.9']", 'peer'],
      ['the same key in two spellings (canonical values are compared)', peer('2001:DB8::1') + peer('2001:db8::1'), "/lwt-order:order/peer[address='2001:db8::1']", 'peer'],
      ['two entries with the same composite key', route(1, 'a') + route(1, 'b') + route(1, 'a'), "/lwt-order:order/route[metric='1'][name='a']", 'route'],
      ['a leaf-list value twice', many('tag', ['x', 'y', 'x']), "/lwt-order:order/tag[.='x']", 'tag'],
      ['a leaf twice', '<single>a</single><single>b</single>', '/lwt-order:order/single', 'single'],
      ['a leaf twice inside a list entry', '<peer><address>10.0.0.5</address><note>a</note><note>b</note></peer>', "/lwt-order:order/peer[address='10.0.0.5']/note", 'note'],
      ['an ordered-by user entry twice', hop('h') + hop('h'), "/lwt-order:order/hop[name='h']", 'hop'],
    ])('%s', (_what, body, path, name) => {
      for (const errorOption of ['stop-on-error', 'continue-on-error', 'rollback-on-error'] as const) {
        const target = parse(BASE);
        const before = target.print();
        const errors = target.edit(editTree(editOrder(body)), { defaultOperation: 'merge', errorOption });
        expect(errors).toEqual([{ tag: 'bad-element', path, message: `Duplicate instance of "${name}" in the edit.` }]);
        expect(target.print()).toBe(before);
      }
    });

    it('two containers of the same name at the top level', () => {
      const target = parse(BASE);
      const errors = target.edit(editTree(editOrder('<single>a</single>') + editOrder('<tag>b</tag>')), MERGE);
      expect(errors).toEqual([{ tag: 'bad-element', path: '/lwt-order:order', message: 'Duplicate instance of "order" in the edit.' }]);
    });

    it('equal values under different parents, or different keys, are not duplicates', () => {
      const target = parse(BASE);
      const body = '<peer><address>10.0.0.5</address><note>n</note></peer><peer><address>10.0.0.6</address><note>n</note></peer>' +
        route(1, 'a') + route(1, 'b') + route(2, 'a') + many('tag', ['x', 'y']) + many('target', ['1', '1.0.0.0']);
      expect(target.edit(editTree(editOrder(body)), MERGE)).toEqual([]);
      expect(keys(target, '/lwt-order:order/tag')).toEqual(['a', 'x', 'y']);
    });
  });
});
