import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DataTree, EditOptions, YangContext } from 'libyang-wasm';

import { editContext, freedAfterEach, NETCONF_NS, yangError } from './helpers.js';

// RFC 6241 section 7.2: delete and remove of a leaf do not need its value, and NETCONF clients (ncclient,
// Ansible, netopeer2's examples) send "<description nc:operation="delete"/>". libyang type-checks the empty
// value even when only parsing, so parseData({ edit: true }) lets exactly these leaves through to edit().
describe('libyang-wasm edit: a leaf deleted without its value', () => {
  const NS = 'urn:bmpd:test:lwt-edit';
  const PEER_A = "/lwt-edit:peers/peer[name='a']";
  const MERGE: EditOptions = { defaultOperation: 'merge', errorOption: 'stop-on-error' };
  let ctx: YangContext;

  beforeAll(async () => {
    ({ ctx } = await editContext('lwt-edit'));
  });
  afterAll(() => ctx.destroy());

  const track = freedAfterEach();
  const peers = (body: string): string => `<peers xmlns="${NS}" xmlns:nc="${NETCONF_NS}">${body}</peers>`;
  const peerA = (body: string): string => peers(`<peer><name>a</name>${body}</peer>`);
  const FULL = peerA('<description>uplink</description><port>179</port><mode>active</mode><tag>t1</tag>');
  const target = (xml = FULL): DataTree => track(ctx.parseData(xml, { configOnly: true }));
  const editTree = (xml: string): DataTree =>
    track(ctx.parseData(xml, { edit: true, configOnly: true, strict: true }));
  const compact = (tree: DataTree): string => tree.print({ shrink: true });

  it('delete of a length-restricted string leaf without a value removes the leaf', () => {
    const tree = target();
    expect(tree.edit(editTree(peerA('<description nc:operation="delete"/>')), MERGE)).toEqual([]);
    tree.validate({ configOnly: true });
    expect(tree.paths(`${PEER_A}/description`)).toEqual([]);
    expect(compact(tree)).toBe(
      peerA('<port>179</port><mode>active</mode><tag>t1</tag>').replace(` xmlns:nc="${NETCONF_NS}"`, ''),
    );
  });

  it('delete of a uint16 and an enumeration leaf without values, next to a regular merge', () => {
    const tree = target();
    const edit = editTree(
      peerA('<port nc:operation="delete"></port><mode nc:operation="delete"/><description>core</description>'),
    );
    expect(tree.edit(edit, MERGE)).toEqual([]);
    expect(tree.paths(`${PEER_A}/port`)).toEqual([]);
    expect(tree.paths(`${PEER_A}/mode`)).toEqual([]);
    expect(compact(tree.select(`${PEER_A}/description`))).toContain('<description>core</description>');
  });

  it('a delete inherited from the list entry accepts a valueless child and deletes the entry', () => {
    const tree = target();
    const edit = editTree(peers('<peer nc:operation="delete"><name>a</name><port/></peer>'));
    expect(tree.edit(edit, MERGE)).toEqual([]);
    expect(tree.paths('/lwt-edit:peers/peer')).toEqual([]);
  });

  it('delete of a top-level leaf without a value', () => {
    const tree = target(`<banner xmlns="${NS}">hello</banner>`);
    const edit = editTree(`<banner xmlns="${NS}" xmlns:nc="${NETCONF_NS}" nc:operation="delete"/>`);
    expect(tree.paths('/lwt-edit:banner')).toEqual(['/lwt-edit:banner']);
    expect(tree.edit(edit, MERGE)).toEqual([]);
    expect(tree.paths('/lwt-edit:banner')).toEqual([]);
  });

  it('remove of an absent leaf without a value succeeds and changes nothing', () => {
    const tree = target(peerA('<port>179</port>'));
    const before = compact(tree);
    expect(tree.edit(editTree(peerA('<description nc:operation="remove"/>')), MERGE)).toEqual([]);
    expect(compact(tree)).toBe(before);
  });

  it('remove of a present leaf without a value removes it', () => {
    const tree = target();
    expect(tree.edit(editTree(peerA('<port nc:operation="remove"/>')), MERGE)).toEqual([]);
    expect(tree.paths(`${PEER_A}/port`)).toEqual([]);
  });

  it('delete of an absent leaf without a value is data-missing at the leaf path', () => {
    const tree = target(peerA('<port>179</port>'));
    const before = compact(tree);
    expect(tree.edit(editTree(peerA('<description nc:operation="delete"/>')), MERGE)).toEqual([
      { tag: 'data-missing', path: `${PEER_A}/description`, message: 'Data to delete is missing.' },
    ]);
    expect(compact(tree)).toBe(before);
  });

  it('delete of a leaf holding only its default is data-missing (RFC 6243 basic mode explicit)', () => {
    const tree = target(peerA('<port>179</port>'));
    expect(tree.edit(editTree(peerA('<hold-time nc:operation="delete"/>')), MERGE)).toEqual([
      {
        tag: 'data-missing',
        path: `${PEER_A}/hold-time`,
        message: 'Data to delete is missing (only its default exists).',
      },
    ]);
  });

  it.each([
    ['merge of an empty uint16', peerA('<port nc:operation="merge"></port>'), `${PEER_A}/port`],
    ['an empty leaf under the default operation', peerA('<description/>'), `${PEER_A}/description`],
    ['create of an empty enumeration', peerA('<mode nc:operation="create"/>'), `${PEER_A}/mode`],
    ['delete of an empty leaf-list entry (its value is its key)', peerA('<tag nc:operation="delete"/>'), `${PEER_A}/tag`],
    ['delete with an invalid non-empty value', peerA('<port nc:operation="delete">http</port>'), `${PEER_A}/port`],
  ])('%s fails exactly as the strict parse does', (_case, xml, path) => {
    const strict = yangError(() => ctx.parseData(xml, { validate: false, configOnly: true, strict: true }));
    const edit = yangError(() => editTree(xml));
    expect(edit.items).toEqual(strict.items);
    expect(edit.message).toBe(strict.message);
    expect(edit.items[0]?.level).toBe('error');
    expect(edit.items[0]?.path).toBe(path);
  });

  it('an unknown element next to a valueless delete fails exactly as the strict parse does', () => {
    const xml = peerA('<description nc:operation="delete"/><bogus/>');
    const strict = yangError(() => ctx.parseData(xml, { validate: false, configOnly: true, strict: true }));
    const edit = yangError(() => editTree(xml));
    expect(edit.items).toEqual(strict.items);
    expect(edit.items[0]?.message).toMatch(/Invalid|Unsatisfied|not found/);
  });

  it('without the edit option a valueless delete is still an invalid value', () => {
    const error = yangError(() => ctx.parseData(peerA('<description nc:operation="delete"/>'), { validate: false, strict: true }));
    expect(error.items[0]?.message).toMatch(/Unsatisfied length/);
    expect(error.items[0]?.path).toBe(`${PEER_A}/description`);
  });

  it('a valid edit parses to the same tree with and without the edit option', () => {
    const xml = peerA('<description nc:operation="replace">x</description><port>1</port>');
    const plain = track(ctx.parseData(xml, { validate: false, configOnly: true, strict: true }));
    expect(compact(editTree(xml))).toBe(compact(plain));
  });
});
