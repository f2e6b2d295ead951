// The datastore's write guard (NACM's hook, RFC 8341 §3.4.5): it sees exactly
// the nodes a write creates, updates and deletes, on every path an edit can
// take, and a refusal leaves every datastore as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Datastores, type WriteRequest } from '../../src/datastore/datastores.js';
import { DatastoreError, detail } from '../../src/datastore/errors.js';
import { loadYangModel, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';
const NC = 'urn:ietf:params:xml:ns:netconf:base:1.0';
const BASE = `<bgp xmlns="${NS}"><as-number>65000</as-number><bmp><server><id>1</id><address>127.0.1.1</address></server></bmp></bgp>`;

let model: YangModel;
beforeAll(async () => { model = await loadYangModel(); });
afterAll(() => model.context.destroy());

async function open(): Promise<{ ds: Datastores; seen: WriteRequest[]; refuse: { path: RegExp | null } }> {
  const seen: WriteRequest[] = [];
  const refuse = { path: null as RegExp | null };
  const ds = await Datastores.open({
    context: model.context, stateDir: null,
    authorizeWrite: (w) => {
      seen.push(w);
      const hit = w.changes.find((c) => refuse.path?.test(c.path));
      if (hit) throw new DatastoreError(detail('access-denied', `no ${hit.path}`, { path: hit.path }));
    },
  });
  await ds.editConfig('running', BASE, {}, 0);
  seen.length = 0;
  return { ds, seen, refuse };
}

const ops = (w: WriteRequest) => w.changes.filter((c) => c.operation !== 'none').map((c) => `${c.operation} ${c.path}`).sort();

describe('write guard', () => {
  it('an edit of running shows its created, updated and deleted nodes', async () => {
    const { ds, seen } = await open();
    await ds.editConfig('running', `<bgp xmlns="${NS}" xmlns:nc="${NC}"><bmp><server><id>1</id><address>127.0.1.2</address></server>` +
      `<server><id>2</id><address>127.0.2.1</address></server></bmp></bgp>`, {}, 7);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.sessionId).toBe(7);
    expect(seen[0]!.target).toBe('running');
    expect(ops(seen[0]!)).toEqual(expect.arrayContaining([
      "create /bmpd:bgp/bmp/server[id='2']",
      "replace /bmpd:bgp/bmp/server[id='1']/address",
    ]));
    ds.close();
  });

  it('a second edit of a modified candidate is judged against candidate as it was, not running', async () => {
    const { ds, seen } = await open();
    await ds.editConfig('candidate', `<bgp xmlns="${NS}"><bmp><server><id>2</id><address>127.0.2.1</address></server></bmp></bgp>`, {}, 7);
    await ds.editConfig('candidate', `<bgp xmlns="${NS}"><bmp><server><id>2</id><address>127.0.2.2</address></server></bmp></bgp>`, {}, 7);
    // Against running server 2 would be a create; against candidate its address is an update.
    expect(ops(seen[1]!)).toEqual(["replace /bmpd:bgp/bmp/server[id='2']/address"]);
    expect(ds.tree('candidate').print({ format: 'xml' })).toContain('127.0.2.2');
    await ds.editConfig('candidate', `<bgp xmlns="${NS}" xmlns:nc="${NC}"><bmp><server nc:operation="delete"><id>2</id></server></bmp></bgp>`, {}, 7);
    expect(ops(seen[2]!)).toContain("delete /bmpd:bgp/bmp/server[id='2']");
    ds.close();
  });

  it('a refused edit leaves candidate and running as they were', async () => {
    const { ds, refuse } = await open();
    await ds.editConfig('candidate', `<bgp xmlns="${NS}"><bmp><server><id>2</id><address>127.0.2.1</address></server></bmp></bgp>`, {}, 7);
    const before = ds.tree('candidate').print({ format: 'xml' });
    refuse.path = /neighbor/;
    await expect(ds.editConfig('candidate', `<bgp xmlns="${NS}"><neighbor><address>10.0.0.1</address><remote-as>1</remote-as></neighbor></bgp>`, {}, 7))
      .rejects.toMatchObject({ errors: [{ tag: 'access-denied' }] });
    await expect(ds.editConfig('running', `<bgp xmlns="${NS}"><neighbor><address>10.0.0.1</address><remote-as>1</remote-as></neighbor></bgp>`, {}, 7))
      .rejects.toMatchObject({ errors: [{ tag: 'access-denied' }] });
    expect(ds.tree('candidate').print({ format: 'xml' })).toBe(before);
    expect(ds.tree('running').print({ format: 'xml' })).not.toContain('10.0.0.1');
    ds.close();
  });

  it('an edit that makes default leaves explicit (which libyang cannot diff path by path) still reaches the guard', async () => {
    const { ds, seen } = await open();
    const nacm = 'urn:ietf:params:xml:ns:yang:ietf-netconf-acm';
    await ds.editConfig('running', `<nacm xmlns="${nacm}"><enable-nacm>true</enable-nacm><rule-list><name>x</name></rule-list></nacm>`, {}, 7);
    expect(ops(seen[0]!)).toContain("create /ietf-netconf-acm:nacm/rule-list[name='x']");
    expect(ds.tree('running').print({ format: 'xml' })).toContain('<name>x</name>');
    ds.close();
  });

  it('copy-config and delete-config show every node they change', async () => {
    const { ds, seen, refuse } = await open();
    await ds.copyConfig('startup', { datastore: 'running' }, 7);
    expect(seen[0]!.target).toBe('startup');
    expect(ops(seen[0]!)).toContain('create /bmpd:bgp');
    refuse.path = /^\/bmpd:bgp$/;
    await expect(ds.deleteConfig('startup', 7)).rejects.toBeInstanceOf(DatastoreError);
    expect(ds.tree('startup').print({ format: 'xml' })).toContain('127.0.1.1');
    refuse.path = null;
    await ds.deleteConfig('startup', 7);
    expect(ops(seen.at(-1)!)).toContain('delete /bmpd:bgp');
    ds.close();
  });
});
