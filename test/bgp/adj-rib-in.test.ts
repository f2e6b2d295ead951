import { describe, expect, it } from 'vitest';
import { AdjRibIn, REPLAY_PAUSE } from '../../src/bgp/adj-rib-in.js';
import { AttributeSetPool } from '../../src/bgp/attribute-set-pool.js';
import {
  decodeUpdate,
  encodeUpdate,
  ipv4Prefix,
  ipv6Prefix,
  prefixToString,
  vpnPrefix,
  type AddressFamily,
  type Prefix,
  type SessionCodecOptions,
  type UpdateMessage,
} from '../../src/bgp/codec/index.js';
import { buffers, type UpdateSpec } from '../../src/bgp/testing/test-buffers.js';

const OPTIONS: SessionCodecOptions = { fourOctetAs: true, ebgp: true };
const ALL: AddressFamily[] = ['ipv4-unicast', 'ipv6-unicast', 'vpnv4-unicast', 'vpnv6-unicast'];
const A = { origin: 'igp', asPath: [65010, 65020], nextHop: '192.0.2.1' } as const;
const B = { origin: 'igp', asPath: [65010, 65030], nextHop: '192.0.2.1', med: 10 } as const;

function rib(families: AddressFamily[] = ['ipv4-unicast'], fourOctetAs = true): AdjRibIn {
  return new AdjRibIn({ localAs: 65001, routerId: '192.0.2.254', fourOctetAs, families });
}

function update(spec: UpdateSpec, options: SessionCodecOptions = OPTIONS): UpdateMessage {
  return decodeUpdate(buffers.update({ fourOctetAs: options.fourOctetAs, ...spec }), options);
}

/** Every route in a table as "prefix → attribute octets (hex) [labels]", from replayed UPDATEs. */
function tableOf(messages: Iterable<Buffer>, options: SessionCodecOptions = OPTIONS): { routes: Map<string, string>; endOfRib: string[] } {
  const routes = new Map<string, string>();
  const endOfRib: string[] = [];
  for (const bytes of messages) {
    const message = decodeUpdate(bytes, options);
    expect(message.verdict).toEqual({ action: 'ok' });
    if (message.endOfRib) {
      endOfRib.push(`${message.endOfRib.afi}/${message.endOfRib.safi}`);
      continue;
    }
    const others = message.attributes.filter((a) => a.kind !== 'mp-reach-nlri');
    // JSON.stringify turns Buffers into {type: 'Buffer', data: [...]}: key them by their hex.
    const asBuffer = (v: unknown) => v as { type?: unknown; data: number[] };
    const key = JSON.stringify(others, (_k, v: unknown) => (v && typeof v === 'object' && asBuffer(v).type === 'Buffer' ? Buffer.from(asBuffer(v).data).toString('hex') : v));
    const reach = message.attributes.find((a) => a.kind === 'mp-reach-nlri');
    const prefixes: Prefix[] = [...message.nlri, ...(reach?.kind === 'mp-reach-nlri' ? reach.nlri : [])];
    const nextHop = reach?.kind === 'mp-reach-nlri' ? reach.nextHop.toString('hex') : '';
    for (const prefix of prefixes) {
      const labels = 'labels' in prefix ? ` labels=${prefix.labels.join(',')}` : '';
      routes.set(prefixToString(prefix), `${key} nh=${nextHop}${labels}`);
    }
  }
  return { routes, endOfRib };
}

describe('Adj-RIB-In', () => {
  it('keeps prefixes of every length apart, /0 to /32, and replays them as stored', () => {
    const table = rib();
    const texts = ['0.0.0.0/0', '128.0.0.0/1', '10.0.0.0/8', '10.0.0.0/16', '192.0.2.0/24', '255.255.255.254/31', '255.255.255.255/32', '0.0.0.0/32'];
    table.apply(update({ nlri: texts, attrs: A }));
    expect(table.routeCount()).toBe(texts.length);
    for (const text of texts) expect(table.lookup(ipv4Prefix(text))).toBeDefined();
    expect(table.lookup(ipv4Prefix('10.0.0.0/24'))).toBeUndefined();
    expect([...tableOf(table.replay()).routes.keys()].sort()).toEqual([...texts].sort());
  });

  it('reads the NLRI field in place with host bits cleared, as the decoded prefixes have them (RFC 4271 §4.3)', () => {
    const table = rib();
    // 10.16.0.0/12 and 192.0.2.128/25 sent with trailing host bits set: 10.31.x.x, 192.0.2.255.
    const bytes = buffers.update({ fourOctetAs: true, nlri: ['10.16.0.0/12', '192.0.2.128/25'], attrs: A });
    const nlriAt = bytes.length - 8;
    expect([...bytes.subarray(nlriAt)]).toEqual([12, 10, 16, 25, 192, 0, 2, 128]);
    bytes[nlriAt + 2] = 0x1f;
    bytes[nlriAt + 7] = 0xff;
    const message = decodeUpdate(bytes, OPTIONS);
    expect(table.apply(message).added).toBe(2);
    expect(message.nlri.map(prefixToString)).toEqual(['10.16.0.0/12', '192.0.2.128/25']);
    expect(table.lookup(ipv4Prefix('10.16.0.0/12'))).toBeDefined();
    expect(table.lookup(ipv4Prefix('192.0.2.128/25'))).toBeDefined();
    expect([...tableOf(table.replay()).routes.keys()].sort()).toEqual(['10.16.0.0/12', '192.0.2.128/25']);
  });

  it('counts added, replaced, withdrawn, duplicate advertisements and duplicate withdraws', () => {
    const table = rib();
    expect(table.apply(update({ nlri: ['10.0.0.0/24', '10.0.1.0/24'], attrs: A }))).toEqual({ added: 2, replaced: 0, withdrawn: 0, duplicateAdvertisements: 0, duplicateWithdraws: 0 });
    expect(table.apply(update({ nlri: ['10.0.0.0/24'], attrs: B }))).toMatchObject({ replaced: 1 });
    expect(table.apply(update({ nlri: ['10.0.0.0/24', '10.0.2.0/24'], attrs: B }))).toMatchObject({ added: 1, duplicateAdvertisements: 1 });
    expect(table.apply(update({ withdrawn: ['10.0.1.0/24', '10.9.9.0/24'] }))).toMatchObject({ withdrawn: 1, duplicateWithdraws: 1 });
    expect(table.routeCount()).toBe(2);
    expect(table.lookup(ipv4Prefix('10.0.0.0/24'))?.id).toBe(table.lookup(ipv4Prefix('10.0.2.0/24'))?.id);
    expect(table.lookup(ipv4Prefix('10.0.1.0/24'))).toBeUndefined();
    const stats = table.statistics();
    expect(stats).toMatchObject({ duplicatePrefixAdvertisements: 1, duplicateWithdraws: 1, duplicateUpdates: 0, routes: 2, prefixesRejected: 0 });
    expect(stats.routesPerFamily['ipv4-unicast']).toBe(2);
  });

  it('counts an UPDATE that changes nothing as a duplicate update (RFC 7854 type 13)', () => {
    const table = rib();
    table.apply(update({ nlri: ['10.0.0.0/24'], attrs: A }));
    table.apply(update({ nlri: ['10.0.0.0/24'], attrs: A }));
    table.apply(update({ withdrawn: ['10.1.0.0/16'] }));
    expect(table.statistics()).toMatchObject({ duplicateUpdates: 2, duplicatePrefixAdvertisements: 1, duplicateWithdraws: 1 });
  });

  it('treat-as-withdraw removes the announced prefixes and counts types 11 and 12', () => {
    const table = rib();
    table.apply(update({ nlri: ['10.0.0.0/24', '10.0.1.0/24'], attrs: A }));
    // NEXT_HOP missing with IPv4 NLRI: RFC 7606 §3 (d).
    const broken = update({ nlri: ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24'], attrs: { origin: 'igp', asPath: [65010] } });
    expect(broken.verdict.action).toBe('treat-as-withdraw');
    expect(table.apply(broken)).toMatchObject({ withdrawn: 2, duplicateWithdraws: 1 });
    expect(table.routeCount()).toBe(0);
    expect(table.statistics()).toMatchObject({ updatesTreatAsWithdraw: 1, prefixesTreatAsWithdraw: 3 });
    expect(table.attributeSetCount).toBe(0);
  });

  it('ignores an UPDATE whose verdict resets the session', () => {
    const table = rib();
    const bytes = buffers.update({ nlri: ['10.0.0.0/24'], attrs: A });
    bytes.writeUInt16BE(500, 21);
    const message = decodeUpdate(bytes, OPTIONS);
    expect(message.verdict.action).toBe('session-reset');
    expect(table.apply(message)).toMatchObject({ added: 0, withdrawn: 0 });
    expect(table.routeCount()).toBe(0);
  });

  it('stores an UPDATE with a discarded attribute without that attribute', () => {
    const table = rib();
    // LOCAL_PREF from an external peer: discarded (RFC 7606 §7.5).
    const message = update({ nlri: ['10.0.0.0/24'], attrs: { ...A, localPref: 300 } });
    expect(message.verdict.action).toBe('attribute-discard');
    table.apply(message);
    const { routes } = tableOf(table.replay());
    expect(routes.get('10.0.0.0/24')).not.toContain('local-pref');
    expect(routes.get('10.0.0.0/24')).toContain('65020');
  });

  it('shares one attribute set among routes: 1,000 prefixes with 2 attribute sets → 2 interned sets', () => {
    const table = rib();
    for (let i = 0; i < 1000; i += 10) {
      const nlri = Array.from({ length: 10 }, (_, j) => `10.${(i + j) >> 8}.${(i + j) & 0xff}.0/24`);
      table.apply(update({ nlri, attrs: (i / 10) % 2 === 0 ? A : B }));
    }
    expect(table.routeCount()).toBe(1000);
    expect(table.attributeSetCount).toBe(2);
    expect(table.lookup(ipv4Prefix('10.0.0.0/24'))?.refCount).toBe(500);
    // Withdrawing every route of one set drops it.
    table.apply(update({ nlri: Array.from({ length: 100 }, (_, k) => `10.${k >> 8}.${k & 0xff}.0/24`), attrs: B }));
    expect(table.attributeSetCount).toBe(2);
    table.apply(update({ withdrawn: Array.from({ length: 1000 }, (_, k) => `10.${k >> 8}.${k & 0xff}.0/24`).filter((_, k) => Math.floor(k / 10) % 2 === 1 || k < 100) }));
    expect(table.attributeSetCount).toBe(1);
  });

  it('keeps IPv6, VPNv4 and VPNv6 routes per family, keyed without labels', () => {
    const table = rib(ALL);
    table.apply(update({ nlri: ['2001:db8::/32', '2001:db8:1::/48'], attrs: { origin: 'igp', asPath: [65010] }, mpNextHop: '2001:db8::1' }));
    table.apply(update({ nlri: [vpnPrefix('65000:1', '10.0.0.0/24', 100), vpnPrefix('65000:2', '10.0.0.0/24', 100)], attrs: { origin: 'igp', asPath: [65010] }, mpNextHop: '192.0.2.1' }));
    table.apply(update({ nlri: [vpnPrefix('65000:1', '2001:db8::/64', 200)], attrs: { origin: 'igp', asPath: [65010] }, mpNextHop: '2001:db8::2' }));
    expect(table.statistics().routesPerFamily).toEqual({ 'ipv4-unicast': 0, 'ipv6-unicast': 2, 'vpnv4-unicast': 2, 'vpnv6-unicast': 1 });
    // A new label for the same RD + prefix replaces the route.
    const relabel = table.apply(update({ nlri: [vpnPrefix('65000:1', '10.0.0.0/24', 101)], attrs: { origin: 'igp', asPath: [65010] }, mpNextHop: '192.0.2.1' }));
    expect(relabel).toMatchObject({ replaced: 1, duplicateAdvertisements: 0 });
    // The RFC 3107 withdraw label does not matter for the withdraw.
    expect(table.apply(update({ withdrawn: [{ ...vpnPrefix('65000:1', '10.0.0.0/24', 0), labels: [0x800000] }] }))).toMatchObject({ withdrawn: 1 });
    expect(table.apply(update({ withdrawn: [ipv6Prefix('2001:db8::/32')] }))).toMatchObject({ withdrawn: 1 });
    expect(table.routeCount()).toBe(3);
  });

  it('counts AS_PATH, CLUSTER_LIST and ORIGINATOR_ID loops (RFC 7854 types 3, 4, 5)', () => {
    const table = new AdjRibIn({ localAs: 65001, routerId: '192.0.2.254', clusterId: '192.0.2.253', fourOctetAs: true });
    const ibgp = { fourOctetAs: true, ebgp: false };
    table.apply(update({ nlri: ['10.0.0.0/24'], attrs: { ...A, asPath: [65010, 65001] } }, ibgp));
    table.apply(update({ nlri: ['10.0.1.0/24'], attrs: { ...A, clusterList: ['192.0.2.253'] } }, ibgp));
    table.apply(update({ nlri: ['10.0.2.0/24'], attrs: { ...A, originatorId: '192.0.2.254' } }, ibgp));
    table.apply(update({ nlri: ['10.0.3.0/24'], attrs: { ...A, originatorId: '192.0.2.7', clusterList: ['192.0.2.8'] } }, ibgp));
    expect(table.statistics()).toMatchObject({ asPathLoops: 1, clusterListLoops: 1, originatorIdLoops: 1 });
    // Pre-policy: looped routes are still in the Adj-RIB-In.
    expect(table.routeCount()).toBe(4);
  });

  it('on a 2-octet session finds our AS in AS_PATH, or in AS4_PATH when it is above 65535 (RFC 6793 §4.2.3)', () => {
    const twoOctet = { fourOctetAs: false, ebgp: false };
    const small = new AdjRibIn({ localAs: 65001, routerId: '192.0.2.254', fourOctetAs: false });
    small.apply(update({ nlri: ['10.0.0.0/24'], attrs: { ...A, asPath: [65010, 65001] } }, twoOctet));
    small.apply(update({ nlri: ['10.0.1.0/24'], attrs: { ...A, asPath: [65010, 65002] } }, twoOctet));
    expect(small.statistics().asPathLoops).toBe(1);
    const large = new AdjRibIn({ localAs: 4200000001, routerId: '192.0.2.254', fourOctetAs: false });
    large.apply(update({ nlri: ['10.0.0.0/24'], attrs: { ...A, asPath: [65010, 23456], as4Path: [65010, 4200000001] } }, twoOctet));
    large.apply(update({ nlri: ['10.0.1.0/24'], attrs: { ...A, asPath: [65010, 23456], as4Path: [65010, 4200000002] } }, twoOctet));
    expect(large.statistics().asPathLoops).toBe(1);
  });

  it('replays the table as valid UPDATEs that decode to the same routes, then End-of-RIB per family', () => {
    const table = rib(ALL);
    const applied: Buffer[] = [];
    for (let i = 0; i < 3000; i += 300) {
      applied.push(buffers.update({ nlri: Array.from({ length: 300 }, (_, j) => `10.${(i + j) >> 8}.${(i + j) & 0xff}.0/24`), attrs: i % 600 === 0 ? A : { ...B, communities: ['65001:1', '65001:2'] } }));
    }
    applied.push(buffers.update({ nlri: ['2001:db8::/32', '2001:db8:1::/48'], attrs: { origin: 'igp', asPath: [65010] }, mpNextHop: '2001:db8::1' }));
    applied.push(buffers.update({ nlri: [vpnPrefix('65000:1', '10.0.0.0/24', 100), vpnPrefix('65000:2', '10.0.0.0/25', 100)], attrs: { origin: 'igp', asPath: [65010] }, mpNextHop: '192.0.2.1' }));
    applied.push(buffers.update({ nlri: [vpnPrefix('65000:1', '2001:db8::/64', 200)], attrs: { origin: 'incomplete', asPath: [65010], largeCommunities: [{ globalAdministrator: 65010, localData1: 1, localData2: 2 }] }, mpNextHop: '2001:db8::2' }));
    for (const bytes of applied) table.apply(decodeUpdate(bytes, OPTIONS));

    const replayed = [...table.replay()];
    expect(replayed.every((bytes) => bytes.length <= 4096)).toBe(true);
    const original = tableOf(applied);
    const again = tableOf(replayed);
    expect(again.routes.size).toBe(3000 + 2 + 2 + 1);
    expect(again.routes).toEqual(original.routes);
    expect(again.endOfRib).toEqual(['1/1', '2/1', '1/128', '2/128']);
    // Packed: 3,000 /24s of 2 sets need only a handful of UPDATEs.
    expect(replayed.length).toBeLessThan(20);

    // Replaying into a fresh table gives the same table again.
    const copy = rib(ALL);
    for (const bytes of replayed) copy.apply(decodeUpdate(bytes, OPTIONS));
    expect(copy.statistics().routesPerFamily).toEqual(table.statistics().routesPerFamily);
    expect(copy.attributeSetCount).toBe(table.attributeSetCount);
  });

  it('replays IPv4 unicast routes that came in MP_REACH_NLRI in MP_REACH_NLRI, with their next hop (RFC 4760)', () => {
    const table = rib();
    const nextHop = Buffer.from([198, 51, 100, 7]);
    const bytes = encodeUpdate(
      {
        withdrawnRoutes: [],
        attributes: [
          { kind: 'mp-reach-nlri', flags: 0x80, afi: 1, safi: 1, nextHop, nlri: [ipv4Prefix('10.1.0.0/16'), ipv4Prefix('10.2.0.0/16')] },
          { kind: 'origin', flags: 0x40, origin: 0 },
          { kind: 'as-path', flags: 0x40, segments: [{ type: 2, asns: [65010] }] },
        ],
        nlri: [],
      },
      OPTIONS,
    );
    table.apply(decodeUpdate(bytes, OPTIONS));
    table.apply(update({ nlri: ['10.3.0.0/16'], attrs: A }));
    const replayed = [...table.replay()].map((b) => decodeUpdate(b, OPTIONS));
    const viaMp = replayed.flatMap((m) => m.attributes.filter((a) => a.kind === 'mp-reach-nlri'));
    expect(viaMp).toHaveLength(1);
    expect(viaMp[0]).toMatchObject({ afi: 1, safi: 1, nextHop });
    expect(viaMp[0]?.kind === 'mp-reach-nlri' && viaMp[0].nlri.map(prefixToString).sort()).toEqual(['10.1.0.0/16', '10.2.0.0/16']);
    expect(replayed.flatMap((m) => m.nlri.map(prefixToString))).toEqual(['10.3.0.0/16']);
  });

  it('replays a 4-octet AS table to a 2-octet AS receiver with AS_TRANS and AS4_PATH (RFC 6793)', () => {
    const table = rib();
    table.apply(update({ nlri: ['10.0.0.0/24'], attrs: { ...A, asPath: [65010, 4200000000] } }));
    const twoOctet = { fourOctetAs: false, ebgp: true };
    const [first] = [...table.replay({ fourOctetAs: false })];
    const message = decodeUpdate(first!, twoOctet);
    expect(message.attributes.find((a) => a.kind === 'as-path')).toMatchObject({ segments: [{ type: 2, asns: [65010, 23456] }] });
    expect(message.attributes.find((a) => a.kind === 'as4-path')).toMatchObject({ segments: [{ type: 2, asns: [65010, 4200000000] }] });

    // And back: a 2-octet table replayed to a 4-octet receiver folds AS4_PATH into AS_PATH.
    const old = rib(['ipv4-unicast'], false);
    old.apply(message);
    const [restored] = [...old.replay({ fourOctetAs: true })];
    const four = decodeUpdate(restored!, OPTIONS);
    expect(four.attributes.find((a) => a.kind === 'as-path')).toMatchObject({ segments: [{ type: 2, asns: [65010, 4200000000] }] });
    expect(four.attributes.some((a) => a.kind === 'as4-path')).toBe(false);
  });

  it('clear() forgets routes and sets but keeps the counters', () => {
    const table = rib();
    table.apply(update({ nlri: ['10.0.0.0/24'], attrs: A }));
    table.apply(update({ nlri: ['10.0.0.0/24'], attrs: A }));
    table.clear();
    expect(table.routeCount()).toBe(0);
    expect(table.attributeSetCount).toBe(0);
    expect(table.statistics().duplicatePrefixAdvertisements).toBe(1);
    expect([...table.replay()].map((b) => b.length)).toEqual([23]);
  });
});

describe('Adj-RIB-In replay of one family', () => {
  it('replay("ipv6-unicast") yields only that family and its End-of-RIB', () => {
    const table = new AdjRibIn({ localAs: 65001, routerId: '192.0.2.254', fourOctetAs: true, families: ALL });
    table.apply(update({ nlri: ['10.0.0.0/24'], attrs: A }));
    table.apply(update({ nlri: ['2001:db8::/32'], attrs: { origin: 'igp', asPath: [65010] }, mpNextHop: '2001:db8::1' }));
    const { routes, endOfRib } = tableOf(table.replay('ipv6-unicast'));
    expect([...routes.keys()]).toEqual(['2001:db8::/32']);
    expect(endOfRib).toEqual(['2/1']);
  });
});

describe('Adj-RIB-Ins sharing one attribute set pool', () => {
  const poolOptions = { localAs: 65001, routerId: '192.0.2.254', fourOctetAs: true } as const;
  const shared = (pool: AttributeSetPool): AdjRibIn => new AdjRibIn({ ...poolOptions, families: ['ipv4-unicast', 'ipv6-unicast'], attributeSets: pool });
  const v6 = (prefixes: string[], asPath: number[]) => update({ nlri: prefixes, attrs: { origin: 'igp', asPath }, mpNextHop: '2001:db8::1' });

  it('stores a path two neighbors send once, and drops it when the last route using it goes', () => {
    const pool = new AttributeSetPool(poolOptions);
    const [first, second] = [shared(pool), shared(pool)];
    first.apply(update({ nlri: ['10.0.0.0/24', '10.0.1.0/24'], attrs: A }));
    second.apply(update({ nlri: ['10.0.0.0/24'], attrs: A }));
    second.apply(update({ nlri: ['10.0.9.0/24'], attrs: B }));
    first.apply(v6(['2001:db8:1::/48'], [65010]));
    second.apply(v6(['2001:db8:1::/48', '2001:db8:2::/48'], [65010]));
    // A, B and the IPv6 set: three sets for eight routes.
    expect(pool.size).toBe(3);
    expect(first.lookup(ipv4Prefix('10.0.0.0/24'))?.id).toBe(second.lookup(ipv4Prefix('10.0.0.0/24'))?.id);
    expect(first.lookup(ipv4Prefix('10.0.0.0/24'))?.refCount).toBe(3);
    expect(second.lookup(ipv6Prefix('2001:db8:2::/48'))).toMatchObject({ family: 'ipv6-unicast', refCount: 3, nextHop: Buffer.from('20010db8000000000000000000000001', 'hex') });

    first.clear();
    expect(pool.size).toBe(3);
    expect(second.lookup(ipv4Prefix('10.0.0.0/24'))?.refCount).toBe(1);
    expect(second.lookup(ipv6Prefix('2001:db8:1::/48'))?.refCount).toBe(2);
    second.apply(update({ withdrawn: ['10.0.9.0/24'] }));
    expect(pool.size).toBe(2);
    second.clear();
    expect(pool.size).toBe(0);
  });

  // At 16 full tables the pool holds about 4 M sets, 3.7 M of them other neighbors': a view of each
  // held the data-plane thread about 0.4 s per neighbor of a dump.
  it('a replay reads the octets of its own sets only, not of every set other neighbors hold in the pool', () => {
    const pool = new AttributeSetPool(poolOptions);
    const [mine, other] = [shared(pool), shared(pool)];
    mine.apply(update({ nlri: ['10.0.0.0/24', '10.0.1.0/24'], attrs: A }));
    mine.apply(v6(['2001:db8:1::/48'], [65010]));
    for (let i = 0; i < 500; i++) other.apply(update({ nlri: [`10.1.${i % 256}.${i < 256 ? 0 : 128}/25`], attrs: { ...A, med: i } }));
    for (let i = 0; i < 500; i++) other.apply(v6([`2001:db8:2:${i.toString(16)}::/64`], [65010, i]));
    expect(pool.size).toBe(1002);
    const snapshot = pool.snapshot.bind(pool);
    let reads = 0;
    pool.snapshot = () => {
      const sets = snapshot();
      return { ids: sets.ids, octetsOf: (id: number) => { reads++; return sets.octetsOf(id); } };
    };
    const table = tableOf(mine.replay());
    expect(table.routes.size).toBe(3);
    expect(table.endOfRib).toEqual(['1/1', '2/1']);
    // Its two sets, each read by the family that has routes with it.
    expect(reads).toBeLessThanOrEqual(4);
  });

  it('clear() gives back exactly each route\'s reference: counts and contents stay right for neighbors sharing sets and not', () => {
    const pool = new AttributeSetPool(poolOptions);
    const neighbors = [0, 1, 2, 3].map(() => new AdjRibIn({ ...poolOptions, families: ALL, attributeSets: pool }));
    // Per neighbor: sets it shares with every other (50), and sets of its own: 5, 200, 20 and 30,
    // so clearing 0, then 1, then 2, then 3 drops few sets, most of the pool, few, then all.
    const own = [5, 200, 20, 30];
    const sent = neighbors.map(() => [] as { prefix: Prefix; pathAttributes: string }[]);
    const announce = (n: number): void => {
      const send = (nlri: Prefix[] | string[], attrs: UpdateSpec['attrs'], mpNextHop?: string): void => {
        const message = update({ nlri, attrs, mpNextHop });
        neighbors[n]!.apply(message);
        for (const prefix of [...message.nlri, ...(message.mpReach?.nlri ?? [])]) sent[n]!.push({ prefix, pathAttributes: neighbors[n]!.lookup(prefix)!.pathAttributes.toString('hex') });
      };
      for (let k = 0; k < 50; k++) {
        const attrs = { origin: 'igp', asPath: [65010, 64600 + k], nextHop: '192.0.2.1' } as const;
        // The same prefixes from every neighbor, and one of the neighbor's own under the shared set.
        send([`10.${k}.0.0/16`, `10.${k}.1.0/24`, `10.${k}.${2 + n}.0/24`], attrs);
        if (k % 10 === 0) send([`2001:db8:${k}::/48`, `2001:db8:${k}:${n}::/64`], attrs, '2001:db8::1');
        if (k % 25 === 0) send([vpnPrefix('65000:1', `172.16.${k}.0/24`, 100 + n)], attrs, '192.0.2.1');
      }
      for (let k = 0; k < own[n]!; k++) {
        const attrs = { origin: 'igp', asPath: [65020 + n, 64700 + k], nextHop: '192.0.2.1', med: k } as const;
        send([`11.${n}.${k}.0/24`, `11.${n}.${k}.128/25`], attrs);
        if (k % 4 === 0) send([`2001:db8:${n + 1}:${k}::/56`], attrs, '2001:db8::2');
        if (k % 7 === 0) send([vpnPrefix('65000:2', `12.${n}.${k}.0/24`, 200)], attrs, '192.0.2.1');
      }
      // Half of the shared /16s replaced by a set of the neighbor's own, and one withdrawn: references moved before the clear.
      for (let k = 0; k < 50; k += 2) send([`10.${k}.0.0/16`], { origin: 'igp', asPath: [65020 + n, 64700], nextHop: '192.0.2.1', med: 0 });
      neighbors[n]!.apply(update({ withdrawn: ['10.1.1.0/24'] }));
      sent[n] = sent[n]!.filter((route) => prefixToString(route.prefix) !== '10.1.1.0/24');
    };
    /** Every set the pool must hold, with as many references as routes (of the neighbors still up) point at it. */
    const expectExact = (up: number[]): void => {
      const expected = new Map<number, number>();
      for (const n of up) {
        // Last announcement wins: a replaced route counts once, under the set it points at now.
        const routes = new Map(sent[n]!.map((route) => [prefixToString(route.prefix), route]));
        expect(neighbors[n]!.routeCount()).toBe(routes.size);
        for (const { prefix, pathAttributes } of routes.values()) {
          const set = neighbors[n]!.lookup(prefix)!;
          expect(set.pathAttributes.toString('hex')).toBe(pathAttributes);
          expected.set(set.id, (expected.get(set.id) ?? 0) + 1);
        }
      }
      expect(pool.size).toBe(expected.size);
      for (const [id, references] of expected) {
        const set = pool.view(id)!;
        expect(set.refCount).toBe(references);
        // Still found by its octets: the hash table agrees with the sets after a drop or a rebuild.
        expect(pool.find(set.family, set.pathAttributes, set.nextHop)).toBe(id);
      }
    };
    for (let n = 0; n < 4; n++) announce(n);
    expectExact([0, 1, 2, 3]);
    const dropped = neighbors[1]!.lookup(ipv4Prefix('11.1.0.0/24'))!;
    neighbors[0]!.clear();
    expectExact([1, 2, 3]);
    neighbors[1]!.clear();
    expectExact([2, 3]);
    expect(pool.find(dropped.family, dropped.pathAttributes, dropped.nextHop)).toBe(-1);
    expect(neighbors[1]!.routeCount()).toBe(0);
    // The session comes back: the freed ids are reused and the counts stay exact.
    sent[1] = [];
    announce(1);
    expectExact([1, 2, 3]);
    neighbors[2]!.clear();
    expectExact([1, 3]);
    const bytes = pool.bytes;
    neighbors[3]!.clear();
    neighbors[1]!.clear();
    expectExact([]);
    // The last sessions down hand back the hash table the sets filled.
    expect(pool.bytes).toBeLessThan(bytes);
    expect(pool.find(dropped.family, dropped.pathAttributes, dropped.nextHop)).toBe(-1);
  });

  it('a replay under way keeps the attributes it started with while other neighbors reuse the ids', () => {
    const pool = new AttributeSetPool(poolOptions);
    const [replayed, other] = [shared(pool), shared(pool)];
    const paths = Array.from({ length: 40 }, (_, i) => [65010, 65100 + i]);
    paths.forEach((asPath, i) => replayed.apply(update({ nlri: [`10.${i}.0.0/16`], attrs: { origin: 'igp', asPath, nextHop: '192.0.2.1' } })));
    const expected = tableOf(replayed.replay()).routes;

    const messages = replayed.replay();
    const seen = [messages.next().value!];
    // Every set the replay snapshotted is dropped, and its id taken by a set with other attributes.
    paths.forEach((_, i) => replayed.apply(update({ withdrawn: [`10.${i}.0.0/16`] })));
    expect(pool.size).toBe(0);
    paths.forEach((_, i) => other.apply(update({ nlri: [`10.${i}.0.0/16`], attrs: { origin: 'egp', asPath: [64999, i + 1], nextHop: '192.0.2.9' } })));
    expect(pool.size).toBe(40);
    for (const message of messages) seen.push(message);
    expect(tableOf(seen).routes).toEqual(expected);
  });

  it('replays IPv6 routes of mixed lengths grouped by set, as they were announced', () => {
    const table = shared(new AttributeSetPool(poolOptions));
    const prefixes = ['2001:db8::/32', '2001:db8:1::/48', '2001:db8:1:2::/64', '2001:db8:1:2:8000::/65', '2001:db8::1/128', '::/0'];
    table.apply(v6(prefixes.slice(0, 3), [65010]));
    table.apply(v6(prefixes.slice(3), [65020, 65020, 65030]));
    const { routes, endOfRib } = tableOf(table.replay('ipv6-unicast'));
    expect([...routes.keys()].sort()).toEqual([...prefixes].sort());
    expect(new Set(prefixes.slice(0, 3).map((p) => routes.get(p))).size).toBe(1);
    expect(routes.get(prefixes[0]!)).not.toBe(routes.get(prefixes[3]!));
    expect(endOfRib).toEqual(['2/1']);
  });

  it('with pauses, yields REPLAY_PAUSE while it orders a large table, sends the same UPDATEs, and keeps to its snapshot', () => {
    const table = shared(new AttributeSetPool(poolOptions));
    // 100,000 /32s in 1,000 sets: more than 2^16 slots, so the ordering pauses at least once.
    for (let set = 0; set < 1000; set++) {
      const nlri = Array.from({ length: 100 }, (_, i) => `10.${set >> 8}.${set & 255}.${i}/32`);
      table.apply(update({ nlri, attrs: { origin: 'igp', asPath: [65010, 65100 + set], nextHop: '192.0.2.1' } }));
    }
    const plain = [...table.replay('ipv4-unicast')];
    const paused = table.replay({ families: ['ipv4-unicast'], pauses: true });
    expect(paused.next().value).toBe(REPLAY_PAUSE);
    // Changes while the replay pauses are not in it.
    table.apply(update({ withdrawn: ['10.0.0.0/32'] }));
    table.apply(update({ nlri: ['172.16.0.0/16'], attrs: A }));
    const rest = [...paused];
    expect(rest.filter((m) => m === REPLAY_PAUSE).length).toBeGreaterThan(0);
    expect(rest.filter((m) => m.length > 0)).toEqual(plain);
    expect(plain.some((m) => m.length === 0)).toBe(false);
  });
});
