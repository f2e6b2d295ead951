// The seed document's configuration examples, addresses as written, through
// the datastores: candidate, validate, commit, read back in canonical order.
// No engine runs here, so nothing connects anywhere. Then the errors a
// client makes with them, each with its NETCONF error-tag and error-path,
// and the datastore unchanged.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Datastores } from '../../src/datastore/datastores.js';
import { DatastoreError, type ErrorDetail } from '../../src/datastore/errors.js';
import { loadYangModel, yangDirectory, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';
const bgp = (inner: string) => `<bgp xmlns="${NS}">${inner}</bgp>`;

/** The seed's examples, in an order where each one's references exist (bmp-activate names servers). */
const EXAMPLES: readonly { name: string; xml: string }[] = [
  {
    name: 'bmp server 1 and 2 with every knob',
    xml: bgp(`<as-number>65000</as-number><bmp>
      <server><id>1</id><activate/><address>10.1.1.1</address><port-number>8000</port-number><description>SERVER1</description>
        <failure-retry-delay>40</failure-retry-delay><flapping-delay>120</flapping-delay><initial-delay>20</initial-delay>
        <dscp>5</dscp><stats-reporting-period>30</stats-reporting-period><update-source>Ethernet0/0</update-source></server>
      <server><id>2</id><activate/><address>20.1.1.1</address><port-number>9000</port-number><description>SERVER2</description>
        <failure-retry-delay>40</failure-retry-delay><flapping-delay>120</flapping-delay><initial-delay>20</initial-delay>
        <dscp>7</dscp><stats-reporting-period>30</stats-reporting-period><update-source>Ethernet2/0</update-source></server></bmp>`),
  },
  {
    name: 'bmp initial-refresh delay 30, bmp buffer-size 2048',
    xml: bgp('<bmp><buffer-size>2048</buffer-size><initial-refresh><delay>30</delay></initial-refresh></bmp>'),
  },
  {
    // The seed gives no remote-as; its Prerequisites ask for an established neighbor first.
    name: 'neighbor 30.1.1.1 bmp-activate server 1 server 2',
    xml: bgp('<neighbor><address>30.1.1.1</address><remote-as>65030</remote-as><bmp-activate><server>1</server><server>2</server></bmp-activate></neighbor>'),
  },
  {
    name: 'address-family ipv4 vrf vrf1 / neighbor 10.1.1.1 bmp-activate server 1 server 2',
    xml: bgp(`<vrf><name>vrf1</name><rd>65000:1</rd><address-family><afi>ipv4</afi><neighbor><address>10.1.1.1</address>
      <remote-as>65010</remote-as><bmp-activate><server>1</server><server>2</server></bmp-activate></neighbor></address-family></vrf>`),
  },
  {
    name: "show running-config's bmp-activate all",
    xml: bgp('<neighbor><address>40.1.1.1</address><remote-as>65040</remote-as><bmp-activate><all/></bmp-activate></neighbor>'),
  },
];

let model: YangModel;
let ds: Datastores;

beforeAll(async () => { model = await loadYangModel(); });
afterEach(() => ds?.close());
afterAll(() => model.context.destroy());

const running = () => ds.tree('running').print({ format: 'xml' });

async function failure(op: Promise<unknown>): Promise<ErrorDetail> {
  try {
    await op;
  } catch (err) {
    expect(err).toBeInstanceOf(DatastoreError);
    return (err as DatastoreError).errors[0]!;
  }
  throw new Error('the edit was accepted');
}

describe('the seed examples, addresses as written', () => {
  it('each example goes through candidate, validate and commit, and reads back canonically', async () => {
    ds = await Datastores.open({ context: model.context, stateDir: null });
    for (const example of EXAMPLES) {
      await ds.editConfig('candidate', example.xml, {}, 1);
      await expect(ds.validate({ datastore: 'candidate' }), example.name).resolves.toBeUndefined();
      await ds.commit(1);
    }
    const out = running();
    // Schema order whatever the input order: as-number first, servers by id, then neighbors, then VRFs.
    const order = ['<as-number>65000', '<buffer-size>2048', '<delay>30', '<id>1</id>', '<id>2</id>', '<address>30.1.1.1', '<address>40.1.1.1', '<name>vrf1'];
    const positions = order.map((s) => out.indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(out).toContain('<all/>');
    // Same data, same bytes.
    expect(running()).toBe(out);
  });

  it("the seed's complete configuration (10 neighbors) reads back in canonical order, whatever the input order", async () => {
    const file = readFileSync(join(yangDirectory(), 'examples', 'seed-config.xml'), 'utf8');
    const data = file.slice(file.indexOf('<bgp'));
    // The example lists the global neighbors in the seed's show order; canonical order (RFC 7950
    // ordered-by system, bmpd's rule) is by key value: IPv4 addresses numerically, then IPv6 ones.
    const neighbors = data.match(/ {2}<neighbor>[\s\S]*?\n {2}<\/neighbor>\n/g)!;
    expect(neighbors).toHaveLength(8);
    const address = (block: string) => /<address>([^<]+)<\/address>/.exec(block)![1]!;
    const sortedOrder = ['30.1.1.1', '40.1.1.1', '50.1.1.1', '60.1.1.1', '70.1.1.1', '80.1.1.1', '2001:db8::2001', '2001:db8::2002'];
    const byAddress = new Map(neighbors.map((n) => [address(n), n]));
    const expected = data.replace(neighbors.join(''), sortedOrder.map((a) => byAddress.get(a)!).join(''));
    expect(expected).not.toBe(data);

    const readBack = async (xml: string): Promise<string> => {
      ds = await Datastores.open({ context: model.context, stateDir: null });
      try {
        await ds.editConfig('candidate', xml, {}, 1);
        await ds.commit(1);
        return running();
      } finally {
        ds.close();
      }
    };
    const reversed = data.replace(neighbors.join(''), [...neighbors].reverse().join(''));
    expect(reversed).not.toBe(data);
    const fromFileOrder = await readBack(data);
    const fromReversed = await readBack(reversed);
    expect(fromFileOrder).toBe(expected);
    expect(fromReversed).toBe(fromFileOrder);
  });
});

describe('errors a client makes with them; the datastore stays as it was', () => {
  const base = EXAMPLES[0]!.xml;
  const server1 = (inner: string) => bgp(`<bmp><server><id>1</id>${inner}</server></bmp>`);

  async function prepared(): Promise<string> {
    ds = await Datastores.open({ context: model.context, stateDir: null });
    await ds.editConfig('running', base, {}, 1);
    return running();
  }

  it.each([
    ['port-number 70000', server1('<port-number>70000</port-number>'), 'invalid-value', "/bmpd:bgp/bmp/server[id='1']/port-number"],
    ['set ip dscp 64', server1('<dscp>64</dscp>'), 'invalid-value', "/bmpd:bgp/bmp/server[id='1']/dscp"],
    ['initial-refresh delay 4000', bgp('<bmp><initial-refresh><delay>4000</delay></initial-refresh></bmp>'), 'invalid-value', '/bmpd:bgp/bmp/initial-refresh/delay'],
    ['bmp-activate server 9 (not configured)',
      bgp('<neighbor><address>30.1.1.1</address><remote-as>65030</remote-as><bmp-activate><server>9</server></bmp-activate></neighbor>'),
      'data-missing', "/bmpd:bgp/neighbor[address='30.1.1.1']/bmp-activate/server[.='9']"],
    ['a neighbor without remote-as', bgp('<neighbor><address>30.1.1.1</address><bmp-activate><all/></bmp-activate></neighbor>'),
      'operation-failed', "/bmpd:bgp/neighbor[address='30.1.1.1']"],
    ['a duplicate server id', bgp('<bmp><server><id>3</id><description>A</description></server><server><id>3</id><description>B</description></server></bmp>'),
      'bad-element', "/bmpd:bgp/bmp/server[id='3']"],
  ])('%s', async (_what, edit, tag, path) => {
    const before = await prepared();
    const e = await failure(ds.editConfig('running', edit, {}, 1));
    expect(e.tag).toBe(tag);
    expect(e.path).toBe(path);
    expect(running()).toBe(before);
  });

  it('malformed XML is malformed-message and changes nothing', async () => {
    const before = await prepared();
    const e = await failure(ds.editConfig('running', `<bgp xmlns="${NS}"><bmp><server><id>1</id></bmp></bgp>`, {}, 1));
    expect(e.tag).toBe('malformed-message');
    expect(running()).toBe(before);
  });
});
