import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DataTree, EditOptions, YangContext } from 'libyang-wasm';

import { DEMO_NS, demoContext, editServers, editSystem, freedAfterEach, server, servers, system } from './helpers.js';

// RFC 6241 section 7.2 <edit-config> operations applied by DataTree.edit().
describe('libyang-wasm edit (NETCONF edit-config semantics)', () => {
  let ctx: YangContext;
  const MERGE: EditOptions = { defaultOperation: 'merge', errorOption: 'stop-on-error' };

  const BASE =
    system('<hostname>r1</hostname><dns>a</dns><dns>b</dns>') +
    servers(
      server(1, '<address>x</address><route><prefix>p1</prefix><metric>1</metric></route>') +
        server(2, '<address>y</address><backup>1</backup>'),
    );

  beforeAll(async () => {
    ({ ctx } = await demoContext());
  });
  afterAll(() => ctx.destroy());

  const track = freedAfterEach();
  const base = (): DataTree => track(ctx.parseData(BASE, { configOnly: true }));
  const editTree = (xml: string): DataTree => track(ctx.parseData(xml, { validate: false }));
  const compact = (tree: DataTree): string => tree.print({ shrink: true });

  it('merge changes a leaf, adds a leaf-list entry, a list entry and a nested list entry', () => {
    const target = base();
    const errors = target.edit(
      editTree(
        editSystem('<hostname>r2</hostname><dns>c</dns>') +
          editServers(server(1, '<route><prefix>p2</prefix></route>') + server(3, '<address>z</address>')),
      ),
      MERGE,
    );
    expect(errors).toEqual([]);
    target.validate({ configOnly: true });
    expect(target.paths('/lwt-demo:system/dns')).toEqual([
      "/lwt-demo:system/dns[.='a']",
      "/lwt-demo:system/dns[.='b']",
      "/lwt-demo:system/dns[.='c']",
    ]);
    expect(target.paths('/lwt-demo:system/hostname')).toEqual(['/lwt-demo:system/hostname']);
    expect(compact(target.select('/lwt-demo:system/hostname'))).toBe(system('<hostname>r2</hostname>'));
    expect(target.paths('/lwt-demo:servers/server/route')).toEqual([
      "/lwt-demo:servers/server[id='1']/route[prefix='p1']",
      "/lwt-demo:servers/server[id='1']/route[prefix='p2']",
    ]);
    expect(compact(target.select("/lwt-demo:servers/server[id='3']"))).toBe(
      servers(server(3, '<address>z</address>')),
    );
  });

  it('merge of a leaf that only had its default value makes it explicit', () => {
    const target = base();
    expect(target.print({ withDefaults: 'explicit' })).not.toContain('<mtu>');
    expect(target.edit(editTree(editSystem('<mtu>1500</mtu>')), MERGE)).toEqual([]);
    expect(target.print({ withDefaults: 'explicit', shrink: true })).toContain('<mtu>1500</mtu>');
  });

  it('replace replaces a list entry in place, dropping children not in the edit', () => {
    const target = base();
    const errors = target.edit(
      editTree(editServers(`<server nc:operation="replace"><id>1</id><address>x2</address></server>`)),
      MERGE,
    );
    expect(errors).toEqual([]);
    expect(compact(target.select('/lwt-demo:servers'))).toBe(
      servers(server(1, '<address>x2</address>') + server(2, '<address>y</address><backup>1</backup>')),
    );
  });

  it('defaultOperation replace replaces the whole configuration (RFC 6241 section 7.2)', () => {
    const target = base();
    expect(target.edit(editTree(editSystem('<hostname>r9</hostname>')), { ...MERGE, defaultOperation: 'replace' })).toEqual(
      [],
    );
    expect(target.print({ shrink: true })).toBe(system('<hostname>r9</hostname>'));
  });

  it('defaultOperation replace still honours explicit operations', () => {
    const target = base();
    const errors = target.edit(
      editTree(
        editSystem('<hostname>r9</hostname>') +
          editServers(`<server nc:operation="create"><id>1</id><address>x</address></server>` + server(4, '<address>w</address>')),
      ),
      { defaultOperation: 'replace', errorOption: 'stop-on-error' },
    );
    // servers is replaced as a whole, so its old entry 1 is gone before the create of a new entry 1
    expect(errors).toEqual([]);
    expect(target.print({ shrink: true })).toBe(
      system('<hostname>r9</hostname>') + servers(server(1, '<address>x</address>') + server(4, '<address>w</address>')),
    );
    const failed = target.edit(editTree(editSystem('<dns nc:operation="delete">zz</dns>')), {
      defaultOperation: 'replace',
      errorOption: 'stop-on-error',
    });
    expect(failed.map((e) => [e.tag, e.path])).toEqual([['data-missing', "/lwt-demo:system/dns[.='zz']"]]);
  });

  it('create adds a missing node and reports data-exists for an existing one', () => {
    const target = base();
    expect(
      target.edit(editTree(editServers(`<server nc:operation="create"><id>5</id><address>n</address></server>`)), MERGE),
    ).toEqual([]);
    expect(target.paths("/lwt-demo:servers/server[id='5']/address")).toHaveLength(1);

    const errors = target.edit(
      editTree(editServers(`<server nc:operation="create"><id>1</id><address>dup</address></server>`)),
      MERGE,
    );
    expect(errors).toEqual([
      { tag: 'data-exists', path: "/lwt-demo:servers/server[id='1']", message: expect.stringContaining('exists') },
    ]);
    expect(target.paths("/lwt-demo:servers/server[id='1']/address[.='x']")).toHaveLength(1);
  });

  it('create of a leaf-list value and of a leaf that only has its default', () => {
    const target = base();
    expect(
      target.edit(editTree(editSystem('<dns nc:operation="create">c</dns><mtu nc:operation="create">9000</mtu>')), MERGE),
    ).toEqual([]);
    expect(compact(target.select('/lwt-demo:system/mtu'))).toBe(system('<mtu>9000</mtu>'));
    const errors = target.edit(editTree(editSystem('<dns nc:operation="create">a</dns>')), MERGE);
    expect(errors).toEqual([{ tag: 'data-exists', path: "/lwt-demo:system/dns[.='a']", message: expect.any(String) }]);
  });

  it('delete removes an existing node and reports data-missing for an absent one', () => {
    const target = base();
    expect(target.edit(editTree(editServers(`<server nc:operation="delete"><id>2</id></server>`)), MERGE)).toEqual([]);
    expect(target.paths('/lwt-demo:servers/server')).toEqual(["/lwt-demo:servers/server[id='1']"]);

    const errors = target.edit(editTree(editServers(`<server nc:operation="delete"><id>2</id></server>`)), MERGE);
    expect(errors).toEqual([
      { tag: 'data-missing', path: "/lwt-demo:servers/server[id='2']", message: expect.stringContaining('missing') },
    ]);
  });

  it('delete of a leaf that only has its default value is data-missing (RFC 6243)', () => {
    const target = base();
    // libyang type-checks leaf values even when only parsing, so the edit names a valid value.
    const errors = target.edit(editTree(editSystem('<mtu nc:operation="delete">1500</mtu>')), MERGE);
    expect(errors.map((e) => [e.tag, e.path])).toEqual([['data-missing', '/lwt-demo:system/mtu']]);
  });

  it('remove deletes if present and is silent if absent', () => {
    const target = base();
    expect(
      target.edit(
        editTree(
          editSystem('<dns nc:operation="remove">b</dns><dns nc:operation="remove">zz</dns>') +
            editServers(`<server nc:operation="remove"><id>42</id></server>`),
        ),
        MERGE,
      ),
    ).toEqual([]);
    expect(target.paths('/lwt-demo:system/dns')).toEqual(["/lwt-demo:system/dns[.='a']"]);
  });

  it('deleting the first top-level sibling keeps the tree usable', () => {
    const target = base();
    expect(target.edit(editTree(`<system xmlns="urn:bmpd:test:lwt-demo" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="delete"/>`), MERGE)).toEqual([]);
    expect(target.paths('/lwt-demo:system')).toEqual([]);
    expect(target.print({ shrink: true })).toMatch(/^<servers /);
    expect(target.edit(editTree(editServers(`<server nc:operation="delete"><id>1</id></server><server nc:operation="delete"><id>2</id></server>`)), MERGE)).toEqual([]);
    expect(target.print({ shrink: true })).toBe('');
    expect(target.print({ shrink: true, keepEmptyContainers: true })).toBe(`<servers xmlns="${DEMO_NS}"/>`);
    expect(target.edit(editTree(`<servers xmlns="urn:bmpd:test:lwt-demo" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="remove"/>`), MERGE)).toEqual([]);
    expect(target.isEmpty).toBe(true);
    expect(target.edit(editTree(system('<hostname>new</hostname>')), MERGE)).toEqual([]);
    expect(target.print({ shrink: true })).toBe(system('<hostname>new</hostname>'));
  });

  it('defaultOperation none creates parents only for a child that needs them', () => {
    const NONE: EditOptions = { defaultOperation: 'none', errorOption: 'stop-on-error' };
    const target = base();
    const before = target.print();
    // No operation anywhere: nothing changes, not even the missing list entry.
    expect(target.edit(editTree(editServers(server(9, '<address>q</address>'))), NONE)).toEqual([]);
    expect(target.print()).toBe(before);
    // A merge below a missing entry creates the entry.
    expect(target.edit(editTree(editServers(server(9, '<address nc:operation="merge">q</address>'))), NONE)).toEqual([]);
    expect(compact(target.select("/lwt-demo:servers/server[id='9']"))).toBe(
      servers(server(9, '<address>q</address>')),
    );
    // A delete below a missing entry is data-missing and leaves no trace of the entry.
    const errors = target.edit(
      editTree(editServers(server(8, '<route nc:operation="delete"><prefix>p</prefix></route>'))),
      NONE,
    );
    expect(errors.map((e) => [e.tag, e.path])).toEqual([
      ['data-missing', "/lwt-demo:servers/server[id='8']/route[prefix='p']"],
    ]);
    expect(target.paths("/lwt-demo:servers/server[id='8']")).toEqual([]);
  });

  it('nested operations under a newly merged node: delete is data-missing, remove is ignored', () => {
    const target = base();
    expect(
      target.edit(
        editTree(editServers(server(7, '<address>a</address><route nc:operation="remove"><prefix>r</prefix></route>'))),
        MERGE,
      ),
    ).toEqual([]);
    expect(compact(target.select("/lwt-demo:servers/server[id='7']"))).toBe(
      servers(server(7, '<address>a</address>')),
    );
    const errors = target.edit(
      editTree(editServers(server(6, '<address>a</address><route nc:operation="delete"><prefix>r</prefix></route>'))),
      MERGE,
    );
    expect(errors.map((e) => [e.tag, e.path])).toEqual([
      ['data-missing', "/lwt-demo:servers/server[id='6']/route[prefix='r']"],
    ]);
  });

  it('stop-on-error stops at the first error; continue-on-error reports every error and applies the rest', () => {
    const edit =
      editSystem('<dns nc:operation="delete">nope</dns>') +
      editServers(`<server nc:operation="create"><id>1</id><address>dup</address></server>` + server(4, '<address>w</address>'));

    const stopped = base();
    const first = stopped.edit(editTree(edit), { defaultOperation: 'merge', errorOption: 'stop-on-error' });
    expect(first.map((e) => e.tag)).toEqual(['data-missing']);
    expect(stopped.paths("/lwt-demo:servers/server[id='4']")).toEqual([]);

    const rolled = base();
    expect(rolled.edit(editTree(edit), { defaultOperation: 'merge', errorOption: 'rollback-on-error' })).toHaveLength(1);

    const continued = base();
    const all = continued.edit(editTree(edit), { defaultOperation: 'merge', errorOption: 'continue-on-error' });
    expect(all.map((e) => [e.tag, e.path])).toEqual([
      ['data-missing', "/lwt-demo:system/dns[.='nope']"],
      ['data-exists', "/lwt-demo:servers/server[id='1']"],
    ]);
    expect(continued.paths("/lwt-demo:servers/server[id='4']")).toEqual(["/lwt-demo:servers/server[id='4']"]);
  });

  it('an edit into an empty tree builds the tree, and validation then adds defaults', () => {
    const target = track(ctx.emptyTree());
    expect(target.isEmpty).toBe(true);
    expect(target.edit(editTree(editServers(server(1, '<address>x</address>'))), MERGE)).toEqual([]);
    target.validate({ configOnly: true });
    expect(target.print({ withDefaults: 'report-all', shrink: true })).toContain('<port>5000</port>');
    expect(target.print({ withDefaults: 'report-all', shrink: true })).toContain('<mtu>1500</mtu>');
  });
});
