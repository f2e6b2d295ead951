import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isIP } from 'node:net';
import { compareNeighborEntries, placedSortKey, readRunning, runningView, snapshotsFromRunning, type ConfigEnvironment, type NeighborEntrySnapshot, type NeighborPlacement } from '../../src/agent/config-snapshot.js';
import { parseYangJsonParts } from '../../src/agent/yang-json.js';
import { splitJsonData } from '../../src/datastore/large-write.js';
import type { NeighborConfig } from '../../src/bgp/config.js';
import { EMPTY_BMP_CONFIG, type BmpServerConfig } from '../../src/bmp/config.js';
import { loadYangModel, yangDirectory, type YangModel } from '../../src/yang/model.js';

const NS = 'urn:bmpd:yang:bmpd';

let model: YangModel;
beforeAll(async () => { model = await loadYangModel(); });
afterAll(() => { model.context.destroy(); });

function running(xml: string) {
  return model.context.parseData(xml, { configOnly: true });
}

function bgp(inner: string): string {
  return `<bgp xmlns="${NS}"><as-number>65000</as-number>${inner}</bgp>`;
}

/** A host with lo = 127.0.0.1 + 127.0.9.9 and eth0 = 192.0.2.10; interfaces resolve from a table. */
const ENV: ConfigEnvironment = {
  interfaceAddress: (name, family) => ({ 'lo/4': '127.0.0.1', 'lo/6': '::1', 'eth0/4': '192.0.2.10' } as Record<string, string>)[`${name}/${family}`] ?? null,
  hostIpv4Addresses: () => [
    { address: '192.0.2.10', loopback: false },
    { address: '127.0.0.1', loopback: true },
    { address: '127.0.9.9', loopback: true },
  ],
};

const defaults = {
  description: null, updateSource: null, password: null, passive: false,
  timers: { keepalive: 60, holdTime: 180 }, shutdown: false, vrf: null,
} as const;

function neighbor(address: string, remoteAs: number, extra: Partial<NeighborConfig> = {}): NeighborConfig {
  return { address, remoteAs, ...defaults, addressFamilies: [address.includes(':') ? 'ipv6-unicast' : 'ipv4-unicast'], ...extra };
}

describe('the seed configuration on loopback', () => {
  const seed = (): string => readFileSync(join(yangDirectory(), 'examples', 'seed-config-loopback.xml'), 'utf8');

  it('gives the speaker every global and VRF neighbor, in address order, with defaults filled in', () => {
    const { speaker, problems } = snapshotsFromRunning(running(seed()), ENV);
    expect(problems).toEqual([]);
    expect(speaker).toEqual({
      asNumber: 65000,
      routerId: '127.0.9.9',
      listen: { addresses: [], port: 179 },
      neighbors: [
        neighbor('127.0.3.1', 65030),
        neighbor('127.0.4.1', 65040),
        neighbor('127.0.5.1', 65050),
        neighbor('127.0.6.1', 65060),
        neighbor('127.0.7.1', 65070),
        neighbor('127.0.8.1', 65080),
        neighbor('::1', 65020),
        neighbor('::2', 65021),
        neighbor('127.0.1.1', 65010, { vrf: { name: 'vrf1', rd: '65000:1' } }),
        neighbor('::2', 65022, { vrf: { name: 'vrf1', rd: '65000:1' } }),
      ],
    });
  });

  it('gives the engine both servers with every knob, lo resolved per server family, and each activation', () => {
    const { bmp } = snapshotsFromRunning(running(seed()), ENV);
    const server = (id: number, address: string, port: number, dscp: number): BmpServerConfig => ({
      id, activated: true, address, port, description: `SERVER${id}`, initialDelay: 20, failureRetryDelay: 40,
      flappingDelay: 120, dscp, statsReportingPeriod: 30, updateSource: '127.0.0.1',
    });
    expect(bmp).toEqual({
      bufferSizeMb: 2048,
      initialRefresh: { kind: 'delay', seconds: 30 },
      servers: [server(1, '127.0.1.1', 8000, 5), server(2, '127.0.2.1', 9000, 7)],
      neighbors: [
        { neighbor: '127.0.3.1', servers: [1, 2] },
        { neighbor: '127.0.4.1', servers: [1, 2] },
        { neighbor: '127.0.5.1', servers: [1, 2] },
        { neighbor: '127.0.6.1', servers: [1, 2] },
        { neighbor: '127.0.7.1', servers: [2] },
        { neighbor: '127.0.8.1', servers: [1] },
        { neighbor: '::1', servers: [1, 2] },
        { neighbor: '::2', servers: [1, 2] },
        { neighbor: 'vrf1|127.0.1.1', servers: [1, 2] },
        { neighbor: 'vrf1|::2', servers: [1] },
      ],
    });
  });

  it('lists the state-bearing entries with their place in the tree', () => {
    const view = runningView(running(seed()));
    expect(view.bgp).toBe(true);
    expect(view.bufferSizeConfigured).toBe(2048);
    expect(view.servers).toEqual([1, 2]);
    expect(view.neighbors.map((n) => n.key)).toEqual([
      '127.0.3.1', '127.0.4.1', '127.0.5.1', '127.0.6.1', '127.0.7.1', '127.0.8.1', '::1', '::2', 'vrf1|127.0.1.1', 'vrf1|::2',
    ]);
    expect(view.neighbors.at(-1)).toEqual({ key: 'vrf1|::2', address: '::2', placement: { kind: 'vrf', vrf: 'vrf1', afi: 'ipv6' } });
  });
});

describe('peer-group inheritance', () => {
  const GROUP = `<peer-group><name>RR</name><remote-as>65100</remote-as><description>reflectors</description>
    <update-source>eth0</update-source><password>s3cret</password><passive>true</passive>
    <timers><keepalive>10</keepalive><hold-time>30</hold-time></timers><shutdown/>
    <bmp-activate><server>2</server></bmp-activate><address-family><name>vpnv4-unicast</name></address-family>
    <address-family><name>ipv4-unicast</name></address-family></peer-group>`;
  const SERVERS = '<bmp><server><id>1</id></server><server><id>2</id></server></bmp>';

  it('fills every unset setting of a member from its group', () => {
    const xml = bgp(`${SERVERS}${GROUP}<neighbor><address>127.0.3.1</address><peer-group>RR</peer-group></neighbor>`);
    const { speaker, bmp, problems } = snapshotsFromRunning(running(xml), ENV);
    expect(problems).toEqual([]);
    expect(speaker?.neighbors).toEqual([{
      address: '127.0.3.1', remoteAs: 65100, description: 'reflectors', updateSource: '192.0.2.10', password: 's3cret',
      passive: true, timers: { keepalive: 10, holdTime: 30 }, shutdown: true,
      addressFamilies: ['ipv4-unicast', 'vpnv4-unicast'], vrf: null,
    }]);
    expect(bmp.neighbors).toEqual([{ neighbor: '127.0.3.1', servers: [2] }]);
  });

  it("keeps the member's own values, leaf by leaf, and its own bmp-activate as a whole", () => {
    const xml = bgp(`${SERVERS}${GROUP}<neighbor><address>127.0.3.1</address><peer-group>RR</peer-group>
      <remote-as>65003</remote-as><passive>false</passive><timers><hold-time>90</hold-time></timers>
      <update-source>127.0.3.2</update-source><bmp-activate><all/></bmp-activate>
      <address-family><name>ipv6-unicast</name></address-family></neighbor>`);
    const { speaker, bmp } = snapshotsFromRunning(running(xml), ENV);
    expect(speaker?.neighbors[0]).toMatchObject({
      remoteAs: 65003, passive: false, timers: { keepalive: 10, holdTime: 90 }, updateSource: '127.0.3.2',
      password: 's3cret', addressFamilies: ['ipv6-unicast'],
    });
    expect(bmp.neighbors).toEqual([{ neighbor: '127.0.3.1', servers: 'all' }]);
  });

  it("does not apply the group's address families to a VRF member: the VRF's afi decides", () => {
    const xml = bgp(`${SERVERS}${GROUP}<vrf><name>blue</name><rd>192.0.2.1:7</rd><address-family><afi>ipv6</afi>
      <neighbor><address>::3</address><peer-group>RR</peer-group></neighbor></address-family></vrf>`);
    const { speaker, bmp } = snapshotsFromRunning(running(xml), ENV);
    expect(speaker?.neighbors).toEqual([expect.objectContaining({
      address: '::3', remoteAs: 65100, addressFamilies: ['ipv6-unicast'], vrf: { name: 'blue', rd: '192.0.2.1:7' },
      // eth0 has no IPv6 address in ENV
      updateSource: null,
    })]);
    expect(bmp.neighbors).toEqual([{ neighbor: 'blue|::3', servers: [2] }]);
  });

  it('leaves a neighbor unmonitored when neither it nor its group has bmp-activate', () => {
    const xml = bgp(`${SERVERS}<peer-group><name>PLAIN</name><remote-as>65100</remote-as></peer-group>
      <neighbor><address>127.0.3.1</address><peer-group>PLAIN</peer-group></neighbor>`);
    const { speaker, bmp } = snapshotsFromRunning(running(xml), ENV);
    expect(speaker?.neighbors.map((n) => n.address)).toEqual(['127.0.3.1']);
    expect(bmp.neighbors).toEqual([]);
  });
});

describe('update-source interface names', () => {
  it("resolves a neighbor's interface to the address of the neighbor's family", () => {
    const xml = bgp(`<neighbor><address>::5</address><remote-as>1</remote-as><update-source>lo</update-source></neighbor>
      <neighbor><address>127.0.5.1</address><remote-as>1</remote-as><update-source>lo</update-source></neighbor>`);
    const { speaker, problems } = snapshotsFromRunning(running(xml), ENV);
    expect(problems).toEqual([]);
    expect(speaker?.neighbors.map((n) => [n.address, n.updateSource])).toEqual([['127.0.5.1', '127.0.0.1'], ['::5', '::1']]);
  });

  it('reports an interface without an address of the family and binds nowhere in particular', () => {
    const xml = bgp(`<bmp><server><id>3</id><activate/><address>::7</address><port-number>5000</port-number>
      <update-source>eth0</update-source></server></bmp>
      <neighbor><address>127.0.5.1</address><remote-as>1</remote-as><update-source>eth9</update-source></neighbor>`);
    const { speaker, bmp, problems } = snapshotsFromRunning(running(xml), ENV);
    expect(speaker?.neighbors[0]?.updateSource).toBeNull();
    expect(bmp.servers[0]?.updateSource).toBeNull();
    expect(problems).toEqual([
      { path: "/bmpd:bgp/bmp/server[id='3']/update-source", message: expect.stringContaining("interface 'eth0' has no IPv6 address") },
      { path: "/bmpd:bgp/neighbor[address='127.0.5.1']/update-source", message: expect.stringContaining("interface 'eth9' has no IPv4 address") },
    ]);
  });

  it('uses the real host interfaces by default (lo has 127.0.0.1 on Linux)', () => {
    const xml = bgp('<neighbor><address>127.0.5.1</address><remote-as>1</remote-as><update-source>lo</update-source></neighbor>');
    expect(snapshotsFromRunning(running(xml)).speaker?.neighbors[0]?.updateSource).toBe('127.0.0.1');
  });
});

describe('defaults when leaves are absent', () => {
  it('fills the model defaults and the documented ones', () => {
    const xml = bgp(`<bmp><server><id>4</id><address>127.0.4.4</address><port-number>4444</port-number></server></bmp>
      <neighbor><address>127.0.5.1</address><remote-as>65005</remote-as><bmp-activate><all/></bmp-activate></neighbor>`);
    const { speaker, bmp, problems } = snapshotsFromRunning(running(xml), ENV);
    expect(problems).toEqual([]);
    expect(speaker).toEqual({
      asNumber: 65000, routerId: '127.0.9.9', listen: { addresses: [], port: 179 }, neighbors: [neighbor('127.0.5.1', 65005)],
    });
    expect(bmp).toEqual({
      bufferSizeMb: 256,
      initialRefresh: { kind: 'immediate' },
      servers: [{
        id: 4, activated: false, address: '127.0.4.4', port: 4444, description: null, initialDelay: 600,
        failureRetryDelay: 600, flappingDelay: 1800, dscp: 0, statsReportingPeriod: 0, updateSource: null,
      }],
      neighbors: [{ neighbor: '127.0.5.1', servers: 'all' }],
    });
  });

  it('takes router-id, listen addresses, skip and timers as configured', () => {
    const xml = bgp(`<router-id>192.0.2.77</router-id><listen><address>::1</address><address>127.0.5.2</address><port>1790</port></listen>
      <bmp><initial-refresh><skip/></initial-refresh></bmp>
      <neighbor><address>127.0.5.1</address><remote-as>1</remote-as><timers><keepalive>0</keepalive><hold-time>0</hold-time></timers></neighbor>`);
    const { speaker, bmp } = snapshotsFromRunning(running(xml), ENV);
    expect(speaker).toMatchObject({ routerId: '192.0.2.77', listen: { addresses: ['127.0.5.2', '::1'], port: 1790 } });
    expect(speaker?.neighbors[0]?.timers).toEqual({ keepalive: 0, holdTime: 0 });
    expect(bmp.initialRefresh).toEqual({ kind: 'skip' });
  });

  it('derives the router-id from any interface without loopback IPv4, and reports a host without IPv4', () => {
    const xml = bgp('');
    const other = snapshotsFromRunning(running(xml), { hostIpv4Addresses: () => [{ address: '192.0.2.10', loopback: false }, { address: '192.0.2.9', loopback: false }] });
    expect(other.speaker?.routerId).toBe('192.0.2.10');
    const none = snapshotsFromRunning(running(xml), { hostIpv4Addresses: () => [] });
    expect(none.speaker?.routerId).toBe('0.0.0.1');
    expect(none.problems).toEqual([{ path: '/bmpd:bgp/router-id', message: expect.stringContaining('no IPv4 address') }]);
  });

  it('merges one VRF address on both address families into one session carrying both', () => {
    const xml = bgp(`<vrf><name>v</name><rd>65000:9</rd>
      <address-family><afi>ipv4</afi><neighbor><address>127.0.5.1</address><remote-as>1</remote-as></neighbor></address-family>
      <address-family><afi>ipv6</afi><neighbor><address>127.0.5.1</address><remote-as>2</remote-as></neighbor></address-family></vrf>`);
    const { speaker, problems } = snapshotsFromRunning(running(xml), ENV);
    expect(speaker?.neighbors).toEqual([neighbor('127.0.5.1', 1, { addressFamilies: ['ipv4-unicast', 'ipv6-unicast'], vrf: { name: 'v', rd: '65000:9' } })]);
    expect(problems).toEqual([{ path: "/bmpd:bgp/vrf[name='v']/address-family[afi='ipv6']/neighbor[address='127.0.5.1']", message: expect.stringContaining('different settings') }]);
  });
});

describe('an empty configuration', () => {
  it('runs no speaker and no BMP server', () => {
    const empty = running('');
    expect(snapshotsFromRunning(empty, ENV)).toEqual({ speaker: null, bmp: EMPTY_BMP_CONFIG, problems: [] });
    expect(runningView(empty)).toEqual({ bgp: false, bufferSizeConfigured: null, servers: [], neighbors: [] });
  });
});

describe("running read from a large write's chunks", () => {
  it('reads what a print of the tree reads: every neighbor, server, VRF and default', async () => {
    const seed = readFileSync(join(yangDirectory(), 'examples', 'seed-config-loopback.xml'), 'utf8');
    const tree = running(seed);
    try {
      // Small chunks: the seed's lists (neighbors, servers, VRFs and their families) come in several runs.
      const chunks = splitJsonData(tree.print({ format: 'json', tagImplicitDefaults: true, shrink: true }), 200);
      expect(chunks.length).toBeGreaterThan(5);
      const fromTree = readRunning(tree, ENV);
      expect(fromTree?.entries.length).toBeGreaterThan(8);
      expect(readRunning(tree, ENV, await parseYangJsonParts(chunks, 3))).toEqual(fromTree);
    } finally {
      tree.free();
    }
  });
});

describe('snapshot order by a key per entry', () => {
  it("placedSortKey orders as compareNeighborEntries: placement, VRF name and afi, then the address's family and bytes", () => {
    const addresses = [
      '0.0.0.0', '1.2.3.4', '1.2.3.40', '1.2.30.4', '9.9.9.9', '10.0.0.1', '127.0.1.1', '192.168.0.255', '255.255.255.255',
      '::', '::1', '0::1', '::ffff:1.2.3.4', '2001:db8::1', '2001:DB8::1', '2001:db8:0:0:0:0:0:2', 'fe80::1', 'ffff::',
      // Not addresses as isIP() reads them (never valid in running): after every address, by text.
      '01.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.4%eth0', '1..2.3', 'abc', '',
    ];
    const placements: NeighborPlacement[] = [
      { kind: 'global' },
      ...['A', 'AB', 'B', 'a', 'A\u00e9'].flatMap((vrf) => (['ipv4', 'ipv6'] as const).map((afi) => ({ kind: 'vrf' as const, vrf, afi }))),
    ];
    const entries = placements.flatMap((placement) => addresses.map((address) => ({ placement, address }) as unknown as NeighborEntrySnapshot));
    let pairs = 0;
    for (const a of entries) {
      for (const b of entries) {
        const ka = placedSortKey(a.placement, a.address);
        const kb = placedSortKey(b.placement, b.address);
        const byKey = ka < kb ? -1 : ka > kb ? 1 : 0;
        expect([a.placement, a.address, b.placement, b.address, byKey]).toEqual([a.placement, a.address, b.placement, b.address, Math.sign(compareNeighborEntries(a, b))]);
        pairs++;
      }
    }
    expect(pairs).toBe(entries.length ** 2);
    // The hand-written dotted-quad scan agrees with isIP() on what is an IPv4 address.
    for (const address of addresses) expect([address, placedSortKey({ kind: 'global' }, address)[1]]).toEqual([address, isIP(address) === 4 ? '4' : isIP(address) === 6 ? '6' : '7']);
  });
});
